/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_SCALER_H
#define GHRCTL_SCALER_H

#include <stddef.h>
#include <stdint.h>

#include "actions_msg.h"
#include "aws.h"
#include "cmd.h"
#include "ec2.h"
#include "plan.h"
#include "pool.h"
#include "scaleset.h"

/*
 * The EC2 scaler, one domain layer below the commands `scale`, `cleanup`
 * and `poll --scale`: it observes a scale set (EC2 instances by tag
 * (scaler_observe.c), its runners, its statistics), lets plan.c decide
 * (plan.c alone decides how many may launch: MAX_RUNNERS is enforced
 * there), launches and binds runners (JIT config, user data from
 * userdata.c, RunInstances: scaler_launch.c) and retires them (removal
 * through the service first, then TerminateInstances: scaler_retire.c).
 * The session holder (`poll`) feeds it each message's statistics and
 * jobs (scaler_events.c).
 *
 * Runner names are "ghrctl-<scale set id>-<suffix>": "r<runnerRequestId>"
 * for a job the session holder acquired or was assigned (the same request
 * always gives the same name and so the same ClientTokens),
 * "d<key>-<slot>" for a launch that statistics asked for, keyed to the
 * message the session holder decided it at (scaler_slot_name()); never
 * random, so a retry or a second process reproduces the same tokens.
 */

#define SCALER_PREFIX_MAX	64

struct scaler_worker;
struct scaler_launch;

struct scaler {
	struct ctx		*ctx;
	struct cmd_as		*c;		/* borrowed */
	struct aws		*aws;
	struct ec2_launch	 launch;
	struct plan_settings	 set;
	char			 prefix[SCALER_PREFIX_MAX];
	char			 set_id[32];
	char			*tmpl;		/* user-data template text */
	int			 dry_run;
	char			 types[1024];
	char			 subnets[1024];
	char			 groups[1024];
	uint64_t		 launched;	/* instances started */
	uint64_t		 terminated;
	/* --source rest: JIT configs and removal through GitHub REST */
	int			 rest;
	const char		*labels[CA_LABELS_MAX + 2];
	size_t			 nlabels;
	char			 labelbuf[4096];
	int64_t			 group_id;
	/* scaler_launch_all(): launch workers, each with its own clients */
	const char		*endpoint;	/* --endpoint-url or NULL */
	unsigned int		 concurrency;	/* GHRCTL_LAUNCH_CONCURRENCY */
	unsigned int		 batch_max;	/* GHRCTL_LAUNCH_BATCH */
	struct scaler_worker	*workers;	/* made on first use */
	size_t			 nworkers;
	/* the session holder's view (scaler_events.c) */
	struct ec2_instances	 known;		/* live as far as we know */
	struct scaler_launch	*batch;		/* a message's launches */
	size_t			 nbatch, capbatch;
	int			 have_known;	/* a full reconcile was done */
	int			 reconcile;	/* one is wanted */
	int64_t			 reconciled_ms;
	int64_t			 assigned;	/* -1 until statistics came */
	struct ec2_instances	 unseen;	/* launched, not yet Described */
	int64_t			 drift_key;	/* see scaler_slot_name() */
	int			 stale;		/* last plan: stale demand */
	int			 stale_logged;
	/* warm pools (scaler_pool.c) */
	struct pool_schedule	 pool;		/* POOL_SCHEDULE, POOL_TZ */
	unsigned int		 min_runners;	/* MIN_RUNNERS: hot default */
	unsigned int		 pool_max_stopped;
	int64_t			 pool_max_age;
	char			 pool_config[POOL_CONFIG_KEY_LEN + 1];
	struct ec2_instances	 pool_avail;	/* stopped, usable, oldest first */
	int64_t			 pool_looked_ms; /* scaler_pool_refresh() */
	struct {
		char		 id[EC2_ID_MAX];
		int64_t		 at;		/* unix seconds */
	}			 pool_taken[64]; /* bound lately: never twice */
	size_t			 pool_ntaken;
	struct ec2_launch	 pool_launch;	/* on-demand, stop on shutdown */
};

