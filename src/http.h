/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_HTTP_H
#define GHRCTL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * The one HTTP/1.1 transport every service module uses (GitHub REST, the
 * Actions Service, EC2, CloudWatch, IMDS).  HTTPS goes through BearSSL TLS
 * 1.2 with hostname verification always on; plain http:// is allowed only
 * to loopback and the link-local metadata address (169.254.169.254,
 * fd00:ec2::254) unless allow_http is set.
 *
 * A client keeps at most one idle keep-alive connection per
 * (scheme, host, port), so a run that makes many calls to one service pays
 * for one TCP connect and one TLS handshake.  Proxies come from the
 * environment as curl reads them (HTTPS_PROXY/https_proxy, HTTP_PROXY/
 * http_proxy, NO_PROXY/no_proxy), HTTPS through CONNECT, with basic proxy
 * auth taken from the proxy URL.
 *
 * http_do() performs one exchange; it never retries (see call.h), never
 * logs bodies, and masks secret header values in traces.
 */

struct http_client;

struct http_opts {
	const char	*ca_file;	/* PEM bundle; NULL: SSL_CERT_FILE, then system */
	int		 connect_timeout_ms;	/* 0: 10 s */
	int		 read_timeout_ms;	/* per read; 0: 30 s */
	int		 total_timeout_ms;	/* whole exchange; 0: 120 s */
	size_t		 max_body;	/* default response body cap; 0: 8 MiB */
	int		 allow_http;	/* plain http:// to any host */
	const char	*https_proxy;	/* NULL: none; "http://[user:pass@]host:port" */
	const char	*http_proxy;
	const char	*no_proxy;	/* comma list: suffixes, exact names, "*" */
	const char	*user_agent;	/* NULL: "ghrctl/<version>" */
};

struct http_header {
	const char	*name;
	const char	*value;
	int		 secret;	/* masked as <redacted> in traces */
};

struct http_req {
	const char			*method;	/* "GET", "POST", ... */
	const char			*url;		/* absolute http(s) URL */
	const struct http_header	*headers;	/* extra request headers */
	size_t				 nheaders;
	const void			*body;		/* NULL: no body */
	size_t				 body_len;
	int				 read_timeout_ms; /* 0: client default */
	int				 total_timeout_ms; /* 0: client default */
	size_t				 max_body;	/* 0: client default */
	int				 no_redirect;	/* do not follow 3xx on GET */
	int				 direct;	/* never through a proxy */
	const char			*user_agent;	/* NULL: the client's */
	struct http_spare		*spare;		/* NULL: none */
};

/*
 * A buffer (malloc'd, cap bytes) for the response body to be read into,
 * saving an allocation when pages of one size follow each other: the
 * exchange takes it (p becomes NULL) when it reads a body.  Recycle a
 * response's body with http_resp_spare().
 */
struct http_spare {
	char		*p;
	size_t		 cap;
};

struct http_resp {
	int		 status;
	char		*headers;	/* "Name: value\0Name: value\0...\0" */
	size_t		 headers_len;
	char		*body;		/* NUL-terminated, body_len bytes */
	size_t		 body_len;
	char		*url;		/* the URL that answered (after redirects) */
	size_t		 body_cap;	/* bytes allocated at body; 0: unknown */
};

#define HTTP_RESP_INIT	{ 0, NULL, 0, NULL, 0, NULL, 0 }

/* Create a client; trust anchors are loaded on first HTTPS use. */
const struct error	*http_client_new(const struct http_opts *,
			    struct http_client **out);
/* Close every connection and free; NULL is fine. */
void			 http_client_free(struct http_client *);

/*
 * One request/response exchange (following up to 5 redirects for GET and
 * HEAD unless no_redirect; Authorization and secret headers are dropped when
 * a redirect leaves the original host).  Any HTTP status is success here:
 * the caller reads resp->status.  Errors: ERR_UNAVAIL (resolve, connect,
 * reset), ERR_TEMP (a deadline passed), ERR_PERM (TLS trust or name check),
 * ERR_PROTO (malformed reply, body past the cap), ERR_CONFIG (bad URL or
 * proxy, plain http:// not allowed).  On error *resp is released.
 */
const struct error	*http_do(struct http_client *, const struct http_req *,
			    struct http_resp *resp);

/* Value of the first header named name (case-insensitive) or NULL. */
const char		*http_resp_header(const struct http_resp *,
			    const char *name);
void			 http_resp_release(struct http_resp *);
/*
 * Move r's body into *s when s is empty and the body's size is known (it
 * is overwritten by the next body, not wiped: a page costs no memset),
 * then release r.  A spare left over goes with http_spare_release(),
 * which wipes it.
 */
void			 http_resp_spare(struct http_resp *r,
			    struct http_spare *s);
void			 http_spare_release(struct http_spare *s);

/*
 * 1 when host is one no proxy may see: a loopback or link-local address
 * (127/8, ::1, 169.254/16, fe80::/10, IPv4-mapped too), localhost and
 * *.localhost (RFC 6761 section 6.3), or an EC2 metadata or container
 * credential address (fd00:ec2::254, fd00:ec2::23).
 */
int			 http_host_local(const char *host);
/* 1 for link-local and metadata hosts: no redirect may lead there. */
int			 http_host_link_local(const char *host);

/* Counters, for tests and bench/: TLS handshakes and TCP connects made. */
uint64_t		 http_client_handshakes(const struct http_client *);
uint64_t		 http_client_connects(const struct http_client *);
/* The client's total timeout (http_opts total_timeout_ms), in ms. */
int			 http_client_total_ms(const struct http_client *);

#endif
