/*
 * SPDX-License-Identifier: ISC
 *
 * The scaler's set-up and one-shot pass (see scaler.h): the options the
 * commands share, the EC2 launch settings, the source of runners
 * (Actions Service, or GitHub REST for --source rest), printing a plan.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions.h"
#include "aws.h"
#include "buf.h"
#include "cmd.h"
#include "scaler.h"
#include "scaler_impl.h"
#include "scaleset.h"
#include "userdata.h"
#include "ec2.h"
#include "ghjobs.h"
#include "github.h"
#include "log.h"
#include "out.h"
#include "plan.h"
#include "sig.h"
#include "util.h"

/* see scaler.h */
int
scaler_opt(struct scaler_opts *so, int key, const char *val)
{
	switch (key) {
	case 'n':
		so->dry_run = 1;
		return 1;
	case SCALER_KEY_MIN_AGE:
		so->min_age = val;
		return 1;
	case SCALER_KEY_BOOT:
		so->boot_timeout = val;
		return 1;
	case SCALER_KEY_USER_DATA:
		so->user_data = val;
		return 1;
	case SCALER_KEY_ENDPOINT:
		so->endpoint = val;
		return 1;
	case SCALER_KEY_SOURCE:
		so->source = val;
		return 1;
	}
	return 0;
}

/*
 * --source rest: the pool id (RUNNER_SCALE_SET_ID, else derived from the
 * URL and labels) and a name for the state file, before the lock.
 */
static const struct error *
rest_pool(struct ctx *ctx, struct cmd_as *c)
{
	char		 buf[4096];
	const char	*v[CA_LABELS_MAX];
	size_t		 n;

	if (config_is_set(&ctx->cfg, K_RUNNER_SCALE_SET_ID))
		c->scale_set_id = config_num(&ctx->cfg, K_RUNNER_SCALE_SET_ID);
	else {
		n = cmd_as_labels(config_str(&ctx->cfg, K_RUNNER_LABELS), buf,
		    sizeof(buf), v, CA_LABELS_MAX);
		c->scale_set_id = ghjobs_pool_id(
		    github_target(c->gh)->config_url, v, n);
	}
	if (c->name[0] == '\0')
		return str_fmt(c->name, sizeof(c->name), "rest-%lld",
		    (long long)c->scale_set_id);
	return NULL;
}

/* see scaler.h */
const struct error *
scaler_source(struct ctx *ctx, struct scaler_opts *o)
{
	const char	*src = o->source;

	if (src == NULL)
		src = config_str(&ctx->cfg, K_SOURCE);
	if (src != NULL && strcmp(src, "rest") == 0)
		o->rest = 1;
	else if (src != NULL && strcmp(src, "actions") != 0)
		return cmd_usage_error(ctx, "--source is actions or rest, not "
		    "'%s'", src);
	return NULL;
}

/* see scaler.h */
const struct error *
scaler_begin(struct ctx *ctx, struct cmd_as *c, struct scaler_opts *o)
{
	const struct error	*e;

	/* A dry run changes nothing: it runs beside a holder of the lock. */
	enum state_lock		 how = o->dry_run ? STATE_LOCK_NONE :
				    STATE_LOCK_NOWAIT;

	if ((e = scaler_source(ctx, o)) != NULL ||
	    (e = cmd_as_open(ctx, c, 0)) != NULL)
		return e;
	if (!o->rest)
		return cmd_as_begin(ctx, c, how, &sig_stop);
	if ((e = rest_pool(ctx, c)) != NULL)
		return e;
	return cmd_as_state(ctx, c, how, &sig_stop);
}

static long long
dur_ms(const struct scaler *s, const char *opt, enum cfg_key k,
    const struct error **e)
{
	long long	 ms;

	if (opt == NULL)
		return config_ms(&s->ctx->cfg, k);
	if (parse_duration_ms(opt, 1000, &ms) != 0) {
		*e = error_fmt(ERR_USAGE, "invalid duration '%s' for %s", opt,
		    config_keys()[k].name);
		return 0;
	}
	return ms;
}

