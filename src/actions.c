/*
 * SPDX-License-Identifier: ISC
 *
 * GitHub Actions Service client (see actions.h).  Every request goes
 * through as_call(): it builds the absolute URL (admin calls: the service
 * URL joined with the path, the query, then api-version=6.0-preview; queue
 * calls: the session's messageQueueUrl verbatim), picks the token,
 * re-registers when the admin JWT is within ACTIONS_TOKEN_LEEWAY of its
 * exp, runs the exchange through call_do() (5 attempts, backoff, 429/5xx
 * retried; 401/403 also retried on the registration exchange because a
 * fresh registration token can take a moment to become valid), and turns
 * any unexpected status into one error line that names the service's
 * exception (typeName) and ActivityId.  Facts:
 * ../shared/reference/actions-service-protocol.md sections 2.3, 2.4, 3, 5.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions.h"
#include "actions_msg.h"
#include "buf.h"
#include "call.h"
#include "log.h"
#include "url.h"
#include "util.h"

#define AS_URL_MAX	8192
#define AS_BODY_MAX	(64u << 10)	/* request bodies */
#define AS_SS_PATH	"_apis/runtime/runnerscalesets"
#define AS_RUNNER_PATH	"_apis/distributedtask/pools/0/agents"
#define AS_GROUP_PATH	"_apis/runtime/runnergroups/"

struct actions {
	struct http_client	*http;
	char			*config_url;
	char			*api_base;
	actions_regtoken_fn	 regtoken;
	void			*regtoken_arg;
	char			*service_url;	/* no trailing slash */
	char			*admin_token;	/* secret */
	int64_t			 admin_exp;	/* unix seconds */
	enum as_exc		 exc;
	uint64_t		 requests;
	uint64_t		 refreshes;
	int			 poll_deadline_ms;	/* 0: the long poll */
};

enum as_auth {
	AS_AUTH_ADMIN = 0,
	AS_AUTH_QUEUE,
	AS_AUTH_REMOTE		/* RemoteAuth <registration token> */
};

struct as_req {
	const char		*what;		/* "create session", for messages */
	const char		*method;
	const char		*url;
	enum as_auth		 auth;
	const char		*token;		/* queue or registration token */
	const struct buf	*body;		/* NULL: none */
	int			 ok1, ok2;	/* accepted statuses (ok2 0: none) */
	int			 long_poll;
	unsigned int		 max_capacity;	/* long poll only */
};

static const struct retry_policy as_retry = { 5, 1000, 30000, 120000 };
/* A long poll under a client-side deadline: cut short, never retried. */
static const struct retry_policy as_once = { 1, 1000, 1000, 1000 };

/* see actions.h */
const struct error *
actions_new(const struct actions_opts *o, struct actions **out)
{
	struct actions	*as;

	*out = NULL;
	if (o->http == NULL || o->config_url == NULL || o->api_base == NULL ||
	    o->regtoken == NULL)
		return error_fmt(ERR_SOFTWARE, "actions_new: missing option");
	as = xcalloc(1, sizeof(*as));
	as->http = o->http;
	as->config_url = xstrdup(o->config_url);
	as->api_base = xstrdup(o->api_base);
	as->regtoken = o->regtoken;
	as->regtoken_arg = o->regtoken_arg;
	*out = as;
	return NULL;
}

/* see actions.h */
void
actions_free(struct actions *as)
{
	if (as == NULL)
		return;
	free(as->config_url);
	free(as->api_base);
	free(as->service_url);
	secret_free(as->admin_token);
	free(as);
}

/* see actions.h */
enum as_exc
actions_exception(const struct actions *as)
{
	return as->exc;
}

/* see actions.h */
uint64_t
actions_requests(const struct actions *as)
{
	return as->requests;
}

/* see actions.h */
uint64_t
actions_session_refreshes(const struct actions *as)
{
	return as->refreshes;
}

/* Retry what call_classify_default retries, except 501; for the
 * registration exchange also 401/403. */
