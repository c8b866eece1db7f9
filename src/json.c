/*
 * SPDX-License-Identifier: ISC
 *
 * Typed getters over cJSON (see json.h).  cJSON stores every number as a
 * double, which rounds: 9007199254740993 (2^53+1) reads as 2^53 and
 * 1.0000000000000000001 as 1.  So integers are judged by their text:
 * after each parse, json_parse() marks every number whose token is not a
 * plain integer (-?(0|[1-9][0-9]*)) of magnitude <= 2^53 (JSON_NOT_INT),
 * and the int64 getters refuse marked numbers.  Below 2^53 the double of
 * an integer token is exact, so the value is read from it.  GitHub's and
 * the Actions Service's ids are far below 2^53; a larger one is malformed
 * (refused), never rounded.
 */

#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

#include "json.h"
#include "util.h"

#define JSON_INT_LIMIT	9007199254740992.0	/* 2^53 */
#define JSON_INT_DIGITS	"9007199254740992"	/* 2^53, 16 digits */
/*
 * A mark in a number node's type, above cJSON's own flags
 * (cJSON_IsReference 256, cJSON_StringIsConst 512); cJSON_IsNumber() and
 * the printer look at the low 8 bits only.
 */
#define JSON_NOT_INT	(1 << 12)

/*
 * cJSON's parser records the error position in a global, so parses are
 * serialised: a runner listing's page fetcher thread (github.c) may parse
 * an error reply while this thread parses a page.  Uncontended, the lock
 * costs nothing next to a parse.
 */
static pthread_mutex_t	 parse_mu = PTHREAD_MUTEX_INITIALIZER;

/* A character cJSON's parse_number() takes into a number token. */
static int
num_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
	    c == 'e' || c == 'E';
}

/*
 * The end of the string whose opening quote is at text[i]: the index
 * just past its closing quote (len when unterminated).  memchr finds
 * each quote; one after an odd run of backslashes is escaped.
 */
static size_t
string_end(const char *text, size_t len, size_t i)
{
	const char	*q;
	size_t		 k;

	for (i++; i < len; i = (size_t)(q - text) + 1) {
		if ((q = memchr(text + i, '"', len - i)) == NULL)
			return len;
		for (k = 0; q - k > text + i && q[-1 - (long)k] == '\\'; k++)
			;
		if (k % 2 == 0)
			return (size_t)(q - text) + 1;
	}
	return len;
}

/*
 * The next number token of text[*pos..len) outside strings: its start in
 * *tok and length in *n (the characters cJSON's parse_number() takes).
 * 0 when there is none.
 */
static int
next_number(const char *text, size_t len, size_t *pos, const char **tok,
    size_t *n)
{
	size_t	 i = *pos, j;
	char	 c;

	while (i < len) {
		c = text[i];
		if (c == '"') {
			i = string_end(text, len, i);
			continue;
		}
		if (c == '-' || (c >= '0' && c <= '9')) {
			for (j = i; j < len && num_char(text[j]); j++)
				;
			*tok = text + i;
			*n = j - i;
			*pos = j;
			return 1;
		}
		i++;
	}
	*pos = len;
	return 0;
}

/* 1 when tok is a plain integer token of magnitude <= 2^53. */
static int
int_token(const char *tok, size_t n)
{
	size_t	 i, lim = sizeof(JSON_INT_DIGITS) - 1;

	if (n > 0 && *tok == '-') {
		tok++;
		n--;
	}
	if (n == 0 || n > lim || (n > 1 && *tok == '0'))
		return 0;
	for (i = 0; i < n; i++)
		if (tok[i] < '0' || tok[i] > '9')
			return 0;
	return n < lim || memcmp(tok, JSON_INT_DIGITS, lim) <= 0;
}

/*
 * Mark the number nodes under node (in document order, as cJSON builds
 * them) whose token, the next of text from *pos, is not an int_token().
 */
