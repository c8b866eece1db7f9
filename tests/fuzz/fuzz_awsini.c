/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: the AWS shared config and credentials files (aws_ini_get)
 * and the RFC 3339 times of credential, EC2 and GitHub replies
 * (parse_rfc3339, the one parser they share).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sections[] = { "default", "profile ci", "" };
	static const char *const keys[] = { "aws_access_key_id", "region",
	    "endpoint_url", "" };
	char		 v[256];
	char		*text;
	int64_t		 t;
	size_t		 i, j;
	int		 have;

	if (size > 65536 || (text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		for (j = 0; j < sizeof(keys) / sizeof(keys[0]); j++)
			if (aws_ini_get(text, sections[i], keys[j], v,
			    sizeof(v), &have) && strlen(v) >= sizeof(v))
				__builtin_trap();
	(void)parse_rfc3339(text, &t);
	free(text);
	return 0;
}