static enum call_verdict
as_classify(void *arg, const struct error *e, const struct http_resp *resp,
    int *wait_ms)
{
	const struct as_req	*r = arg;

	if (e == NULL && resp->status == 501)
		return CALL_DONE;
	if (e == NULL && r->auth == AS_AUTH_REMOTE &&
	    (resp->status == 401 || resp->status == 403))
		return CALL_RETRY;
	return call_classify_default(NULL, e, resp, wait_ms);
}

static enum as_exc
exc_from(int status, const char *tn)
{
	if (strstr(tn, "RunnerScaleSetSessionConflictException") != NULL)
		return AS_EXC_SESSION_CONFLICT;
	if (strstr(tn, "RunnerScaleSetSessionExpiredException") != NULL ||
	    strstr(tn, "RunnerAdminException") != NULL ||
	    strstr(tn, "MessageSessionNotFound") != NULL)
		return AS_EXC_SESSION_GONE;
	if (strstr(tn, "RunnerScaleSetNotFoundException") != NULL)
		return AS_EXC_SCALE_SET_NOT_FOUND;
	if (strstr(tn, "JobStillRunningException") != NULL)
		return AS_EXC_JOB_STILL_RUNNING;
	if (strstr(tn, "AgentExistsException") != NULL)
		return AS_EXC_AGENT_EXISTS;
	if (strstr(tn, "AgentNotFoundException") != NULL)
		return AS_EXC_AGENT_NOT_FOUND;
	(void)status;
	return AS_EXC_OTHER;
}

/* One error line for an unexpected status; sets as->exc. */
static const struct error *
status_error(struct actions *as, const struct as_req *r,
    const struct http_resp *resp)
{
	char		 tn[256], msg[256], red[256];
	const char	*act, *shortn;
	enum err_class	 c;

	asmsg_error(resp->body != NULL ? resp->body : "", resp->body_len,
	    tn, sizeof(tn), msg, sizeof(msg));
	as->exc = exc_from(resp->status, tn);
	switch (as->exc) {
	case AS_EXC_SESSION_CONFLICT:
	case AS_EXC_JOB_STILL_RUNNING:
		c = ERR_TEMP;
		break;
	default:
		if (resp->status == 401 || resp->status == 403)
			c = ERR_PERM;
		else if (resp->status == 429)
			c = ERR_TEMP;
		else if (resp->status >= 500)
			c = ERR_UNAVAIL;
		else if (resp->status >= 400)
			c = ERR_FAIL;
		else
			c = ERR_PROTO;
	}
	/* "GitHub.Actions.X.FooException, Assembly" -> "FooException" */
	if ((shortn = strrchr(tn, ',')) != NULL)
		tn[shortn - tn] = '\0';
	shortn = (shortn = strrchr(tn, '.')) != NULL ? shortn + 1 : tn;
	act = http_resp_header(resp, "ActivityId");
	log_redact(msg, red, sizeof(red));
	return error_http(c, resp->status, "actions: %s: HTTP %d%s%s%s%s%s%s%s",
	    r->what, resp->status, *shortn ? " " : "", shortn,
	    *red ? ": " : "", red, act != NULL ? " (ActivityId " : "",
	    act != NULL ? act : "", act != NULL ? ")" : "");
}

static const struct error *register_admin(struct actions *);

