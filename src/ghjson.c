/*
 * SPDX-License-Identifier: ISC
 *
 * GitHub REST JSON <-> typed structs (see ghjson.h).  Shapes follow the
 * self-hosted runner endpoints (GitHub REST docs "REST API endpoints for
 * self-hosted runners"): a list page is {"total_count",
 * "runners": [Runner]}, a Runner has id, name, os, status, busy, labels
 * [{id, name, type}] and newer optional fields; tokens are {"token",
 * "expires_at"}; JIT configs {"runner", "encoded_jit_config"}.  Pure: the
 * fuzz target fuzz_ghjson feeds these parsers arbitrary bytes.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cJSON.h"

#include "ghjson.h"
#include "json.h"
#include "util.h"

#define GH_TOKEN_MAX	4096
#define GH_JIT_MAX	(64u << 10)

/* see ghjson.h */
void
gh_runner_release(struct gh_runner *r)
{
	free(r->labels);	/* one block: the pointers, then the names */
	memset(r, 0, sizeof(*r));
}

/* see ghjson.h */
void
gh_runner_copy(struct gh_runner *dst, const struct gh_runner *src)
{
	size_t		  i, len, size;
	const char	**lab;
	char		 *p;

	*dst = *src;
	size = (src->nlabels + 1) * sizeof(*lab);
	for (i = 0; i < src->nlabels; i++)
		size += strlen(src->labels[i]) + 1;
	lab = xcalloc(1, size);
	p = (char *)(lab + src->nlabels + 1);
	for (i = 0; i < src->nlabels; i++) {
		len = strlen(src->labels[i]);
		memcpy(p, src->labels[i], len + 1);
		lab[i] = p;
		p += len + 1;
	}
	dst->labels = lab;
}

/* see ghjson.h */
int
gh_runner_has_labels(const struct gh_runner *r, const char *const *labels,
    size_t nlabels)
{
	size_t	 i, j;

	for (i = 0; i < nlabels; i++) {
		for (j = 0; j < r->nlabels; j++)
			if (str_ieq(r->labels[j], labels[i]))
				break;
		if (j == r->nlabels)
			return 0;
	}
	return 1;
}

static const struct error *
copy_field(char *dst, size_t size, const char *s, const char *key)
{
	size_t	 n = strlen(s);

	if (n >= size)
		return error_fmt(ERR_PROTO, "field '%s' is longer than %zu "
		    "bytes", key, size - 1);
	memcpy(dst, s, n + 1);
	return NULL;
}

/* A label is a string or an object with a name. */
static const struct error *
label_name(const cJSON *l, const char **name)
{
	const struct error	*e;

	if (cJSON_IsString(l))
		*name = l->valuestring;
	else if ((e = json_get_str(l, "name", name)) != NULL)
		return error_wrap(e, "label");
	if (strnlen(*name, GH_LABEL_MAX) >= GH_LABEL_MAX)
		return error_fmt(ERR_PROTO, "label longer than %d bytes",
		    GH_LABEL_MAX - 1);
	return NULL;
}

/*
 * Point r's labels at the names in the tree: lab holds the pointers
 * (GH_RUNNER_MAX_LABELS + 1 of them), so reading a runner allocates
 * nothing.  The view lives as long as the tree (gh_runner_copy() keeps it).
 */
static const struct error *
runner_labels(const cJSON *arr, struct gh_runner *r, const char **lab)
{
	const struct error	*e;
	const cJSON		*l;
	size_t			 n = 0;

	r->labels = lab;
	cJSON_ArrayForEach(l, arr) {
		if (n == GH_RUNNER_MAX_LABELS)
			return error_fmt(ERR_PROTO, "runner has more than %d "
			    "labels", GH_RUNNER_MAX_LABELS);
		if ((e = label_name(l, &lab[n])) != NULL)
			return e;
		r->nlabels = ++n;
	}
	lab[n] = NULL;
	return NULL;
}

