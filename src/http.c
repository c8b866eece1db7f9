/*
 * SPDX-License-Identifier: ISC
 *
 * The HTTP/1.1 client every service module uses (RFC 9110/9112): one
 * request out, status/headers/body in, over TLS (tls.c) or plain TCP
 * (net.c).  Framing is parsed by the pure http_parse.c.
 *
 * Keep-alive: after a cleanly framed reply the connection is parked, one
 * per (scheme, host, port), and the next request to the same place takes
 * it.  A parked connection that has become readable (peer closed it) is
 * dropped before use; one that still fails before the first response byte
 * is replaced once, transparently, which is what servers' idle timeouts
 * need.  Deadlines: connect, each wait for data, and the whole exchange
 * including redirects.  Redirects (301/302/303/307/308) are followed for
 * GET and HEAD only, at most HTTP_MAX_REDIRECTS times, and once a redirect
 * leaves the original origin, Authorization and every header the caller
 * marked secret are no longer sent.  Proxies follow curl's environment
 * conventions: HTTPS through CONNECT, plain HTTP in absolute form, basic
 * proxy credentials from the proxy URL's userinfo, NO_PROXY matching in
 * http_parse.c; loopback, link-local and metadata hosts, and requests
 * marked direct, never go through a proxy, and no redirect leads to a
 * link-local host.  Bodies are never logged; -vvv traces the request and
 * response heads with secret values shown as <redacted>.
 */

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "buf.h"
#include "http.h"
#include "http_parse.h"
#include "log.h"
#include "net.h"
#include "tls.h"
#include "url.h"
#include "util.h"

#define HTTP_MAX_IDLE		8
#define HTTP_MAX_REDIRECTS	5
#define HTTP_RBUF		(16u * 1024)
#define HTTP_MAX_REQ_HEAD	(64u * 1024)
#define HTTP_DEF_MAX_BODY	(8u << 20)
#define HTTP_DEF_CONNECT_MS	10000
#define HTTP_DEF_READ_MS	30000
#define HTTP_DEF_TOTAL_MS	120000

struct http_conn {
	char			 key[URL_MAX_HOST + 32]; /* scheme://host:port */
	struct net_conn		 net;
	struct tls_conn		*tls;		/* NULL for plain http */
	struct buf		 in;		/* received, not yet consumed */
	char			 rbuf[HTTP_RBUF];
};

struct proxy {
	int			 set;
	struct url		 u;
	char			*auth;		/* "Basic ..." or NULL */
};

struct http_client {
	char			*ca_file;
	char			*no_proxy;
	char			*user_agent;
	int			 connect_ms, read_ms, total_ms;
	size_t			 max_body;
	int			 allow_http;
	struct proxy		 https_proxy, http_proxy;
	struct tls_trust	*trust;
	struct http_conn	*idle[HTTP_MAX_IDLE];
	uint64_t		 handshakes, connects;
	/*
	 * The request head, built here request after request: a buffer
	 * freed and allocated again for each page of a listing made musl's
	 * allocator unmap and map a page each time, and each unmap stalls
	 * the process's other thread (a TLB shootdown).  Wiped after each
	 * request: it holds the Authorization header.
	 */
	struct buf		 rq;
};

/* What one exchange sends. */
struct exch {
	const struct http_req	*req;
	const struct url	*u;
	const struct proxy	*px;		/* NULL: direct */
	int			 strip;		/* drop Authorization + secrets */
	int64_t			 end;
	int			 total_ms;	/* what end stands for */
	size_t			 max_body;
};

static void
conn_free(struct http_conn *c)
{
	if (c == NULL)
		return;
	tls_free(c->tls);
	net_close(&c->net);
	buf_release(&c->in);
	free(c);
}

