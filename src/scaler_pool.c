/*
 * SPDX-License-Identifier: ISC
 *
 * The scaler's warm pools (see pool.h and scaler_impl.h): the hot size
 * of the moment, the pool decisions of a pass, binding stopped instances
 * to runners and starting them in batches (StartInstances takes many
 * ids: Amazon EC2 API Reference, StartInstances), launching warming
 * instances.  A pool instance is launched on-demand with
 * InstanceInitiatedShutdownBehavior=stop, so its first boot ends in the
 * stopped pool, and its one job's end in a stopped instance that ghrctl
 * terminates (pool.c): never reused.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "deliver.h"
#include "ec2.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "plan.h"
#include "pool.h"
#include "scaler.h"
#include "scaler_impl.h"
#include "userdata.h"
#include "util.h"

#define POOL_GRACE_S		60	/* bound, not started yet: Describe lag */
#define POOL_WARM_PASS		5	/* RunInstances' bucket capacity */
#define POOL_LOOK_MS		1000	/* scaler_pool_refresh() at most */

/* see scaler_impl.h */
int
scaler_pool_flag(const struct ec2_instance *in)
{
	enum pool_state	 ps = pool_state_of(in->pool);

	return ps == POOL_WARMING || ps == POOL_STOPPED;
}

/* see scaler_impl.h */
unsigned int
scaler_pool_warming(const struct ec2_instances *v)
{
	unsigned int	 n = 0;
	size_t		 i;

	for (i = 0; i < v->n; i++)
		n += ec2_state_live(v->v[i].state) && scaler_pool_flag(&v->v[i]);
	return n;
}

/* see scaler_impl.h */
void
scaler_pool_now(struct scaler *s)
{
	unsigned int	 hot, stopped;

	pool_sizes(&s->pool, time(NULL), s->min_runners, &hot, &stopped);
	s->set.min_runners = hot < s->set.max_runners ? hot :
	    s->set.max_runners;
}

/* Bound by this process within POOL_GRACE_S (Describe may lag the tag). */
static int
taken(const struct scaler *s, const char *id, int64_t now)
{
	size_t	 i;

	for (i = 0; i < s->pool_ntaken; i++)
		if (strcmp(s->pool_taken[i].id, id) == 0 &&
		    now - s->pool_taken[i].at < POOL_GRACE_S)
			return 1;
	return 0;
}

static void
take(struct scaler *s, const char *id)
{
	const size_t	 max = sizeof(s->pool_taken) / sizeof(s->pool_taken[0]);
	size_t		 i, k;

	if (s->pool_ntaken < max)
		i = s->pool_ntaken++;
	else		/* full: the oldest goes */
		for (i = 0, k = 1; k < max; k++)
			if (s->pool_taken[k].at < s->pool_taken[i].at)
				i = k;
	snprintf(s->pool_taken[i].id, sizeof(s->pool_taken[i].id), "%s", id);
	s->pool_taken[i].at = time(NULL);
}

/* see scaler_impl.h */
void
scaler_pool_plan(struct scaler *s, struct scaler_obs *o, struct plan *pl)
{
	struct pool_settings	 ps;
	struct pool_plan	 pp;
	unsigned int		 hot, stopped;
	size_t			 i;

	memset(&pp, 0, sizeof(pp));
	pool_sizes(&s->pool, o->in.now, s->min_runners, &hot, &stopped);
	memset(&ps, 0, sizeof(ps));
	ps.stopped = stopped;
	ps.max_stopped = s->pool_max_stopped;
	ps.max_age = s->pool_max_age;
	ps.warm_timeout = s->set.boot_timeout;
	ps.grace = POOL_GRACE_S;
	ps.config = s->pool_config;
	ps.warm_max = POOL_WARM_PASS;
	pool_plan(&ps, o->inst.v, o->inst.n, o->in.now, pl, &pp);
	s->pool_avail.n = 0;
	for (i = 0; i < pp.navail; i++)
		if (!taken(s, o->inst.v[pp.avail[i]].id, o->in.now))
			ec2_instances_add(&s->pool_avail,
			    &o->inst.v[pp.avail[i]]);
	pl->pools = s->pool.n > 0 || pp.stopped > 0 || pp.warming > 0;
	pl->pool_stopped = pp.stopped;
	pl->pool_warming = pp.warming;
	/*
	 * Refilled whenever there is room: the waiting jobs' launches of
	 * this pass (pl->launch) first, then warming instances up to
	 * MAX_RUNNERS (they count toward it; scaler_apply() launches them
	 * after the jobs', at most POOL_WARM_PASS a pass).
	 */
	pl->warm = 0;
	if (s->set.scale && !s->set.no_launch && pl->have_desired &&
	    !pl->stale)
		pl->warm = plan_room(&s->set, pl->live + pl->launch, pp.warm);
	pool_plan_release(&pp);
}

