/*
 * SPDX-License-Identifier: ISC
 *
 * Launching and binding runners (see scaler.h): one JIT config per
 * runner, single use, passed to `run.sh --jitconfig` (the runner's
 * documented just-in-time configuration, GitHub REST "Create
 * configuration for a just-in-time runner"), rendered into the user data
 * and launched with RunInstances under ClientTokens derived from the
 * runner name, so a retry finds the instance it launched.  Launches run
 * on worker threads, each with clients of its own.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions.h"
#include "aws.h"
#include "buf.h"
#include "deliver.h"
#include "ec2.h"
#include "github.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "scaler.h"
#include "scaler_impl.h"
#include "scaleset.h"
#include "sig.h"
#include "userdata.h"
#include "util.h"

#define SCALER_RENDER_MAX	(EC2_USER_DATA_MAX + 1)
#define SCALER_WORKER_STACK	(512u << 10)

/*
 * A launch worker: the parent scaler's settings (read-only, shared: the
 * template, labels, launch settings) with clients of its own, since a
 * client and its connections belong to one thread at a time.
 */
struct scaler_worker {
	struct scaler		 s;
	struct cmd_as		 c;
	struct http_client	*http;
	pthread_t		 th;
	struct launch_run	*run;
};

/* The launches of one scaler_launch_all() call, taken in turn. */
struct launch_run {
	struct scaler_launch		*v;
	size_t				 n;
	size_t				 next;	/* atomic */
	const struct ec2_instances	*known;
};

/* Is name taken by an instance in v (any state) or a runner of o? */
static int
name_taken(const char *name, const struct ec2_instances *v,
    const struct scaler_obs *o)
{
	size_t	 i;

	for (i = 0; v != NULL && i < v->n; i++)
		if (strcmp(v->v[i].runner, name) == 0)
			return 1;
	for (i = 0; o != NULL && i < o->nrunners; i++)
		if (strcmp(o->pr[i].name, name) == 0)
			return 1;
	return 0;
}

/* see scaler_impl.h */
void
scaler_slot_name(const struct scaler *s, unsigned int *slot,
    const struct ec2_instances *seen, const struct scaler_obs *o,
    char *dst, size_t size)
{
	int64_t	 key = s->rest ? (int64_t)time(NULL) / 3600 : s->drift_key;

	for (;; (*slot)++) {
		snprintf(dst, size, "%sd%lld-%u", s->prefix, (long long)key,
		    *slot);
		if (!name_taken(dst, seen, o) && (o == NULL ||
		    !name_taken(dst, &o->inst, NULL)))
			break;
	}
	(*slot)++;
}

/* see scaler_impl.h */
int
scaler_source_remove(struct scaler *s, int64_t id, const struct error **ep)
{
	const struct error	*e;
	enum as_exc		 x;

	*ep = NULL;
	if (s->rest) {
		if ((e = github_runner_delete(s->c->gh, id)) == NULL ||
		    e->http_status == 404)
			return 0;
		*ep = e;
		return e->http_status == 422 ? 1 : -1;
	}
	if ((e = actions_runner_remove(s->c->as, id)) == NULL)
		return 0;
	x = actions_exception(s->c->as);
	if (x == AS_EXC_AGENT_NOT_FOUND)
		return 0;
	*ep = e;
	return x == AS_EXC_JOB_STILL_RUNNING ? 1 : -1;
}

/* see scaler_impl.h */
const struct error *
scaler_source_find(struct scaler *s, const char *name, int64_t *id,
    int *found)
{
	const struct error	*e;
	struct gh_runner	 g;
	struct as_runner	 r;

	*found = 0;
	if (s->rest) {
		if ((e = github_runner_find(s->c->gh, name, &g)) != NULL)
			return e->http_status == 0 && e->class == ERR_FAIL ?
			    NULL : e;
		*id = g.id;
		*found = 1;
		gh_runner_release(&g);
		return NULL;
	}
	memset(&r, 0, sizeof(r));
	if ((e = actions_runner_find(s->c->as, name, &r, found)) == NULL &&
	    *found)
		*id = r.id;
	asmsg_runner_release(&r);
	return e;
}

