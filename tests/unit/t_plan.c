/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of plan.c: the desired count, launches capped by
 * MAX_RUNNERS, scale-down of idle runners only (oldest first, min age),
 * the three cleanup classes, and property loops over random observations
 * asserting the invariants whatever the input.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "plan.h"
#include "t.h"

T_REGISTER("plan-desired", t_plan_desired)
T_REGISTER("plan-scale", t_plan_scale)
T_REGISTER("plan-cleanup", t_plan_cleanup)
T_REGISTER("plan-room", t_plan_room)
T_REGISTER("plan-json", t_plan_json)
T_REGISTER("plan-property", t_plan_property)

#define NOW	1800000000

static const struct plan_settings base = {
	0, 10, 300, 600, 3600, 1, 0, 0
};

static void
t_plan_desired(void)
{
	T_EQ_INT(plan_desired(0, 10, 3), 3);
	T_EQ_INT(plan_desired(2, 10, 3), 5);
	T_EQ_INT(plan_desired(2, 10, 30), 10);
	T_EQ_INT(plan_desired(0, 50, 200), 50);
	T_EQ_INT(plan_desired(5, 3, 0), 3);
	T_EQ_INT(plan_desired(1, 10, -1), 1);
	T_EQ_INT(plan_desired(0, 0, 5), 0);
	T_EQ_INT(plan_desired(10000, 10000, 9223372036854775807LL), 10000);
}

static size_t
count(const struct plan *p, enum plan_kind k)
{
	size_t	 i, n = 0;

	for (i = 0; i < p->n; i++)
		n += p->v[i].kind == k;
	return n;
}

static void
t_plan_scale(void)
{
	struct plan_instance	 in[4] = {
		{ "i-1", "g-1", 1, NOW - 1000, 0, 0 },	/* idle, old */
		{ "i-2", "g-2", 1, NOW - 2000, 0, 0 },	/* idle, oldest */
		{ "i-3", "g-3", 1, NOW - 3000, 0, 0 },	/* busy, oldest of all */
		{ "i-4", "g-4", 1, NOW - 60, 0, 0 },		/* idle, too young */
	};
	struct plan_runner	 r[4] = {
		{ 1, "g-1", 1, 0 }, { 2, "g-2", 1, 0 }, { 3, "g-3", 1, 1 },
		{ 4, "g-4", 1, 0 },
	};
	/* Launch checks with every runner busy (idle ones: stale demand). */
	struct plan_runner	 rb[4] = {
		{ 1, "g-1", 1, 1 }, { 2, "g-2", 1, 1 }, { 3, "g-3", 1, 1 },
		{ 4, "g-4", 1, 1 },
	};
	struct plan_input	 pi = { in, 4, rb, 4, 7, NOW, "g-" };
	struct plan		 p = PLAN_INIT;
	struct plan_settings	 s = base;

	plan_compute(&s, &pi, &p);
	T_EQ_INT(p.desired, 7);
	T_EQ_INT(p.live, 4);
	T_EQ_INT(p.launch, 3);
	T_EQ_INT(p.n, 0);
	s.max_runners = 5;
	plan_compute(&s, &pi, &p);
	T_EQ_INT(p.launch, 1);		/* 4 live + 1 = MAX */
	s.max_runners = 3;		/* already over MAX: nothing */
	plan_compute(&s, &pi, &p);
	T_EQ_INT(p.launch, 0);
	/* Scale down to 0: idle ones old enough, oldest first. */
	s = base;
	pi.runners = r;
	pi.assigned = 0;
	plan_compute(&s, &pi, &p);
	T_EQ_INT(p.launch, 0);
	T_EQ_INT(p.n, 2);
	T_EQ_INT(p.v[0].kind, PLAN_RETIRE);
	T_EQ_STR(in[p.v[0].inst].id, "i-2");
	T_EQ_STR(in[p.v[1].inst].id, "i-1");
	T_EQ_INT(r[p.v[1].runner].id, 1);
	/* Only one too many: the oldest idle goes. */
	pi.assigned = 3;
	plan_compute(&s, &pi, &p);
	T_EQ_INT(p.n, 1);
	T_EQ_STR(in[p.v[0].inst].id, "i-2");
	/* Unknown statistics: no launch, no scale-down. */
	pi.assigned = -1;
	plan_compute(&s, &pi, &p);
	T_EQ_INT(p.have_desired, 0);
	T_EQ_INT(p.launch + p.n, 0);
	/* Not live instances are not counted. */
	pi.runners = rb;
	pi.assigned = 4;
	in[0].live = 0;
	plan_compute(&s, &pi, &p);
	T_EQ_INT(p.live, 3);
	T_EQ_INT(p.launch, 1);
	plan_release(&p);
}

