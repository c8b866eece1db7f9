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

/* Free the launch workers and their clients. */
void			 scaler_workers_free(struct scaler *);

#endif
