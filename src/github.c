/*
 * SPDX-License-Identifier: ISC
 *
 * GitHub REST client for self-hosted runners (see github.h).  One request
 * function, gh_call(), adds the headers GitHub asks for, the credential,
 * the rate-limit policy and the error wording; the endpoint functions only
 * say what differs.  Facts: GitHub REST API docs: "Authenticating as a
 * GitHub App installation" (App JWT -> installation token), "REST API
 * endpoints for self-hosted runners", "Using pagination in the REST API"
 * and "Rate limits for the REST API" (primary limits answer 403/429 with
 * x-ratelimit-remaining 0 and a reset time; secondary limits answer
 * 403/429 with retry-after, or a message and nothing else, in which case
 * GitHub asks clients to wait at least a minute).
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"

#include "buf.h"
#include "call.h"
#include "github.h"
#include "http_parse.h"
#include "json.h"
#include "jwt.h"
#include "log.h"
#include "url.h"
#include "util.h"

#define GH_API_VERSION	"2022-11-28"
#define GH_MAX_PAGE	(8u << 20)	/* one list page (100 runners) */
#define GH_MAX_REPLY	(1u << 20)	/* any other reply */
#define GH_MAX_URL	2048
#define GH_MAX_KEYFILE	(64u << 10)
#define GH_TOKEN_EARLY	300	/* renew an installation token this early (s) */
#define GH_SECONDARY_WAIT 60	/* GitHub's advice without retry-after (s) */
#define GH_ETAG_SLOTS	512	/* every GET of one `scale --source rest` pass */
#define GH_ETAG_MAX_BODY (256u << 10)
#define GH_ETAG_TOTAL	(4u << 20)	/* bytes of cached bodies in all */
#define GH_CACHE_FILE_MAX (GH_ETAG_TOTAL + (1u << 20))
#define GH_ATTEMPTS	6
#define GH_FETCH_STACK	(512u << 10)	/* the page fetcher thread's stack */

enum gh_auth {
	GH_AUTH_TOKEN = 0,	/* PAT or installation token */
	GH_AUTH_JWT		/* the App's own JWT */
};

/* A remembered GET reply, replayed on 304 Not Modified. */
struct gh_etag {
	char		*url;
	char		*etag;
	char		*body;
	size_t		 len;
	uint64_t	 used;
};

struct github {
	struct http_client	*http;
	struct gh_target	 t;
	char			*token;		/* secret */
	int64_t			 token_exp;	/* 0: a PAT, no expiry known */
	int			 app;
	char			 app_id[64];
	int64_t			 inst_id;	/* 0: discover */
	struct jwt_key		*key;
	long long		 max_wait_ms;
	uint64_t		 nreq;
	uint64_t		 tick;
	uint64_t		 n304;		/* replies 304 Not Modified */
	uint64_t		 rate_limit;	/* last x-ratelimit-limit */
	size_t			 cache_bytes;
	int			 cache_on;	/* see github_cache_enable() */
	struct gh_etag		 cache[GH_ETAG_SLOTS];
};

struct gh_req {
	const char	*method;
	const char	*url;		/* absolute */
	const char	*body;		/* JSON or NULL */
	size_t		 body_len;
	enum gh_auth	 auth;
	const char	*what;		/* "list runners": for messages */
	int		 want;		/* the success status */
	size_t		 max_body;
	int		 cache;		/* GET: use If-None-Match */
	int		 not_found_fail; /* 404 is about the object: ERR_FAIL */
	struct http_spare *spare;	/* see http.h; NULL: none */
};

/* What the rate-limit classifier saw, across the attempts of one call. */
struct gh_rate {
	long long	 max_wait_ms;
	long long	 waited_ms;
	int		 limited;	/* the last reply was a rate limit */
	int64_t		 reset_at;	/* unix seconds the budget comes back */
	int		 secondary;
};

static const struct error *gh_auth_token(struct github *);

/* see github.h */
uint64_t
github_requests(const struct github *gh)
{
	return gh->nreq;
}

/* see github.h */
uint64_t
github_rate_limit(const struct github *gh)
{
	return gh->rate_limit;
}

/* see github.h */
const struct gh_target *
github_target(const struct github *gh)
{
	return &gh->t;
}

/* "12:34:56 UTC" for a unix time. */
static void
fmt_clock(int64_t t, char *dst, size_t size)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL || strftime(dst, size,
	    "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(dst, size, "%lld", (long long)t);
}

/* Is this 403/429 a rate limit?  Sets *wait_s to GitHub's advice. */
static int
rate_limited(const struct http_resp *r, long long *wait_s, int *secondary)
{
	const char	*ra, *rem, *reset;
	long long	 ms;
	uint64_t	 v;
	int64_t		 now = (int64_t)time(NULL);

	if (r->status != 403 && r->status != 429)
		return 0;
	ra = http_resp_header(r, "retry-after");
	rem = http_resp_header(r, "x-ratelimit-remaining");
	reset = http_resp_header(r, "x-ratelimit-reset");
	*secondary = 0;
	if (ra != NULL && (ms = call_retry_after_ms(ra, now)) >= 0) {
		*wait_s = (ms + 999) / 1000;
		*secondary = rem == NULL || strcmp(rem, "0") != 0;
		return 1;
	}
	if (rem != NULL && strcmp(rem, "0") == 0) {
		*wait_s = GH_SECONDARY_WAIT;
		if (reset != NULL && parse_u64(reset, &v) == 0)
			*wait_s = (int64_t)v > now ? (long long)v - now + 1 : 1;
		return 1;
	}
	if (r->body != NULL && strstr(r->body, "secondary rate limit") != NULL) {
		*wait_s = GH_SECONDARY_WAIT;
		*secondary = 1;
		return 1;
	}
	return 0;
}

static enum call_verdict
gh_classify(void *arg, const struct error *e, const struct http_resp *r,
    int *wait_ms)
{
	struct gh_rate	*rt = arg;
	long long	 wait_s;
	int		 secondary;

	rt->limited = 0;
	if (e != NULL || !rate_limited(r, &wait_s, &secondary))
		return call_classify_default(NULL, e, r, wait_ms);
	rt->limited = 1;
	rt->secondary = secondary;
	rt->reset_at = (int64_t)time(NULL) + wait_s;
	if (rt->waited_ms + wait_s * 1000 > rt->max_wait_ms)
		return CALL_DONE;
	log_warn("GitHub %s rate limit reached; waiting %llds (at most "
	    "GHRCTL_MAX_WAIT=%llds in all)", secondary ? "secondary" : "primary",
	    wait_s, rt->max_wait_ms / 1000);
	rt->waited_ms += wait_s * 1000;
	*wait_ms = (int)(wait_s * 1000);
	return CALL_RETRY;
}