/*
 * plan_room() is the one bound on launches; stale demand beside idle
 * runners, no_launch (not the session holder) and instances EC2 lists as
 * gone.
 */
static void
t_plan_room(void)
{
	struct plan_instance	 in[3] = {
		{ "i-1", "g-1", 1, NOW - 1000, 0, 0 },	/* idle, old */
		{ "i-2", "g-2", 1, NOW - 60, 0, 0 },	/* idle, young */
		{ "i-3", "g-3", 0, NOW - 60, 1, 0 },	/* terminated */
	};
	struct plan_runner	 r[3] = {
		{ 1, "g-1", 1, 0 }, { 2, "g-2", 1, 0 }, { 3, "g-3", 0, 0 },
	};
	struct plan_input	 pi = { in, 3, r, 3, 6, NOW, "g-" };
	struct plan		 p = PLAN_INIT;
	struct plan_settings	 s = base;

	s.max_runners = 5;
	T_EQ_INT(plan_room(&s, 0, 9), 5);
	T_EQ_INT(plan_room(&s, 4, 9), 1);
	T_EQ_INT(plan_room(&s, 5, 1), 0);
	T_EQ_INT(plan_room(&s, 7, 1), 0);
	T_EQ_INT(plan_drift(&s, 3, 1, 0), 2);
	T_EQ_INT(plan_drift(&s, 50, 1, 0), 4);
	T_EQ_INT(plan_drift(&s, -1, 0, 0), 0);
	/* Warming pool instances: toward MAX_RUNNERS, not toward desired. */
	T_EQ_INT(plan_drift(&s, 2, 3, 2), 1);
	T_EQ_INT(plan_drift(&s, 3, 4, 3), 1);
	/* An idle runner online for min_age: more demand is stale. */
	plan_compute(&s, &pi, &p);
	T_EQ_INT(p.live, 2);
	T_EQ_INT(p.stale, 1);
	T_EQ_INT(p.launch, 0);
	/* Only young idle runners: launched for. */
	in[0].launch_time = NOW - 60;
	plan_compute(&s, &pi, &p);
	T_EQ_INT(p.stale, 0);
	T_EQ_INT(p.launch, 3);
	/* Not the session holder: nothing launched. */
	s.no_launch = 1;
	plan_compute(&s, &pi, &p);
	T_EQ_INT(p.launch, 0);
	/* The runner of a terminated instance is an orphan. */
	s = base;
	s.cleanup = 1;
	plan_compute(&s, &pi, &p);
	T_EQ_INT(p.n, 1);
	if (p.n == 1) {
		T_EQ_INT(p.v[0].kind, PLAN_DEREGISTER);
		T_EQ_INT(p.v[0].runner, 2);
	}
	plan_release(&p);
}

