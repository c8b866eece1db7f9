/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: the state file (state_parse).  A file that parses is
 * written back (state_format) and read again: the second reading must
 * give the same text, or a crash-and-restart would change the state.
 */

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "state.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state	 st, again;
	struct buf	 a = BUF_INIT(STATE_MAX * 2), b = BUF_INIT(STATE_MAX * 2);

	if (size > STATE_MAX)
		return 0;
	state_init(&st);
	state_init(&again);
	if (state_parse((const char *)data, size, &st) == NULL) {
		if (state_format(&st, &a) == NULL) {
			if (state_parse(a.p, a.len, &again) != NULL)
				__builtin_trap();	/* own output refused */
			if (state_format(&again, &b) != NULL || a.len != b.len ||
			    memcmp(a.p, b.p, a.len) != 0)
				__builtin_trap();	/* not a fixed point */
		}
	}
	state_release(&st);
	state_release(&again);
	buf_release(&a);
	buf_release(&b);
	return 0;
}
