/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "t.h"
#include "util.h"

T_REGISTER("str_fit", t_str_fit)
static void
t_str_fit(void)
{
	char	 s[128];

	snprintf(s, sizeof(s), "%s", "statistics   assigned=0 running=0 "
	    "available=0 acquired=0 runners=0 busy=0 idle=0");
	T_EQ_INT(strlen(s), 80);	/* one wider than 79 */
	str_fit(s, 80);			/* 79 bytes, the cut marked */
	T_EQ_INT(strlen(s), 79);
	T_EQ_INT(s[78], '>');
	str_fit(s, 80);			/* fits: untouched */
	T_EQ_INT(strlen(s), 79);
	str_fit(s, 40);			/* the last column stays empty */
	T_EQ_INT(strlen(s), 39);
	T_EQ_INT(s[38], '>');
	str_fit(s, 1);
	T_EQ_STR(s, ">");
	str_fit(s, 0);
	T_EQ_STR(s, ">");
	snprintf(s, sizeof(s), "short");
	str_fit(s, 6);
	T_EQ_STR(s, "short");
	str_fit(s, 5);
	T_EQ_STR(s, "sho>");
}

/* One event or warning in format f, to a file; its text less the time. */
static void
line_in(enum log_format f, int event, char *out, size_t size)
{
	FILE	*fp = tmpfile();
	char	*p;
	size_t	 n;

	out[0] = '\0';
	if (fp == NULL)
		return;
	log_init(LOG_WARN, f, fp);
	log_set_cmd("poll");
	log_secret("ghp_secretsecretsecret");
	event_enable(1);
	if (event)
		event_emit(EV_LAUNCH, "runner", "ghrctl-1-r7", "instance",
		    "i-0abc", "note", "a \"b\"=c ghp_secretsecretsecret", NULL);
	else
		log_warn("two words");
	event_enable(0);
	event_emit(EV_LAUNCH, "runner", "off", NULL);	/* off: nothing */
	rewind(fp);
	n = fread(out, 1, size - 1, fp);
	out[n] = '\0';
	fclose(fp);
	log_set_cmd(NULL);
	log_secrets_clear();
	log_init(LOG_WARN, LOG_FMT_AUTO, stderr);
	/* Cut the time stamp: "ts=...Z " or "{"ts":"...Z"," */
	if ((p = strstr(out, "Z\",")) != NULL || (p = strstr(out, "Z ")) !=
	    NULL)
		memmove(out, p + 2, strlen(p + 2) + 1);
}

T_REGISTER("log_formats", t_log_formats)
static void
t_log_formats(void)
{
	char	 out[512];

	line_in(LOG_FMT_JSON, 1, out, sizeof(out));
	T_EQ_STR(out, ",\"level\":\"info\",\"cmd\":\"poll\",\"event\":"
	    "\"launch\",\"runner\":\"ghrctl-1-r7\",\"instance\":\"i-0abc\","
	    "\"note\":\"a \\\"b\\\"=c <redacted>\"}\n");
	line_in(LOG_FMT_LOGFMT, 1, out, sizeof(out));
	T_EQ_STR(out, "level=info cmd=poll event=launch runner=ghrctl-1-r7 "
	    "instance=i-0abc note=\"a \\\"b\\\"=c <redacted>\"\n");
	line_in(LOG_FMT_LOGFMT, 0, out, sizeof(out));
	T_EQ_STR(out, "level=warn cmd=poll msg=\"two words\"\n");
	line_in(LOG_FMT_JSON, 0, out, sizeof(out));
	T_EQ_STR(out, ",\"level\":\"warn\",\"cmd\":\"poll\",\"msg\":"
	    "\"two words\"}\n");
	T_EQ_INT(log_format_parse("logfmt"), LOG_FMT_LOGFMT);
	T_EQ_INT(log_format_parse("xml"), -1);
}
