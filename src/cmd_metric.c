/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl metric: what the record_metric Lambda did, as a one-shot for cron
 * or a loop (--follow).  Counts the online runners carrying a label
 * (installation_id:<ID> by default), busy and idle, and publishes
 * BusyRunners and IdleRunners (unit Count) to the CloudWatch namespace
 * GitHubRunners with the dimension asg_name=<--asg-name>: the seed's
 * names, so existing target-tracking policies, alarms and dashboards keep
 * working.  Offline runners are not counted (--extra publishes them as
 * OfflineRunners).  Every round's datapoints share one timestamp.
 *
 * --extra also publishes what the scaler sees, from the sources `scale`
 * reads, each only when it is configured: PendingJobs (totalAssignedJobs
 * - totalRunningJobs: jobs assigned to the scale set that no runner runs
 * yet, actions-service-protocol.md 4.3) and AssignedJobs from the scale
 * set's statistics (scale set GET, as scaler_observe() does), and
 * RunningInstances, the pending and running EC2 instances tagged for the
 * scale set (or the --source rest pool).  A source that answers nothing
 * usable is skipped with a warning rather than published as zero.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cJSON.h"

#include "actions.h"
#include "aws.h"
#include "cloudwatch.h"
#include "cmd.h"
#include "scaleset.h"
#include "ec2.h"
#include "ghjobs.h"
#include "github.h"
#include "log.h"
#include "out.h"
#include "sig.h"
#include "util.h"

#define METRIC_NS		"GitHubRunners"
#define METRIC_DIM		"asg_name"
#define METRIC_MAX_DIMS		CW_MAX_DIMENSIONS
#define METRIC_MAX_LABELS	16
#define METRIC_MAX_DATUMS	6
#define METRIC_DEF_INTERVAL_MS	60000
#define METRIC_MIN_INTERVAL_MS	1000

enum {
	KEY_INSTALLATION = 256,
	KEY_ASG,
	KEY_NAMESPACE,
	KEY_DIMENSION,
	KEY_LABEL,
	KEY_FOLLOW,
	KEY_INTERVAL,
	KEY_COUNT,
	KEY_EXTRA,
	KEY_HIRES,
	KEY_ENDPOINT
};

static const struct opt metric_opts[] = {
	{ "installation-id", KEY_INSTALLATION, OPT_REQ, "ID",
	    "count runners labelled installation_id:ID" },
	{ "label", KEY_LABEL, OPT_REQ, "LABEL",
	    "count runners with this label instead (repeatable: all of them)" },
	{ "asg-name", KEY_ASG, OPT_REQ, "NAME",
	    "dimension asg_name=NAME (the seed's dimension)" },
	{ "dimension", KEY_DIMENSION, OPT_REQ, "K=V",
	    "dimension K=V instead of asg_name (repeatable)" },
	{ "namespace", KEY_NAMESPACE, OPT_REQ, "NS",
	    "CloudWatch namespace (default GitHubRunners)" },
	{ "extra", KEY_EXTRA, OPT_NONE, NULL,
	    "also OfflineRunners, PendingJobs, AssignedJobs, "
	    "RunningInstances" },
	{ "high-resolution", KEY_HIRES, OPT_NONE, NULL,
	    "store with 1-second resolution (StorageResolution=1)" },
	{ "follow", KEY_FOLLOW, OPT_NONE, NULL,
	    "publish every --interval until interrupted" },
	{ "interval", KEY_INTERVAL, OPT_REQ, "DURATION",
	    "time between rounds with --follow (default 60s)" },
	{ "count", KEY_COUNT, OPT_REQ, "N",
	    "with --follow, stop after N rounds" },
	{ "dry-run", 'n', OPT_NONE, NULL,
	    "print the datapoints, send nothing to CloudWatch" },
	{ "output", 'o', OPT_REQ, "FORMAT", "table or json" },
	{ "endpoint-url", KEY_ENDPOINT, OPT_REQ, "URL",
	    "CloudWatch endpoint (else AWS_ENDPOINT_URL_CLOUDWATCH, "
	    "AWS_ENDPOINT_URL)" },
	OPT_END
};

