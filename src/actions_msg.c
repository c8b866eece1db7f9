/*
 * SPDX-License-Identifier: ISC
 *
 * Pure JSON adapters for the GitHub Actions Service (see actions_msg.h).
 * The service is a .NET application: replies may start with a UTF-8 BOM,
 * lists come in a {"count", "value"} envelope, and the long-poll message
 * carries its job messages as a JSON array serialised into the string
 * field "body", so decoding is two-stage.  Field names and types follow
 * ../shared/reference/actions-service-protocol.md sections 3.2 and 4.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

#include "actions_msg.h"
#include "b64.h"
#include "json.h"
#include "sigv4.h"
#include "util.h"

#define JWT_PART_MAX	8192	/* decoded JWT claims */

/* A string field as a malloc'd copy; "" when missing or null. */
static const struct error *
dup_str(const cJSON *obj, const char *key, char **out)
{
	const struct error	*e;
	const char		*s = "";

	if ((e = json_opt_str(obj, key, &s)) != NULL)
		return e;
	*out = xstrdup(s);
	return NULL;
}

/* see actions_msg.h */
enum as_job_kind
asmsg_job_kind(const char *t)
{
	if (strcmp(t, "JobAvailable") == 0)
		return AS_JOB_AVAILABLE;
	if (strcmp(t, "JobAssigned") == 0)
		return AS_JOB_ASSIGNED;
	if (strcmp(t, "JobStarted") == 0)
		return AS_JOB_STARTED;
	if (strcmp(t, "JobCompleted") == 0)
		return AS_JOB_COMPLETED;
	return AS_JOB_OTHER;
}

