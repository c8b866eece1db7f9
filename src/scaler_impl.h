/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_SCALER_IMPL_H
#define GHRCTL_SCALER_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "scaler.h"

/* What the scaler's own files share (scaler*.c only). */

/*
 * Remove runner id through the service the runners came from: 0 removed
 * (or already gone), 1 busy (refused), -1 another failure (*ep).
 */
int			 scaler_source_remove(struct scaler *, int64_t id,
			    const struct error **ep);

/*
 * 1 when the runner called name is online or busy (GitHub REST): such a
 * runner is never removed; 0 when it is neither or does not exist; -1
 * when that cannot be told (*ep).
 */
int			 scaler_runner_live(struct scaler *, const char *name,
			    const struct error **ep);

/*
 * The job request id a runner's name carries ("<prefix>r<id>", as a job
 * launch names it) as text in dst, "-" when it names none (a statistics
 * or pool runner): the launch event's job.
 */
const char		*scaler_name_job(const struct scaler *, const char *name,
			    char *dst, size_t size);

/* The id of the runner called name; *found 0 when there is none. */
const struct error	*scaler_source_find(struct scaler *, const char *name,
			    int64_t *id, int *found);

/*
 * Launch n runners for statistics (DryRun: check permissions only); the
 * new instance ids are appended to *ids.  The first failure is returned,
 * the others logged.
 */
const struct error	*scaler_launch_new(struct scaler *,
			    struct scaler_obs *, unsigned int n, char ***ids,
			    size_t *nids);

/*
 * The name of a launch the statistics asked for (drift correction):
 * "<prefix>d<key>-<slot>", key the session holder's decision (the id of
 * the message it handled last; with --source rest the hour, since there
 * is no session), slot counted up from *slot past every name an instance
 * in seen or in o (any state, terminated ones too) or a runner of o
 * has.  The same decision gives the same names, so a retry reproduces
 * its ClientTokens; *slot is left past the name given.
 */
void			 scaler_slot_name(const struct scaler *,
			    unsigned int *slot, const struct ec2_instances *seen,
			    const struct scaler_obs *o, char *dst, size_t size);

/*
 * Observe (assigned as in scaler_observe()), count the launches
 * DescribeInstances does not show yet, plan with s->set, apply.  o, pl
 * and the launched ids are the caller's to release.
 */
const struct error	*scaler_plan_pass(struct scaler *,
			    const int64_t *assigned, struct scaler_obs *o,
			    struct plan *pl, char ***ids, size_t *nids);

/*
 * Warm pools (scaler_pool.c).  scaler_pool_now(): the hot size of now
 * into s->set.min_runners.  scaler_pool_plan(): the pool decisions for
 * o's instances into pl (pool-* actions and pl->warm), the usable
 * stopped instances into s->pool_avail, o's warming and stopped ones
 * marked pool (not runner instances).  scaler_pool_assign(): give the
 * launches of v that no known instance serves the usable stopped
 * instances, in turn (and asks poll --scale for a reconcile, which
 * refills the pool).  scaler_pool_refresh(): when fewer than want are
 * usable and the schedule wants a stopped pool, look at EC2 for stopped
 * pool instances (one DescribeInstances, at most every POOL_LOOK_MS):
 * poll --scale between its reconciles, so a warming instance that
 * stopped serves the next job.  scaler_pool_bind(): bind one (JIT
 * config, sealed delivery recorded, tags runner, pool=bound), not
 * started yet.
 * scaler_pool_start(): StartInstances of the bound ones of v, in one
 * batch (one by one when the batch is refused).  scaler_pool_warm():
 * launch n warming instances (ids appended).  scaler_pool_warming(): the
 * live warming or pool instances of v.
 */
void			 scaler_pool_now(struct scaler *);
void			 scaler_pool_refresh(struct scaler *, size_t want);
void			 scaler_pool_plan(struct scaler *, struct scaler_obs *,
			    struct plan *pl);
void			 scaler_pool_assign(struct scaler *,
			    struct scaler_launch *v, size_t n,
			    const struct ec2_instances *known);
const struct error	*scaler_pool_bind(struct scaler *, const char *name,
			    const char *id, struct ec2_instance *out);
void			 scaler_pool_start(struct scaler *,
			    struct scaler_launch *v, size_t n);
const struct error	*scaler_pool_warm(struct scaler *,
			    struct scaler_obs *, unsigned int n, char ***ids,
			    size_t *nids);
unsigned int		 scaler_pool_warming(const struct ec2_instances *);
int			 scaler_pool_flag(const struct ec2_instance *);

/* A JIT config for name, adopting an earlier launch (scaler_launch.c). */
const struct error	*scaler_jit_for(struct scaler *, const char *name,
			    char **jit, struct ec2_instance *out, int *adopted);

/* Free the launch workers and their clients. */
void			 scaler_workers_free(struct scaler *);

/*
 * The runners of the launch records the replay has not resolved yet
 * (their instances may exist or come with the replay): they count
 * toward MAX_RUNNERS, and no other call launches them meanwhile.
 */
unsigned int		 scaler_held_runners(const struct scaler *);

#endif