/* Perform r; *resp holds an accepted reply on success. */
static const struct error *
as_call(struct actions *as, const struct as_req *r, struct http_resp *resp)
{
	const struct error	*e;
	struct http_header	 h[4];
	struct http_req		 req;
	char			 auth[8192], cap[24];
	const char		*tok;
	size_t			 nh = 0;
	int			 again = 0;

retry:
	as->exc = AS_EXC_NONE;
	tok = r->auth == AS_AUTH_ADMIN ? as->admin_token : r->token;
	if (tok == NULL)
		return error_fmt(ERR_SOFTWARE, "actions: %s: no token",
		    r->what);
	if ((e = str_fmt(auth, sizeof(auth), "%s %s",
	    r->auth == AS_AUTH_REMOTE ? "RemoteAuth" : "Bearer", tok)) != NULL)
		return error_fmt(ERR_PROTO, "actions: token too long");
	nh = 0;
	h[nh++] = (struct http_header){ "Authorization", auth, 1 };
	if (r->long_poll) {
		snprintf(cap, sizeof(cap), "%u", r->max_capacity);
		h[nh++] = (struct http_header){ "Accept",
		    "application/json; api-version=" ACTIONS_API_VERSION, 0 };
		h[nh++] = (struct http_header){ "X-ScaleSetMaxCapacity", cap,
		    0 };
	} else
		h[nh++] = (struct http_header){ "Content-Type",
		    "application/json", 0 };
	memset(&req, 0, sizeof(req));
	req.method = r->method;
	req.url = r->url;
	req.headers = h;
	req.nheaders = nh;
	if (r->body != NULL) {
		req.body = r->body->p != NULL ? r->body->p : "";
		req.body_len = r->body->len;
	}
	req.max_body = ACTIONS_MAX_BODY;
	req.no_redirect = 1;
	if (r->long_poll) {
		req.read_timeout_ms = ACTIONS_POLL_READ_TIMEOUT_MS;
		req.total_timeout_ms = ACTIONS_POLL_TOTAL_TIMEOUT_MS;
	}
	if (r->long_poll && as->poll_deadline_ms > 0)
		req.read_timeout_ms = req.total_timeout_ms =
		    as->poll_deadline_ms;
	log_debug("actions: %s: %s %s", r->what, r->method, r->url);
	as->requests++;
	e = call_do(as->http, &req, r->long_poll && as->poll_deadline_ms > 0 ?
	    &as_once : &as_retry, as_classify, (void *)r, resp);
	wipe(auth, sizeof(auth));
	if (e != NULL)
		return error_wrap(e, "actions: %s", r->what);
	if (resp->status == r->ok1 || (r->ok2 != 0 && resp->status == r->ok2))
		return NULL;
	/* A revoked admin token: register again, once. */
	if (resp->status == 401 && r->auth == AS_AUTH_ADMIN && !again) {
		http_resp_release(resp);
		log_info("actions: %s: admin token refused; registering "
		    "again", r->what);
		if ((e = register_admin(as)) != NULL)
			return e;
		again = 1;
		goto retry;
	}
	e = status_error(as, r, resp);
	http_resp_release(resp);
	return e;
}

/* The exchange of section 2.3: registration token -> URL + admin JWT. */
static const struct error *
register_admin(struct actions *as)
{
	const struct error	*e;
	struct buf		 url = BUF_INIT(AS_URL_MAX);
	struct buf		 body = BUF_INIT(AS_BODY_MAX);
	struct http_resp	 resp = HTTP_RESP_INIT;
	struct as_req		 r;
	char			*regtok = NULL, *surl = NULL, *tok = NULL;
	int64_t			 exp;
	size_t			 n;

	if ((e = as->regtoken(as->regtoken_arg, &regtok)) != NULL)
		return e;
	if ((e = buf_addf(&url, "%s/actions/runner-registration",
	    as->api_base)) != NULL ||
	    (e = asmsg_registration_request(as->config_url, &body)) != NULL)
		goto out;
	memset(&r, 0, sizeof(r));
	r.what = "runner registration";
	r.method = "POST";
	r.url = url.p;
	r.auth = AS_AUTH_REMOTE;
	r.token = regtok;
	r.body = &body;
	r.ok1 = 200;
	r.ok2 = 201;
	if ((e = as_call(as, &r, &resp)) != NULL)
		goto out;
	/* Any 2xx is success here (test servers answer 201, others 200). */
	if ((e = asmsg_registration(resp.body, resp.body_len, &surl, &tok)) !=
	    NULL)
		goto out;
	log_secret(tok);
	if ((e = asmsg_jwt_exp(tok, &exp)) != NULL) {
		e = error_wrap(e, "actions: admin token");
		goto out;
	}
	n = strlen(surl);
	while (n > 0 && surl[n - 1] == '/')
		surl[--n] = '\0';
	free(as->service_url);
	secret_free(as->admin_token);
	as->service_url = surl;
	as->admin_token = tok;
	as->admin_exp = exp;
	surl = tok = NULL;
	log_info("actions: registered; service %s, admin token valid for "
	    "%llds", as->service_url, (long long)(exp - (int64_t)time(NULL)));
out:
	secret_free(regtok);
	secret_free(tok);
	free(surl);
	http_resp_release(&resp);
	buf_release(&url);
	buf_release(&body);
	return e;
}

