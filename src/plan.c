/*
 * SPDX-License-Identifier: ISC
 *
 * Scaling decisions, pure (see plan.h).  The desired count is the one
 * actions-runner-controller's listener uses (actions/actions-runner-
 * controller, cmd/ghalistener/worker/worker.go: min(minRunners +
 * totalAssignedJobs, maxRunners)); scale-down picks idle runners oldest
 * first and leaves the final word to the service, which refuses to remove
 * a busy runner (JobStillRunningException); the three cleanup classes
 * are those EC2 autoscalers for GitHub runners use (philips-labs/
 * terraform-aws-github-runner, its scale-down lambda).  Instance and
 * runner counts are small (thousands), so quadratic matching keeps the
 * code obvious.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

#include "buf.h"
#include "plan.h"
#include "util.h"

/* see plan.h */
void
plan_release(struct plan *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* see plan.h */
unsigned int
plan_desired(unsigned int min_runners, unsigned int max_runners,
    int64_t assigned)
{
	int64_t	 d;

	if (assigned < 0)
		assigned = 0;
	if (assigned > (int64_t)max_runners)
		assigned = max_runners;
	d = (int64_t)min_runners + assigned;
	return d > (int64_t)max_runners ? max_runners : (unsigned int)d;
}

/* see plan.h */
unsigned int
plan_room(const struct plan_settings *s, unsigned int live, unsigned int want)
{
	unsigned int	 room;

	room = live >= s->max_runners ? 0 : s->max_runners - live;
	return want < room ? want : room;
}

/* see plan.h */
unsigned int
plan_drift(const struct plan_settings *s, int64_t assigned, unsigned int live,
    unsigned int warming)
{
	unsigned int	 desired, runners;

	if (assigned < 0)
		return 0;
	desired = plan_desired(s->min_runners, s->max_runners, assigned);
	runners = live > warming ? live - warming : 0;
	return plan_room(s, live, desired > runners ? desired - runners : 0);
}

/* see plan.h */
const char *
plan_kind_name(enum plan_kind k)
{
	switch (k) {
	case PLAN_LAUNCH:
		return "launch";
	case PLAN_RETIRE:
		return "retire";
	case PLAN_DEREGISTER:
		return "deregister";
	case PLAN_BOOT_TIMEOUT:
		return "boot-timeout";
	case PLAN_LIFETIME:
		return "lifetime";
	case PLAN_KEEP:
		return "keep";
	case PLAN_POOL_READY:
		return "pool-ready";
	case PLAN_POOL_STOP:
		return "pool-stop";
	case PLAN_POOL_TERMINATE:
		return "pool-terminate";
	}
	return "?";
}

/* see plan.h */
void
plan_duration(int64_t s, char *dst, size_t size)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(dst, size, "%lldh%lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(dst, size, "%lldm%llds", (long long)(s / 60),
		    (long long)(s % 60));
	else
		snprintf(dst, size, "%llds", (long long)s);
}

/* see plan.h */
struct plan_action *
plan_add(struct plan *p, enum plan_kind k, size_t inst, size_t runner)
{
	struct plan_action	*a;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	a = &p->v[p->n++];
	memset(a, 0, sizeof(*a));
	a->kind = k;
	a->inst = inst;
	a->runner = runner;
	return a;
}

/* The runner of instance i, or PLAN_NONE. */
static size_t
runner_of(const struct plan_input *in, size_t i)
{
	size_t	 r;

	if (in->inst[i].runner == NULL || in->inst[i].runner[0] == '\0')
		return PLAN_NONE;
	for (r = 0; r < in->nrunners; r++)
		if (strcmp(in->runners[r].name, in->inst[i].runner) == 0)
			return r;
	return PLAN_NONE;
}

static int
has_instance(const struct plan_input *in, const char *name)
{
	size_t	 i;

	for (i = 0; i < in->ninst; i++)
		if (in->inst[i].runner != NULL && !in->inst[i].gone &&
		    strcmp(in->inst[i].runner, name) == 0)
			return 1;
	return 0;
}

