/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_PACE_H
#define GHRCTL_PACE_H

#include <stdint.h>

#include "config.h"
#include "error.h"

/*
 * Client-side pacing of EC2 calls.  EC2 throttles each account and region
 * with token buckets, one per API action (Amazon EC2 Developer Guide,
 * "Request throttling for the Amazon EC2 API"): every request takes a
 * token from its action's bucket, which refills at a fixed rate up to its
 * capacity; RunInstances, StartInstances and TerminateInstances also take
 * one token per instance from a resource bucket.  ghrctl keeps a mirror of
 * those buckets and takes a token before each attempt of an EC2 call,
 * waiting for one when the bucket is empty, so that a burst of launches
 * never runs into RequestLimitExceeded and never throttles the other tools
 * of the account by retrying into an empty bucket.
 *
 * Sizes are settings (GHRCTL_EC2_LIMIT_*, "CAP/RATE" or
 * "CAP/RATE,CAP/RATE" with the instances' resource bucket second) with
 * the reference's values as defaults:
 *   RunInstances and CreateFleet (one bucket)  5/2, instances 1000/2
 *   StartInstances                             5/2, instances 1000/2
 *   TerminateInstances                         100/5, instances 1000/20
 *   CreateTags, DeleteTags (a bucket each)     100/10
 *   DescribeInstances, GetConsoleOutput and
 *   the other Describe* and Get* (each)        100/20
 *   other mutating actions (each)              50/5
 *
 * Shared: the buckets live in <state dir>/ec2-pace-<endpoint>.json (0600,
 * written to a temp file and renamed, never followed through a symlink),
 * read and written under an exclusive flock of ec2-pace-<endpoint>.lock,
 * so every ghrctl process and every launch worker thread (each with its
 * own client, each flock on its own open file) that uses one state
 * directory draws from one set of buckets.  The lock is held only while
 * the file is read and written, never while waiting.  When the state
 * directory cannot be used, each client paces alone (a warning says so).
 * The processes that share a state directory are taken to share one
 * account; the endpoint names the region.
 *
 * Below a full bucket, PACE_MARGIN_MS of refill is kept in hand: EC2's
 * bucket started when the first call arrived, a little after it was sent.
 * Waiting reserves the token (the level goes below zero), so waiters are
 * served in the order they came, each sleeping just as long as its turn
 * needs.  A wait that would pass the call's deadline is not taken: the
 * call fails at once with ERR_TEMP.  A stop request (sig.h) ends a wait.
 *
 * Adaptive, as the AWS SDKs' "adaptive" retry mode: the other tools and
 * hosts of the account draw from EC2's buckets too, so a
 * RequestLimitExceeded reply means the mirror is fuller than EC2's
 * bucket.  The bucket is then emptied, and its fill rate lowered to 0.7
 * of the rate ghrctl was sending at (measured in half-second slots,
 * smoothed 0.8), not below PACE_MIN_RATE, at most once a second (the
 * replies to calls already under way say nothing new); after that the
 * rate grows back
 * along a cubic curve (CUBIC congestion control: 0.4 (t - K)^3 + Wmax,
 * the shape botocore's adaptive mode uses) up to the configured rate.
 * While lowered, the bucket holds at most max(1, rate) tokens (no
 * bursts).  RequestResourceCountExceeded empties the resource bucket.
 */

#define PACE_MIN_RATE	0.5	/* tokens per second, lowest adaptive rate */
#define PACE_BETA	0.7	/* rate kept after a throttle */
#define PACE_CUBIC_C	0.4	/* cubic growth constant */
#define PACE_SLOT_MS	500	/* send-rate measuring slot */
#define PACE_SMOOTH	0.8	/* weight of the newest slot */
#define PACE_MAX_BUCKETS 32	/* bucket names kept in the file */
#define PACE_MARGIN_MS	100	/* refill kept in hand below a full bucket */

