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
#include "log.h"
#include "plan.h"
#include "scaler.h"
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
remember(struct scaler *s, const struct ec2_instance *in)
{
	if (s->known.n == s->known.cap) {
		s->known.cap = s->known.cap ? s->known.cap * 2 : 64;
		s->known.v = xrealloc(s->known.v, s->known.cap *
		    sizeof(*s->known.v));
	}
	s->known.v[s->known.n] = *in;
	if (s->known.v[s->known.n].launch_time == 0)
		s->known.v[s->known.n].launch_time = time(NULL);
	s->known.n++;
}

/*
 * Queue runner name for flush_launches() unless it is queued already or
 * plan_room() has no room for it, counting the queued ones as live.
 */
static void
queue_launch(struct scaler *s, const char *name)
{
	size_t	 i;
	unsigned int live = live_known(s) + (unsigned int)s->nbatch;

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
 * remember their instances.  A failure that may pass (throttling, the
 * network, credentials, configuration, local I/O) is returned after all
 * were tried, so the message is not acknowledged and comes again; names
 * and ClientTokens make the second try launch only what is missing.
 */
static const struct error *
flush_launches(struct scaler *s)
{
	const struct error	*e = NULL, *le;
	struct scaler_launch	*l;
	size_t			 i, j;

	if (s->nbatch == 0)
		return NULL;
	scaler_launch_all(s, s->batch, s->nbatch, &s->known);
	for (i = 0; i < s->nbatch; i++) {
		l = &s->batch[i];
		if ((le = l->e) != NULL) {
			if (le->class == ERR_TEMP || le->class == ERR_UNAVAIL ||
			    le->class == ERR_CONFIG || le->class == ERR_PERM ||
			    le->class == ERR_IO) {
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
		}
	}
	s->nbatch = 0;
	return e;
}

/* see scaler.h */
const struct error *
scaler_reconcile(struct scaler *s, int launch_ok)
{
	const struct error	*e;
	struct scaler_obs	 o;
	struct plan		 pl = PLAN_INIT;
	struct ec2_instances	 recent = EC2_INSTANCES_INIT;
	char			**ids = NULL;
	size_t			 nids = 0, i;
	int64_t			 now = time(NULL);

	scaler_obs_init(&o);
	if ((e = scaler_observe(s, s->assigned >= 0 ? &s->assigned :
	    NULL, now, &o)) != NULL)
		goto out;
	/* Our own recent launches count even if Describe lags. */
	for (i = 0; i < s->known.n; i++)
		if (now - s->known.v[i].launch_time < SCALER_RECENT_S) {
			if (recent.n == recent.cap) {
				recent.cap = recent.cap ? recent.cap * 2 : 16;
				recent.v = xrealloc(recent.v, recent.cap *
				    sizeof(*recent.v));
			}
			recent.v[recent.n++] = s->known.v[i];
		}
	scaler_obs_merge(&o, &recent);
	s->set.scale = 1;
	s->set.cleanup = 1;
	plan_compute(&s->set, &o.in, &pl);
	if (!launch_ok)
		pl.launch = 0;
	log_info("reconcile: desired %u, live %u, launch %u, %zu actions",
	    pl.desired, pl.live, pl.launch, pl.n);
	e = scaler_apply(s, &o, &pl, &ids, &nids);
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
	s->reconcile = 0;
	s->reconciled_ms = now_ms();
out:
	scaler_ids_free(ids, nids);
	plan_release(&pl);
	ec2_instances_release(&recent);
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
scaler_message_begin(struct scaler *s)
{
	s->nbatch = 0;	/* launches of a message that failed before */
}

/* see scaler.h */
const struct error *
scaler_job(struct scaler *s, const struct as_job *j)
{
	const struct error	*e;
	char			 name[EC2_NAME_MAX];
	const char		*ids[1];
	size_t			 i;

	if (!s->have_known && (e = scaler_reconcile(s, 0)) != NULL)
		return e;
	if (j->kind == AS_JOB_AVAILABLE) {
		snprintf(name, sizeof(name), "%sr%lld", s->prefix,
		    (long long)j->runner_request_id);
		queue_launch(s, name);
		return NULL;
	}
	if (j->kind != AS_JOB_COMPLETED || *j->runner_name == '\0')
		return NULL;
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
	unsigned int		 n;

	/* The jobs of the message first: they are what someone waits for. */
	if ((e = flush_launches(s)) != NULL)
		return e;
	if (!s->have_known || s->reconcile ||
	    now_ms() - s->reconciled_ms >= SCALER_RECONCILE_MS)
		return scaler_reconcile(s, 1);
	for (n = plan_drift(&s->set, s->assigned, live_known(s)); n > 0;
	    n--) {
		scaler_new_name(s, name, sizeof(name));
		queue_launch(s, name);
	}
	return flush_launches(s);
}
