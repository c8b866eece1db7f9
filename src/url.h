/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_URL_H
#define GHRCTL_URL_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/*
 * URLs, pure: parse an absolute http(s) URL, resolve a redirect target
 * against it, and percent-encode path segments, query values and
 * application/x-www-form-urlencoded bodies.  Encoding follows RFC 3986 as
 * AWS SigV4 wants it: only the unreserved set A-Z a-z 0-9 - _ . ~ is left
 * alone, everything else (space too) becomes %XX with upper-case hex.
 */

#define URL_MAX_HOST	255
#define URL_MAX_USERINFO 255

struct url {
	char		 scheme[8];	/* lower case: "http", "https" */
	char		 userinfo[URL_MAX_USERINFO + 1]; /* raw "user:pass" */
	char		 host[URL_MAX_HOST + 1]; /* lower case, no brackets */
	unsigned int	 port;		/* explicit or the scheme default */
	int		 ipv6;		/* host is an IPv6 literal */
	char		*path;		/* "/path?query" ("/" when empty), owned */
};

#define URL_INIT	{ "", "", "", 0, 0, NULL }

/*
 * Parse an absolute URL "scheme://[userinfo@]host[:port][/path][?query]".
 * Only http and https are accepted; a fragment is dropped.  On success
 * fills *u (release with url_release()).  ERR_CONFIG naming the URL on
 * failure, *u left released.
 */
const struct error	*url_parse(const char *s, struct url *u);
void			 url_release(struct url *);

/* 1 when the port is the scheme's default (80 for http, 443 for https). */
int			 url_default_port(const struct url *);

/*
 * Append "host[:port]" as it goes into a Host header or a CONNECT line
 * (brackets around IPv6, the port only when not the default unless
 * always_port).
 */
const struct error	*url_hostport(const struct url *, int always_port,
			    struct buf *out);

/* Append the absolute URL of u ("scheme://host[:port]/path"), no userinfo. */
const struct error	*url_format(const struct url *, struct buf *out);

/*
 * Resolve a redirect target ref (absolute, "//host/...", "/path" or a
 * relative path) against base into *out (release with url_release()).
 * ERR_PROTO when ref is unusable.
 */
const struct error	*url_resolve(const struct url *base, const char *ref,
			    struct url *out);

/* 1 when a and b have the same scheme, host and port. */
int			 url_same_origin(const struct url *, const struct url *);

enum url_enc {
	URL_ENC_UNRESERVED,	/* query names/values, form fields, one path segment */
	URL_ENC_PATH		/* like UNRESERVED but '/' is kept */
};

/* Append n bytes of s percent-encoded. */
const struct error	*url_encode(struct buf *out, const char *s, size_t n,
			    enum url_enc);

/*
 * Append "name=value" to a query string or form body, with '&' first when
 * out is not empty; both parts are percent-encoded (unreserved set).
 */
const struct error	*url_query_add(struct buf *out, const char *name,
			    const char *value);

/* Append the percent-decoded form of n bytes of s.  ERR_DATA on bad %XX. */
const struct error	*url_decode(struct buf *out, const char *s, size_t n);

#endif
