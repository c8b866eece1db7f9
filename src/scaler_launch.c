/*
 * SPDX-License-Identifier: ISC
 *
 * Launching and binding runners (see scaler.h): one JIT config per
 * runner, single use (GitHub REST "Create configuration for a
 * just-in-time runner"), made on worker threads (each with clients of its
 * own) and delivered sealed to the runner's instance later (deliver.c);
 * then the runners are launched in batches, one RunInstances with
 * MaxCount=N per launch choice (issue 14: EC2's RunInstances bucket
 * refills 2 calls a second, its instance bucket 2 instances a second
 * after 1,000; EC2 API reference "Request throttling"), under a
 * ClientToken made from the scale set, the sorted runner names and the
 * choice, recorded in the state file before the call so a crash is
 * replayed with the same request (EC2 API reference "Ensuring
 * idempotency").  Instance k of a call (amiLaunchIndex k) is the k-th
 * runner of the batch, tagged with its name by one CreateTags each.
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
#include "state.h"
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
	const struct ec2_instances	*replayed;
	const struct state		*held;	/* records still unresolved */
};

/* Is runner name in a launch record the replay could not resolve? */
static int
held_name(const struct state *st, const char *name)
{
	size_t	 i, j;

	for (i = 0; st != NULL && i < st->nlaunches; i++)
		for (j = 0; j < st->launches[i].nrunners; j++)
			if (strcmp(st->launches[i].runners[j], name) == 0)
				return 1;
	return 0;
}

/* see scaler_impl.h */
unsigned int
scaler_held_runners(const struct scaler *s)
{
	unsigned int	 n = 0;
	size_t		 i;

	if (s->dry_run || !s->c->have_state)
		return 0;
	for (i = 0; i < s->c->st.nlaunches; i++)
		n += (unsigned int)s->c->st.launches[i].nrunners;
	return n;
}

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

/* see scaler_impl.h; after a name collision see launch_prepare(). */
const struct error *
scaler_jit_for(struct scaler *s, const char *name, char **jit,
    struct ec2_instance *out, int *adopted)
{
	const struct error	*e;
	int64_t			 id = 0;
	int			 found, exists, live;

	*adopted = 0;
	e = source_jit(s, name, jit, &exists);
	if (e == NULL || !exists)
		return e;
	/* An earlier run got this far: did it launch the instance too? */
	if ((e = ec2_find_runner(s->aws, s->c->scale_set_id, name, out,
	    &found)) != NULL)
		return e;
	if (found) {
		log_info("runner %s: adopting instance %s launched by an "
		    "earlier run", name, out->id);
		*adopted = 1;
		return NULL;
	}
	/*
	 * No instance: the stale registration goes (ARC's recovery), but
	 * never a runner that is online or busy (another process's, whose
	 * instance this state does not know): no launch for it then.
	 */
	if ((live = scaler_runner_live(s, name, &e)) == -1)
		return e;
	if (live)
		return error_fmt(ERR_FAIL, "runner %s already exists and is "
		    "online or busy: not removed, no instance launched for "
		    "it", name);
	if ((e = scaler_source_find(s, name, &id, &found)) != NULL)
		return e;
	if (found && scaler_source_remove(s, id, &e) != 0)
		return e;
	return source_jit(s, name, jit, &exists);
}

/* Is the instance of runner name in known and not gone? */
static const struct ec2_instance *
known_instance(const char *name, const struct ec2_instances *known)
{
	size_t	 i;

	for (i = 0; known != NULL && i < known->n; i++)
		if (strcmp(known->v[i].runner, name) == 0 &&
		    strcmp(known->v[i].state, "terminated") != 0 &&
		    strcmp(known->v[i].state, "shutting-down") != 0)
			return &known->v[i];
	return NULL;
}

/*
 * Before the batch: skip a runner whose instance is known, get its JIT
 * config (after a name collision, adopt the instance an earlier run
 * launched for it, or remove the stale runner and try once more) and
 * record the delivery it is owed (any thread).
 */