static const struct error *
launch_settings(struct scaler *s)
{
	const struct config	*cfg = &s->ctx->cfg;
	struct ec2_launch	*l = &s->launch;
	const char		*lt, *price;

	memset(l, 0, sizeof(*l));
	if ((lt = config_str(cfg, K_EC2_LAUNCH_TEMPLATE)) != NULL) {
		if (str_prefix(lt, "lt-"))
			l->template_id = lt;
		else
			l->template_name = lt;
		l->template_version = config_str(cfg,
		    K_EC2_LAUNCH_TEMPLATE_VERSION);
	}
	l->ami = config_str(cfg, K_EC2_AMI_ID);
	if (l->ami == NULL && lt == NULL)
		return error_fmt(ERR_CONFIG, "set EC2_AMI_ID or "
		    "EC2_LAUNCH_TEMPLATE to launch runner instances");
	l->ntypes = ec2_split(config_str(cfg, K_EC2_INSTANCE_TYPE), s->types,
	    sizeof(s->types), l->types, EC2_MAX_OPTIONS);
	if (l->ntypes == 0 && lt == NULL)
		return error_fmt(ERR_CONFIG, "set EC2_INSTANCE_TYPE (or "
		    "EC2_LAUNCH_TEMPLATE) to launch runner instances");
	l->nsubnets = ec2_split(config_str(cfg, K_EC2_SUBNET_ID), s->subnets,
	    sizeof(s->subnets), l->subnets, EC2_MAX_OPTIONS);
	if (l->nsubnets == 0)
		return error_fmt(ERR_CONFIG, "set EC2_SUBNET_ID: every launch "
		    "names its subnet so a retried launch cannot start a second "
		    "instance");
	l->ngroups = ec2_split(config_str(cfg, K_EC2_SECURITY_GROUP_ID),
	    s->groups, sizeof(s->groups), l->groups, EC2_MAX_OPTIONS);
	l->key_name = config_str(cfg, K_EC2_KEY_PAIR_NAME);
	l->profile = config_str(cfg, K_EC2_INSTANCE_PROFILE);
	if ((price = config_str(cfg, K_EC2_SPOT_PRICE)) != NULL &&
	    *price != '\0') {
		l->spot = 1;
		l->spot_price = strcmp(price, "auto") == 0 ? NULL : price;
	}
	l->dry_run = s->dry_run;
	return NULL;
}

/* Warm pools: the schedule (checked by config_resolve()) and settings. */
static const struct error *
pool_settings(struct scaler *s)
{
	const struct config	*cfg = &s->ctx->cfg;
	const struct error	*e;

	if ((e = pool_tz_parse(config_str(cfg, K_POOL_TZ),
	    &s->pool.offset)) != NULL ||
	    (e = pool_schedule_parse(config_str(cfg, K_POOL_SCHEDULE),
	    &s->pool)) != NULL)
		return e;
	s->pool_max_stopped = (unsigned int)config_num(cfg,
	    K_POOL_MAX_STOPPED);
	s->pool_max_age = config_ms(cfg, K_POOL_MAX_AGE) / 1000;
	pool_config_key(&s->launch, s->pool_config);
	/* A one-time spot instance cannot be stopped: pools are on-demand. */
	s->pool_launch = s->launch;
	s->pool_launch.spot = 0;
	s->pool_launch.spot_price = NULL;
	s->pool_launch.stop_on_shutdown = 1;
	return NULL;
}

/*
 * --source rest: the JIT labels and runner group id; a group given by
 * name is left in *group for rest_group().
 */
static const struct error *
rest_settings(struct scaler *s, const char **group_name)
{
	const char	*group = config_str(&s->ctx->cfg, K_RUNNER_GROUP);
	const char	*v[CA_LABELS_MAX];
	size_t		 n, i;
	uint64_t	 id;

	s->rest = 1;
	n = cmd_as_labels(config_str(&s->ctx->cfg, K_RUNNER_LABELS),
	    s->labelbuf, sizeof(s->labelbuf), v, CA_LABELS_MAX);
	if (n == 0)
		return error_fmt(ERR_CONFIG, "--source rest needs "
		    "RUNNER_LABELS: jobs are matched by their runs-on labels");
	s->labels[s->nlabels++] = "self-hosted";
	for (i = 0; i < n; i++)
		if (!str_ieq(v[i], "self-hosted"))
			s->labels[s->nlabels++] = v[i];
	if (group == NULL || *group == '\0' || str_ieq(group, "default"))
		s->group_id = 1;
	else if (parse_u64(group, &id) == 0 && id > 0 && id <= INT64_MAX)
		s->group_id = (int64_t)id;
	else
		*group_name = group;
	return NULL;
}