static void
t_plan_cleanup(void)
{
	struct plan_instance	 in[5] = {
		{ "i-1", "g-1", 1, NOW - 700, 0, 0 },		/* never online */
		{ "i-2", "g-2", 1, NOW - 4000, 0, 0 },	/* too old */
		{ "i-3", "g-3", 1, NOW - 9000, 0, 0 },	/* too old but busy */
		{ "i-4", "", 1, NOW - 700, 0, 0 },		/* no runner tag */
		{ "i-5", "g-5", 1, NOW - 100, 0, 0 },		/* booting */
	};
	struct plan_runner	 r[6] = {
		{ 1, "g-1", 0, 0 }, { 2, "g-2", 1, 0 }, { 3, "g-3", 1, 1 },
		{ 6, "g-6", 0, 0 },	/* offline, no instance */
		{ 7, "other-7", 0, 0 },	/* not ours */
		{ 8, "g-8", 0, 1 },	/* offline but still busy: kept */
	};
	struct plan_input	 pi = { in, 5, r, 6, 0, NOW, "g-" };
	struct plan		 p = PLAN_INIT;
	struct plan_settings	 s = base;

	s.scale = 0;
	s.cleanup = 1;
	plan_compute(&s, &pi, &p);
	T_EQ_INT(count(&p, PLAN_DEREGISTER), 1);
	T_EQ_INT(count(&p, PLAN_BOOT_TIMEOUT), 2);
	T_EQ_INT(count(&p, PLAN_LIFETIME), 1);
	T_EQ_INT(count(&p, PLAN_KEEP), 1);
	T_EQ_INT(p.n, 5);
	T_EQ_STR(r[p.v[0].runner].name, "g-6");
	T_EQ_STR(p.v[0].reason, "runner is offline and has no instance");
	T_EQ_STR(in[p.v[1].inst].id, "i-1");
	T_EQ_STR(p.v[1].reason, "runner not online within the boot timeout "
	    "10m0s (age 11m40s)");
	T_EQ_STR(in[p.v[2].inst].id, "i-2");
	T_EQ_STR(p.v[2].reason, "older than the max lifetime 1h0m (age 1h6m)");
	T_EQ_STR(in[p.v[3].inst].id, "i-3");
	T_EQ_INT(p.v[3].kind, PLAN_KEEP);
	T_EQ_STR(in[p.v[4].inst].id, "i-4");
	T_TRUE(strstr(p.v[4].reason, "never registered") != NULL);
	s.max_lifetime = 0;		/* no limit */
	plan_compute(&s, &pi, &p);
	T_EQ_INT(count(&p, PLAN_LIFETIME) + count(&p, PLAN_KEEP), 0);
	plan_release(&p);
}

static void
t_plan_json(void)
{
	struct plan_instance	 in[1] = { { "i-1", "g-1", 1, NOW - 700, 0, 0 } };
	struct plan_runner	 r[1] = { { 9, "g-1", 0, 0 } };
	struct plan_input	 pi = { in, 1, r, 1, 2, NOW, "g-" };
	struct plan		 p = PLAN_INIT;
	struct plan_settings	 s = base;
	struct buf		 b = BUF_INIT(1u << 16);
	const char		*ids[] = { "i-new" };

	s.cleanup = 1;
	plan_compute(&s, &pi, &p);
	snprintf(p.v[0].result, sizeof(p.v[0].result), "terminated");
	T_OK(plan_format_json(&p, &pi, 0, ids, 1, &b));
	T_EQ_STR(b.p, "{\"desired\":2,\"live\":1,\"launch\":1,\"dryRun\":false,"
	    "\"launched\":[\"i-new\"],\"actions\":[{\"action\":\"boot-timeout\","
	    "\"instance\":\"i-1\",\"runner\":\"g-1\",\"runnerId\":9,\"reason\":"
	    "\"runner not online within the boot timeout 10m0s (age 11m40s)\","
	    "\"result\":\"terminated\"}]}");
	buf_release(&b);
	plan_release(&p);
}

#define BAD()	do { bad++; bad_line = __LINE__; } while (0)

/* A small deterministic generator, so a failure can be replayed. */
static unsigned long long rng = 88172645463325252ULL;

static unsigned int
rnd(unsigned int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (unsigned int)(rng % n) : 0;
}

