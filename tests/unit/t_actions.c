/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of actions_msg.c: the message envelope with its job array in
 * a string (all four job types, statistics, an unknown type), sessions
 * (BOM, empty messageQueueUrl), scale-set lists, error bodies, JWT exp,
 * request bodies, event formatting.  Samples: tests/vectors/actions/.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions_msg.h"
#include "b64.h"
#include "buf.h"
#include "t.h"
#include "util.h"

/* A string literal and its length. */
#define LIT(s)	(s), strlen(s)

T_REGISTER("actions_message", t_actions_message)
T_REGISTER("actions_session", t_actions_session)
T_REGISTER("actions_lists", t_actions_lists)
T_REGISTER("actions_misc", t_actions_misc)

static char *
slurp(const char *name, size_t *len)
{
	return t_vector("actions", name, len);
}

static void
t_actions_message(void)
{
	struct as_message	 m;
	struct buf		 b = BUF_INIT(1 << 16);
	const struct as_job	*j;
	char			*text;
	size_t			 len;

	text = slurp("message-jobs.json", &len);
	T_TRUE(text != NULL);
	if (text == NULL)
		return;
	T_OK(asmsg_message(text, len, &m));
	T_EQ_INT(m.id, 100000171);
	T_EQ_STR(m.type, "RunnerScaleSetJobMessages");
	T_EQ_INT(m.njobs, 5);
	T_TRUE(m.has_stats);
	T_EQ_INT(m.stats.assigned, 2);
	T_EQ_INT(m.stats.available, 1);
	T_EQ_INT(m.stats.running, 1);
	T_EQ_INT(m.stats.registered, 3);
	T_EQ_INT(m.stats.busy, 1);
	T_EQ_INT(m.stats.idle, 2);
	if (m.njobs == 5) {
		j = &m.jobs[0];
		T_EQ_INT(j->kind, AS_JOB_AVAILABLE);
		T_EQ_INT(j->runner_request_id, 7848922);
		T_EQ_STR(j->repository_name, "app");
		T_EQ_STR(j->owner_name, "acme");
		T_EQ_STR(j->job_id, "5c1c2e4e-0000-4a4a-9d9d-1234567890ab");
		T_EQ_STR(j->job_workflow_ref,
		    "acme/app/.github/workflows/ci.yml@refs/heads/main");
		T_EQ_STR(j->job_display_name, "build (linux)");
		T_EQ_INT(j->workflow_run_id, 9001);
		T_EQ_STR(j->event_name, "push");
		T_EQ_INT(j->nlabels, 2);
		T_EQ_STR(j->labels[1], "x64");
		T_EQ_STR(j->queue_time, "2026-11-23T10:00:00Z");
		T_EQ_STR(j->scale_set_assign_time, "2026-11-23T10:00:01Z");
		T_EQ_STR(j->acquire_job_url,
		    "https://broker.example/acquire/7848922");
		T_EQ_INT(m.jobs[1].kind, AS_JOB_ASSIGNED);
		T_EQ_INT(m.jobs[2].kind, AS_JOB_STARTED);
		T_EQ_INT(m.jobs[2].runner_id, 17);
		T_EQ_STR(m.jobs[2].runner_name, "ghrctl-i-0abc");
		T_EQ_INT(m.jobs[3].kind, AS_JOB_COMPLETED);
		T_EQ_STR(m.jobs[3].result, "succeeded");
		T_EQ_STR(m.jobs[3].finish_time, "2026-11-23T10:05:00Z");
		T_EQ_INT(m.jobs[4].kind, AS_JOB_OTHER);
		T_EQ_STR(m.jobs[1].runner_name, "");
		T_OK(asmsg_job_format(&m.jobs[3], &b));
		T_TRUE(strstr(b.p, "\"event\":\"JobCompleted\"") != NULL);
		T_TRUE(strstr(b.p, "\"result\":\"succeeded\"") != NULL);
		T_TRUE(strstr(b.p, "\"runnerName\":\"ghrctl-i-0abb\"") != NULL);
		buf_reset(&b);
		T_OK(asmsg_stats_format(&m.stats, &b));
		T_TRUE(strstr(b.p, "\"totalAssignedJobs\":2") != NULL);
	}
	asmsg_message_release(&m);
	free(text);

	/* Empty body string: no jobs; BOM tolerated; empty reply refused. */
	T_OK(asmsg_message(LIT("\xef\xbb\xbf{\"messageId\":1,\"messageType\":"
	    "\"RunnerScaleSetJobMessages\",\"body\":\"\"}"), &m));
	T_EQ_INT(m.njobs, 0);
	T_EQ_INT(m.has_stats, 0);
	asmsg_message_release(&m);
	T_ERR(asmsg_message(LIT(""), &m), ERR_PROTO);
	T_ERR(asmsg_message(LIT("  \n"), &m), ERR_PROTO);
	/* Other envelope types are returned without jobs. */
	T_OK(asmsg_message(LIT("{\"messageId\":2,\"messageType\":\"Other\","
	    "\"body\":\"[1]\"}"), &m));
	T_EQ_INT(m.njobs, 0);
	asmsg_message_release(&m);
	/*
	 * Once the messageId is read, a malformed messageType or statistics
	 * is set aside too, so the message can be acknowledged.
	 */
	T_OK(asmsg_message(LIT("{\"messageId\":4,\"messageType\":7,"
	    "\"statistics\":\"x\",\"body\":\"[]\"}"), &m));
	T_EQ_INT(m.id, 4);
	T_EQ_STR(m.type, "");
	T_EQ_INT(m.has_stats, 0);
	T_EQ_INT(m.nbad, 2);
	T_EQ_INT(m.bad[0].index, ASMSG_BAD_TYPE);
	T_EQ_INT(m.bad[1].index, ASMSG_BAD_STATS);
	T_EQ_INT(m.bad[1].size, 3);
	asmsg_message_release(&m);
	T_OK(asmsg_message(LIT("{\"messageId\":5,\"messageType\":"
	    "\"RunnerScaleSetJobMessages\",\"body\":[1],"
	    "\"statistics\":{\"totalAssignedJobs\":\"2\"}}"), &m));
	T_EQ_INT(m.nbad, 2);
	T_EQ_INT(m.bad[0].index, ASMSG_BAD_STATS);
	T_EQ_INT(m.bad[1].index, ASMSG_BAD_BODY);
	T_EQ_INT(m.bad[1].size, 3);
	asmsg_message_release(&m);
	T_ERR(asmsg_message(LIT("[1]"), &m), ERR_PROTO);
	/* Wrong shapes of the envelope. */
	T_ERR(asmsg_message(LIT("{\"messageType\":\"x\"}"), &m), ERR_PROTO);
	T_ERR(asmsg_message(LIT("{\"messageId\":\"1\",\"messageType\":\"x\"}"),
	    &m), ERR_PROTO);
	T_ERR(asmsg_message(LIT("{\"messageId\":9007199254740993,"
	    "\"messageType\":\"x\"}"), &m), ERR_PROTO);
	/* A body that is not a JSON array is set aside whole, not an error. */
	T_OK(asmsg_message(LIT("{\"messageId\":1,\"messageType\":"
	    "\"RunnerScaleSetJobMessages\",\"body\":\"{}\"}"), &m));
	T_EQ_INT(m.njobs, 0);
	T_EQ_INT(m.nbad, 1);
	T_EQ_INT(m.bad[0].index, -1);
	asmsg_message_release(&m);
	T_OK(asmsg_message(LIT("{\"messageId\":1,\"messageType\":"
	    "\"RunnerScaleSetJobMessages\",\"body\":\"not json\","
	    "\"statistics\":{\"totalAssignedJobs\":4}}"), &m));
	T_EQ_INT(m.id, 1);
	T_EQ_INT(m.njobs, 0);
	T_EQ_INT(m.has_stats, 1);
	T_EQ_INT(m.stats.assigned, 4);
	T_EQ_INT(m.nbad, 1);
	T_EQ_INT(m.bad[0].index, -1);
	T_EQ_INT(m.bad[0].size, 8);
	T_EQ_STR(m.bad[0].sha256,
	    "7ccfa1fbf3940e6f0c0375d87c0f9235a50514e14cb427bdfaf5077987b26ccf");
	asmsg_message_release(&m);
	/*
	 * Poison entries (a runnerRequestId that is a string, negative, 2^64
	 * or 2^53+1, none at all, an entry that is not an object) are set
	 * aside one by one; the good entries beside them are returned.
	 */
	T_OK(asmsg_message(LIT("{\"messageId\":3,\"messageType\":"
	    "\"RunnerScaleSetJobMessages\",\"body\":\"["
	    "{\\\"messageType\\\":\\\"JobAvailable\\\",\\\"runnerRequestId\\\":5},"
	    "{\\\"messageType\\\":\\\"JobAvailable\\\",\\\"runnerRequestId\\\":\\\"7\\\"},"
	    "{\\\"messageType\\\":\\\"JobAvailable\\\",\\\"runnerRequestId\\\":-3},"
	    "{\\\"messageType\\\":\\\"JobAvailable\\\",\\\"runnerRequestId\\\":18446744073709551616},"
	    "{\\\"messageType\\\":\\\"JobAvailable\\\",\\\"runnerRequestId\\\":9007199254740993},"
	    "{\\\"messageType\\\":\\\"JobAvailable\\\"},"
	    "\\\"x\\\","
	    "{\\\"messageType\\\":\\\"JobAvailable\\\",\\\"runnerRequestId\\\":6}"
	    "]\"}"), &m));
	T_EQ_INT(m.njobs, 2);
	T_EQ_INT(m.jobs[0].runner_request_id, 5);
	T_EQ_INT(m.jobs[1].runner_request_id, 6);
	T_EQ_INT(m.nbad, 6);
	T_EQ_INT(m.bad[0].index, 1);
	T_EQ_INT(m.bad[0].size, 52);
	T_EQ_STR(m.bad[0].sha256,
	    "9485f353bd74215c901b9873038e4d00b309ae7f3dbb0f5867e70a3c4c5e4a68");
	T_TRUE(strstr(m.bad[0].why, "runnerRequestId") != NULL);
	T_EQ_INT(m.bad[1].index, 2);
	T_EQ_INT(m.bad[2].index, 3);
	T_EQ_INT(m.bad[3].index, 4);
	T_EQ_INT(m.bad[4].index, 5);
	T_EQ_INT(m.bad[5].index, 6);
	asmsg_message_release(&m);
	buf_release(&b);
}