static const struct error *
launch_prepare(struct scaler *s, struct scaler_launch *l,
    const struct launch_run *run)
{
	const struct error	*e;
	const struct ec2_instance *k;
	int			 adopted;

	if ((k = known_instance(l->name, run->known)) != NULL ||
	    (k = known_instance(l->name, run->replayed)) != NULL) {
		l->out = *k;
		l->skipped = 1;
		return NULL;
	}
	/*
	 * Its recorded launch is still unknown (the replay failed): another
	 * call, in another batch under another token, could make a second
	 * instance for it once the first turns out to have launched.
	 */
	if (held_name(run->held, l->name))
		return error_fmt(ERR_TEMP, "runner %s: not launched again: "
		    "its earlier launch is not resolved yet (replayed first "
		    "at the next pass)", l->name);
	if (s->dry_run) {
		l->jit = xstrdup("DRY-RUN");
		return NULL;
	}
	if ((e = scaler_jit_for(s, l->name, &l->jit, &l->out, &adopted)) != NULL ||
	    adopted) {
		l->skipped = adopted;
		return e;
	}
	/* Issue 14: the config is delivered sealed (deliver.c), not here. */
	return deliver_launched(&s->ctx->cfg, NULL, s->set_id, l->name,
	    l->jit, DELIVER_LAUNCHED);
}

/* The user data of a batch: the template with the batch's token. */
static const struct error *
batch_user_data(struct scaler *s, const char *token, struct buf *ud)
{
	const struct error	*e;
	char			 skey[SEAL_PUB_B64_LEN + 1] = "DRY-RUN";

	if (!s->dry_run && (e = deliver_user_key(&s->ctx->cfg, skey)) != NULL)
		return e;
	if ((e = userdata_render(s->tmpl != NULL ? s->tmpl :
	    userdata_default_template(), skey, token, s->set_id, s->c->name,
	    ud)) == NULL)
		return NULL;
	if (e->class == ERR_PROTO)
		return error_fmt(ERR_CONFIG, "user data is larger than EC2's "
		    "%u bytes", EC2_USER_DATA_MAX);
	return e;
}

/* Save the state file (the pending launches in it), if there is one. */
static const struct error *
launches_save(struct scaler *s)
{
	if (!s->c->have_state)
		return NULL;
	return cmd_as_save(s->c);
}

/*
 * Did EC2 refuse the request itself (nothing launched under its token),
 * rather than leave it unknown: no reply, a 5xx that may have come after
 * the launch, or a throttled reply (throttling is decided before the
 * token is looked at, so a throttled replay says nothing of the first
 * call, and a throttled retry nothing of a timed-out first attempt)?
 */
static int
launch_refused(struct aws *a)
{
	static const char *const unknown[] = {
		"InternalError", "InternalFailure", "ServiceUnavailable",
		"Unavailable", "RequestLimitExceeded",
		"RequestResourceCountExceeded", "Throttling", NULL
	};
	const char	*code = aws_last_code(a);

	return *code != '\0' && !str_in_list(unknown, code);
}

/*
 * Bind the instances of one call to the runners names[0..n): instance
 * k of the call (amiLaunchIndex k) is runner k, the order the batch was
 * recorded in, so a replay binds them alike; each is tagged with its
 * runner (one CreateTags each: TagSpecifications tag every instance of a
 * call alike).  ent (may be NULL) gets each runner's instance; *bound
 * marks the runners that got one.  Returns 1 when every instance is
 * tagged.
 */
static int
batch_bind(struct scaler *s, const char *const *names, size_t n,
    struct ec2_instances *got, struct scaler_launch **ent, int *bound)
{
	const struct error	*e;
	struct ec2_tag		 t[2];
	const char		*id[1];
	size_t			 i, k;
	int			 all = 1;

	for (i = 0; i < got->n; i++) {
		struct ec2_instance *g = &got->v[i];

		k = g->launch_index >= 0 && (size_t)g->launch_index < n &&
		    !bound[g->launch_index] ? (size_t)g->launch_index : 0;
		while (k < n && bound[k])
			k++;
		if (k == n) {
			log_warn("ec2: instance %s is one more than the %zu "
			    "runners of its launch; `ghrctl cleanup` "
			    "terminates it", g->id, n);
			continue;
		}
		bound[k] = 1;
		snprintf(g->runner, sizeof(g->runner), "%s", names[k]);
		snprintf(g->scale_set, sizeof(g->scale_set), "%s", s->set_id);
		if (ent != NULL)
			ent[k]->out = *g;
		if (s->dry_run)
			continue;
		t[0].key = EC2_TAG_RUNNER;
		t[0].value = names[k];
		t[1].key = "Name";
		t[1].value = names[k];
		id[0] = g->id;
		if ((e = ec2_create_tags(s->aws, id, 1, t, 2, 0)) != NULL) {
			log_warn("runner %s: instance %s not tagged: %s",
			    names[k], g->id, e->msg);
			all = 0;
		}
	}
	return all;
}

/* The tags every instance of a batch is launched with. */
#define BATCH_TAGS(s)	{ { EC2_TAG_MANAGED, "true" },			\
	{ EC2_TAG_SCALE_SET, (s)->set_id } }