static const struct error *
proxy_parse(const char *what, const char *s, struct proxy *p)
{
	const struct error	*e;
	struct buf		 u = BUF_INIT(512), b = BUF_INIT(1024);
	char			*tmp = NULL;

	memset(p, 0, sizeof(*p));
	if (s == NULL || *s == '\0')
		return NULL;
	if (strstr(s, "://") == NULL) {
		tmp = xmalloc(strlen(s) + 8);
		memcpy(tmp, "http://", 7);
		memcpy(tmp + 7, s, strlen(s) + 1);
		s = tmp;
	}
	if ((e = url_parse(s, &p->u)) != NULL) {
		e = error_fmt(ERR_CONFIG, "invalid %s: %s", what, e->msg);
		goto out;
	}
	if (strcmp(p->u.scheme, "http") != 0) {
		e = error_fmt(ERR_CONFIG, "%s: only http:// proxies are "
		    "supported", what);
		goto out;
	}
	if (p->u.userinfo[0] != '\0') {
		if ((e = url_decode(&u, p->u.userinfo,
		    strlen(p->u.userinfo))) != NULL ||
		    (e = buf_adds(&b, "Basic ")) != NULL ||
		    (e = b64_encode(u.p, u.len, &b)) != NULL) {
			e = error_fmt(ERR_CONFIG, "invalid %s: bad user "
			    "information", what);
			goto out;
		}
		log_secret(b.p + 6);
		p->auth = buf_detach(&b, NULL);
	}
	p->set = 1;
out:
	if (e != NULL)
		url_release(&p->u);
	free(tmp);
	buf_release(&u);
	buf_release(&b);
	return e;
}

static void
proxy_release(struct proxy *p)
{
	url_release(&p->u);
	secret_free(p->auth);
	p->auth = NULL;
	p->set = 0;
}

/* see http.h */
const struct error *
http_client_new(const struct http_opts *o, struct http_client **out)
{
	const struct error	*e;
	struct http_client	*c;
	char			 ua[64];

	*out = NULL;
	c = xcalloc(1, sizeof(*c));
	buf_init(&c->rq, HTTP_MAX_REQ_HEAD);
	c->ca_file = o->ca_file != NULL && *o->ca_file != '\0' ?
	    xstrdup(o->ca_file) : NULL;
	c->no_proxy = o->no_proxy != NULL ? xstrdup(o->no_proxy) : NULL;
	snprintf(ua, sizeof(ua), "ghrctl/%s", GHRCTL_VERSION);
	c->user_agent = xstrdup(o->user_agent != NULL ? o->user_agent : ua);
	c->connect_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms :
	    HTTP_DEF_CONNECT_MS;
	c->read_ms = o->read_timeout_ms > 0 ? o->read_timeout_ms :
	    HTTP_DEF_READ_MS;
	c->total_ms = o->total_timeout_ms > 0 ? o->total_timeout_ms :
	    HTTP_DEF_TOTAL_MS;
	c->max_body = o->max_body > 0 ? o->max_body : HTTP_DEF_MAX_BODY;
	c->allow_http = o->allow_http;
	if ((e = proxy_parse("HTTPS_PROXY", o->https_proxy,
	    &c->https_proxy)) != NULL ||
	    (e = proxy_parse("HTTP_PROXY", o->http_proxy,
	    &c->http_proxy)) != NULL) {
		http_client_free(c);
		return e;
	}
	*out = c;
	return NULL;
}

/* see http.h */
void
http_client_free(struct http_client *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < HTTP_MAX_IDLE; i++)
		conn_free(c->idle[i]);
	tls_trust_free(c->trust);
	proxy_release(&c->https_proxy);
	proxy_release(&c->http_proxy);
	free(c->ca_file);
	free(c->no_proxy);
	free(c->user_agent);
	buf_release(&c->rq);
	free(c);
}

/* see http.h */
uint64_t
http_client_handshakes(const struct http_client *c)
{
	return c->handshakes;
}

/* see http.h */
int
http_client_total_ms(const struct http_client *c)
{
	return c->total_ms;
}

/* see http.h */
uint64_t
http_client_connects(const struct http_client *c)
{
	return c->connects;
}