static void
t_actions_session(void)
{
	struct as_session	 s;
	char			*text;
	size_t			 len;

	text = slurp("session-bom.json", &len);
	T_TRUE(text != NULL);
	if (text != NULL) {
		T_OK(asmsg_session(text, len, &s));
		T_EQ_STR(s.id, "4fd0ffb0-d365-4dae-99ff-8dae173984f9");
		T_EQ_STR(s.owner_name, "host-1");
		T_EQ_INT(s.scale_set_id, 42);
		T_EQ_STR(s.queue_url,
		    "https://broker.actions.githubusercontent.com/scalesets/message");
		T_TRUE(s.has_stats);
		T_EQ_INT(s.stats.assigned, 2);
		asmsg_session_release(&s);
		free(text);
	}
	text = slurp("session-empty-queue-url.json", &len);
	T_TRUE(text != NULL);
	if (text != NULL) {
		T_ERR(asmsg_session(text, len, &s), ERR_PROTO);
		T_TRUE(s.queue_url == NULL);
		free(text);
	}
	T_ERR(asmsg_session(LIT(""), &s), ERR_PROTO);
	T_ERR(asmsg_session(LIT("{\"sessionId\":\"a\",\"messageQueueUrl\":\"u\"}"), &s), ERR_PROTO);
}

