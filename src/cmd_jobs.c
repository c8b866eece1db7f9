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
#include "state.h"
#include "util.h"

#define KEY_SINCE	256
#define KEY_REPO	257
#define KEY_WORKFLOW	258
#define KEY_BY		259
#define JOBS_FIELD	256

enum jobs_out { JOBS_TABLE, JOBS_JSON, JOBS_CSV, JOBS_TRACE };

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

struct job {
	int64_t		 req;
	char		 repo[JOBS_FIELD], workflow[JOBS_FIELD];
	char		 name[JOBS_FIELD], runner[JOBS_FIELD];
	char		 result[64], labels[JOBS_FIELD];
	int64_t		 queued, assigned, started, finished;	/* 0: unknown */
};

struct jobs_args {
	long long	 since_ms;
	const char	*repo, *workflow, *by;
	enum jobs_out	 out;
};

static const struct error *
jobs_opt(void *arg, int key, const char *val)
{
	struct jobs_args	*a = arg;

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

/* Copy a string field of o into dst when present and not empty. */
static void
take(const cJSON *o, const char *key, char *dst, size_t size)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsString(v) && v->valuestring[0] != '\0')
		(void)str_copy(dst, size, v->valuestring);
}

static void
take_time(const cJSON *o, const char *key, int64_t *t)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);
	int64_t		 x;

	if (cJSON_IsString(v) && parse_rfc3339(v->valuestring, &x) == 0 &&
	    x > 0)
		*t = x;
}

/* Merge one journal record into the job of its runnerRequestId. */
static void
merge(struct job **v, size_t *n, const cJSON *o)
{
	const cJSON	*r = cJSON_GetObjectItemCaseSensitive(o, "runnerRequestId");
	const cJSON	*l, *x;
	char		 owner[JOBS_FIELD] = "", repo[JOBS_FIELD] = "";
	struct job	*j;
	size_t		 i, k = 0;

	if (!cJSON_IsNumber(r))
		return;
	for (i = 0; i < *n && (*v)[i].req != (int64_t)r->valuedouble; i++)
		;
	if (i == *n) {
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		memset(&(*v)[i], 0, sizeof(**v));
		(*v)[i].req = (int64_t)r->valuedouble;
		(*n)++;
	}
	j = &(*v)[i];
	take(o, "ownerName", owner, sizeof(owner));
	take(o, "repositoryName", repo, sizeof(repo));
	if (repo[0] != '\0')
		(void)str_fmt(j->repo, sizeof(j->repo), "%s%s%s", owner,
		    owner[0] != '\0' ? "/" : "", repo);
	take(o, "jobWorkflowRef", j->workflow, sizeof(j->workflow));
	take(o, "jobDisplayName", j->name, sizeof(j->name));
	take(o, "runnerName", j->runner, sizeof(j->runner));
	take(o, "result", j->result, sizeof(j->result));
	take_time(o, "queueTime", &j->queued);
	take_time(o, "scaleSetAssignTime", &j->assigned);
	take_time(o, "runnerAssignTime", &j->started);
	take_time(o, "finishTime", &j->finished);
	l = cJSON_GetObjectItemCaseSensitive(o, "requestLabels");
	if (cJSON_GetArraySize(l) > 0) {
		j->labels[0] = '\0';
		cJSON_ArrayForEach(x, l)
			if (cJSON_IsString(x) && k < sizeof(j->labels))
				k += (size_t)snprintf(j->labels + k,
				    sizeof(j->labels) - k, "%s%s", k ? "," : "",
				    x->valuestring);
	}
}

/* Read path (a missing file is empty) into the job list. */
static const struct error *
load(const char *path, struct job **v, size_t *n)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 len;
	cJSON	*o;

	if ((fp = fopen(path, "re")) == NULL)
		return NULL;
	while ((len = getline(&line, &cap, fp)) > 0) {
		if (json_parse(line, (size_t)len, "journal", &o) != NULL)
			continue;	/* a torn or foreign line: skipped */
		merge(v, n, o);
		cJSON_Delete(o);
	}
	free(line);
	fclose(fp);
	return NULL;
}

static int
keep(const struct jobs_args *a, const struct job *j, int64_t now)
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

static void
csv(const char *const *f, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		putchar('"');
		for (const char *s = f[i]; *s != '\0'; s++)
			fputs(*s == '"' ? "\"\"" : (char[2]){ *s, 0 }, stdout);
		fputs(i + 1 < n ? "\"," : "\"\n", stdout);
	}
}

