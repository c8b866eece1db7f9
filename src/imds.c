/*
 * SPDX-License-Identifier: ISC
 *
 * EC2 instance metadata service, version 2 only: session token, region,
 * role credentials.  The token is kept until a minute before its TTL runs
 * out and fetched again when a GET answers 401 (IMDS restarted, token
 * expired).  A PUT that answers 403 means hop limit or X-Forwarded-For
 * trouble; it is reported, not worked around with IMDSv1.  Facts: EC2
 * User Guide "Use the Instance Metadata Service to access instance
 * metadata" (IMDSv2) and "Retrieve security credentials from instance
 * metadata".
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cJSON.h"

#include "buf.h"
#include "http.h"
#include "imds.h"
#include "json.h"
#include "log.h"
#include "util.h"

#define IMDS_TOKEN_MARGIN_MS	60000

struct imds {
	struct http_client	*http;
	char			*base;		/* no trailing '/' */
	char			*token;		/* secret */
	int64_t			 token_until;	/* monotonic ms */
};

/* see imds.h */
const struct error *
imds_new(struct http_client *http, const char *endpoint, struct imds **out)
{
	struct imds	*m;
	size_t		 n;

	*out = NULL;
	if (endpoint == NULL || *endpoint == '\0')
		endpoint = IMDS_ENDPOINT;
	if (!str_prefix(endpoint, "http://") && !str_prefix(endpoint,
	    "https://"))
		return error_fmt(ERR_CONFIG, "instance metadata endpoint '%s' "
		    "is not an http:// URL (AWS_EC2_METADATA_SERVICE_ENDPOINT)",
		    endpoint);
	m = xcalloc(1, sizeof(*m));
	m->http = http;
	m->base = xstrdup(endpoint);
	n = strlen(m->base);
	while (n > 0 && m->base[n - 1] == '/')
		m->base[--n] = '\0';
	*out = m;
	return NULL;
}

/* see imds.h */
void
imds_free(struct imds *m)
{
	if (m == NULL)
		return;
	secret_free(m->token);
	free(m->base);
	free(m);
}

static const struct error *
exchange(struct imds *m, const char *method, const char *path,
    const struct http_header *h, size_t nh, struct http_resp *resp)
{
	struct http_req		 req;
	const struct error	*e;
	char			 url[1024];

	if ((e = str_fmt(url, sizeof(url), "%s%s", m->base, path)) != NULL)
		return e;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = h;
	req.nheaders = nh;
	req.total_timeout_ms = IMDS_TIMEOUT_MS;
	req.read_timeout_ms = IMDS_TIMEOUT_MS;
	req.max_body = IMDS_MAX_BODY;
	req.no_redirect = 1;
	req.direct = 1;		/* credentials: never through a proxy */
	if ((e = http_do(m->http, &req, resp)) != NULL)
		return error_fmt(e->class == ERR_CONFIG ? ERR_CONFIG :
		    ERR_UNAVAIL, "instance metadata service at %s unreachable "
		    "(not on EC2? set AWS_EC2_METADATA_DISABLED=true or give "
		    "credentials another way): %s", m->base, e->msg);
	return NULL;
}

static const struct error *
get_token(struct imds *m)
{
	struct http_header	 h[1];
	struct http_resp	 resp = HTTP_RESP_INIT;
	const struct error	*e;
	char			 ttl[16];

	if (m->token != NULL && now_ms() < m->token_until)
		return NULL;
	secret_free(m->token);
	m->token = NULL;
	snprintf(ttl, sizeof(ttl), "%d", IMDS_TOKEN_TTL_S);
	h[0].name = "X-aws-ec2-metadata-token-ttl-seconds";
	h[0].value = ttl;
	h[0].secret = 0;
	if ((e = exchange(m, "PUT", "/latest/api/token", h, 1, &resp)) != NULL)
		return e;
	if (resp.status != 200 || resp.body_len == 0 ||
	    strpbrk(resp.body, "\r\n") != NULL) {
		e = error_http(resp.status == 403 ? ERR_PERM : ERR_PROTO,
		    resp.status, "instance metadata service at %s refused an "
		    "IMDSv2 token (HTTP %d)%s", m->base, resp.status,
		    resp.status == 403 ? " (PUT response hop limit too low?)" :
		    "");
		goto out;
	}
	m->token = xstrdup(resp.body);
	log_secret_short(m->token);
	m->token_until = now_ms() + (int64_t)IMDS_TOKEN_TTL_S * 1000 -
	    IMDS_TOKEN_MARGIN_MS;
out:
	http_resp_release(&resp);
	return e;
}