/* --source rest: the id of the runner group called name, asked once. */
static const struct error *
rest_group(struct scaler *s, const char *name)
{
	const struct error	*e;
	char			 scope[GHURL_NAME_MAX * 2 + 32];
	int			 found;

	if ((e = github_runner_group_find(s->c->gh, name, &s->group_id,
	    &found)) != NULL)
		return e;
	if (!found)
		return error_fmt(ERR_CONFIG, "runner group '%s' (RUNNER_GROUP) "
		    "does not exist in %s", name, ghurl_scope_name(
		    github_target(s->c->gh), scope, sizeof(scope)));
	log_info("runner group '%s' is id %lld", name,
	    (long long)s->group_id);
	return NULL;
}

/* see scaler.h */
const struct error *
scaler_open(struct ctx *ctx, struct cmd_as *c, const struct scaler_opts *o,
    struct scaler *s)
{
	const struct error	*e = NULL;
	struct http_client	*http;
	const char		*path, *group = NULL;

	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->assigned = -1;
	s->c = c;
	s->dry_run = o->dry_run;
	snprintf(s->set_id, sizeof(s->set_id), "%lld",
	    (long long)c->scale_set_id);
	snprintf(s->prefix, sizeof(s->prefix), "ghrctl-%lld-",
	    (long long)c->scale_set_id);
	s->set.min_runners = (unsigned int)config_num(&ctx->cfg, K_MIN_RUNNERS);
	s->min_runners = s->set.min_runners;
	s->set.max_runners = (unsigned int)config_num(&ctx->cfg, K_MAX_RUNNERS);
	s->set.min_age = dur_ms(s, o->min_age, K_MIN_AGE, &e) / 1000;
	s->set.boot_timeout = dur_ms(s, o->boot_timeout, K_BOOT_TIMEOUT, &e) /
	    1000;
	s->set.max_lifetime = config_ms(&ctx->cfg, K_RUNNER_TIMEOUT) / 1000;
	if (e != NULL || (e = launch_settings(s)) != NULL ||
	    (o->rest && (e = rest_settings(s, &group)) != NULL) ||
	    (e = pool_settings(s)) != NULL)
		return e;
	path = o->user_data != NULL ? o->user_data : config_str(&ctx->cfg,
	    K_USER_DATA_TEMPLATE);
	if (path != NULL && (e = userdata_read(path, &s->tmpl)) != NULL)
		return e;
	s->endpoint = o->endpoint;
	s->concurrency = (unsigned int)config_num(&ctx->cfg,
	    K_LAUNCH_CONCURRENCY);
	s->batch_max = (unsigned int)config_num(&ctx->cfg, K_LAUNCH_BATCH);
	if ((e = ctx_http(ctx, &http)) != NULL ||
	    (e = aws_new(&ctx->cfg, http, ctx->envp, o->endpoint,
	    &s->aws)) != NULL)
		return e;
	if (group != NULL && !o->no_launch)
		return rest_group(s, group);
	return NULL;
}

/* see scaler.h */
void
scaler_close(struct scaler *s)
{
	scaler_workers_free(s);
	ec2_instances_release(&s->known);
	ec2_instances_release(&s->unseen);
	ec2_instances_release(&s->pool_avail);
	free(s->batch);
	aws_free(s->aws);
	free(s->tmpl);
	memset(s, 0, sizeof(*s));
}

/*
 * cleanup's own summary line: what it checked, and per class what it found
 * and removed (or would remove, dry run), kept and failed to remove.
 */
static void
print_cleanup(const struct scaler *s, const struct plan *p,
    const struct scaler_obs *o)
{
	static const enum plan_kind cls[] = {
		PLAN_DEREGISTER, PLAN_BOOT_TIMEOUT, PLAN_LIFETIME
	};
	unsigned int	 found[3] = { 0 }, done[3] = { 0 }, nf = 0, nd = 0;
	unsigned int	 kept = 0, failed = 0, live = 0;
	size_t		 i, k;
	const char	*sep = "";

	for (i = 0; i < o->in.ninst; i++)
		live += !o->in.inst[i].gone;
	for (i = 0; i < p->n; i++) {
		const struct plan_action *a = &p->v[i];

		if (a->kind == PLAN_KEEP || str_prefix(a->result, "kept"))
			kept++;
		else if (str_prefix(a->result, "failed"))
			failed++;
		for (k = 0; k < 3 && cls[k] != a->kind; k++)
			;
		if (k == 3)
			continue;
		found[k]++;
		nf++;
		if (strcmp(a->result, "deregistered") == 0 ||
		    strcmp(a->result, "terminated") == 0 ||
		    (s->dry_run && str_prefix(a->result, "dry-run"))) {
			done[k]++;
			nd++;
		}
	}
	printf("cleanup%s: checked %u instances, %zu runners; ",
	    s->dry_run ? " (dry run)" : "", live, o->in.nrunners);
	if (nf == 0)
		printf("nothing to remove");
	else {
		printf("%s %u of %u found (", s->dry_run ? "would remove" :
		    "removed", nd, nf);
		for (k = 0; k < 3; k++) {
			if (found[k] == 0)
				continue;
			printf("%s%s %u/%u", sep, plan_kind_name(cls[k]), done[k],
			    found[k]);
			sep = ", ";
		}
		printf(")");
	}
	if (kept > 0)
		printf("; kept %u", kept);
	if (failed > 0)
		printf("; failed %u", failed);
	printf("\n");
}