static void
free_list(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* see actions_msg.h */
void
asmsg_job_release(struct as_job *j)
{
	free(j->message_type);
	free(j->repository_name);
	free(j->owner_name);
	free(j->job_id);
	free(j->job_workflow_ref);
	free(j->job_display_name);
	free(j->event_name);
	free_list(j->labels, j->nlabels);
	free(j->queue_time);
	free(j->scale_set_assign_time);
	free(j->runner_assign_time);
	free(j->finish_time);
	free(j->acquire_job_url);
	free(j->runner_name);
	free(j->result);
	memset(j, 0, sizeof(*j));
}

/* see actions_msg.h */
void
asmsg_message_release(struct as_message *m)
{
	size_t	 i;

	for (i = 0; i < m->njobs; i++)
		asmsg_job_release(&m->jobs[i]);
	free(m->jobs);
	free(m->bad);
	free(m->type);
	memset(m, 0, sizeof(*m));
}

/* see actions_msg.h */
void
asmsg_scale_set_release(struct as_scale_set *s)
{
	free(s->name);
	free(s->runner_group_name);
	free_list(s->labels, s->nlabels);
	memset(s, 0, sizeof(*s));
}

/* see actions_msg.h */
void
asmsg_session_release(struct as_session *s)
{
	free(s->owner_name);
	free(s->queue_url);
	secret_free(s->queue_token);
	memset(s, 0, sizeof(*s));
}

/* see actions_msg.h */
void
asmsg_runner_release(struct as_runner *r)
{
	free(r->name);
	memset(r, 0, sizeof(*r));
}

static const struct error *
parse_stats(const cJSON *obj, int *has, struct as_stats *st)
{
	const struct error	*e = NULL;
	const cJSON		*s;

	memset(st, 0, sizeof(*st));
	*has = 0;
	s = cJSON_GetObjectItemCaseSensitive(obj, "statistics");
	if (s == NULL || cJSON_IsNull(s))
		return NULL;
	if ((e = json_want_object(s, "statistics")) != NULL)
		return e;
	if ((e = json_opt_i64(s, "totalAvailableJobs", &st->available)) ||
	    (e = json_opt_i64(s, "totalAcquiredJobs", &st->acquired)) ||
	    (e = json_opt_i64(s, "totalAssignedJobs", &st->assigned)) ||
	    (e = json_opt_i64(s, "totalRunningJobs", &st->running)) ||
	    (e = json_opt_i64(s, "totalRegisteredRunners", &st->registered)) ||
	    (e = json_opt_i64(s, "totalBusyRunners", &st->busy)) ||
	    (e = json_opt_i64(s, "totalIdleRunners", &st->idle)))
		return error_wrap(e, "statistics");
	*has = 1;
	return NULL;
}

/* An array of strings, or of {"name": ...} objects (labels). */
static const struct error *
parse_names(const cJSON *obj, const char *key, char ***out, size_t *n)
{
	const struct error	*e;
	const cJSON		*a = NULL, *it, *nm;
	size_t			 cnt;

	*out = NULL;
	*n = 0;
	if ((e = json_opt_array(obj, key, &a)) != NULL || a == NULL)
		return e;
	cnt = (size_t)cJSON_GetArraySize(a);
	if (cnt > ASMSG_MAX_LABELS)
		return error_fmt(ERR_PROTO, "'%s' has more than %d entries",
		    key, ASMSG_MAX_LABELS);
	if (cnt == 0)
		return NULL;
	*out = xcalloc(cnt, sizeof(char *));
	cJSON_ArrayForEach(it, a) {
		nm = cJSON_IsObject(it) ?
		    cJSON_GetObjectItemCaseSensitive(it, "name") : it;
		if (!cJSON_IsString(nm)) {
			free_list(*out, *n);
			*out = NULL;
			*n = 0;
			return error_fmt(ERR_PROTO, "'%s' entries must be "
			    "strings or have a \"name\"", key);
		}
		(*out)[(*n)++] = xstrdup(nm->valuestring);
	}
	return NULL;
}

static const struct error *
parse_job(const cJSON *o, struct as_job *j)
{
	const struct error	*e;

	memset(j, 0, sizeof(*j));
	if ((e = json_want_object(o, "job message")) != NULL)
		return e;
	if ((e = dup_str(o, "messageType", &j->message_type)) ||
	    (e = dup_str(o, "repositoryName", &j->repository_name)) ||
	    (e = dup_str(o, "ownerName", &j->owner_name)) ||
	    (e = dup_str(o, "jobId", &j->job_id)) ||
	    (e = dup_str(o, "jobWorkflowRef", &j->job_workflow_ref)) ||
	    (e = dup_str(o, "jobDisplayName", &j->job_display_name)) ||
	    (e = dup_str(o, "eventName", &j->event_name)) ||
	    (e = dup_str(o, "queueTime", &j->queue_time)) ||
	    (e = dup_str(o, "scaleSetAssignTime", &j->scale_set_assign_time)) ||
	    (e = dup_str(o, "runnerAssignTime", &j->runner_assign_time)) ||
	    (e = dup_str(o, "finishTime", &j->finish_time)) ||
	    (e = dup_str(o, "acquireJobUrl", &j->acquire_job_url)) ||
	    (e = dup_str(o, "runnerName", &j->runner_name)) ||
	    (e = dup_str(o, "result", &j->result)) ||
	    (e = json_opt_i64(o, "runnerRequestId", &j->runner_request_id)) ||
	    (e = json_opt_i64(o, "workflowRunId", &j->workflow_run_id)) ||
	    (e = json_opt_i64(o, "runnerId", &j->runner_id)) ||
	    (e = parse_names(o, "requestLabels", &j->labels, &j->nlabels)))
		goto out;
	j->kind = asmsg_job_kind(j->message_type);
	if (j->kind == AS_JOB_AVAILABLE && j->runner_request_id <= 0)
		e = error_fmt(ERR_PROTO, "JobAvailable without a "
		    "runnerRequestId");
out:
	if (e != NULL) {
		asmsg_job_release(j);
		return error_wrap(e, "job message");
	}
	return NULL;
}

/* Set aside len bytes of text, part index of m's body, failed with e. */
static void
set_aside(struct as_message *m, long index, const char *text, size_t len,
    const struct error *e)
{
	struct as_bad	*b;

	m->bad = xrealloc(m->bad, (m->nbad + 1) * sizeof(*m->bad));
	b = &m->bad[m->nbad++];
	b->index = index;
	b->size = len;
	sigv4_sha256_hex(text, len, b->sha256);
	(void)str_copy(b->why, sizeof(b->why), e->msg);
}

/* Set aside the compact JSON of node, part index of m, failed with e. */
static void
set_aside_node(struct as_message *m, long index, const cJSON *node,
    const struct error *e)
{
	char	*s = json_print(node);

	set_aside(m, index, s, strlen(s), e);
	free(s);
}

/*
 * The "body" string: a JSON array of job messages.  What does not parse
 * is set aside (see actions_msg.h), never an error.
 */
static void
parse_jobs(const char *text, struct as_message *m)
{
	const struct error	*e;
	cJSON			*root = NULL;
	const cJSON		*it;
	size_t			 n;
	long			 i = 0;

	if (*text == '\0')
		return;
	if ((e = json_parse(text, strlen(text), "message body", &root)) !=
	    NULL)
		goto whole;
	if (!cJSON_IsArray(root)) {
		e = error_fmt(ERR_PROTO, "message body is not a JSON array");
		goto whole;
	}
	n = (size_t)cJSON_GetArraySize(root);
	if (n > ASMSG_MAX_JOBS) {
		e = error_fmt(ERR_PROTO, "message holds more than %d jobs",
		    ASMSG_MAX_JOBS);
		goto whole;
	}
	if (n > 0)
		m->jobs = xcalloc(n, sizeof(*m->jobs));
	cJSON_ArrayForEach(it, root) {
		if ((e = parse_job(it, &m->jobs[m->njobs])) == NULL)
			m->njobs++;
		else
			set_aside_node(m, i, it, e);
		i++;
	}
	cJSON_Delete(root);
	return;
whole:
	cJSON_Delete(root);
	set_aside(m, -1, text, strlen(text), e);
}

static int
blank(const char *s, size_t len)
{
	size_t	 i = 0;

	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		    s[i] != '\n')
			return 0;
	return 1;
}