static void
t_actions_lists(void)
{
	struct as_scale_set	 ss;
	struct as_runner	 r;
	char			*text, *jit;
	size_t			 len, n;
	int64_t			 id, *ids;
	int			 found;

	text = slurp("scale-set-list.json", &len);
	T_TRUE(text != NULL);
	if (text != NULL) {
		T_OK(asmsg_scale_set_list(text, len, &ss, &found));
		T_EQ_INT(found, 1);
		T_EQ_INT(ss.id, 42);
		T_EQ_STR(ss.name, "ghrctl-linux");
		T_EQ_INT(ss.runner_group_id, 1);
		T_EQ_INT(ss.nlabels, 2);
		T_EQ_STR(ss.labels[1], "x64");
		asmsg_scale_set_release(&ss);
		free(text);
	}
	T_OK(asmsg_scale_set_list(LIT("{\"count\":0,\"value\":[]}"), &ss,
	    &found));
	T_EQ_INT(found, 0);
	T_ERR(asmsg_scale_set_list(LIT("{\"count\":2,\"value\":[{\"id\":1},"
	    "{\"id\":2}]}"), &ss, &found), ERR_PROTO);
	T_OK(asmsg_runner_group_list(LIT("{\"count\":1,\"value\":[{\"id\":7,"
	    "\"name\":\"gpu\"}]}"), &id, &found));
	T_EQ_INT(id, 7);
	T_OK(asmsg_runner_list(LIT("{\"count\":1,\"value\":[{\"id\":17,\"name\":"
	    "\"r\",\"runnerScaleSetId\":42}]}"), &r, &found));
	T_EQ_INT(r.scale_set_id, 42);
	asmsg_runner_release(&r);
	T_OK(asmsg_jit(LIT("{\"runner\":{\"id\":17,\"name\":\"r\"},"
	    "\"encodedJITConfig\":\"c2VjcmV0\"}"), &jit, &r));
	T_EQ_STR(jit, "c2VjcmV0");
	T_EQ_INT(r.id, 17);
	secret_free(jit);
	asmsg_runner_release(&r);
	T_OK(asmsg_acquirable(LIT("{\"count\":2,\"value\":[{\"runnerRequestId\":5},"
	    "{\"runnerRequestId\":6}]}"), &ids, &n));
	T_EQ_INT(n, 2);
	if (n == 2)
		T_EQ_INT(ids[1], 6);
	free(ids);
	T_OK(asmsg_acquired(LIT("{\"count\":2,\"value\":[5,6]}"), &ids, &n));
	T_EQ_INT(n, 2);
	if (n == 2)
		T_EQ_INT(ids[1], 6);
	free(ids);
	/* Which jobs were acquired must be said: else it is a failure. */
	T_ERR(asmsg_acquired("", 0, &ids, &n), ERR_PROTO);
	T_TRUE(ids == NULL && n == 0);
	T_ERR(asmsg_acquired(LIT("{\"count\":2}"), &ids, &n), ERR_PROTO);
	T_ERR(asmsg_acquired(LIT("<html>"), &ids, &n), ERR_PROTO);
	T_ERR(asmsg_acquired(LIT("{\"value\":[\"5\"]}"), &ids, &n), ERR_PROTO);
	T_OK(asmsg_acquired(LIT("{\"count\":0,\"value\":[]}"), &ids, &n));
	T_EQ_INT(n, 0);
}