/* Turn a reply that is not the wanted status into an error. */
static const struct error *
status_error(struct github *gh, const struct gh_req *rq,
    const struct http_resp *r, const struct gh_rate *rt)
{
	char		 msg[256], scope[GHURL_NAME_MAX * 2 + 32], when[40];
	const char	*perm, *scopes;
	int		 s = r->status;

	if (ghjson_error_message(r->body != NULL ? r->body : "", r->body_len,
	    msg, sizeof(msg)) == -1)
		msg[0] = '\0';
	log_redact(msg, msg, sizeof(msg));
	if ((s == 403 || s == 429) && rt->limited) {
		fmt_clock(rt->reset_at, when, sizeof(when));
		return error_http(ERR_TEMP, s, "%s: GitHub %s rate limit "
		    "reached on %s; the budget resets at %s (in %llds), more "
		    "than --max-wait %llds away", rq->what, rt->secondary ?
		    "secondary" : "primary", gh->t.host, when,
		    (long long)(rt->reset_at - (int64_t)time(NULL)),
		    rt->max_wait_ms / 1000);
	}
	switch (s) {
	case 401:
		if (rq->auth == GH_AUTH_JWT)
			return error_http(ERR_PERM, s, "%s: GitHub App JWT "
			    "rejected by %s (%s): check GITHUB_APP_ID and "
			    "GITHUB_APP_PRIVATE_KEY_FILE", rq->what, gh->t.host,
			    msg[0] ? msg : "401");
		return error_http(ERR_PERM, s, "%s: token rejected by %s (%s)",
		    rq->what, gh->t.host, msg[0] ? msg : "401");
	case 403:
		perm = http_resp_header(r, "x-accepted-github-permissions");
		scopes = http_resp_header(r, "x-accepted-oauth-scopes");
		if (perm != NULL && *perm != '\0')
			return error_http(ERR_PERM, s, "%s: permission denied "
			    "by %s: the token needs the '%s' permission (%s)",
			    rq->what, gh->t.host, perm, msg[0] ? msg : "403");
		if (scopes != NULL && *scopes != '\0')
			return error_http(ERR_PERM, s, "%s: permission denied "
			    "by %s: the token needs the '%s' scope (%s)",
			    rq->what, gh->t.host, scopes, msg[0] ? msg : "403");
		return error_http(ERR_PERM, s, "%s: permission denied by %s "
		    "(%s)", rq->what, gh->t.host, msg[0] ? msg : "403");
	case 404:
		if (rq->not_found_fail)
			return error_http(ERR_FAIL, s, "%s: not found", rq->what);
		return error_http(ERR_CONFIG, s, "%s: %s not found on %s, or "
		    "the token cannot see it", rq->what, ghurl_scope_name(&gh->t,
		    scope, sizeof(scope)), gh->t.host);
	case 409:
	case 422:
		return error_http(ERR_FAIL, s, "%s: GitHub refused it (%d): %s",
		    rq->what, s, msg[0] ? msg : "no reason given");
	}
	if (s >= 500)
		return error_http(ERR_UNAVAIL, s, "%s: %s answered %d%s%s",
		    rq->what, gh->t.host, s, msg[0] ? ": " : "", msg);
	return error_http(ERR_PROTO, s, "%s: %s answered %d, expected %d%s%s",
	    rq->what, gh->t.host, s, rq->want, msg[0] ? ": " : "", msg);
}

static struct gh_etag *
cache_find(struct github *gh, const char *url)
{
	size_t	 i;

	for (i = 0; i < GH_ETAG_SLOTS; i++)
		if (gh->cache[i].url != NULL &&
		    strcmp(gh->cache[i].url, url) == 0)
			return &gh->cache[i];
	return NULL;
}

static void
cache_clear(struct github *gh, struct gh_etag *c)
{
	if (c->body != NULL)
		gh->cache_bytes -= c->len;
	free(c->url);
	free(c->etag);
	free(c->body);
	memset(c, 0, sizeof(*c));
}

/* The least recently used slot that holds something, or NULL. */
static struct gh_etag *
cache_lru(struct github *gh)
{
	struct gh_etag	*c = NULL;
	size_t		 i;

	for (i = 0; i < GH_ETAG_SLOTS; i++)
		if (gh->cache[i].url != NULL && (c == NULL ||
		    gh->cache[i].used < c->used))
			c = &gh->cache[i];
	return c;
}

/* Remember body (len bytes) under url and etag, evicting as needed. */
static void
cache_put(struct github *gh, const char *url, const char *etag,
    const char *body, size_t len)
{
	struct gh_etag	*c;
	size_t		 i;

	if ((c = cache_find(gh, url)) != NULL)
		cache_clear(gh, c);
	if (etag == NULL || *etag == '\0' || len > GH_ETAG_MAX_BODY)
		return;
	while (gh->cache_bytes + len > GH_ETAG_TOTAL &&
	    (c = cache_lru(gh)) != NULL)
		cache_clear(gh, c);
	for (i = 0; i < GH_ETAG_SLOTS; i++)
		if (gh->cache[i].url == NULL)
			break;
	if (i == GH_ETAG_SLOTS) {
		c = cache_lru(gh);
		cache_clear(gh, c);
	} else
		c = &gh->cache[i];
	c->url = xstrdup(url);
	c->etag = xstrdup(etag);
	c->body = xmalloc(len + 1);
	memcpy(c->body, body, len);
	c->body[len] = '\0';
	c->len = len;
	c->used = ++gh->tick;
	gh->cache_bytes += len;
}

static void
cache_store(struct github *gh, const char *url, const struct http_resp *r)
{
	cache_put(gh, url, http_resp_header(r, "etag"),
	    r->body != NULL ? r->body : "", r->body_len);
}

/* Replace a 304 reply by the cached body. */
static void
cache_replay(struct github *gh, struct gh_etag *c, struct http_resp *r,
    int want)
{
	free(r->body);
	r->body = xmemdup(c->body, c->len + 1);
	r->body_len = c->len;
	r->body_cap = c->len + 1;
	r->status = want;
	c->used = ++gh->tick;
}

/*
 * The one request function.  On success resp holds the reply with status
 * rq->want; release it with http_resp_release().
 */
