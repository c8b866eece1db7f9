/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl jobs: the job journal (journal.h) read back.  `jobs` lists each
 * job once (its messages merged by runnerRequestId): queued, repository,
 * workflow, job, runner, result, queue time (queued to a runner
 * assigned) and run time (runner assigned to finished).  `jobs stats`
 * groups them (all, --by repo, workflow or hour queued) with count and
 * the p50/p95 (nearest rank) of queue and run times; -o trace prints
 * queued_at, labels, duration lines for the lifecycle twin.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cJSON.h"

#include "cmd.h"
#include "error.h"
#include "journal.h"
#include "json.h"
#include "out.h"
#include "state.h"
#include "util.h"

#define KEY_SINCE	256
#define KEY_REPO	257
#define KEY_WORKFLOW	258
#define KEY_BY		259

/* The first three are out.h's formats, in enum out_fmt's order. */
enum jobs_out {
	JOBS_TABLE = OUT_TABLE,
	JOBS_JSON = OUT_JSON,
	JOBS_CSV = OUT_CSV,
	JOBS_TRACE
};

static const struct opt jobs_opts[] = {
	{ "since", KEY_SINCE, OPT_REQ, "DURATION",
	    "only jobs queued in the last DURATION (1h, 30m)" },
	{ "repo", KEY_REPO, OPT_REQ, "REPO", "only REPO (OWNER/NAME or NAME)" },
	{ "workflow", KEY_WORKFLOW, OPT_REQ, "WORKFLOW",
	    "only workflows whose ref contains WORKFLOW" },
	{ "by", KEY_BY, OPT_REQ, "KEY", "stats: group by repo, workflow "
	    "or hour" },
	{ "output", 'o', OPT_REQ, "FORMAT", "table, json, csv or trace" },
	OPT_END
};


struct journal_jobs_args {
	long long	 since_ms;
	const char	*repo, *workflow, *by;
	enum jobs_out	 out;
};

static const struct error *
jobs_opt(void *arg, int key, const char *val)
{
	struct journal_jobs_args	*a = arg;

	switch (key) {
	case KEY_SINCE:
		if (parse_duration_ms(val, 1000, &a->since_ms) == -1)
			return error_fmt(ERR_USAGE, "--since '%s' is not a "
			    "duration (e.g. 1h, 30m)", val);
		return NULL;
	case KEY_REPO:
		a->repo = val;
		return NULL;
	case KEY_WORKFLOW:
		a->workflow = val;
		return NULL;
	case KEY_BY:
		if (strcmp(val, "repo") != 0 && strcmp(val, "workflow") != 0 &&
		    strcmp(val, "hour") != 0)
			return error_fmt(ERR_USAGE, "--by '%s': use repo, "
			    "workflow or hour", val);
		a->by = val;
		return NULL;
	case 'o':
		if (strcmp(val, "table") == 0)
			a->out = JOBS_TABLE;
		else if (strcmp(val, "json") == 0)
			a->out = JOBS_JSON;
		else if (strcmp(val, "csv") == 0)
			a->out = JOBS_CSV;
		else if (strcmp(val, "trace") == 0)
			a->out = JOBS_TRACE;
		else
			return error_fmt(ERR_USAGE, "-o '%s': use table, json, "
			    "csv or trace", val);
		return NULL;
	}
	return error_fmt(ERR_SOFTWARE, "jobs: option %d unhandled", key);
}

static int
keep(const struct journal_jobs_args *a, const struct journal_job *j, int64_t now)
{
	const char	*slash;

	if (a->since_ms > 0 && (j->queued == 0 ||
	    j->queued < now - a->since_ms / 1000))
		return 0;
	if (a->repo != NULL && strcmp(j->repo, a->repo) != 0 &&
	    ((slash = strchr(j->repo, '/')) == NULL ||
	    strcmp(slash + 1, a->repo) != 0))
		return 0;
	return a->workflow == NULL || strstr(j->workflow, a->workflow) != NULL;
}