/* A fresh JIT config; *exists when the name is taken. */
static const struct error *
source_jit(struct scaler *s, const char *name, char **jit, int *exists)
{
	const struct error	*e;

	*exists = 0;
	if (s->rest) {
		e = github_jit_config(s->c->gh, name, s->labels, s->nlabels,
		    s->group_id, jit, NULL);
		*exists = e != NULL && e->http_status == 409;
		return e;
	}
	e = actions_jit_config(s->c->as, s->c->scale_set_id, name, "", jit,
	    NULL);
	*exists = e != NULL && actions_exception(s->c->as) ==
	    AS_EXC_AGENT_EXISTS;
	return e;
}

/* see scaler_impl.h; after a name collision see scaler_launch(). */
const struct error *
scaler_jit_for(struct scaler *s, const char *name, char **jit,
    struct ec2_instance *out, int *adopted)
{
	const struct error	*e;
	int64_t			 id = 0;
	int			 found, exists;

	*adopted = 0;
	e = source_jit(s, name, jit, &exists);
	if (e == NULL || !exists)
		return e;
	/* An earlier run got this far: did it launch the instance too? */
	if ((e = ec2_find_launch(s->aws, &s->launch, s->c->scale_set_id, name,
	    out, &found)) != NULL)
		return e;
	if (found) {
		log_info("runner %s: adopting instance %s launched by an "
		    "earlier run", name, out->id);
		*adopted = 1;
		return NULL;
	}
	/* No instance: the stale registration goes (ARC's recovery). */
	if ((e = scaler_source_find(s, name, &id, &found)) != NULL)
		return e;
	if (found && scaler_source_remove(s, id, &e) != 0)
		return e;
	return source_jit(s, name, jit, &exists);
}

/* see scaler.h */
const struct error *
scaler_launch(struct scaler *s, const char *name,
    const struct ec2_instances *known, struct ec2_instance *out,
    int *skipped)
{
	const struct error	*e;
	struct buf		 ud = BUF_INIT(SCALER_RENDER_MAX);
	struct ec2_run_info	 info;
	const struct error	*re;
	char			*jit = NULL;
	char			 skey[SEAL_PUB_B64_LEN + 1] = "DRY-RUN";
	int64_t			 id = 0;
	int			 adopted, found;
	size_t			 i;
	const struct ec2_tag	 tags[] = {
		{ EC2_TAG_MANAGED, "true" },
		{ EC2_TAG_SCALE_SET, s->set_id },
		{ EC2_TAG_RUNNER, name },
		{ "Name", name },
	};

	*skipped = 0;
	for (i = 0; known != NULL && i < known->n; i++)
		if (strcmp(known->v[i].runner, name) == 0 &&
		    strcmp(known->v[i].state, "terminated") != 0 &&
		    strcmp(known->v[i].state, "shutting-down") != 0) {
			*out = known->v[i];
			*skipped = 1;
			return NULL;
		}
	if (s->dry_run)
		jit = xstrdup("DRY-RUN");
	else if ((e = scaler_jit_for(s, name, &jit, out, &adopted)) != NULL ||
	    adopted) {
		*skipped = adopted;
		return e;
	}
	/* Issue 14: the config is delivered sealed (deliver.c), not here. */
	if (!s->dry_run && ((e = deliver_user_key(&s->ctx->cfg, skey)) != NULL ||
	    (e = deliver_launched(&s->ctx->cfg, NULL, s->set_id, name,
	    jit)) != NULL))
		goto out;
	if ((e = userdata_render(s->tmpl != NULL ? s->tmpl :
	    userdata_default_template(), skey, name, s->set_id, s->c->name,
	    &ud)) != NULL) {
		if (e->class == ERR_PROTO)
			e = error_fmt(ERR_CONFIG, "user data for runner %s is "
			    "larger than EC2's %u bytes", name,
			    EC2_USER_DATA_MAX);
		else
			e = error_wrap(e, "runner %s", name);
		goto out;
	}
	e = ec2_run(s->aws, &s->launch, s->c->scale_set_id, name, tags,
	    sizeof(tags) / sizeof(tags[0]), ud.p, out, &info);
	if (e == NULL && !s->dry_run) {
		s->launched++;
		if ((re = deliver_launched(&s->ctx->cfg, out->id, s->set_id,
		    name, jit)) != NULL)
			log_warn("runner %s: %s", name, re->msg);
		metrics_launch(info.reused);
		log_info("runner %s: instance %s (%s%s%s)", name, out->id,
		    out->type, info.fell_back ? ", on-demand after spot "
		    "failed" : "", info.reused ? ", launched earlier" : "");
		event_emit(EV_LAUNCH, "runner", name, "instance", out->id,
		    "type", out->type, "market", out->spot ? "spot" :
		    "on-demand", NULL);
	} else if (e != NULL && !s->dry_run) {
		/* No instance: do not leave the runner registered. */
		(void)deliver_forget(&s->ctx->cfg, name);
		metrics_launch_error(aws_last_code(s->aws));
		if (scaler_source_find(s, name, &id, &found) == NULL && found &&
		    scaler_source_remove(s, id, &re) != 0)
			log_info("runner %s stays registered offline; "
			    "`ghrctl cleanup` removes it", name);
	}
out:
	if (ud.p != NULL)
		wipe(ud.p, ud.len);
	buf_release(&ud);
	/* Single use: a burst of them must not crowd out long-lived secrets. */
	log_secret_forget(jit);
	secret_free(jit);
	return e;
}