/* An idle runner of ours online on an instance at least min_age old. */
static int
idle_for_long(const struct plan_settings *s, const struct plan_input *in)
{
	size_t	 i, r;

	for (i = 0; i < in->ninst; i++) {
		if (!in->inst[i].live || in->inst[i].launch_time <= 0 ||
		    in->now - in->inst[i].launch_time < s->min_age)
			continue;
		r = runner_of(in, i);
		if (r != PLAN_NONE && in->runners[r].online &&
		    !in->runners[r].busy)
			return 1;
	}
	return 0;
}

static int64_t
age(const struct plan_input *in, size_t i)
{
	if (in->inst[i].launch_time <= 0)
		return 0;	/* unknown: treat as brand new */
	return in->now - in->inst[i].launch_time;
}

static void
plan_cleanup(const struct plan_settings *s, const struct plan_input *in,
    struct plan *p, unsigned char *used)
{
	struct plan_action	*a;
	char			 d1[32], d2[32];
	size_t			 i, r, plen;

	plen = in->prefix != NULL ? strlen(in->prefix) : 0;
	for (r = 0; r < in->nrunners; r++) {
		const struct plan_runner *rn = &in->runners[r];

		if (rn->online || rn->busy || plen == 0 ||
		    strncmp(rn->name, in->prefix, plen) != 0 ||
		    has_instance(in, rn->name))
			continue;
		a = plan_add(p, PLAN_DEREGISTER, PLAN_NONE, r);
		snprintf(a->reason, sizeof(a->reason), "runner is offline and "
		    "has no instance");
	}
	for (i = 0; i < in->ninst; i++) {
		int64_t	 ag = age(in, i);
		int	 boot, life;

		if (!in->inst[i].live || used[i] || in->inst[i].pool)
			continue;
		r = runner_of(in, i);
		boot = ag >= s->boot_timeout && (r == PLAN_NONE ||
		    !in->runners[r].online);
		life = s->max_lifetime > 0 && ag >= s->max_lifetime;
		if (!boot && !life)
			continue;
		plan_duration(ag, d1, sizeof(d1));
		if (r != PLAN_NONE && in->runners[r].busy) {
			a = plan_add(p, PLAN_KEEP, i, r);
			snprintf(a->reason, sizeof(a->reason), "runner is "
			    "busy (age %s); never terminated while busy", d1);
		} else if (boot) {
			a = plan_add(p, PLAN_BOOT_TIMEOUT, i, r);
			plan_duration(s->boot_timeout, d2, sizeof(d2));
			snprintf(a->reason, sizeof(a->reason), "runner %s "
			    "within the boot timeout %s (age %s)",
			    r == PLAN_NONE ? "never registered" :
			    "not online", d2, d1);
		} else {
			a = plan_add(p, PLAN_LIFETIME, i, r);
			plan_duration(s->max_lifetime, d2, sizeof(d2));
			snprintf(a->reason, sizeof(a->reason), "older than the "
			    "max lifetime %s (age %s)", d2, d1);
		}
		used[i] = 1;
	}
}

static void
plan_down(const struct plan_settings *s, const struct plan_input *in,
    struct plan *p, unsigned char *used, unsigned int excess)
{
	struct plan_action	*a;
	char			 d1[32];
	size_t			 i, best, r;

	while (excess > 0) {
		best = PLAN_NONE;
		for (i = 0; i < in->ninst; i++) {
			if (!in->inst[i].live || used[i] ||
			    in->inst[i].launch_time <= 0 ||
			    age(in, i) < s->min_age)
				continue;
			r = runner_of(in, i);
			if (r == PLAN_NONE || !in->runners[r].online ||
			    in->runners[r].busy)
				continue;
			if (best == PLAN_NONE || in->inst[i].launch_time <
			    in->inst[best].launch_time)
				best = i;
		}
		if (best == PLAN_NONE)
			return;
		used[best] = 1;
		plan_duration(age(in, best), d1, sizeof(d1));
		a = plan_add(p, PLAN_RETIRE, best, runner_of(in, best));
		snprintf(a->reason, sizeof(a->reason), "idle, %u more than "
		    "desired %u (age %s)", excess, p->desired, d1);
		excess--;
	}
}