/* see actions.h */
void
actions_share_admin(struct actions *dst, const struct actions *src)
{
	if (src->admin_token == NULL || src->service_url == NULL)
		return;
	secret_free(dst->admin_token);
	free(dst->service_url);
	dst->admin_token = xstrdup(src->admin_token);
	dst->service_url = xstrdup(src->service_url);
	dst->admin_exp = src->admin_exp;
}

/* see actions.h */
const struct error *
actions_connect(struct actions *as)
{
	if (as->admin_token != NULL &&
	    (int64_t)time(NULL) + ACTIONS_TOKEN_LEEWAY < as->admin_exp)
		return NULL;
	if (as->admin_token != NULL)
		log_info("actions: admin token expires soon; registering "
		    "again");
	return register_admin(as);
}

/*
 * An admin URL: service URL + "/" + path (path may already hold a query
 * built with url_query_add), then api-version.
 */
static const struct error *
admin_url(struct actions *as, const char *path, const char *query,
    struct buf *out)
{
	const struct error	*e;

	if ((e = actions_connect(as)) != NULL)
		return e;
	if ((e = buf_addf(out, "%s/%s?", as->service_url, path)) != NULL)
		return e;
	if (query != NULL && *query != '\0' &&
	    ((e = buf_adds(out, query)) != NULL || (e = buf_addc(out, '&'))))
		return e;
	return buf_adds(out, "api-version=" ACTIONS_API_VERSION);
}

/* An admin call: path and query, expected status, optional body. */
static const struct error *
admin_call(struct actions *as, const char *what, const char *method,
    const char *path, const char *query, const struct buf *body, int ok1,
    int ok2, struct http_resp *resp)
{
	const struct error	*e;
	struct buf		 url = BUF_INIT(AS_URL_MAX);
	struct as_req		 r;

	if ((e = admin_url(as, path, query, &url)) != NULL)
		goto out;
	memset(&r, 0, sizeof(r));
	r.what = what;
	r.method = method;
	r.url = url.p;
	r.auth = AS_AUTH_ADMIN;
	r.body = body;
	r.ok1 = ok1;
	r.ok2 = ok2;
	e = as_call(as, &r, resp);
out:
	buf_release(&url);
	return e;
}

/* see actions.h */
const struct error *
actions_runner_group_id(struct actions *as, const char *name, int64_t *id)
{
	const struct error	*e;
	struct buf		 q = BUF_INIT(1024);
	struct http_resp	 resp = HTTP_RESP_INIT;
	int			 found;

	*id = ACTIONS_DEFAULT_GROUP_ID;
	if (name == NULL || *name == '\0' ||
	    strcmp(name, ACTIONS_DEFAULT_GROUP) == 0)
		return NULL;
	if ((e = url_query_add(&q, "groupName", name)) != NULL ||
	    (e = admin_call(as, "get runner group", "GET", AS_GROUP_PATH,
	    q.p, NULL, 200, 0, &resp)) != NULL)
		goto out;
	if ((e = asmsg_runner_group_list(resp.body, resp.body_len, id,
	    &found)) == NULL && !found)
		e = error_fmt(ERR_CONFIG, "actions: no runner group named "
		    "'%s' (check RUNNER_GROUP)", name);
out:
	http_resp_release(&resp);
	buf_release(&q);
	return e;
}

/* see actions.h */
const struct error *
actions_scale_set_find(struct actions *as, int64_t group, const char *name,
    struct as_scale_set *out, int *found)
{
	const struct error	*e;
	struct buf		 q = BUF_INIT(1024);
	struct http_resp	 resp = HTTP_RESP_INIT;
	char			 gid[24];

