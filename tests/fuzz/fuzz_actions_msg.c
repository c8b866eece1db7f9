/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: every Actions Service reply parser in actions_msg.c (the
 * message envelope and its JSON-in-a-string job array, sessions, scale
 * sets, lists, JIT configs, registration, error bodies, JWT exp) and the
 * state file parser, fed the same bytes.  Formatting a parsed message
 * back must not fail either.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actions_msg.h"
#include "buf.h"
#include "state.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p = (const char *)data;
	struct as_message	 m;
	struct as_session	 s;
	struct as_scale_set	 ss;
	struct as_runner	 r;
	struct state		 st;
	struct buf		 b = BUF_INIT(1u << 20);
	char			*a, *t, tn[128], msg[128];
	int64_t			*ids, exp, id;
	size_t			 i, n;
	int			 found;

	if (size > (1u << 20))
		return 0;
	if (asmsg_message(p, size, &m) == NULL) {
		for (i = 0; i < m.njobs; i++) {
			(void)asmsg_job_format(&m.jobs[i], &b);
			buf_reset(&b);
		}
		(void)asmsg_stats_format(&m.stats, &b);
	}
	asmsg_message_release(&m);
	(void)asmsg_session(p, size, &s);
	asmsg_session_release(&s);
	(void)asmsg_scale_set(p, size, &ss);
	asmsg_scale_set_release(&ss);
	(void)asmsg_scale_set_list(p, size, &ss, &found);
	asmsg_scale_set_release(&ss);
	(void)asmsg_runner_list(p, size, &r, &found);
	asmsg_runner_release(&r);
	(void)asmsg_runner_group_list(p, size, &id, &found);
	if (asmsg_jit(p, size, &a, &r) == NULL)
		secret_free(a);
	asmsg_runner_release(&r);
	if (asmsg_registration(p, size, &a, &t) == NULL) {
		free(a);
		secret_free(t);
	}
	if (asmsg_acquirable(p, size, &ids, &n) == NULL)
		free(ids);
	if (asmsg_acquired(p, size, &ids, &n) == NULL)
		free(ids);
	asmsg_error(p, size, tn, sizeof(tn), msg, sizeof(msg));
	if ((a = malloc(size + 1)) != NULL) {
		memcpy(a, p, size);
		a[size] = '\0';
		(void)asmsg_jwt_exp(a, &exp);
		free(a);
	}
	if (state_parse(p, size, &st) == NULL)
		(void)state_format(&st, &b);
	state_release(&st);
	buf_release(&b);
	return 0;
}
