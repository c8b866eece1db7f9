/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl scale: one reconciliation pass, for cron.  The truth is read
 * every time (no local database): the scale set's instances from EC2
 * tags, its runners from GitHub, its statistics from the Actions Service.
 * plan_compute() decides (desired = min(MIN_RUNNERS + totalAssignedJobs,
 * MAX_RUNNERS), as actions-runner-controller does; see plan.h), then the
 * launches and retirements are carried out (scaler.h) and the plan is
 * printed as a table or JSON.  The scale set's state-file lock is taken
 * without waiting: a second `scale` (or a running `poll --follow`) makes
 * this one exit 75 at once, so overlapping cron runs can never both
 * launch.  --dry-run changes nothing and asks EC2 with DryRun=true
 * whether the calls would be allowed.
 *
 * --source rest (GHES without the Actions Service; seed 002's fallback,
 * actions-service-protocol.md 6.2) needs no scale set: the demand is the
 * number of queued and in-progress jobs whose runs-on labels match
 * RUNNER_LABELS (ghjobs.h), counted by a bounded scan of the scope's
 * workflow runs (github_jobs_scan()), whose ETag cache is kept in the
 * state directory between runs so unchanged lists come back as 304s.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_poll.h"
#include "scaleset.h"
#include "scaler.h"
#include "ghjobs.h"
#include "github.h"
#include "log.h"
#include "util.h"

#define KEY_MAX_REPOS	257
#define KEY_MAX_RUNS	258

#define REST_MAX_REPOS	100	/* repositories per pass (--max-repos) */
#define REST_MAX_RUNS	200	/* active workflow runs per pass (--max-runs) */
#define REST_LIMIT	10000	/* the most either option accepts */
#define REST_CACHE_MAX	(6u << 20)	/* ETag cache file */

static const struct opt scale_opts[] = {
	SCALER_OPT_DRY_RUN,
	{ "output", 'o', OPT_REQ, "FORMAT", "table or json" },
	SCALER_OPT_MIN_AGE,
	SCALER_OPT_USER_DATA,
	SCALER_OPT_ENDPOINT,
	SCALER_OPT_SOURCE("demand from actions (statistics) or rest "
	    "(GHRCTL_SOURCE)"),
	{ "max-repos", KEY_MAX_REPOS, OPT_REQ, "N",
	    "rest: scan at most N repositories (100)" },
	{ "max-runs", KEY_MAX_RUNS, OPT_REQ, "N",
	    "rest: read the jobs of at most N runs (200)" },
	CA_OPT_CLOSE_SESSION,
	OPT_END
};

struct scale_args {
	struct scaler_opts	 so;
	enum out_fmt		 fmt;
	struct gh_scan_limits	 lim;
	int			 close_session;
};

static const struct error *
scale_opt(void *arg, int key, const char *val)
{
	struct scale_args	*a = arg;

	if (scaler_opt(&a->so, key, val))
		return NULL;
	switch (key) {
	case 'o':
		return cmd_output_parse(val, OUT_ALLOW_TABLE_JSON, &a->fmt);
	case CA_KEY_CLOSE_SESSION:
		a->close_session = 1;
		return NULL;
	case KEY_MAX_REPOS:
	case KEY_MAX_RUNS:
		if (parse_uint(val, REST_LIMIT, key == KEY_MAX_REPOS ?
		    &a->lim.max_repos : &a->lim.max_runs) != 0)
			return error_fmt(ERR_USAGE, "--%s wants a number from "
			    "0 to %d, not '%s'", key == KEY_MAX_REPOS ?
			    "max-repos" : "max-runs", REST_LIMIT, val);
		return NULL;
	}
	return error_fmt(ERR_SOFTWARE, "scale: option %d unhandled", key);
}

/* The ETag cache file of the pool (in the locked state directory). */
static const struct error *
cache_path(const struct cmd_as *c, char *dst, size_t size)
{
	return str_fmt(dst, size, "%s/rest-%lld.etags.json", c->sf.dir,
	    (long long)c->scale_set_id);
}

static void
cache_load(const struct cmd_as *c)
{
	struct buf	 b = BUF_INIT(REST_CACHE_MAX);
	char		 path[1024], tmp[8192];
	ssize_t		 n;
	int		 fd;

	github_cache_enable(c->gh);

	if (cache_path(c, path, sizeof(path)) != NULL ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || buf_add(&b, tmp, (size_t)n) != NULL) {
			log_warn("ignoring ETag cache '%s'", path);
			buf_reset(&b);
			break;
		}
	}
	close(fd);
	if (b.len > 0)
		github_cache_import(c->gh, b.p, b.len);
	buf_release(&b);
}