/* The members of a Runner object runner_from() reads, in this order. */
static const char *const runner_keys[] = {
	"id", "name", "os", "status", "busy", "ephemeral", "runner_group_id",
	"labels"
};
enum { RK_ID, RK_NAME, RK_OS, RK_STATUS, RK_BUSY, RK_EPHEMERAL, RK_GROUP,
	RK_LABELS, RK_N };

/*
 * Fill the view r from a Runner object, its members found in one walk
 * (10,000 runners a listing); its labels point into the tree through lab
 * (see runner_labels()).  r owns nothing.
 */
static const struct error *
runner_from(const cJSON *o, struct gh_runner *r, const char **lab)
{
	const struct error	*e = NULL;
	const cJSON		*f[RK_N], *labels = NULL;
	const char		*name, *status, *os = "";

	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(o)) {
		e = error_fmt(ERR_PROTO, "not a JSON object");
		goto fail;
	}
	json_fields(o, runner_keys, RK_N, f);
	if (f[RK_ID] == NULL)
		e = error_fmt(ERR_PROTO, "field 'id' is missing");
	else if (f[RK_NAME] == NULL)
		e = error_fmt(ERR_PROTO, "field 'name' is missing");
	else if (f[RK_STATUS] == NULL)
		e = error_fmt(ERR_PROTO, "field 'status' is missing");
	else if (f[RK_BUSY] == NULL)
		e = error_fmt(ERR_PROTO, "field 'busy' is missing");
	if (e != NULL ||
	    (e = json_as_i64(f[RK_ID], "id", &r->id)) != NULL ||
	    (e = json_as_str(f[RK_NAME], "name", &name)) != NULL ||
	    (e = copy_field(r->name, sizeof(r->name), name, "name")) != NULL ||
	    (f[RK_OS] != NULL &&
	    (e = json_as_str(f[RK_OS], "os", &os)) != NULL) ||
	    (e = copy_field(r->os, sizeof(r->os), os, "os")) != NULL ||
	    (e = json_as_str(f[RK_STATUS], "status", &status)) != NULL ||
	    (e = copy_field(r->status, sizeof(r->status), status,
	    "status")) != NULL ||
	    (e = json_as_bool(f[RK_BUSY], "busy", &r->busy)) != NULL ||
	    (f[RK_EPHEMERAL] != NULL && (e = json_as_bool(f[RK_EPHEMERAL],
	    "ephemeral", &r->ephemeral)) != NULL) ||
	    (f[RK_GROUP] != NULL && (e = json_as_i64(f[RK_GROUP],
	    "runner_group_id", &r->runner_group_id)) != NULL) ||
	    (f[RK_LABELS] != NULL && (e = json_as_array(f[RK_LABELS],
	    "labels", &labels)) != NULL))
		goto fail;
	r->online = strcmp(r->status, "online") == 0;
	if (labels != NULL && (e = runner_labels(labels, r, lab)) != NULL)
		goto fail;
	return NULL;
fail:
	memset(r, 0, sizeof(*r));
	return error_wrap(e, "runner");
}

/* see ghjson.h */
const struct error *
ghjson_runner_page(const char *body, size_t len, int64_t *total,
    gh_runner_fn fn, void *arg)
{
	const struct error	*e;
	const cJSON		*arr, *o;
	cJSON			*root;
	struct gh_runner	 r;
	const char		*lab[GH_RUNNER_MAX_LABELS + 1];
	int64_t			 t = 0;
	int			 scratch;

	/* 6,000 blocks a page: a scratch tree, taken back at once. */
	scratch = json_scratch_begin();
	e = json_parse(body, len, "runner list", &root);
	json_scratch_stop();
	if (e != NULL)
		goto out;
	if ((e = json_want_object(root, "runner list")) != NULL ||
	    (e = json_opt_i64(root, "total_count", &t)) != NULL ||
	    (e = json_get_array(root, "runners", &arr)) != NULL) {
		e = error_wrap(e, "runner list");
		goto out;
	}
	if (total != NULL)
		*total = t;
	cJSON_ArrayForEach(o, arr) {
		if ((e = runner_from(o, &r, lab)) != NULL ||
		    (e = fn(arg, &r)) != NULL)
			goto out;
	}
out:
	if (scratch)
		json_scratch_end();
	else
		cJSON_Delete(root);
	return e;
}