enum pace_class {
	PACE_RUN,		/* RunInstances, CreateFleet */
	PACE_START,		/* StartInstances */
	PACE_TERMINATE,		/* TerminateInstances */
	PACE_TAGS,		/* CreateTags, DeleteTags */
	PACE_DESCRIBE,		/* Describe*, Get*, List*, Search* */
	PACE_MUTATING,		/* any other action */
	PACE_NCLASS
};

/* A class's sizes: tokens and tokens per second; res_cap 0: none. */
struct pace_limit {
	double	 cap, rate;
	double	 res_cap, res_rate;
};

/* One bucket's state, as kept in the file.  Times are wall-clock ms. */
struct pace_bucket {
	double	 level;		/* tokens; < 0 while waiters hold a turn */
	int64_t	 t;		/* when level was computed */
	double	 rate;		/* fill rate now (<= the limit's) */
	double	 wmax;		/* send rate when the last throttle came */
	int64_t	 fail;		/* time of that throttle; 0: recovered */
	double	 mrate;		/* measured send rate, calls per second */
	int64_t	 mslot;		/* start of the current measuring slot */
	double	 mcount;	/* calls sent in that slot */
};

/*
 * Parse "CAP/RATE" or "CAP/RATE,CAP/RATE" (pure): CAP a whole number from
 * 1 to 1000000, RATE a decimal > 0 (e.g. "5/2", "100/0.5,1000/20").
 * Returns -1 on a malformed value.
 */
int		 pace_limit_parse(const char *s, struct pace_limit *out);

/*
 * The class of an EC2 action and the name of the bucket it draws from
 * ("RunInstances" for CreateFleet; the action's own name otherwise).
 */
enum pace_class	 pace_class_of(const char *action, const char **bucket);

/*
 * Resource tokens a call takes (pure): MaxCount for RunInstances, the
 * number of InstanceId.N for StartInstances and TerminateInstances, read
 * from the form body ("Action=...&MaxCount=3&..."); 0 for other actions.
 */
double		 pace_cost(const char *action, const char *form);

/* The bucket math, pure, with the time passed in (ms). */
void		 pace_bucket_init(struct pace_bucket *, double cap,
		    double rate, int64_t now);
/* Capacity now: cap, or max(1, rate) while the rate is lowered. */
double		 pace_bucket_cap(const struct pace_bucket *, double cap,
		    double rate);
/*
 * Take cost tokens at now.  Returns the wait in ms before the call may
 * go (0: at once), the tokens then reserved; or -1, nothing taken, when
 * the wait would be longer than max_wait.
 */
int64_t		 pace_bucket_take(struct pace_bucket *, double cap,
		    double rate, double cost, int64_t now, int64_t max_wait);
/* Record a call sent at now (the measured send rate). */
void		 pace_bucket_sent(struct pace_bucket *, int64_t now);
/* A throttling reply at now: empty the bucket, lower its rate. */
void		 pace_bucket_throttled(struct pace_bucket *, double cap,
		    double rate, int64_t now);
/* Any other reply at now: grow a lowered rate back (cubic). */
void		 pace_bucket_ok(struct pace_bucket *, double cap,
		    double rate, int64_t now);

struct pace;

/*
 * The pacer of one AWS client for the endpoint host[:port] key, with the
 * limits of cfg (GHRCTL_EC2_PACING off: no pacing, *out NULL).  No file
 * is touched before the first call.
 */
const struct error	*pace_new(const struct config *cfg, const char *key,
			    struct pace **out);
void			 pace_free(struct pace *);

/*
 * Before an attempt of action with form body: take its tokens, waiting as
 * long as needed, but not past deadline (now_ms() clock) nor a stop
 * request.  ERR_TEMP when the wait would pass the deadline or was
 * stopped.  NULL pace: nothing to do.
 */
const struct error	*pace_acquire(struct pace *, const char *action,
			    const char *form, int64_t deadline);

/* After a reply to action: code is AWS's error code ("" for success). */
void			 pace_result(struct pace *, const char *action,
			    const char *code);

/* For tests: replace the wall clock and the sleep (both in ms). */
void			 pace_set_clock(struct pace *, int64_t (*now)(void),
			    void (*nap)(int64_t));

#endif
