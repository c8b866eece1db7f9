/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: the POOL_SCHEDULE and POOL_TZ parsers (pool.c), and the
 * sizes a parsed schedule gives at a time taken from the input.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool_schedule	 s;
	char			*text;
	int64_t			 t;
	uint64_t		 u = 0;
	unsigned int		 hot, stopped;
	size_t			 i;
	int			 off;

	if (size > 4096)
		return 0;
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* A clock time within 2^40 s of the epoch (never the input's text). */
	for (i = 0; i < size && i < 8; i++)
		u = u << 8 | data[i];
	t = (int64_t)(u % ((uint64_t)1 << 40));
	memset(&s, 0, sizeof(s));
	if (pool_tz_parse(text, &off) == NULL)
		s.offset = off;
	if (pool_schedule_parse(text, &s) == NULL) {
		pool_sizes(&s, t, 1, &hot, &stopped);
		pool_sizes(&s, -t, 1, &hot, &stopped);
	}
	free(text);
	return 0;
}
