/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_METRICS_H
#define GHRCTL_METRICS_H

#include <stdint.h>

#include "actions_msg.h"
#include "buf.h"
#include "ec2.h"

/*
 * Prometheus metrics of one process (text exposition format 0.0.4), with
 * the names and labels of GitHub's listener (actions-runner-controller,
 * cmd/ghalistener/metrics/metrics.go) so its dashboards work: gauges
 * gha_* labelled name, repository, organization, enterprise, namespace
 * (ghrctl's namespace: the scope of GITHUB_CONFIG_URL, "acme" or
 * "acme/app" or "enterprises/slug"); counters and histograms of jobs
 * labelled repository, organization, enterprise, job_name,
 * job_workflow_ref, event_name (and job_result when completed).  Beyond
 * the listener: gha_available_jobs and gha_acquired_jobs (the statistics'
 * totalAvailableJobs and totalAcquiredJobs, which the listener drops:
 * actions-runner-controller issue 4429) and ghrctl_* counters.  The
 * counters are safe to bump from launch worker threads.
 */

#define METRICS_MAX	(4u << 20)	/* the rendered text */

void	metrics_scale_set(const char *name, const char *ns, const char *org,
	    const char *repo, const char *enterprise);
void	metrics_static(int64_t min, int64_t max);
void	metrics_stats(const struct as_stats *);
void	metrics_desired(int64_t);
/* A JobStarted or JobCompleted message: counter and histogram. */
void	metrics_job(const struct as_job *);
/* An instance launched (reused: one a retry found, not counted). */
void	metrics_launch(int reused);
/* A launch failed with this AWS error code ("" or NULL: "none"). */
void	metrics_launch_error(const char *code);
void	metrics_throttled(void);
/* The scale set's instances as DescribeInstances listed them: by state. */
void	metrics_instances(const struct ec2_instance *, size_t n);

const struct error	*metrics_render(struct buf *);
/* Write the exposition to path atomically (temp file, rename; 0644). */
const struct error	*metrics_write_file(const char *path);

#endif
