/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_HTTP_PARSE_H
#define GHRCTL_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * The pure half of the HTTP/1.1 client: response-head parsing, the chunked
 * transfer-coding decoder and the host predicates the transport applies
 * (NO_PROXY matching, which hosts may be reached over plain http://).
 * Everything is fed bytes and does no I/O, so it can be unit-tested and
 * fuzzed (tests/fuzz/fuzz_http.c).
 */

#define HTTP_MAX_HEAD		(64u * 1024)	/* status line + headers */
#define HTTP_MAX_CHUNK_LINE	4096		/* chunk-size line */
#define HTTP_MAX_TRAILERS	(64u * 1024)

struct http_head {
	int		 status;	/* 100..999 */
	int		 minor;		/* HTTP/1.<minor> */
	char		*headers;	/* "Name: value\0...\0", owned */
	size_t		 headers_len;	/* bytes including the final \0 */
	int64_t		 content_length; /* -1 when absent */
	int		 chunked;	/* Transfer-Encoding ends in chunked */
	int		 close;		/* Connection: close, or HTTP/1.0
					   without keep-alive */
};

#define HTTP_HEAD_INIT	{ 0, 0, NULL, 0, -1, 0, 0 }

/*
 * Parse a response head from the n bytes at p.  When the head (ending in
 * an empty line) is complete, fills *h and sets *used to its length;
 * when more bytes are needed sets *used to 0.  ERR_PROTO for a malformed
 * head or one longer than HTTP_MAX_HEAD.  Release with http_head_release().
 */
const struct error	*http_head_parse(const char *p, size_t n,
			    struct http_head *h, size_t *used);
void			 http_head_release(struct http_head *);

/* 1 when c may be in a token (RFC 9110 section 5.6.2: tchar). */
int			 http_is_tchar(int c);

/* First value of header name in a "Name: value\0...\0" list, or NULL. */
const char		*http_header_find(const char *headers, size_t len,
			    const char *name);

/* Chunked transfer-coding decoder state; zero-initialise. */
struct http_chunked {
	int		 state;
	uint64_t	 left;		/* bytes left in the current chunk */
	size_t		 line;		/* bytes of the current size/trailer line */
	size_t		 trailers;	/* total trailer bytes */
	int		 digits;
};

/*
 * Feed n bytes.  Consumes *used bytes (possibly fewer than n) and points
 * *data and *data_len at decoded body bytes inside p (data_len may be 0).
 * Call again with the rest until it has consumed everything or
 * http_chunked_done().  ERR_PROTO on malformed framing.
 */
const struct error	*http_chunked_feed(struct http_chunked *,
			    const char *p, size_t n, size_t *used,
			    const char **data, size_t *data_len);
int			 http_chunked_done(const struct http_chunked *);

/*
 * 1 when host (lower case, IPv6 without brackets) matches the NO_PROXY
 * list: comma- or space-separated entries, each "*", an exact name, or a
 * domain that matches itself and its subdomains (".example.com" and
 * "example.com" both match "sub.example.com").  An entry may carry
 * ":port", which must then equal port.  NULL or "" matches nothing.
 */
int			 http_no_proxy_match(const char *no_proxy,
			    const char *host, unsigned int port);

/*
 * 1 when plain http:// to host is allowed without --allow-http: loopback
 * (localhost, 127.0.0.0/8, ::1) and the EC2 instance metadata addresses
 * 169.254.169.254 and fd00:ec2::254.
 */
int			 http_plain_host_ok(const char *host);

#endif
