/*
 * SPDX-License-Identifier: ISC
 *
 * Bounded growable buffer; see buf.h.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

static void	(*moved_hook)(const void *, size_t);

/* see buf.h */
void
buf_set_moved_hook(void (*fn)(const void *, size_t))
{
	moved_hook = fn;
}

/*
 * Move b's bytes to a new block of cap bytes.  Not realloc(): a block it
 * moves is freed with its bytes in it, and a buffer holds tokens and keys
 * (a heap page that is reused, swapped out or dumped shows them).  The old
 * block is wiped first.
 */
static void
buf_move(struct buf *b, size_t cap)
{
	char	*p = xmalloc(cap);

	if (b->p != NULL) {
		memcpy(p, b->p, b->len < b->cap ? b->len + 1 : b->cap);
		wipe(b->p, b->cap);
		if (moved_hook != NULL)
			moved_hook(b->p, b->cap);
		free(b->p);
	}
	b->p = p;
	b->cap = cap;
}

/* see buf.h */
void
buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

static const struct error *
buf_grow(struct buf *b, size_t need)
{
	size_t	 cap;

	if (need > b->max || need + 1 < need)
		return error_fmt(ERR_PROTO, "data exceeds the %zu-byte limit",
		    b->max);
	if (need + 1 <= b->cap)
		return NULL;
	cap = b->cap ? b->cap : 64;
	while (cap < need + 1)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	buf_move(b, cap);
	return NULL;
}

/* see buf.h */
const struct error *
buf_reserve(struct buf *b, size_t n)
{
	if (n > b->max || b->len + n > b->max)
		return error_fmt(ERR_PROTO, "data exceeds the %zu-byte limit",
		    b->max);
	if (b->len + n + 1 <= b->cap)
		return NULL;
	buf_move(b, b->len + n + 1);
	return NULL;
}

/* see buf.h */
const struct error *
buf_add(struct buf *b, const void *d, size_t n)
{
	const struct error	*e;

	if ((e = buf_grow(b, b->len + n)) != NULL)
		return e;
	if (n > 0)
		memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
	return NULL;
}

/* see buf.h */
const struct error *
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* see buf.h */
const struct error *
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

/* see buf.h */
const struct error *
buf_addf(struct buf *b, const char *fmt, ...)
{
	const struct error	*e;
	va_list			 ap;
	int			 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return error_fmt(ERR_SOFTWARE, "buf_addf: bad format");
	if ((e = buf_grow(b, b->len + (size_t)n)) != NULL)
		return e;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return NULL;
}

/* see buf.h */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* see buf.h */
void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	b->p[b->len] = '\0';
}

/* see buf.h */
void
buf_release(struct buf *b)
{
	if (b->p != NULL) {
		wipe(b->p, b->cap);
		free(b->p);
	}
	buf_init(b, b->max);
}

/* see buf.h */
char *
buf_detach(struct buf *b, size_t *lenp)
{
	char	*p = b->p;

	if (p == NULL)
		p = xstrdup("");
	if (lenp != NULL)
		*lenp = b->len;
	buf_init(b, b->max);
	return p;
}
