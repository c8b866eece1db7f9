/*
 * SPDX-License-Identifier: ISC
 *
 * The session holder's scaler (see scaler.h): `poll --scale` hands it
 * each message's statistics and jobs.  A JobAvailable launches one
 * instance at once for its runnerRequestId (runner "ghrctl-<set>-r<id>",
 * so a duplicate or replayed message finds the instance it already has,
 * by name in memory and by ClientToken at EC2 after a crash); a
 * JobCompleted terminates the finished runner's instance and asks for a
 * full reconcile; after each message the statistics correct drift
 * (plan_drift()); a full reconcile (observe, plan with scale-down and
 * cleanup, apply) runs at start, after a JobCompleted and every
 * SCALER_RECONCILE_MS.  How many may launch is plan.c's decision
 * (plan_room()), never this file's.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions_msg.h"
#include "ec2.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "plan.h"
#include "scaler.h"
#include "scaler_impl.h"
#include "util.h"

#define SCALER_RECENT_S		300	/* trust our own launches this long */

/* Live instances we know of. */
static unsigned int
live_known(const struct scaler *s)
{
	unsigned int	 n = 0;
	size_t		 i;

	for (i = 0; i < s->known.n; i++)
		n += ec2_state_live(s->known.v[i].state);
	return n;
}

static void
add_instance(struct ec2_instances *v, const struct ec2_instance *in)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
	}
	v->v[v->n] = *in;
	if (v->v[v->n].launch_time == 0)
		v->v[v->n].launch_time = time(NULL);
	v->n++;
}

static void
remember(struct scaler *s, const struct ec2_instance *in)
{
	add_instance(&s->known, in);
}

static int
has_id(const struct ec2_instances *v, const char *id)
{
	size_t	 i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i].id, id) == 0)
			return 1;
	return 0;
}

/*
 * Queue runner name for flush_launches() unless it is queued already or
 * plan_room() has no room for it, counting the queued ones as live.
 */
static void
queue_launch(struct scaler *s, const char *name)
{
	size_t	 i;
	/* A recorded launch not yet resolved may have made its instances. */
	unsigned int live = live_known(s) + (unsigned int)s->nbatch +
	    scaler_held_runners(s);
	char	 nlive[16], nmax[16];

	for (i = 0; i < s->nbatch; i++)
		if (strcmp(s->batch[i].name, name) == 0)
			return;		/* the same job twice in a message */
	for (i = 0; i < s->known.n; i++)
		if (strcmp(s->known.v[i].runner, name) == 0 &&
		    ec2_state_live(s->known.v[i].state)) {
			log_debug("runner %s: instance %s exists", name,
			    s->known.v[i].id);
			return;		/* a replayed job */
		}
	if (plan_room(&s->set, live, 1) == 0) {
		log_info("runner %s: not launched, %u of MAX_RUNNERS %u live "
		    "or launching", name, live, s->set.max_runners);
		snprintf(nlive, sizeof(nlive), "%u", live);
		snprintf(nmax, sizeof(nmax), "%u", s->set.max_runners);
		event_emit(EV_CAPACITY, "runner", name, "live", nlive, "max",
		    nmax, NULL);
		return;
	}
	if (s->nbatch == s->capbatch) {
		s->capbatch = s->capbatch ? s->capbatch * 2 : 64;
		s->batch = xrealloc(s->batch, s->capbatch *
		    sizeof(*s->batch));
	}
	memset(&s->batch[s->nbatch], 0, sizeof(s->batch[0]));
	snprintf(s->batch[s->nbatch].name, sizeof(s->batch[0].name), "%s",
	    name);
	s->nbatch++;
}

/*
 * Launch the queued runners, GHRCTL_LAUNCH_CONCURRENCY at a time, and
 * remember their instances.  With strict (the jobs of a message) a
 * failure that may pass (throttling, the network, credentials,
 * configuration, local I/O) is returned after all were tried, so the
 * message is not acknowledged and comes again; names and ClientTokens
 * make the second try launch only what is missing.  Without strict
 * (drift correction) failures are logged: the next message or reconcile
 * corrects the drift again, and the queue never waits for it.
 */
static const struct error *
flush_launches(struct scaler *s, int strict)
{
	const struct error	*e = NULL, *le;
	struct scaler_launch	*l;
	size_t			 i, j;

	if (s->nbatch == 0)
		return NULL;
	/* A warming instance may have stopped since the last reconcile. */
	scaler_pool_refresh(s, s->nbatch);
	scaler_launch_all(s, s->batch, s->nbatch, &s->known);
	for (i = 0; i < s->nbatch; i++) {
		l = &s->batch[i];
		if ((le = l->e) != NULL) {
			if (strict && (le->class == ERR_TEMP ||
			    le->class == ERR_UNAVAIL ||
			    le->class == ERR_CONFIG || le->class == ERR_PERM ||
			    le->class == ERR_IO)) {
				if (e == NULL)
					e = error_copy(le);
				else
					log_info("%s", le->msg);
			} else
				log_warn("%s", le->msg);
			continue;
		}
		if (l->skipped) {
			log_debug("runner %s: instance %s exists", l->name,
			    l->out.id);
			for (j = 0; j < s->known.n; j++)
				if (strcmp(s->known.v[j].id, l->out.id) == 0)
					break;
			if (j < s->known.n)
				continue;
		}
		if (!s->dry_run && l->out.id[0] != '\0') {
			if (strcmp(l->out.state, "pending") != 0 &&
			    strcmp(l->out.state, "running") != 0)
				snprintf(l->out.state, sizeof(l->out.state),
				    "pending");
			remember(s, &l->out);
			add_instance(&s->unseen, &l->out);
		}
	}
	s->nbatch = 0;
	return e;
}

