/*
 * SPDX-License-Identifier: ISC
 *
 * Unit test of lasterr.h: warnings and errors reach the record whatever
 * the level printed, masked, and no other level does; the newest come
 * back oldest first across the rotation to .errors.old; the files stay
 * bounded and 0600.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lasterr.h"
#include "log.h"
#include "state.h"
#include "t.h"

T_REGISTER("lasterr", t_lasterr)

static void
t_lasterr(void)
{
	struct state_file	 sf = STATE_FILE_INIT;
	struct lasterr		 v[3];
	struct stat		 sb;
	char			 dir[] = "/tmp/ghrctl-unit-e.XXXXXX";
	char			 path[800], cmd[900];
	FILE			*fp = fopen("/dev/null", "w");
	int			 i;

	T_TRUE(mkdtemp(dir) != NULL && fp != NULL);
	T_OK(state_open(dir, "set", STATE_LOCK_NOWAIT, NULL, &sf));
	T_EQ_INT(lasterr_read(&sf, v, 3), 0);		/* no file: none */
	log_init(LOG_ERROR, LOG_FMT_TEXT, fp);		/* as -q */
	log_set_cmd("scale");
	log_secret("ghp_unitsecretunitsecret");
	lasterr_record(&sf);
	log_info("not recorded");
	log_warn("first \"quoted\" ghp_unitsecretunitsecret");
	log_error("second");
	T_EQ_INT(lasterr_read(&sf, v, 3), 2);
	T_EQ_STR(v[0].level, "warn");
	T_EQ_STR(v[0].cmd, "scale");
	T_EQ_STR(v[0].msg, "first \"quoted\" <redacted>");
	T_EQ_STR(v[1].level, "error");
	T_EQ_STR(v[1].msg, "second");
	T_TRUE(strlen(v[1].at) == 20 && v[1].at[19] == 'Z');
	snprintf(path, sizeof(path), "%s.errors", sf.path);
	T_TRUE(stat(path, &sb) == 0);
	T_EQ_INT(sb.st_mode & 0777, 0600);
	/* Past LASTERR_MAX: rotated, bounded; the newest still come back. */
	for (i = 0; i < 400; i++)
		log_warn("warning %03d %0200d", i, 0);
	T_EQ_INT(lasterr_read(&sf, v, 3), 3);
	T_TRUE(strncmp(v[0].msg, "warning 397 ", 12) == 0);
	T_TRUE(strncmp(v[2].msg, "warning 399 ", 12) == 0);
	T_TRUE(stat(path, &sb) == 0 && sb.st_size <= (off_t)LASTERR_MAX);
	snprintf(path, sizeof(path), "%s.errors.old", sf.path);
	T_TRUE(stat(path, &sb) == 0 && sb.st_size <= (off_t)LASTERR_MAX);
	log_set_sink(NULL, NULL);
	log_warn("after: not recorded");
	T_EQ_INT(lasterr_read(&sf, v, 1), 1);
	T_TRUE(strncmp(v[0].msg, "warning 399 ", 12) == 0);
	log_secrets_clear();
	log_init(LOG_WARN, LOG_FMT_AUTO, stderr);
	log_set_cmd(NULL);
	fclose(fp);
	state_close(&sf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	T_EQ_INT(system(cmd), 0);
}