/* Take the parked connection for key, if it is still alive. */
static struct http_conn *
pool_take(struct http_client *cl, const char *key)
{
	struct http_conn	*c;
	size_t			 i;

	for (i = 0; i < HTTP_MAX_IDLE; i++) {
		if (cl->idle[i] == NULL || strcmp(cl->idle[i]->key, key) != 0)
			continue;
		c = cl->idle[i];
		cl->idle[i] = NULL;
		if (net_idle_dead(&c->net)) {
			log_debug("idle connection to %s was closed", key);
			conn_free(c);
			return NULL;
		}
		return c;
	}
	return NULL;
}

/* Park c; it replaces an older one for the same key, or the oldest. */
static void
pool_put(struct http_client *cl, struct http_conn *c)
{
	size_t	 i, slot = HTTP_MAX_IDLE;

	for (i = 0; i < HTTP_MAX_IDLE; i++) {
		if (cl->idle[i] != NULL && strcmp(cl->idle[i]->key, c->key)
		    == 0) {
			conn_free(cl->idle[i]);
			cl->idle[i] = NULL;
		}
		if (cl->idle[i] == NULL && slot == HTTP_MAX_IDLE)
			slot = i;
	}
	if (slot == HTTP_MAX_IDLE) {
		conn_free(cl->idle[0]);
		memmove(cl->idle, cl->idle + 1, (HTTP_MAX_IDLE - 1) *
		    sizeof(cl->idle[0]));
		slot = HTTP_MAX_IDLE - 1;
	}
	cl->idle[slot] = c;
}

static const struct error *
conn_write(struct http_conn *c, const void *p, size_t n)
{
	if (c->tls != NULL)
		return tls_write(c->tls, p, n);
	return net_write(&c->net, p, n);
}

/* Read more bytes into c->in; *got 0 at end of stream. */
static const struct error *
conn_more(struct http_conn *c, size_t *got)
{
	const struct error	*e;

	if (c->tls != NULL)
		e = tls_read(c->tls, c->rbuf, sizeof(c->rbuf), got);
	else
		e = net_read(&c->net, c->rbuf, sizeof(c->rbuf), got);
	if (e == NULL && *got > 0)
		e = buf_add(&c->in, c->rbuf, *got);
	return e;
}

/* Read a complete response head from c into *h. */
static const struct error *
read_head(struct http_conn *c, struct http_head *h, int *got_any)
{
	const struct error	*e;
	size_t			 used, got;

	for (;;) {
		if (c->in.len > 0) {
			*got_any = 1;
			if ((e = http_head_parse(c->in.p, c->in.len, h,
			    &used)) != NULL)
				return error_fmt(ERR_PROTO, "bad response from "
				    "%s: %s", c->net.peer, e->msg);
			if (used > 0) {
				buf_consume(&c->in, used);
				return NULL;
			}
		}
		if ((e = conn_more(c, &got)) != NULL)
			return e;
		if (got == 0)
			return error_fmt(c->in.len == 0 ? ERR_UNAVAIL :
			    ERR_PROTO, "%s closed the connection %s",
			    c->net.peer, c->in.len == 0 ? "without a response" :
			    "in the middle of the response headers");
	}
}

static int
is_secret_name(const char *name)
{
	return str_ieq(name, "Authorization") ||
	    str_ieq(name, "Proxy-Authorization") || str_ieq(name, "Cookie");
}

/* Append "Name: value\r\n", tracing it with secrets hidden. */
static const struct error *
add_header(struct buf *b, const char *name, const char *value, int secret)
{
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return error_fmt(ERR_SOFTWARE, "header '%.40s' contains a "
		    "line break", name);
	log_trace("> %s: %s", name, secret || is_secret_name(name) ?
	    "<redacted>" : value);
	return buf_addf(b, "%s: %s\r\n", name, value);
}

