/*
 * SPDX-License-Identifier: ISC
 *
 * URL parsing, redirect resolution and percent-encoding (RFC 3986), pure.
 * Only what an HTTP client needs: absolute http/https URLs with optional
 * userinfo (proxy credentials), bracketed IPv6 literals and a port.
 * Control characters and spaces are refused anywhere in a URL so that a
 * URL can never inject a header line.  Percent-encoding keeps exactly the
 * unreserved set, which is what AWS SigV4 canonicalisation requires (IAM
 * User Guide, "Create a signed AWS API request": URI-encode every byte
 * except the unreserved characters).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "url.h"
#include "util.h"

#define URL_MAX_LEN	8192

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_unreserved(int c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '_' ||
	    c == '.' || c == '~';
}

static int
to_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* see url.h */
void
url_release(struct url *u)
{
	free(u->path);
	memset(u, 0, sizeof(*u));
}

static const struct error *
bad(const char *s, const char *why)
{
	char	 shown[URL_MAX_USERINFO + 256];

	/* Masked before it is cut: a long password must not show in part. */
	log_redact(s, shown, sizeof(shown));
	return error_fmt(ERR_CONFIG, "invalid URL '%.200s': %s", shown, why);
}

/* Host name or IPv6 literal characters; the result is lower-cased. */
static int
host_ok(const char *h, size_t n, int ipv6)
{
	size_t	 i;
	int	 c;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)h[i];
		if (ipv6) {
			if (!(is_digit(c) || (to_lower(c) >= 'a' &&
			    to_lower(c) <= 'f') || c == ':' || c == '.'))
				return 0;
		} else if (!(is_alpha(c) || is_digit(c) || c == '-' ||
		    c == '.' || c == '_'))
			return 0;
	}
	return 1;
}

static const struct error *
parse_authority(const char *s, const char *a, size_t n, struct url *u)
{
	const char	*at = NULL, *h, *end = a + n, *colon = NULL, *p;
	size_t		 hl, i;
	unsigned int	 port = 0;

	for (p = a; p < end; p++)
		if (*p == '@')
			at = p;
	h = a;
	if (at != NULL) {
		if ((size_t)(at - a) > URL_MAX_USERINFO)
			return bad(s, "user information too long");
		memcpy(u->userinfo, a, (size_t)(at - a));
		u->userinfo[at - a] = '\0';
		h = at + 1;
	}
	if (h < end && *h == '[') {
		if ((p = memchr(h, ']', (size_t)(end - h))) == NULL)
			return bad(s, "unterminated '[' in host");
		hl = (size_t)(p - h - 1);
		if (hl > URL_MAX_HOST || !host_ok(h + 1, hl, 1))
			return bad(s, "bad IPv6 address");
		memcpy(u->host, h + 1, hl);
		u->host[hl] = '\0';
		u->ipv6 = 1;
		p++;
		if (p < end && *p != ':')
			return bad(s, "junk after ']'");
		colon = p < end ? p : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		hl = (size_t)((colon != NULL ? colon : end) - h);
		if (hl > URL_MAX_HOST || !host_ok(h, hl, 0))
			return bad(s, "bad host name");
		memcpy(u->host, h, hl);
		u->host[hl] = '\0';
	}
	for (i = 0; u->host[i] != '\0'; i++)
		u->host[i] = (char)to_lower((unsigned char)u->host[i]);
	if (colon != NULL) {
		if (colon + 1 == end || end - colon > 6)
			return bad(s, "bad port");
		for (p = colon + 1; p < end; p++) {
			if (!is_digit((unsigned char)*p))
				return bad(s, "bad port");
			port = port * 10 + (unsigned int)(*p - '0');
		}
		if (port == 0 || port > 65535)
			return bad(s, "bad port");
		u->port = port;
	} else
		u->port = strcmp(u->scheme, "https") == 0 ? 443 : 80;
	return NULL;
}

/* see url.h */
const struct error *
url_parse(const char *s, struct url *u)
{
	const struct error	*e;
	const char		*p, *a, *ae;
	size_t			 i, n;

	memset(u, 0, sizeof(*u));
	n = strlen(s);
	if (n > URL_MAX_LEN)
		return bad(s, "too long");
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return bad(s, "contains a space or control character");
	if ((p = strstr(s, "://")) == NULL || p == s ||
	    (size_t)(p - s) >= sizeof(u->scheme))
		return bad(s, "no scheme:// (expected http:// or https://)");
	for (i = 0; s + i < p; i++)
		u->scheme[i] = (char)to_lower((unsigned char)s[i]);
	u->scheme[i] = '\0';
	if (strcmp(u->scheme, "http") != 0 && strcmp(u->scheme, "https") != 0) {
		e = bad(s, "only http:// and https:// are supported");
		goto fail;
	}
	a = p + 3;
	ae = a + strcspn(a, "/?#");
	if ((e = parse_authority(s, a, (size_t)(ae - a), u)) != NULL)
		goto fail;
	n = strcspn(ae, "#");
	if (n == 0 || *ae == '?') {
		u->path = xmalloc(n + 2);
		u->path[0] = '/';
		memcpy(u->path + 1, ae, n);
		u->path[n + 1] = '\0';
	} else
		u->path = xstrndup(ae, n);
	return NULL;
fail:
	url_release(u);
	return e;
}