struct metric_args {
	const char		*installation;
	const char		*asg;
	const char		*ns;
	const char		*endpoint;
	const char		*labels[METRIC_MAX_LABELS];
	size_t			 nlabels;
	char			*dimbuf[METRIC_MAX_DIMS];
	struct cw_dimension	 dims[METRIC_MAX_DIMS];
	size_t			 ndims;
	int			 follow, dry_run, extra, hires;
	long long		 interval_ms;
	unsigned int		 count;
	enum out_fmt		 fmt;
	int			 header_done;
	char			 label0[160];
};

static const struct error *
metric_opt(void *arg, int key, const char *val)
{
	struct metric_args	*a = arg;
	const char		*eq;

	switch (key) {
	case KEY_INSTALLATION:
		a->installation = val;
		return NULL;
	case KEY_LABEL:
		if (a->nlabels == METRIC_MAX_LABELS)
			return error_fmt(ERR_USAGE, "at most %d --label options",
			    METRIC_MAX_LABELS);
		a->labels[a->nlabels++] = val;
		return NULL;
	case KEY_ASG:
		a->asg = val;
		return NULL;
	case KEY_NAMESPACE:
		a->ns = val;
		return NULL;
	case KEY_DIMENSION:
		if ((eq = strchr(val, '=')) == NULL || eq == val)
			return error_fmt(ERR_USAGE, "--dimension '%s' is not "
			    "K=V", val);
		if (a->ndims == METRIC_MAX_DIMS)
			return error_fmt(ERR_USAGE, "at most %d dimensions",
			    METRIC_MAX_DIMS);
		a->dimbuf[a->ndims] = xstrdup(val);
		a->dimbuf[a->ndims][eq - val] = '\0';
		a->dims[a->ndims].name = a->dimbuf[a->ndims];
		a->dims[a->ndims].value = a->dimbuf[a->ndims] + (eq - val) + 1;
		a->ndims++;
		return NULL;
	case KEY_EXTRA:
		a->extra = 1;
		return NULL;
	case KEY_HIRES:
		a->hires = 1;
		return NULL;
	case KEY_FOLLOW:
		a->follow = 1;
		return NULL;
	case KEY_INTERVAL:
		if (parse_duration_ms(val, 1000, &a->interval_ms) == -1 ||
		    a->interval_ms < METRIC_MIN_INTERVAL_MS)
			return error_fmt(ERR_USAGE, "--interval '%s' is not a "
			    "duration of at least 1s", val);
		return NULL;
	case KEY_COUNT:
		if (parse_uint(val, 1000000000u, &a->count) == -1 ||
		    a->count == 0)
			return error_fmt(ERR_USAGE, "--count '%s' is not a "
			    "positive number", val);
		return NULL;
	case KEY_ENDPOINT:
		a->endpoint = val;
		return NULL;
	case 'n':
		a->dry_run = 1;
		return NULL;
	case 'o':
		return cmd_output_parse(val, OUT_ALLOW_TABLE_JSON,
		    &a->fmt);
	}
	return error_fmt(ERR_SOFTWARE, "metric: option %d unhandled", key);
}

static void
args_release(struct metric_args *a)
{
	size_t	 i;

	for (i = 0; i < a->ndims; i++)
		free(a->dimbuf[i]);
	a->ndims = 0;
}

static const struct error *
args_check(struct ctx *ctx, struct metric_args *a)
{
	if (a->nlabels == 0) {
		if (a->installation == NULL)
			return cmd_usage_error(ctx, "give --installation-id or "
			    "--label to choose the runners to count");
		if (str_fmt(a->label0, sizeof(a->label0), "installation_id:%s",
		    a->installation) != NULL)
			return cmd_usage_error(ctx, "--installation-id too long");
		a->labels[a->nlabels++] = a->label0;
	}
	if (a->ndims == 0) {
		if (a->asg == NULL)
			return cmd_usage_error(ctx, "give --asg-name (the "
			    "asg_name dimension) or --dimension K=V");
		a->dims[0].name = METRIC_DIM;
		a->dims[0].value = a->asg;
		a->ndims = 1;
	} else if (a->asg != NULL)
		return cmd_usage_error(ctx, "--asg-name and --dimension do not "
		    "go together (add --dimension asg_name=NAME)");
	if (a->ns == NULL)
		a->ns = METRIC_NS;
	if (!a->follow && (a->count != 0 || a->interval_ms != 0))
		return cmd_usage_error(ctx, "--interval and --count need "
		    "--follow");
	if (a->interval_ms == 0)
		a->interval_ms = METRIC_DEF_INTERVAL_MS;
	return NULL;
}

