/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of json.c: typed getters return errors, never NULLs.
 */

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

#include "json.h"
#include "t.h"

T_REGISTER("json", t_json)
T_REGISTER("json_depth", t_json_depth)
T_REGISTER("json_int64", t_json_int64)
T_REGISTER("json_pool", t_json_pool)
T_REGISTER("json_scratch", t_json_scratch)

/* Another thread's allocation: from malloc, not the pool's lists. */
static void *
pool_other(void *arg)
{
	char	*p = json_pool_malloc(16);

	memset(p, 'z', 16);
	*(char **)arg = p;
	return NULL;
}

/* The size-class pool behind cJSON in the release build. */
static void
t_json_pool(void)
{
	char		*a, *b, *c, *big, *o = NULL, *v[200];
	size_t		 i;
	int		 ok = 1;
	pthread_t	 th;

	json_pool_install();	/* the pool serves this thread */
	a = json_pool_malloc(1);
	b = json_pool_malloc(16);
	c = json_pool_malloc(17);
	T_TRUE(a != NULL && b != NULL && c != NULL);
	T_TRUE(((uintptr_t)a | (uintptr_t)b | (uintptr_t)c) % 16 == 0);
	memset(c, 'x', 17);
	json_pool_free(b);
	T_TRUE(json_pool_malloc(9) == b);	/* same class: reused */
	T_TRUE(json_pool_malloc(9) != b);
	big = json_pool_malloc(100000);		/* past the pool: malloc */
	memset(big, 'y', 100000);
	json_pool_free(big);
	for (i = 0; i < 200; i++) {		/* spans several slabs */
		v[i] = json_pool_malloc(1 + i % 256);
		memset(v[i], (int)i, 1 + i % 256);
	}
	for (i = 0; i < 200; i++)
		if (v[i][i % 256] != (char)i)
			ok = 0;
	T_TRUE(ok);
	for (i = 0; i < 200; i++)
		json_pool_free(v[i]);
	json_pool_free(NULL);
	T_TRUE(c[16] == 'x');
	/* A block of another thread is freed here and never reused here. */
	T_TRUE(pthread_create(&th, NULL, pool_other, &o) == 0);
	T_TRUE(pthread_join(th, NULL) == 0);
	T_TRUE(o != NULL && o[15] == 'z');
	json_pool_free(o);
	b = json_pool_malloc(16);
	T_TRUE(b != o);
	json_pool_free(b);
	/* cJSON through the hooks: parse, print, free. */
	{
		cJSON	*r = NULL;
		char	*s;

		T_OK(json_parse("{\"a\":[1,2,{\"b\":\"c\"}]}", 21, "t", &r));
		s = cJSON_PrintUnformatted(r);
		T_EQ_STR(s, "{\"a\":[1,2,{\"b\":\"c\"}]}");
		cJSON_free(s);
		cJSON_Delete(r);
	}
	cJSON_InitHooks(NULL);
}

