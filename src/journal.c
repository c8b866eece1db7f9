/*
 * SPDX-License-Identifier: ISC
 *
 * The job journal (journal.h).
 */

#include <time.h>

#include "buf.h"
#include "error.h"
#include "journal.h"
#include "log.h"
#include "state.h"
#include "util.h"

void
journal_job(const struct cmd_as *c, const struct as_job *j)
{
	static int		 warned;
	const struct error	*e;
	struct buf		 b = BUF_INIT(JOURNAL_MAX / 4);
	struct buf		 line = BUF_INIT(JOURNAL_MAX / 4);
	char			 at[32];
	time_t			 t = time(NULL);
	struct tm		 tm;

	if (!c->have_state || j->kind == AS_JOB_OTHER)
		return;
	gmtime_r(&t, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* asmsg_job_format() gives {...}: the time goes first. */
	if ((e = asmsg_job_format(j, &b)) == NULL &&
	    (e = buf_addf(&line, "{\"at\":\"%s\",%s", at, b.p + 1)) == NULL)
		e = state_append(&c->sf, "jobs", line.p, JOURNAL_MAX);
	if (e != NULL && !warned++)
		log_warn("job journal: %s", e->msg);
	buf_release(&b);
	buf_release(&line);
}
