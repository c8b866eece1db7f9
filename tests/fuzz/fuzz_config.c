/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: the KEY=VALUE config file parser and the typed setters
 * behind it (numbers, durations, booleans, log levels).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct error *
sink(void *arg, const char *key, const char *value, int line)
{
	long long	 ms;
	uint64_t	 u;

	(void)arg;
	(void)line;
	(void)config_key_find(key);
	(void)parse_duration_ms(value, 1000, &ms);
	(void)parse_u64(value, &u);
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)config_parse_text(text, "fuzz", sink, NULL);
	free(text);
	return 0;
}
