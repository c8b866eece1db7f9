/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "pool.h"
#include "util.h"

#include "t.h"

T_REGISTER("pool-schedule", t_pool_schedule)
T_REGISTER("pool-schedule-errors", t_pool_schedule_errors)
T_REGISTER("pool-tz", t_pool_tz)
T_REGISTER("pool-plan", t_pool_plan)

static int64_t
at(const char *rfc3339)
{
	int64_t	 t = 0;

	T_EQ_INT(parse_rfc3339(rfc3339, &t), 0);
	return t;
}

static void
sizes(const struct pool_schedule *s, const char *when, unsigned int hot,
    unsigned int stopped)
{
	unsigned int	 h = 99, st = 99;

	pool_sizes(s, at(when), 1, &h, &st);
	if (h != hot || st != stopped)
		fprintf(stderr, "# at %s: hot %u stopped %u\n", when, h, st);
	T_EQ_INT(h, hot);
	T_EQ_INT(st, stopped);
}

static void
t_pool_schedule(void)
{
	struct pool_schedule	 s;

	memset(&s, 0, sizeof(s));
	T_OK(pool_schedule_parse("mon-fri 08:00-18:00 hot=2 stopped=10; "
	    "* stopped=2", &s));
	T_EQ_INT(s.n, 2);
	/* 2026-12-01 is a Tuesday. */
	sizes(&s, "2026-12-01T08:00:00Z", 2, 10);
	sizes(&s, "2026-12-01T17:59:59Z", 2, 10);
	sizes(&s, "2026-12-01T18:00:00Z", 1, 2);	/* end exclusive */
	sizes(&s, "2026-12-01T07:59:00Z", 1, 2);
	sizes(&s, "2026-12-05T10:00:00Z", 1, 2);	/* Saturday */
	/* POOL_TZ +02:00: 06:00Z is 08:00 there. */
	s.offset = 2 * 3600;
	sizes(&s, "2026-12-01T06:00:00Z", 2, 10);
	sizes(&s, "2026-12-01T16:00:00Z", 1, 2);
	/* Sunday 23:00Z is Monday 01:00 at +02:00: not in 08-18 yet. */
	sizes(&s, "2026-12-06T23:00:00Z", 1, 2);
	s.offset = -5 * 3600;	/* Monday 02:00Z is Sunday 21:00 there */
	T_OK(pool_schedule_parse("sun hot=3", &s));
	sizes(&s, "2026-12-07T02:00:00Z", 3, 0);
	s.offset = 0;
	/* Past midnight: Friday 22:00 to Saturday 06:00 is Friday's. */
	T_OK(pool_schedule_parse("fri 22:00-06:00 stopped=4;sat,sun hot=0",
	    &s));
	sizes(&s, "2026-12-04T23:00:00Z", 1, 4);
	sizes(&s, "2026-12-05T05:59:00Z", 1, 4);
	sizes(&s, "2026-12-05T06:00:00Z", 0, 0);
	sizes(&s, "2026-12-01T03:00:00Z", 1, 0);	/* Tuesday: none */
	/* Wrapping days, whole-day windows, 24:00. */
	T_OK(pool_schedule_parse("fri-mon 00:00-24:00 hot=5", &s));
	sizes(&s, "2026-12-07T23:59:00Z", 5, 0);	/* Monday */
	sizes(&s, "2026-12-08T00:00:00Z", 1, 0);	/* Tuesday */
	/* Blank: no window. */
	T_OK(pool_schedule_parse("  ", &s));
	T_EQ_INT(s.n, 0);
	T_OK(pool_schedule_parse(NULL, &s));
	sizes(&s, "2026-12-01T10:00:00Z", 1, 0);
	/* Before 1970 still gives a weekday (no negative modulo). */
	T_OK(pool_schedule_parse("wed stopped=1", &s));
	sizes(&s, "1969-12-31T12:00:00Z", 1, 1);
}

static void
bad(const char *text, const char *want)
{
	struct pool_schedule	 s;
	const struct error	*e;

	e = pool_schedule_parse(text, &s);
	T_ERR(e, ERR_CONFIG);
	if (e != NULL && strstr(e->msg, want) == NULL) {
		fprintf(stderr, "# '%s': %s\n", text, e->msg);
		T_TRUE(strstr(e->msg, want) != NULL);
	}
}

static void
t_pool_schedule_errors(void)
{
	bad("mon-fir 08:00-18:00 hot=2", "window 1 ('mon-fir 08:00-18:00 "
	    "hot=2'): expected a day after '-'");
	bad("* stopped=2;", "window 2");
	bad("* stopped=2;;* hot=1", "empty window");
	bad("mon", "no size");
	bad("mon 8:00-18:00 hot=1", "expected a time HH:MM");
	bad("mon 08:00-25:00 hot=1", "expected a range");
	bad("mon 08:00-08:00 hot=1", "empty");
	bad("mon 24:00-08:00 hot=1", "cannot start at 24:00");
	bad("08:60-09:00 hot=1", "expected a time");
	bad("* hot=1 hot=2", "hot= given twice");
	bad("* stopped=1 stopped=2", "stopped= given twice");
	bad("* hot=", "expected a number");
	bad("* hot=-1", "expected a number");
	bad("* hot=10001", "from 0 to 10000");
	bad("* cold=1", "expected hot=N or stopped=N");
	bad("* hot=1x", "expected a blank");
	bad("monday hot=1", "expected a blank");
	bad("Mon hot=1", "expected a day");
	bad("*hot=1", "expected a blank");
	bad("* * hot=1", "expected hot=N");
}