/* Nesting past JSON_MAX_DEPTH is refused by the parser, not the stack. */
static void
t_json_depth(void)
{
	char	 b[2 * (JSON_MAX_DEPTH + 1) + 1];
	cJSON	*root = NULL;

	memset(b, '[', JSON_MAX_DEPTH + 1);
	memset(b + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
	b[sizeof(b) - 1] = '\0';
	T_ERR(json_parse(b, sizeof(b) - 1, "deep", &root), ERR_PROTO);
	T_TRUE(root == NULL);
	T_OK(json_parse(b + 1, sizeof(b) - 3, "deep", &root));
	cJSON_Delete(root);
}

static void
t_json(void)
{
	cJSON		*root;
	const cJSON	*a;
	const char	*s = "unchanged";
	const char	*doc = "{\"s\":\"x\",\"n\":42,\"f\":1.5,\"big\":1e300,"
	    "\"b\":true,\"nul\":null,\"a\":[1],\"o\":{}}";
	char		 deep[300];
	int64_t		 n = 7;
	int		 b = 0, i;

	T_OK(json_parse(doc, strlen(doc), "test", &root));
	T_OK(json_get_str(root, "s", &s));
	T_EQ_STR(s, "x");
	T_ERR(json_get_str(root, "n", &s), ERR_PROTO);
	T_ERR(json_get_str(root, "missing", &s), ERR_PROTO);
	T_ERR(json_get_str(root, "nul", &s), ERR_PROTO);
	s = "unchanged";
	T_OK(json_opt_str(root, "missing", &s));
	T_OK(json_opt_str(root, "nul", &s));
	T_EQ_STR(s, "unchanged");
	T_OK(json_get_i64(root, "n", &n));
	T_EQ_INT(n, 42);
	T_ERR(json_get_i64(root, "f", &n), ERR_PROTO);
	T_ERR(json_get_i64(root, "big", &n), ERR_PROTO);
	T_ERR(json_get_i64(root, "s", &n), ERR_PROTO);
	T_OK(json_get_bool(root, "b", &b));
	T_EQ_INT(b, 1);
	T_ERR(json_get_bool(root, "n", &b), ERR_PROTO);
	T_OK(json_get_array(root, "a", &a));
	T_ERR(json_get_array(root, "o", &a), ERR_PROTO);
	T_OK(json_get_object(root, "o", &a));
	T_ERR(json_get_object(root, "a", &a), ERR_PROTO);
	T_ERR(json_get_str(cJSON_GetObjectItem(root, "a"), "x", &s), ERR_PROTO);
	cJSON_Delete(root);

	T_ERR(json_parse("{", 1, "test", &root), ERR_PROTO);
	T_TRUE(root == NULL);
	T_ERR(json_parse("", 0, "test", &root), ERR_PROTO);
	T_OK(json_parse("\xef\xbb\xbf[]", 5, "test", &root));
	cJSON_Delete(root);
	/* Only the first len bytes count. */
	T_OK(json_parse("{}garbage", 2, "test", &root));
	cJSON_Delete(root);
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	for (i = 100; i < 200; i++)
		deep[i] = ']';
	T_ERR(json_parse(deep, 200, "test", &root), ERR_PROTO);
	T_OK(json_parse("[\"[[[[\"]", 8, "test", &root));
	cJSON_Delete(root);
}

static void *
scratch_other(void *arg)
{
	*(int *)arg = json_scratch_begin();
	return NULL;
}

/* Scratch trees: carved from reused chunks, taken back all at once. */
static void
t_json_scratch(void)
{
	cJSON		*r = NULL, *r2 = NULL;
	char		*big, *doc, *a, *b;
	size_t		 n = 300u << 10;	/* a string past one chunk */
	int		 i, other = -1;
	pthread_t	 th;

	T_TRUE(pthread_create(&th, NULL, scratch_other, &other) == 0);
	T_TRUE(pthread_join(th, NULL) == 0);
	T_TRUE(other == 0);			/* no pool on that thread */
	json_pool_install();
	for (i = 0; i < 3; i++) {		/* chunks reused page after page */
		T_TRUE(json_scratch_begin() == 1);
		T_TRUE(json_scratch_begin() == 0);	/* one live tree at a time */
		T_OK(json_parse("{\"a\":[1,2,{\"b\":\"c\"}]}", 21, "t", &r));
		json_scratch_stop();
		a = json_pool_malloc(16);	/* after stop: the pool again */
		json_pool_free(a);
		T_TRUE(json_pool_malloc(16) == a);
		json_pool_free(a);
		T_EQ_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "a"), 2)->
		    child->valuestring, "c");
		cJSON_Delete(r);		/* frees nothing */
		json_scratch_end();
	}
	/* A block larger than a chunk, then small ones after it. */
	doc = malloc(n + 16);
	doc[0] = '"';
	memset(doc + 1, 'x', n);
	memcpy(doc + 1 + n, "\"", 2);
	T_TRUE(json_scratch_begin() == 1);
	T_OK(json_parse(doc, n + 2, "t", &r));
	T_OK(json_parse("[true]", 6, "t", &r2));
	json_scratch_stop();
	big = r->valuestring;
	T_TRUE(strlen(big) == n && big[n - 1] == 'x');
	T_TRUE(cJSON_IsTrue(r2->child));
	b = (char *)r2;
	T_TRUE(b < big || b > big + n);		/* no overlap */
	json_scratch_end();
	free(doc);
	cJSON_InitHooks(NULL);
}


