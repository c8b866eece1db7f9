/*
 * SPDX-License-Identifier: ISC
 *
 * The EC2 scaler shared by `scale`, `cleanup` and `poll --follow
 * --scale` (see cmd_scaler.h): it joins three services, which is why it
 * lives at the command layer.  Runner delivery follows
 * ../shared/reference/actions-service-protocol.md 3.11 (one JIT config
 * per runner, single use, passed to `run.sh --jitconfig`); removal goes
 * through the service first so a busy runner is refused there
 * (JobStillRunningException, 3.12, 5.4) before any instance is
 * terminated; EC2 facts are in ec2.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "aws.h"
#include "buf.h"
#include "cmd.h"
#include "cmd_actions.h"
#include "cmd_scaler.h"
#include "ec2.h"
#include "ghjobs.h"
#include "github.h"
#include "log.h"
#include "plan.h"
#include "sig.h"
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

static const char default_tmpl[] =
	"#!/bin/sh\n"
	"# ghrctl runner bootstrap (cloud-init user data).  Before the launch\n"
	"# ghrctl fills in the placeholders RUNNER_NAME, SCALE_SET_ID,\n"
	"# SCALE_SET_NAME and JIT_CONFIG (each in double braces).  The JIT\n"
	"# config registers exactly one ephemeral runner and works once; it is\n"
	"# readable through IMDS and ec2:DescribeInstanceAttribute.  The instance\n"
	"# powers off when the runner exits, and InstanceInitiatedShutdownBehavior\n"
	"# =terminate ends it.\n"
	"set -u\n"
	"RUNNER_DIR=${RUNNER_DIR:-/opt/actions-runner}\n"
	"RUNNER_USER=${RUNNER_USER:-runner}\n"
	"trap 'shutdown -h now' EXIT\n"
	"exec >>/var/log/ghrctl-runner.log 2>&1\n"
	"echo \"ghrctl: runner {{RUNNER_NAME}} of scale set {{SCALE_SET_NAME}} ({{SCALE_SET_ID}})\"\n"
	"if [ ! -x \"$RUNNER_DIR/run.sh\" ]; then\n"
	"\techo \"ghrctl: $RUNNER_DIR/run.sh missing: bake the actions runner into the AMI\"\n"
	"\texit 1\n"
	"fi\n"
	"id \"$RUNNER_USER\" >/dev/null 2>&1 || useradd -m \"$RUNNER_USER\"\n"
	"chown -R \"$RUNNER_USER\" \"$RUNNER_DIR\"\n"
	"umask 077\n"
	"printf '%s' '{{JIT_CONFIG}}' >\"$RUNNER_DIR/.jitconfig\"\n"
	"chown \"$RUNNER_USER\" \"$RUNNER_DIR/.jitconfig\"\n"
	"cd \"$RUNNER_DIR\" || exit 1\n"
	"su \"$RUNNER_USER\" -c './run.sh --jitconfig \"$(cat .jitconfig)\"'\n"
	"rm -f \"$RUNNER_DIR/.jitconfig\"\n";

/* see cmd_scaler.h */
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

/* see cmd_scaler.h */
const struct error *
scaler_begin(struct ctx *ctx, struct cmd_as *c, struct scaler_opts *o)
{
	const struct error	*e;
	const char		*src = o->source;

	if (src == NULL)
		src = config_str(&ctx->cfg, K_SOURCE);
	if (src != NULL && strcmp(src, "rest") == 0)
		o->rest = 1;
	else if (src != NULL && strcmp(src, "actions") != 0)
		return cmd_usage_error(ctx, "--source is actions or rest, not "
		    "'%s'", src);
	if ((e = cmd_as_open(ctx, c, 0)) != NULL)
		return e;
	if (!o->rest)
		return cmd_as_begin(ctx, c, STATE_LOCK_NOWAIT, &sig_stop);
	if ((e = rest_pool(ctx, c)) != NULL)
		return e;
	return cmd_as_state(ctx, c, STATE_LOCK_NOWAIT, &sig_stop);
}

/* see cmd_scaler.h */
const char *
scaler_default_template(void)
{
	return default_tmpl;
}

static const struct error *
read_template(const char *path, char **out)
{
	struct buf	 b = BUF_INIT(EC2_USER_DATA_MAX + 1);
	const struct error *e = NULL;
	char		 tmp[4096];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_fmt(ERR_CONFIG, "cannot read user-data template "
		    "'%s': %s", path, strerror(errno));
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			e = error_fmt(ERR_CONFIG, "cannot read user-data "
			    "template '%s': %s", path, strerror(errno));
			break;
		}
		if ((e = buf_add(&b, tmp, (size_t)n)) != NULL) {
			e = error_fmt(ERR_CONFIG, "user-data template '%s' is "
			    "larger than EC2's %u bytes", path,
			    EC2_USER_DATA_MAX);
			break;
		}
	}
	close(fd);
	if (e == NULL && (e = buf_addc(&b, '\0')) == NULL)
		*out = buf_detach(&b, NULL);
	buf_release(&b);
	return e;
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