static const struct error *
gh_call(struct github *gh, const struct gh_req *rq, struct http_resp *resp)
{
	const struct error	*e;
	struct http_header	 h[6];
	struct http_req		 req;
	struct retry_policy	 pol;
	struct gh_rate		 rt;
	struct buf		 auth = BUF_INIT(8192);
	struct gh_etag		*c = NULL;
	const char		*lim;
	size_t			 n = 0;

	if (rq->auth == GH_AUTH_TOKEN && (e = gh_auth_token(gh)) != NULL)
		return e;
	if (rq->auth == GH_AUTH_JWT) {
		if ((e = buf_adds(&auth, "Bearer ")) != NULL ||
		    (e = jwt_sign_rs256(gh->key, gh->app_id,
		    (int64_t)time(NULL), &auth)) != NULL)
			goto out;
		log_secret_short(auth.p + 7);
	} else if ((e = buf_addf(&auth, "Bearer %s", gh->token)) != NULL)
		goto out;
	h[n++] = (struct http_header){ "Accept", "application/vnd.github+json",
	    0 };
	h[n++] = (struct http_header){ "X-GitHub-Api-Version", GH_API_VERSION,
	    0 };
	h[n++] = (struct http_header){ "Authorization", auth.p, 1 };
	if (rq->body != NULL)
		h[n++] = (struct http_header){ "Content-Type",
		    "application/json", 0 };
	if (rq->cache && gh->cache_on && (c = cache_find(gh, rq->url)) != NULL)
		h[n++] = (struct http_header){ "If-None-Match", c->etag, 0 };
	memset(&req, 0, sizeof(req));
	req.method = rq->method;
	req.url = rq->url;
	req.headers = h;
	req.nheaders = n;
	req.body = rq->body;
	req.body_len = rq->body_len;
	req.spare = rq->spare;
	req.max_body = rq->max_body != 0 ? rq->max_body : GH_MAX_REPLY;
	memset(&pol, 0, sizeof(pol));
	pol.max_attempts = GH_ATTEMPTS;
	pol.total_ms = (int)(gh->max_wait_ms + 60000);
	memset(&rt, 0, sizeof(rt));
	rt.max_wait_ms = gh->max_wait_ms;
	log_debug("%s %s", rq->method, rq->url);
	gh->nreq++;
	if ((e = call_do(gh->http, &req, &pol, gh_classify, &rt, resp)) !=
	    NULL) {
		e = error_wrap(e, "%s", rq->what);
		goto out;
	}
	if ((lim = http_resp_header(resp, "x-ratelimit-limit")) != NULL)
		(void)parse_u64(lim, &gh->rate_limit);
	if (resp->status == 304 && c != NULL) {
		log_debug("%s: not modified", rq->url);
		gh->n304++;
		cache_replay(gh, c, resp, rq->want);
	} else if (resp->status == rq->want && rq->cache && gh->cache_on)
		cache_store(gh, rq->url, resp);
	if (resp->status != rq->want) {
		e = status_error(gh, rq, resp, &rt);
		http_resp_release(resp);
	}
out:
	buf_release(&auth);
	return e;
}

/* api_base + scope path + suffix (suffix is already encoded). */
static const struct error *
scope_url(const struct github *gh, const char *suffix, struct buf *out)
{
	const struct error	*e;

	if ((e = buf_adds(out, gh->t.api_base)) != NULL ||
	    (e = ghurl_scope_path(&gh->t, out)) != NULL)
		return e;
	return buf_adds(out, suffix);
}

/* Read the App key file: private (no group/other access) and small. */
static const struct error *
read_key_file(const char *path, struct buf *out)
{
	const struct error	*e = NULL;
	struct stat		 st;
	char			 tmp[4096];
	ssize_t			 n;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_wrap(error_errno("cannot open", path),
		    "GITHUB_APP_PRIVATE_KEY_FILE");
	if (fstat(fd, &st) == -1)
		e = error_errno("cannot stat", path);
	else if ((st.st_mode & 077) != 0)
		e = error_fmt(ERR_PERM, "'%s' holds a secret but is readable "
		    "by others (mode %04o): run chmod 600 '%s'", path,
		    (unsigned int)(st.st_mode & 07777), path);
	while (e == NULL) {
		n = read(fd, tmp, sizeof(tmp));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			e = error_errno("cannot read", path);
		if (n <= 0)
			break;
		if (buf_add(out, tmp, (size_t)n) != NULL)
			e = error_fmt(ERR_CONFIG, "'%s' is larger than %u bytes",
			    path, GH_MAX_KEYFILE);
	}
	wipe(tmp, sizeof(tmp));
	close(fd);
	return e;
}

static const struct error *
setup_app(struct github *gh, const struct config *cfg)
{
	const struct error	*e;
	struct buf		 pem = BUF_INIT(GH_MAX_KEYFILE);
	const char		*id = config_str(cfg, K_GITHUB_APP_ID);
	const char		*inst = config_str(cfg, K_GITHUB_APP_INSTALLATION_ID);
	const char		*kf = config_str(cfg, K_GITHUB_APP_PRIVATE_KEY_FILE);
	uint64_t		 v;

	if (kf == NULL || *kf == '\0')
		return error_fmt(ERR_CONFIG, "GITHUB_APP_ID is set but "
		    "GITHUB_APP_PRIVATE_KEY_FILE is not");
	if (strlen(id) >= sizeof(gh->app_id) || strpbrk(id, "\"\\ ") != NULL)
		return error_fmt(ERR_CONFIG, "GITHUB_APP_ID='%s' is not an "
		    "App id or client id", id);
	memcpy(gh->app_id, id, strlen(id) + 1);
	if (inst != NULL && *inst != '\0') {
		if (parse_u64(inst, &v) == -1 || v == 0 || v > INT64_MAX)
			return error_fmt(ERR_CONFIG, "GITHUB_APP_INSTALLATION_ID="
			    "'%s' is not a number", inst);
		gh->inst_id = (int64_t)v;
	} else if (gh->t.scope == GH_SCOPE_ENTERPRISE)
		return error_fmt(ERR_CONFIG, "GitHub App auth for an "
		    "enterprise needs GITHUB_APP_INSTALLATION_ID (GitHub "
		    "has no enterprise installation lookup)");
	if ((e = read_key_file(kf, &pem)) == NULL)
		e = jwt_key_parse(pem.p != NULL ? pem.p : "", pem.len, kf,
		    &gh->key);
	buf_release(&pem);
	gh->app = 1;
	return e;
}

