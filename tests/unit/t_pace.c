/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests for pace.c: the token bucket math with the time passed in,
 * the adaptive rate, the settings' syntax, the action classes and costs,
 * and two pacers sharing one state directory with an injected clock.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "pace.h"
#include "sig.h"
#include "t.h"
#include "util.h"

T_REGISTER("pace_limit_parse", t_pace_limit_parse)
T_REGISTER("pace_class", t_pace_class)
T_REGISTER("pace_bucket", t_pace_bucket)
T_REGISTER("pace_adaptive", t_pace_adaptive)
T_REGISTER("pace_shared", t_pace_shared)

static void
t_pace_limit_parse(void)
{
	struct pace_limit	 l;

	T_EQ_INT(pace_limit_parse("5/2", &l), 0);
	T_TRUE(l.cap == 5 && l.rate == 2 && l.res_cap == 0);
	T_EQ_INT(pace_limit_parse("100/0.5,1000/20", &l), 0);
	T_TRUE(l.cap == 100 && l.rate == 0.5 && l.res_cap == 1000 &&
	    l.res_rate == 20);
	T_EQ_INT(pace_limit_parse("", &l), -1);
	T_EQ_INT(pace_limit_parse("5", &l), -1);
	T_EQ_INT(pace_limit_parse("5/", &l), -1);
	T_EQ_INT(pace_limit_parse("0/2", &l), -1);
	T_EQ_INT(pace_limit_parse("5/0", &l), -1);
	T_EQ_INT(pace_limit_parse("5/-1", &l), -1);
	T_EQ_INT(pace_limit_parse("-5/1", &l), -1);
	T_EQ_INT(pace_limit_parse("5/2,", &l), -1);
	T_EQ_INT(pace_limit_parse("5/2,1/1,1/1", &l), -1);
	T_EQ_INT(pace_limit_parse("5/2 ", &l), -1);
	T_EQ_INT(pace_limit_parse("5/nan", &l), -1);
	T_EQ_INT(pace_limit_parse("5/inf", &l), -1);
	T_EQ_INT(pace_limit_parse("99999999999/1", &l), -1);
}

static void
t_pace_class(void)
{
	const char	*b;

	T_EQ_INT(pace_class_of("RunInstances", &b), PACE_RUN);
	T_EQ_STR(b, "RunInstances");
	T_EQ_INT(pace_class_of("CreateFleet", &b), PACE_RUN);
	T_EQ_STR(b, "RunInstances");	/* one bucket with RunInstances */
	T_EQ_INT(pace_class_of("StartInstances", &b), PACE_START);
	T_EQ_INT(pace_class_of("TerminateInstances", &b), PACE_TERMINATE);
	T_EQ_INT(pace_class_of("CreateTags", &b), PACE_TAGS);
	T_EQ_STR(b, "CreateTags");
	T_EQ_INT(pace_class_of("DeleteTags", &b), PACE_TAGS);
	T_EQ_STR(b, "DeleteTags");	/* a bucket each */
	T_EQ_INT(pace_class_of("DescribeInstances", &b), PACE_DESCRIBE);
	T_EQ_INT(pace_class_of("GetConsoleOutput", &b), PACE_DESCRIBE);
	T_EQ_INT(pace_class_of("StopInstances", &b), PACE_MUTATING);
	T_TRUE(pace_cost("RunInstances", "Action=RunInstances&MinCount=1&"
	    "MaxCount=25&ImageId=ami-1") == 25);
	T_TRUE(pace_cost("RunInstances", "Action=RunInstances") == 1);
	T_TRUE(pace_cost("RunInstances", "MaxCount=x") == 1);
	T_TRUE(pace_cost("TerminateInstances", "Action=TerminateInstances&"
	    "InstanceId.1=i-1&InstanceId.2=i-2&Version=2016-11-15") == 2);
	T_TRUE(pace_cost("StartInstances", "InstanceId.1=i-1") == 1);
	T_TRUE(pace_cost("CreateTags", "ResourceId.1=i-1") == 0);
}