/* see cmd_scaler.h */
const struct error *
scaler_open(struct ctx *ctx, struct cmd_as *c, const struct scaler_opts *o,
    struct scaler *s)
{
	const struct error	*e = NULL;
	struct http_client	*http;
	const char		*path, *group = NULL;

	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->c = c;
	s->dry_run = o->dry_run;
	snprintf(s->set_id, sizeof(s->set_id), "%lld",
	    (long long)c->scale_set_id);
	snprintf(s->prefix, sizeof(s->prefix), "ghrctl-%lld-",
	    (long long)c->scale_set_id);
	s->set.min_runners = (unsigned int)config_num(&ctx->cfg, K_MIN_RUNNERS);
	s->set.max_runners = (unsigned int)config_num(&ctx->cfg, K_MAX_RUNNERS);
	s->set.min_age = dur_ms(s, o->min_age, K_MIN_AGE, &e) / 1000;
	s->set.boot_timeout = dur_ms(s, o->boot_timeout, K_BOOT_TIMEOUT, &e) /
	    1000;
	s->set.max_lifetime = config_ms(&ctx->cfg, K_RUNNER_TIMEOUT) / 1000;
	if (e != NULL || (e = launch_settings(s)) != NULL ||
	    (o->rest && (e = rest_settings(s, &group)) != NULL))
		return e;
	path = o->user_data != NULL ? o->user_data : config_str(&ctx->cfg,
	    K_USER_DATA_TEMPLATE);
	if (path != NULL && (e = read_template(path, &s->tmpl)) != NULL)
		return e;
	s->endpoint = o->endpoint;
	s->concurrency = (unsigned int)config_num(&ctx->cfg,
	    K_LAUNCH_CONCURRENCY);
	if ((e = ctx_http(ctx, &http)) != NULL ||
	    (e = aws_new(&ctx->cfg, http, ctx->envp, o->endpoint,
	    &s->aws)) != NULL)
		return e;
	if (group != NULL && !o->no_launch)
		return rest_group(s, group);
	return NULL;
}

/* see cmd_scaler.h */
void
scaler_close(struct scaler *s)
{
	size_t	 i;

	for (i = 0; i < s->nworkers; i++) {
		aws_free(s->workers[i].s.aws);
		cmd_as_close(&s->workers[i].c);
		http_client_free(s->workers[i].http);
	}
	free(s->workers);
	aws_free(s->aws);
	free(s->tmpl);
	memset(s, 0, sizeof(*s));
}

/* see cmd_scaler.h */
void
scaler_obs_init(struct scaler_obs *o)
{
	memset(o, 0, sizeof(*o));
}

/* see cmd_scaler.h */
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

/* see cmd_scaler.h */
const struct error *
scaler_observe(struct scaler *s, const int64_t *assigned, int64_t now,
    struct scaler_obs *o)
{
	const struct error	*e;
	struct runner_walk	 w = { s, o };
	struct as_scale_set	 ss;

	scaler_obs_release(o);
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

/* see cmd_scaler.h */
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
		o->pi[i].launch_time = o->inst.v[i].launch_time;
	}
	o->in.inst = o->pi;
	o->in.ninst = o->inst.n;
	o->in.runners = o->pr;
	o->in.nrunners = o->nrunners;
}

/* see cmd_scaler.h */
const struct error *
scaler_render(const char *tmpl, const char *jit, const char *name,
    const char *set_id, const char *set_name, struct buf *out)
{
	static const char *const keys[] = {
		"{{JIT_CONFIG}}", "{{RUNNER_NAME}}", "{{SCALE_SET_ID}}",
		"{{SCALE_SET_NAME}}", NULL
	};
	const char		*vals[4];
	const struct error	*e;
	const char		*p = tmpl, *q;
	size_t			 k, n;

	vals[0] = jit;
	vals[1] = name;
	vals[2] = set_id;
	vals[3] = set_name;
	while ((q = strstr(p, "{{")) != NULL) {
		if ((e = buf_add(out, p, (size_t)(q - p))) != NULL)
			return e;
		for (k = 0; keys[k] != NULL; k++) {
			n = strlen(keys[k]);
			if (strncmp(q, keys[k], n) == 0)
				break;
		}
		if (keys[k] == NULL) {
			if ((e = buf_add(out, "{{", 2)) != NULL)
				return e;
			p = q + 2;
			continue;
		}
		if ((e = buf_adds(out, vals[k])) != NULL)
			return e;
		p = q + n;
	}
	if ((e = buf_adds(out, p)) != NULL)
		return e;
	return buf_addc(out, '\0');
}