static const struct error *
proxy_connect(struct http_conn *c, const struct url *u,
    const struct proxy *px, const char *ua)
{
	const struct error	*e;
	struct http_head	 h = HTTP_HEAD_INIT;
	struct buf		 rq = BUF_INIT(HTTP_MAX_REQ_HEAD);
	struct buf		 hp = BUF_INIT(URL_MAX_HOST + 16);
	int			 any = 0;

	if ((e = url_hostport(u, 1, &hp)) != NULL)
		goto out;
	log_trace("> CONNECT %s HTTP/1.1", hp.p);
	if ((e = buf_addf(&rq, "CONNECT %s HTTP/1.1\r\n", hp.p)) != NULL ||
	    (e = add_header(&rq, "Host", hp.p, 0)) != NULL ||
	    (e = add_header(&rq, "User-Agent", ua, 0)) != NULL ||
	    (px->auth != NULL && (e = add_header(&rq, "Proxy-Authorization",
	    px->auth, 1)) != NULL) || (e = buf_adds(&rq, "\r\n")) != NULL ||
	    (e = net_write(&c->net, rq.p, rq.len)) != NULL ||
	    (e = read_head(c, &h, &any)) != NULL)
		goto out;
	log_trace("< HTTP/1.%d %d (proxy)", h.minor, h.status);
	if (h.status == 407)
		e = error_http(ERR_PERM, 407, "proxy %s:%u %s (check the "
		    "user:password in HTTPS_PROXY)", px->u.host, px->u.port,
		    px->auth != NULL ? "rejected the credentials" :
		    "requires authentication");
	else if (h.status / 100 != 2)
		e = error_http(ERR_UNAVAIL, h.status, "proxy %s:%u refused "
		    "CONNECT to %s: status %d", px->u.host, px->u.port, hp.p,
		    h.status);
	else if (c->in.len > 0)
		e = error_fmt(ERR_PROTO, "proxy %s:%u sent data after its "
		    "CONNECT reply", px->u.host, px->u.port);
out:
	http_head_release(&h);
	buf_release(&rq);
	buf_release(&hp);
	return e;
}

/* Open a new connection for x (through the proxy if any). */
static const struct error *
conn_open(struct http_client *cl, const struct exch *x, const char *key,
    struct http_conn **out)
{
	const struct error	*e;
	struct http_conn	*c;
	const struct url	*to = x->px != NULL ? &x->px->u : x->u;
	int			 https = strcmp(x->u->scheme, "https") == 0;

	*out = NULL;
	if (https && cl->trust == NULL &&
	    (e = tls_trust_load(cl->ca_file, &cl->trust)) != NULL)
		return e;
	c = xcalloc(1, sizeof(*c));
	net_init(&c->net);
	buf_init(&c->in, HTTP_MAX_HEAD + HTTP_RBUF);
	(void)str_copy(c->key, sizeof(c->key), key);
	c->net.end = x->end;
	c->net.end_ms = x->total_ms;
	c->net.io_timeout_ms = x->req->read_timeout_ms > 0 ?
	    x->req->read_timeout_ms : cl->read_ms;
	cl->connects++;
	log_debug("connecting to %s port %u%s", to->host, to->port,
	    x->px != NULL ? " (proxy)" : "");
	if ((e = net_connect(&c->net, to->host, to->port, cl->connect_ms))
	    != NULL)
		goto fail;
	if (x->px != NULL && https) {
		if ((e = proxy_connect(c, x->u, x->px, cl->user_agent)) != NULL)
			goto fail;
		(void)str_copy(c->net.peer, sizeof(c->net.peer), x->u->host);
	}
	if (https) {
		cl->handshakes++;
		if ((e = tls_connect(cl->trust, &c->net, x->u->host, &c->tls))
		    != NULL)
			goto fail;
	}
	*out = c;
	return NULL;
fail:
	conn_free(c);
	return e;
}