static void
t_pace_bucket(void)
{
	struct pace_bucket	 b;
	int64_t			 t = 1000000;
	int			 i;

	/*
	 * RunInstances: 5 at once (the last one PACE_MARGIN_MS late: below
	 * full, 0.2 tokens are kept in hand), then one every 500 ms.
	 */
	pace_bucket_init(&b, 5, 2, t);
	for (i = 0; i < 4; i++)
		T_EQ_INT(pace_bucket_take(&b, 5, 2, 1, t, 0), 0);
	T_EQ_INT(pace_bucket_take(&b, 5, 2, 1, t, 60000), 100);
	/* Waiters are served in turn: each reserves the next token. */
	T_EQ_INT(pace_bucket_take(&b, 5, 2, 1, t, 60000), 600);
	T_EQ_INT(pace_bucket_take(&b, 5, 2, 1, t, 60000), 1100);
	T_EQ_INT(pace_bucket_take(&b, 5, 2, 1, t, 60000), 1600);
	/* A wait past the deadline takes nothing. */
	T_EQ_INT(pace_bucket_take(&b, 5, 2, 1, t, 1000), -1);
	T_EQ_INT(pace_bucket_take(&b, 5, 2, 1, t, 2100), 2100);
	/* 2 s later every reservation is served and the level is 0. */
	t += 2000;
	T_EQ_INT(pace_bucket_take(&b, 5, 2, 1, t, 0), -1);
	T_EQ_INT(pace_bucket_take(&b, 5, 2, 1, t, 600), 600);
	/* Refill stops at the capacity. */
	t += 60000;
	for (i = 0; i < 4; i++)
		T_EQ_INT(pace_bucket_take(&b, 5, 2, 1, t, 0), 0);
	T_EQ_INT(pace_bucket_take(&b, 5, 2, 1, t, 0), -1);
	T_EQ_INT(pace_bucket_take(&b, 5, 2, 1, t, 100), 100);
	/* The clock going back refills nothing and breaks nothing. */
	T_EQ_INT(pace_bucket_take(&b, 5, 2, 1, t - 5000, 600), 600);
	/* Resource bucket: 1000 instances, 2 a second; MaxCount counts. */
	pace_bucket_init(&b, 1000, 2, t);
	T_EQ_INT(pace_bucket_take(&b, 1000, 2, 600, t, 0), 0);
	T_EQ_INT(pace_bucket_take(&b, 1000, 2, 600, t, 1000000), 100100);
	/* More than the bucket holds: wait for it full, not forever. */
	pace_bucket_init(&b, 5, 2, t);
	T_EQ_INT(pace_bucket_take(&b, 5, 2, 50, t, 0), 0);
	/* A lowered setting applies at once. */
	pace_bucket_init(&b, 5, 2, t);
	T_EQ_INT(pace_bucket_take(&b, 5, 2, 5, t, 0), 0);
	T_EQ_INT(pace_bucket_take(&b, 5, 1, 1, t, 5000), 1100);
}

static void
t_pace_adaptive(void)
{
	struct pace_bucket	 b;
	int64_t			 t = 5000000;
	double			 r;
	int			 i;

	pace_bucket_init(&b, 5, 2, t);
	/* Sending 2 a second for 3 s measures ~2 a second. */
	for (i = 0; i < 6; i++) {
		pace_bucket_sent(&b, t);
		t += 500;
	}
	pace_bucket_sent(&b, t);
	T_TRUE(b.mrate > 1.5 && b.mrate < 2.5);
	/* A throttle: the bucket is emptied, the rate drops to 0.7 of it. */
	pace_bucket_throttled(&b, 5, 2, t);
	T_TRUE(b.level <= 0);
	T_TRUE(b.rate < 1.6 && b.rate >= 0.7 * 1.5);
	T_TRUE(b.fail == t);
	r = b.rate;
	/* No burst while lowered: at most max(1, rate) tokens. */
	T_TRUE(pace_bucket_cap(&b, 5, 2) < 1.6);
	/* A second throttle within the second changes nothing more. */
	pace_bucket_throttled(&b, 5, 2, t + 200);
	T_TRUE(b.rate == r);
	/* Then it lowers again. */
	pace_bucket_throttled(&b, 5, 2, t + 1200);
	T_TRUE(b.rate < r);
	T_TRUE(b.rate >= PACE_MIN_RATE);
	t += 1200;
	r = b.rate;
	/* Successes grow it back along the cubic curve, to the setting. */
	pace_bucket_ok(&b, 5, 2, t + 100);
	T_TRUE(b.rate >= r - 1e-9 && b.rate < 2 && b.fail != 0);
	pace_bucket_ok(&b, 5, 2, t + 1500);
	T_TRUE(b.rate > r);
	pace_bucket_ok(&b, 5, 2, t + 10000);
	T_TRUE(b.rate == 2 && b.fail == 0);
	T_TRUE(pace_bucket_cap(&b, 5, 2) == 5);
	/* The floor: never below PACE_MIN_RATE. */
	for (i = 0; i < 20; i++)
		pace_bucket_throttled(&b, 5, 2, t + 20000 + i * 1500);
	T_TRUE(b.rate == PACE_MIN_RATE);
}

static int64_t	 fake_now;
static int64_t	 slept;

static int64_t
clock_now(void)
{
	return fake_now;
}

static void
clock_nap(int64_t ms)
{
	slept += ms;
	fake_now += ms;
}

