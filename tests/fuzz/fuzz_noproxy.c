/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: NO_PROXY matching (http_no_proxy_match) and the plain-http
 * host list (http_plain_host_ok) from http_parse.c.  Input: two bytes of
 * port, then the NO_PROXY value, a newline, the host name.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int	 port;
	char		*text, *host;

	if (size < 2 || size > 8192)
		return 0;
	port = (unsigned int)data[0] << 8 | data[1];
	if ((text = malloc(size - 1)) == NULL)
		return 0;
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';
	if ((host = strchr(text, '\n')) != NULL)
		*host++ = '\0';
	else
		host = text;
	(void)http_no_proxy_match(text, host, port);
	(void)http_no_proxy_match(host, text, port);
	(void)http_plain_host_ok(host);
	free(text);
	return 0;
}
