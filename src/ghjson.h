/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_GHJSON_H
#define GHRCTL_GHJSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/*
 * Pure adapters between GitHub REST JSON and typed structs: runner pages,
 * runners, tokens, JIT configs, installations, error bodies, and the
 * requests ghrctl sends.  Field names: GitHub REST docs "REST API
 * endpoints for self-hosted runners".  Every parser takes the raw body
 * (not NUL-terminated necessarily) and returns ERR_PROTO naming the field
 * on a shape it does not accept; nothing returned points into the body.
 */

#define GH_RUNNER_NAME_MAX	256
#define GH_RUNNER_MAX_LABELS	128
#define GH_LABEL_MAX		256

struct gh_runner {
	int64_t		 id;
	char		 name[GH_RUNNER_NAME_MAX];
	char		 os[32];
	char		 status[16];	/* "online", "offline" */
	int		 online;
	int		 busy;
	int		 ephemeral;
	int64_t		 runner_group_id;	/* 0 when not reported */
	const char	**labels;	/* nlabels names: in the tree for a
					   page's view, else one owned block */
	size_t		 nlabels;
};

void			 gh_runner_release(struct gh_runner *);
/* dst: a copy of src that owns its labels (release it). */
void			 gh_runner_copy(struct gh_runner *dst,
			    const struct gh_runner *src);

/* 1 when r carries every one of labels (ASCII case-insensitive). */
int			 gh_runner_has_labels(const struct gh_runner *,
			    const char *const *labels, size_t nlabels);

/* Called once per runner of a page; r is valid only during the call. */
typedef const struct error *(*gh_runner_fn)(void *arg,
    const struct gh_runner *r);

/*
 * Parse a list page {"total_count": N, "runners": [...]} and call fn for
 * each runner in order.  *total (may be NULL) receives total_count.  A
 * callback error stops the walk and is returned as is.
 */
const struct error	*ghjson_runner_page(const char *body, size_t len,
			    int64_t *total, gh_runner_fn fn, void *arg);

/* Parse one runner object.  Release *out with gh_runner_release(). */
const struct error	*ghjson_runner(const char *body, size_t len,
			    struct gh_runner *out);

/*
 * Parse {"token": "...", "expires_at": "..."} (registration, remove and
 * installation tokens).  *token is malloc'd (free with secret_free());
 * expires (may be NULL) receives the expiry text, *exp_unix (may be NULL)
 * the expiry in unix seconds (0 when absent).
 */
const struct error	*ghjson_token(const char *body, size_t len,
			    char **token, char *expires, size_t expires_size,
			    int64_t *exp_unix);

/*
 * Parse {"runner": {...}, "encoded_jit_config": "..."}.  *jit is malloc'd
 * (secret_free()); runner (may be NULL) is filled.
 */
const struct error	*ghjson_jit(const char *body, size_t len, char **jit,
			    struct gh_runner *runner);

/* Parse an installation object; *id receives its "id". */
const struct error	*ghjson_installation(const char *body, size_t len,
			    int64_t *id);

/*
 * GitHub's error text: "message", followed by the "message" or "code" of
 * each entry of "errors" (or the plain strings there), "; "-separated.
 * Returns 0 with dst filled, -1 when the body has no message.
 */
int			 ghjson_error_message(const char *body, size_t len,
			    char *dst, size_t size);

/* The generate-jitconfig request body. */
const struct error	*ghjson_jit_request(const char *name,
			    const char *const *labels, size_t nlabels,
			    int64_t runner_group_id, struct buf *out);

/* r as a JSON object {"id","name","status","busy","labels","os"}. */
const struct error	*ghjson_runner_format(const struct gh_runner *,
			    struct buf *out);

/*
 * The same for many runners in a row: one cJSON tree is kept and updated
 * in place, so printing 10,000 runners does not allocate and free a tree
 * each time (musl's allocator would map and unmap memory for each).
 * Free with ghjson_fmt_free() (NULL is fine).  ghjson_fmt_runner()
 * replaces the contents of out.  Errors: ERR_SOFTWARE (out of memory).
 */
struct ghjson_fmt;
const struct error	*ghjson_fmt_new(struct ghjson_fmt **out);
const struct error	*ghjson_fmt_runner(struct ghjson_fmt *,
			    const struct gh_runner *, struct buf *out);
void			 ghjson_fmt_free(struct ghjson_fmt *);

#endif