	memset(out, 0, sizeof(*out));
	*found = 0;
	snprintf(gid, sizeof(gid), "%lld", (long long)group);
	if ((e = url_query_add(&q, "runnerGroupId", gid)) != NULL ||
	    (e = url_query_add(&q, "name", name)) != NULL ||
	    (e = admin_call(as, "get scale set", "GET", AS_SS_PATH, q.p, NULL,
	    200, 0, &resp)) != NULL)
		goto out;
	e = asmsg_scale_set_list(resp.body, resp.body_len, out, found);
out:
	http_resp_release(&resp);
	buf_release(&q);
	return e;
}

/* A call on AS_SS_PATH/<id><suffix> that answers a scale set. */
static const struct error *
scale_set_call(struct actions *as, const char *what, const char *method,
    int64_t id, const struct buf *body, struct as_scale_set *out)
{
	const struct error	*e;
	struct http_resp	 resp = HTTP_RESP_INIT;
	char			 path[128];

	memset(out, 0, sizeof(*out));
	if (id > 0)
		snprintf(path, sizeof(path), AS_SS_PATH "/%lld",
		    (long long)id);
	else
		snprintf(path, sizeof(path), AS_SS_PATH);
	if ((e = admin_call(as, what, method, path, NULL, body, 200, 0,
	    &resp)) != NULL)
		return e;
	e = asmsg_scale_set(resp.body, resp.body_len, out);
	http_resp_release(&resp);
	return e;
}

/* see actions.h */
const struct error *
actions_scale_set_get(struct actions *as, int64_t id,
    struct as_scale_set *out)
{
	const struct error	*e;

	e = scale_set_call(as, "get scale set", "GET", id, NULL, out);
	if (e != NULL && e->http_status == 404)
		as->exc = AS_EXC_SCALE_SET_NOT_FOUND;
	return e;
}

/* see actions.h */
const struct error *
actions_scale_set_create(struct actions *as, const char *name,
    int64_t group, const char *const *labels, size_t n,
    struct as_scale_set *out)
{
	const struct error	*e;
	struct buf		 body = BUF_INIT(AS_BODY_MAX);
	const char		*only[1];

	/* A scale set needs a label: its name, as actions/scaleset does. */
	if (n == 0) {
		only[0] = name;
		labels = only;
		n = 1;
	}
	if ((e = asmsg_scale_set_request(name, group, labels, n, &body)) ==
	    NULL)
		e = scale_set_call(as, "create scale set", "POST", 0, &body,
		    out);
	buf_release(&body);
	return e;
}

/* see actions.h */
const struct error *
actions_scale_set_update_labels(struct actions *as, int64_t id,
    const char *const *labels, size_t n, struct as_scale_set *out)
{
	const struct error	*e;
	struct buf		 body = BUF_INIT(AS_BODY_MAX);

	if ((e = asmsg_scale_set_request(NULL, 0, labels, n, &body)) == NULL)
		e = scale_set_call(as, "update scale set", "PATCH", id, &body,
		    out);
	buf_release(&body);
	return e;
}

/* see actions.h */
const struct error *
actions_scale_set_delete(struct actions *as, int64_t id)
{
	const struct error	*e;
	struct http_resp	 resp = HTTP_RESP_INIT;
	char			 path[128];

	snprintf(path, sizeof(path), AS_SS_PATH "/%lld", (long long)id);
	e = admin_call(as, "delete scale set", "DELETE", path, NULL, NULL,
	    204, 200, &resp);
	http_resp_release(&resp);
	return e;
}

/* A session call: POST/PATCH on .../<id>/sessions[/<sid>]. */
static const struct error *
session_call(struct actions *as, const char *what, const char *method,
    int64_t ssid, const char *sid, const struct buf *body,
    struct as_session *out)
{
	const struct error	*e;
	struct http_resp	 resp = HTTP_RESP_INIT;
	struct buf		 path = BUF_INIT(1024);