/*
 * What --extra reads besides the runner list: the Actions Service client
 * when a scale set is configured, the EC2 client when EC2 is.
 */
struct metric_extra {
	struct ctx		*ctx;
	struct cmd_as		 c;		/* GitHub + Actions Service */
	int			 have_as;	/* c is open (stats) */
	int			 stats;		/* read the scale set statistics */
	int			 by_id;		/* RUNNER_SCALE_SET_ID is set */
	int			 ec2;		/* count RunningInstances */
	int64_t			 set_id;	/* scale set or pool, 0 unknown */
	struct aws		*ec2aws;
	int			 own_ec2aws;
	int			 follow;
	struct error		 soft;		/* first read that failed */
	int			 have_soft;
};

/* One round's readings of the extra sources. */
struct extra_vals {
	int		 has_stats;
	int64_t		 pending;	/* totalAssignedJobs - totalRunningJobs */
	int64_t		 assigned;	/* totalAssignedJobs */
	int		 has_inst;
	int64_t		 running;	/* pending + running instances */
};

static int
cfg_set(const struct config *cfg, enum cfg_key k)
{
	const char	*v = config_str(cfg, k);

	return v != NULL && *v != '\0';
}

/*
 * Decide which extra sources are configured (the settings `scale` uses),
 * and make the GitHub client: the one of the Actions clients when the
 * statistics are read, so both share the token.  No network traffic.
 */
static const struct error *
extra_open(struct ctx *ctx, struct metric_extra *x, struct http_client *http,
    struct github **gh)
{
	const struct config	*cfg = &ctx->cfg;
	const struct error	*e;
	const char		*src = config_str(cfg, K_SOURCE);
	const char		*v[CA_LABELS_MAX];
	char			 buf[4096];
	size_t			 n;
	int			 rest;

	x->ctx = ctx;
	rest = src != NULL && strcmp(src, "rest") == 0;
	x->by_id = config_is_set(cfg, K_RUNNER_SCALE_SET_ID);
	x->stats = !rest && (x->by_id || cfg_set(cfg,
	    K_RUNNER_SCALE_SET_NAME));
	x->ec2 = cfg_set(cfg, K_EC2_AMI_ID) || cfg_set(cfg,
	    K_EC2_LAUNCH_TEMPLATE);
	if (x->stats) {
		x->have_as = 1;		/* closed by extra_close() even half open */
		if ((e = cmd_as_open(ctx, &x->c, 0)) != NULL)
			return e;
		*gh = x->c.gh;
		if (x->by_id)
			x->set_id = config_num(cfg, K_RUNNER_SCALE_SET_ID);
	} else {
		if ((e = github_new(cfg, http, gh)) != NULL)
			return e;
		log_info("--extra: %s: PendingJobs and AssignedJobs not "
		    "published", rest ? "GHRCTL_SOURCE is rest, which has no "
		    "scale set statistics" : "no scale set configured "
		    "(RUNNER_SCALE_SET_NAME, RUNNER_SCALE_SET_ID)");
	}
	if (!x->ec2)
		log_info("--extra: EC2 not configured (EC2_AMI_ID, "
		    "EC2_LAUNCH_TEMPLATE): RunningInstances not published");
	else if (rest && x->by_id)
		x->set_id = config_num(cfg, K_RUNNER_SCALE_SET_ID);
	else if (rest) {
		/* The pool id `scale --source rest` tags its instances with. */
		n = cmd_as_labels(config_str(cfg, K_RUNNER_LABELS), buf,
		    sizeof(buf), v, CA_LABELS_MAX);
		x->set_id = ghjobs_pool_id(github_target(*gh)->config_url, v,
		    n);
	} else if (!x->stats) {
		log_info("--extra: no scale set configured: RunningInstances "
		    "not published");
		x->ec2 = 0;
	}
	return NULL;
}

/*
 * The EC2 client: the CloudWatch one when --endpoint-url (which is
 * CloudWatch's) does not set it apart, else one of its own.
 */
