/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target for the HTTP response parser (http_parse.c): the head parser
 * and the chunked decoder, driven the way http.c drives them.  The first
 * input byte picks the size of the pieces the rest is fed in, so the
 * incremental paths (a head or chunk line split anywhere) are exercised.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "http_parse.h"

#define FUZZ_MAX_BODY	(1u << 20)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
body(const struct http_head *h, const char *p, size_t n, size_t step)
{
	struct http_chunked	 c;
	struct buf		 out = BUF_INIT(FUZZ_MAX_BODY);
	const char		*d;
	size_t			 off = 0, used, dl, lim;

	if (!h->chunked) {
		if (h->content_length >= 0 &&
		    (uint64_t)h->content_length < n)
			n = (size_t)h->content_length;
		(void)buf_add(&out, p, n < FUZZ_MAX_BODY ? n : FUZZ_MAX_BODY);
		buf_release(&out);
		return;
	}
	memset(&c, 0, sizeof(c));
	while (off < n && !http_chunked_done(&c)) {
		lim = n - off < step ? n - off : step;
		if (http_chunked_feed(&c, p + off, lim, &used, &d, &dl) != NULL)
			break;
		if (used == 0 && dl == 0)
			__builtin_trap();	/* no progress: would spin */
		if (dl > 0 && (d < p + off || d + dl > p + off + lim))
			__builtin_trap();	/* data outside the input */
		if (dl > 0 && buf_add(&out, d, dl) != NULL)
			break;
		off += used;
	}
	buf_release(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head	 h = HTTP_HEAD_INIT;
	const char		*p = (const char *)data + 1;
	size_t			 n, step, have, used = 0;

	if (size < 1)
		return 0;
	step = data[0] == 0 ? 1 : data[0];
	n = size - 1;
	/* Grow the visible prefix as bytes would arrive from the socket. */
	for (have = step < n ? step : n;; have = have + step < n ?
	    have + step : n) {
		if (http_head_parse(p, have, &h, &used) != NULL)
			return 0;
		if (used > 0 || have == n)
			break;
	}
	if (used == 0)
		return 0;
	if (used > have)
		__builtin_trap();
	(void)http_header_find(h.headers, h.headers_len, "Location");
	(void)http_header_find(h.headers, h.headers_len, "Retry-After");
	body(&h, p + used, n - used, step);
	http_head_release(&h);
	return 0;
}