	if ((e = buf_addf(&path, AS_SS_PATH "/%lld/sessions",
	    (long long)ssid)) != NULL)
		goto out;
	if (sid != NULL && ((e = buf_addc(&path, '/')) != NULL ||
	    (e = url_encode(&path, sid, strlen(sid), URL_ENC_UNRESERVED))))
		goto out;
	if ((e = admin_call(as, what, method, path.p, NULL, body, 200, 0,
	    &resp)) != NULL)
		goto out;
	if ((e = asmsg_session(resp.body, resp.body_len, out)) != NULL) {
		/* Empty messageQueueUrl and friends: retry later. */
		e = error_fmt(ERR_TEMP, "actions: %s: %s", what, e->msg);
		goto out;
	}
	log_secret(out->queue_token);
out:
	http_resp_release(&resp);
	buf_release(&path);
	return e;
}

/* see actions.h */
const struct error *
actions_session_create(struct actions *as, int64_t ssid, const char *owner,
    struct as_session *out)
{
	const struct error	*e;
	struct buf		 body = BUF_INIT(AS_BODY_MAX);

	memset(out, 0, sizeof(*out));
	if ((e = asmsg_session_request(owner, &body)) == NULL)
		e = session_call(as, "create session", "POST", ssid, NULL,
		    &body, out);
	buf_release(&body);
	return e;
}

/* see actions.h */
const struct error *
actions_session_refresh(struct actions *as, int64_t ssid,
    struct as_session *s)
{
	const struct error	*e;
	struct as_session	 ns;

	e = session_call(as, "refresh session", "PATCH", ssid, s->id, NULL,
	    &ns);
	if (e != NULL) {
		if (e->http_status == 404 || e->http_status == 400)
			as->exc = AS_EXC_SESSION_GONE;
		return e;
	}
	asmsg_session_release(s);
	*s = ns;
	return NULL;
}

/* see actions.h */
const struct error *
actions_session_delete(struct actions *as, int64_t ssid, const char *sid)
{
	const struct error	*e;
	struct http_resp	 resp = HTTP_RESP_INIT;
	struct buf		 path = BUF_INIT(1024);

	if ((e = buf_addf(&path, AS_SS_PATH "/%lld/sessions/",
	    (long long)ssid)) != NULL ||
	    (e = url_encode(&path, sid, strlen(sid), URL_ENC_UNRESERVED)))
		goto out;
	e = admin_call(as, "delete session", "DELETE", path.p, NULL, NULL,
	    204, 200, &resp);
	/* Already expired or unknown: it is gone, which is what we wanted. */
	if (e != NULL && (as->exc == AS_EXC_SESSION_GONE ||
	    e->http_status == 404)) {
		log_info("actions: session %s was already gone", sid);
		e = NULL;
	}
out:
	http_resp_release(&resp);
	buf_release(&path);
	return e;
}

/*
 * A call with the queue token; on 401 refresh the session in place and
 * try once more.
 */
static const struct error *
queue_call(struct actions *as, int64_t ssid, struct as_session *s,
    struct as_req *r, struct http_resp *resp)
{
	const struct error	*e;

	r->auth = AS_AUTH_QUEUE;
	r->token = s->queue_token;
	if ((e = as_call(as, r, resp)) == NULL || e->http_status != 401)
		return e;
	log_info("actions: %s: queue token expired; refreshing the session",
	    r->what);
	if ((e = actions_session_refresh(as, ssid, s)) != NULL)
		return e;
	as->refreshes++;
	r->token = s->queue_token;
	if ((e = as_call(as, r, resp)) != NULL && e->http_status == 401)
		as->exc = AS_EXC_QUEUE_TOKEN;
	return e;
}

/* The queue URL with "/<id>" added to its path (query kept). */
static const struct error *
queue_msg_url(const char *qurl, int64_t id, struct buf *out)
{
	const struct error	*e;
	const char		*q = strchr(qurl, '?');
	size_t			 n = q != NULL ? (size_t)(q - qurl) :
				    strlen(qurl);

	while (n > 0 && qurl[n - 1] == '/')
		n--;
	if ((e = buf_add(out, qurl, n)) != NULL ||
	    (e = buf_addf(out, "/%lld", (long long)id)) != NULL)
		return e;
	return q != NULL ? buf_adds(out, q) : NULL;
}

