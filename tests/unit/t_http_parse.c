/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests for http_parse.c: response heads, the chunked decoder (fed
 * whole and byte by byte), NO_PROXY matching, the plain-http host list.
 */

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "http_parse.h"
#include "t.h"

T_REGISTER("http_head", t_http_head)
T_REGISTER("http_head_bad", t_http_head_bad)
T_REGISTER("http_head_grow", t_http_head_grow)
T_REGISTER("http_chunked", t_http_chunked)
T_REGISTER("http_chunked_bad", t_http_chunked_bad)
T_REGISTER("http_chunked_bad_exact", t_http_chunked_bad_exact)
T_REGISTER("http_no_proxy", t_http_no_proxy)
T_REGISTER("http_plain_host", t_http_plain_host)

static void
t_http_head(void)
{
	static const char	 r1[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length:   12  \r\n"
	    "X-Empty:\r\n"
	    "\r\n{\"a\": true}";
	static const char	 r2[] = "HTTP/1.1 200 OK\n"
	    "Transfer-Encoding: gzip, chunked\nContent-Length: 5\n"
	    "Connection: keep-alive, Close\n\nbody";
	struct http_head	 h = HTTP_HEAD_INIT;
	const char		*s;
	size_t			 used, i;

	for (i = 0; i < sizeof(r1) - 13; i++) {
		T_OK(http_head_parse(r1, i, &h, &used));
		if (used != 0)
			break;
	}
	T_EQ_INT(used, 0);
	T_OK(http_head_parse(r1, sizeof(r1) - 1, &h, &used));
	T_EQ_INT(used, sizeof(r1) - 1 - 11);
	T_EQ_INT(h.status, 200);
	T_EQ_INT(h.minor, 1);
	T_EQ_INT(h.content_length, 12);
	T_TRUE(!h.chunked && !h.close);
	T_EQ_STR(http_header_find(h.headers, h.headers_len, "content-type"),
	    "application/json");
	T_EQ_STR(http_header_find(h.headers, h.headers_len, "x-empty"), "");
	T_TRUE(http_header_find(h.headers, h.headers_len, "X") == NULL);
	http_head_release(&h);

	T_OK(http_head_parse(r2, sizeof(r2) - 1, &h, &used));
	T_EQ_INT(used, sizeof(r2) - 1 - 4);
	T_TRUE(h.chunked);
	T_EQ_INT(h.content_length, -1);
	T_TRUE(h.close);
	http_head_release(&h);

	T_OK(http_head_parse("HTTP/1.0 204\r\n\r\n", 16, &h, &used));
	T_EQ_INT(h.status, 204);
	T_TRUE(h.close);
	http_head_release(&h);
	s = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n";
	T_OK(http_head_parse(s, strlen(s), &h, &used));
	T_TRUE(used == strlen(s) && !h.close);
	http_head_release(&h);
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n";
	T_OK(http_head_parse(s, strlen(s), &h, &used));
	T_TRUE(used == strlen(s) && !h.chunked && h.close);
	http_head_release(&h);
}

static void
t_http_head_bad(void)
{
	static const char *const bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\001b\r\n\r\n",
		NULL
	};
	struct http_head	 h = HTTP_HEAD_INIT;
	struct buf		 big = BUF_INIT(HTTP_MAX_HEAD + 100);
	size_t			 i, used;

	for (i = 0; bad[i] != NULL; i++) {
		T_ERR(http_head_parse(bad[i], strlen(bad[i]), &h, &used),
		    ERR_PROTO);
		T_TRUE(h.headers == NULL);
	}
	T_OK(buf_adds(&big, "HTTP/1.1 200 OK\r\n"));
	while (big.len < HTTP_MAX_HEAD)
		T_OK(buf_adds(&big, "X-Filler: 0123456789abcdef\r\n"));
	T_ERR(http_head_parse(big.p, big.len, &h, &used), ERR_PROTO);
	buf_release(&big);
}

/*
 * The stored copy of "a:b" is "a: b\0", one byte longer than the line with
 * a bare LF: 5,000 such lines (and lines with an empty value) must fit.
 */