static void
mark_tree(cJSON *node, const char *text, size_t len, size_t *pos)
{
	const char	*tok;
	size_t		 n;

	for (; node != NULL; node = node->next) {
		if (cJSON_IsNumber(node)) {
			if (!next_number(text, len, pos, &tok, &n) ||
			    !int_token(tok, n))
				node->type |= JSON_NOT_INT;
		} else if (node->child != NULL)
			mark_tree(node->child, text, len, pos);
	}
}

/*
 * Mark what is not an exact integer (see the top of the file).  One scan
 * of the text finds most documents holding integers only; the tree is
 * walked only when it does not.
 */
static void
mark_numbers(cJSON *root, const char *text, size_t len)
{
	const char	*tok;
	size_t		 pos = 0, n;

	for (;;) {
		if (!next_number(text, len, &pos, &tok, &n))
			return;
		if (!int_token(tok, n))
			break;
	}
	pos = 0;
	mark_tree(root, text, len, &pos);
}

/* see json.h */
const struct error *
json_parse(const char *text, size_t len, const char *what, cJSON **out)
{
	cJSON	*root;

	*out = NULL;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if (len == 0)
		return error_fmt(ERR_PROTO, "%s: empty reply where JSON was "
		    "expected", what);
	pthread_mutex_lock(&parse_mu);
	root = cJSON_ParseWithLength(text, len);
	pthread_mutex_unlock(&parse_mu);
	if (root == NULL)
		return error_fmt(ERR_PROTO, "%s: invalid JSON", what);
	mark_numbers(root, text, len);
	*out = root;
	return NULL;
}

/* see json.h */
const struct error *
json_want_object(const cJSON *node, const char *what)
{
	if (!cJSON_IsObject(node))
		return error_fmt(ERR_PROTO, "%s is not a JSON object", what);
	return NULL;
}

/*
 * The member key of obj; NULL when absent or null.  ERR_PROTO when obj is
 * not an object.
 */
static const struct error *
member(const cJSON *obj, const char *key, const cJSON **out)
{
	const cJSON	*v;

	*out = NULL;
	if (!cJSON_IsObject(obj))
		return error_fmt(ERR_PROTO, "expected a JSON object holding "
		    "'%s'", key);
	v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (v != NULL && !cJSON_IsNull(v))
		*out = v;
	return NULL;
}

static const struct error *
missing(const char *key)
{
	return error_fmt(ERR_PROTO, "field '%s' is missing", key);
}

static const struct error *
wrong(const char *key, const char *type)
{
	return error_fmt(ERR_PROTO, "field '%s' is not %s", key, type);
}

/* see json.h: the typed conversions of a member */
const struct error *
json_as_str(const cJSON *v, const char *key, const char **out)
{
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return wrong(key, "a string");
	*out = v->valuestring;
	return NULL;
}

/* see json.h */
const struct error *
json_as_i64(const cJSON *v, const char *key, int64_t *out)
{
	double	 d;

	if (!cJSON_IsNumber(v))
		return wrong(key, "a number");
	if (v->type & JSON_NOT_INT)
		return wrong(key, "an integer within +-2^53");
	d = v->valuedouble;
	/* Range first, so the cast below is defined; no libm needed. */
	if (!isfinite(d) || d > JSON_INT_LIMIT || d < -JSON_INT_LIMIT ||
	    d != (double)(int64_t)d)
		return wrong(key, "an integer");
	*out = (int64_t)d;
	return NULL;
}

/* see json.h */
const struct error *
json_as_bool(const cJSON *v, const char *key, int *out)
{
	if (!cJSON_IsBool(v))
		return wrong(key, "true or false");
	*out = cJSON_IsTrue(v);
	return NULL;
}

/* see json.h */
const struct error *
json_as_array(const cJSON *v, const char *key, const cJSON **out)
{
	if (!cJSON_IsArray(v))
		return wrong(key, "an array");
	*out = v;
	return NULL;
}

/* see json.h */
const struct error *
json_as_object(const cJSON *v, const char *key, const cJSON **out)
{
	if (!cJSON_IsObject(v))
		return wrong(key, "an object");
	*out = v;
	return NULL;
}