/* see scaler_impl.h */
void
scaler_pool_refresh(struct scaler *s, size_t want)
{
	const struct error	*e;
	struct ec2_filter	 f[3];
	struct ec2_instances	 got = EC2_INSTANCES_INIT;
	unsigned int		 hot, stopped;
	int64_t			 now = time(NULL), ms = now_ms();
	size_t			 i, j;

	if (s->dry_run || s->pool_avail.n >= want || s->pool.n == 0 ||
	    ms - s->pool_looked_ms < POOL_LOOK_MS)
		return;
	pool_sizes(&s->pool, now, s->min_runners, &hot, &stopped);
	if (stopped == 0 || s->pool_max_stopped == 0)
		return;
	s->pool_looked_ms = ms;
	memset(f, 0, sizeof(f));
	f[0].name = "tag:" EC2_TAG_SCALE_SET;
	f[0].values[0] = s->set_id;
	f[0].nvalues = 1;
	f[1].name = "tag:" EC2_TAG_POOL;
	f[1].values[0] = "warming";
	f[1].values[1] = "stopped";
	f[1].nvalues = 2;
	f[2].name = "instance-state-name";
	f[2].values[0] = "stopped";
	f[2].nvalues = 1;
	if ((e = ec2_describe(s->aws, f, 3, &got)) != NULL) {
		log_warn("pool: %s", e->msg);
		goto out;
	}
	for (i = 0; i < got.n; i++) {
		const struct ec2_instance *in = &got.v[i];

		if (!scaler_pool_flag(in) || strcmp(in->state, "stopped") != 0 ||
		    strcmp(in->pool_config, s->pool_config) != 0 ||
		    (s->pool_max_age > 0 && in->launch_time > 0 &&
		    now - in->launch_time >= s->pool_max_age) ||
		    taken(s, in->id, now))
			continue;
		for (j = 0; j < s->pool_avail.n; j++)
			if (strcmp(s->pool_avail.v[j].id, in->id) == 0)
				break;
		if (j == s->pool_avail.n) {
			log_debug("pool: instance %s stopped, usable", in->id);
			ec2_instances_add(&s->pool_avail, in);
		}
	}
out:
	ec2_instances_release(&got);
}

static int
served(const struct ec2_instances *known, const char *name)
{
	size_t	 i;

	for (i = 0; known != NULL && i < known->n; i++)
		if (strcmp(known->v[i].runner, name) == 0 &&
		    strcmp(known->v[i].state, "terminated") != 0 &&
		    strcmp(known->v[i].state, "shutting-down") != 0)
			return 1;
	return 0;
}

/* see scaler_impl.h */
void
scaler_pool_assign(struct scaler *s, struct scaler_launch *v, size_t n,
    const struct ec2_instances *known)
{
	struct scaler_launch	 t;
	size_t			 i, k = 0, used = 0;

	for (i = 0; i < n && used < s->pool_avail.n; i++) {
		if (served(known, v[i].name))
			continue;
		snprintf(v[i].pool_id, sizeof(v[i].pool_id), "%s",
		    s->pool_avail.v[used++].id);
		take(s, v[i].pool_id);
		if (i != k) {	/* to the front, the order kept */
			t = v[i];
			memmove(&v[k + 1], &v[k], (i - k) * sizeof(*v));
			v[k] = t;
		}
		k++;
	}
	/* Taken: never offered twice, whatever becomes of the launch. */
	memmove(s->pool_avail.v, s->pool_avail.v + used,
	    (s->pool_avail.n - used) * sizeof(*s->pool_avail.v));
	s->pool_avail.n -= used;
	/* poll --scale: refill at once, after the jobs (scaler_events.c). */
	if (used > 0)
		s->reconcile = 1;
}