static void
t_pace_shared(void)
{
	struct config		 cfg;
	struct cfg_flags	 fl;
	struct pace		*p1 = NULL, *p2 = NULL;
	struct stat		 sb;
	char			 dir[] = "/tmp/ghrctl-t-pace.XXXXXX";
	char			 env0[600], path[700];
	char			*env[] = { env0, "HOME=/nonexistent",
				    "GHRCTL_EC2_LIMIT_RUN=2/1", NULL };
	char			*off[] = { "GHRCTL_EC2_PACING=0",
				    "HOME=/nonexistent", NULL };
	char			*bad[] = { "GHRCTL_EC2_LIMIT_TAGS=10",
				    "HOME=/nonexistent", NULL };
	int			 i;

	memset(&fl, 0, sizeof(fl));
	T_ERR(config_resolve(&cfg, &fl, bad), ERR_CONFIG);
	config_release(&cfg);
	T_OK(config_resolve(&cfg, &fl, off));
	T_OK(pace_new(&cfg, "localhost:1", &p1));
	T_TRUE(p1 == NULL);
	/* NULL: no pacing, nothing to do. */
	T_OK(pace_acquire(NULL, "RunInstances", "", now_ms() + 1000));
	config_release(&cfg);

	if (mkdtemp(dir) == NULL) {
		T_TRUE(0);
		return;
	}
	snprintf(env0, sizeof(env0), "GHRCTL_STATE_DIR=%s/a/state", dir);
	T_OK(config_resolve(&cfg, &fl, env));
	T_OK(pace_new(&cfg, "localhost:1", &p1));
	T_OK(pace_new(&cfg, "localhost:1", &p2));
	T_TRUE(p1 != NULL && p2 != NULL);
	if (p1 == NULL || p2 == NULL)
		goto out;
	fake_now = 1700000000000LL;
	slept = 0;
	pace_set_clock(p1, clock_now, clock_nap);
	pace_set_clock(p2, clock_now, clock_nap);
	/* A bucket of 2: p1 takes both, p2 (another process) must wait. */
	T_OK(pace_acquire(p1, "RunInstances", "MaxCount=1", now_ms() + 10000));
	T_EQ_INT(slept, 0);
	T_OK(pace_acquire(p1, "RunInstances", "MaxCount=1", now_ms() + 10000));
	T_EQ_INT(slept, 100);	/* PACE_MARGIN_MS below full */
	snprintf(path, sizeof(path), "%s/a/state/ec2-pace-localhost_3a1.json",
	    dir);
	T_EQ_INT(stat(path, &sb), 0);
	T_EQ_INT(sb.st_mode & 0777, 0600);
	/* p2 waits its turn (1 s), unless that passes its deadline. */
	T_ERR(pace_acquire(p2, "RunInstances", "MaxCount=1", now_ms() + 500),
	    ERR_TEMP);
	slept = 0;
	T_OK(pace_acquire(p2, "RunInstances", "MaxCount=1", now_ms() + 5000));
	T_EQ_INT(slept, 1000);
	/* Other actions have buckets of their own. */
	for (i = 0; i < 20; i++)
		T_OK(pace_acquire(p2, "DescribeInstances", "", now_ms()));
	/* A throttle seen by p2 slows p1 down too. */
	fake_now += 10000;
	pace_result(p2, "RunInstances", "RequestLimitExceeded");
	T_ERR(pace_acquire(p1, "RunInstances", "", now_ms()), ERR_TEMP);
	fake_now += 2000;
	T_OK(pace_acquire(p1, "RunInstances", "", now_ms()));
	/* A stop request: only a token at hand, no wait. */
	sig_stop = 1;
	T_ERR(pace_acquire(p1, "RunInstances", "", now_ms() + 60000), ERR_TEMP);
	sig_stop = 0;
	/* A torn or foreign file is dropped: its buckets start full. */
	{
		FILE	*f = fopen(path, "w");

		if (f != NULL) {
			fputs("ghrctl-ec2-pace 1\nRunInstances x\n", f);
			fclose(f);
		}
	}
	T_OK(pace_acquire(p1, "RunInstances", "", now_ms()));
	T_OK(pace_acquire(p2, "RunInstances", "", now_ms() + 1000));
	/* A symlink in its place is not followed: pacing goes on alone. */
	unlink(path);
	T_EQ_INT(symlink("/etc/passwd", path), 0);
	T_OK(pace_acquire(p1, "RunInstances", "", now_ms()));
	T_EQ_INT(lstat(path, &sb), 0);
	T_TRUE(S_ISLNK(sb.st_mode));
	unlink(path);
out:
	pace_free(p1);
	pace_free(p2);
	config_release(&cfg);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	T_EQ_INT(system(path), 0);
}