/* see github.h */
const struct error *
github_url_target(const struct config *cfg, struct gh_target *t)
{
	const struct error	*e;
	struct buf		 u = BUF_INIT(GHURL_MAX);
	struct url		 pu = URL_INIT;
	const char		*url = config_str(cfg, K_GITHUB_CONFIG_URL);
	const char		*what = "GITHUB_CONFIG_URL";
	enum cfg_key		 k = K_GITHUB_CONFIG_URL;

	memset(t, 0, sizeof(*t));
	if (url == NULL || *url == '\0') {
		if (!config_is_set(cfg, K_GITHUB_ENTERPRISE_URL) &&
		    !config_is_set(cfg, K_ORGANIZATION_NAME))
			return error_fmt(ERR_CONFIG, "no GitHub URL: set "
			    "GITHUB_CONFIG_URL (or --url) to https://github.com/"
			    "ORG, https://github.com/OWNER/REPO or https://"
			    "github.com/enterprises/SLUG");
		if ((e = ghurl_from_enterprise(config_str(cfg,
		    K_GITHUB_ENTERPRISE_URL), config_str(cfg,
		    K_ORGANIZATION_NAME), &u)) != NULL)
			goto out;
		url = u.p;
		what = "GITHUB_ENTERPRISE_URL and ORGANIZATION_NAME";
		k = K_GITHUB_ENTERPRISE_URL;
	}
	if ((e = ghurl_parse(url, t)) == NULL && str_nieq(t->config_url,
	    "http://", 7) && !config_num(cfg, K_ALLOW_HTTP) &&
	    url_parse(t->config_url, &pu) == NULL) {
		if (!http_plain_host_ok(pu.host))
			e = error_fmt(ERR_CONFIG, "config URL '%s' must use "
			    "https:// (plain http:// only to loopback, or with "
			    "--allow-http)", t->config_url);
		url_release(&pu);
	}
	/* Name the setting and where it was set. */
	if (e != NULL)
		e = error_wrap(e, "%s (%s)", what, cfg->v[k].origin);
out:
	buf_release(&u);
	return e;
}

/* see github.h */
const struct error *
github_new(const struct config *cfg, struct http_client *http,
    struct github **out)
{
	const struct error	*e;
	struct github		*gh;
	const char		*tok = config_str(cfg, K_GITHUB_TOKEN);
	const char		*app = config_str(cfg, K_GITHUB_APP_ID);

	*out = NULL;
	gh = xcalloc(1, sizeof(*gh));
	gh->http = http;
	gh->max_wait_ms = config_ms(cfg, K_MAX_WAIT);
	if ((e = github_url_target(cfg, &gh->t)) != NULL)
		goto out;
	if (app != NULL && *app != '\0')
		e = setup_app(gh, cfg);
	else if (tok != NULL && *tok != '\0') {
		gh->token = xstrdup(tok);
		log_secret(gh->token);
	} else
		e = error_fmt(ERR_CONFIG, "no GitHub credentials: set "
		    "GITHUB_TOKEN or GITHUB_TOKEN_FILE (--token-file), or "
		    "GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY_FILE");
	if (e != NULL)
		goto out;
	log_debug("GitHub API %s, %s, %s auth", gh->t.api_base,
	    gh->t.scope == GH_SCOPE_ORG ? "org" : gh->t.scope == GH_SCOPE_REPO ?
	    "repository" : "enterprise", gh->app ? "App" : "token");
	*out = gh;
	gh = NULL;
out:
	github_free(gh);
	return e;
}

/* see github.h */
void
github_free(struct github *gh)
{
	size_t	 i;

	if (gh == NULL)
		return;
	secret_free(gh->token);
	jwt_key_free(gh->key);
	for (i = 0; i < GH_ETAG_SLOTS; i++)
		cache_clear(gh, &gh->cache[i]);
	free(gh);
}

/* Find the installation id of the App on the scope (org or repo). */
static const struct error *
discover_installation(struct github *gh)
{
	const struct error	*e;
	struct http_resp	 r = HTTP_RESP_INIT;
	struct buf		 u = BUF_INIT(GH_MAX_URL);
	struct gh_req		 rq;

	if ((e = scope_url(gh, "/installation", &u)) != NULL)
		return e;
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.url = u.p;
	rq.auth = GH_AUTH_JWT;
	rq.what = "find the GitHub App installation";
	rq.want = 200;
	if ((e = gh_call(gh, &rq, &r)) == NULL)
		e = ghjson_installation(r.body, r.body_len, &gh->inst_id);
	if (e == NULL)
		log_info("GitHub App installation %lld", (long long)gh->inst_id);
	http_resp_release(&r);
	buf_release(&u);
	return e;
}

/* Make sure gh->token holds a usable token (minting one for an App). */
static const struct error *
gh_auth_token(struct github *gh)
{
	const struct error	*e;
	struct http_resp	 r = HTTP_RESP_INIT;
	struct buf		 u = BUF_INIT(GH_MAX_URL);
	struct gh_req		 rq;
	int64_t			 now = (int64_t)time(NULL), exp = 0;
	char			*tok = NULL;

	if (!gh->app || (gh->token != NULL &&
	    now < gh->token_exp - GH_TOKEN_EARLY))
		return NULL;
	if (gh->inst_id == 0 && (e = discover_installation(gh)) != NULL)
		return e;
	if ((e = buf_addf(&u, "%s/app/installations/%lld/access_tokens",
	    gh->t.api_base, (long long)gh->inst_id)) != NULL)
		goto out;
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.url = u.p;
	rq.auth = GH_AUTH_JWT;
	rq.what = "get a GitHub App installation token";
	rq.want = 201;
	if ((e = gh_call(gh, &rq, &r)) != NULL ||
	    (e = ghjson_token(r.body, r.body_len, &tok, NULL, 0, &exp)) != NULL)
		goto out;
	log_secret(tok);
	log_secret_forget(gh->token);
	secret_free(gh->token);
	gh->token = tok;
	/* No expiry given: GitHub's installation tokens last an hour. */
	gh->token_exp = exp != 0 ? exp : now + 3600;
	log_debug("installation token valid until %lld", (long long)exp);
out:
	http_resp_release(&r);
	buf_release(&u);
	return e;
}

/* The next page's URL, which must stay on the API's origin. */
static const struct error *
next_page(const struct github *gh, const struct http_resp *r, char *next,
    size_t size, int *have)
{
	const char	*link = http_resp_header(r, "link");
	struct url	 a = URL_INIT, b = URL_INIT;
	int		 same, n;

	*have = 0;
	if (link == NULL || (n = ghurl_link_next(link, next, size)) == 0)
		return NULL;
	if (n == -1)
		return error_fmt(ERR_PROTO, "%s sent a bad Link header",
		    gh->t.host);
	if (url_parse(gh->t.api_base, &a) != NULL ||
	    url_parse(next, &b) != NULL) {
		url_release(&a);
		return error_fmt(ERR_PROTO, "%s sent a bad next-page URL",
		    gh->t.host);
	}
	same = url_same_origin(&a, &b);
	url_release(&a);
	url_release(&b);
	if (!same)
		return error_fmt(ERR_PROTO, "%s sent a next-page URL on "
		    "another host; not following it", gh->t.host);
	*have = 1;
	return NULL;
}