/* see actions_msg.h */
const struct error *
asmsg_message(const char *body, size_t len, struct as_message *m)
{
	const struct error	*e;
	cJSON			*root = NULL;
	const char		*type, *text = "";

	memset(m, 0, sizeof(*m));
	if (blank(body, len))
		return error_fmt(ERR_PROTO, "empty message");
	if ((e = json_parse(body, len, "message", &root)) != NULL)
		return e;
	if ((e = json_want_object(root, "message")) != NULL ||
	    (e = json_get_i64(root, "messageId", &m->id)) != NULL)
		goto out;
	/* From here on, what is malformed is set aside (see the header). */
	if ((e = json_get_str(root, "messageType", &type)) != NULL) {
		set_aside_node(m, ASMSG_BAD_TYPE, root, e);
		type = "";
	}
	if ((e = parse_stats(root, &m->has_stats, &m->stats)) != NULL)
		set_aside_node(m, ASMSG_BAD_STATS,
		    cJSON_GetObjectItemCaseSensitive(root, "statistics"), e);
	m->type = xstrdup(type);
	if (strcmp(type, "RunnerScaleSetJobMessages") == 0) {
		if ((e = json_opt_str(root, "body", &text)) != NULL)
			set_aside_node(m, ASMSG_BAD_BODY,
			    cJSON_GetObjectItemCaseSensitive(root, "body"), e);
		else
			parse_jobs(text, m);
	}
	e = NULL;
out:
	cJSON_Delete(root);
	if (e != NULL) {
		asmsg_message_release(m);
		return error_wrap(e, "message");
	}
	return NULL;
}

static const struct error *
parse_scale_set(const cJSON *o, struct as_scale_set *s)
{
	const struct error	*e;

	memset(s, 0, sizeof(*s));
	if ((e = json_want_object(o, "scale set")) != NULL ||
	    (e = json_get_i64(o, "id", &s->id)) != NULL ||
	    (e = dup_str(o, "name", &s->name)) != NULL ||
	    (e = json_opt_i64(o, "runnerGroupId", &s->runner_group_id)) ||
	    (e = dup_str(o, "runnerGroupName", &s->runner_group_name)) ||
	    (e = parse_names(o, "labels", &s->labels, &s->nlabels)) ||
	    (e = parse_stats(o, &s->has_stats, &s->stats))) {
		asmsg_scale_set_release(s);
		return error_wrap(e, "scale set");
	}
	return NULL;
}

/* see actions_msg.h */
const struct error *
asmsg_scale_set(const char *body, size_t len, struct as_scale_set *out)
{
	const struct error	*e;
	cJSON			*root;

	memset(out, 0, sizeof(*out));
	if ((e = json_parse(body, len, "scale set", &root)) != NULL)
		return e;
	e = parse_scale_set(root, out);
	cJSON_Delete(root);
	return e;
}

