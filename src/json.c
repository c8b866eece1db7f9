/*
 * SPDX-License-Identifier: ISC
 *
 * Typed getters over cJSON (see json.h).  cJSON stores every number as a
 * double, so integers are accepted only when integral and within 2^53,
 * where the double is exact; GitHub's ids are far below that.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

#include "json.h"
#include "util.h"

#define JSON_INT_LIMIT	9007199254740992.0	/* 2^53 */

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
	if ((root = cJSON_ParseWithLength(text, len)) == NULL)
		return error_fmt(ERR_PROTO, "%s: invalid JSON", what);
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

/* see json.h */
const struct error *
json_opt_str(const cJSON *obj, const char *key, const char **out)
{
	const struct error	*e;
	const cJSON		*v;

	if ((e = member(obj, key, &v)) != NULL || v == NULL)
		return e;
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return wrong(key, "a string");
	*out = v->valuestring;
	return NULL;
}

/* see json.h */
const struct error *
json_get_str(const cJSON *obj, const char *key, const char **out)
{
	const struct error	*e;
	const char		*s = NULL;

	if ((e = json_opt_str(obj, key, &s)) != NULL)
		return e;
	if (s == NULL)
		return missing(key);
	*out = s;
	return NULL;
}

/* see json.h */
const struct error *
json_opt_i64(const cJSON *obj, const char *key, int64_t *out)
{
	const struct error	*e;
	const cJSON		*v;
	double			 d;

	if ((e = member(obj, key, &v)) != NULL || v == NULL)
		return e;
	if (!cJSON_IsNumber(v))
		return wrong(key, "a number");
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
json_get_i64(const cJSON *obj, const char *key, int64_t *out)
{
	const struct error	*e;
	const cJSON		*v;

	if ((e = member(obj, key, &v)) != NULL)
		return e;
	if (v == NULL)
		return missing(key);
	return json_opt_i64(obj, key, out);
}

/* see json.h */
const struct error *
json_opt_bool(const cJSON *obj, const char *key, int *out)
{
	const struct error	*e;
	const cJSON		*v;

	if ((e = member(obj, key, &v)) != NULL || v == NULL)
		return e;
	if (!cJSON_IsBool(v))
		return wrong(key, "true or false");
	*out = cJSON_IsTrue(v);
	return NULL;
}

/* see json.h */
const struct error *
json_get_bool(const cJSON *obj, const char *key, int *out)
{
	const struct error	*e;
	const cJSON		*v;

	if ((e = member(obj, key, &v)) != NULL)
		return e;
	if (v == NULL)
		return missing(key);
	return json_opt_bool(obj, key, out);
}

/* see json.h */
const struct error *
json_opt_array(const cJSON *obj, const char *key, const cJSON **out)
{
	const struct error	*e;
	const cJSON		*v;

	if ((e = member(obj, key, &v)) != NULL || v == NULL)
		return e;
	if (!cJSON_IsArray(v))
		return wrong(key, "an array");
	*out = v;
	return NULL;
}

/* see json.h */
const struct error *
json_get_array(const cJSON *obj, const char *key, const cJSON **out)
{
	const struct error	*e;
	const cJSON		*v = NULL;

	if ((e = json_opt_array(obj, key, &v)) != NULL)
		return e;
	if (v == NULL)
		return missing(key);
	*out = v;
	return NULL;
}

/* see json.h */
const struct error *
json_get_object(const cJSON *obj, const char *key, const cJSON **out)
{
	const struct error	*e;
	const cJSON		*v;

	if ((e = member(obj, key, &v)) != NULL)
		return e;
	if (v == NULL)
		return missing(key);
	if (!cJSON_IsObject(v))
		return wrong(key, "an object");
	*out = v;
	return NULL;
}

/* see json.h */
char *
json_print(const cJSON *node)
{
	char	*s;

	if ((s = cJSON_PrintUnformatted(node)) == NULL)
		s = xstrdup("null");	/* cJSON fails only on OOM */
	return s;
}