/*
 * A listing of more than one page fetches page n + 1 on a second thread
 * while this one parses page n, so the server's time for a page overlaps
 * ours: the fetcher hands each reply over through a one-page slot.  The
 * fetcher alone uses gh (fn, on the calling thread, must not).  Stop
 * signals are blocked on the calling thread meanwhile, so a SIGTERM lands
 * on the fetcher and ends its network wait at once (net.c).
 */
struct prefetch {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 th;
	int			 running;
	sigset_t		 mask;		/* the caller's, restored */
	struct github		*gh;
	struct gh_req		 rq;
	char			 url[GH_MAX_URL];	/* the page to fetch */
	struct http_resp	 page;
	const struct error	*e;	/* after the page, or instead of it */
	int			 more;	/* a page follows this one */
	int			 full;	/* page, e and more wait to be taken */
	int			 quit;	/* the caller stopped: fetch no more */
	/*
	 * Parsed pages' buffers, for reuse: three pages are in flight (one
	 * parsed, one in the slot, one arriving), so two may wait here, and
	 * no buffer is freed and another allocated (with musl, an munmap
	 * and an mmap that stall the other thread) while the pages run.
	 */
	struct http_spare	 back[2];
	struct http_spare	 mine;	/* the fetcher's, for the next page */
};

/* Fetch p->url into *r; *more and p->url tell the page after. */
static const struct error *
prefetch_one(struct prefetch *p, struct http_resp *r, int *more)
{
	const struct error	*e;
	char			 next[GH_MAX_URL];
	int			 i;

	*more = 0;
	p->rq.url = p->url;
	if (p->mine.p == NULL) {
		if (p->running)
			pthread_mutex_lock(&p->mu);
		i = p->back[1].p != NULL;
		p->mine = p->back[i];
		p->back[i].p = NULL;
		if (p->running)
			pthread_mutex_unlock(&p->mu);
	}
	p->rq.spare = &p->mine;
	if ((e = gh_call(p->gh, &p->rq, r)) != NULL)
		return e;
	if ((e = next_page(p->gh, r, next, sizeof(next), more)) == NULL &&
	    *more)
		memcpy(p->url, next, sizeof(next));
	return e;
}

static void *
prefetch_run(void *arg)
{
	struct prefetch		*p = arg;
	const struct error	*e;
	struct http_resp	 r;
	int			 more;

	pthread_sigmask(SIG_SETMASK, &p->mask, NULL);
	do {
		memset(&r, 0, sizeof(r));
		e = prefetch_one(p, &r, &more);
		pthread_mutex_lock(&p->mu);
		while (p->full && !p->quit)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->quit) {
			pthread_mutex_unlock(&p->mu);
			http_resp_release(&r);
			break;
		}
		p->page = r;
		p->e = e;
		p->more = e == NULL && more;
		p->full = 1;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
	} while (e == NULL && more);
	return NULL;
}

/* Start fetching p->url onwards; on failure pages are fetched inline. */
static void
prefetch_start(struct prefetch *p)
{
	pthread_attr_t	 attr;
	sigset_t	 stop;
	int		 rc;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, &p->mask);
	if (pthread_mutex_init(&p->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&p->cv, NULL) != 0)
		goto fail_mu;
	/* musl's default 128 KiB is tight for log lines and TLS; ask more. */
	if (pthread_attr_init(&attr) != 0)
		goto fail_cv;
	pthread_attr_setstacksize(&attr, GH_FETCH_STACK);
	p->running = 1;		/* before the fetcher can read it */
	rc = pthread_create(&p->th, &attr, prefetch_run, p);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		return;
	p->running = 0;
fail_cv:
	pthread_cond_destroy(&p->cv);
fail_mu:
	pthread_mutex_destroy(&p->mu);
fail:
	log_debug("cannot start the page fetcher; fetching inline");
	pthread_sigmask(SIG_SETMASK, &p->mask, NULL);
}

/*
 * Release the parsed page in *r, keeping its buffer for a page to come,
 * and put the next page there; *more as next_page().
 */
static const struct error *
prefetch_take(struct prefetch *p, struct http_resp *r, int *more)
{
	const struct error	*e;

	if (!p->running) {
		http_resp_spare(r, &p->back[0]);
		return prefetch_one(p, r, more);
	}
	pthread_mutex_lock(&p->mu);
	http_resp_spare(r, &p->back[p->back[0].p != NULL]);
	while (!p->full)
		pthread_cond_wait(&p->cv, &p->mu);
	*r = p->page;
	memset(&p->page, 0, sizeof(p->page));
	e = error_copy(p->e);	/* p->e is in the fetcher's ring */
	*more = p->more;
	p->full = 0;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return e;
}

static void
prefetch_stop(struct prefetch *p)
{
	if (!p->running)
		goto out;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	http_resp_release(&p->page);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	pthread_sigmask(SIG_SETMASK, &p->mask, NULL);
	p->running = 0;
out:
	http_spare_release(&p->back[0]);
	http_spare_release(&p->back[1]);
	http_spare_release(&p->mine);
}

/* see github.h */
const struct error *
github_runners_each(struct github *gh, const char *name, gh_runner_fn fn,
    void *arg)
{
	const struct error	*e, *pe;
	struct http_resp	 r = HTTP_RESP_INIT;
	struct buf		 u = BUF_INIT(GH_MAX_URL);
	struct buf		 q = BUF_INIT(GH_MAX_URL);
	struct prefetch		 pf;
	int			 more, page;

	memset(&pf, 0, sizeof(pf));
	if ((e = scope_url(gh, "/actions/runners?", &u)) != NULL ||
	    (name != NULL && (e = url_query_add(&q, "name", name)) != NULL) ||
	    (e = url_query_add(&q, "per_page", "100")) != NULL ||
	    (e = buf_adds(&u, q.p)) != NULL)
		goto out;
	if (u.len >= sizeof(pf.url)) {
		e = error_fmt(ERR_CONFIG, "list runners: URL too long");
		goto out;
	}
	memcpy(pf.url, u.p, u.len + 1);
	pf.gh = gh;
	pf.rq.method = "GET";
	pf.rq.what = "list runners";
	pf.rq.want = 200;
	pf.rq.max_body = GH_MAX_PAGE;
	pf.rq.cache = 1;
	/*
	 * The first page inline: most pools fit one and need no thread.  A
	 * fetch error comes without a page; a bad Link header with one, and
	 * is reported after it.
	 */
	e = prefetch_one(&pf, &r, &more);
	if (e == NULL && more)
		prefetch_start(&pf);
	for (page = 1; r.body != NULL; page++) {
		if ((pe = ghjson_runner_page(r.body, r.body_len, NULL, fn,
		    arg)) != NULL) {
			e = pe->class == ERR_PROTO ? error_wrap(pe,
			    "list runners: page %d", page) : pe;
			goto out;
		}
		if (e != NULL || !more)
			break;
		e = prefetch_take(&pf, &r, &more);
	}
out:
	prefetch_stop(&pf);
	http_resp_release(&r);
	buf_release(&u);
	buf_release(&q);
	return e;
}