/* Build the request head (and small bodies) into rq. */
static const struct error *
build_request(struct http_client *cl, const struct exch *x, struct buf *rq)
{
	const struct error	*e;
	const struct http_req	*r = x->req;
	struct buf		 hp = BUF_INIT(URL_MAX_HOST + 16);
	char			 cl_s[32];
	size_t			 i;
	int			 absolute = x->px != NULL &&
			    strcmp(x->u->scheme, "http") == 0;

	if ((e = url_hostport(x->u, 0, &hp)) != NULL)
		goto out;
	if (absolute)
		e = buf_addf(rq, "%s http://%s%s HTTP/1.1\r\n", r->method, hp.p,
		    x->u->path);
	else
		e = buf_addf(rq, "%s %s HTTP/1.1\r\n", r->method, x->u->path);
	if (e != NULL)
		goto out;
	log_trace("> %.*s", (int)(rq->len - 2), rq->p);
	if ((e = add_header(rq, "Host", hp.p, 0)) != NULL ||
	    (e = add_header(rq, "User-Agent", r->user_agent != NULL ?
	    r->user_agent : cl->user_agent, 0)) != NULL)
		goto out;
	if (absolute && x->px->auth != NULL &&
	    (e = add_header(rq, "Proxy-Authorization", x->px->auth, 1)) != NULL)
		goto out;
	for (i = 0; i < r->nheaders; i++) {
		if (x->strip && (r->headers[i].secret ||
		    str_ieq(r->headers[i].name, "Authorization") ||
		    str_ieq(r->headers[i].name, "Cookie")))
			continue;
		if ((e = add_header(rq, r->headers[i].name,
		    r->headers[i].value, r->headers[i].secret)) != NULL)
			goto out;
	}
	if (r->body != NULL || strcmp(r->method, "POST") == 0 ||
	    strcmp(r->method, "PUT") == 0 || strcmp(r->method, "PATCH") == 0) {
		snprintf(cl_s, sizeof(cl_s), "%zu", r->body != NULL ?
		    r->body_len : 0);
		if ((e = add_header(rq, "Content-Length", cl_s, 0)) != NULL)
			goto out;
	}
	e = buf_adds(rq, "\r\n");
out:
	buf_release(&hp);
	return e;
}

static const struct error *
too_big(const struct exch *x)
{
	return error_fmt(ERR_PROTO, "response from %s exceeds %zu bytes",
	    x->u->host, x->max_body);
}

/* Move up to n bytes from c->in to body, enforcing the cap. */
static const struct error *
take(const struct exch *x, struct http_conn *c, struct buf *body, size_t n)
{
	const struct error	*e;

	if (n > c->in.len)
		n = c->in.len;
	if (n == 0)
		return NULL;
	if (body->len + n > x->max_body)
		return too_big(x);
	if ((e = buf_add(body, c->in.p, n)) != NULL)
		return e;
	buf_consume(&c->in, n);
	return NULL;
}

static const struct error *
read_chunked(const struct exch *x, struct http_conn *c, struct buf *body)
{
	const struct error	*e;
	struct http_chunked	 ch;
	const char		*d;
	size_t			 used, dl, got, off;

	memset(&ch, 0, sizeof(ch));
	for (;;) {
		off = 0;
		while (off < c->in.len && !http_chunked_done(&ch)) {
			if ((e = http_chunked_feed(&ch, c->in.p + off,
			    c->in.len - off, &used, &d, &dl)) != NULL)
				return error_fmt(ERR_PROTO, "bad response from "
				    "%s: %s", x->u->host, e->msg);
			if (body->len + dl > x->max_body)
				return too_big(x);
			if (dl > 0 && (e = buf_add(body, d, dl)) != NULL)
				return e;
			off += used;
		}
		buf_consume(&c->in, off);
		if (http_chunked_done(&ch))
			return NULL;
		if ((e = conn_more(c, &got)) != NULL)
			return e;
		if (got == 0)
			return error_fmt(ERR_PROTO, "%s closed the connection "
			    "in the middle of a chunked body", x->u->host);
	}
}

