/*
 * SPDX-License-Identifier: ISC
 *
 * The job journal's bound (journal.h): past its size the file becomes
 * <path>.jobs.old (replacing the one before), both mode 0600, and
 * journal_read() still merges a job whose messages straddle the two.
 */

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "state.h"
#include "t.h"

T_REGISTER("journal-rotate", t_journal_rotate)

#define LINE_QUEUED	"{\"runnerRequestId\":7,\"messageType\":" \
	"\"JobAvailable\",\"ownerName\":\"acme\",\"repositoryName\":\"app\"," \
	"\"queueTime\":\"2026-11-23T10:00:00Z\"}"
#define LINE_DONE	"{\"runnerRequestId\":7,\"messageType\":" \
	"\"JobCompleted\",\"result\":\"succeeded\"," \
	"\"finishTime\":\"2026-11-23T10:05:00Z\"}"

static long
size_of(const char *path)
{
	struct stat	 sb;

	return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

static unsigned int
mode_of(const char *path)
{
	struct stat	 sb;

	return stat(path, &sb) == 0 ? (unsigned int)(sb.st_mode & 0777) : 0;
}

static void
t_journal_rotate(void)
{
	struct state_file	 sf = STATE_FILE_INIT;
	struct journal_job	*v;
	size_t			 n, max = sizeof(LINE_QUEUED) + 8;
	char			 dir[] = "/tmp/ghrctl-t-journal-XXXXXX";
	char			 jobs[800], old[800];

	T_TRUE(mkdtemp(dir) != NULL);
	snprintf(sf.path, sizeof(sf.path), "%s/scaleset-x.json", dir);
	snprintf(jobs, sizeof(jobs), "%s.jobs", sf.path);
	snprintf(old, sizeof(old), "%s.jobs.old", sf.path);

	/* Within the bound: appended. */
	T_OK(state_append(&sf, "jobs", LINE_QUEUED, max));
	T_EQ_INT(size_of(jobs), sizeof(LINE_QUEUED));
	T_EQ_INT(size_of(old), -1);
	T_EQ_INT(mode_of(jobs), 0600);
	/* Past it: the file becomes .old and a new one starts. */
	T_OK(state_append(&sf, "jobs", LINE_DONE, max));
	T_EQ_INT(size_of(old), sizeof(LINE_QUEUED));
	T_EQ_INT(size_of(jobs), sizeof(LINE_DONE));
	T_EQ_INT(mode_of(jobs), 0600);
	T_EQ_INT(mode_of(old), 0600);
	/* Both read: one job, queued in .old, completed in the new file. */
	T_OK(journal_read(&sf, &v, &n));
	T_EQ_INT(n, 1);
	if (n == 1) {
		T_EQ_STR(v[0].repo, "acme/app");
		T_EQ_STR(v[0].result, "succeeded");
		T_EQ_INT(v[0].finished - v[0].queued, 300);
	}
	free(v);
	/* Again past the bound: the older .old is replaced, never kept. */
	T_OK(state_append(&sf, "jobs", LINE_QUEUED, max));
	T_EQ_INT(size_of(old), sizeof(LINE_DONE));
	T_EQ_INT(size_of(jobs), sizeof(LINE_QUEUED));
	T_OK(journal_read(&sf, &v, &n));
	T_EQ_INT(n, 1);
	free(v);
	(void)unlink(jobs);
	(void)unlink(old);
	(void)rmdir(dir);
}