/* see scaler_impl.h */
const struct error *
scaler_pool_bind(struct scaler *s, const char *name, const char *id,
    struct ec2_instance *out)
{
	const struct error	*e, *re;
	char			*jit = NULL;
	char			 since[32];
	const char		*ids[1];
	int64_t			 rid = 0;
	int			 adopted, found;
	const struct ec2_tag	 tags[] = {
		{ EC2_TAG_RUNNER, name },
		{ "Name", name },
		{ EC2_TAG_POOL, "bound" },
		{ EC2_TAG_POOL_SINCE, since },
	};

	memset(out, 0, sizeof(*out));
	if ((e = scaler_jit_for(s, name, &jit, out, &adopted)) != NULL ||
	    adopted)
		return e;
	snprintf(since, sizeof(since), "%lld", (long long)time(NULL));
	ids[0] = id;
	/* Recorded first: a crash after the tags still delivers. */
	if ((e = deliver_launched(&s->ctx->cfg, id, s->set_id, name,
	    jit, DELIVER_STARTED)) == NULL)
		e = ec2_create_tags(s->aws, ids, 1, tags,
		    sizeof(tags) / sizeof(tags[0]), 0);
	if (e != NULL) {
		e = error_wrap(e, "runner %s: binding pool instance %s", name,
		    id);
		(void)deliver_forget(&s->ctx->cfg, name);
		if (scaler_source_find(s, name, &rid, &found) == NULL &&
		    found && scaler_source_remove(s, rid, &re) != 0)
			log_info("runner %s stays registered offline; "
			    "`ghrctl cleanup` removes it", name);
	} else {
		snprintf(out->id, sizeof(out->id), "%s", id);
		snprintf(out->state, sizeof(out->state), "stopped");
		snprintf(out->runner, sizeof(out->runner), "%s", name);
		snprintf(out->pool, sizeof(out->pool), "bound");
		out->launch_time = time(NULL);
	}
	log_secret_forget(jit);
	secret_free(jit);
	return e;
}

static void
started(struct scaler *s, struct scaler_launch *l)
{
	char	 job[24];

	snprintf(l->out.state, sizeof(l->out.state), "pending");
	s->launched++;
	metrics_launch(0);
	log_info("runner %s: pool instance %s started", l->name, l->out.id);
	event_emit(EV_LAUNCH, "job", scaler_name_job(s, l->name, job,
	    sizeof(job)), "runner", l->name, "instance", l->out.id,
	    "market", "pool", NULL);
}

/* see scaler_impl.h */
void
scaler_pool_start(struct scaler *s, struct scaler_launch *v, size_t n)
{
	const struct error	*e;
	const char		**ids;
	size_t			 i, k = 0;

	ids = xcalloc(n + 1, sizeof(*ids));
	for (i = 0; i < n; i++)
		if (v[i].e == NULL && strcmp(v[i].out.pool, "bound") == 0)
			ids[k++] = v[i].out.id;
	if (k > 0 && (e = ec2_start(s->aws, ids, k, NULL)) == NULL) {
		for (i = 0; i < n; i++)
			if (v[i].e == NULL && strcmp(v[i].out.pool,
			    "bound") == 0)
				started(s, &v[i]);
		free(ids);
		return;
	}
	/* Refused as a whole: each alone, so one bad id fails alone. */
	for (i = 0; k > 0 && i < n; i++) {
		if (v[i].e != NULL || strcmp(v[i].out.pool, "bound") != 0)
			continue;
		ids[0] = v[i].out.id;
		if ((e = ec2_start(s->aws, ids, 1, NULL)) == NULL) {
			started(s, &v[i]);
			continue;
		}
		v[i].err = *error_wrap(e, "runner %s: starting pool instance "
		    "%s", v[i].name, v[i].out.id);
		v[i].e = &v[i].err;
	}
	free(ids);
}