/* see ghjson.h */
const struct error *
ghjson_runner(const char *body, size_t len, struct gh_runner *out)
{
	const struct error	*e;
	cJSON			*root;
	struct gh_runner	 r;
	const char		*lab[GH_RUNNER_MAX_LABELS + 1];

	memset(out, 0, sizeof(*out));
	if ((e = json_parse(body, len, "runner", &root)) != NULL)
		return e;
	if ((e = runner_from(root, &r, lab)) == NULL)
		gh_runner_copy(out, &r);
	cJSON_Delete(root);
	return e;
}

/* see ghjson.h */
const struct error *
ghjson_token(const char *body, size_t len, char **token, char *expires,
    size_t expires_size, int64_t *exp_unix)
{
	const struct error	*e;
	cJSON			*root;
	const char		*tok, *exp = NULL;
	int64_t			 t = 0;

	*token = NULL;
	if ((e = json_parse(body, len, "token reply", &root)) != NULL)
		return e;
	if ((e = json_get_str(root, "token", &tok)) != NULL ||
	    (e = json_opt_str(root, "expires_at", &exp)) != NULL) {
		e = error_wrap(e, "token reply");
		goto out;
	}
	if (*tok == '\0' || strlen(tok) > GH_TOKEN_MAX ||
	    strpbrk(tok, " \t\r\n") != NULL) {
		e = error_fmt(ERR_PROTO, "token reply: unusable token");
		goto out;
	}
	if (exp != NULL && parse_rfc3339(exp, &t) == -1) {
		e = error_fmt(ERR_PROTO, "token reply: expires_at '%.40s' is "
		    "not an RFC 3339 time", exp);
		goto out;
	}
	if (expires != NULL && expires_size > 0)
		snprintf(expires, expires_size, "%s", exp != NULL ? exp : "");
	if (exp_unix != NULL)
		*exp_unix = t;
	*token = xstrdup(tok);
out:
	cJSON_Delete(root);
	return e;
}

/* see ghjson.h */
const struct error *
ghjson_jit(const char *body, size_t len, char **jit, struct gh_runner *runner)
{
	const struct error	*e;
	cJSON			*root;
	const cJSON		*r;
	const char		*cfg, *lab[GH_RUNNER_MAX_LABELS + 1];
	struct gh_runner	 view;

	*jit = NULL;
	if (runner != NULL)
		memset(runner, 0, sizeof(*runner));
	if ((e = json_parse(body, len, "JIT config reply", &root)) != NULL)
		return e;
	if ((e = json_get_str(root, "encoded_jit_config", &cfg)) != NULL ||
	    (e = json_get_object(root, "runner", &r)) != NULL) {
		e = error_wrap(e, "JIT config reply");
		goto out;
	}
	if (*cfg == '\0' || strlen(cfg) > GH_JIT_MAX) {
		e = error_fmt(ERR_PROTO, "JIT config reply: unusable "
		    "encoded_jit_config");
		goto out;
	}
	if (runner != NULL) {
		if ((e = runner_from(r, &view, lab)) != NULL)
			goto out;
		gh_runner_copy(runner, &view);
	}
	*jit = xstrdup(cfg);
out:
	cJSON_Delete(root);
	return e;
}

/* see ghjson.h */
const struct error *
ghjson_installation(const char *body, size_t len, int64_t *id)
{
	const struct error	*e;
	cJSON			*root;

	if ((e = json_parse(body, len, "installation", &root)) != NULL)
		return e;
	if ((e = json_get_i64(root, "id", id)) != NULL)
		e = error_wrap(e, "installation");
	else if (*id <= 0)
		e = error_fmt(ERR_PROTO, "installation: bad id");
	cJSON_Delete(root);
	return e;
}