/*
 * The plan's rows through the table printer (out.h): what was launched,
 * then each action, cut to the terminal; nothing when there are none.
 */
static const struct error *
print_actions(const struct plan *p, const struct scaler_obs *o, char **ids,
    size_t nids)
{
	static const struct out_col cols[] = {
		{ "ACTION", "action", OUT_STR, 0 },
		{ "INSTANCE", "instance", OUT_STR, OUT_WHOLE },
		{ "RUNNER", "runner", OUT_STR, OUT_WHOLE },
		{ "REASON", "reason", OUT_STR, 0 },
		{ "RESULT", "result", OUT_STR, 0 }
	};
	const struct error	*e;
	const char		*cell[5];
	struct out		*t;
	size_t			 i;

	if (nids == 0 && p->n == 0)
		return NULL;
	t = out_new(OUT_TABLE, cols, 5, 0);
	for (i = 0; i < nids; i++) {
		cell[0] = "launched";
		cell[1] = ids[i];
		cell[2] = cell[3] = cell[4] = "-";
		out_row(t, cell);
	}
	for (i = 0; i < p->n; i++) {
		const struct plan_action *a = &p->v[i];

		cell[0] = plan_kind_name(a->kind);
		cell[1] = a->inst != PLAN_NONE ? o->pi[a->inst].id : "-";
		cell[2] = a->runner != PLAN_NONE ? o->pr[a->runner].name :
		    a->inst != PLAN_NONE && o->pi[a->inst].runner[0] ?
		    o->pi[a->inst].runner : "-";
		cell[3] = a->reason[0] ? a->reason : "-";
		cell[4] = a->result[0] ? a->result : "-";
		out_row(t, cell);
	}
	e = out_end(t);
	out_free(t);
	return e;
}

/* see scaler.h */
const struct error *
scaler_print(const struct scaler *s, enum out_fmt fmt, const struct plan *p,
    const struct scaler_obs *o, char **ids, size_t nids)
{
	const struct error	*e;
	struct buf		 b = BUF_INIT(16u << 20);

	if (fmt == OUT_JSON) {
		if ((e = plan_format_json(p, &o->in, s->dry_run,
		    (const char *const *)ids, nids, &b)) == NULL)
			printf("%s\n", b.p);
		buf_release(&b);
		return e;
	}
	if (!s->set.scale && s->set.cleanup)
		print_cleanup(s, p, o);
	else if (p->have_desired)
		printf("desired %u  live %u  launch %u%s\n", p->desired,
		    p->live, p->launch, s->dry_run ? "  (dry run)" : "");
	else
		printf("desired ?  live %u  launch 0 (no statistics)%s\n",
		    p->live, s->dry_run ? "  (dry run)" : "");
	/* Stopped instances cost only their volumes' storage. */
	if (p->pools)
		printf("pool: %u stopped (storage only), %u warming, warm %u\n",
		    p->pool_stopped, p->pool_warming, p->warm);
	return print_actions(p, o, ids, nids);
}

/* see scaler.h */
const struct error *
scaler_pass(struct scaler *s, const int64_t *assigned, enum out_fmt fmt)
{
	const struct error	*e, *pe;
	struct scaler_obs	 o;
	struct plan		 p = PLAN_INIT;
	char			**ids = NULL;
	size_t			 nids = 0;

	scaler_obs_init(&o);
	e = scaler_plan_pass(s, assigned, &o, &p, &ids, &nids);
	if (o.in.now == 0)	/* the observation failed */
		goto out;
	if (!s->set.scale)	/* cleanup: nothing is launched */
		p.have_desired = 0;
	if ((pe = scaler_print(s, fmt, &p, &o, ids, nids)) != NULL && e == NULL)
		e = pe;
out:
	scaler_ids_free(ids, nids);
	plan_release(&p);
	scaler_obs_release(&o);
	return e;
}