/* Clients of its own for worker w of s (on the parent's thread). */
static const struct error *
worker_open(struct scaler *s, struct scaler_worker *w)
{
	const struct error	*e;

	memset(w, 0, sizeof(*w));
	cmd_as_init(&w->c);
	w->s = *s;
	w->s.c = &w->c;
	w->s.aws = NULL;
	w->s.workers = NULL;
	w->s.nworkers = 0;
	w->s.launched = 0;
	if ((e = ctx_http_new(s->ctx, &w->http)) != NULL ||
	    (e = cmd_as_open_http(s->ctx, &w->c, 0, w->http)) != NULL ||
	    (e = aws_new(&s->ctx->cfg, w->http, s->ctx->envp, s->endpoint,
	    &w->s.aws)) != NULL)
		return e;
	memcpy(w->c.name, s->c->name, sizeof(w->c.name));
	w->c.scale_set_id = s->c->scale_set_id;
	return NULL;
}

/* Take run's launches in turn until none is left (any thread). */
static void
take_launches(struct scaler *s, struct launch_run *run)
{
	struct scaler_launch	*l;
	const struct error	*e;
	size_t			 i;

	for (;;) {
		i = __atomic_fetch_add(&run->next, 1, __ATOMIC_RELAXED);
		if (i >= run->n)
			break;
		l = &run->v[i];
		if (sig_stop)
			e = error_fmt(ERR_TEMP, "runner %s: not launched: "
			    "stopping", l->name);
		else if (l->pool_id[0] != '\0')
			e = scaler_pool_bind(s, l->name, l->pool_id, &l->out);
		else
			e = scaler_launch(s, l->name, run->known, &l->out,
			    &l->skipped);
		if (e != NULL)
			l->err = *e;	/* e is in this thread's ring */
		l->e = e != NULL ? &l->err : NULL;
	}
}

static void *
worker_main(void *arg)
{
	struct scaler_worker	*w = arg;

	take_launches(&w->s, w->run);
	return NULL;
}