/* Read the body framed by h into body; *reusable when keep-alive holds. */
static const struct error *
read_body(const struct exch *x, struct http_conn *c,
    const struct http_head *h, struct buf *body, int *reusable)
{
	const struct error	*e;
	size_t			 got;
	uint64_t		 want;

	*reusable = !h->close;
	if (strcmp(x->req->method, "HEAD") == 0 || h->status == 204 ||
	    h->status == 304)
		return NULL;
	if (h->chunked)
		return read_chunked(x, c, body);
	if (h->content_length >= 0) {
		want = (uint64_t)h->content_length;
		if (want > x->max_body)
			return too_big(x);
		/* One allocation for the whole body, not a doubling series. */
		if ((e = buf_reserve(body, (size_t)want)) != NULL)
			return e;
		for (;;) {
			if ((e = take(x, c, body, (size_t)want - body->len))
			    != NULL)
				return e;
			if (body->len == want)
				return NULL;
			if ((e = conn_more(c, &got)) != NULL)
				return e;
			if (got == 0)
				return error_fmt(ERR_PROTO, "%s closed the "
				    "connection after %zu of %llu body bytes",
				    x->u->host, body->len,
				    (unsigned long long)want);
		}
	}
	/*
	 * No framing: the body ends when the server closes; over TLS only
	 * with close_notify, since a bare TCP close (anyone on the path can
	 * forge one) may cut the body short (RFC 5246 7.2.1, RFC 8446 6.1).
	 */
	*reusable = 0;
	for (;;) {
		if ((e = take(x, c, body, c->in.len)) != NULL)
			return e;
		if ((e = conn_more(c, &got)) != NULL)
			return e;
		if (got == 0 && c->tls != NULL && !tls_close_notified(c->tls))
			return error_fmt(ERR_PROTO, "%s closed the connection "
			    "without TLS close_notify after %zu body bytes: "
			    "the response may be truncated", x->u->host,
			    body->len);
		if (got == 0)
			return NULL;
	}
}

static void
trace_head(const struct http_head *h)
{
	const char	*p;

	if (!log_enabled(LOG_TRACE))
		return;
	log_trace("< HTTP/1.%d %d", h->minor, h->status);
	for (p = h->headers; p != NULL && *p != '\0'; p += strlen(p) + 1)
		log_trace("< %s", p);
}

/*
 * Send the request on c and read the reply into resp.  *got_any tells
 * whether any response byte arrived (for the stale-connection retry).
 */
static const struct error *
roundtrip(const struct exch *x, struct http_conn *c, const struct buf *rq,
    struct http_resp *resp, int *got_any, int *reusable)
{
	const struct error	*e;
	const struct http_req	*r = x->req;
	struct http_head	 h = HTTP_HEAD_INIT;
	struct buf		 body = BUF_INIT(x->max_body + 1);

	*reusable = 0;
	if (r->spare != NULL && r->spare->p != NULL) {
		body.p = r->spare->p;
		body.cap = r->spare->cap;
		body.p[0] = '\0';
		r->spare->p = NULL;
	}
	buf_reset(&c->in);
	if ((e = conn_write(c, rq->p, rq->len)) != NULL)
		goto out;
	if (r->body != NULL && r->body_len > 0 &&
	    (e = conn_write(c, r->body, r->body_len)) != NULL)
		goto out;
	if (c->tls != NULL && (e = tls_flush(c->tls)) != NULL)
		goto out;
	for (;;) {
		if ((e = read_head(c, &h, got_any)) != NULL)
			goto out;
		trace_head(&h);
		if (h.status >= 200 || h.status == 101)
			break;
		http_head_release(&h);	/* 1xx interim reply */
	}
	if ((e = read_body(x, c, &h, &body, reusable)) != NULL)
		goto out;
	if (c->in.len > 0) {
		log_debug("%s sent %zu bytes past the response", x->u->host,
		    c->in.len);
		*reusable = 0;
	}
	log_debug("%s %s: %d, %zu body bytes", r->method, x->u->host,
	    h.status, body.len);
	resp->status = h.status;
	resp->headers = h.headers;
	resp->headers_len = h.headers_len;
	h.headers = NULL;
	resp->body_cap = body.cap;
	resp->body = buf_detach(&body, &resp->body_len);
	if (resp->body_cap == 0)
		resp->body_cap = resp->body_len + 1;	/* buf_detach's "" */
out:
	http_head_release(&h);
	buf_release(&body);
	return e;
}