static const struct error *
extra_aws(struct metric_extra *x, struct http_client *http, struct aws *cw,
    const char *cw_endpoint)
{
	const struct error	*e;

	if (!x->ec2)
		return NULL;
	if (cw != NULL && cw_endpoint == NULL) {
		x->ec2aws = cw;
		return NULL;
	}
	if ((e = aws_new(&x->ctx->cfg, http, x->ctx->envp, NULL,
	    &x->ec2aws)) != NULL)
		return e;
	x->own_ec2aws = 1;
	return NULL;
}

static void
extra_close(struct metric_extra *x)
{
	if (x->own_ec2aws)
		aws_free(x->ec2aws);
	if (x->have_as)
		cmd_as_close(&x->c);
	x->ec2aws = NULL;
	x->have_as = 0;
}

/*
 * A source failed: its datapoints are left out.  The first failure of a
 * one-shot round becomes the exit status (after publishing the rest);
 * any other is a warning.
 */
static void
extra_failed(struct metric_extra *x, const struct error *e, const char *what)
{
	if (x->follow || x->have_soft)
		log_warn("%s; %s not published", e->msg, what);
	else {
		x->soft = *e;
		x->have_soft = 1;
	}
}

/* The scale set's statistics, by a scale set GET as the scaler reads them. */
static void
read_stats(struct metric_extra *x, struct extra_vals *v)
{
	const struct error	*e;
	struct as_scale_set	 ss;

	memset(&ss, 0, sizeof(ss));
	if (x->set_id == 0) {
		if ((e = cmd_as_scale_set(x->ctx, &x->c, NULL)) != NULL) {
			extra_failed(x, e, "PendingJobs, AssignedJobs and "
			    "RunningInstances");
			return;
		}
		x->set_id = x->c.scale_set_id;
	}
	if ((e = actions_scale_set_get(x->c.as, x->set_id, &ss)) != NULL) {
		if (actions_exception(x->c.as) == AS_EXC_SCALE_SET_NOT_FOUND) {
			e = error_fmt(ERR_FAIL, "scale set %lld does not exist "
			    "(deleted server-side? run 'ghrctl register')",
			    (long long)x->set_id);
			if (!x->by_id)	/* re-created? look it up next round */
				x->set_id = 0;
		}
		extra_failed(x, e, "PendingJobs and AssignedJobs");
		return;
	}
	if (ss.has_stats) {
		v->has_stats = 1;
		v->assigned = ss.stats.assigned;
		v->pending = ss.stats.assigned - ss.stats.running;
		if (v->pending < 0)
			v->pending = 0;
	} else
		log_warn("scale set %lld reports no statistics; PendingJobs "
		    "and AssignedJobs not published", (long long)ss.id);
	asmsg_scale_set_release(&ss);
}

/* The scale set's live instances, with the filter `scale` uses. */
static void
read_instances(struct metric_extra *x, struct extra_vals *v)
{
	const struct error	*e;
	struct ec2_instances	 in = EC2_INSTANCES_INIT;
	size_t			 i;

	if (x->set_id == 0)	/* the lookup failed: already reported */
		return;
	if ((e = ec2_describe_scale_set(x->ec2aws, x->set_id, &in)) != NULL) {
		extra_failed(x, e, "RunningInstances");
		return;
	}
	v->has_inst = 1;
	for (i = 0; i < in.n; i++)
		if (ec2_state_live(in.v[i].state))
			v->running++;
	ec2_instances_release(&in);
}

static size_t
make_datums(const struct metric_args *a, const struct runner_counts *c,
    const struct extra_vals *x, int64_t now, struct cw_datum *d)
{
	size_t	 n = 0, i;

	d[n].name = "BusyRunners";
	d[n++].value = c->busy;
	d[n].name = "IdleRunners";
	d[n++].value = c->idle;
	if (a->extra) {
		d[n].name = "OfflineRunners";
		d[n++].value = c->offline;
	}
	if (x->has_stats) {
		d[n].name = "PendingJobs";
		d[n++].value = (double)x->pending;
		d[n].name = "AssignedJobs";
		d[n++].value = (double)x->assigned;
	}
	if (x->has_inst) {
		d[n].name = "RunningInstances";
		d[n++].value = (double)x->running;
	}
	for (i = 0; i < n; i++) {
		d[i].unit = "Count";
		d[i].timestamp = now;
		d[i].storage_resolution = a->hires ? 1 : 0;
	}
	return n;
}