struct count_arg {
	const char *const	*labels;
	size_t			 nlabels;
	struct runner_counts	*c;
};

static const struct error *
count_one(void *arg, const struct gh_runner *r)
{
	struct count_arg	*a = arg;

	if (!gh_runner_has_labels(r, a->labels, a->nlabels))
		return NULL;
	if (!r->online)
		a->c->offline++;
	else if (r->busy)
		a->c->busy++;
	else
		a->c->idle++;
	return NULL;
}

/* see github.h */
const struct error *
github_runner_counts(struct github *gh, const char *const *labels,
    size_t nlabels, struct runner_counts *out)
{
	struct count_arg	 a;

	memset(out, 0, sizeof(*out));
	a.labels = labels;
	a.nlabels = nlabels;
	a.c = out;
	return github_runners_each(gh, NULL, count_one, &a);
}

/* see github.h */
const struct error *
github_runner_get(struct github *gh, int64_t id, struct gh_runner *out)
{
	const struct error	*e;
	struct http_resp	 r = HTTP_RESP_INIT;
	struct buf		 u = BUF_INIT(GH_MAX_URL);
	struct gh_req		 rq;
	char			 what[64];

	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "runner %lld", (long long)id);
	if ((e = scope_url(gh, "/actions/runners/", &u)) != NULL ||
	    (e = buf_addf(&u, "%lld", (long long)id)) != NULL)
		goto out;
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.url = u.p;
	rq.what = what;
	rq.want = 200;
	rq.not_found_fail = 1;
	if ((e = gh_call(gh, &rq, &r)) == NULL)
		e = ghjson_runner(r.body, r.body_len, out);
out:
	http_resp_release(&r);
	buf_release(&u);
	return e;
}

struct find_arg {
	const char		*name;
	struct gh_runner	*out;
	int			 found;
};

static const struct error *
find_one(void *arg, const struct gh_runner *r)
{
	struct find_arg	*a = arg;

	if (a->found || strcmp(r->name, a->name) != 0)
		return NULL;
	gh_runner_copy(a->out, r);
	a->found = 1;
	return NULL;
}

/* see github.h */
const struct error *
github_runner_find(struct github *gh, const char *idname,
    struct gh_runner *out)
{
	const struct error	*e;
	struct find_arg		 a;
	uint64_t		 id;

	memset(out, 0, sizeof(*out));
	if (parse_u64(idname, &id) == 0 && id > 0 && id <= INT64_MAX)
		return github_runner_get(gh, (int64_t)id, out);
	a.name = idname;
	a.out = out;
	a.found = 0;
	if ((e = github_runners_each(gh, idname, find_one, &a)) != NULL) {
		if (a.found)
			gh_runner_release(out);
		return e;
	}
	if (!a.found)
		return error_fmt(ERR_FAIL, "no runner named '%s'", idname);
	return NULL;
}

/* see github.h */
const struct error *
github_runner_delete(struct github *gh, int64_t id)
{
	const struct error	*e;
	struct http_resp	 r = HTTP_RESP_INIT;
	struct buf		 u = BUF_INIT(GH_MAX_URL);
	struct gh_req		 rq;
	char			 what[64];

	snprintf(what, sizeof(what), "delete runner %lld", (long long)id);
	if ((e = scope_url(gh, "/actions/runners/", &u)) != NULL ||
	    (e = buf_addf(&u, "%lld", (long long)id)) != NULL)
		goto out;
	memset(&rq, 0, sizeof(rq));
	rq.method = "DELETE";
	rq.url = u.p;
	rq.what = what;
	rq.want = 204;
	rq.not_found_fail = 1;
	e = gh_call(gh, &rq, &r);
out:
	http_resp_release(&r);
	buf_release(&u);
	return e;
}

/* see github.h */
const struct error *
github_token(struct github *gh, enum gh_token_kind kind, char **token_out,
    char *expires_at, size_t expires_size)
{
	const struct error	*e;
	struct http_resp	 r = HTTP_RESP_INIT;
	struct buf		 u = BUF_INIT(GH_MAX_URL);
	struct gh_req		 rq;
	int			 reg = kind == GH_TOKEN_REGISTER;

	*token_out = NULL;
	if ((e = scope_url(gh, reg ? "/actions/runners/registration-token" :
	    "/actions/runners/remove-token", &u)) != NULL)
		goto out;
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.url = u.p;
	rq.what = reg ? "get a registration token" : "get a remove token";
	rq.want = 201;
	if ((e = gh_call(gh, &rq, &r)) == NULL &&
	    (e = ghjson_token(r.body, r.body_len, token_out, expires_at,
	    expires_size, NULL)) == NULL)
		log_secret_short(*token_out);
out:
	http_resp_release(&r);
	buf_release(&u);
	return e;
}

/* see github.h */
const struct error *
github_registration_token(struct github *gh, char **token_out,
    char *expires_at, size_t expires_size)
{
	return github_token(gh, GH_TOKEN_REGISTER, token_out, expires_at,
	    expires_size);
}

/* see github.h */
const struct error *
github_jit_config(struct github *gh, const char *name,
    const char *const *labels, size_t nlabels, int64_t runner_group_id,
    char **jit_out, struct gh_runner *runner_out)
{
	const struct error	*e;
	struct http_resp	 r = HTTP_RESP_INIT;
	struct buf		 u = BUF_INIT(GH_MAX_URL);
	struct buf		 body = BUF_INIT(64u << 10);
	struct gh_req		 rq;

	*jit_out = NULL;
	if (nlabels == 0 || nlabels > 100)
		return error_fmt(ERR_USAGE, "a JIT runner needs 1 to 100 "
		    "labels");
	if ((e = scope_url(gh, "/actions/runners/generate-jitconfig",
	    &u)) != NULL ||
	    (e = ghjson_jit_request(name, labels, nlabels, runner_group_id,
	    &body)) != NULL)
		goto out;
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.url = u.p;
	rq.body = body.p;
	rq.body_len = body.len;
	rq.what = "generate a JIT runner config";
	rq.want = 201;
	if ((e = gh_call(gh, &rq, &r)) == NULL &&
	    (e = ghjson_jit(r.body, r.body_len, jit_out, runner_out)) == NULL)
		log_secret_short(*jit_out);
out:
	http_resp_release(&r);
	buf_release(&u);
	buf_release(&body);
	return e;
}