/* The "value" array of a {"count", "value"} list; NULL root on error. */
static const struct error *
parse_list(const char *body, size_t len, const char *what, cJSON **root,
    const cJSON **value)
{
	const struct error	*e;

	*value = NULL;
	if ((e = json_parse(body, len, what, root)) != NULL)
		return e;
	if ((e = json_want_object(*root, what)) != NULL ||
	    (e = json_opt_array(*root, "value", value)) != NULL) {
		cJSON_Delete(*root);
		*root = NULL;
		return error_wrap(e, "%s", what);
	}
	return NULL;
}

/*
 * A name lookup's list reply: at most one item may match.  Parses that
 * item with fn into out and sets *found; more than one is ERR_PROTO.
 */
static const struct error *
parse_single(const char *body, size_t len, const char *what,
    const char *plural, const struct error *(*fn)(const cJSON *, void *),
    void *out, int *found)
{
	const struct error	*e;
	cJSON			*root;
	const cJSON		*v;
	int			 n;

	*found = 0;
	if ((e = parse_list(body, len, what, &root, &v)) != NULL)
		return e;
	n = v != NULL ? cJSON_GetArraySize(v) : 0;
	if (n > 1)
		e = error_fmt(ERR_PROTO, "multiple %s found with that name",
		    plural);
	else if (n == 1 && (e = fn(cJSON_GetArrayItem(v, 0), out)) == NULL)
		*found = 1;
	cJSON_Delete(root);
	return e;
}

static const struct error *
item_scale_set(const cJSON *o, void *out)
{
	return parse_scale_set(o, out);
}

static const struct error *
item_id(const cJSON *o, void *out)
{
	return json_get_i64(o, "id", out);
}

/* see actions_msg.h */
const struct error *
asmsg_scale_set_list(const char *body, size_t len, struct as_scale_set *out,
    int *found)
{
	memset(out, 0, sizeof(*out));
	return parse_single(body, len, "scale set list", "runner scale sets",
	    item_scale_set, out, found);
}

/* see actions_msg.h */
const struct error *
asmsg_runner_group_list(const char *body, size_t len, int64_t *id,
    int *found)
{
	return parse_single(body, len, "runner group list", "runner groups",
	    item_id, id, found);
}

static const struct error *
parse_runner(const cJSON *o, struct as_runner *r)
{
	const struct error	*e;

	memset(r, 0, sizeof(*r));
	if ((e = json_want_object(o, "runner")) != NULL ||
	    (e = json_get_i64(o, "id", &r->id)) != NULL ||
	    (e = dup_str(o, "name", &r->name)) != NULL ||
	    (e = json_opt_i64(o, "runnerScaleSetId", &r->scale_set_id))) {
		asmsg_runner_release(r);
		return error_wrap(e, "runner");
	}
	return NULL;
}

/* see actions_msg.h */
const struct error *
asmsg_runner(const char *body, size_t len, struct as_runner *out)
{
	const struct error	*e;
	cJSON			*root;

	memset(out, 0, sizeof(*out));
	if ((e = json_parse(body, len, "runner", &root)) != NULL)
		return e;
	e = parse_runner(root, out);
	cJSON_Delete(root);
	return e;
}

static const struct error *
item_runner(const cJSON *o, void *out)
{
	return parse_runner(o, out);
}

/* see actions_msg.h */
const struct error *
asmsg_runner_list(const char *body, size_t len, struct as_runner *out,
    int *found)
{
	memset(out, 0, sizeof(*out));
	return parse_single(body, len, "runner list", "runners", item_runner,
	    out, found);
}

