/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_PLAN_H
#define GHRCTL_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/*
 * Scaling decisions, pure: from the observed instances (EC2 tags, state,
 * launch time), the scale set's runners (online/offline, busy), its
 * statistics and the time, decide what to launch, what to retire and
 * what to clean up.  No I/O, no clock.
 *
 * Desired runners, as actions-runner-controller computes them
 * (actions/actions-runner-controller, cmd/ghalistener/worker/worker.go):
 *	desired = min(MIN_RUNNERS + statistics.totalAssignedJobs, MAX_RUNNERS)
 * Live instances are those pending or running.  Warming pool instances
 * (pool.h) are live but no runner: they count toward MAX_RUNNERS, not
 * toward desired, and no rule below touches them.  Rules:
 *  - launch = desired - live when positive, and never so many that live +
 *    launch exceeds MAX_RUNNERS (instances being terminated still count:
 *    their replacements come on the next pass).  plan_room() is the one
 *    place in ghrctl that bounds launches by MAX_RUNNERS: every launch,
 *    by a plan, a job or drift correction, is counted through it;
 *  - stale demand (statistics.totalAssignedJobs stuck above what runs
 *    after a service incident, actions/actions-runner-controller#4397):
 *    when desired > live while a runner of ours has been online and idle
 *    for min_age or longer, the excess is not real (an idle runner would
 *    have taken a waiting job): nothing is launched for it and
 *    plan.stale is set for the caller to log;
 *  - with no_launch (another process holds the message session) nothing
 *    is launched at all; scale-down and cleanup go on;
 *  - scale down (live > desired) retires only instances whose runner is
 *    online and idle, oldest first, none younger than min_age; the caller
 *    removes the runner through the service first (a busy runner is
 *    refused there) and terminates the instance after; an instance whose
 *    launch time is unknown is never retired;
 *  - cleanup classes: an offline runner of ours whose instance is gone
 *    (deregister); a live instance whose runner never came online within
 *    boot_timeout (terminate); a live instance older than max_lifetime
 *    (terminate).  A busy runner's instance is never planned for
 *    termination (reported as kept).
 * Each instance and each runner appears in at most one action.
 */

enum plan_kind {
	PLAN_LAUNCH = 0,	/* count in plan.launch; no per-item action */
	PLAN_RETIRE,		/* scale down: remove runner, then terminate */
	PLAN_DEREGISTER,	/* offline runner whose instance is gone */
	PLAN_BOOT_TIMEOUT,	/* runner never came online: terminate */
	PLAN_LIFETIME,		/* past max lifetime: terminate */
	PLAN_KEEP,		/* would be cleaned up, but the runner is busy */
	/* Warm pools (pool.h, added by the scaler): */
	PLAN_POOL_READY,	/* warmed and stopped: tag "stopped" */
	PLAN_POOL_STOP,		/* warming too long: StopInstances */
	PLAN_POOL_TERMINATE	/* used, stale or surplus pool instance */
};

#define PLAN_NONE	((size_t)-1)

struct plan_instance {
	const char	*id;
	const char	*runner;	/* tag ghrctl:runner, "" if none */
	int		 live;		/* pending or running */
	int64_t		 launch_time;	/* unix seconds, 0 unknown */
	int		 gone;		/* shutting-down or terminated */
	int		 pool;		/* warming or in the stopped pool: no
					   runner, counted only by plan_room() */
};

struct plan_runner {
	int64_t		 id;
	const char	*name;
	int		 online;
	int		 busy;
};

struct plan_settings {
	unsigned int	 min_runners;
	unsigned int	 max_runners;
	int64_t		 min_age;	/* seconds */
	int64_t		 boot_timeout;	/* seconds */
	int64_t		 max_lifetime;	/* seconds, 0: no limit */
	int		 scale;		/* plan launches and scale-down */
	int		 cleanup;	/* plan the cleanup classes */
	int		 no_launch;	/* scale-down only: not the session holder */
};

struct plan_input {
	const struct plan_instance *inst;
	size_t		 ninst;
	const struct plan_runner *runners;
	size_t		 nrunners;
	int64_t		 assigned;	/* totalAssignedJobs; -1 unknown */
	int64_t		 now;		/* unix seconds */
	const char	*prefix;	/* names of our runners start so */
};

struct plan_action {
	enum plan_kind	 kind;
	size_t		 inst;		/* index in input, or PLAN_NONE */
	size_t		 runner;	/* index in input, or PLAN_NONE */
	char		 reason[192];
	char		 result[256];	/* filled by the executor */
};

struct plan {
	unsigned int	 desired;
	unsigned int	 live;
	unsigned int	 launch;
	unsigned int	 warm;		/* pool instances to launch (scaler) */
	int		 have_desired;	/* 0 when statistics were unknown */
	int		 stale;		/* demand beside idle runners: not met */
	struct plan_action *v;
	size_t		 n;
	size_t		 cap;
	/* warm pools (the scaler's): reported when pools is set */
	int		 pools;
	unsigned int	 pool_stopped;	/* usable, in the stopped pool */
	unsigned int	 pool_warming;
};

#define PLAN_INIT	{ 0, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0 }

void			 plan_release(struct plan *);

/* desired = min(min + assigned, max); assigned < 0 counts as 0. */
unsigned int		 plan_desired(unsigned int min_runners,
			    unsigned int max_runners, int64_t assigned);

/*
 * How many of want new runners may launch beside live instances (pending
 * or running, launches in flight included): want, capped so that live +
 * launches never exceeds max_runners.
 */
unsigned int		 plan_room(const struct plan_settings *,
			    unsigned int live, unsigned int want);

/*
 * Drift correction: how many runners to launch so the live runner
 * instances (live less the warming pool instances among them, warming)
 * reach plan_desired() of assigned (0 when assigned < 0, unknown),
 * through plan_room() of every live instance.
 */
unsigned int		 plan_drift(const struct plan_settings *,
			    int64_t assigned, unsigned int live,
			    unsigned int warming);

/* Fill *out (released first) from the settings and observations. */
void			 plan_compute(const struct plan_settings *,
			    const struct plan_input *, struct plan *out);

/*
 * Append an action (the scaler adds the pool's); its reason and result
 * are empty.
 */
struct plan_action	*plan_add(struct plan *, enum plan_kind, size_t inst,
			    size_t runner);

/*
 * "launch", "retire", "deregister", "boot-timeout", "lifetime", "keep",
 * "pool-ready", "pool-stop", "pool-terminate"
 */
const char		*plan_kind_name(enum plan_kind);

/* "1h5m", "30s": a duration for reasons and tables. */
void			 plan_duration(int64_t seconds, char *dst,
			    size_t size);

/*
 * The plan as one JSON object (pure): {"desired", "live", "launch",
 * "dryRun", "launched": [ids], "actions": [{"action", "instance",
 * "runner", "runnerId", "reason", "result"}]}, and with pools "pool":
 * {"stopped", "warming", "warm"}.  launched (may be NULL)
 * are the instance ids the executor started.
 */
const struct error	*plan_format_json(const struct plan *,
			    const struct plan_input *, int dry_run,
			    const char *const *launched, size_t nlaunched,
			    struct buf *out);

#endif