/* see actions.h */
const struct error *
actions_message_get(struct actions *as, int64_t ssid, struct as_session *s,
    int64_t last_id, unsigned int cap, struct as_message *out, int *got)
{
	const struct error	*e;
	struct http_resp	 resp = HTTP_RESP_INIT;
	struct buf		 url = BUF_INIT(AS_URL_MAX);
	struct as_req		 r;
	char			 id[24];
	int64_t			 start;

	memset(out, 0, sizeof(*out));
	*got = 0;
	memset(&r, 0, sizeof(r));
	r.what = "get message";
	r.method = "GET";
	r.ok1 = 200;
	r.ok2 = 202;
	r.long_poll = 1;
	r.max_capacity = cap;
	if ((e = buf_adds(&url, s->queue_url)) != NULL)
		goto out;
	if (last_id > 0) {
		snprintf(id, sizeof(id), "%lld", (long long)last_id);
		if ((e = buf_addc(&url, strchr(s->queue_url, '?') != NULL ?
		    '&' : '?')) != NULL ||
		    (e = buf_addf(&url, "lastMessageId=%s", id)) != NULL)
			goto out;
	}
	r.url = url.p;
	start = now_ms();
	if ((e = queue_call(as, ssid, s, &r, &resp)) != NULL) {
		/*
		 * Cut short by the client-side deadline: nothing read.  The
		 * service redelivers what was not acknowledged, so nothing is
		 * lost (actions/scaleset: a message stays in the queue until
		 * its DELETE).
		 */
		if (as->poll_deadline_ms > 0 && e->http_status == 0 &&
		    (e->class == ERR_TEMP || e->class == ERR_UNAVAIL) &&
		    now_ms() - start >= as->poll_deadline_ms - 50) {
			log_debug("actions: get message: nothing within %d ms",
			    as->poll_deadline_ms);
			e = NULL;
		}
		goto out;
	}
	if (resp.status == 202)
		goto out;
	/* Known bad reply (ARC#4285, #4470): 200 with nothing in it. */
	if (resp.body_len == 0 || resp.body == NULL) {
		log_warn("actions: get message: the service answered 200 "
		    "with an empty body; treating it as no message");
		*got = -1;
		goto out;
	}
	if ((e = asmsg_message(resp.body, resp.body_len, out)) != NULL) {
		e = error_wrap(e, "actions: get message");
		goto out;
	}
	*got = 1;
out:
	http_resp_release(&resp);
	buf_release(&url);
	return e;
}

/* see actions.h */
const struct error *
actions_message_delete(struct actions *as, int64_t ssid,
    struct as_session *s, int64_t id)
{
	const struct error	*e;
	struct http_resp	 resp = HTTP_RESP_INIT;
	struct buf		 url = BUF_INIT(AS_URL_MAX);
	struct as_req		 r;

	memset(&r, 0, sizeof(r));
	r.what = "delete message";
	r.method = "DELETE";
	r.ok1 = 204;
	r.ok2 = 200;
	if ((e = queue_msg_url(s->queue_url, id, &url)) == NULL) {
		r.url = url.p;
		e = queue_call(as, ssid, s, &r, &resp);
	}
	http_resp_release(&resp);
	buf_release(&url);
	return e;
}

/* see actions.h */
const struct error *
actions_acquirable_jobs(struct actions *as, int64_t ssid, int64_t **ids,
    size_t *n)
{
	const struct error	*e;
	struct http_resp	 resp = HTTP_RESP_INIT;
	char			 path[160];

	*ids = NULL;
	*n = 0;
	snprintf(path, sizeof(path), AS_SS_PATH "/%lld/acquirablejobs",
	    (long long)ssid);
	if ((e = admin_call(as, "acquirable jobs", "GET", path, NULL, NULL,
	    200, 204, &resp)) == NULL && resp.status == 200)
		e = asmsg_acquirable(resp.body, resp.body_len, ids, n);
	http_resp_release(&resp);
	return e;
}

/* see actions.h */
void
actions_set_poll_deadline(struct actions *as, long long ms)
{
	as->poll_deadline_ms = ms > 0 && ms < INT32_MAX ? (int)ms : 0;
}