static void
append(char *dst, size_t size, const char *sep, const char *s)
{
	size_t	 n = strlen(dst);

	if (n + 1 < size)
		snprintf(dst + n, size - n, "%s%s", n > 0 ? sep : "", s);
}

/* see ghjson.h */
int
ghjson_error_message(const char *body, size_t len, char *dst, size_t size)
{
	cJSON		*root;
	const cJSON	*errs = NULL, *it;
	const char	*msg = NULL, *s;

	if (size == 0)
		return -1;
	dst[0] = '\0';
	if (json_parse(body, len, "error", &root) != NULL)
		return -1;
	if (json_opt_str(root, "message", &msg) == NULL && msg != NULL)
		append(dst, size, "; ", msg);
	if (json_opt_array(root, "errors", &errs) == NULL && errs != NULL) {
		cJSON_ArrayForEach(it, errs) {
			s = NULL;
			if (cJSON_IsString(it))
				s = it->valuestring;
			else if (json_opt_str(it, "message", &s) != NULL ||
			    s == NULL)
				(void)json_opt_str(it, "code", &s);
			if (s != NULL)
				append(dst, size, "; ", s);
		}
	}
	cJSON_Delete(root);
	return dst[0] != '\0' ? 0 : -1;
}

/* see ghjson.h */
const struct error *
ghjson_jit_request(const char *name, const char *const *labels,
    size_t nlabels, int64_t runner_group_id, struct buf *out)
{
	const struct error	*e = NULL;
	cJSON			*root, *arr;
	char			*s = NULL;
	size_t			 i;

	root = cJSON_CreateObject();
	if (root == NULL ||
	    cJSON_AddStringToObject(root, "name", name) == NULL ||
	    cJSON_AddNumberToObject(root, "runner_group_id",
	    (double)runner_group_id) == NULL ||
	    (arr = cJSON_AddArrayToObject(root, "labels")) == NULL)
		goto oom;
	for (i = 0; i < nlabels; i++) {
		cJSON	*l = cJSON_CreateString(labels[i]);

		if (l == NULL || !cJSON_AddItemToArray(arr, l))
			goto oom;
	}
	if ((s = cJSON_PrintUnformatted(root)) == NULL)
		goto oom;
	e = buf_adds(out, s);
	cJSON_free(s);
	cJSON_Delete(root);
	return e;
oom:
	cJSON_Delete(root);
	return error_fmt(ERR_SOFTWARE, "out of memory building JSON");
}

/* see ghjson.h */
const struct error *
ghjson_runner_format(const struct gh_runner *r, struct buf *out)
{
	const struct error	*e;
	cJSON			*o, *arr;
	char			*s;
	size_t			 i;

	o = cJSON_CreateObject();
	if (o == NULL ||
	    cJSON_AddNumberToObject(o, "id", (double)r->id) == NULL ||
	    cJSON_AddStringToObject(o, "name", r->name) == NULL ||
	    cJSON_AddStringToObject(o, "status", r->status) == NULL ||
	    cJSON_AddBoolToObject(o, "busy", r->busy) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "labels")) == NULL)
		goto oom;
	for (i = 0; i < r->nlabels; i++) {
		cJSON	*l = cJSON_CreateString(r->labels[i]);

		if (l == NULL || !cJSON_AddItemToArray(arr, l))
			goto oom;
	}
	if (cJSON_AddStringToObject(o, "os", r->os) == NULL ||
	    (s = cJSON_PrintUnformatted(o)) == NULL)
		goto oom;
	e = buf_adds(out, s);
	cJSON_free(s);
	cJSON_Delete(o);
	return e;
oom:
	cJSON_Delete(o);
	return error_fmt(ERR_SOFTWARE, "out of memory building JSON");
}

struct ghjson_fmt {
	cJSON	*root;
	cJSON	*name, *status, *busy, *labels, *os;	/* "id" is raw */
	char	*text;		/* print buffer */
	size_t	 cap;
};

