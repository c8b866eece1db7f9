/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of the pure half of state.c: state_parse and state_format
 * round trip, version checks, a session missing a part is dropped, the
 * pending batch launches (issue 14).
 */

#include <string.h>

#include "buf.h"
#include "state.h"
#include "t.h"

T_REGISTER("state", t_state)
T_REGISTER("state-name", t_state_name)
T_REGISTER("state-launches", t_state_launches)

static void
t_state(void)
{
	struct state	 st, st2;
	struct buf	 b = BUF_INIT(STATE_MAX), b2 = BUF_INIT(STATE_MAX);
	const char	*old = "{\"version\":1,\"scaleSetId\":3,"
	    "\"sessionId\":\"s\",\"lastMessageId\":9}";

	state_init(&st);
	st.config_url = strdup("https://github.com/acme");
	st.scale_set_name = strdup("set");
	st.scale_set_id = 42;
	st.session_id = strdup("4fd0ffb0-d365-4dae-99ff-8dae173984f9");
	st.owner_name = strdup("host-1");
	st.queue_url = strdup("https://broker/scalesets/message");
	st.queue_token = strdup("secret-queue-token");
	st.last_message_id = 100000171;
	st.last_acked_id = 100000170;
	st.updated = 1795436378;
	T_OK(state_format(&st, &b));
	T_TRUE(b.len > 0 && b.p[b.len - 1] == '\n');
	T_TRUE(strstr(b.p, "\"version\":1") != NULL);
	T_OK(state_parse(b.p, b.len, &st2));
	T_EQ_STR(st2.config_url, "https://github.com/acme");
	T_EQ_STR(st2.session_id, "4fd0ffb0-d365-4dae-99ff-8dae173984f9");
	T_EQ_STR(st2.queue_token, "secret-queue-token");
	T_EQ_INT(st2.scale_set_id, 42);
	T_EQ_INT(st2.last_message_id, 100000171);
	T_EQ_INT(st2.last_acked_id, 100000170);
	T_EQ_INT(st2.updated, 1795436378);
	T_OK(state_format(&st2, &b2));
	T_EQ_STR(b2.p, b.p);
	state_release(&st2);
	state_release(&st);

	/* A session without its queue is no session. */
	T_OK(state_parse(old, strlen(old), &st));
	T_TRUE(st.session_id == NULL);
	T_EQ_INT(st.last_message_id, 9);
	state_release(&st);

	T_ERR(state_parse("{\"version\":2}", 13, &st), ERR_DATA);
	T_ERR(state_parse("{}", 2, &st), ERR_DATA);
	T_ERR(state_parse("{\"version\":1,\"lastMessageId\":\"x\"}", 34, &st),
	    ERR_DATA);
	T_ERR(state_parse("not json", 8, &st), ERR_DATA);
	T_ERR(state_parse("", 0, &st), ERR_DATA);
	buf_release(&b);
	buf_release(&b2);
}

/*
 * Pending batch launches survive a save and a load as they were recorded:
 * token, choice and runner names in launch-index order; dropped by token.
 */
