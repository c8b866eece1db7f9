/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_JSON_H
#define GHRCTL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"

#include "error.h"

/*
 * Typed getters over cJSON that return errors, not NULLs, so a reply of the
 * wrong shape becomes one clear ERR_PROTO line ("field 'id' is not an
 * integer") instead of a crash.  Pure.  Service modules use these to turn
 * replies into typed structs; no cJSON pointer leaves a service module.
 *
 * The json_get_* functions fail when the field is missing, null or of the
 * wrong type; the json_opt_* functions accept a missing or null field
 * (leaving *out alone and returning NULL) and fail only on a wrong type.
 * Returned strings and nodes point into the tree (owned by it).
 */

/* cJSON's own limit: the Makefile builds cJSON.c with CJSON_NESTING_LIMIT=64. */
#define JSON_MAX_DEPTH	64

/*
 * Parse len bytes of text (need not be NUL-terminated; a UTF-8 BOM is
 * skipped).  ERR_PROTO "<what>: invalid JSON" on a syntax error or nesting
 * deeper than JSON_MAX_DEPTH.  Free *out with cJSON_Delete().
 */
const struct error	*json_parse(const char *text, size_t len,
			    const char *what, cJSON **out);

/* ERR_PROTO unless node is an object. */
const struct error	*json_want_object(const cJSON *node, const char *what);

const struct error	*json_get_str(const cJSON *obj, const char *key,
			    const char **out);
const struct error	*json_opt_str(const cJSON *obj, const char *key,
			    const char **out);

/*
 * An integer written as one (no fraction, no exponent) within +-2^53,
 * what a double holds exactly; judged from the number's text, so
 * 2^53+1 or 1.0000000000000000001 is refused, never rounded.
 */
const struct error	*json_get_i64(const cJSON *obj, const char *key,
			    int64_t *out);
const struct error	*json_opt_i64(const cJSON *obj, const char *key,
			    int64_t *out);

const struct error	*json_get_bool(const cJSON *obj, const char *key,
			    int *out);
const struct error	*json_opt_bool(const cJSON *obj, const char *key,
			    int *out);

const struct error	*json_get_array(const cJSON *obj, const char *key,
			    const cJSON **out);
const struct error	*json_opt_array(const cJSON *obj, const char *key,
			    const cJSON **out);

const struct error	*json_get_object(const cJSON *obj, const char *key,
			    const cJSON **out);

/*
 * Many members in one walk of obj: out[i] is the first member named
 * keys[i] that is not null, or NULL (all NULL when obj is not an object).
 * Then the json_as_* functions check and convert a member v (non-NULL)
 * as the getters above do, naming key in their errors.
 */
void			 json_fields(const cJSON *obj, const char *const *keys,
			    size_t n, const cJSON **out);
const struct error	*json_as_str(const cJSON *v, const char *key,
			    const char **out);
const struct error	*json_as_i64(const cJSON *v, const char *key,
			    int64_t *out);
const struct error	*json_as_bool(const cJSON *v, const char *key,
			    int *out);
const struct error	*json_as_array(const cJSON *v, const char *key,
			    const cJSON **out);
const struct error	*json_as_object(const cJSON *v, const char *key,
			    const cJSON **out);

/*
 * Print node without formatting into a malloc'd string (free()).  Never
 * NULL: out-of-memory is fatal as for xmalloc().
 */
char			*json_print(const cJSON *node);

/*
 * Strings from cJSON_Print* are freed with cJSON_free(), never free():
 * main() may install json_pool_install()'s hooks, a size-class pool for
 * cJSON's many small blocks (see json.c).  json_pool_malloc/free are the
 * hooks themselves, exposed for the unit test.
 */
void			 json_pool_install(void);

/*
 * Scratch trees, for a parse whose tree dies all at once (a runner list
 * page): between json_scratch_begin() and json_scratch_stop(), cJSON's
 * blocks on this thread come from reused chunks and cJSON_Delete() frees
 * nothing; json_scratch_end() takes every one back, so no pointer into a
 * scratch tree may outlive it.  json_scratch_begin() returns 0, and
 * changes nothing, when the pool is not installed on this thread or a
 * scratch tree is live: then parse and delete as usual.
 */
int			 json_scratch_begin(void);
void			 json_scratch_stop(void);
void			 json_scratch_end(void);
void			*json_pool_malloc(size_t);
void			 json_pool_free(void *);

#endif
