/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_JOURNAL_H
#define GHRCTL_JOURNAL_H

#include "actions_msg.h"
#include "scaleset.h"
#include "state.h"

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

/* One job of the journal: its messages merged by runnerRequestId. */
#define JOURNAL_FIELD	256
struct journal_job {
	int64_t		 req;
	char		 repo[JOURNAL_FIELD], workflow[JOURNAL_FIELD];
	char		 name[JOURNAL_FIELD], runner[JOURNAL_FIELD];
	char		 result[64], labels[JOURNAL_FIELD];
	int64_t		 queued, assigned, started, finished;	/* 0: unknown */
};

/*
 * Read the journal of the state file sf (<path>.jobs.old, then <path>.jobs;
 * missing files are empty, torn or foreign lines skipped) into *v, one
 * entry per job in the order first seen; free(*v).  ERR_CONFIG for a path
 * too long.
 */
const struct error	*journal_read(const struct state_file *,
			    struct journal_job **v, size_t *n);

#endif