/* One request to x->u without redirects. */
static const struct error *
exchange(struct http_client *cl, struct exch *x, struct http_resp *resp)
{
	const struct error	*e;
	struct http_conn	*c = NULL;
	struct buf		*rq = &cl->rq;
	char			 key[URL_MAX_HOST + 32];
	int			 attempt, reused, got_any, reusable;

	snprintf(key, sizeof(key), "%.7s://%.255s:%u", x->u->scheme, x->u->host,
	    x->u->port);
	buf_reset(rq);
	if ((e = build_request(cl, x, rq)) != NULL)
		goto out;
	for (attempt = 0; attempt < 2; attempt++) {
		reused = (c = pool_take(cl, key)) != NULL;
		if (!reused && (e = conn_open(cl, x, key, &c)) != NULL)
			goto out;
		c->net.end = x->end;
		c->net.end_ms = x->total_ms;
		c->net.io_timeout_ms = x->req->read_timeout_ms > 0 ?
		    x->req->read_timeout_ms : cl->read_ms;
		got_any = 0;
		e = roundtrip(x, c, rq, resp, &got_any, &reusable);
		if (e == NULL)
			break;
		conn_free(c);
		c = NULL;
		http_resp_release(resp);
		if (!reused || got_any || e->class == ERR_TEMP)
			goto out;
		log_debug("reused connection to %s failed (%s); reconnecting",
		    key, e->msg);
	}
	if (reusable)
		pool_put(cl, c);
	else
		conn_free(c);
	c = NULL;
out:
	conn_free(c);
	if (rq->p != NULL)
		wipe(rq->p, rq->len);
	buf_reset(rq);
	return e;
}

static int
is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 ||
	    status == 307 || status == 308;
}

