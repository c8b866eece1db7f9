/*
 * SPDX-License-Identifier: ISC
 *
 * Base64 encode and decode; see b64.h.
 */

#include <string.h>

#include "b64.h"

static const char std_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const struct error *
encode(const unsigned char *p, size_t n, const char *alpha, int pad,
    struct buf *out)
{
	const struct error	*e;
	char			 q[4];
	unsigned long		 v;
	size_t			 i, k;

	for (i = 0; i < n; i += 3) {
		k = n - i < 3 ? n - i : 3;
		v = (unsigned long)p[i] << 16;
		if (k > 1)
			v |= (unsigned long)p[i + 1] << 8;
		if (k > 2)
			v |= p[i + 2];
		q[0] = alpha[(v >> 18) & 63];
		q[1] = alpha[(v >> 12) & 63];
		q[2] = k > 1 ? alpha[(v >> 6) & 63] : '=';
		q[3] = k > 2 ? alpha[v & 63] : '=';
		if ((e = buf_add(out, q, pad ? 4 : k + 1)) != NULL)
			return e;
	}
	if (n == 0)
		return buf_add(out, "", 0);
	return NULL;
}

/* see b64.h */
const struct error *
b64_encode(const void *p, size_t n, struct buf *out)
{
	return encode(p, n, std_alpha, 1, out);
}

/* see b64.h */
const struct error *
b64url_encode(const void *p, size_t n, struct buf *out)
{
	return encode(p, n, url_alpha, 0, out);
}

static int
value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* see b64.h */
const struct error *
b64_decode(const char *s, size_t n, struct buf *out)
{
	const struct error	*e;
	unsigned long		 v = 0;
	unsigned char		 b[3];
	size_t			 i, got = 0, pad = 0;
	int			 d;

	for (i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (d = value(s[i])) == -1)
			return error_fmt(ERR_DATA, "bad base64 character at "
			    "offset %zu", i);
		v = (v << 6) | (unsigned long)d;
		if (++got % 4 == 0) {
			b[0] = (unsigned char)(v >> 16);
			b[1] = (unsigned char)(v >> 8);
			b[2] = (unsigned char)v;
			if ((e = buf_add(out, b, 3)) != NULL)
				return e;
			v = 0;
		}
	}
	switch (got % 4) {
	case 0:
		break;
	case 2:
		b[0] = (unsigned char)(v >> 4);
		return buf_add(out, b, 1);
	case 3:
		b[0] = (unsigned char)(v >> 10);
		b[1] = (unsigned char)(v >> 2);
		return buf_add(out, b, 2);
	default:
		return error_fmt(ERR_DATA, "truncated base64");
	}
	if (pad > 2)
		return error_fmt(ERR_DATA, "bad base64 padding");
	return buf_add(out, "", 0);
}