/* Options the commands share. */
struct scaler_opts {
	int		 dry_run;
	const char	*endpoint;	/* --endpoint-url or NULL */
	const char	*user_data;	/* --user-data-template or NULL */
	const char	*min_age;	/* durations as given, or NULL */
	const char	*boot_timeout;
	const char	*source;	/* --source as given, or NULL */
	int		 rest;		/* runners through GitHub REST */
	int		 no_launch;	/* cleanup: RUNNER_GROUP not needed */
};

/*
 * The options scale, cleanup and poll --scale share: their entries for a
 * command's option table, and one handler.  Keys from SCALER_KEY_BASE up
 * are reserved for them.
 */
#define SCALER_KEY_BASE		512
#define SCALER_KEY_MIN_AGE	(SCALER_KEY_BASE + 0)
#define SCALER_KEY_BOOT		(SCALER_KEY_BASE + 1)
#define SCALER_KEY_USER_DATA	(SCALER_KEY_BASE + 2)
#define SCALER_KEY_ENDPOINT	(SCALER_KEY_BASE + 3)
#define SCALER_KEY_SOURCE	(SCALER_KEY_BASE + 4)

#define SCALER_OPT_DRY_RUN	{ "dry-run", 'n', OPT_NONE, NULL,	\
	    "change nothing; check permissions with EC2 DryRun" }
#define SCALER_OPT_MIN_AGE	{ "min-age", SCALER_KEY_MIN_AGE, OPT_REQ, \
	    "DURATION", "retire no instance younger than this "	\
	    "(GHRCTL_MIN_AGE, 5m)" }
#define SCALER_OPT_BOOT		{ "boot-timeout", SCALER_KEY_BOOT,	\
	    OPT_REQ, "DURATION", "terminate an instance whose runner is " \
	    "not online by then (GHRCTL_BOOT_TIMEOUT, 10m)" }
#define SCALER_OPT_USER_DATA	{ "user-data-template",		\
	    SCALER_KEY_USER_DATA, OPT_REQ, "FILE",			\
	    "user-data template (GHRCTL_USER_DATA_TEMPLATE)" }
#define SCALER_OPT_ENDPOINT	{ "endpoint-url", SCALER_KEY_ENDPOINT,	\
	    OPT_REQ, "URL", "EC2 endpoint (else AWS_ENDPOINT_URL_EC2)" }

/* --source: each command says what it means there. */
#define SCALER_OPT_SOURCE(help)	{ "source", SCALER_KEY_SOURCE, OPT_REQ, \
	    "SOURCE", help }

/*
 * Take a shared option (-n or a SCALER_KEY_*) into *so.  Returns 1 when
 * key was one of them, 0 otherwise (the command handles it).
 */
int			 scaler_opt(struct scaler_opts *so, int key,
			    const char *val);

/*
 * The source from --source (o->source) or GHRCTL_SOURCE: "actions" or
 * "rest" (setting o->rest); anything else is ERR_USAGE.
 */
const struct error	*scaler_source(struct ctx *, struct scaler_opts *o);

/*
 * Open c for a one-shot command: the source from --source (o->source)
 * or GHRCTL_SOURCE, "actions" or "rest" (anything else is ERR_USAGE),
 * setting o->rest; the GitHub and Actions clients (cmd_as_open()); then
 * for actions the scale set and its locked state (cmd_as_begin()), for
 * rest the pool id (RUNNER_SCALE_SET_ID, else ghjobs_pool_id() of the
 * config URL and RUNNER_LABELS) and the pool's locked state file
 * "rest-<pool id>" (cmd_as_state()).  The lock is taken without waiting.
 * No network traffic for rest.
 */
const struct error	*scaler_begin(struct ctx *, struct cmd_as *c,
			    struct scaler_opts *o);

