/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: URLs from outside (url.c): a redirect's Location resolved
 * against a base (url_resolve), absolute URLs from the environment and
 * replies (url_parse), and what is made of them (url_format,
 * url_hostport, url_same_origin, percent-decoding).  Input: the base URL,
 * a newline, the reference; a base that does not parse is replaced by a
 * fixed one, so every input exercises url_resolve.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "url.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
use(const struct url *u)
{
	struct buf	 b = BUF_INIT(4096);

	if (u->path == NULL || u->path[0] != '/')
		__builtin_trap();	/* url.h: the path starts with '/' */
	(void)url_format(u, &b);
	buf_reset(&b);
	(void)url_hostport(u, 0, &b);
	buf_reset(&b);
	(void)url_hostport(u, 1, &b);
	(void)url_default_port(u);
	buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct url	 base = URL_INIT, out = URL_INIT;
	struct buf	 dec = BUF_INIT(4096);
	char		*text, *ref;

	if (size > 8192 || (text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if ((ref = strchr(text, '\n')) != NULL)
		*ref++ = '\0';
	else
		ref = text;
	if (url_parse(text, &base) == NULL)
		use(&base);
	else if (url_parse("https://api.github.com:8443/orgs/acme/actions/"
	    "runners?per_page=100", &base) != NULL)
		__builtin_trap();
	if (url_resolve(&base, ref, &out) == NULL) {
		use(&out);
		(void)url_same_origin(&base, &out);
		url_release(&out);
	}
	(void)url_decode(&dec, ref, strlen(ref));
	url_release(&base);
	buf_release(&dec);
	free(text);
	return 0;
}