/* see json.h */
void
json_fields(const cJSON *obj, const char *const *keys, size_t n,
    const cJSON **out)
{
	const cJSON	*c;
	size_t		 i;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	if (!cJSON_IsObject(obj))
		return;
	cJSON_ArrayForEach(c, obj) {
		if (c->string == NULL || cJSON_IsNull(c))
			continue;
		for (i = 0; i < n; i++)
			if (out[i] == NULL && strcmp(c->string, keys[i]) == 0) {
				out[i] = c;
				break;
			}
	}
}

/*
 * Look key up in obj and convert it with as; a missing member is an error
 * when need is set, else nothing.
 */
#define JSON_GETTER(name, type, as, need)				\
const struct error *							\
name(const cJSON *obj, const char *key, type *out)			\
{									\
	const struct error	*e;					\
	const cJSON		*v;					\
									\
	if ((e = member(obj, key, &v)) != NULL)				\
		return e;						\
	if (v == NULL)							\
		return (need) ? missing(key) : NULL;			\
	return as(v, key, out);						\
}

/* see json.h */
JSON_GETTER(json_opt_str, const char *, json_as_str, 0)
/* see json.h */
JSON_GETTER(json_get_str, const char *, json_as_str, 1)
/* see json.h */
JSON_GETTER(json_opt_i64, int64_t, json_as_i64, 0)
/* see json.h */
JSON_GETTER(json_get_i64, int64_t, json_as_i64, 1)
/* see json.h */
JSON_GETTER(json_opt_bool, int, json_as_bool, 0)
/* see json.h */
JSON_GETTER(json_get_bool, int, json_as_bool, 1)
/* see json.h */
JSON_GETTER(json_opt_array, const cJSON *, json_as_array, 0)
/* see json.h */
JSON_GETTER(json_get_array, const cJSON *, json_as_array, 1)
/* see json.h */
JSON_GETTER(json_get_object, const cJSON *, json_as_object, 1)

/* see json.h */
char *
json_print(const cJSON *node)
{
	char	*p, *s;

	if ((p = cJSON_PrintUnformatted(node)) == NULL)
		return xstrdup("null");	/* cJSON fails only on OOM */
	s = xstrdup(p);			/* the caller frees with free() */
	cJSON_free(p);
	return s;
}

/*
 * cJSON allocates every node and string separately and frees them all
 * again when a reply has been read.  With musl's allocator that is an
 * mmap/munmap pair per few kilobytes: 1,200 of each for a 100-page runner
 * listing, a third of its CPU time.  These hooks keep freed blocks of up
 * to JSON_POOL_MAX bytes on per-size free lists and carve new ones from
 * JSON_POOL_SLAB-byte slabs, so a listing reuses the memory of the page
 * before; the pool never shrinks, and it never grows past the largest
 * reply held at one time.  The pool serves only the thread that installed
 * it (pool_here): a runner listing's page fetcher thread (github.c) may
 * parse an error reply, and its blocks then come from malloc, marked as
 * such.  A tree never crosses threads; a pool block freed by another
 * thread would be dropped, not raced onto the owner's lists.
 */
#define JSON_POOL_GRAIN	16
#define JSON_POOL_MAX	256
#define JSON_POOL_SLAB	(64u << 10)
#define JSON_POOL_NCLASS (JSON_POOL_MAX / JSON_POOL_GRAIN)
#define JSON_POOL_SCRATCH (JSON_POOL_NCLASS + 1)	/* cls of a scratch block */
#define JSON_SCRATCH_CHUNK (256u << 10)

union json_blk {
	union json_blk	*next;		/* on a free list */
	size_t		 cls;		/* in use: size class, NCLASS, SCRATCH */
	max_align_t	 align;
};

/*
 * Scratch mode (json_scratch_begin() to json_scratch_stop()): blocks are
 * carved in order from chunks kept for reuse and freeing one does nothing;
 * json_scratch_end() takes them all back at once, so a parsed page needs
 * no cJSON_Delete.
 */
struct json_chunk {
	struct json_chunk	*next;
	size_t			 size, used;
	union json_blk		 data[];
};

