/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl cleanup: remove what scaling leaves behind, and say why for each
 * item (the classes other EC2 scalers reap, e.g. terraform-aws-github-
 * runner's scale-down of orphaned runners): offline
 * runners of the scale set whose instance is gone are deregistered;
 * instances whose runner did not come online within --boot-timeout, and
 * instances older than --max-lifetime (RUNNER_TIMEOUT), are terminated
 * after their runner is removed through the Actions Service (a busy
 * runner is refused there and its instance kept).  Takes the scale set's
 * state-file lock without waiting, like `scale` (exit 75 while another
 * ghrctl holds it; `poll --follow --scale` cleans up by itself).
 *
 * --source rest (GHRCTL_SOURCE=rest) cleans up the pool `scale --source
 * rest` keeps (same pool id and state file, see scaler_begin()): its
 * runners come from the REST runner list and are removed with the REST
 * DELETE, which GitHub answers 422 for a busy runner (its instance is
 * kept).  Nothing is launched, so RUNNER_GROUP is not looked up.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "scaleset.h"
#include "scaler.h"
#include "log.h"

static const struct opt cleanup_opts[] = {
	SCALER_OPT_DRY_RUN,
	{ "output", 'o', OPT_REQ, "FORMAT", "table or json" },
	SCALER_OPT_BOOT,
	SCALER_OPT_ENDPOINT,
	SCALER_OPT_SOURCE("runners through actions (the Actions Service) "
	    "or rest (GHRCTL_SOURCE)"),
	OPT_END
};

struct cleanup_args {
	struct scaler_opts	 so;
	enum out_fmt		 fmt;
};

static const struct error *
cleanup_opt(void *arg, int key, const char *val)
{
	struct cleanup_args	*a = arg;

	if (scaler_opt(&a->so, key, val))
		return NULL;
	if (key == 'o')
		return cmd_output_parse(val, OUT_ALLOW_TABLE_JSON, &a->fmt);
	return error_fmt(ERR_SOFTWARE, "cleanup: option %d unhandled", key);
}

static const struct error *
cmd_cleanup(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct cleanup_args	 a;
	struct cmd_as		 c;
	struct scaler		 s;
	int64_t			 none = 0;

	memset(&a, 0, sizeof(a));
	memset(&s, 0, sizeof(s));
	cmd_as_init(&c);
	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, cleanup_opt, &a)) !=
	    NULL || ctx->done)
		return e;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[0]);
	a.so.no_launch = 1;
	if ((e = scaler_begin(ctx, &c, &a.so)) != NULL ||
	    (e = scaler_open(ctx, &c, &a.so, &s)) != NULL)
		goto out;
	/* Statistics do not matter here: nothing is launched. */
	s.set.cleanup = 1;
	e = scaler_pass(&s, &none, a.fmt);
out:
	scaler_close(&s);
	cmd_as_close(&c);
	return e;
}

const struct cmd cmd_cleanup_def = {
	"cleanup", cmd_cleanup,
	"cleanup [-n] [-o table|json] [--boot-timeout DURATION] "
	"[--endpoint-url URL] [--source actions|rest]",
	"deregister orphaned runners, terminate stuck or old instances",
	cleanup_opts, NULL
};