static const struct out_col round_cols[] = {
	{ "TIME", "time", OUT_STR, 0 },
	{ "METRIC", "metric", OUT_STR, 0 },
	{ "VALUE", "value", OUT_NUM, 0 },
	{ "UNIT", "unit", OUT_STR, 0 },
	{ "DIMENSIONS", "dimensions", OUT_STR, 0 }
};

/*
 * One round as table rows (out.h), the header before the first round
 * only; fixed widths keep the rounds of --follow aligned.
 */
static void
print_table(struct metric_args *a, const struct cw_datum *d, size_t n,
    const char *ts)
{
	struct out	*o;
	struct buf	 dims = BUF_INIT(4096);
	char		 v[32];
	const char	*f[5] = { ts, NULL, v, NULL, NULL };
	size_t		 i, k;

	for (k = 0; k < a->ndims; k++)
		(void)buf_addf(&dims, "%s%s=%s", k ? "," : "", a->dims[k].name,
		    a->dims[k].value);
	o = out_new(OUT_TABLE, round_cols, 5, a->header_done ?
	    OUT_NO_HEADERS : 0);
	out_min_width(o, 0, 20);
	out_min_width(o, 1, a->extra ? 16 : 14);
	out_min_width(o, 2, 6);
	out_min_width(o, 3, 5);
	for (i = 0; i < n; i++) {
		snprintf(v, sizeof(v), "%.0f", d[i].value);
		f[1] = d[i].name;
		f[3] = d[i].unit;
		f[4] = dims.p != NULL ? dims.p : "";
		out_row(o, f);
	}
	(void)out_end(o);
	out_free(o);
	buf_release(&dims);
	a->header_done = 1;
}

static void
print_round(struct metric_args *a, const struct cw_datum *d, size_t n,
    int64_t now, int published)
{
	cJSON		*o, *arr, *dims, *m;
	char		*s, ts[32];
	struct tm	 tm;
	time_t		 t = (time_t)now;
	size_t		 i, k;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (a->fmt == OUT_JSON) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "namespace", a->ns);
		cJSON_AddStringToObject(o, "timestamp", ts);
		cJSON_AddBoolToObject(o, "dry_run", a->dry_run);
		cJSON_AddBoolToObject(o, "published", published);
		dims = cJSON_AddObjectToObject(o, "dimensions");
		for (k = 0; k < a->ndims; k++)
			cJSON_AddStringToObject(dims, a->dims[k].name,
			    a->dims[k].value);
		arr = cJSON_AddArrayToObject(o, "metrics");
		for (i = 0; i < n; i++) {
			m = cJSON_CreateObject();
			cJSON_AddStringToObject(m, "name", d[i].name);
			cJSON_AddNumberToObject(m, "value", d[i].value);
			cJSON_AddStringToObject(m, "unit", d[i].unit);
			cJSON_AddItemToArray(arr, m);
		}
		if ((s = cJSON_PrintUnformatted(o)) != NULL)
			printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(o);
	} else
		print_table(a, d, n, ts);
	fflush(stdout);
}

/* One round: count, publish (unless --dry-run), print. */
static const struct error *
round_once(struct metric_args *a, struct github *gh, struct aws *aws,
    struct metric_extra *x)
{
	const struct error	*e;
	struct runner_counts	 c;
	struct extra_vals	 v;
	struct cw_datum		 d[METRIC_MAX_DATUMS];
	int64_t			 now;
	size_t			 n;
	unsigned int		 nreq;

	memset(d, 0, sizeof(d));
	memset(&v, 0, sizeof(v));
	x->have_soft = 0;
	if ((e = github_runner_counts(gh, a->labels, a->nlabels, &c)) != NULL)
		return e;
	if (x->stats)
		read_stats(x, &v);
	if (x->ec2)
		read_instances(x, &v);
	now = (int64_t)time(NULL);
	n = make_datums(a, &c, &v, now, d);
	if ((e = cloudwatch_check(a->ns, a->dims, a->ndims, d, n)) != NULL)
		return e;
	if (!a->dry_run) {
		if ((e = cloudwatch_put(aws, a->ns, a->dims, a->ndims, d, n,
		    &nreq)) != NULL)
			return e;
		log_info("published %zu datapoints to %s in %u request%s", n,
		    a->ns, nreq, nreq == 1 ? "" : "s");
	}
	print_round(a, d, n, now, !a->dry_run);
	return NULL;
}