static void
t_state_launches(void)
{
	struct state	 st, st2;
	struct buf	 b = BUF_INIT(STATE_MAX), b2 = BUF_INIT(STATE_MAX);
	const char	*r1[] = { "ghrctl-1-r5", "ghrctl-1-r6", "ghrctl-1-r7" };
	const char	*r2[] = { "ghrctl-1-d9-0" };
	const char	*bad[] = {
		"{\"version\":1,\"launches\":[{\"clientToken\":\"t\","
		    "\"market\":\"spot\",\"runners\":[]}]}",
		"{\"version\":1,\"launches\":[{\"clientToken\":\"t\","
		    "\"market\":\"cheap\",\"runners\":[\"a\"]}]}",
		"{\"version\":1,\"launches\":[{\"clientToken\":\"t\","
		    "\"market\":\"spot\",\"runners\":[7]}]}",
		"{\"version\":1,\"launches\":[{\"market\":\"spot\","
		    "\"runners\":[\"a\"]}]}",
		"{\"version\":1,\"launches\":{}}",
	};
	size_t		 i;

	state_init(&st);
	T_OK(state_launch_add(&st, "ghrctl-aaa", "m5.large", "subnet-0aaa", 0,
	    r1, 3, 1795436378));
	T_OK(state_launch_add(&st, "ghrctl-bbb", NULL, NULL, 1, r2, 1, 7));
	T_OK(state_format(&st, &b));
	T_OK(state_parse(b.p, b.len, &st2));
	T_EQ_INT(st2.nlaunches, 2);
	T_EQ_STR(st2.launches[0].token, "ghrctl-aaa");
	T_EQ_STR(st2.launches[0].type, "m5.large");
	T_EQ_STR(st2.launches[0].subnet, "subnet-0aaa");
	T_EQ_INT(st2.launches[0].spot, 0);
	T_EQ_INT(st2.launches[0].nrunners, 3);
	T_EQ_STR(st2.launches[0].runners[2], "ghrctl-1-r7");
	T_EQ_INT(st2.launches[0].created, 1795436378);
	T_TRUE(st2.launches[1].type == NULL && st2.launches[1].subnet == NULL);
	T_EQ_INT(st2.launches[1].spot, 1);
	T_OK(state_format(&st2, &b2));
	T_EQ_STR(b2.p, b.p);
	/* The same token again replaces its record. */
	T_OK(state_launch_add(&st2, "ghrctl-aaa", "m5.large", "subnet-0aaa", 0,
	    r1, 2, 1));
	T_EQ_INT(st2.nlaunches, 2);
	state_launch_drop(&st2, "ghrctl-aaa");
	state_launch_drop(&st2, "ghrctl-none");
	T_EQ_INT(st2.nlaunches, 1);
	T_EQ_STR(st2.launches[0].token, "ghrctl-bbb");
	state_launch_drop(&st2, "ghrctl-bbb");
	T_EQ_INT(st2.nlaunches, 0);
	buf_reset(&b2);
	T_OK(state_format(&st2, &b2));
	T_TRUE(strstr(b2.p, "launches") == NULL);
	state_release(&st2);
	state_release(&st);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_ERR(state_parse(bad[i], strlen(bad[i]), &st), ERR_DATA);
	buf_release(&b);
	buf_release(&b2);
}

/* Scale set names map to file names one to one. */
static void
t_state_name(void)
{
	static const char *const names[] = { "a/b", "a_b", "a b", "ci a",
	    "ci_a", "ci-a", "ci.a", "CI_A", "a_2fb", "a_5fb", "_", "__", "_5f",
	    "\xc3\xa9t\xc3\xa9", "..", ".", NULL };
	char		 enc[64][STATE_ENC_MAX + 1], big[STATE_NAME_MAX + 2];
	size_t		 i, j;

	for (i = 0; names[i] != NULL; i++)
		T_OK(state_name_encode(names[i], enc[i], sizeof(enc[i])));
	for (i = 0; names[i] != NULL; i++)
		for (j = i + 1; names[j] != NULL; j++)
			if (strcmp(enc[i], enc[j]) == 0)
				T_EQ_STR(names[i], names[j]);
	T_EQ_STR(enc[0], "a_2fb");
	T_EQ_STR(enc[1], "a_5fb");
	T_EQ_STR(enc[2], "a_20b");
	T_EQ_STR(enc[5], "ci-a");
	T_EQ_STR(enc[6], "ci.a");
	T_EQ_STR(enc[13], "_c3_a9t_c3_a9");
	T_EQ_STR(enc[14], "..");
	/* Long names: the hash form, still distinct, still short enough. */
	memset(big, '/', STATE_NAME_MAX);
	big[STATE_NAME_MAX] = '\0';
	T_OK(state_name_encode(big, enc[20], sizeof(enc[20])));
	T_TRUE(strncmp(enc[20], "_h", 2) == 0 && strlen(enc[20]) == 66);
	big[0] = '_';
	T_OK(state_name_encode(big, enc[21], sizeof(enc[21])));
	T_TRUE(strcmp(enc[20], enc[21]) != 0);
	memset(big, 'a', STATE_NAME_MAX);
	T_OK(state_name_encode(big, enc[22], sizeof(enc[22])));
	T_EQ_INT(strlen(enc[22]), STATE_NAME_MAX);
	big[STATE_NAME_MAX] = 'a';
	big[STATE_NAME_MAX + 1] = '\0';
	T_ERR(state_name_encode(big, enc[22], sizeof(enc[22])), ERR_CONFIG);
	T_ERR(state_name_encode("", enc[22], sizeof(enc[22])), ERR_CONFIG);
	T_ERR(state_name_encode("a", enc[22], 8), ERR_SOFTWARE);
}
