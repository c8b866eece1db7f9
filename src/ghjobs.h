/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_GHJOBS_H
#define GHRCTL_GHJOBS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * The REST demand source (`scale --source rest`), pure: parsers of the
 * GitHub REST pages the scan reads (an org's repositories, workflow runs,
 * a run's jobs), job-label matching, demand counting and the pool id.
 * No I/O, no clock.  Facts: GitHub REST API "Workflow runs" and "Workflow
 * jobs", as ARC's legacy REST-polling mode used them.
 *
 * A job matches the pool when it has at least one label and every label
 * other than "self-hosted" is one of the pool's labels (ASCII
 * case-insensitive).  Demand counts matching jobs that are "queued" or
 * "in_progress": a job in progress holds an ephemeral runner, so it
 * belongs to the desired total just as statistics.totalAssignedJobs does
 * on the Actions Service path.
 */

#define GHJOBS_MAX_LABELS	100
#define GHJOBS_LABEL_MAX	256
#define GHJOBS_REPO_MAX		256	/* "owner/name" */

struct gh_job {
	int64_t		 id;
	int64_t		 run_id;
	char		 status[24];	/* "queued", "in_progress", ... */
	char		**labels;	/* nlabels, owned */
	size_t		 nlabels;
};

void			 gh_job_release(struct gh_job *);

typedef const struct error *(*gh_job_fn)(void *arg, const struct gh_job *);
typedef const struct error *(*gh_repo_fn)(void *arg, const char *full_name);

/*
 * {"total_count", "jobs": [{"id", "run_id", "status", "labels": [..]}]}:
 * fn for each job in order; a callback error stops the walk.  *n (may be
 * NULL) receives the number of jobs on the page.
 */
const struct error	*ghjobs_job_page(const char *body, size_t len,
			    gh_job_fn fn, void *arg, size_t *n);

/*
 * {"total_count", "workflow_runs": [{"id", "status"}]}: run ids appended
 * to ids[*n..max) (ids already there are not added twice); *seen (may be
 * NULL) receives the number of runs on the page, *full is set when a run
 * did not fit.
 */
const struct error	*ghjobs_run_page(const char *body, size_t len,
			    int64_t *ids, size_t max, size_t *n, size_t *seen,
			    int *full);

/*
 * An org's repository page, [{"full_name", "archived"}]: fn for each
 * repository that is not archived.  *n (may be NULL) receives the page
 * length.
 */
const struct error	*ghjobs_repo_page(const char *body, size_t len,
			    gh_repo_fn fn, void *arg, size_t *n);

/* 1 when a job with labels job[] runs on the pool's runners (above). */
int			 ghjobs_match(const char *const *job, size_t njob,
			    const char *const *pool, size_t npool);

struct gh_demand {
	uint64_t	 queued;	/* matching jobs waiting */
	uint64_t	 running;	/* matching jobs in progress */
	uint64_t	 other;		/* jobs for other labels */
	uint64_t	 jobs;		/* jobs seen */
};

/* Count one job into d. */
void			 ghjobs_count(struct gh_demand *d, const struct gh_job *,
			    const char *const *pool, size_t npool);

/* queued + running, the `assigned` of plan.h. */
int64_t			 ghjobs_demand(const struct gh_demand *);

/*
 * The pool id of a REST-source pool without RUNNER_SCALE_SET_ID: a
 * number in [1000000000, 1999999999] derived from the config URL and the
 * labels (order and case do not matter), so EC2 tags, runner names and
 * ClientTokens stay stable from run to run and distinct between pools.
 */
int64_t			 ghjobs_pool_id(const char *config_url,
			    const char *const *labels, size_t nlabels);

#endif