/* see url.h */
int
url_default_port(const struct url *u)
{
	return u->port == (strcmp(u->scheme, "https") == 0 ? 443u : 80u);
}

/* see url.h */
const struct error *
url_hostport(const struct url *u, int always_port, struct buf *out)
{
	const struct error	*e;

	if (u->ipv6)
		e = buf_addf(out, "[%s]", u->host);
	else
		e = buf_adds(out, u->host);
	if (e == NULL && (always_port || !url_default_port(u)))
		e = buf_addf(out, ":%u", u->port);
	return e;
}

/* see url.h */
const struct error *
url_format(const struct url *u, struct buf *out)
{
	const struct error	*e;

	if ((e = buf_addf(out, "%s://", u->scheme)) != NULL ||
	    (e = url_hostport(u, 0, out)) != NULL)
		return e;
	return buf_adds(out, u->path != NULL ? u->path : "/");
}

/* see url.h */
const struct error *
url_resolve(const struct url *base, const char *ref, struct url *out)
{
	const struct error	*e;
	struct buf		 b = BUF_INIT(URL_MAX_LEN + 512);
	const char		*p, *bp = base->path != NULL ? base->path : "/";
	size_t			 n;

	memset(out, 0, sizeof(*out));
	for (p = ref; is_alpha((unsigned char)*p) || is_digit((unsigned char)*p) ||
	    *p == '+' || *p == '-' || *p == '.'; p++)
		;
	if (p != ref && *p == ':') {
		e = buf_adds(&b, ref);
	} else if (ref[0] == '/' && ref[1] == '/') {
		e = buf_addf(&b, "%s:%s", base->scheme, ref);
	} else {
		if ((e = buf_addf(&b, "%s://", base->scheme)) != NULL ||
		    (e = url_hostport(base, 0, &b)) != NULL)
			goto out;
		if (ref[0] == '/')
			e = buf_adds(&b, ref);
		else if (ref[0] == '?' || ref[0] == '\0') {
			n = strcspn(bp, "?");
			if ((e = buf_add(&b, bp, n)) == NULL)
				e = buf_adds(&b, ref);
		} else {
			/* Relative path: replace the last segment. */
			n = strcspn(bp, "?");
			while (n > 0 && bp[n - 1] != '/')
				n--;
			if ((e = buf_add(&b, bp, n)) == NULL)
				e = buf_adds(&b, ref);
		}
	}
	if (e != NULL)
		goto out;
	if ((e = url_parse(b.p, out)) != NULL)
		e = error_fmt(ERR_PROTO, "redirect to an unusable location "
		    "'%.200s'", ref);
out:
	buf_release(&b);
	return e;
}

/* see url.h */
int
url_same_origin(const struct url *a, const struct url *b)
{
	return strcmp(a->scheme, b->scheme) == 0 &&
	    strcmp(a->host, b->host) == 0 && a->port == b->port;
}

/* see url.h */
const struct error *
url_encode(struct buf *out, const char *s, size_t n, enum url_enc mode)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const struct error	*e;
	char			 pct[3];
	size_t			 i, run;
	unsigned char		 c;

	for (i = 0; i < n; ) {
		/* Copy runs of safe bytes in one go. */
		for (run = 0; i + run < n; run++) {
			c = (unsigned char)s[i + run];
			if (!is_unreserved(c) && !(mode == URL_ENC_PATH &&
			    c == '/'))
				break;
		}
		if (run > 0) {
			if ((e = buf_add(out, s + i, run)) != NULL)
				return e;
			i += run;
			continue;
		}
		c = (unsigned char)s[i++];
		pct[0] = '%';
		pct[1] = hex[c >> 4];
		pct[2] = hex[c & 15];
		if ((e = buf_add(out, pct, 3)) != NULL)
			return e;
	}
	return NULL;
}

/* see url.h */
const struct error *
url_query_add(struct buf *out, const char *name, const char *value)
{
	const struct error	*e;

	if (out->len > 0 && (e = buf_addc(out, '&')) != NULL)
		return e;
	if ((e = url_encode(out, name, strlen(name), URL_ENC_UNRESERVED))
	    != NULL || (e = buf_addc(out, '=')) != NULL)
		return e;
	return url_encode(out, value, strlen(value), URL_ENC_UNRESERVED);
}


/* see url.h */
const struct error *
url_decode(struct buf *out, const char *s, size_t n)
{
	const struct error	*e;
	size_t			 i;
	int			 hi, lo;
	char			 c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return error_fmt(ERR_DATA, "truncated %%-escape");
			hi = hex_digit((unsigned char)s[i + 1]);
			lo = hex_digit((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return error_fmt(ERR_DATA, "bad %%-escape");
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if ((e = buf_addc(out, c)) != NULL)
			return e;
	}
	return NULL;
}