static void
t_actions_misc(void)
{
	struct buf	 b = BUF_INIT(4096), jwt = BUF_INIT(4096);
	char		 tn[128], msg[128], *url, *tok;
	const char	*labels[] = { "linux", "x64" };
	int64_t		 ids[] = { 7848922, 7848923 }, exp;
	char		*a[] = { "x", "y" }, *c[] = { "y", "x" }, *d[] = { "x" };

	asmsg_error(LIT("{\"typeName\":\"GitHub.X.JobStillRunningException, GitHub.X\","
	    "\"message\":\"busy\"}"), tn, sizeof(tn), msg, sizeof(msg));
	T_EQ_STR(tn, "GitHub.X.JobStillRunningException, GitHub.X");
	T_EQ_STR(msg, "busy");
	asmsg_error(LIT("Service Unavailable\nmore"), tn, sizeof(tn), msg,
	    sizeof(msg));
	T_EQ_STR(tn, "");
	T_EQ_STR(msg, "Service Unavailable");

	T_OK(b64url_encode(LIT("{\"alg\":\"RS256\"}"), &jwt));
	T_OK(buf_addc(&jwt, '.'));
	T_OK(b64url_encode(LIT("{\"exp\":1795436378,\"iat\":1}"), &jwt));
	T_OK(buf_adds(&jwt, ".sig"));
	T_OK(asmsg_jwt_exp(jwt.p, &exp));
	T_EQ_INT(exp, 1795436378);
	T_ERR(asmsg_jwt_exp("not-a-jwt", &exp), ERR_PROTO);
	T_ERR(asmsg_jwt_exp("a.e30.c", &exp), ERR_PROTO);	/* {} */

	T_OK(asmsg_registration(LIT("{\"url\":\"https://x/tenant/1/\",\"token\":"
	    "\"t\",\"token_schema\":\"OAuthAccessToken\"}"), &url, &tok));
	T_EQ_STR(url, "https://x/tenant/1/");
	free(url);
	secret_free(tok);
	T_ERR(asmsg_registration(LIT("{\"url\":\"\",\"token\":\"t\"}"), &url,
	    &tok), ERR_PROTO);

	T_OK(asmsg_registration_request("https://github.com/acme", &b));
	T_EQ_STR(b.p, "{\"url\":\"https://github.com/acme\","
	    "\"runner_event\":\"register\"}");
	buf_reset(&b);
	T_OK(asmsg_scale_set_request(LIT("s"), labels, 2, &b));
	T_EQ_STR(b.p, "{\"name\":\"s\",\"runnerGroupId\":1,\"labels\":["
	    "{\"type\":\"System\",\"name\":\"linux\"},{\"type\":\"System\","
	    "\"name\":\"x64\"}],\"RunnerSetting\":{\"disableUpdate\":true}}");
	buf_reset(&b);
	T_OK(asmsg_acquire_request(ids, 2, &b));
	T_EQ_STR(b.p, "[7848922,7848923]");
	buf_reset(&b);
	T_OK(asmsg_jit_request("r\"1", NULL, &b));
	T_EQ_STR(b.p, "{\"name\":\"r\\\"1\",\"workFolder\":\"\"}");
	buf_reset(&b);
	T_OK(asmsg_session_request("host", &b));
	T_EQ_STR(b.p, "{\"ownerName\":\"host\"}");

	T_TRUE(asmsg_labels_equal(a, 2, c, 2));
	T_TRUE(!asmsg_labels_equal(a, 2, d, 1));
	buf_release(&b);
	buf_release(&jwt);
}
