/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: the REST demand parsers (ghjobs.c) that read remote
 * replies: job pages (counted against a pool), workflow-run pages and an
 * organization's repository pages.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ghjobs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const pool[] = { "self-hosted", "linux", "x64" };

static const struct error *
job_sink(void *arg, const struct gh_job *j)
{
	ghjobs_count(arg, j, pool, 3);
	return NULL;
}

static const struct error *
repo_sink(void *arg, const char *name)
{
	*(size_t *)arg += strlen(name);
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p = (const char *)data;
	struct gh_demand	 d;
	int64_t			 ids[4];
	size_t			 n = 0, seen, len = 0;
	int			 full = 0;

	if (size > (1u << 20))
		return 0;
	memset(&d, 0, sizeof(d));
	(void)ghjobs_job_page(p, size, job_sink, &d, &n);
	n = 0;
	(void)ghjobs_run_page(p, size, ids, 4, &n, &seen, &full);
	(void)ghjobs_repo_page(p, size, repo_sink, &len, &n);
	return 0;
}