static cJSON *
fmt_add(cJSON *root, const char *key, cJSON *item, int *bad)
{
	if (item == NULL || !cJSON_AddItemToObject(root, key, item)) {
		cJSON_Delete(item);
		*bad = 1;
	}
	return item;
}

/* see ghjson.h */
const struct error *
ghjson_fmt_new(struct ghjson_fmt **out)
{
	struct ghjson_fmt	*f = xcalloc(1, sizeof(*f));
	int			 bad = 0;

	*out = NULL;
	if ((f->root = cJSON_CreateObject()) == NULL) {
		free(f);
		return error_fmt(ERR_SOFTWARE, "out of memory building JSON");
	}
	(void)fmt_add(f->root, "id", cJSON_CreateRaw("0"), &bad);
	f->name = fmt_add(f->root, "name", cJSON_CreateString(""), &bad);
	f->status = fmt_add(f->root, "status", cJSON_CreateString(""), &bad);
	f->busy = fmt_add(f->root, "busy", cJSON_CreateFalse(), &bad);
	f->labels = fmt_add(f->root, "labels", cJSON_CreateArray(), &bad);
	f->os = fmt_add(f->root, "os", cJSON_CreateString(""), &bad);
	if (bad) {
		ghjson_fmt_free(f);
		return error_fmt(ERR_SOFTWARE, "out of memory building JSON");
	}
	*out = f;
	return NULL;
}

/* see ghjson.h */
void
ghjson_fmt_free(struct ghjson_fmt *f)
{
	if (f == NULL)
		return;
	cJSON_Delete(f->root);
	free(f->text);
	free(f);
}

/* see ghjson.h */
const struct error *
ghjson_fmt_runner(struct ghjson_fmt *f, const struct gh_runner *r,
    struct buf *out)
{
	cJSON	*l, *next;
	size_t	 i, need;
	char	 num[24];

	/*
	 * The id as a raw integer: cJSON prints a number with "%1.15g" and
	 * reads it back with sscanf to check, a third of the printing time.
	 */
	snprintf(num, sizeof(num), "%lld", (long long)r->id);
	if ((l = cJSON_CreateRaw(num)) == NULL ||
	    !cJSON_ReplaceItemInObjectCaseSensitive(f->root, "id", l)) {
		cJSON_Delete(l);
		return error_fmt(ERR_SOFTWARE, "out of memory building JSON");
	}
	if (cJSON_SetValuestring(f->name, r->name) == NULL ||
	    cJSON_SetValuestring(f->status, r->status) == NULL ||
	    cJSON_SetValuestring(f->os, r->os) == NULL)
		return error_fmt(ERR_SOFTWARE, "out of memory building JSON");
	f->busy->type = r->busy ? cJSON_True : cJSON_False;
	/* Reuse the label nodes; add or drop the difference. */
	need = strlen(r->name) + strlen(r->os) + 128;
	for (i = 0, l = f->labels->child; i < r->nlabels; i++) {
		need += strlen(r->labels[i]) + 3;
		if (l != NULL) {
			if (cJSON_SetValuestring(l, r->labels[i]) == NULL)
				return error_fmt(ERR_SOFTWARE, "out of memory "
				    "building JSON");
			l = l->next;
		} else if ((next = cJSON_CreateString(r->labels[i])) == NULL ||
		    !cJSON_AddItemToArray(f->labels, next))
			return error_fmt(ERR_SOFTWARE, "out of memory building "
			    "JSON");
	}
	while (l != NULL) {
		next = l->next;
		cJSON_Delete(cJSON_DetachItemViaPointer(f->labels, l));
		l = next;
	}
	/* Escapes make text up to 6 times longer (\u00XX). */
	need = need * 6 + 64;
	if (need > f->cap) {
		free(f->text);
		f->cap = need;
		f->text = xmalloc(f->cap);
	}
	if (f->cap > INT32_MAX ||
	    !cJSON_PrintPreallocated(f->root, f->text, (int)f->cap, 0))
		return error_fmt(ERR_SOFTWARE, "cannot print runner JSON");
	buf_reset(out);
	return buf_adds(out, f->text);
}
