/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl scale: one reconciliation pass, for cron.  The truth is read
 * every time (no local database): the scale set's instances from EC2
 * tags, its runners from GitHub, its statistics from the Actions Service.
 * plan_compute() decides (desired = min(MIN_RUNNERS + totalAssignedJobs,
 * MAX_RUNNERS), as actions-runner-controller does; see plan.h), then the
 * launches and retirements are carried out (cmd_scaler.h) and the plan is
 * printed as a table or JSON.  The scale set's state-file lock is taken
 * without waiting: a second `scale` (or a running `poll --follow`) makes
 * this one exit 75 at once, so overlapping cron runs can never both
 * launch.  --dry-run changes nothing and asks EC2 with DryRun=true
 * whether the calls would be allowed.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "cmd_actions.h"
#include "cmd_scaler.h"
#include "log.h"
#include "plan.h"
#include "sig.h"

#define KEY_MIN_AGE	256
#define KEY_USER_DATA	257
#define KEY_ENDPOINT	258

static const struct opt scale_opts[] = {
	{ "dry-run", 'n', OPT_NONE, NULL,
	    "change nothing; check permissions with EC2 DryRun" },
	{ "output", 'o', OPT_REQ, "FORMAT", "table or json" },
	{ "min-age", KEY_MIN_AGE, OPT_REQ, "DURATION",
	    "retire no instance younger than this (GHRCTL_MIN_AGE, 5m)" },
	{ "user-data-template", KEY_USER_DATA, OPT_REQ, "FILE",
	    "user-data template (GHRCTL_USER_DATA_TEMPLATE)" },
	{ "endpoint-url", KEY_ENDPOINT, OPT_REQ, "URL",
	    "EC2 endpoint (else AWS_ENDPOINT_URL_EC2)" },
	OPT_END
};

struct scale_args {
	struct scaler_opts	 so;
	enum out_fmt		 fmt;
};

static const struct error *
scale_opt(void *arg, int key, const char *val)
{
	struct scale_args	*a = arg;

	switch (key) {
	case 'n':
		a->so.dry_run = 1;
		return NULL;
	case 'o':
		return cmd_output_parse(val, OUT_ALLOW_TABLE_JSON,
		    &a->fmt);
	case KEY_MIN_AGE:
		a->so.min_age = val;
		return NULL;
	case KEY_USER_DATA:
		a->so.user_data = val;
		return NULL;
	case KEY_ENDPOINT:
		a->so.endpoint = val;
		return NULL;
	}
	return error_fmt(ERR_SOFTWARE, "scale: option %d unhandled", key);
}

static const struct error *
cmd_scale(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e, *pe;
	struct scale_args	 a;
	struct cmd_as		 c;
	struct scaler		 s;
	struct scaler_obs	 o;
	struct plan		 p = PLAN_INIT;
	char			**ids = NULL;
	size_t			 nids = 0;

	memset(&a, 0, sizeof(a));
	memset(&s, 0, sizeof(s));
	cmd_as_init(&c);
	scaler_obs_init(&o);
	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, scale_opt, &a)) !=
	    NULL || ctx->done)
		return e;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[0]);
	if ((e = cmd_as_open(ctx, &c, 0)) != NULL ||
	    (e = cmd_as_begin(ctx, &c, STATE_LOCK_NOWAIT, &sig_stop)) != NULL ||
	    (e = scaler_open(ctx, &c, &a.so, &s)) != NULL)
		goto out;
	if ((e = scaler_observe(&s, NULL, (int64_t)time(NULL), &o)) != NULL)
		goto out;
	s.set.scale = 1;
	plan_compute(&s.set, &o.in, &p);
	e = scaler_apply(&s, &o, &p, &ids, &nids);
	if ((pe = scaler_print(&s, a.fmt, &p, &o, ids, nids)) != NULL &&
	    e == NULL)
		e = pe;
out:
	scaler_ids_free(ids, nids);
	plan_release(&p);
	scaler_obs_release(&o);
	scaler_close(&s);
	cmd_as_close(&c);
	return e;
}

const struct cmd cmd_scale_def = {
	"scale", cmd_scale,
	"scale [-n] [-o table|json] [--min-age DURATION] "
	"[--user-data-template FILE] [--endpoint-url URL]",
	"launch or retire EC2 runners once to match the assigned jobs",
	scale_opts, NULL
};
