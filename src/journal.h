/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_JOURNAL_H
#define GHRCTL_JOURNAL_H

#include "actions_msg.h"
#include "scaleset.h"

/*
 * The job journal of the scale set: each job message poll and scale see
 * (JobAvailable, JobAssigned, JobStarted, JobCompleted) appended as one
 * JSON line to <state file>.jobs (mode 0600): "at" (when ghrctl saw it),
 * then the message's fields as `poll -o json` prints them (times queued,
 * assigned to the scale set, to a runner, finished; owner, repository,
 * workflow ref, job name, runner, result).  Bounded: past JOURNAL_MAX
 * bytes the file becomes <state file>.jobs.old (replacing the one
 * before).  A failure is one warning, never an error: the journal must
 * not stop the queue.
 */
#define JOURNAL_MAX	(8u << 20)

void	journal_job(const struct cmd_as *, const struct as_job *);

#endif