static void
t_http_head_grow(void)
{
	struct http_head	 h = HTTP_HEAD_INIT;
	struct buf		 in = BUF_INIT(HTTP_MAX_HEAD);
	const char		*s;
	size_t			 i, used, n = 0;

	T_OK(buf_adds(&in, "HTTP/1.1 200 OK\n"));
	for (i = 0; i < 5000; i++)
		if (buf_adds(&in, i % 2 == 0 ? "a:b\n" : "c:\n") != NULL)
			break;
	T_EQ_INT(i, 5000);
	T_OK(buf_adds(&in, "Location:/x\n\n"));
	T_OK(http_head_parse(in.p, in.len, &h, &used));
	T_EQ_INT(used, in.len);
	T_EQ_STR(http_header_find(h.headers, h.headers_len, "location"),
	    "/x");
	for (s = h.headers; s < h.headers + h.headers_len && *s != '\0';
	    s += strlen(s) + 1)
		n++;
	T_EQ_INT(n, 5001);
	T_EQ_INT(h.headers_len, 2500 * 5 + 2500 * 4 + 13 + 1);
	http_head_release(&h);
	buf_release(&in);
}

/* Decode in pieces of step bytes; returns the body or NULL on error. */
static const struct error *
dechunk(const char *in, size_t n, size_t step, struct buf *out, size_t *rest)
{
	const struct error	*e;
	struct http_chunked	 c;
	const char		*d;
	size_t			 off = 0, used, dl, lim;

	memset(&c, 0, sizeof(c));
	buf_reset(out);
	while (off < n && !http_chunked_done(&c)) {
		lim = n - off < step ? n - off : step;
		if ((e = http_chunked_feed(&c, in + off, lim, &used, &d,
		    &dl)) != NULL)
			return e;
		if (dl > 0 && (e = buf_add(out, d, dl)) != NULL)
			return e;
		off += used;
	}
	*rest = n - off;
	return http_chunked_done(&c) ? NULL :
	    error_fmt(ERR_PROTO, "incomplete");
}

static void
t_http_chunked(void)
{
	static const char	 in[] = "5;name=val\r\nhello\r\n"
	    "0000000000000007\r\n, world\r\n"
	    "1\nX\n"
	    "0\r\nTrailer: yes\r\nOther: 1\r\n\r\nNEXT";
	struct buf		 out = BUF_INIT(1024);
	size_t			 step, rest;

	for (step = 1; step <= sizeof(in); step++) {
		T_OK(dechunk(in, sizeof(in) - 1, step, &out, &rest));
		T_EQ_STR(out.p, "hello, worldX");
		T_EQ_INT(rest, 4);
	}
	T_OK(dechunk("0\r\n\r\n", 5, 100, &out, &rest));
	T_EQ_INT(out.len, 0);
	T_EQ_INT(rest, 0);
	buf_release(&out);
}

static void
t_http_chunked_bad(void)
{
	static const char *const bad[] = {
		"\r\n", "x\r\n", "5\r\nhelloXX", "1\r\nab\r\n",
		"11111111111111111\r\n", "-1\r\n",
		NULL
	};
	struct buf		 out = BUF_INIT(1024);
	struct buf		 line = BUF_INIT(HTTP_MAX_CHUNK_LINE + 16);
	size_t			 i, rest;

	for (i = 0; bad[i] != NULL; i++)
		T_ERR(dechunk(bad[i], strlen(bad[i]), 7, &out, &rest),
		    ERR_PROTO);
	T_OK(buf_adds(&line, "1;"));
	while (line.len < HTTP_MAX_CHUNK_LINE + 4)
		T_OK(buf_addc(&line, 'e'));
	T_ERR(dechunk(line.p, line.len, 1000, &out, &rest), ERR_PROTO);
	buf_release(&out);
	buf_release(&line);
}

/*
 * Malformed bodies that are otherwise complete (a terminator follows), so
 * each must fail for its own reason, not as a truncated body: an empty
 * chunk-size line is not a last chunk.
 */
