/*
 * SPDX-License-Identifier: ISC
 *
 * Unit test of state_quarantine(): records are appended to a 0600 file
 * beside the state file, and the two files (current and .old) stay
 * bounded however many records come.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "t.h"

T_REGISTER("state_quarantine", t_state_quarantine)

static void
t_state_quarantine(void)
{
	struct state_file	 sf = STATE_FILE_INIT;
	struct stat		 sb, so;
	char			 dir[] = "/tmp/ghrctl-unit-q.XXXXXX";
	char			 q[800], old[820], line[200], cmd[900];
	int			 i;

	T_TRUE(mkdtemp(dir) != NULL);
	T_OK(state_open(dir, "set", STATE_LOCK_NOWAIT, NULL, &sf));
	snprintf(q, sizeof(q), "%s.quarantine", sf.path);
	snprintf(old, sizeof(old), "%s.old", q);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	T_OK(state_quarantine(&sf, "{\"n\":1}"));
	T_TRUE(stat(q, &sb) == 0);
	T_EQ_INT(sb.st_mode & 0777, 0600);
	T_EQ_INT(sb.st_size, 8);
	for (i = 0; i < 2000; i++)
		if (state_quarantine(&sf, line) != NULL)
			break;
	T_EQ_INT(i, 2000);
	T_TRUE(stat(q, &sb) == 0 && stat(old, &so) == 0);
	T_TRUE(sb.st_size <= (off_t)STATE_QUARANTINE_MAX);
	T_TRUE(so.st_size <= (off_t)STATE_QUARANTINE_MAX);
	T_TRUE(sb.st_size % (off_t)sizeof(line) == 0);	/* whole lines */
	state_close(&sf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	T_EQ_INT(system(cmd), 0);
}