/* Parse doc and read its member "n" as an int64 (ERR_PROTO or NULL). */
static const struct error *
int_of(const char *doc, int64_t *n)
{
	const struct error	*e;
	cJSON			*root;

	if ((e = json_parse(doc, strlen(doc), "test", &root)) != NULL)
		return e;
	e = json_get_i64(root, "n", n);
	cJSON_Delete(root);
	return e;
}

/*
 * Integers are read from the number's text, never rounded: what a double
 * cannot hold exactly, a fraction or an exponent is malformed.
 */
static void
t_json_int64(void)
{
	static const char *const bad[] = {
		"{\"n\":9007199254740993}",		/* 2^53+1 */
		"{\"n\":-9007199254740993}",
		"{\"n\":9223372036854775807}",	/* 2^63-1 */
		"{\"n\":9223372036854775808}",	/* 2^63 */
		"{\"n\":-9223372036854775809}",
		"{\"n\":18446744073709551616}",	/* 2^64 */
		"{\"n\":18446744073709551617}",
		"{\"n\":99999999999999999999999999}",
		"{\"n\":1.5}",
		"{\"n\":1.0}",
		"{\"n\":1.0000000000000000001}",
		"{\"n\":9007199254740990.6}",
		"{\"n\":1e3}",
		"{\"n\":-0.0}",
		"{\"n\":\"5\"}",
		"{\"n\":[5]}",
		"{\"n\":true}",
	};
	int64_t		 n;
	size_t		 i;
	const char	*doc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 7;
		T_ERR(int_of(bad[i], &n), ERR_PROTO);
		T_EQ_INT(n, 7);
	}
	T_OK(int_of("{\"n\":9007199254740992}", &n));	/* 2^53 */
	T_EQ_INT(n, 9007199254740992LL);
	T_OK(int_of("{\"n\":-9007199254740992}", &n));
	T_EQ_INT(n, -9007199254740992LL);
	T_OK(int_of("{\"n\":9007199254740991}", &n));
	T_EQ_INT(n, 9007199254740991LL);
	T_OK(int_of("{\"n\":-42}", &n));
	T_EQ_INT(n, -42);
	T_OK(int_of("{\"n\":0}", &n));
	T_EQ_INT(n, 0);
	/* Numbers inside strings and keys do not confuse the reading. */
	doc = "{\"a\":\"1.5 \\\" 9007199254740993\",\"9.5\":[1,2.5,"
	    "{\"x\":1e9}],\"n\":123456789012345}";
	T_OK(int_of(doc, &n));
	T_EQ_INT(n, 123456789012345LL);
	/* A string ending in an escaped backslash, then one with \\\" */
	doc = "{\"a\":\"x\\\\\",\"b\":2.5,\"c\":\"\\\\\\\"9.5\",\"n\":12}";
	T_OK(int_of(doc, &n));
	T_EQ_INT(n, 12);
	doc = "{\"a\":\"x\\\\\",\"n\":1.5}";
	T_ERR(int_of(doc, &n), ERR_PROTO);
	doc = "{\"a\":[1.5,\"x\"],\"n\":9007199254740993,\"m\":7}";
	T_ERR(int_of(doc, &n), ERR_PROTO);
	{
		cJSON	*root;

		T_OK(json_parse(doc, strlen(doc), "test", &root));
		T_OK(json_get_i64(root, "m", &n));
		T_EQ_INT(n, 7);
		/* the double is still there for non-integer readers */
		T_TRUE(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "a"),
		    0)->valuedouble == 1.5);
		cJSON_Delete(root);
	}
}