static void
t_http_chunked_bad_exact(void)
{
	static const struct {
		const char	*in;
		const char	*msg;
	} bad[] = {
		{ "\r\n\r\n", "malformed chunk size line" },
		{ "\n\n", "malformed chunk size line" },
		{ "5\r\nhello\r\n\r\n\r\n", "malformed chunk size line" },
		{ "5\r\nhello\r\n;ext\r\n\r\n", "malformed chunk size line" },
		{ "5\r\nhello\r\n \r\n\r\n", "malformed chunk size line" },
		{ "g\r\n0\r\n\r\n", "malformed chunk size line" },
		{ "5\r\nhelloX\r\n0\r\n\r\n", "missing CRLF after chunk data" },
		{ "11111111111111111\r\n0\r\n\r\n", "chunk size too large" },
	};
	static const size_t	 steps[] = { 1, 3, 1000 };
	const struct error	*e;
	struct buf		 out = BUF_INIT(1024);
	size_t			 i, j, rest;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
			e = dechunk(bad[i].in, strlen(bad[i].in), steps[j],
			    &out, &rest);
			if (!T_ERR(e, ERR_PROTO))
				continue;
			T_EQ_STR(e->msg, bad[i].msg);
		}
	buf_release(&out);
}

static void
t_http_no_proxy(void)
{
	T_TRUE(!http_no_proxy_match(NULL, "a.example.com", 443));
	T_TRUE(!http_no_proxy_match("", "a.example.com", 443));
	T_TRUE(http_no_proxy_match("*", "a.example.com", 443));
	T_TRUE(http_no_proxy_match("example.com", "example.com", 443));
	T_TRUE(http_no_proxy_match("example.com", "sub.example.com", 443));
	T_TRUE(http_no_proxy_match(".example.com", "sub.example.com", 443));
	T_TRUE(http_no_proxy_match(".example.com", "example.com", 443));
	T_TRUE(http_no_proxy_match("*.example.com", "a.b.example.com", 443));
	T_TRUE(!http_no_proxy_match("example.com", "badexample.com", 443));
	T_TRUE(!http_no_proxy_match("sub.example.com", "example.com", 443));
	T_TRUE(http_no_proxy_match("foo, EXAMPLE.com ,bar", "x.example.com", 1));
	T_TRUE(http_no_proxy_match("localhost 127.0.0.1", "127.0.0.1", 80));
	T_TRUE(http_no_proxy_match("ghe.corp:8443", "ghe.corp", 8443));
	T_TRUE(!http_no_proxy_match("ghe.corp:8443", "ghe.corp", 443));
	T_TRUE(http_no_proxy_match("::1", "::1", 80));
	T_TRUE(http_no_proxy_match("[::1]:80", "::1", 80));
	T_TRUE(!http_no_proxy_match("[::1]:80", "::1", 443));
	T_TRUE(!http_no_proxy_match(",,  ,", "a", 1));
	T_TRUE(!http_no_proxy_match(".", "a", 1));
}

static void
t_http_plain_host(void)
{
	T_TRUE(http_plain_host_ok("localhost"));
	T_TRUE(http_plain_host_ok("127.0.0.1"));
	T_TRUE(http_plain_host_ok("127.1.2.3"));
	T_TRUE(http_plain_host_ok("::1"));
	T_TRUE(http_plain_host_ok("169.254.169.254"));
	T_TRUE(http_plain_host_ok("fd00:ec2::254"));
	T_TRUE(http_plain_host_ok("169.254.170.2"));	/* ECS credentials */
	T_TRUE(http_plain_host_ok("169.254.170.23"));	/* EKS Pod Identity */
	T_TRUE(!http_plain_host_ok("169.254.170.3"));
	T_TRUE(!http_plain_host_ok("169.254.169.253"));
	T_TRUE(!http_plain_host_ok("10.0.0.1"));
	T_TRUE(!http_plain_host_ok("example.com"));
	T_TRUE(!http_plain_host_ok("localhost.example.com"));
	T_TRUE(!http_plain_host_ok("128.0.0.1"));
	T_TRUE(!http_plain_host_ok("fd00:ec2::253"));
}
