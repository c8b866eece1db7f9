/*
 * SPDX-License-Identifier: ISC
 *
 * HTTP/1.1 response framing, pure (RFC 9112): the status line and header
 * fields, Content-Length versus Transfer-Encoding (chunked wins; any other
 * coding means the body runs until the connection closes), Connection:
 * close and HTTP/1.0 keep-alive, and the chunked decoder with chunk
 * extensions and trailers skipped.  Bare LF line ends are accepted, as
 * every deployed client does; obs-fold continuation lines and control
 * characters in a header are refused.  Also the NO_PROXY matcher (curl's
 * rules: "*", exact names, domain suffixes with or without a leading dot)
 * and the list of hosts plain http:// may reach.  Everything here is fed
 * bytes and is fuzzed by tests/fuzz/fuzz_http.c.
 */

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "util.h"

enum {
	CH_SIZE = 0,
	CH_EXT,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER,
	CH_DONE
};

/* see http_parse.h */
void
http_head_release(struct http_head *h)
{
	free(h->headers);
	h->headers = NULL;
	h->headers_len = 0;
	h->status = h->minor = h->chunked = h->close = 0;
	h->content_length = -1;
}

/* see http_parse.h */
int
http_is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* 1 when the comma list v contains token t (case-insensitive). */
static int
list_has(const char *v, const char *t)
{
	size_t	 n, tl = strlen(t);

	while (*v != '\0') {
		v += strspn(v, " \t,");
		n = strcspn(v, ",");
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (n == tl && str_nieq(v, t, n))
			return 1;
		v += strcspn(v, ",");
	}
	return 0;
}

/* 1 when the last coding of a Transfer-Encoding value is chunked. */
static int
te_chunked(const char *v)
{
	const char	*last = v, *p;
	size_t		 n;

	for (p = v; *p != '\0'; p++)
		if (*p == ',')
			last = p + 1;
	last += strspn(last, " \t");
	n = strlen(last);
	while (n > 0 && (last[n - 1] == ' ' || last[n - 1] == '\t'))
		n--;
	return n == 7 && str_nieq(last, "chunked", 7);
}

/* A printable, NUL-terminated excerpt of p[0..n) for messages. */
static const char *
snip(const char *p, size_t n, char *out, size_t size)
{
	size_t	 i;

	for (i = 0; i < n && i + 1 < size; i++)
		out[i] = (p[i] >= ' ' && p[i] < 0x7f) ? p[i] : '?';
	out[i] = '\0';
	return out;
}

static const struct error *
parse_status(const char *l, size_t n, struct http_head *h)
{
	char	 ex[64];

	if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || l[7] < '0' ||
	    l[7] > '9' || l[8] != ' ' || l[9] < '1' || l[9] > '9' ||
	    l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' ||
	    (n > 12 && l[12] != ' '))
		return error_fmt(ERR_PROTO, "malformed HTTP status line "
		    "'%s'", snip(l, n, ex, sizeof(ex)));
	h->minor = l[7] - '0';
	h->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	return NULL;
}

/* Interpret one stored header "Name: value" for framing. */
static const struct error *
framing(struct http_head *h, const char *name, size_t nl, const char *v,
    int *te, int *keep)
{
	uint64_t	 cl;

	if (nl == 14 && str_nieq(name, "Content-Length", 14)) {
		if (parse_u64(v, &cl) == -1 || cl > (uint64_t)INT64_MAX)
			return error_fmt(ERR_PROTO, "bad Content-Length "
			    "'%.40s'", v);
		if (h->content_length != -1 &&
		    (uint64_t)h->content_length != cl)
			return error_fmt(ERR_PROTO, "conflicting "
			    "Content-Length headers");
		h->content_length = (int64_t)cl;
	} else if (nl == 17 && str_nieq(name, "Transfer-Encoding", 17)) {
		*te = 1;
		h->chunked = te_chunked(v);
	} else if (nl == 10 && str_nieq(name, "Connection", 10)) {
		if (list_has(v, "close"))
			h->close = 1;
		if (list_has(v, "keep-alive"))
			*keep = 1;
	}
	return NULL;
}

/*
 * Parse the header lines in [p, end) into h->headers, which holds cap
 * bytes.  A line of L bytes before its LF becomes at most L + 2 bytes
 * ("a:b" is stored as "a: b\0"), so the copy can grow by one byte per
 * line: http_head_parse() sizes the buffer for that, and the check below
 * keeps any miscount an error rather than a write past the end.
 */