/*
 * Our launches DescribeInstances has not shown yet (it is eventually
 * consistent: AWS EC2 API Reference, "Eventual consistency") count as
 * live for SCALER_RECENT_S into *recent; one it shows, in any state, is
 * EC2's to judge from then on and leaves s->unseen, and so does one
 * older than that.
 */
static void
unseen_merge(struct scaler *s, const struct scaler_obs *o, int64_t now,
    struct ec2_instances *recent)
{
	size_t	 i, n = 0;

	for (i = 0; i < s->unseen.n; i++) {
		const struct ec2_instance *in = &s->unseen.v[i];

		if (has_id(&o->inst, in->id) ||
		    now - in->launch_time >= SCALER_RECENT_S)
			continue;
		add_instance(recent, in);
		s->unseen.v[n++] = *in;
	}
	s->unseen.n = n;
}

/* see scaler_impl.h */
const struct error *
scaler_plan_pass(struct scaler *s, const int64_t *assigned,
    struct scaler_obs *o, struct plan *pl, char ***ids, size_t *nids)
{
	const struct error	*e;
	struct ec2_instances	 recent = EC2_INSTANCES_INIT;
	int64_t			 now = time(NULL);
	size_t			 i;
	unsigned int		 held, max = s->set.max_runners;

	*ids = NULL;
	*nids = 0;
	/* A crashed run's launches first: their instances count. */
	if ((e = scaler_replay(s, &s->unseen)) != NULL)
		log_warn("%s", e->msg);
	/*
	 * A launch the replay could not resolve may have made its instances
	 * or may make them when replayed: they count toward MAX_RUNNERS
	 * until then (once more if they are also seen: fewer launches for a
	 * while, never one too many).
	 */
	held = scaler_held_runners(s);
	if ((e = scaler_observe(s, assigned, now, o)) != NULL)
		return e;
	unseen_merge(s, o, now, &recent);
	scaler_obs_merge(o, &recent);
	ec2_instances_release(&recent);
	scaler_pool_now(s);
	s->set.max_runners = held < max ? max - held : 0;
	plan_compute(&s->set, &o->in, pl);
	scaler_pool_plan(s, o, pl);
	s->stale = pl->stale;
	if (pl->stale && !s->stale_logged)
		log_warn("scale set %s: totalAssignedJobs %lld stays above the "
		    "%u runners live while runners of ours sit idle: stale "
		    "statistics (actions/actions-runner-controller#4397); not "
		    "launching for that demand", s->set_id,
		    (long long)o->in.assigned, pl->live);
	s->stale_logged = pl->stale;
	e = scaler_apply(s, o, pl, ids, nids);
	s->set.max_runners = max;
	for (i = 0; i < *nids; i++) {
		struct ec2_instance in;

		memset(&in, 0, sizeof(in));
		snprintf(in.id, sizeof(in.id), "%s", (*ids)[i]);
		snprintf(in.state, sizeof(in.state), "pending");
		add_instance(&s->unseen, &in);
	}
	return e;
}

/* see scaler.h */
const struct error *
scaler_reconcile(struct scaler *s, int launch_ok)
{
	const struct error	*e;
	struct scaler_obs	 o;
	struct plan		 pl = PLAN_INIT;
	char			**ids = NULL;
	size_t			 nids = 0, i;
	int			 no_launch = s->set.no_launch;

	scaler_obs_init(&o);
	s->set.scale = 1;
	s->set.cleanup = 1;
	s->set.no_launch = no_launch || !launch_ok;
	e = scaler_plan_pass(s, s->assigned >= 0 ? &s->assigned : NULL, &o,
	    &pl, &ids, &nids);
	s->set.no_launch = no_launch;
	if (o.in.now == 0)	/* the observation failed */
		goto out;
	metrics_desired(pl.desired);
	log_info("reconcile: desired %u, live %u, launch %u, %zu actions",
	    pl.desired, pl.live, pl.launch, pl.n);
	/* What we know now: the observation plus the new instances. */
	ec2_instances_release(&s->known);
	for (i = 0; i < o.inst.n; i++)
		remember(s, &o.inst.v[i]);
	for (i = 0; i < pl.n; i++)
		if (pl.v[i].inst != PLAN_NONE &&
		    strcmp(pl.v[i].result, "terminated") == 0)
			snprintf(s->known.v[pl.v[i].inst].state,
			    sizeof(s->known.v[0].state), "terminated");
	for (i = 0; i < nids; i++) {
		struct ec2_instance in;

		memset(&in, 0, sizeof(in));
		snprintf(in.id, sizeof(in.id), "%s", ids[i]);
		snprintf(in.state, sizeof(in.state), "pending");
		remember(s, &in);
	}
	s->have_known = 1;
	/* Warming goes a few a pass (scaler_pool.c): then one more pass. */
	s->reconcile = pl.warm > 0;
	s->reconciled_ms = now_ms();
out:
	scaler_ids_free(ids, nids);
	plan_release(&pl);
	scaler_obs_release(&o);
	return e;
}