static union json_blk	*pool_free[JSON_POOL_NCLASS];
static char		*pool_slab;
static size_t		 pool_left;
static void		*pool_slabs;	/* the newest slab, each the one before */
static _Thread_local int pool_here;
static int		 scratch_on, scratch_live;
static struct json_chunk *scratch_head, *scratch_cur;

/*
 * The current chunk lacks sz bytes: make scratch_cur the next kept chunk
 * with room (emptied for reuse), or a new one.
 */
static void
scratch_next(size_t sz)
{
	struct json_chunk	*c = scratch_cur;
	size_t			 size;

	while (c != NULL && c->size - c->used < sz) {
		if ((c = c->next) != NULL)
			c->used = 0;
	}
	if (c == NULL) {
		size = sz > JSON_SCRATCH_CHUNK ? sz : JSON_SCRATCH_CHUNK;
		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = NULL;
		if (scratch_cur != NULL) {
			c->next = scratch_cur->next;
			scratch_cur->next = c;
		} else
			scratch_head = c;
	}
	scratch_cur = c;
}

/* see json.h */
int
json_scratch_begin(void)
{
	if (!pool_here || scratch_live)
		return 0;
	scratch_on = scratch_live = 1;
	scratch_cur = scratch_head;
	if (scratch_cur != NULL)
		scratch_cur->used = 0;
	return 1;
}

/* see json.h */
void
json_scratch_stop(void)
{
	if (pool_here)
		scratch_on = 0;
}

/* see json.h */
void
json_scratch_end(void)
{
	if (pool_here)
		scratch_on = scratch_live = 0;
}

/* see json.h */
void *
json_pool_malloc(size_t n)
{
	union json_blk	*b;
	size_t		 cls, sz;

	if (pool_here && scratch_on) {
		sz = (sizeof(*b) + n + JSON_POOL_GRAIN - 1) &
		    ~(size_t)(JSON_POOL_GRAIN - 1);
		if (scratch_cur == NULL ||
		    scratch_cur->size - scratch_cur->used < sz)
			scratch_next(sz);
		b = (union json_blk *)(void *)((char *)scratch_cur->data +
		    scratch_cur->used);
		scratch_cur->used += sz;
		b->cls = JSON_POOL_SCRATCH;
		return b + 1;	/* lives until json_scratch_end() */
	}
	if (n == 0 || n > JSON_POOL_MAX || !pool_here) {
		b = xmalloc(sizeof(*b) + n);
		b->cls = JSON_POOL_NCLASS;
		return b + 1;
	}
	cls = (n - 1) / JSON_POOL_GRAIN;
	if ((b = pool_free[cls]) != NULL) {
		pool_free[cls] = b->next;
	} else {
		sz = sizeof(*b) + (cls + 1) * JSON_POOL_GRAIN;
		if (pool_left < sz) {
			/*
			 * Slabs live until exit; each starts with a link to
			 * the one before, so all stay reachable (valgrind).
			 */
			pool_slab = xmalloc(JSON_POOL_SLAB);
			*(void **)(void *)pool_slab = pool_slabs;
			pool_slabs = pool_slab;
			pool_slab += sizeof(*b);
			pool_left = JSON_POOL_SLAB - sizeof(*b);
		}
		b = (union json_blk *)(void *)pool_slab;
		pool_slab += sz;
		pool_left -= sz;
	}
	b->cls = cls;
	return b + 1;
}

/* see json.h */
void
json_pool_free(void *p)
{
	union json_blk	*b;
	size_t		 cls;

	if (p == NULL)
		return;
	b = (union json_blk *)p - 1;
	if ((cls = b->cls) == JSON_POOL_SCRATCH)
		return;		/* taken back by json_scratch_end() */
	if (cls >= JSON_POOL_NCLASS) {
		free(b);
		return;
	}
	if (!pool_here) {
		/* A pool block freed by another thread: let it go. */
		return;
	}
	b->next = pool_free[cls];
	pool_free[cls] = b;
}

/* see json.h */
void
json_pool_install(void)
{
	cJSON_Hooks	 h;

	pool_here = 1;
	h.malloc_fn = json_pool_malloc;
	h.free_fn = json_pool_free;
	cJSON_InitHooks(&h);
}