static void
run_all(struct scaler *s, struct scaler_launch *v, size_t n,
    const struct ec2_instances *known)
{
	const struct error	*e;
	struct launch_run	 run;
	pthread_attr_t		 attr;
	size_t			 i, nw, started = 0;

	memset(&run, 0, sizeof(run));
	run.v = v;
	run.n = n;
	run.known = known;
	nw = s->concurrency < n ? s->concurrency : n;
	if (nw > 1 && s->workers == NULL) {
		s->workers = xcalloc(nw, sizeof(*s->workers));
		for (i = 0; i < nw; i++) {
			if ((e = worker_open(s, &s->workers[i])) != NULL) {
				log_warn("launch worker: %s; launching with "
				    "%zu", e->msg, i);
				aws_free(s->workers[i].s.aws);
				cmd_as_close(&s->workers[i].c);
				http_client_free(s->workers[i].http);
				break;
			}
			s->nworkers++;
		}
	}
	if (nw > s->nworkers)
		nw = s->nworkers;
	if (nw > 1 && pthread_attr_init(&attr) == 0) {
		pthread_attr_setstacksize(&attr, SCALER_WORKER_STACK);
		for (i = 0; i < nw; i++) {
			s->workers[i].run = &run;
			actions_share_admin(s->workers[i].c.as, s->c->as);
			if (pthread_create(&s->workers[i].th, &attr,
			    worker_main, &s->workers[i]) != 0)
				break;
			started++;
		}
		pthread_attr_destroy(&attr);
	}
	/* No worker started: this thread launches them one by one. */
	if (started == 0) {
		take_launches(s, &run);
		return;
	}
	for (i = 0; i < started; i++) {
		pthread_join(s->workers[i].th, NULL);
		s->launched += s->workers[i].s.launched;
		s->workers[i].s.launched = 0;
	}
}

/*
 * see scaler.h.  Launches that stopped pool instances can serve go
 * first (bound, then started in one batch: a start is the faster way to
 * a runner), the others are launched after, and so is each whose pool
 * instance could not be bound or started (its runner name is adopted or
 * registered again as after any collision; the stopped instance tagged
 * with it is terminated by a later pass, pool.h).
 */
void
scaler_launch_all(struct scaler *s, struct scaler_launch *v, size_t n,
    const struct ec2_instances *known)
{
	size_t	 i, k = 0;

	for (i = 0; i < n; i++)
		v[i].pool_id[0] = '\0';
	if (!s->dry_run && s->pool_avail.n > 0)
		scaler_pool_assign(s, v, n, known);
	while (k < n && v[k].pool_id[0] != '\0')
		k++;
	if (k > 0) {
		run_all(s, v, k, known);
		scaler_pool_start(s, v, k);
	}
	/* A pool instance that failed its runner: launch one instead. */
	for (i = 0; i < k; i++) {
		if (v[i].e == NULL || sig_stop)
			continue;
		log_warn("%s; launching a new instance instead", v[i].e->msg);
		v[i].pool_id[0] = '\0';
		v[i].e = NULL;
		run_all(s, &v[i], 1, known);
	}
	if (k < n)
		run_all(s, v + k, n - k, known);
}

/* see scaler_impl.h */
void
scaler_workers_free(struct scaler *s)
{
	size_t	 i;

	for (i = 0; i < s->nworkers; i++) {
		aws_free(s->workers[i].s.aws);
		cmd_as_close(&s->workers[i].c);
		http_client_free(s->workers[i].http);
	}
	free(s->workers);
	s->workers = NULL;
	s->nworkers = 0;
}

/* see scaler.h */
void
scaler_ids_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* see scaler_impl.h */
const struct error *
scaler_launch_new(struct scaler *s, struct scaler_obs *o, unsigned int n,
    char ***ids, size_t *nids)
{
	const struct error	*e = NULL;
	struct scaler_launch	*v;
	unsigned int		 k, slot = 0;

	if (s->dry_run)		/* one DryRun RunInstances answers for all */
		return ec2_check_permissions(s->aws, &s->launch, NULL);
	if (n == 0)
		return NULL;
	v = xcalloc(n, sizeof(*v));
	for (k = 0; k < n; k++)
		scaler_slot_name(s, &slot, &s->known, o, v[k].name,
		    sizeof(v[k].name));
	scaler_launch_all(s, v, n, &o->inst);
	for (k = 0; k < n; k++) {
		if (v[k].e != NULL) {
			/* The first failure is the pass's; the rest are logged. */
			if (e == NULL)
				e = error_copy(v[k].e);
			else
				log_warn("%s", v[k].e->msg);
			continue;
		}
		*ids = xrealloc(*ids, (*nids + 1) * sizeof(**ids));
		(*ids)[(*nids)++] = xstrdup(v[k].out.id);
	}
	free(v);
	return e;
}