/*
 * Set up from ctx's configuration (c must have its scale set id): the
 * AWS client, the launch settings, the template.  ERR_CONFIG when neither
 * EC2_AMI_ID nor EC2_LAUNCH_TEMPLATE is set, when EC2_SUBNET_ID is
 * missing (every launch names its subnet for zonal idempotency), or when
 * the template cannot be read.  No network traffic.
 *
 * With o->rest (`--source rest`, no Actions Service) c->scale_set_id is
 * the pool id (see ghjobs_pool_id()) and c->as is not used: runners get
 * their JIT config from GitHub REST (POST .../generate-jitconfig with
 * "self-hosted" plus RUNNER_LABELS and the runner group id: RUNNER_GROUP
 * "Default" is 1, a number is taken as the id, any other name is looked
 * up once here with github_runner_group_find(), ERR_CONFIG naming the
 * group when the scope has none of that name; not with o->no_launch)
 * and are removed with the REST runner DELETE (a busy runner answers 422
 * and keeps its instance).  That lookup is the only request made here.
 */
const struct error	*scaler_open(struct ctx *, struct cmd_as *c,
			    const struct scaler_opts *, struct scaler *);
void			 scaler_close(struct scaler *);

/* What a pass observed; release with scaler_obs_release(). */
struct scaler_obs {
	struct ec2_instances	 inst;
	struct plan_instance	*pi;
	struct plan_runner	*pr;
	size_t			 nrunners;
	size_t			 cap;
	struct plan_input	 in;
};

void			 scaler_obs_init(struct scaler_obs *);
void			 scaler_obs_release(struct scaler_obs *);

/*
 * Observe: the scale set's instances (DescribeInstances by tag), its
 * runners (GitHub REST, names with our prefix) and, when assigned is
 * NULL, its statistics (scale set GET; unknown when the service sends
 * none).  now is unix seconds.
 */
const struct error	*scaler_observe(struct scaler *, const int64_t *assigned,
			    int64_t now, struct scaler_obs *);

/*
 * Add the instances of extra that the last observation lacks (launched
 * moments ago: DescribeInstances is eventually consistent), so they
 * count toward MAX_RUNNERS.  Call before plan_compute().
 */
void			 scaler_obs_merge(struct scaler_obs *,
			    const struct ec2_instances *extra);

/*
 * Replay the batch launches a run before a crash recorded in the state
 * file and did not finish: the same RunInstances (same ClientToken, same
 * parameters, user data rendered alike), so EC2 returns the instances it
 * made then (or none were made, and none are now: a refusal drops the
 * record); each instance is tagged with its runner by launch index.
 * Records whose outcome stays unknown are kept; the first such error is
 * returned.  The instances bound are appended to out (may be NULL).
 * Done before any new launch and before each pass observes.
 */
const struct error	*scaler_replay(struct scaler *, struct ec2_instances *out);

/* One launch of scaler_launch_all(): name in; out, skipped and e back. */
struct scaler_launch {
	char			 name[EC2_NAME_MAX];
	char			 pool_id[EC2_ID_MAX];	/* bind this one */
	struct ec2_instance	 out;
	int			 skipped;
	const struct error	*e;	/* NULL: launched (or skipped) */
	struct error		 err;	/* what e points at */
	/* while launching */
	char			*jit;	/* its JIT config (a secret) */
	int			 held;	/* failed, may exist: left as is */
	int			 reused;	/* EC2 returned an earlier one */
	int			 fell_back;	/* on-demand after spot */
};

