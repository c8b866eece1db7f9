/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_LASTERR_H
#define GHRCTL_LASTERR_H

#include <stddef.h>

#include "state.h"

/*
 * The last warnings and errors of the runs that work on a scale set's
 * state (poll, scale, cleanup, session: whatever holds its lock), for
 * `ghrctl status`.  Each goes, masked like every log line, as one JSON
 * line {"at","level","cmd","msg"} appended to <state file>.errors (mode
 * 0600, one write(2) per line), bounded as the job journal: past
 * LASTERR_MAX bytes the file becomes <state file>.errors.old.  Failing
 * to record is silent: the record must not add errors of its own.
 */
#define LASTERR_MAX	(32u << 10)
#define LASTERR_MSG	512

struct lasterr {
	char	 at[32];		/* RFC 3339 UTC */
	char	 level[8];		/* "error" or "warn" */
	char	 cmd[64];
	char	 msg[LASTERR_MSG];
};

/* Record every later warning and error of this process for sf's scale set. */
void			 lasterr_record(const struct state_file *sf);

/*
 * The newest n records (oldest first) of sf's scale set into v (n
 * entries); returns how many there were, up to n.  Missing files hold
 * none; lines that are not records are skipped.
 */
size_t			 lasterr_read(const struct state_file *sf,
			    struct lasterr *v, size_t n);

#endif