/* see imds.h */
const struct error *
imds_get(struct imds *m, const char *path, struct buf *out)
{
	struct http_header	 h[1];
	struct http_resp	 resp = HTTP_RESP_INIT;
	const struct error	*e;
	int			 try;

	for (try = 0; try < 2; try++) {
		if ((e = get_token(m)) != NULL)
			return e;
		h[0].name = "X-aws-ec2-metadata-token";
		h[0].value = m->token;
		h[0].secret = 1;
		if ((e = exchange(m, "GET", path, h, 1, &resp)) != NULL)
			return e;
		if (resp.status != 401)
			break;
		/* The token is no longer good: fetch a new one, once. */
		http_resp_release(&resp);
		secret_free(m->token);
		m->token = NULL;
	}
	if (resp.status == 200)
		e = buf_add(out, resp.body, resp.body_len);
	else if (resp.status == 404)
		e = error_http(ERR_FAIL, 404, "instance metadata %s: not found",
		    path);
	else
		e = error_http(ERR_PROTO, resp.status, "instance metadata %s: "
		    "HTTP %d", path, resp.status);
	http_resp_release(&resp);
	return e;
}

/* see imds.h */
const struct error *
imds_region(struct imds *m, char *out, size_t size)
{
	struct buf		 b = BUF_INIT(IMDS_MAX_BODY);
	const struct error	*e;

	if ((e = imds_get(m, "/latest/meta-data/placement/region", &b)) ==
	    NULL) {
		if (b.len == 0 || strpbrk(b.p, " \r\n/") != NULL)
			e = error_fmt(ERR_PROTO, "instance metadata: bad region "
			    "'%.40s'", b.p != NULL ? b.p : "");
		else
			e = str_copy(out, size, b.p);
	}
	buf_release(&b);
	return e;
}

/* see imds.h */
void
imds_creds_release(struct imds_creds *c)
{
	free(c->access_key);
	secret_free(c->secret_key);
	secret_free(c->token);
	memset(c, 0, sizeof(*c));
}

static const struct error *
parse_creds(const char *body, size_t len, struct imds_creds *c)
{
	cJSON			*j = NULL;
	const struct error	*e;
	const char		*code, *ak, *sk, *tok, *exp, *msg = NULL;

	if ((e = json_parse(body, len, "instance role credentials", &j)) !=
	    NULL)
		return e;
	if ((e = json_want_object(j, "instance role credentials")) != NULL ||
	    (e = json_get_str(j, "Code", &code)) != NULL)
		goto out;
	if (strcmp(code, "Success") != 0) {
		(void)json_opt_str(j, "Message", &msg);
		e = error_fmt(ERR_PROTO, "instance role credentials: %s%s%s",
		    code, msg != NULL ? ": " : "", msg != NULL ? msg : "");
		goto out;
	}
	if ((e = json_get_str(j, "AccessKeyId", &ak)) != NULL ||
	    (e = json_get_str(j, "SecretAccessKey", &sk)) != NULL ||
	    (e = json_get_str(j, "Token", &tok)) != NULL ||
	    (e = json_get_str(j, "Expiration", &exp)) != NULL)
		goto out;
	if (parse_rfc3339(exp, &c->expiration) == -1) {
		e = error_fmt(ERR_PROTO, "instance role credentials: bad "
		    "Expiration '%.40s'", exp);
		goto out;
	}
	c->access_key = xstrdup(ak);
	c->secret_key = xstrdup(sk);
	c->token = xstrdup(tok);
	log_secret(c->secret_key);
	log_secret(c->token);
out:
	cJSON_Delete(j);
	return e;
}

/* see imds.h */
const struct error *
imds_credentials(struct imds *m, struct imds_creds *c)
{
	struct buf		 b = BUF_INIT(IMDS_MAX_BODY);
	const struct error	*e;
	char			 path[256];
	size_t			 n;

	memset(c, 0, sizeof(*c));
	e = imds_get(m, "/latest/meta-data/iam/security-credentials/", &b);
	if (e != NULL && e->http_status == 404)
		e = error_fmt(ERR_CONFIG, "this instance has no IAM role "
		    "(instance metadata lists no security credentials)");
	if (e != NULL)
		goto out;
	n = strcspn(b.p != NULL ? b.p : "", "\r\n");
	if (n == 0 || n >= sizeof(c->role) || memchr(b.p, '/', n) != NULL) {
		e = error_fmt(ERR_PROTO, "instance metadata: bad role name");
		goto out;
	}
	memcpy(c->role, b.p, n);
	c->role[n] = '\0';
	buf_reset(&b);
	if ((e = str_fmt(path, sizeof(path),
	    "/latest/meta-data/iam/security-credentials/%s", c->role)) != NULL ||
	    (e = imds_get(m, path, &b)) != NULL)
		goto out;
	e = parse_creds(b.p, b.len, c);
out:
	buf_release(&b);
	if (e != NULL)
		imds_creds_release(c);
	return e;
}