/*
 * One RunInstances of choice c for the runners ent[0..n) (names sorted):
 * recorded in the state file first, then sent; the instances EC2 made
 * are bound to their runners (ent[k]->out) and tagged, and the record
 * dropped once all are tagged.  The runners that got no instance are
 * moved to the front of ent, in order; *left gets their count.  On an
 * error *held is 1 when EC2 may have launched them (no reply): the
 * record stays for the next run's replay.
 */
static const struct error *
batch_try(struct scaler *s, const struct ec2_choice *c,
    struct scaler_launch **ent, size_t n, size_t *left, int *held,
    int *reused)
{
	const struct error	*e;
	const struct ec2_tag	 tags[] = BATCH_TAGS(s);
	struct ec2_instances	 got = EC2_INSTANCES_INIT;
	struct buf		 ud = BUF_INIT(SCALER_RENDER_MAX);
	struct scaler_launch	**rest;
	const char		**names;
	char			 token[EC2_TOKEN_MAX];
	int			*bound;
	size_t			 i, m = 0;

	*left = n;
	*held = 0;
	names = xcalloc(n, sizeof(*names));
	bound = xcalloc(n, sizeof(*bound));
	for (i = 0; i < n; i++)
		names[i] = ent[i]->name;
	ec2_batch_token(s->c->scale_set_id, c, names, n, token);
	if ((e = batch_user_data(s, token, &ud)) != NULL)
		goto out;
	if (!s->dry_run && s->c->have_state && ((e = state_launch_add(
	    &s->c->st, token, c->type, c->subnet, c->spot, names, n,
	    (int64_t)time(NULL))) != NULL || (e = launches_save(s)) != NULL))
		goto out;
	e = ec2_run_batch(s->aws, &s->launch, c, (unsigned int)n, tags,
	    sizeof(tags) / sizeof(tags[0]), ud.p, token, &got, reused);
	if (e != NULL) {
		*held = !s->dry_run && !launch_refused(s->aws);
		if (!*held && !s->dry_run && s->c->have_state) {
			state_launch_drop(&s->c->st, token);
			(void)launches_save(s);
		}
		goto out;
	}
	if (s->dry_run) {
		*left = 0;
		goto out;
	}
	if (batch_bind(s, names, n, &got, ent, bound) && s->c->have_state) {
		state_launch_drop(&s->c->st, token);
		(void)launches_save(s);
	}
	rest = xcalloc(n, sizeof(*rest));
	for (i = 0; i < n; i++)
		if (!bound[i])
			rest[m++] = ent[i];
	for (i = 0; i < n; i++)
		if (bound[i])
			rest[m++] = ent[i];
	memcpy(ent, rest, n * sizeof(*ent));
	free(rest);
	*left = 0;
	for (i = 0; i < n; i++)
		*left += !bound[i];
out:
	if (ud.p != NULL)
		wipe(ud.p, ud.len);
	buf_release(&ud);
	ec2_instances_release(&got);
	free(bound);
	free(names);
	return e;
}

/*
 * Launch the runners ent[0..n) (names sorted) as one batch, choice after
 * choice (spot first when set, then on-demand; type-major): a capacity
 * refusal moves all of them to the next choice, a partial launch moves
 * the rest.  Each runner's instance is in its out; the error of those
 * left is in their e (ERR_TEMP when no choice had room).
 */