/* see scaler.h */
void
scaler_stats(struct scaler *s, const struct as_stats *st)
{
	s->assigned = st->assigned;
}

/* see scaler.h */
void
scaler_message_begin(struct scaler *s, int64_t message_id)
{
	s->nbatch = 0;	/* launches of a message that failed before */
	if (message_id > 0)
		s->drift_key = message_id;
}

/* see scaler_impl.h */
const char *
scaler_name_job(const struct scaler *s, const char *name, char *dst,
    size_t size)
{
	size_t	 n = strlen(s->prefix);

	if (strncmp(name, s->prefix, n) != 0 || name[n] != 'r' ||
	    name[n + 1] == '\0' || strspn(name + n + 1, "0123456789") !=
	    strlen(name + n + 1))
		return "-";
	return str_copy(dst, size, name + n + 1) == NULL ? dst : "-";
}

/* A runner for job request id, unless it has one (same name). */
static void
queue_job(struct scaler *s, int64_t id)
{
	char	 name[EC2_NAME_MAX];

	snprintf(name, sizeof(name), "%sr%lld", s->prefix, (long long)id);
	queue_launch(s, name);
}

/* see scaler.h */
const struct error *
scaler_acquired(struct scaler *s, const int64_t *ids, size_t n)
{
	const struct error	*e;
	size_t			 i;

	if (n > 0 && !s->have_known && (e = scaler_reconcile(s, 0)) != NULL)
		return e;
	for (i = 0; i < n; i++)
		queue_job(s, ids[i]);
	return NULL;
}

/* see scaler.h */
const struct error *
scaler_job(struct scaler *s, const struct as_job *j)
{
	const struct error	*e;
	const char		*ids[1];
	size_t			 i;

	if (j->kind == AS_JOB_AVAILABLE) {
		/* Launched for only once acquired (scaler_acquired()). */
		log_debug("job request %lld available", (long long)
		    j->runner_request_id);
		return NULL;
	}
	if (j->kind == AS_JOB_ASSIGNED)
		return scaler_acquired(s, &j->runner_request_id, 1);
	if (j->kind != AS_JOB_COMPLETED || *j->runner_name == '\0')
		return NULL;
	if (!s->have_known && (e = scaler_reconcile(s, 0)) != NULL)
		return e;
	/* The ephemeral runner is done: its instance goes now. */
	s->reconcile = 1;
	for (i = 0; i < s->known.n; i++) {
		struct ec2_instance *in = &s->known.v[i];

		if (strcmp(in->runner, j->runner_name) != 0 ||
		    !ec2_state_live(in->state))
			continue;
		ids[0] = in->id;
		if ((e = ec2_terminate(s->aws, ids, 1, s->dry_run,
		    NULL)) != NULL) {
			log_warn("%s", e->msg);
			return NULL;
		}
		log_info("runner %s finished: instance %s terminated",
		    j->runner_name, in->id);
		event_emit(EV_TERMINATE, "runner", j->runner_name, "instance",
		    in->id, NULL);
		snprintf(in->state, sizeof(in->state), "terminated");
	}
	return NULL;
}

/* see scaler.h */
const struct error *
scaler_message_done(struct scaler *s)
{
	const struct error	*e;
	char			 name[EC2_NAME_MAX];
	unsigned int		 n, slot = 0;

	/* The jobs of the message first: they are what someone waits for. */
	if ((e = flush_launches(s, 1)) != NULL)
		return e;
	/* Then drift correction, which never holds the queue. */
	if (!s->have_known || s->reconcile ||
	    now_ms() - s->reconciled_ms >= SCALER_RECONCILE_MS) {
		if ((e = scaler_reconcile(s, 1)) != NULL)
			log_warn("reconcile: %s", e->msg);
		return NULL;
	}
	scaler_pool_now(s);
	n = s->stale || s->set.no_launch ? 0 :
	    plan_drift(&s->set, s->assigned, live_known(s),
	    scaler_pool_warming(&s->known));
	for (; n > 0; n--) {
		scaler_slot_name(s, &slot, &s->known, NULL, name,
		    sizeof(name));
		queue_launch(s, name);
	}
	(void)flush_launches(s, 0);
	return NULL;
}