/* see actions_msg.h */
const struct error *
asmsg_session(const char *body, size_t len, struct as_session *s)
{
	const struct error	*e;
	cJSON			*root = NULL;
	const cJSON		*ss;
	const char		*id, *url = "", *tok;

	memset(s, 0, sizeof(*s));
	if (blank(body, len))
		return error_fmt(ERR_PROTO, "session: empty reply");
	if ((e = json_parse(body, len, "session", &root)) != NULL)
		return e;
	if ((e = json_want_object(root, "session")) != NULL ||
	    (e = json_get_str(root, "sessionId", &id)) != NULL ||
	    (e = json_opt_str(root, "messageQueueUrl", &url)) != NULL ||
	    (e = json_get_str(root, "messageQueueAccessToken", &tok)) != NULL ||
	    (e = dup_str(root, "ownerName", &s->owner_name)) != NULL ||
	    (e = parse_stats(root, &s->has_stats, &s->stats)) != NULL)
		goto out;
	if (*id == '\0' || (e = str_copy(s->id, sizeof(s->id), id)) != NULL) {
		e = error_fmt(ERR_PROTO, "sessionId is empty or too long");
		goto out;
	}
	/* Seen during a GitHub incident (ARC#4370): no queue to poll. */
	if (*url == '\0') {
		e = error_fmt(ERR_PROTO, "the service returned an empty "
		    "messageQueueUrl");
		goto out;
	}
	if (*tok == '\0') {
		e = error_fmt(ERR_PROTO, "messageQueueAccessToken is empty");
		goto out;
	}
	ss = cJSON_GetObjectItemCaseSensitive(root, "runnerScaleSet");
	if (cJSON_IsObject(ss) &&
	    (e = json_opt_i64(ss, "id", &s->scale_set_id)) != NULL)
		goto out;
	s->queue_url = xstrdup(url);
	s->queue_token = xstrdup(tok);
out:
	cJSON_Delete(root);
	if (e != NULL) {
		asmsg_session_release(s);
		return error_wrap(e, "session");
	}
	return NULL;
}

/* see actions_msg.h */
const struct error *
asmsg_jit(const char *body, size_t len, char **jit, struct as_runner *runner)
{
	const struct error	*e;
	cJSON			*root;
	const char		*s;

	*jit = NULL;
	if (runner != NULL)
		memset(runner, 0, sizeof(*runner));
	if ((e = json_parse(body, len, "JIT config", &root)) != NULL)
		return e;
	if ((e = json_want_object(root, "JIT config")) != NULL ||
	    (e = json_get_str(root, "encodedJITConfig", &s)) != NULL)
		goto out;
	if (*s == '\0') {
		e = error_fmt(ERR_PROTO, "encodedJITConfig is empty");
		goto out;
	}
	if (runner != NULL && (e = parse_runner(
	    cJSON_GetObjectItemCaseSensitive(root, "runner"), runner)) != NULL)
		goto out;
	*jit = xstrdup(s);
out:
	cJSON_Delete(root);
	return e != NULL ? error_wrap(e, "JIT config") : NULL;
}

/* see actions_msg.h */
const struct error *
asmsg_registration(const char *body, size_t len, char **url, char **token)
{
	const struct error	*e;
	cJSON			*root;
	const char		*u, *t;

	*url = *token = NULL;
	if ((e = json_parse(body, len, "runner registration", &root)) != NULL)
		return e;
	if ((e = json_want_object(root, "runner registration")) != NULL ||
	    (e = json_get_str(root, "url", &u)) != NULL ||
	    (e = json_get_str(root, "token", &t)) != NULL)
		goto out;
	if (*u == '\0' || *t == '\0') {
		e = error_fmt(ERR_PROTO, "runner registration: empty url or "
		    "token");
		goto out;
	}
	*url = xstrdup(u);
	*token = xstrdup(t);
out:
	cJSON_Delete(root);
	return e;
}

/* see actions_msg.h */
const struct error *
asmsg_acquired(const char *body, size_t len, int64_t **ids, size_t *n)
{
	const struct error	*e = NULL;
	cJSON			*root;
	const cJSON		*v, *it;
	size_t			 cnt;

	*ids = NULL;
	*n = 0;
	if (body == NULL || len == 0)
		return error_fmt(ERR_PROTO, "acquire jobs: the service answered "
		    "with an empty body");
	if ((e = parse_list(body, len, "acquire jobs", &root, &v)) != NULL)
		return e;
	if (v == NULL)
		e = error_fmt(ERR_PROTO, "acquire jobs: no \"value\" list in "
		    "the reply");
	cnt = v != NULL ? (size_t)cJSON_GetArraySize(v) : 0;
	if (e == NULL && cnt > ASMSG_MAX_JOBS)
		e = error_fmt(ERR_PROTO, "acquire jobs: more than %d jobs",
		    ASMSG_MAX_JOBS);
	else if (e == NULL && cnt > 0) {
		*ids = xcalloc(cnt, sizeof(**ids));
		cJSON_ArrayForEach(it, v) {
			if ((e = json_as_i64(it, "value", &(*ids)[*n])) != NULL)
				break;
			(*n)++;
		}
	}
	cJSON_Delete(root);
	if (e != NULL) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return error_wrap(e, "acquire jobs");
	}
	return NULL;
}

