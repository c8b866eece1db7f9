/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_POOL_H
#define GHRCTL_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "ec2.h"
#include "error.h"
#include "plan.h"

/*
 * Warm pools, pure (no I/O, no clock): the schedule of pool sizes and
 * the decisions about pool instances.  See ghrctl.conf(5), WARM POOLS.
 *
 * Two pools:
 *  - hot: idle registered runners, always on.  Its size is MIN_RUNNERS,
 *    or the hot= of the schedule window in force: desired runners are
 *    hot + statistics.totalAssignedJobs (plan.h).  There is one setting
 *    model: MIN_RUNNERS is the hot size of every moment no window with
 *    hot= covers.
 *  - stopped: on-demand instances launched ahead of demand ("warming",
 *    first boot: volumes read once), stopped by themselves (`ghrctl boot`
 *    sees the pool tag and exits; the user data powers off, and
 *    InstanceInitiatedShutdownBehavior=stop keeps the instance) or by
 *    ghrctl (StopInstances) when that did not happen within the warm
 *    timeout; on demand, bound to a runner (tags) and started in batches
 *    (StartInstances); their `ghrctl boot` then waits for the sealed
 *    config as a fresh instance does.  Size: the stopped= of the window
 *    in force, else 0; never more than POOL_MAX_STOPPED.
 *
 * The tag ghrctl:pool holds the state: "warming" (launched, first boot),
 * "stopped" (in the pool), "bound" (given to a runner: a one-job instance
 * from then on, never put back).  ghrctl:pool-since is when ghrctl set
 * "bound" (unix seconds), ghrctl:pool-config the launch settings it was
 * made with (pool_config_key()).
 *
 * Schedule syntax (POOL_SCHEDULE): windows separated by ';', the first
 * that covers the time wins:
 *	window	= when size { size }
 *	when	= "*" | days [ " " range ] | range
 *	days	= day [ "-" day ] { "," day [ "-" day ] }   (mon .. sun)
 *	range	= HH:MM "-" HH:MM   (end exclusive, 24:00 allowed; an end
 *		  before the start runs past midnight)
 *	size	= ( "hot" | "stopped" ) "=" N
 * e.g. "mon-fri 08:00-18:00 hot=2 stopped=10; * stopped=2".  Times are
 * read in POOL_TZ: "UTC" or a fixed offset "+HH:MM" / "-HH:MM" (the
 * binary is static and reads no zoneinfo files: a fixed offset means
 * the same on every host, and a change of daylight saving time is a
 * change of the setting).
 */

#define POOL_WINDOWS_MAX	32
#define POOL_SIZE_MAX		10000
#define POOL_CONFIG_KEY_LEN	16

enum pool_state {
	POOL_NONE = 0,		/* not a pool instance */
	POOL_WARMING,
	POOL_STOPPED,
	POOL_BOUND,
	POOL_UNKNOWN		/* a value this version does not know */
};

struct pool_window {
	unsigned int	 days;		/* bit 0 Monday .. bit 6 Sunday */
	int		 start, end;	/* minutes of the day; -1: all day */
	int		 hot;		/* -1: MIN_RUNNERS */
	int		 stopped;	/* -1: 0 */
};

struct pool_schedule {
	struct pool_window w[POOL_WINDOWS_MAX];
	size_t		 n;
	int		 offset;	/* seconds east of UTC */
};

/*
 * Parse text into *out (windows only; the offset is left alone).  Empty
 * or blank text is no window.  ERR_CONFIG naming the window and what is
 * wrong in it.
 */
const struct error	*pool_schedule_parse(const char *text,
			    struct pool_schedule *out);

/* POOL_TZ: "UTC", "Z", "+HH:MM", "-HH:MM" into *offset (seconds). */
const struct error	*pool_tz_parse(const char *text, int *offset);

/*
 * The sizes at unix time now: *hot (min_runners unless the window says),
 * *stopped (0 unless the window says).
 */
void			 pool_sizes(const struct pool_schedule *, int64_t now,
			    unsigned int min_runners, unsigned int *hot,
			    unsigned int *stopped);

/* The state a ghrctl:pool tag value names. */
enum pool_state		 pool_state_of(const char *tag);
const char		*pool_state_name(enum pool_state);

/*
 * The launch settings a pool instance was made with, as the value of
 * ghrctl:pool-config: POOL_CONFIG_KEY_LEN hex digits of SHA-256 of the
 * AMI, instance types, launch template and its version.
 */
void			 pool_config_key(const struct ec2_launch *,
			    char out[POOL_CONFIG_KEY_LEN + 1]);

struct pool_settings {
	unsigned int	 stopped;	/* the schedule's size now */
	unsigned int	 max_stopped;	/* POOL_MAX_STOPPED */
	int64_t		 max_age;	/* POOL_MAX_AGE, seconds */
	int64_t		 warm_timeout;	/* seconds a first boot may take */
	int64_t		 grace;		/* a bound instance may show stopped */
	const char	*config;	/* pool_config_key() of today's launch */
	unsigned int	 warm_max;	/* launches per pass */
};

/*
 * The pool decisions for instances v[0..n) (one scale set's, any state),
 * appended to pl as PLAN_POOL_* actions (inst: the index into v):
 *  - warming and running past warm_timeout: stop (PLAN_POOL_STOP: it did
 *    not stop itself); warming and stopped: PLAN_POOL_READY, tag
 *    "stopped" (and usable);
 *  - stopped in the pool: terminate (PLAN_POOL_TERMINATE) when older than max_age (its launch
 *    time), made with other launch settings (config), or more than the
 *    size (oldest first) or max_stopped; else usable (avail, oldest
 *    first: the first to go);
 *  - "stopped" but pending or running (not started by ghrctl, which
 *    binds first): terminate;
 *  - bound and stopping or stopped (its job is done, or ghrctl stopped
 *    between binding and StartInstances) for grace seconds: terminate;
 *    a pool instance is never reused;
 *  - warm = stopped - (usable + warming), capped by max_stopped and
 *    warm_max; the caller caps it by MAX_RUNNERS (plan_room()).
 * Bound and running instances are runner instances (plan.h).
 */
struct pool_plan {
	size_t		*avail;		/* indices of usable stopped ones */
	size_t		 navail;
	unsigned int	 warming;	/* warming, not yet stopped */
	unsigned int	 stopped;	/* usable stopped */
	unsigned int	 warm;		/* launch this many warming */
};

void			 pool_plan(const struct pool_settings *,
			    const struct ec2_instance *v, size_t n,
			    int64_t now, struct plan *pl, struct pool_plan *out);
void			 pool_plan_release(struct pool_plan *);

#endif
