/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: the GitHub JSON -> struct adapters (ghjson.c) that read
 * remote replies: runner list pages, single runners, tokens, JIT configs,
 * installations and error bodies, plus the Link header parser.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ghjson.h"
#include "ghurl.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct error *
sink(void *arg, const struct gh_runner *r)
{
	static const char *const want[] = { "self-hosted", "gpu" };

	*(size_t *)arg += r->nlabels + (size_t)gh_runner_has_labels(r,
	    want, 2);
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p = (const char *)data;
	struct gh_runner	 r;
	char			*s, *tok = NULL, exp[64], msg[256], next[512];
	size_t			 n = 0;
	int64_t			 v;

	if (size > (1u << 20))
		return 0;
	(void)ghjson_runner_page(p, size, &v, sink, &n);
	if (ghjson_runner(p, size, &r) == NULL)
		gh_runner_release(&r);
	if (ghjson_token(p, size, &tok, exp, sizeof(exp), &v) == NULL)
		secret_free(tok);
	if (ghjson_jit(p, size, &tok, &r) == NULL) {
		secret_free(tok);
		gh_runner_release(&r);
	}
	(void)ghjson_installation(p, size, &v);
	(void)ghjson_error_message(p, size, msg, sizeof(msg));
	s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	(void)ghurl_link_next(s, next, sizeof(next));
	(void)parse_rfc3339(s, &v);
	free(s);
	return 0;
}