/*
 * After the first round (every page a 200): does --interval fit the
 * hourly rate limit the API reports?  304s do not count against it
 * (GitHub REST docs, "Use conditional requests if appropriate"), so
 * unchanged pages cost nothing later, but a busy fleet changes them all.
 */
static void
quota_check(const struct metric_args *a, const struct github *gh)
{
	uint64_t	 pages = github_requests(gh), limit;
	uint64_t	 per_hour, need, fit;

	limit = github_rate_limit(gh);
	if (limit == 0 || pages == 0)
		return;
	per_hour = (uint64_t)((3600000 + a->interval_ms - 1) / a->interval_ms);
	need = pages * per_hour;
	if (need <= limit)
		return;
	fit = (pages * 3600 + limit - 1) / limit;
	log_warn("metric --follow: %llu requests a round every %llds is %llu "
	    "an hour, above the rate limit of %llu the API reports; pages "
	    "that did not change answer 304 and do not count, but those that "
	    "did do: use --interval %llus or more, or a GitHub App token "
	    "(higher limit)", (unsigned long long)pages,
	    a->interval_ms / 1000, (unsigned long long)need,
	    (unsigned long long)limit, (unsigned long long)fit);
}

static const struct error *
follow(struct metric_args *a, struct github *gh, struct aws *aws,
    struct metric_extra *x)
{
	const struct error	*e = NULL;
	unsigned int		 rounds = 0;
	int64_t			 start;

	sig_stop_install();
	while (!sig_stop) {
		start = now_ms();
		e = round_once(a, gh, aws, x);
		if (rounds++ == 0)
			quota_check(a, gh);
		if (e != NULL) {
			/* Passing trouble is logged; the loop goes on. */
			if (e->class != ERR_TEMP && e->class != ERR_UNAVAIL)
				break;
			log_warn("%s", e->msg);
			e = NULL;
		}
		if (a->count != 0 && rounds >= a->count)
			break;
		sig_nap(a->interval_ms - (now_ms() - start));
	}
	return e;
}

static const struct error *
cmd_metric(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct metric_args	 a;
	struct metric_extra	 x;
	struct http_client	*http;
	struct github		*gh = NULL;
	struct aws		*aws = NULL;
	const char		*region;

	memset(&a, 0, sizeof(a));
	memset(&x, 0, sizeof(x));
	cmd_as_init(&x.c);
	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, metric_opt, &a)) !=
	    NULL || ctx->done)
		goto out;
	if (argc > 0) {
		e = cmd_usage_error(ctx, "unexpected argument '%s'", argv[0]);
		goto out;
	}
	if ((e = args_check(ctx, &a)) != NULL)
		goto out;
	x.follow = a.follow;
	if ((e = ctx_http(ctx, &http)) != NULL)
		goto out;
	if (a.extra)
		e = extra_open(ctx, &x, http, &gh);
	else
		e = github_new(&ctx->cfg, http, &gh);
	if (e != NULL)
		goto out;
	if (a.follow)	/* the same pages every round: let 304s save quota */
		github_cache_enable(gh);
	if (!a.dry_run) {
		/* Fail early, before counting, on missing AWS settings. */
		if ((e = aws_new(&ctx->cfg, http, ctx->envp, a.endpoint,
		    &aws)) != NULL || (e = aws_credentials(aws, NULL)) !=
		    NULL || (e = aws_region(aws, &region)) != NULL)
			goto out;
	}
	if ((e = extra_aws(&x, http, aws, a.endpoint)) != NULL)
		goto out;
	if (a.follow)
		e = follow(&a, gh, aws, &x);
	else if ((e = round_once(&a, gh, aws, &x)) == NULL && x.have_soft)
		e = error_wrap(&x.soft, "--extra");
out:
	if (!x.have_as)		/* else gh is x.c's */
		github_free(gh);
	extra_close(&x);
	aws_free(aws);
	args_release(&a);
	return e;
}

const struct cmd cmd_metric_def = {
	"metric", cmd_metric,
	"metric [-n] [-o table|json] [--installation-id ID] [--label LABEL] "
	"[--asg-name NAME] [--dimension K=V] [--namespace NS] [--extra] "
	"[--high-resolution] [--endpoint-url URL]\n"
	"metric --follow [--interval DURATION] [--count N] [options]",
	"publish busy/idle runner counts to CloudWatch",
	metric_opts, NULL
};