/* Copy the headers github_ping() and github_probe() report. */
static void
probe_headers(const struct http_resp *r, struct gh_probe *out)
{
	const char	*v;

	out->status = r->status;
	if ((v = http_resp_header(r, "x-github-enterprise-version")) != NULL)
		(void)snprintf(out->ghes_version, sizeof(out->ghes_version),
		    "%s", v);
	if ((v = http_resp_header(r, "x-oauth-scopes")) != NULL) {
		out->have_scopes = 1;
		(void)snprintf(out->scopes, sizeof(out->scopes), "%s", v);
	}
}

/* see github.h */
const struct error *
github_ping(struct github *gh, struct gh_probe *out)
{
	const struct error	*e;
	struct http_resp	 r = HTTP_RESP_INIT;
	struct http_req		 req;
	struct http_header	 h[2];
	struct buf		 u = BUF_INIT(GH_MAX_URL);

	memset(out, 0, sizeof(*out));
	out->app = gh->app;
	if ((e = buf_addf(&u, "%s/meta", gh->t.api_base)) != NULL)
		return e;
	h[0] = (struct http_header){ "Accept", "application/vnd.github+json",
	    0 };
	h[1] = (struct http_header){ "X-GitHub-Api-Version", GH_API_VERSION,
	    0 };
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = u.p;
	req.headers = h;
	req.nheaders = 2;
	req.max_body = GH_MAX_REPLY;
	req.no_redirect = 1;
	gh->nreq++;
	if ((e = http_do(gh->http, &req, &r)) == NULL)
		probe_headers(&r, out);
	http_resp_release(&r);
	buf_release(&u);
	return e;
}

/* see github.h */
const struct error *
github_probe(struct github *gh, struct gh_probe *out)
{
	const struct error	*e;
	struct http_resp	 r = HTTP_RESP_INIT;
	struct buf		 u = BUF_INIT(GH_MAX_URL);
	struct gh_req		 rq;

	memset(out, 0, sizeof(*out));
	out->app = gh->app;
	if ((e = scope_url(gh, "/actions/runners?per_page=1", &u)) != NULL)
		return e;
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.url = u.p;
	rq.what = "list runners";
	rq.want = 200;
	if ((e = gh_call(gh, &rq, &r)) == NULL)
		probe_headers(&r, out);
	http_resp_release(&r);
	buf_release(&u);
	return e;
}

/* see github.h */
uint64_t
github_not_modified(const struct github *gh)
{
	return gh->n304;
}

/* see github.h */
const struct error *
github_cache_export(const struct github *gh, struct buf *out)
{
	const struct error	*e;
	cJSON			*arr, *o;
	char			*s;
	size_t			 i;

	arr = cJSON_CreateArray();
	for (i = 0; i < GH_ETAG_SLOTS; i++) {
		const struct gh_etag *c = &gh->cache[i];

		if (c->url == NULL || memchr(c->body, '\0', c->len) != NULL)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "url", c->url);
		cJSON_AddStringToObject(o, "etag", c->etag);
		cJSON_AddStringToObject(o, "body", c->body);
		cJSON_AddItemToArray(arr, o);
	}
	s = json_print(arr);
	cJSON_Delete(arr);
	e = buf_adds(out, s);
	free(s);
	return e;
}

/* see github.h */
void
github_cache_enable(struct github *gh)
{
	gh->cache_on = 1;
}

/* see github.h */
void
github_cache_import(struct github *gh, const char *text, size_t len)
{
	const cJSON	*o;
	cJSON		*root;
	const char	*url, *etag, *body;

	gh->cache_on = 1;
	if (len > GH_CACHE_FILE_MAX || json_parse(text, len, "ETag cache",
	    &root) != NULL)
		return;
	if (cJSON_IsArray(root))
		cJSON_ArrayForEach(o, root) {
			if (json_get_str(o, "url", &url) != NULL ||
			    json_get_str(o, "etag", &etag) != NULL ||
			    json_get_str(o, "body", &body) != NULL ||
			    !str_prefix(url, gh->t.api_base))
				continue;
			cache_put(gh, url, etag, body, strlen(body));
		}
	cJSON_Delete(root);
}

/* GET every page of url, calling page_fn on each body; 0 pages on 404. */
typedef const struct error *(*page_fn)(void *arg, const char *body,
    size_t len, int *stop);

static const struct error *
get_pages(struct github *gh, const char *url, const char *what,
    int not_found_ok, page_fn fn, void *arg, int *missing)
{
	const struct error	*e;
	struct http_resp	 r = HTTP_RESP_INIT;
	struct gh_req		 rq;
	char			 next[GH_MAX_URL];
	int			 more, stop = 0;

	if (missing != NULL)
		*missing = 0;
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.url = url;
	rq.what = what;
	rq.want = 200;
	rq.max_body = GH_MAX_PAGE;
	rq.cache = 1;
	rq.not_found_fail = not_found_ok;
	for (;;) {
		if ((e = gh_call(gh, &rq, &r)) != NULL) {
			if (not_found_ok && e->http_status == 404) {
				if (missing != NULL)
					*missing = 1;
				e = NULL;
			}
			goto out;
		}
		if ((e = fn(arg, r.body != NULL ? r.body : "", r.body_len,
		    &stop)) != NULL)
			goto out;
		if (stop || (e = next_page(gh, &r, next, sizeof(next),
		    &more)) != NULL || !more)
			goto out;
		http_resp_release(&r);
		rq.url = next;
	}
out:
	http_resp_release(&r);
	return e;
}

struct scan {
	struct github			*gh;
	const struct gh_scan_limits	*lim;
	struct gh_scan			*out;
	char				**repos;
	size_t				 nrepos;
	int64_t				*ids;
	size_t				 nids;
	size_t				 max_ids;
	int				 full;
	gh_job_fn			 fn;
	void				*arg;
};

static const struct error *
repo_cb(void *arg, const char *name)
{
	struct scan	*sc = arg;

	if (sc->nrepos == sc->lim->max_repos) {
		sc->out->repos_capped = 1;
		return NULL;
	}
	sc->repos[sc->nrepos++] = xstrdup(name);
	return NULL;
}

static const struct error *
repo_page(void *arg, const char *body, size_t len, int *stop)
{
	struct scan	*sc = arg;

	*stop = sc->out->repos_capped;
	return ghjobs_repo_page(body, len, repo_cb, sc, NULL);
}

static const struct error *
run_page(void *arg, const char *body, size_t len, int *stop)
{
	struct scan	*sc = arg;
	const struct error *e;

	e = ghjobs_run_page(body, len, sc->ids, sc->max_ids, &sc->nids, NULL,
	    &sc->full);
	*stop = sc->full;
	return e;
}

static const struct error *
job_page(void *arg, const char *body, size_t len, int *stop)
{
	struct scan	*sc = arg;

	*stop = 0;
	return ghjobs_job_page(body, len, sc->fn, sc->arg, NULL);
}

