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

/* see scaler_impl.h */
int
scaler_runner_live(struct scaler *s, const char *name,
    const struct error **ep)
{
	const struct error	*e;
	struct gh_runner	 g;
	int			 live;

	*ep = NULL;
	memset(&g, 0, sizeof(g));
	if ((e = github_runner_find(s->c->gh, name, &g)) != NULL) {
		if (e->class == ERR_FAIL && (e->http_status == 0 ||
		    e->http_status == 404))
			return 0;	/* no such runner */
		*ep = e;
		return -1;
	}
	live = g.online || g.busy;
	gh_runner_release(&g);
	return live;
}

struct reap {
	struct scaler		*s;
	struct scaler_obs	*o;
};

/* Drop runner name from o's runners (removed: the plan must not again). */
static void
obs_drop_runner(struct scaler_obs *o, const char *name)
{
	size_t	 i;

	for (i = 0; i < o->nrunners; i++)
		if (strcmp(o->pr[i].name, name) == 0)
			break;
	if (i == o->nrunners)
		return;
	free((char *)o->pr[i].name);
	memmove(&o->pr[i], &o->pr[i + 1], (o->nrunners - i - 1) *
	    sizeof(*o->pr));
	o->nrunners--;
	o->in.nrunners = o->nrunners;
}

/*
 * A pending delivery whose instance died (terminated or shutting down:
 * it failed, or was terminated before its runner came online): its JIT
 * config goes at once, removed through the service, unless the runner is
 * online or busy (then it is left alone).  A stopped instance is not
 * dead: a warm pool's instance gets its config when it is started.
 */
static void
reap_cb(void *arg, const char *id, const char *runner, int sent)
{
	struct reap		*r = arg;
	const struct ec2_instance *in = NULL;
	const struct error	*e;
	const char		*why = NULL;
	int64_t			 rid = 0;
	size_t			 i;
	int			 found, rc = 0;

	(void)sent;
	for (i = 0; id[0] != '\0' && i < r->o->inst.n; i++)
		if (strcmp(r->o->inst.v[i].id, id) == 0)
			in = &r->o->inst.v[i];
	if (in == NULL || (strcmp(in->state, "terminated") != 0 &&
	    strcmp(in->state, "shutting-down") != 0))
		return;
	for (i = 0; i < r->o->nrunners; i++) {
		if (strcmp(r->o->pr[i].name, runner) != 0)
			continue;
		if (r->o->pr[i].online || r->o->pr[i].busy)
			why = r->o->pr[i].busy ? "busy" : "online";
		else if (r->s->set.cleanup) {
			/* The plan deregisters it, and reports it. */
			(void)deliver_forget(&r->s->ctx->cfg, runner);
			return;
		}
	}
	if (why == NULL && (rc = scaler_runner_live(r->s, runner, &e)) != 0)
		why = rc == 1 ? "online or busy" : NULL;
	if (why == NULL && rc == -1) {
		log_warn("runner %s of dead instance %s: %s", runner, id,
		    e->msg);
		return;		/* tried again at the next pass */
	}
	if (why != NULL) {
		log_info("runner %s is %s: kept, though its instance %s is %s",
		    runner, why, id, in->state);
	} else if ((e = scaler_source_find(r->s, runner, &rid, &found)) !=
	    NULL) {
		log_warn("runner %s of dead instance %s: %s", runner, id,
		    e->msg);
		return;
	} else if (found && (rc = scaler_source_remove(r->s, rid, &e)) != 0) {
		if (rc == -1) {
			log_warn("runner %s of dead instance %s: %s", runner,
			    id, e->msg);
			return;
		}
		log_info("runner %s is busy: kept, though its instance %s is "
		    "%s", runner, id, in->state);
	} else if (found) {
		log_info("runner %s removed: its instance %s is %s before the "
		    "runner came online", runner, id, in->state);
		obs_drop_runner(r->o, runner);
	}
	(void)deliver_forget(&r->s->ctx->cfg, runner);
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
	if (!s->dry_run) {
		struct reap	 r = { s, o };

		if ((e = deliver_each(&s->ctx->cfg, reap_cb, &r)) != NULL)
			log_warn("%s", e->msg);
	}
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