static int
name_used(const struct ec2_instances *v, const char *name)
{
	size_t	 i;

	for (i = 0; v != NULL && i < v->n; i++)
		if (strcmp(v->v[i].runner, name) == 0 ||
		    strcmp(v->v[i].pool_name, name) == 0)
			return 1;
	return 0;
}

/*
 * One warming launch under name: a RunInstances of one instance per
 * launch choice in turn (pool instances are on-demand: a one-time spot
 * instance cannot be stopped), under the batch ClientToken of that one
 * name, so a retried or replayed call returns the same instance.
 */
static const struct error *
warm_one(struct scaler *s, const char *name, struct ec2_instance *out)
{
	const struct error	*e = NULL;
	struct buf		 ud = BUF_INIT(EC2_USER_DATA_MAX + 1);
	struct ec2_choice	 ch[EC2_CHOICES_MAX];
	struct ec2_instances	 got = EC2_INSTANCES_INIT;
	char			 skey[SEAL_PUB_B64_LEN + 1];
	char			 token[EC2_TOKEN_MAX];
	const char		*names[1] = { name };
	size_t			 nc, i;
	const struct ec2_tag	 tags[] = {
		{ EC2_TAG_MANAGED, "true" },
		{ EC2_TAG_SCALE_SET, s->set_id },
		{ EC2_TAG_RUNNER, name },
		{ "Name", name },
		{ EC2_TAG_POOL, "warming" },
		{ EC2_TAG_POOL_CONFIG, s->pool_config },
		/* Kept when bound: the name (and ClientToken) stays taken. */
		{ EC2_TAG_POOL_NAME, name },
	};

	if ((e = deliver_user_key(&s->ctx->cfg, skey)) != NULL ||
	    (e = userdata_render(s->tmpl != NULL ? s->tmpl :
	    userdata_default_template(), skey, name, s->set_id, s->c->name,
	    &ud)) != NULL)
		goto out;
	nc = ec2_choices(&s->pool_launch, ch, EC2_CHOICES_MAX);
	for (i = 0; i < nc; i++) {
		if (ch[i].spot)
			continue;
		ec2_batch_token(s->c->scale_set_id, &ch[i], names, 1, token);
		e = ec2_run_batch(s->aws, &s->pool_launch, &ch[i], 1, tags,
		    sizeof(tags) / sizeof(tags[0]), ud.p, token, &got, NULL);
		if (e == NULL && got.n > 0)
			break;
		if (e != NULL && !ec2_capacity_code(aws_last_code(s->aws)))
			break;
	}
	if (e == NULL && got.n == 0)
		e = error_fmt(ERR_TEMP, "pool: no instance launched for %s",
		    name);
	if (e == NULL) {
		*out = got.v[0];
		s->launched++;
		log_info("pool: instance %s warming (%s)", out->id, name);
		event_emit(EV_LAUNCH, "runner", name, "instance", out->id,
		    "type", out->type, "market", "pool-warming", NULL);
	}
out:
	ec2_instances_release(&got);
	buf_release(&ud);
	return e;
}

/* see scaler_impl.h */
const struct error *
scaler_pool_warm(struct scaler *s, struct scaler_obs *o, unsigned int n,
    char ***ids, size_t *nids)
{
	const struct error	*e = NULL, *we;
	struct ec2_instance	 out;
	char			 name[EC2_NAME_MAX];
	unsigned int		 slot = 0;
	long long		 key = (long long)time(NULL) / 3600;

	for (; n > 0; n--) {
		for (;; slot++) {
			snprintf(name, sizeof(name), "%sw%lld-%u", s->prefix,
			    key, slot);
			if (!name_used(&o->inst, name) &&
			    !name_used(&s->known, name))
				break;
		}
		slot++;
		if ((we = warm_one(s, name, &out)) != NULL) {
			if (e == NULL)
				e = error_copy(we);
			else
				log_warn("%s", we->msg);
			break;
		}
		*ids = xrealloc(*ids, (*nids + 1) * sizeof(**ids));
		(*ids)[(*nids)++] = xstrdup(out.id);
	}
	return e;
}