static void
t_plan_property(void)
{
	struct plan_instance	 in[64];
	struct plan_runner	 r[64];
	char			 names[64][16];
	struct plan_input	 pi;
	struct plan		 p = PLAN_INIT;
	struct plan_settings	 s;
	unsigned char		 seen_i[64], seen_r[64];
	unsigned int		 iter, bad = 0, live, retire, term;
	int			 bad_line = 0;
	size_t			 i, k, ni, nr;

	for (iter = 0; iter < 20000; iter++) {
		memset(&s, 0, sizeof(s));
		s.min_runners = rnd(5);
		s.max_runners = rnd(40);
		s.min_age = rnd(600);
		s.boot_timeout = rnd(1200);
		s.max_lifetime = rnd(3) ? rnd(7200) : 0;
		s.scale = rnd(4) != 0;
		s.cleanup = rnd(2);
		s.no_launch = rnd(4) == 0;
		ni = rnd(64);
		nr = rnd(64);
		for (i = 0; i < 64; i++)
			snprintf(names[i], sizeof(names[i]), "g-%zu", i);
		for (i = 0; i < ni; i++) {
			memset(&in[i], 0, sizeof(in[i]));
			in[i].id = names[i];
			/* runner names are unique per launch */
			in[i].runner = rnd(5) ? names[i] : "";
			in[i].live = rnd(6) != 0;
			in[i].gone = !in[i].live && rnd(2);
			in[i].launch_time = rnd(8) ? NOW - rnd(10000) : 0;
		}
		for (i = 0; i < nr; i++) {
			r[i].id = (int64_t)i + 1;
			r[i].name = names[i];
			r[i].online = rnd(3) != 0;
			r[i].busy = r[i].online && rnd(3) == 0;
		}
		memset(&pi, 0, sizeof(pi));
		pi.inst = in;
		pi.ninst = ni;
		pi.runners = r;
		pi.nrunners = nr;
		pi.assigned = (int64_t)rnd(80) - 5;
		pi.now = NOW;
		pi.prefix = "g-";
		plan_compute(&s, &pi, &p);
		for (i = live = 0; i < ni; i++)
			live += in[i].live;
		/* MAX_RUNNERS: never plan more live than the maximum. */
		if (p.launch > 0 && live + p.launch > s.max_runners)
			BAD();
		if (p.live != live || p.desired > s.max_runners)
			BAD();
		if ((!s.scale || s.no_launch || p.stale) && p.launch != 0)
			BAD();
		memset(seen_i, 0, sizeof(seen_i));
		memset(seen_r, 0, sizeof(seen_r));
		retire = term = 0;
		for (k = 0; k < p.n; k++) {
			const struct plan_action *a = &p.v[k];

			if (a->inst != PLAN_NONE && seen_i[a->inst]++)
				BAD();		/* an instance twice */
			if (a->runner != PLAN_NONE && a->kind != PLAN_KEEP &&
			    seen_r[a->runner]++)
				BAD();
			if (a->reason[0] == '\0')
				BAD();		/* every action says why */
			/* A busy runner's instance is never terminated. */
			if (a->kind != PLAN_KEEP && a->runner != PLAN_NONE &&
			    r[a->runner].busy)
				BAD();
			if (a->kind == PLAN_RETIRE) {
				retire++;
				if (a->runner == PLAN_NONE ||
				    !r[a->runner].online ||
				    NOW - in[a->inst].launch_time < s.min_age ||
				    in[a->inst].launch_time == 0)
					BAD();
			}
			if (a->kind == PLAN_BOOT_TIMEOUT ||
			    a->kind == PLAN_LIFETIME)
				term++;
			if (!s.cleanup && a->kind != PLAN_RETIRE)
				BAD();
			if (a->inst != PLAN_NONE && !in[a->inst].live)
				BAD();
		}
		/* Scale-down never goes below desired. */
		if (p.have_desired && retire > 0 &&
		    live - retire - term < p.desired && live - retire < p.desired)
			BAD();
		if (bad > 0) {
			fprintf(stderr, "# plan property failed at iteration "
			    "%u (check at line %d)\n", iter, bad_line);
			break;
		}
	}
	T_EQ_INT(bad, 0);
	plan_release(&p);
}