/* Replace the cache file atomically (mode 0600); failures are warnings. */
static void
cache_save(const struct cmd_as *c)
{
	struct buf	 b = BUF_INIT(REST_CACHE_MAX);
	char		 path[1024], tmp[1100];
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd = -1, ok = 0;

	if (cache_path(c, path, sizeof(path)) != NULL ||
	    str_fmt(tmp, sizeof(tmp), "%s.tmp", path) != NULL ||
	    github_cache_export(c->gh, &b) != NULL)
		goto out;
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		goto out;
	while (off < b.len) {
		n = write(fd, b.p + off, b.len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	if (close(fd) == 0 && rename(tmp, path) == 0)
		ok = 1;
	fd = -1;
out:
	if (fd != -1)
		close(fd);
	if (!ok) {
		log_warn("cannot save the ETag cache '%s': %s", path,
		    strerror(errno));
		(void)unlink(tmp);
	}
	buf_release(&b);
}

struct rest_count {
	const struct scaler	*s;
	struct gh_demand	 d;
};

static const struct error *
count_job(void *arg, const struct gh_job *j)
{
	struct rest_count	*rc = arg;

	ghjobs_count(&rc->d, j, rc->s->labels, rc->s->nlabels);
	return NULL;
}

/* Count the demand through GitHub REST into *assigned. */
static const struct error *
rest_demand(struct scaler *s, const struct scale_args *a, int64_t *assigned,
    struct rest_count *rc)
{
	const struct error	*e;
	struct gh_scan		 sc;
	uint64_t		 req0 = github_requests(s->c->gh);
	uint64_t		 nm0 = github_not_modified(s->c->gh);

	memset(rc, 0, sizeof(*rc));
	rc->s = s;
	if ((e = github_jobs_scan(s->c->gh, &a->lim, count_job, rc, &sc)) !=
	    NULL)
		return e;
	if (sc.repos_capped || sc.runs_capped)
		log_warn("REST scan stopped at --max-repos %u / --max-runs %u: "
		    "the demand may be undercounted", a->lim.max_repos,
		    a->lim.max_runs);
	*assigned = ghjobs_demand(&rc->d);
	log_info("pool %lld: %u repositories, %u active runs, %llu jobs: "
	    "%llu queued and %llu in progress match, %llu for other labels; "
	    "%llu requests, %llu not modified (304)",
	    (long long)s->c->scale_set_id, sc.repos, sc.runs,
	    (unsigned long long)rc->d.jobs, (unsigned long long)rc->d.queued,
	    (unsigned long long)rc->d.running,
	    (unsigned long long)rc->d.other,
	    (unsigned long long)(github_requests(s->c->gh) - req0),
	    (unsigned long long)(github_not_modified(s->c->gh) - nm0));
	return NULL;
}

static const struct error *
cmd_scale(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct scale_args	 a;
	struct cmd_as		 c;
	struct scaler		 s;
	struct rest_count	 rc;
	int64_t			 assigned = 0;

	memset(&a, 0, sizeof(a));
	a.lim.max_repos = REST_MAX_REPOS;
	a.lim.max_runs = REST_MAX_RUNS;
	memset(&s, 0, sizeof(s));
	cmd_as_init(&c);
	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, scale_opt, &a)) !=
	    NULL || ctx->done)
		return e;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[0]);
	if ((e = scaler_source(ctx, &a.so)) != NULL)
		return e;
	if (!a.so.rest)
		return poll_scale(ctx, &a.so, a.fmt, a.close_session);
	if ((e = scaler_begin(ctx, &c, &a.so)) != NULL ||
	    (e = scaler_open(ctx, &c, &a.so, &s)) != NULL)
		goto out;
	if (a.so.rest) {
		cache_load(&c);
		e = rest_demand(&s, &a, &assigned, &rc);
		if (!a.so.dry_run)
			cache_save(&c);
		if (e != NULL)
			goto out;
		if (a.fmt != OUT_JSON)
			printf("pool %lld  demand %lld (%llu queued, %llu "
			    "running)\n", (long long)c.scale_set_id,
			    (long long)assigned,
			    (unsigned long long)rc.d.queued,
			    (unsigned long long)rc.d.running);
	}
	s.set.scale = 1;
	e = scaler_pass(&s, a.so.rest ? &assigned : NULL, a.fmt);
	if (e == NULL && a.close_session && !a.so.dry_run)
		e = cmd_as_end_session(&c);
out:
	scaler_close(&s);
	cmd_as_close(&c);
	return e;
}

const struct cmd cmd_scale_def = {
	"scale", cmd_scale,
	"scale [-n] [-o table|json] [--min-age DURATION] "
	"[--user-data-template FILE] [--endpoint-url URL] "
	"[--source actions|rest] [--max-repos N] [--max-runs N] "
	"[--close-session]",
	"launch or retire EC2 runners once to match the assigned jobs",
	scale_opts, NULL
};