/* see plan.h */
void
plan_compute(const struct plan_settings *s, const struct plan_input *in,
    struct plan *p)
{
	unsigned char	*used;
	unsigned int	 warming = 0;
	size_t		 i;

	plan_release(p);
	for (i = 0; i < in->ninst; i++)
		if (in->inst[i].live) {
			p->live++;
			warming += in->inst[i].pool != 0;
		}
	p->have_desired = in->assigned >= 0;
	p->desired = plan_desired(s->min_runners, s->max_runners,
	    in->assigned);
	used = xcalloc(in->ninst + 1, 1);
	if (s->cleanup)
		plan_cleanup(s, in, p, used);
	if (s->scale && p->have_desired) {
		p->launch = plan_drift(s, in->assigned, p->live, warming);
		if (p->launch > 0 && idle_for_long(s, in)) {
			p->stale = 1;
			p->launch = 0;
		}
		if (s->no_launch)
			p->launch = 0;
		if (p->live - warming > p->desired)
			plan_down(s, in, p, used, p->live - warming -
			    p->desired);
	}
	free(used);
}

static void
add_str(cJSON *o, const char *k, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

/* see plan.h */
const struct error *
plan_format_json(const struct plan *p, const struct plan_input *in,
    int dry_run, const char *const *launched, size_t nlaunched,
    struct buf *out)
{
	const struct error	*e = NULL;
	cJSON			*root, *arr, *o, *l;
	char			*txt;
	size_t			 i;

	if ((root = cJSON_CreateObject()) == NULL)
		return error_fmt(ERR_SOFTWARE, "plan: out of memory");
	if (p->have_desired)
		cJSON_AddNumberToObject(root, "desired", p->desired);
	else
		cJSON_AddNullToObject(root, "desired");
	cJSON_AddNumberToObject(root, "live", p->live);
	cJSON_AddNumberToObject(root, "launch", p->launch);
	cJSON_AddBoolToObject(root, "dryRun", dry_run);
	if (p->pools && (o = cJSON_AddObjectToObject(root, "pool")) != NULL) {
		cJSON_AddNumberToObject(o, "stopped", p->pool_stopped);
		cJSON_AddNumberToObject(o, "warming", p->pool_warming);
		cJSON_AddNumberToObject(o, "warm", p->warm);
	}
	l = cJSON_AddArrayToObject(root, "launched");
	for (i = 0; l != NULL && i < nlaunched; i++)
		cJSON_AddItemToArray(l, cJSON_CreateString(launched[i]));
	arr = cJSON_AddArrayToObject(root, "actions");
	for (i = 0; arr != NULL && i < p->n; i++) {
		const struct plan_action *a = &p->v[i];

		if ((o = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddItemToArray(arr, o);
		add_str(o, "action", plan_kind_name(a->kind));
		add_str(o, "instance", a->inst != PLAN_NONE ?
		    in->inst[a->inst].id : NULL);
		add_str(o, "runner", a->runner != PLAN_NONE ?
		    in->runners[a->runner].name : a->inst != PLAN_NONE &&
		    in->inst[a->inst].runner[0] != '\0' ?
		    in->inst[a->inst].runner : NULL);
		if (a->runner != PLAN_NONE)
			cJSON_AddNumberToObject(o, "runnerId",
			    (double)in->runners[a->runner].id);
		add_str(o, "reason", a->reason);
		add_str(o, "result", a->result[0] ? a->result : NULL);
	}
	if ((txt = cJSON_PrintUnformatted(root)) == NULL)
		e = error_fmt(ERR_SOFTWARE, "plan: out of memory");
	else {
		e = buf_adds(out, txt);
		cJSON_free(txt);
	}
	cJSON_Delete(root);
	return e;
}