/* see actions_msg.h */
const struct error *
asmsg_acquirable(const char *body, size_t len, int64_t **ids, size_t *n)
{
	const struct error	*e = NULL;
	cJSON			*root;
	const cJSON		*v, *it;
	size_t			 cnt;

	*ids = NULL;
	*n = 0;
	if ((e = parse_list(body, len, "acquirable jobs", &root, &v)) != NULL)
		return e;
	cnt = v != NULL ? (size_t)cJSON_GetArraySize(v) : 0;
	if (cnt > ASMSG_MAX_JOBS)
		e = error_fmt(ERR_PROTO, "more than %d acquirable jobs",
		    ASMSG_MAX_JOBS);
	else if (cnt > 0) {
		*ids = xcalloc(cnt, sizeof(**ids));
		cJSON_ArrayForEach(it, v) {
			if ((e = json_get_i64(it, "runnerRequestId",
			    &(*ids)[*n])) != NULL)
				break;
			(*n)++;
		}
	}
	cJSON_Delete(root);
	if (e != NULL) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return error_wrap(e, "acquirable jobs");
	}
	return NULL;
}

/* see actions_msg.h */
void
asmsg_error(const char *body, size_t len, char *tn, size_t tsize,
    char *msg, size_t msize)
{
	cJSON		*root = NULL;
	const char	*s;
	size_t		 i, n;

	tn[0] = msg[0] = '\0';
	if (blank(body, len))
		return;
	if (json_parse(body, len, "error", &root) == NULL &&
	    cJSON_IsObject(root)) {
		if (json_get_str(root, "typeName", &s) == NULL)
			(void)str_copy(tn, tsize, s);
		if (json_get_str(root, "message", &s) == NULL)
			snprintf(msg, msize, "%s", s);
		cJSON_Delete(root);
		return;
	}
	cJSON_Delete(root);
	/* text/plain: the first line, control characters dropped */
	for (i = n = 0; i < len && body[i] != '\n' && n + 1 < msize; i++)
		if ((unsigned char)body[i] >= 0x20)
			msg[n++] = body[i];
	msg[n] = '\0';
}

/* see actions_msg.h */
const struct error *
asmsg_jwt_exp(const char *token, int64_t *exp)
{
	const struct error	*e;
	struct buf		 claims = BUF_INIT(JWT_PART_MAX);
	const char		*p, *q;
	cJSON			*root = NULL;

	*exp = 0;
	if ((p = strchr(token, '.')) == NULL ||
	    (q = strchr(p + 1, '.')) == NULL)
		return error_fmt(ERR_PROTO, "token is not a JWT");
	if ((e = b64_decode(p + 1, (size_t)(q - p - 1), &claims)) != NULL) {
		e = error_fmt(ERR_PROTO, "token is not a JWT (bad base64)");
		goto out;
	}
	if (claims.len == 0 || (e = json_parse(claims.p, claims.len,
	    "JWT claims", &root)) != NULL ||
	    (e = json_want_object(root, "JWT claims")) != NULL ||
	    (e = json_get_i64(root, "exp", exp)) != NULL) {
		e = error_fmt(ERR_PROTO, "token has no numeric exp claim");
		goto out;
	}
out:
	cJSON_Delete(root);
	buf_release(&claims);
	return e;
}

/* Print root compactly into out and free it. */
static const struct error *
emit(cJSON *root, struct buf *out)
{
	const struct error	*e;
	char			*s;

	s = json_print(root);
	cJSON_Delete(root);
	e = buf_adds(out, s);
	free(s);
	return e;
}

/* see actions_msg.h */
const struct error *
asmsg_registration_request(const char *config_url, struct buf *out)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "url", config_url);
	cJSON_AddStringToObject(o, "runner_event", "register");
	return emit(o, out);
}