/* Seconds from a to b, or -1 when either is unknown. */
static long long
span(int64_t a, int64_t b)
{
	return a > 0 && b >= a ? (long long)(b - a) : -1;
}

static void
utc(int64_t t, char *dst, size_t size)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (t == 0) {
		(void)str_copy(dst, size, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(dst, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const struct out_col list_cols[] = {
	{ "ID", "runnerRequestId", OUT_NUM, 1 },
	{ "QUEUED", "queued", OUT_STR, 0 },
	{ "REPOSITORY", "repository", OUT_STR, 0 },
	{ "WORKFLOW", "workflow", OUT_STR, 0 },
	{ "JOB", "job", OUT_STR, 0 },
	{ "RUNNER", "runner", OUT_STR, 0 },
	{ "RESULT", "result", OUT_STR, 0 },
	{ "QUEUE", "queueSeconds", OUT_SECS, 1 },
	{ "RUN", "runSeconds", OUT_SECS, 1 }
};
#define LIST_NCOLS	(sizeof(list_cols) / sizeof(list_cols[0]))

/* The job list (out.h), or the twin's trace lines. */
static const struct error *
list(const struct journal_jobs_args *a, const struct journal_job *v, size_t n)
{
	const struct error	*e;
	struct out		*o;
	char			 q[32], id[24], qs[24], rs[24];
	const char		*f[LIST_NCOLS] = { id, q, NULL, NULL, NULL,
				    NULL, NULL, qs, rs };
	size_t			 i;

	if (a->out == JOBS_TRACE) {
		/* The twin's columns: queued_at, labels, duration. */
		printf("queued_at,labels,duration\n");
		for (i = 0; i < n; i++) {
			utc(v[i].queued, q, sizeof(q));
			if (v[i].queued > 0 && span(v[i].started,
			    v[i].finished) >= 0)
				printf("%s,\"%s\",%lld\n", q, v[i].labels,
				    span(v[i].started, v[i].finished));
		}
		return NULL;
	}
	o = out_new((enum out_fmt)a->out, list_cols, LIST_NCOLS, OUT_LINES);
	for (i = 0; i < n; i++) {
		utc(v[i].queued, q, sizeof(q));
		snprintf(id, sizeof(id), "%lld", (long long)v[i].req);
		snprintf(qs, sizeof(qs), "%lld", span(v[i].queued,
		    v[i].started));
		snprintf(rs, sizeof(rs), "%lld", span(v[i].started,
		    v[i].finished));
		f[2] = v[i].repo;
		f[3] = v[i].workflow;
		f[4] = v[i].name;
		f[5] = v[i].runner;
		f[6] = v[i].result;
		out_row(o, f);
	}
	e = out_end(o);
	out_free(o);
	return e;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long	 x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile p of the n sorted values; -1 when none. */
static long long
pct(const long long *s, size_t n, unsigned int p)
{
	size_t	 r;

	if (n == 0)
		return -1;
	r = (n * p + 99) / 100;
	return s[r > 0 ? r - 1 : 0];
}

static void
group_key(const struct journal_jobs_args *a, const struct journal_job *j, char *k,
    size_t size)
{
	if (a->by == NULL)
		(void)str_copy(k, size, "all");
	else if (strcmp(a->by, "repo") == 0)
		(void)str_copy(k, size, j->repo);
	else if (strcmp(a->by, "workflow") == 0)
		(void)str_copy(k, size, j->workflow);
	else {
		utc(j->queued, k, size);
		if (strlen(k) > 13)
			(void)str_copy(k + 13, size - 13, ":00Z");
	}
}

static const struct error *
stats(const struct journal_jobs_args *a, const struct journal_job *v, size_t n)
{
	const struct error	*e;
	struct out_col	 cols[] = {
		{ "GROUP", "group", OUT_STR, 0 },
		{ "COUNT", "count", OUT_NUM, 1 },
		{ "QUEUE50", "queueP50", OUT_NUM, 1 },
		{ "QUEUE95", "queueP95", OUT_NUM, 1 },
		{ "RUN50", "runP50", OUT_NUM, 1 },
		{ "RUN95", "runP95", OUT_NUM, 1 }
	};
	char		 k[JOURNAL_FIELD], k2[JOURNAL_FIELD], num[5][24], head[16];
	const char	*f[6] = { k, num[0], num[1], num[2], num[3], num[4] };
	long long	*qs = xcalloc(n + 1, sizeof(*qs));
	long long	*rs = xcalloc(n + 1, sizeof(*rs));
	char		*done = xcalloc(n + 1, 1);
	size_t		 i, m, nq, nr, count;
	struct out	*o;

	if (a->by != NULL) {
		for (i = 0; a->by[i] != '\0' && i + 1 < sizeof(head); i++)
			head[i] = (char)(a->by[i] - 'a' + 'A');
		head[i] = '\0';
		cols[0].head = head;
	}
	o = out_new((enum out_fmt)a->out, cols, 6, OUT_LINES);
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		group_key(a, &v[i], k, sizeof(k));
		for (m = i, nq = nr = count = 0; m < n; m++) {
			group_key(a, &v[m], k2, sizeof(k2));
			if (done[m] || strcmp(k, k2) != 0)
				continue;
			done[m] = 1;
			count++;
			if (span(v[m].queued, v[m].started) >= 0)
				qs[nq++] = span(v[m].queued, v[m].started);
			if (span(v[m].started, v[m].finished) >= 0)
				rs[nr++] = span(v[m].started, v[m].finished);
		}
		qsort(qs, nq, sizeof(*qs), cmp_ll);
		qsort(rs, nr, sizeof(*rs), cmp_ll);
		snprintf(num[0], sizeof(num[0]), "%zu", count);
		snprintf(num[1], sizeof(num[1]), "%lld", pct(qs, nq, 50));
		snprintf(num[2], sizeof(num[2]), "%lld", pct(qs, nq, 95));
		snprintf(num[3], sizeof(num[3]), "%lld", pct(rs, nr, 50));
		snprintf(num[4], sizeof(num[4]), "%lld", pct(rs, nr, 95));
		out_row(o, f);
	}
	e = out_end(o);
	out_free(o);
	free(qs);
	free(rs);
	free(done);
	return e;
}

static const struct error *
cmd_jobs(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct journal_jobs_args	 a;
	struct state_file	 sf = STATE_FILE_INIT;
	struct journal_job		*v = NULL, *kept;
	const char		*name;
	size_t			 n = 0, nk = 0, i;
	int64_t			 now = (int64_t)time(NULL);
	int			 st = 0;

	memset(&a, 0, sizeof(a));
	/* The verb first: the options after it are parsed as usual. */
	if (argc > 1 && strcmp(argv[1], "stats") == 0) {
		st = 1;
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, jobs_opt, &a)) !=
	    NULL || ctx->done)
		return e;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[0]);
	if (a.by != NULL && !st)
		return cmd_usage_error(ctx, "--by is for 'jobs stats'");
	if (st && a.out == JOBS_TRACE)
		return cmd_usage_error(ctx, "-o trace is for the job list");
	if ((e = state_locate(&ctx->cfg, &sf, &name)) != NULL)
		return e;
	if ((e = journal_read(&sf, &v, &n)) != NULL)
		goto out;
	kept = xcalloc(n + 1, sizeof(*kept));
	for (i = 0; i < n; i++)
		if (keep(&a, &v[i], now))
			kept[nk++] = v[i];
	e = st ? stats(&a, kept, nk) : list(&a, kept, nk);
	free(kept);
out:
	free(v);
	return e;
}

const struct cmd cmd_jobs_def = {
	"jobs", cmd_jobs,
	"jobs [--since DURATION] [--repo REPO] [--workflow WORKFLOW] "
	"[-o table|json|csv|trace]\n"
	"jobs stats [--by repo|workflow|hour] [--since DURATION] "
	"[--repo REPO] [--workflow WORKFLOW] [-o table|json|csv]",
	"list the jobs of the job journal, or their queue and run times",
	jobs_opts, NULL
};