/* {api}/repos/OWNER/NAME + suffix */
static const struct error *
repo_url(const struct github *gh, const char *repo, struct buf *u)
{
	const struct error	*e;

	buf_reset(u);
	if ((e = buf_adds(u, gh->t.api_base)) != NULL ||
	    (e = buf_adds(u, "/repos/")) != NULL)
		return e;
	return url_encode(u, repo, strlen(repo), URL_ENC_PATH);
}

/* The runs of one repository (both statuses), then their jobs. */
static const struct error *
scan_repo(struct scan *sc, const char *repo)
{
	static const char *const status[] = { "queued", "in_progress" };
	const struct error	*e = NULL;
	struct buf		 u = BUF_INIT(GH_MAX_URL);
	char			 what[GHJOBS_REPO_MAX + 64];
	size_t			 i, base;
	int			 missing;

	base = sc->out->runs;
	sc->nids = 0;
	sc->full = 0;
	sc->max_ids = sc->lim->max_runs - base;
	snprintf(what, sizeof(what), "list workflow runs of %s", repo);
	for (i = 0; i < 2 && !sc->full; i++) {
		if ((e = repo_url(sc->gh, repo, &u)) != NULL ||
		    (e = buf_addf(&u, "/actions/runs?status=%s&per_page=100",
		    status[i])) != NULL ||
		    (e = get_pages(sc->gh, u.p, what, 1, run_page, sc,
		    &missing)) != NULL)
			goto out;
		if (missing) {
			log_warn("%s: not found (Actions disabled?); skipped",
			    repo);
			goto out;
		}
	}
	if (sc->full)
		sc->out->runs_capped = 1;
	sc->out->runs += (unsigned int)sc->nids;
	snprintf(what, sizeof(what), "list jobs of a workflow run of %s",
	    repo);
	for (i = 0; i < sc->nids; i++) {
		if ((e = repo_url(sc->gh, repo, &u)) != NULL ||
		    (e = buf_addf(&u, "/actions/runs/%lld/jobs?per_page=100",
		    (long long)sc->ids[i])) != NULL ||
		    (e = get_pages(sc->gh, u.p, what, 1, job_page, sc,
		    &missing)) != NULL)
			goto out;
	}
out:
	buf_release(&u);
	return e;
}

/* see github.h */
const struct error *
github_jobs_scan(struct github *gh, const struct gh_scan_limits *lim,
    gh_job_fn fn, void *arg, struct gh_scan *out)
{
	const struct error	*e = NULL;
	struct buf		 u = BUF_INIT(GH_MAX_URL);
	struct scan		 sc;
	char			 full[GHJOBS_REPO_MAX];
	size_t			 i;

	memset(out, 0, sizeof(*out));
	memset(&sc, 0, sizeof(sc));
	sc.gh = gh;
	sc.lim = lim;
	sc.out = out;
	sc.fn = fn;
	sc.arg = arg;
	sc.repos = xcalloc((size_t)lim->max_repos + 1, sizeof(*sc.repos));
	sc.ids = xcalloc((size_t)lim->max_runs + 1, sizeof(*sc.ids));
	switch (gh->t.scope) {
	case GH_SCOPE_REPO:
		if ((e = str_fmt(full, sizeof(full), "%s/%s", gh->t.owner,
		    gh->t.repo)) != NULL)
			goto out;
		if (lim->max_repos > 0)
			sc.repos[sc.nrepos++] = xstrdup(full);
		break;
	case GH_SCOPE_ORG:
		if ((e = buf_addf(&u, "%s/orgs/", gh->t.api_base)) != NULL ||
		    (e = url_encode(&u, gh->t.owner, strlen(gh->t.owner),
		    URL_ENC_UNRESERVED)) != NULL ||
		    (e = buf_adds(&u, "/repos?per_page=100")) != NULL ||
		    (e = get_pages(gh, u.p, "list the organization's "
		    "repositories", 0, repo_page, &sc, NULL)) != NULL)
			goto out;
		break;
	default:
		e = error_fmt(ERR_CONFIG, "the REST job count needs an "
		    "organization or repository GITHUB_CONFIG_URL, not an "
		    "enterprise");
		goto out;
	}
	out->repos = (unsigned int)sc.nrepos;
	for (i = 0; i < sc.nrepos && out->runs < lim->max_runs; i++)
		if ((e = scan_repo(&sc, sc.repos[i])) != NULL)
			goto out;
	if (i < sc.nrepos)
		out->runs_capped = 1;
out:
	for (i = 0; i < sc.nrepos; i++)
		free(sc.repos[i]);
	free(sc.repos);
	free(sc.ids);
	buf_release(&u);
	return e;
}

struct group_find {
	const char	*name;
	int64_t		*id;
	int		*found;
};

/* One page of GET .../actions/runner-groups: look for g->name. */
static const struct error *
group_page(void *arg, const char *body, size_t len, int *stop)
{
	struct group_find	*g = arg;
	const struct error	*e;
	cJSON			*root = NULL;
	const cJSON		*arr, *it;
	const char		*name;
	int64_t			 id;

	if ((e = json_parse(body, len, "list runner groups", &root)) != NULL ||
	    (e = json_want_object(root, "list runner groups")) != NULL ||
	    (e = json_get_array(root, "runner_groups", &arr)) != NULL)
		goto out;
	cJSON_ArrayForEach(it, arr) {
		if ((e = json_want_object(it, "runner group")) != NULL ||
		    (e = json_get_str(it, "name", &name)) != NULL ||
		    (e = json_get_i64(it, "id", &id)) != NULL)
			goto out;
		if (str_ieq(name, g->name)) {
			*g->id = id;
			*g->found = 1;
			*stop = 1;
			break;
		}
	}
out:
	cJSON_Delete(root);
	return e;
}

/* see github.h */
const struct error *
github_runner_group_find(struct github *gh, const char *name, int64_t *id,
    int *found)
{
	const struct error	*e;
	struct buf		 u = BUF_INIT(GH_MAX_URL);
	struct group_find	 g;

	*found = 0;
	if (gh->t.scope == GH_SCOPE_REPO)
		return error_fmt(ERR_CONFIG, "RUNNER_GROUP '%s': a repository "
		    "has no runner groups; use Default, or an organization or "
		    "enterprise GITHUB_CONFIG_URL", name);
	g.name = name;
	g.id = id;
	g.found = found;
	if ((e = scope_url(gh, "/actions/runner-groups?per_page=100", &u)) ==
	    NULL)
		e = get_pages(gh, u.p, "list runner groups", 0, group_page, &g,
		    NULL);
	buf_release(&u);
	return e;
}
