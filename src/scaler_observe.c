/*
 * SPDX-License-Identifier: ISC
 *
 * Observing a scale set (see scaler.h): its instances from EC2 tags
 * (DescribeInstances), its runners from GitHub REST (names with our
 * prefix), its statistics from the scale set GET.
 */

#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "deliver.h"
#include "ec2.h"
#include "github.h"
#include "log.h"
#include "metrics.h"
#include "scaler.h"
#include "scaler_impl.h"
#include "util.h"

/* see scaler.h */
void
scaler_obs_init(struct scaler_obs *o)
{
	memset(o, 0, sizeof(*o));
}

/* see scaler.h */
void
scaler_obs_release(struct scaler_obs *o)
{
	size_t	 i;

	for (i = 0; i < o->nrunners; i++)
		free((char *)o->pr[i].name);
	free(o->pr);
	free(o->pi);
	ec2_instances_release(&o->inst);
	memset(o, 0, sizeof(*o));
}

struct runner_walk {
	const struct scaler	*s;
	struct scaler_obs	*o;
};

static const struct error *
runner_cb(void *arg, const struct gh_runner *r)
{
	struct runner_walk	*w = arg;
	struct scaler_obs	*o = w->o;
	struct plan_runner	*p;

	if (!str_prefix(r->name, w->s->prefix))
		return NULL;
	if (o->nrunners == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 16;
		o->pr = xrealloc(o->pr, o->cap * sizeof(*o->pr));
	}
	p = &o->pr[o->nrunners++];
	p->id = r->id;
	p->name = xstrdup(r->name);
	p->online = r->online;
	p->busy = r->busy;
	return NULL;
}

/* see scaler.h */
const struct error *
scaler_observe(struct scaler *s, const int64_t *assigned, int64_t now,
    struct scaler_obs *o)
{
	const struct error	*e;
	struct runner_walk	 w = { s, o };
	struct as_scale_set	 ss;

	scaler_obs_release(o);
	/* Issue 14: hand booted instances their sealed JIT configs. */
	if (!s->dry_run && (e = deliver_run(s->aws, &s->ctx->cfg, now)) != NULL)
		log_warn("%s", e->msg);
	if ((e = ec2_describe_scale_set(s->aws, s->c->scale_set_id,
	    &o->inst)) != NULL)
		return e;
	if ((e = github_runners_each(s->c->gh, NULL, runner_cb, &w)) != NULL)
		return e;
	o->in.assigned = -1;
	if (assigned != NULL)
		o->in.assigned = *assigned;
	else {
		memset(&ss, 0, sizeof(ss));
		if ((e = actions_scale_set_get(s->c->as, s->c->scale_set_id,
		    &ss)) != NULL)
			return e;
		if (ss.has_stats)
			o->in.assigned = ss.stats.assigned;
		else
			log_warn("scale set %lld reports no statistics; "
			    "launching nothing", (long long)ss.id);
		asmsg_scale_set_release(&ss);
	}
	o->in.now = now;
	o->in.prefix = s->prefix;
	scaler_obs_merge(o, NULL);
	return NULL;
}

/* see scaler.h */
void
scaler_obs_merge(struct scaler_obs *o, const struct ec2_instances *extra)
{
	size_t	 i, j;

	for (i = 0; extra != NULL && i < extra->n; i++) {
		for (j = 0; j < o->inst.n; j++)
			if (strcmp(o->inst.v[j].id, extra->v[i].id) == 0)
				break;
		if (j == o->inst.n && ec2_state_live(extra->v[i].state)) {
			if (o->inst.n == o->inst.cap) {
				o->inst.cap = o->inst.cap ? o->inst.cap * 2 : 16;
				o->inst.v = xrealloc(o->inst.v, o->inst.cap *
				    sizeof(*o->inst.v));
			}
			o->inst.v[o->inst.n++] = extra->v[i];
		}
	}
	free(o->pi);
	o->pi = xcalloc(o->inst.n + 1, sizeof(*o->pi));
	for (i = 0; i < o->inst.n; i++) {
		o->pi[i].id = o->inst.v[i].id;
		o->pi[i].runner = o->inst.v[i].runner;
		o->pi[i].live = ec2_state_live(o->inst.v[i].state);
		o->pi[i].gone = strcmp(o->inst.v[i].state, "terminated") == 0 ||
		    strcmp(o->inst.v[i].state, "shutting-down") == 0;
		o->pi[i].launch_time = o->inst.v[i].launch_time;
		o->pi[i].pool = scaler_pool_flag(&o->inst.v[i]);
	}
	metrics_instances(o->inst.v, o->inst.n);
	o->in.inst = o->pi;
	o->in.ninst = o->inst.n;
	o->in.runners = o->pr;
	o->in.nrunners = o->nrunners;
}
