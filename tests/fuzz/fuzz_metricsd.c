/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target for the --metrics-listen request parser (metricsd.c): the
 * head is fed as a socket would deliver it, in pieces whose size the first
 * input byte picks, into a buffer of MD_HEAD_MAX bytes as the server
 * reads it; then the router.  Checks what the server relies on: a verdict
 * never goes back to "need more", a parsed head lies inside the bytes
 * seen, its path is an origin-form path, and a full buffer always ends in
 * a verdict (else a client could hold a connection with no reply).
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "metricsd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct md_req	 r;
	const char	*p = (const char *)data + 1;
	size_t		 n, step, have, plen;
	int		 st;

	if (size < 1)
		return 0;
	step = data[0] == 0 ? 1 : data[0];
	n = size - 1;
	if (n > MD_HEAD_MAX)
		n = MD_HEAD_MAX;	/* the server reads no more */
	for (have = step < n ? step : n;; have = have + step < n ?
	    have + step : n) {
		metricsd_parse(p, have, &r);
		if (r.status != 0 || have == n)
			break;
	}
	st = r.status;
	if (have == MD_HEAD_MAX && st == 0)
		__builtin_trap();	/* a full buffer with no verdict */
	if (st == 200) {
		if (r.used == 0 || r.used > have)
			__builtin_trap();
		plen = strnlen(r.path, sizeof(r.path));
		if (plen == sizeof(r.path) || (plen > 0 && r.path[0] != '/'))
			__builtin_trap();
		st = metricsd_route(&r, data[0] & 1);
		if (st != 200 && st != 404 && st != 405 && st != 503)
			__builtin_trap();
		/* The same bytes at once give the same verdict. */
		metricsd_parse(p, have, &r);
		if (r.status != 200)
			__builtin_trap();
	} else if (st != 0 && st != 400 && st != 431 && st != 505)
		__builtin_trap();
	return 0;
}