/* see actions_msg.h */
const struct error *
asmsg_scale_set_request(const char *name, int64_t group,
    const char *const *labels, size_t n, struct buf *out)
{
	cJSON	*o = cJSON_CreateObject(), *a, *l, *rs;
	size_t	 i;

	if (name != NULL)
		cJSON_AddStringToObject(o, "name", name);
	if (group > 0)
		cJSON_AddNumberToObject(o, "runnerGroupId", (double)group);
	a = cJSON_AddArrayToObject(o, "labels");
	for (i = 0; i < n; i++) {
		l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "type", "System");
		cJSON_AddStringToObject(l, "name", labels[i]);
		cJSON_AddItemToArray(a, l);
	}
	rs = cJSON_AddObjectToObject(o, "RunnerSetting");
	cJSON_AddBoolToObject(rs, "disableUpdate", 1);
	return emit(o, out);
}

/* see actions_msg.h */
const struct error *
asmsg_session_request(const char *owner, struct buf *out)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "ownerName", owner);
	return emit(o, out);
}

/* see actions_msg.h */
const struct error *
asmsg_jit_request(const char *name, const char *work_folder,
    struct buf *out)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "workFolder",
	    work_folder != NULL ? work_folder : "");
	return emit(o, out);
}

/* see actions_msg.h */
const struct error *
asmsg_acquire_request(const int64_t *ids, size_t n, struct buf *out)
{
	cJSON	*a = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)ids[i]));
	return emit(a, out);
}

/* see actions_msg.h */
const struct error *
asmsg_job_format(const struct as_job *j, struct buf *out)
{
	cJSON	*o = cJSON_CreateObject(), *a;
	size_t	 i;

	cJSON_AddStringToObject(o, "event", j->message_type);
	cJSON_AddNumberToObject(o, "runnerRequestId",
	    (double)j->runner_request_id);
	cJSON_AddStringToObject(o, "ownerName", j->owner_name);
	cJSON_AddStringToObject(o, "repositoryName", j->repository_name);
	cJSON_AddStringToObject(o, "jobId", j->job_id);
	cJSON_AddStringToObject(o, "jobWorkflowRef", j->job_workflow_ref);
	cJSON_AddStringToObject(o, "jobDisplayName", j->job_display_name);
	cJSON_AddNumberToObject(o, "workflowRunId", (double)j->workflow_run_id);
	cJSON_AddStringToObject(o, "eventName", j->event_name);
	a = cJSON_AddArrayToObject(o, "requestLabels");
	for (i = 0; i < j->nlabels; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(j->labels[i]));
	cJSON_AddStringToObject(o, "queueTime", j->queue_time);
	cJSON_AddStringToObject(o, "scaleSetAssignTime",
	    j->scale_set_assign_time);
	cJSON_AddStringToObject(o, "runnerAssignTime", j->runner_assign_time);
	cJSON_AddStringToObject(o, "finishTime", j->finish_time);
	if (j->kind == AS_JOB_AVAILABLE)
		cJSON_AddStringToObject(o, "acquireJobUrl", j->acquire_job_url);
	if (j->kind == AS_JOB_STARTED || j->kind == AS_JOB_COMPLETED) {
		cJSON_AddNumberToObject(o, "runnerId", (double)j->runner_id);
		cJSON_AddStringToObject(o, "runnerName", j->runner_name);
	}
	if (j->kind == AS_JOB_COMPLETED)
		cJSON_AddStringToObject(o, "result", j->result);
	return emit(o, out);
}

/* see actions_msg.h */
const struct error *
asmsg_stats_format(const struct as_stats *s, struct buf *out)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "event", "statistics");
	cJSON_AddNumberToObject(o, "totalAvailableJobs", (double)s->available);
	cJSON_AddNumberToObject(o, "totalAcquiredJobs", (double)s->acquired);
	cJSON_AddNumberToObject(o, "totalAssignedJobs", (double)s->assigned);
	cJSON_AddNumberToObject(o, "totalRunningJobs", (double)s->running);
	cJSON_AddNumberToObject(o, "totalRegisteredRunners",
	    (double)s->registered);
	cJSON_AddNumberToObject(o, "totalBusyRunners", (double)s->busy);
	cJSON_AddNumberToObject(o, "totalIdleRunners", (double)s->idle);
	return emit(o, out);
}

/* see actions_msg.h */
int
asmsg_labels_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t	 i, j;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (strcmp(a[i], b[j]) == 0)
				break;
		if (j == nb)
			return 0;
	}
	return 1;
}