/* host as an IPv4 address (also IPv4-mapped IPv6); -1 if it is none. */
static int
host_v4(const char *host, uint8_t b[4])
{
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (inet_pton(AF_INET, host, &a4) == 1) {
		memcpy(b, &a4.s_addr, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_V4MAPPED(&a6)) {
		memcpy(b, a6.s6_addr + 12, 4);
		return 0;
	}
	return -1;
}

/*
 * 0: an ordinary host; 1: link-local or a metadata/credential address;
 * 2: loopback.
 */
static int
host_kind(const char *host)
{
	static const char *const aws6[] = { "fd00:ec2::254", "fd00:ec2::23" };
	struct in6_addr		 a6, w;
	uint8_t			 b[4];
	size_t			 n = strlen(host), i;

	if (str_ieq(host, "localhost") || (n > 10 &&
	    str_ieq(host + n - 10, ".localhost")))
		return 2;
	if (host_v4(host, b) == 0)
		return b[0] == 127 ? 2 : (b[0] == 169 && b[1] == 254) ? 1 : 0;
	if (inet_pton(AF_INET6, host, &a6) != 1)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return 2;
	if (IN6_IS_ADDR_LINKLOCAL(&a6))
		return 1;
	for (i = 0; i < sizeof(aws6) / sizeof(aws6[0]); i++)
		if (inet_pton(AF_INET6, aws6[i], &w) == 1 &&
		    memcmp(&a6, &w, sizeof(w)) == 0)
			return 1;
	return 0;
}

/* see http.h */
int
http_host_local(const char *host)
{
	return host_kind(host) != 0;
}

/* see http.h */
int
http_host_link_local(const char *host)
{
	return host_kind(host) == 1;
}

/*
 * Pick the proxy for u, or NULL.  Loopback, link-local and metadata hosts
 * are never proxied, whatever NO_PROXY says: a proxy would see the IMDS
 * token, credential replies and signed requests, and could answer with
 * credentials of its choice (Go's net/http does not proxy loopback either).
 */
static const struct proxy *
choose_proxy(const struct http_client *cl, const struct http_req *req,
    const struct url *u)
{
	const struct proxy	*p = strcmp(u->scheme, "https") == 0 ?
	    &cl->https_proxy : &cl->http_proxy;

	if (!p->set || req->direct || http_host_local(u->host) ||
	    http_no_proxy_match(cl->no_proxy, u->host, u->port))
		return NULL;
	return p;
}

/* see http.h */
const struct error *
http_do(struct http_client *cl, const struct http_req *req,
    struct http_resp *resp)
{
	const struct error	*e = NULL;
	struct url		 u = URL_INIT, next = URL_INIT;
	struct buf		 ub = BUF_INIT(16384);
	struct exch		 x;
	const char		*loc;
	int64_t			 end;
	int			 hop, total, strip = 0;

	memset(resp, 0, sizeof(*resp));
	total = req->total_timeout_ms > 0 ? req->total_timeout_ms :
	    cl->total_ms;
	end = now_ms() + total;
	if ((e = url_parse(req->url, &u)) != NULL)
		goto out;
	for (hop = 0;; hop++) {
		if (strcmp(u.scheme, "http") == 0 && !cl->allow_http &&
		    !http_plain_host_ok(u.host)) {
			e = error_fmt(ERR_CONFIG, "plain http:// to '%s' is not "
			    "allowed (use https:// or --allow-http)", u.host);
			goto out;
		}
		memset(&x, 0, sizeof(x));
		x.req = req;
		x.u = &u;
		x.px = choose_proxy(cl, req, &u);
		x.strip = strip;
		x.end = end;
		x.total_ms = total;
		x.max_body = req->max_body > 0 ? req->max_body : cl->max_body;
		if ((e = exchange(cl, &x, resp)) != NULL)
			goto out;
		if (!is_redirect(resp->status) || req->no_redirect ||
		    (strcmp(req->method, "GET") != 0 &&
		    strcmp(req->method, "HEAD") != 0) ||
		    (loc = http_resp_header(resp, "Location")) == NULL)
			break;
		if (hop == HTTP_MAX_REDIRECTS) {
			e = error_fmt(ERR_PROTO, "too many redirects (more than "
			    "%d) from %s", HTTP_MAX_REDIRECTS, req->url);
			goto out;
		}
		if ((e = url_resolve(&u, loc, &next)) != NULL)
			goto out;
		/* Nobody may send us to the metadata service (SSRF). */
		if (http_host_link_local(next.host) &&
		    strcmp(next.host, u.host) != 0) {
			e = error_fmt(ERR_PROTO, "%s redirected to link-local "
			    "address '%s': refused", u.host, next.host);
			goto out;
		}
		if (!url_same_origin(&u, &next))
			strip = 1;
		log_debug("%d redirect to %s://%s%s", resp->status,
		    next.scheme, next.host, strip ? " (credentials dropped)" :
		    "");
		http_resp_release(resp);
		url_release(&u);
		u = next;
		memset(&next, 0, sizeof(next));
	}
	if ((e = url_format(&u, &ub)) == NULL)
		resp->url = buf_detach(&ub, NULL);
out:
	if (e != NULL)
		http_resp_release(resp);
	url_release(&u);
	url_release(&next);
	buf_release(&ub);
	return e;
}

/* see http.h */
const char *
http_resp_header(const struct http_resp *r, const char *name)
{
	return http_header_find(r->headers, r->headers_len, name);
}

/* see http.h */
void
http_spare_release(struct http_spare *s)
{
	if (s->p != NULL) {
		wipe(s->p, s->cap);
		free(s->p);
	}
	s->p = NULL;
	s->cap = 0;
}

/* see http.h */
void
http_resp_spare(struct http_resp *r, struct http_spare *s)
{
	if (s->p == NULL && r->body != NULL && r->body_cap > 0) {
		s->p = r->body;
		s->cap = r->body_cap;
		r->body = NULL;
	}
	http_resp_release(r);
}

/* see http.h */
void
http_resp_release(struct http_resp *r)
{
	free(r->headers);
	if (r->body != NULL) {
		/* A recycled buffer may hold an older, longer body past len. */
		wipe(r->body, r->body_cap > r->body_len ? r->body_cap :
		    r->body_len);
		free(r->body);
	}
	free(r->url);
	memset(r, 0, sizeof(*r));
}