/* see actions.h */
const struct error *
actions_jobs_acquire(struct actions *as, int64_t ssid, struct as_session *s,
    const int64_t *ids, size_t n, int64_t **acquired, size_t *nacquired)
{
	const struct error	*e;
	struct http_resp	 resp = HTTP_RESP_INIT;
	struct buf		 url = BUF_INIT(AS_URL_MAX);
	struct buf		 body = BUF_INIT(AS_BODY_MAX + 32 * ASMSG_MAX_JOBS);
	struct as_req		 r;
	char			 path[160];

	*acquired = NULL;
	*nacquired = 0;
	if (n == 0)
		return NULL;
	snprintf(path, sizeof(path), AS_SS_PATH "/%lld/acquirejobs",
	    (long long)ssid);
	/* Built as an admin request, then sent with the queue token. */
	if ((e = admin_url(as, path, NULL, &url)) != NULL ||
	    (e = asmsg_acquire_request(ids, n, &body)) != NULL)
		goto out;
	memset(&r, 0, sizeof(r));
	r.what = "acquire jobs";
	r.method = "POST";
	r.url = url.p;
	r.body = &body;
	r.ok1 = 200;
	if ((e = queue_call(as, ssid, s, &r, &resp)) != NULL)
		goto out;
	if ((e = asmsg_acquired(resp.body, resp.body_len, acquired,
	    nacquired)) != NULL)
		e = error_wrap(e, "actions");
out:
	http_resp_release(&resp);
	buf_release(&url);
	buf_release(&body);
	return e;
}

/* see actions.h */
const struct error *
actions_jit_config(struct actions *as, int64_t ssid, const char *name,
    const char *work_folder, char **jit, struct as_runner *runner)
{
	const struct error	*e;
	struct http_resp	 resp = HTTP_RESP_INIT;
	struct buf		 body = BUF_INIT(AS_BODY_MAX);
	char			 path[160];

	*jit = NULL;
	snprintf(path, sizeof(path), AS_SS_PATH "/%lld/generatejitconfig",
	    (long long)ssid);
	if ((e = asmsg_jit_request(name, work_folder, &body)) != NULL ||
	    (e = admin_call(as, "generate JIT config", "POST", path, NULL,
	    &body, 200, 201, &resp)) != NULL)
		goto out;
	if ((e = asmsg_jit(resp.body, resp.body_len, jit, runner)) != NULL)
		goto out;
	log_secret(*jit);
out:
	/* The reply holds the JIT config: wipe it. */
	if (resp.body != NULL)
		wipe(resp.body, resp.body_len);
	http_resp_release(&resp);
	buf_release(&body);
	return e;
}

/* see actions.h */
const struct error *
actions_runner_find(struct actions *as, const char *name,
    struct as_runner *out, int *found)
{
	const struct error	*e;
	struct http_resp	 resp = HTTP_RESP_INIT;
	struct buf		 q = BUF_INIT(1024);

	memset(out, 0, sizeof(*out));
	*found = 0;
	if ((e = url_query_add(&q, "agentName", name)) != NULL ||
	    (e = admin_call(as, "get runner", "GET", AS_RUNNER_PATH, q.p,
	    NULL, 200, 0, &resp)) != NULL)
		goto out;
	e = asmsg_runner_list(resp.body, resp.body_len, out, found);
out:
	http_resp_release(&resp);
	buf_release(&q);
	return e;
}

/* see actions.h */
const struct error *
actions_runner_remove(struct actions *as, int64_t id)
{
	const struct error	*e;
	struct http_resp	 resp = HTTP_RESP_INIT;
	char			 path[128];

	snprintf(path, sizeof(path), AS_RUNNER_PATH "/%lld", (long long)id);
	e = admin_call(as, "remove runner", "DELETE", path, NULL, NULL, 204,
	    200, &resp);
	http_resp_release(&resp);
	if (e != NULL && as->exc == AS_EXC_JOB_STILL_RUNNING)
		return error_fmt(ERR_TEMP, "actions: runner %lld is still "
		    "running a job; not removed (try again later)",
		    (long long)id);
	return e;
}