static const struct error *
parse_fields(const char *p, const char *end, struct http_head *h, size_t cap)
{
	const struct error	*e;
	const char		*eol, *colon, *v;
	char			*out = h->headers, *lim = h->headers + cap;
	size_t			 ll, nl, vl, i;
	int			 te = 0, keep = 0;
	char			 ex[64];

	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		ll = (size_t)(eol - p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			break;
		if (p[0] == ' ' || p[0] == '\t')
			return error_fmt(ERR_PROTO, "folded header line in "
			    "response");
		if ((colon = memchr(p, ':', ll)) == NULL || colon == p)
			return error_fmt(ERR_PROTO, "malformed header line "
			    "'%s'", snip(p, ll, ex, sizeof(ex)));
		nl = (size_t)(colon - p);
		for (i = 0; i < nl; i++)
			if (!http_is_tchar((unsigned char)p[i]))
				return error_fmt(ERR_PROTO, "bad header name "
				    "'%s'", snip(p, nl, ex, sizeof(ex)));
		v = colon + 1;
		vl = ll - nl - 1;
		while (vl > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		for (i = 0; i < vl; i++)
			if (((unsigned char)v[i] < ' ' && v[i] != '\t') ||
			    v[i] == 0x7f)
				return error_fmt(ERR_PROTO, "control character "
				    "in header '%s'", snip(p, nl, ex, sizeof(ex)));
		if ((size_t)(lim - out) < nl + 3 + vl + 1)
			return error_fmt(ERR_SOFTWARE, "response header copy "
			    "exceeds its buffer");
		memcpy(out, p, nl);
		memcpy(out + nl, ": ", 2);
		memcpy(out + nl + 2, v, vl);
		out[nl + 2 + vl] = '\0';
		if ((e = framing(h, out, nl, out + nl + 2, &te, &keep)) != NULL)
			return e;
		out += nl + 3 + vl;
	}
	*out++ = '\0';
	h->headers_len = (size_t)(out - h->headers);
	if (te && !h->chunked)
		h->close = 1;	/* unknown coding: body runs to EOF */
	if (te)
		h->content_length = -1;
	if (h->minor == 0 && !keep)
		h->close = 1;
	return NULL;
}

/* see http_parse.h */
const struct error *
http_head_parse(const char *p, size_t n, struct http_head *h, size_t *used)
{
	const struct error	*e;
	const char		*eol, *end = NULL, *q;
	size_t			 i, lim, ll, lines, cap;

	*used = 0;
	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	lim = n < HTTP_MAX_HEAD ? n : HTTP_MAX_HEAD;
	for (i = 0; i < lim; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < lim && p[i + 1] == '\n') {
			end = p + i + 2;
			break;
		}
		if (i + 2 < lim && p[i + 1] == '\r' && p[i + 2] == '\n') {
			end = p + i + 3;
			break;
		}
	}
	if (end == NULL) {
		if (n >= HTTP_MAX_HEAD)
			return error_fmt(ERR_PROTO, "response headers exceed "
			    "%u bytes", HTTP_MAX_HEAD);
		return NULL;
	}
	eol = memchr(p, '\n', (size_t)(end - p));
	ll = (size_t)(eol - p);
	if (ll > 0 && p[ll - 1] == '\r')
		ll--;
	if ((e = parse_status(p, ll, h)) != NULL)
		return e;
	/* Worst case of the copy: the head plus one byte per line. */
	for (lines = 0, q = p; q < end && (q = memchr(q, '\n',
	    (size_t)(end - q))) != NULL; q++)
		lines++;
	cap = (size_t)(end - p) + lines + 1;
	h->headers = xmalloc(cap);
	if ((e = parse_fields(eol + 1, end, h, cap)) != NULL) {
		http_head_release(h);
		return e;
	}
	*used = (size_t)(end - p);
	return NULL;
}

/* see http_parse.h */
const char *
http_header_find(const char *headers, size_t len, const char *name)
{
	const char	*p = headers, *end = headers + len;
	size_t		 nl = strlen(name), l;

	if (headers == NULL)
		return NULL;
	while (p < end && *p != '\0') {
		l = strlen(p);
		if (l > nl + 1 && p[nl] == ':' && str_nieq(p, name, nl))
			return p + nl + 2;
		p += l + 1;
	}
	return NULL;
}


/* End of a chunk-size line. */
static const struct error *
size_line_done(struct http_chunked *c)
{
	if (c->digits == 0)
		return error_fmt(ERR_PROTO, "malformed chunk size line");
	c->line = 0;
	c->digits = 0;
	c->state = c->left == 0 ? CH_TRAILER : CH_DATA;
	return NULL;
}