static void
batch_run(struct scaler *s, struct scaler_launch **ent, size_t n)
{
	const struct error	*e = NULL;
	struct ec2_choice	 ch[EC2_CHOICES_MAX];
	struct error		 last;
	char			 code[128] = "";
	size_t			 nc, i, j, k, left = n;
	unsigned int		 tried = 0;
	int			 skip_spot = 0, held = 0, reused;

	memset(&last, 0, sizeof(last));
	nc = ec2_choices(&s->launch, ch, EC2_CHOICES_MAX);
	for (i = 0; i < nc && left > 0; i++) {
		if (ch[i].spot && skip_spot)
			continue;
		if (sig_stopping()) {
			e = error_fmt(ERR_TEMP, "not launched: stopping");
			break;
		}
		tried++;
		reused = 0;
		e = batch_try(s, &ch[i], ent, left, &k, &held, &reused);
		if (e == NULL) {
			for (j = k; j < left; j++) {
				ent[j]->reused = reused;
				ent[j]->fell_back = s->launch.spot &&
				    !ch[i].spot;
			}
			if (k > 0)
				log_info("ec2: %s %s in %s launched %zu of "
				    "the %zu runners asked for; the rest try "
				    "the next choice", ch[i].spot ? "spot" :
				    "on-demand", ch[i].type ? ch[i].type :
				    "(template type)", ch[i].subnet ?
				    ch[i].subnet : "(template subnet)",
				    left - k, left);
			left = k;
			continue;
		}
		snprintf(code, sizeof(code), "%s", aws_last_code(s->aws));
		last = *e;
		if (held || !ec2_capacity_code(code))
			break;
		log_info("ec2: %s for %s %s in %s (%zu runners); trying the "
		    "next choice", code, ch[i].spot ? "spot" : "on-demand",
		    ch[i].type ? ch[i].type : "(template type)",
		    ch[i].subnet ? ch[i].subnet : "(template subnet)", left);
		if (ch[i].spot && ec2_spot_code(code))
			skip_spot = 1;
		e = NULL;
	}
	if (left == 0)
		return;
	if (e == NULL)
		e = error_fmt(ERR_TEMP, "ec2: no capacity for %zu runners in "
		    "any of %u choices (last: %s)", left, tried, last.msg[0] ?
		    last.msg : "none");
	else if (e != &last) {
		last = *e;
		e = &last;
	}
	for (k = 0; k < left; k++) {
		ent[k]->err = *e;
		ent[k]->e = &ent[k]->err;
		ent[k]->held = held;
	}
}

