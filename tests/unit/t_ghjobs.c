/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of ghjobs.c: job-label matching (subset, case,
 * "self-hosted" implicit), demand counting by status, the run, job and
 * repository page parsers (dedup, caps, bad input) and the pool id.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ghjobs.h"
#include "t.h"

T_REGISTER("ghjobs-match", t_ghjobs_match)
T_REGISTER("ghjobs-count", t_ghjobs_count)
T_REGISTER("ghjobs-pages", t_ghjobs_pages)
T_REGISTER("ghjobs-pool-id", t_ghjobs_pool_id)

static const char *const pool[] = { "self-hosted", "linux", "x64" };

static void
t_ghjobs_match(void)
{
	const char *const a[] = { "self-hosted", "linux" };
	const char *const b[] = { "LINUX", "X64" };
	const char *const c[] = { "linux", "gpu" };
	const char *const d[] = { "self-hosted" };

	T_TRUE(ghjobs_match(a, 2, pool, 3));
	T_TRUE(ghjobs_match(b, 2, pool, 3));
	T_TRUE(!ghjobs_match(c, 2, pool, 3));
	T_TRUE(ghjobs_match(d, 1, pool, 3));
	T_TRUE(!ghjobs_match(NULL, 0, pool, 3));
	T_TRUE(!ghjobs_match(a, 2, NULL, 0));
}

static const struct error *
count_cb(void *arg, const struct gh_job *j)
{
	ghjobs_count(arg, j, pool, 3);
	return NULL;
}

static void
t_ghjobs_count(void)
{
	static const char page[] = "{\"total_count\": 5, \"jobs\": ["
	    "{\"id\": 1, \"run_id\": 9, \"status\": \"queued\", \"labels\": [\"linux\"]},"
	    "{\"id\": 2, \"status\": \"in_progress\", \"labels\": [\"self-hosted\", \"x64\"]},"
	    "{\"id\": 3, \"status\": \"queued\", \"labels\": [\"gpu\"]},"
	    "{\"id\": 4, \"status\": \"completed\", \"labels\": [\"linux\"]},"
	    "{\"id\": 5, \"status\": \"queued\", \"labels\": []}]}";
	struct gh_demand	 d;
	size_t			 n;

	memset(&d, 0, sizeof(d));
	T_OK(ghjobs_job_page(page, sizeof(page) - 1, count_cb, &d, &n));
	T_EQ_INT(n, 5);
	T_EQ_INT(d.jobs, 5);
	T_EQ_INT(d.queued, 1);
	T_EQ_INT(d.running, 1);
	T_EQ_INT(d.other, 2);
	T_EQ_INT(ghjobs_demand(&d), 2);
	T_ERR(ghjobs_job_page("{\"jobs\": [{\"id\": 1}]}", 20, count_cb, &d,
	    NULL), ERR_PROTO);
	T_ERR(ghjobs_job_page("{\"jobs\": [{\"id\": 1, \"status\": \"queued\","
	    " \"labels\": [7]}]}", 55, count_cb, &d, NULL), ERR_PROTO);
	T_ERR(ghjobs_job_page("[]", 2, count_cb, &d, NULL), ERR_PROTO);
}

static const struct error *
repo_cb(void *arg, const char *name)
{
	int	*n = arg;

	if (strcmp(name, "acme/app") == 0)
		(*n)++;
	return NULL;
}

static void
t_ghjobs_pages(void)
{
	static const char runs[] = "{\"total_count\": 3, \"workflow_runs\": ["
	    "{\"id\": 7, \"status\": \"queued\"}, {\"id\": 8}, {\"id\": 9}]}";
	static const char repos[] = "[{\"full_name\": \"acme/app\"},"
	    "{\"full_name\": \"acme/old\", \"archived\": true}]";
	int64_t		 ids[2] = { 8, 0 };
	size_t		 n = 1, seen;
	int		 full = 0, hits = 0;

	T_OK(ghjobs_run_page(runs, sizeof(runs) - 1, ids, 2, &n, &seen,
	    &full));
	T_EQ_INT(n, 2);
	T_EQ_INT(ids[1], 7);
	T_EQ_INT(seen, 3);
	T_TRUE(full);
	T_ERR(ghjobs_run_page("{\"workflow_runs\": [{}]}", 23, ids, 2, &n,
	    NULL, &full), ERR_PROTO);
	T_OK(ghjobs_repo_page(repos, sizeof(repos) - 1, repo_cb, &hits, &n));
	T_EQ_INT(hits, 1);
	T_EQ_INT(n, 2);
	T_ERR(ghjobs_repo_page("[{\"full_name\": \"noslash\"}]", 26, repo_cb,
	    &hits, NULL), ERR_PROTO);
	T_ERR(ghjobs_repo_page("{}", 2, repo_cb, &hits, NULL), ERR_PROTO);
}

static void
t_ghjobs_pool_id(void)
{
	const char *const a[] = { "linux", "x64" };
	const char *const b[] = { "X64", "Linux" };
	const char *const c[] = { "linux" };
	int64_t		 id = ghjobs_pool_id("https://ghe.example/acme", a, 2);

	T_TRUE(id >= 1000000000LL && id <= 1999999999LL);
	T_EQ_INT(ghjobs_pool_id("https://ghe.example/acme", b, 2), id);
	T_TRUE(ghjobs_pool_id("https://ghe.example/acme", c, 1) != id);
	T_TRUE(ghjobs_pool_id("https://ghe.example/other", a, 2) != id);
}