/* see http_parse.h */
const struct error *
http_chunked_feed(struct http_chunked *c, const char *p, size_t n,
    size_t *used, const char **data, size_t *data_len)
{
	const struct error	*e;
	size_t			 i = 0, take;
	int			 ch, v;

	*data = NULL;
	*data_len = 0;
	while (i < n && c->state != CH_DONE) {
		ch = (unsigned char)p[i];
		switch (c->state) {
		case CH_SIZE:
		case CH_EXT:
			if (++c->line > HTTP_MAX_CHUNK_LINE)
				return error_fmt(ERR_PROTO, "chunk size line "
				    "too long");
			i++;
			if (ch == '\n') {
				if ((e = size_line_done(c)) != NULL)
					return e;
			} else if (c->state == CH_EXT || ch == '\r') {
				/* chunk extensions are ignored */
			} else if (ch == ';' || ch == ' ' || ch == '\t') {
				c->state = CH_EXT;
			} else if ((v = hex_digit(ch)) >= 0) {
				if (++c->digits > 16 ||
				    (c->digits == 16 && c->left >> 59 != 0))
					return error_fmt(ERR_PROTO, "chunk "
					    "size too large");
				c->left = c->left * 16 + (uint64_t)v;
			} else
				return error_fmt(ERR_PROTO, "malformed chunk "
				    "size line");
			break;
		case CH_DATA:
			take = n - i;
			if ((uint64_t)take > c->left)
				take = (size_t)c->left;
			*data = p + i;
			*data_len = take;
			c->left -= take;
			i += take;
			if (c->left == 0)
				c->state = CH_DATA_CR;
			*used = i;
			return NULL;
		case CH_DATA_CR:
		case CH_DATA_LF:
			i++;
			if (ch == '\r' && c->state == CH_DATA_CR)
				c->state = CH_DATA_LF;
			else if (ch == '\n')
				c->state = CH_SIZE;
			else
				return error_fmt(ERR_PROTO, "missing CRLF "
				    "after chunk data");
			break;
		case CH_TRAILER:
			i++;
			if (ch == '\n') {
				if (c->line == 0)
					c->state = CH_DONE;
				c->line = 0;
			} else if (ch != '\r') {
				c->line++;
				if (++c->trailers > HTTP_MAX_TRAILERS)
					return error_fmt(ERR_PROTO, "chunked "
					    "trailers too long");
			}
			break;
		}
	}
	*used = i;
	return NULL;
}

/* see http_parse.h */
int
http_chunked_done(const struct http_chunked *c)
{
	return c->state == CH_DONE;
}

/* 1 when host equals entry[0..n) or is a subdomain of it. */
static int
domain_match(const char *host, const char *ent, size_t n)
{
	size_t	 hl = strlen(host);

	if (n >= 2 && ent[0] == '*' && ent[1] == '.') {
		ent++;
		n--;
	}
	if (n > 0 && ent[0] == '.') {
		ent++;
		n--;
	}
	if (n == 0)
		return 0;
	if (hl == n)
		return str_nieq(host, ent, n);
	return hl > n && host[hl - n - 1] == '.' &&
	    str_nieq(host + hl - n, ent, n);
}

/* see http_parse.h */
int
http_no_proxy_match(const char *np, const char *host, unsigned int port)
{
	const char	*ent, *end, *colon, *rb, *q;
	size_t		 n, hn;
	unsigned int	 eport;
	int		 ipv6;

	if (np == NULL)
		return 0;
	while (*np != '\0') {
		np += strspn(np, ", \t");
		ent = np;
		n = strcspn(np, ", \t");
		np += n;
		end = ent + n;
		if (n == 0)
			continue;
		if (n == 1 && ent[0] == '*')
			return 1;
		ipv6 = 0;
		colon = NULL;
		if (ent[0] == '[' && (rb = memchr(ent, ']', n)) != NULL) {
			ipv6 = 1;
			if (rb + 1 < end && rb[1] == ':')
				colon = rb + 1;
			ent++;
			hn = (size_t)(rb - ent);
		} else {
			colon = memchr(ent, ':', n);
			if (colon != NULL && memchr(colon + 1, ':',
			    (size_t)(end - colon - 1)) != NULL) {
				colon = NULL;	/* a bare IPv6 literal */
				ipv6 = 1;
			}
			hn = (size_t)((colon != NULL ? colon : end) - ent);
		}
		if (colon != NULL) {
			eport = 0;
			for (q = colon + 1; q < end && *q >= '0' && *q <= '9' &&
			    eport < 65536; q++)
				eport = eport * 10 + (unsigned int)(*q - '0');
			if (eport != port)
				continue;
		}
		if (ipv6) {
			if (strlen(host) == hn && str_nieq(host, ent, hn))
				return 1;
		} else if (domain_match(host, ent, hn))
			return 1;
	}
	return 0;
}

/* see http_parse.h */
int
http_plain_host_ok(const char *host)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	struct in6_addr	 ec2;
	const uint8_t	*b;

	if (str_ieq(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1) {
		b = (const uint8_t *)&a4.s_addr;
		/*
		 * Loopback, EC2 instance metadata (169.254.169.254) and the
		 * container credential endpoints of ECS (169.254.170.2) and
		 * EKS Pod Identity (169.254.170.23), which are plain http.
		 */
		return b[0] == 127 || (b[0] == 169 && b[1] == 254 &&
		    ((b[2] == 169 && b[3] == 254) ||
		    (b[2] == 170 && (b[3] == 2 || b[3] == 23))));
	}
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return 1;
		if (inet_pton(AF_INET6, "fd00:ec2::254", &ec2) == 1 &&
		    memcmp(&a6, &ec2, sizeof(a6)) == 0)
			return 1;
	}
	return 0;
}
