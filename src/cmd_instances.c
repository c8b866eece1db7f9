/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl instances list: the EC2 instances ghrctl manages (tag
 * ghrctl:managed=true, every scale set), one DescribeInstances walk:
 * id, state, type, market, age, runner, the job of the runner (from the
 * job journal of the configured scale set, when there is one), warm pool
 * (tag ghrctl:pool) and scale set.  Printed by out.c.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws.h"
#include "cmd.h"
#include "ec2.h"
#include "instances.h"
#include "journal.h"
#include "log.h"
#include "out.h"
#include "state.h"
#include "util.h"

#define KEY_STATE	256
#define KEY_NOHEADERS	257
#define KEY_SORT	258

static const struct opt list_opts[] = {
	{ "output", 'o', OPT_REQ, "FORMAT", "table, json or csv" },
	{ "state", KEY_STATE, OPT_REQ, "STATE", "only instances in STATE "
	    "(pending, running, stopping, stopped, shutting-down, "
	    "terminated; a comma list)" },
	{ "no-headers", KEY_NOHEADERS, OPT_NONE, NULL, "no header line" },
	{ "sort", KEY_SORT, OPT_REQ, "FIELD", "sort by a column's name "
	    "(id, state, type, market, age, runner, job, pool, scaleSet; "
	    "'-' first: reverse)" },
	OPT_END
};

static const char *const ec2_states[] = {
	"pending", "running", "stopping", "stopped", "shutting-down",
	"terminated", NULL
};

struct inst_args {
	enum out_fmt	 fmt;
	char		 states[128], list[128];
	const char	*state[EC2_MAX_OPTIONS];
	size_t		 nstates;
	int		 no_headers;
	const char	*sort;
};

static const struct error *
inst_opt(void *arg, int key, const char *val)
{
	struct inst_args	*a = arg;
	size_t			 i;

	switch (key) {
	case 'o':
		return cmd_output_parse(val, OUT_ALLOW_ALL, &a->fmt);
	case KEY_STATE:
		(void)str_copy(a->list, sizeof(a->list), val);
		a->nstates = ec2_split(val, a->states, sizeof(a->states),
		    a->state, EC2_MAX_OPTIONS);
		for (i = 0; i < a->nstates; i++)
			if (!str_in_list(ec2_states, a->state[i]))
				return error_fmt(ERR_USAGE, "--state '%s': use "
				    "pending, running, stopping, stopped, "
				    "shutting-down or terminated", a->state[i]);
		if (a->nstates == 0)
			return error_fmt(ERR_USAGE, "--state wants a state");
		return NULL;
	case KEY_NOHEADERS:
		a->no_headers = 1;
		return NULL;
	case KEY_SORT:
		a->sort = val;
		return NULL;
	}
	return error_fmt(ERR_SOFTWARE, "instances: option %d unhandled", key);
}

/* see instances.h */
const char *
instances_job(const struct journal_job *v, size_t n, const char *runner)
{
	const struct journal_job	*best = NULL;
	size_t				 i;

	if (runner[0] == '\0')
		return "";
	for (i = 0; i < n; i++)
		if (strcmp(v[i].runner, runner) == 0 && (best == NULL ||
		    v[i].queued >= best->queued))
			best = &v[i];
	return best != NULL ? best->name : "";
}

/* see instances.h */
void
instances_journal(const struct config *cfg, struct journal_job **v,
    size_t *n)
{
	struct state_file	 sf = STATE_FILE_INIT;
	const char		*name;

	*v = NULL;
	*n = 0;
	if (config_str(cfg, K_RUNNER_SCALE_SET_NAME) == NULL ||
	    state_locate(cfg, &sf, &name) != NULL)
		return;	/* no scale set: no journal, no job column */
	if (journal_read(&sf, v, n) != NULL)
		log_debug("job journal of '%s' not read", name);
}

static const struct out_col inst_cols[] = {
	{ "ID", "id", OUT_STR, 0 },
	{ "STATE", "state", OUT_STR, 0 },
	{ "TYPE", "type", OUT_STR, 0 },
	{ "MARKET", "market", OUT_STR, 0 },
	{ "AGE", "age", OUT_SECS, 1 },
	{ "RUNNER", "runner", OUT_STR, 0 },
	{ "JOB", "job", OUT_STR, 0 },
	{ "POOL", "pool", OUT_STR, 0 },
	{ "SCALE SET", "scaleSet", OUT_STR, 0 }
};
#define INST_NCOLS	(sizeof(inst_cols) / sizeof(inst_cols[0]))

static const struct error *
instances_list(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct inst_args	 a;
	struct http_client	*http;
	struct aws		*aws = NULL;
	struct ec2_instances	 in = EC2_INSTANCES_INIT;
	struct ec2_filter	 f[2];
	struct journal_job	*jobs = NULL;
	struct out		*o = NULL;
	const char		*cell[INST_NCOLS];
	char			 age[24];
	size_t			 i, njobs = 0, nf = 1;
	int64_t			 now = (int64_t)time(NULL);

	memset(&a, 0, sizeof(a));
	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, inst_opt, &a)) !=
	    NULL || ctx->done)
		return e;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[0]);
	o = out_new(a.fmt, inst_cols, INST_NCOLS, a.no_headers ?
	    OUT_NO_HEADERS : 0);
	if (a.sort != NULL && (e = out_sort(o, a.sort)) != NULL)
		goto out;
	memset(f, 0, sizeof(f));
	f[0].name = "tag:" EC2_TAG_MANAGED;
	f[0].values[0] = "true";
	f[0].nvalues = 1;
	if (a.nstates > 0) {
		f[1].name = "instance-state-name";
		memcpy(f[1].values, a.state, a.nstates * sizeof(a.state[0]));
		f[1].nvalues = a.nstates;
		nf = 2;
	}
	if ((e = ctx_http(ctx, &http)) != NULL ||
	    (e = aws_new(&ctx->cfg, http, ctx->envp, NULL, &aws)) != NULL ||
	    (e = ec2_describe(aws, f, nf, &in)) != NULL)
		goto out;
	instances_journal(&ctx->cfg, &jobs, &njobs);
	for (i = 0; i < in.n; i++) {
		const struct ec2_instance *x = &in.v[i];

		if (x->launch_time > 0)
			snprintf(age, sizeof(age), "%lld", (long long)(now >
			    x->launch_time ? now - x->launch_time : 0));
		else
			age[0] = '\0';
		cell[0] = x->id;
		cell[1] = x->state;
		cell[2] = x->type;
		cell[3] = x->spot ? "spot" : "on-demand";
		cell[4] = age;
		cell[5] = x->runner;
		cell[6] = instances_job(jobs, njobs, x->runner);
		cell[7] = x->pool;
		cell[8] = x->scale_set;
		out_row(o, cell);
	}
	e = out_end(o);
	if (e == NULL && in.n == 0)
		log_warn("no instance ghrctl manages%s%s", a.nstates > 0 ?
		    " is " : "", a.nstates > 0 ? a.list : "");
out:
	out_free(o);
	free(jobs);
	ec2_instances_release(&in);
	aws_free(aws);
	return e;
}

static const struct cmd instances_sub[] = {
	{ "list", instances_list, "instances list [-o table|json|csv] "
	    "[--state STATE] [--no-headers] [--sort FIELD]",
	    "list the EC2 instances ghrctl manages", list_opts, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

const struct cmd cmd_instances_def = {
	"instances", NULL,
	"instances list [-o table|json|csv] [--state STATE] [--no-headers] "
	"[--sort FIELD]",
	"list the EC2 instances ghrctl manages",
	NULL, instances_sub
};
