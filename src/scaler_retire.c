/*
 * SPDX-License-Identifier: ISC
 *
 * Carrying out a plan (see scaler.h): its launches (scaler_launch.c),
 * then its retirements.  A runner is removed through the service it came
 * from before its instance is terminated, so a busy runner is refused
 * there (the Actions Service's JobStillRunningException, GitHub REST's
 * 422 for "Delete a self-hosted runner") and keeps its instance.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2.h"
#include "log.h"
#include "plan.h"
#include "scaler.h"
#include "scaler_impl.h"
#include "util.h"

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
	if ((rc = scaler_source_remove(s, r->id, &e)) == 0)
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
 * look for its instance by its runner tag.  1 when one exists (kept).
 */
static int
launched_by_token(struct scaler *s, struct scaler_obs *o,
    struct plan_action *a)
{
	struct ec2_instance	 in;
	int			 found = 0;

	if (a->runner == PLAN_NONE || ec2_find_runner(s->aws,
	    s->c->scale_set_id, o->pr[a->runner].name, &in, &found) != NULL ||
	    !found)
		return 0;
	snprintf(a->result, sizeof(a->result), "kept: instance %s found by "
	    "its runner tag", in.id);
	return 1;
}

/* Carry out the actions of kind k of p with one call for all. */
static const struct error *
pool_batch(struct scaler *s, struct scaler_obs *o, struct plan *p,
    enum plan_kind k)
{
	const struct error	*e = NULL;
	const char		**ids;
	size_t			 i, n = 0;
	static const struct ec2_tag ready[] = {
		{ EC2_TAG_POOL, "stopped" }
	};

	ids = xcalloc(p->n + 1, sizeof(*ids));
	for (i = 0; i < p->n; i++)
		if (p->v[i].kind == k)
			ids[n++] = o->pi[p->v[i].inst].id;
	if (n == 0)
		goto out;
	if (k == PLAN_POOL_READY)
		e = ec2_create_tags(s->aws, ids, n, ready, 1, s->dry_run);
	else if (!s->dry_run)
		e = ec2_stop(s->aws, ids, n, NULL);
	for (i = 0; i < p->n; i++) {
		struct plan_action *a = &p->v[i];

		if (a->kind != k)
			continue;
		if (e != NULL)
			snprintf(a->result, sizeof(a->result), "failed: "
			    "%.240s", e->msg);
		else if (s->dry_run)
			snprintf(a->result, sizeof(a->result), "dry-run: "
			    "would %s", k == PLAN_POOL_READY ? "tag stopped" :
			    "stop");
		else
			snprintf(a->result, sizeof(a->result), "%s",
			    k == PLAN_POOL_READY ? "in the stopped pool" :
			    "stopping");
	}
out:
	free(ids);
	return e;
}

/* The pool's tags and stops (its terminations go with the others). */
static const struct error *
pool_actions(struct scaler *s, struct scaler_obs *o, struct plan *p)
{
	const struct error	*e, *e2;

	e = pool_batch(s, o, p, PLAN_POOL_READY);
	e2 = pool_batch(s, o, p, PLAN_POOL_STOP);
	return e != NULL ? e : e2;
}

/* see scaler.h */
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
		e = scaler_launch_new(s, o, p->launch, ids, nids);
	if (p->warm > 0 && !s->dry_run && (te = scaler_pool_warm(s, o,
	    p->warm, ids, nids)) != NULL && e == NULL)
		e = te;
	if ((te = pool_actions(s, o, p)) != NULL && e == NULL)
		e = te;
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
		case PLAN_POOL_TERMINATE:
			which[nterm] = i;
			term[nterm++] = o->pi[a->inst].id;
			break;
		case PLAN_LAUNCH:
		case PLAN_POOL_READY:
		case PLAN_POOL_STOP:
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