/* see cmd_scaler.h */
void
scaler_new_name(const struct scaler *s, char *dst, size_t size)
{
	unsigned char	 r[5];
	size_t		 i;
	int		 n;

	if (random_bytes(r, sizeof(r)) != NULL)
		for (i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)rand_below(256);
	n = snprintf(dst, size, "%ss", s->prefix);
	for (i = 0; i < sizeof(r) && n > 0 && (size_t)n + 3 <= size; i++)
		n += snprintf(dst + n, size - (size_t)n, "%02x", r[i]);
}

/*
 * Remove runner id through the service the runners came from: 0 removed
 * (or already gone), 1 busy (refused), -1 another failure (*ep).
 */
static int
source_remove(struct scaler *s, int64_t id, const struct error **ep)
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

/* The id of the runner called name; *found 0 when there is none. */
static const struct error *
source_find(struct scaler *s, const char *name, int64_t *id, int *found)
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

/* A JIT config for name; after a name collision see scaler_launch(). */
static const struct error *
jit_for(struct scaler *s, const char *name, char **jit,
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
	if ((e = source_find(s, name, &id, &found)) != NULL)
		return e;
	if (found && source_remove(s, id, &e) != 0)
		return e;
	return source_jit(s, name, jit, &exists);
}

/* see cmd_scaler.h */
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
	else if ((e = jit_for(s, name, &jit, out, &adopted)) != NULL ||
	    adopted) {
		*skipped = adopted;
		return e;
	}
	if ((e = scaler_render(s->tmpl != NULL ? s->tmpl : default_tmpl, jit,
	    name, s->set_id, s->c->name, &ud)) != NULL) {
		e = error_fmt(ERR_CONFIG, "user data for runner %s is larger "
		    "than EC2's %u bytes", name, EC2_USER_DATA_MAX);
		goto out;
	}
	e = ec2_run(s->aws, &s->launch, s->c->scale_set_id, name, tags,
	    sizeof(tags) / sizeof(tags[0]), ud.p, out, &info);
	if (e == NULL && !s->dry_run) {
		s->launched++;
		log_info("runner %s: instance %s (%s%s%s)", name, out->id,
		    out->type, info.fell_back ? ", on-demand after spot "
		    "failed" : "", info.reused ? ", launched earlier" : "");
	} else if (e != NULL && !s->dry_run) {
		/* No instance: do not leave the runner registered. */
		if (source_find(s, name, &id, &found) == NULL && found &&
		    source_remove(s, id, &re) != 0)
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

/* see cmd_scaler.h */
void
scaler_launch_all(struct scaler *s, struct scaler_launch *v, size_t n,
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

/* see cmd_scaler.h */
void
scaler_ids_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static const struct error *
do_launches(struct scaler *s, struct scaler_obs *o, unsigned int n,
    char ***ids, size_t *nids)
{
	const struct error	*e = NULL;
	struct scaler_launch	*v;
	unsigned int		 k;

	if (s->dry_run)		/* one DryRun RunInstances answers for all */
		return ec2_check_permissions(s->aws, &s->launch, NULL);
	if (n == 0)
		return NULL;
	v = xcalloc(n, sizeof(*v));
	for (k = 0; k < n; k++)
		scaler_new_name(s, v[k].name, sizeof(v[k].name));
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

/* Remove the runner of a; 1 when its instance may be terminated. */
static int
remove_runner(struct scaler *s, struct scaler_obs *o, struct plan_action *a)
{
	const struct error	*e;
	const struct plan_runner *r;
	int			 rc;

	if (a->runner == PLAN_NONE)
		return 1;
	r = &o->pr[a->runner];
	if (s->dry_run) {
		snprintf(a->result, sizeof(a->result), "dry-run: would remove "
		    "runner %lld", (long long)r->id);
		return 1;
	}
	if ((rc = source_remove(s, r->id, &e)) == 0)
		return 1;
	if (rc == 1)
		snprintf(a->result, sizeof(a->result), "kept: runner is busy "
		    "(%s)", s->rest ? "GitHub answered 422" :
		    "JobStillRunningException");
	else
		snprintf(a->result, sizeof(a->result), "failed: %.240s", e->msg);
	log_warn("runner %s: %s", r->name, a->result);
	return 0;
}

/*
 * Describe lags behind RunInstances: before deregistering an "orphan",
 * look for its instance by ClientToken.  1 when one exists (kept).
 */
static int
launched_by_token(struct scaler *s, struct scaler_obs *o,
    struct plan_action *a)
{
	struct ec2_instance	 in;
	int			 found = 0;

	if (a->runner == PLAN_NONE || ec2_find_launch(s->aws, &s->launch,
	    s->c->scale_set_id, o->pr[a->runner].name, &in, &found) != NULL ||
	    !found)
		return 0;
	snprintf(a->result, sizeof(a->result), "kept: instance %s found by "
	    "its ClientToken", in.id);
	return 1;
}

/* see cmd_scaler.h */
const struct error *
scaler_apply(struct scaler *s, struct scaler_obs *o, struct plan *p,
    char ***ids, size_t *nids)
{
	const struct error	*e = NULL, *te;
	const char		**term;
	size_t			*which, nterm = 0, i;

	*ids = NULL;
	*nids = 0;
	if (p->launch > 0)
		e = do_launches(s, o, p->launch, ids, nids);
	term = xcalloc(p->n + 1, sizeof(*term));
	which = xcalloc(p->n + 1, sizeof(*which));
	for (i = 0; i < p->n; i++) {
		struct plan_action *a = &p->v[i];

		switch (a->kind) {
		case PLAN_DEREGISTER:
			if (launched_by_token(s, o, a))
				break;
			if (remove_runner(s, o, a) && a->result[0] == '\0')
				snprintf(a->result, sizeof(a->result),
				    "deregistered");
			break;
		case PLAN_RETIRE:
		case PLAN_BOOT_TIMEOUT:
		case PLAN_LIFETIME:
			if (!remove_runner(s, o, a))
				break;
			which[nterm] = i;
			term[nterm++] = o->pi[a->inst].id;
			break;
		case PLAN_KEEP:
			snprintf(a->result, sizeof(a->result), "kept");
			break;
		case PLAN_LAUNCH:
			break;
		}
	}
	if (nterm > 0) {
		te = ec2_terminate(s->aws, term, nterm, s->dry_run, NULL);
		for (i = 0; i < nterm; i++) {
			struct plan_action *a = &p->v[which[i]];

			if (te != NULL)
				snprintf(a->result, sizeof(a->result),
				    "failed: %.240s", te->msg);
			else
				snprintf(a->result, sizeof(a->result), "%s",
				    s->dry_run ? "dry-run: TerminateInstances "
				    "allowed" : "terminated");
		}
		if (te == NULL && !s->dry_run)
			s->terminated += nterm;
		if (e == NULL)
			e = te;
	}
	free(term);
	free(which);
	return e;
}

/* see cmd_scaler.h */
const struct error *
scaler_print(const struct scaler *s, enum out_fmt fmt, const struct plan *p,
    const struct scaler_obs *o, char **ids, size_t nids)
{
	const struct error	*e;
	struct buf		 b = BUF_INIT(16u << 20);
	size_t			 i;

	if (fmt == OUT_JSON) {
		if ((e = plan_format_json(p, &o->in, s->dry_run,
		    (const char *const *)ids, nids, &b)) == NULL)
			printf("%s\n", b.p);
		buf_release(&b);
		return e;
	}
	if (p->have_desired)
		printf("desired %u  live %u  launch %u%s\n", p->desired,
		    p->live, p->launch, s->dry_run ? "  (dry run)" : "");
	else
		printf("desired ?  live %u  launch 0 (no statistics)%s\n",
		    p->live, s->dry_run ? "  (dry run)" : "");
	for (i = 0; i < nids; i++)
		printf("%-12s %-20s %s\n", "launched", ids[i], "");
	for (i = 0; i < p->n; i++) {
		const struct plan_action *a = &p->v[i];

		printf("%-12s %-20s %-28s %s%s%s\n", plan_kind_name(a->kind),
		    a->inst != PLAN_NONE ? o->pi[a->inst].id : "-",
		    a->runner != PLAN_NONE ? o->pr[a->runner].name :
		    a->inst != PLAN_NONE && o->pi[a->inst].runner[0] ?
		    o->pi[a->inst].runner : "-", a->reason,
		    a->result[0] ? ": " : "", a->result);
	}
	return NULL;
}

/* see cmd_scaler.h */
const struct error *
scaler_pass(struct scaler *s, const int64_t *assigned, enum out_fmt fmt)
{
	const struct error	*e, *pe;
	struct scaler_obs	 o;
	struct plan		 p = PLAN_INIT;
	char			**ids = NULL;
	size_t			 nids = 0;

	scaler_obs_init(&o);
	if ((e = scaler_observe(s, assigned, (int64_t)time(NULL), &o)) != NULL)
		goto out;
	plan_compute(&s->set, &o.in, &p);
	if (!s->set.scale)	/* cleanup: nothing is launched */
		p.have_desired = 0;
	e = scaler_apply(s, &o, &p, &ids, &nids);
	if ((pe = scaler_print(s, fmt, &p, &o, ids, nids)) != NULL && e == NULL)
		e = pe;
out:
	scaler_ids_free(ids, nids);
	plan_release(&p);
	scaler_obs_release(&o);
	return e;
}