static void
t_pool_tz(void)
{
	int	 off = 1;

	T_OK(pool_tz_parse("UTC", &off));
	T_EQ_INT(off, 0);
	T_OK(pool_tz_parse("+02:00", &off));
	T_EQ_INT(off, 7200);
	T_OK(pool_tz_parse("UTC-05:30", &off));
	T_EQ_INT(off, -(5 * 3600 + 30 * 60));
	T_OK(pool_tz_parse("+14:00", &off));
	T_ERR(pool_tz_parse("+14:30", &off), ERR_CONFIG);
	T_ERR(pool_tz_parse("Europe/Berlin", &off), ERR_CONFIG);
	T_ERR(pool_tz_parse("+2:00", &off), ERR_CONFIG);
	T_ERR(pool_tz_parse("+02:00x", &off), ERR_CONFIG);
	T_ERR(pool_tz_parse("", &off), ERR_CONFIG);
}

#define NOW	1800000000

static struct ec2_instance
inst(const char *id, const char *state, const char *pool, int64_t age,
    const char *cfg)
{
	struct ec2_instance	 in;

	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), "%s", id);
	snprintf(in.state, sizeof(in.state), "%s", state);
	snprintf(in.pool, sizeof(in.pool), "%s", pool);
	snprintf(in.pool_config, sizeof(in.pool_config), "%s", cfg);
	in.launch_time = NOW - age;
	return in;
}

/* The kind of the (first) action on instance i, or -1. */
static struct plan pl = PLAN_INIT;

static int
kind(const struct pool_plan *p, size_t i)
{
	size_t	 k;

	(void)p;
	for (k = 0; k < pl.n; k++)
		if (pl.v[k].inst == i)
			return (int)pl.v[k].kind;
	return -1;
}

static void
plan_pool(const struct pool_settings *s, const struct ec2_instance *v,
    size_t n, struct pool_plan *p)
{
	plan_release(&pl);
	pool_plan(s, v, n, NOW, &pl, p);
}

static void
t_pool_plan(void)
{
	struct pool_settings	 s;
	struct pool_plan	 p;
	struct ec2_instance	 v[12];

	memset(&s, 0, sizeof(s));
	memset(&p, 0, sizeof(p));
	s.stopped = 4;
	s.max_stopped = 10;
	s.max_age = 3600;
	s.warm_timeout = 600;
	s.grace = 60;
	s.config = "cfg1";
	s.warm_max = 5;
	v[0] = inst("i-warm", "running", "warming", 30, "cfg1");
	v[1] = inst("i-warmslow", "running", "warming", 700, "cfg1");
	v[2] = inst("i-warmed", "stopped", "warming", 100, "cfg1");
	v[3] = inst("i-pool", "stopped", "stopped", 200, "cfg1");
	v[4] = inst("i-old", "stopped", "stopped", 4000, "cfg1");
	v[5] = inst("i-changed", "stopped", "stopped", 50, "cfg0");
	v[6] = inst("i-used", "stopped", "bound", 50, "cfg1");
	v[6].pool_since = NOW - 120;
	v[7] = inst("i-justbound", "stopped", "bound", 50, "cfg1");
	v[7].pool_since = NOW - 5;
	v[8] = inst("i-boundrun", "running", "bound", 50, "cfg1");
	v[9] = inst("i-rogue", "running", "stopped", 50, "cfg1");
	v[10] = inst("i-plain", "running", "", 50, "");
	v[11] = inst("i-gone", "terminated", "stopped", 50, "cfg1");
	plan_pool(&s, v, 12, &p);
	T_EQ_INT(kind(&p, 0), -1);
	T_EQ_INT(kind(&p, 1), PLAN_POOL_STOP);
	T_EQ_INT(kind(&p, 2), PLAN_POOL_READY);
	T_EQ_INT(kind(&p, 3), -1);
	T_EQ_INT(kind(&p, 4), PLAN_POOL_TERMINATE);
	T_EQ_INT(kind(&p, 5), PLAN_POOL_TERMINATE);
	T_EQ_INT(kind(&p, 6), PLAN_POOL_TERMINATE);
	T_EQ_INT(kind(&p, 7), -1);		/* may be starting right now */
	T_EQ_INT(kind(&p, 8), -1);		/* a runner instance */
	T_EQ_INT(kind(&p, 9), PLAN_POOL_TERMINATE);
	T_EQ_INT(kind(&p, 10), -1);
	T_EQ_INT(kind(&p, 11), -1);
	/* Usable: i-pool (older) first, then i-warmed. */
	T_EQ_INT(p.navail, 2);
	T_EQ_INT(p.avail[0], 3);
	T_EQ_INT(p.avail[1], 2);
	T_EQ_INT(p.warming, 2);
	T_EQ_INT(p.warm, 0);			/* 2 usable + 2 warming */
	/* A larger size warms more, capped per pass and by the ceiling. */
	s.stopped = 20;
	s.max_stopped = 9;
	plan_pool(&s, v, 12, &p);
	T_EQ_INT(p.warm, 5);
	s.max_stopped = 6;
	plan_pool(&s, v, 12, &p);
	T_EQ_INT(p.warm, 2);
	/* A smaller size: the newest usable one goes. */
	s.stopped = 1;
	s.max_stopped = 10;
	plan_pool(&s, v, 12, &p);
	T_EQ_INT(kind(&p, 2), PLAN_POOL_READY);	/* retagged, then surplus */
	T_EQ_INT(p.navail, 1);
	T_EQ_INT(p.avail[0], 3);
	T_EQ_INT(p.warm, 0);
	T_EQ_STR(pool_state_name(pool_state_of("bound")), "bound");
	T_EQ_INT(pool_state_of("nonsense"), POOL_UNKNOWN);
	pool_plan_release(&p);
	plan_release(&pl);
}