static void
list(const struct jobs_args *a, const struct job *v, size_t n)
{
	char		 q[32], qs[24], rs[24];
	const char	*f[8];
	cJSON		*o;
	char		*s;
	size_t		 i;

	if (a->out == JOBS_TABLE)
		printf("%-20s %-24s %-20s %-16s %-20s %-10s %6s %6s\n",
		    "QUEUED", "REPOSITORY", "WORKFLOW", "JOB", "RUNNER",
		    "RESULT", "QUEUE", "RUN");
	else if (a->out == JOBS_CSV)
		printf("queued,repository,workflow,job,runner,result,"
		    "queue_s,run_s\n");
	else if (a->out == JOBS_TRACE)
		printf("queued_at,labels,duration\n");
	for (i = 0; i < n; i++) {
		utc(v[i].queued, q, sizeof(q));
		snprintf(qs, sizeof(qs), "%lld", span(v[i].queued,
		    v[i].started));
		snprintf(rs, sizeof(rs), "%lld", span(v[i].started,
		    v[i].finished));
		if (a->out == JOBS_TRACE) {
			/* The twin's columns: queued_at, labels, duration. */
			if (v[i].queued > 0 && span(v[i].started,
			    v[i].finished) >= 0)
				printf("%s,\"%s\",%s\n", q, v[i].labels,
				    rs);
			continue;
		}
		if (a->out == JOBS_JSON) {
			o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "runnerRequestId",
			    (double)v[i].req);
			cJSON_AddStringToObject(o, "queued", q);
			cJSON_AddStringToObject(o, "repository", v[i].repo);
			cJSON_AddStringToObject(o, "workflow", v[i].workflow);
			cJSON_AddStringToObject(o, "job", v[i].name);
			cJSON_AddStringToObject(o, "runner", v[i].runner);
			cJSON_AddStringToObject(o, "result", v[i].result);
			cJSON_AddNumberToObject(o, "queueSeconds",
			    (double)span(v[i].queued, v[i].started));
			cJSON_AddNumberToObject(o, "runSeconds",
			    (double)span(v[i].started, v[i].finished));
			s = json_print(o);
			puts(s);
			free(s);
			cJSON_Delete(o);
			continue;
		}
		f[0] = q; f[1] = v[i].repo; f[2] = v[i].workflow;
		f[3] = v[i].name; f[4] = v[i].runner; f[5] = v[i].result;
		f[6] = qs; f[7] = rs;
		if (a->out == JOBS_CSV) {
			csv(f, 8);
			continue;
		}
		printf("%-20s %-24.24s %-20.20s %-16.16s %-20.20s %-10.10s "
		    "%6s %6s\n", q, v[i].repo, v[i].workflow, v[i].name,
		    v[i].runner[0] ? v[i].runner : "-",
		    v[i].result[0] ? v[i].result : "-", qs, rs);
	}
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
group_key(const struct jobs_args *a, const struct job *j, char *k,
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

static void
stats(const struct jobs_args *a, const struct job *v, size_t n)
{
	char		 k[JOBS_FIELD], k2[JOBS_FIELD];
	long long	*qs = xcalloc(n + 1, sizeof(*qs));
	long long	*rs = xcalloc(n + 1, sizeof(*rs));
	char		*done = xcalloc(n + 1, 1);
	size_t		 i, m, nq, nr, count;

	if (a->out == JOBS_TABLE)
		printf("%-48s %6s %8s %8s %8s %8s\n", a->by != NULL ? a->by :
		    "GROUP", "COUNT", "QUEUE50", "QUEUE95", "RUN50", "RUN95");
	else if (a->out == JOBS_CSV)
		printf("group,count,queue_p50,queue_p95,run_p50,run_p95\n");
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
		if (a->out == JOBS_JSON)
			printf("{\"group\":\"%s\",\"count\":%zu,\"queueP50\":%lld,"
			    "\"queueP95\":%lld,\"runP50\":%lld,\"runP95\":%lld}\n",
			    k, count, pct(qs, nq, 50), pct(qs, nq, 95),
			    pct(rs, nr, 50), pct(rs, nr, 95));
		else
			printf(a->out == JOBS_CSV ? "\"%s\",%zu,%lld,%lld,%lld,"
			    "%lld\n" : "%-48.48s %6zu %8lld %8lld %8lld %8lld\n",
			    k, count, pct(qs, nq, 50), pct(qs, nq, 95),
			    pct(rs, nr, 50), pct(rs, nr, 95));
	}
	free(qs);
	free(rs);
	free(done);
}

static const struct error *
cmd_jobs(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct jobs_args	 a;
	struct state_file	 sf = STATE_FILE_INIT;
	struct job		*v = NULL, *kept;
	const char		*name;
	char			 path[800];
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
	if ((e = str_fmt(path, sizeof(path), "%s.jobs.old", sf.path)) !=
	    NULL || (e = load(path, &v, &n)) != NULL ||
	    (e = str_fmt(path, sizeof(path), "%s.jobs", sf.path)) != NULL ||
	    (e = load(path, &v, &n)) != NULL)
		goto out;
	kept = xcalloc(n + 1, sizeof(*kept));
	for (i = 0; i < n; i++)
		if (keep(&a, &v[i], now))
			kept[nk++] = v[i];
	if (st)
		stats(&a, kept, nk);
	else
		list(&a, kept, nk);
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
