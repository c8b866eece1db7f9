/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_BUF_H
#define GHRCTL_BUF_H

#include <stddef.h>

#include "error.h"

/*
 * A growable byte buffer that refuses to grow past a ceiling (curl's dynbuf
 * idea).  p is NUL-terminated whenever it is non-NULL, so text can be used
 * in place.  Every buffer that holds remote input gets a named ceiling.
 */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* hard ceiling, set at init, never 0 */
};

#define BUF_INIT(m)	{ NULL, 0, 0, (m) }

void			 buf_init(struct buf *, size_t max);

/* Append n bytes.  ERR_PROTO when the result would exceed max. */
const struct error	*buf_add(struct buf *, const void *, size_t n);
const struct error	*buf_adds(struct buf *, const char *);
const struct error	*buf_addc(struct buf *, char);
const struct error	*buf_addf(struct buf *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));

/*
 * Make room for n more bytes in one allocation (when the size is known in
 * advance, e.g. from Content-Length).  ERR_PROTO when that would pass max.
 */
const struct error	*buf_reserve(struct buf *, size_t n);

/* Drop the contents but keep the memory. */
void			 buf_reset(struct buf *);

/* Remove the first n bytes. */
void			 buf_consume(struct buf *, size_t n);

/* Free the contents (wiping them first) and re-init with the same max. */
void			 buf_release(struct buf *);

/* Hand the contents to the caller (free() them); the buf becomes empty. */
char			*buf_detach(struct buf *, size_t *lenp);

/*
 * Tests: fn(block, size) sees each block a growing buffer leaves, after
 * it was wiped and before it is freed; NULL: none.
 */
void			 buf_set_moved_hook(void (*fn)(const void *, size_t));

#endif