static int
launch_cmp(const void *a, const void *b)
{
	const struct scaler_launch *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/*
 * After the batches (this thread): record each instance's delivery and
 * tell; for a runner left without an instance that EC2 refused, forget
 * its delivery and remove its registration (its job comes again); one
 * whose launch is unknown (held) keeps both for the replay.
 */
static void
launch_finish(struct scaler *s, struct scaler_launch *l)
{
	const struct error	*re;
	int64_t			 id = 0;
	int			 found;
	char			 job[24];

	if (s->dry_run || l->skipped || l->jit == NULL)
		goto out;
	if (l->e == NULL && l->out.id[0] != '\0') {
		s->launched++;
		if ((re = deliver_launched(&s->ctx->cfg, l->out.id, s->set_id,
		    l->name, l->jit, DELIVER_LAUNCHED)) != NULL)
			log_warn("runner %s: %s", l->name, re->msg);
		metrics_launch(l->reused);
		log_info("runner %s: instance %s (%s%s%s)", l->name,
		    l->out.id, l->out.type, l->fell_back ? ", on-demand after "
		    "spot failed" : "", l->reused ? ", launched earlier" : "");
		event_emit(EV_LAUNCH, "job", scaler_name_job(s, l->name, job,
		    sizeof(job)), "runner", l->name, "instance",
		    l->out.id, "type", l->out.type, "market", l->out.spot ?
		    "spot" : "on-demand", NULL);
	} else if (l->e != NULL && !l->held) {
		/* No instance: do not leave the runner registered. */
		(void)deliver_forget(&s->ctx->cfg, l->name);
		metrics_launch_error(aws_last_code(s->aws));
		if (scaler_runner_live(s, l->name, &re) == 0 &&
		    scaler_source_find(s, l->name, &id, &found) == NULL &&
		    found && scaler_source_remove(s, id, &re) != 0)
			log_info("runner %s stays registered offline; "
			    "`ghrctl cleanup` removes it", l->name);
	}
out:
	/* Single use: a burst of them must not crowd out long-lived secrets. */
	if (l->jit != NULL) {
		log_secret_forget(l->jit);
		secret_free(l->jit);
		l->jit = NULL;
	}
}

/* see scaler.h */
const struct error *
scaler_replay(struct scaler *s, struct ec2_instances *out)
{
	const struct error	*e = NULL, *re;
	const struct ec2_tag	 tags[] = BATCH_TAGS(s);
	struct state_launch	*r;
	struct ec2_instances	 got;
	struct ec2_choice	 c;
	struct buf		 ud = BUF_INIT(SCALER_RENDER_MAX);
	char			 token[EC2_TOKEN_MAX];
	int			*bound, reused;
	size_t			 i = 0, j;

	if (s->dry_run || !s->c->have_state)
		return NULL;
	while (i < s->c->st.nlaunches && !sig_stopping()) {
		r = &s->c->st.launches[i];
		memset(&got, 0, sizeof(got));
		c.type = r->type;
		c.subnet = r->subnet;
		c.spot = r->spot;
		snprintf(token, sizeof(token), "%s", r->token);
		buf_reset(&ud);
		log_info("replaying the launch %s of %zu runners (recorded "
		    "before a restart)", token, r->nrunners);
		if ((re = batch_user_data(s, token, &ud)) == NULL)
			re = ec2_run_batch(s->aws, &s->launch, &c,
			    (unsigned int)r->nrunners, tags,
			    sizeof(tags) / sizeof(tags[0]), ud.p, token, &got,
			    &reused);
		if (re != NULL && !launch_refused(s->aws)) {
			/* Unknown still: kept for the next try. */
			e = e != NULL ? e : error_wrap(re, "replaying launch %s",
			    token);
			i++;
			continue;
		}
		bound = xcalloc(r->nrunners, sizeof(*bound));
		if (re != NULL)
			log_info("launch %s: %s: nothing was launched", token,
			    re->msg);
		else if (!batch_bind(s, (const char *const *)r->runners,
		    r->nrunners, &got, NULL, bound)) {
			free(bound);
			ec2_instances_release(&got);
			e = e != NULL ? e : error_fmt(ERR_TEMP, "replaying "
			    "launch %s: not every instance tagged", token);
			i++;
			continue;
		}
		free(bound);
		for (j = 0; j < got.n; j++) {
			if (got.v[j].runner[0] == '\0')
				continue;
			log_info("runner %s: instance %s (launched before a "
			    "restart)", got.v[j].runner, got.v[j].id);
			if (out != NULL)
				ec2_instances_add(out, &got.v[j]);
		}
		ec2_instances_release(&got);
		state_launch_drop(&s->c->st, token);
		if ((re = launches_save(s)) != NULL)
			return re;
	}
	if (ud.p != NULL)
		wipe(ud.p, ud.len);
	buf_release(&ud);
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
		if (sig_stopping())
			e = error_fmt(ERR_TEMP, "runner %s: not launched: "
			    "stopping", l->name);
		else if (l->pool_id[0] != '\0')
			e = scaler_pool_bind(s, l->name, l->pool_id, &l->out);
		else
			e = launch_prepare(s, l, run);
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

/*
 * The prepared runners (JIT config in hand) of v[0..n), sorted by name,
 * in batches of at most EC2_BATCH_MAX; then launch_finish() for each.
 */
static void
launch_batches(struct scaler *s, struct scaler_launch *v, size_t n)
{
	struct scaler_launch	**ent;
	size_t			 i, m = 0, k, bmax;

	ent = xcalloc(n + 1, sizeof(*ent));
	for (i = 0; i < n; i++) {
		if (v[i].e == NULL && !v[i].skipped && v[i].jit != NULL)
			ent[m++] = &v[i];
		else if (v[i].e != NULL)
			v[i].held = 1;	/* nothing sent: keep what it made */
	}
	qsort(ent, m, sizeof(*ent), launch_cmp);
	bmax = s->batch_max >= 1 && s->batch_max <= EC2_BATCH_MAX ?
	    s->batch_max : EC2_BATCH_MAX;
	for (i = 0; i < m; i += k) {
		k = m - i < bmax ? m - i : bmax;
		batch_run(s, ent + i, k);
	}
	for (i = 0; i < n; i++)
		launch_finish(s, &v[i]);
	free(ent);
}

/* Prepare, batch and launch v[0..n) (pool bindings: see take_launches). */
static void
run_all(struct scaler *s, struct scaler_launch *v, size_t n,
    const struct ec2_instances *known)
{
	const struct error	*e;
	struct launch_run	 run;
	struct ec2_instances	 replayed = EC2_INSTANCES_INIT;
	pthread_attr_t		 attr;
	size_t			 i, nw, started = 0;

	memset(&run, 0, sizeof(run));
	run.v = v;
	run.n = n;
	run.known = known;
	run.replayed = &replayed;
	if ((e = scaler_replay(s, &replayed)) != NULL)
		log_warn("%s", e->msg);
	/* Read by the workers; changed only after they are joined. */
	run.held = !s->dry_run && s->c->have_state ? &s->c->st : NULL;
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
	/* No worker started: this thread prepares them one by one. */
	if (started == 0)
		take_launches(s, &run);
	for (i = 0; i < started; i++)
		pthread_join(s->workers[i].th, NULL);
	launch_batches(s, v, n);
	ec2_instances_release(&replayed);
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
		if (v[i].e == NULL || sig_stopping())
			continue;
		log_warn("%s; launching a new instance instead", v[i].e->msg);
		v[i].pool_id[0] = '\0';
		v[i].e = NULL;
		v[i].held = v[i].skipped = 0;
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