/*
 * Launch runners v[0..n) (names distinct): first, up to s->concurrency at
 * a time on worker threads (each with its own HTTP, GitHub, Actions and
 * AWS clients, made on first use and kept until scaler_close(); the
 * Actions admin token is shared, so workers do not register again), each
 * runner is skipped when an instance with its runner tag is known (out
 * then holds it, skipped = 1), or gets its JIT config (after a name
 * collision: adopt the instance an earlier run launched and tagged for
 * it, or remove the stale runner and try once more).  Then, on this
 * thread, pending launches of a run before a crash are replayed
 * (scaler_replay()) and the runners are launched in batches of at most
 * EC2_BATCH_MAX, one RunInstances with MaxCount=N per launch choice (see
 * scaler_launch.c), each instance tagged with its runner.  Every launch
 * is attempted; each result is in its entry.  After a stop request
 * (sig.h) nothing more is started (those left get ERR_TEMP).
 */
void			 scaler_launch_all(struct scaler *,
			    struct scaler_launch *v, size_t n,
			    const struct ec2_instances *known);

/*
 * Carry out a plan: plan->launch new runners (ids appended to
 * launched/nlaunched, malloc'd, free with scaler_ids_free()), then each
 * action, writing its result.  Retire and terminate actions remove the
 * runner through the service first: JobStillRunningException keeps the
 * instance.  Instances are terminated in batches.  With dry_run every
 * EC2 call carries DryRun=true and nothing is removed.  Returns the first
 * error that stopped the pass; failures of single actions are in their
 * results (and logged).
 */
const struct error	*scaler_apply(struct scaler *, struct scaler_obs *,
			    struct plan *, char ***launched, size_t *nlaunched);
void			 scaler_ids_free(char **, size_t);

/* Print a plan as a table or JSON on stdout. */
const struct error	*scaler_print(const struct scaler *, enum out_fmt,
			    const struct plan *, const struct scaler_obs *,
			    char **launched, size_t nlaunched);

/*
 * One pass of the one-shot commands (scale, cleanup): observe, with
 * *assigned as the demand when non-NULL (else the scale set's
 * statistics), plan with s->set as the caller set it, apply (DryRun
 * checks only with dry_run), and print the plan in fmt.  The first error
 * is returned; the plan is printed whatever happened.
 */
const struct error	*scaler_pass(struct scaler *, const int64_t *assigned,
			    enum out_fmt);

/*
 * The session holder's scaler (`poll --scale`, and `scale` while it holds
 * the session), fed message by message (scaler_events.c).
 * scaler_message_begin() before a message's entries (its id keys the
 * names of drift launches); scaler_stats() with its statistics (the
 * demand); scaler_acquired() with the job requests acquirejobs returned
 * (each gets a runner named for its runnerRequestId: a replayed job finds
 * the instance it has); scaler_job() for each job: a JobAssigned is
 * served like an acquired job, a JobAvailable not at all (never launch
 * for a job that was not acquired), a JobCompleted terminates the
 * finished runner's instance and asks for a full reconcile;
 * scaler_message_done() after the entries (or after an empty poll):
 * launches what was queued, then corrects drift against the statistics
 * and runs a full reconcile (observe, plan with scale-down and cleanup,
 * apply) at the start, after a JobCompleted and every
 * SCALER_RECONCILE_MS.  A failure of a job's own launch that may pass is
 * returned, so the message is not acknowledged and comes again; drift
 * correction and reconciles only log theirs, and never hold the queue.
 */
#define SCALER_RECONCILE_MS	(60 * 1000)

void			 scaler_message_begin(struct scaler *,
			    int64_t message_id);
void			 scaler_stats(struct scaler *, const struct as_stats *);
const struct error	*scaler_acquired(struct scaler *, const int64_t *ids,
			    size_t n);
const struct error	*scaler_job(struct scaler *, const struct as_job *);
const struct error	*scaler_message_done(struct scaler *);

/*
 * A full reconcile of the session holder: observe (with the statistics
 * of the last message as the demand, else the scale set's), count its
 * own launches that DescribeInstances does not list yet (and only those:
 * an instance EC2 lists, or lists as gone, is EC2's to judge), plan with
 * scale-down and cleanup, apply.  Without launch_ok nothing is launched.
 */
const struct error	*scaler_reconcile(struct scaler *, int launch_ok);

#endif
