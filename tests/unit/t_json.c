/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of json.c: typed getters return errors, never NULLs.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

#include "json.h"
#include "t.h"

T_REGISTER("json", t_json)
T_REGISTER("json_depth", t_json_depth)

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
