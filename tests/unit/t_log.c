/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "t.h"

/*
 * Log one line at warn level to a temporary file; its text in out, less
 * the time stamp (the file is not a terminal).
 */
static void
log_line(char *out, size_t size, const char *fmt, const char *arg)
{
	FILE	*fp = tmpfile();
	char	*p;
	size_t	 n;

	out[0] = '\0';
	if (fp == NULL)
		return;
	log_init(LOG_WARN, LOG_FMT_TEXT, fp);
	log_msg(LOG_WARN, fmt, arg);
	rewind(fp);
	n = fread(out, 1, size - 1, fp);
	out[n] = '\0';
	fclose(fp);
	if ((p = strstr(out, " ghrctl: ")) != NULL)
		memmove(out, p + 1, strlen(p + 1) + 1);
	log_init(LOG_WARN, LOG_FMT_AUTO, stderr);
}

T_REGISTER("log_secret_lasting", t_log_secret_lasting)
static void
t_log_secret_lasting(void)
{
	static const char *const lasting[] = {
		"ghp_patpatpatpatpatpatpat",		/* PAT */
		"-----BEGIN PRIVATE KEY-----MIIEv",	/* App key */
		"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEX",	/* AWS secret key */
		"IQoJb3JpZ2luX2VjEJr//////////wEaCX",	/* session token */
		"eyJhbGciOiJSUzI1NiJ9.admin.token",	/* admin token */
	};
	char	 out[512], jwt[64];
	size_t	 i;
	int	 n;

	for (i = 0; i < sizeof(lasting) / sizeof(lasting[0]); i++)
		log_secret(lasting[i]);
	/* 100 short-lived ones (JWTs, JIT configs), never forgotten. */
	for (n = 0; n < 100; n++) {
		snprintf(jwt, sizeof(jwt), "eyJ.short-lived.%03d", n);
		log_secret_short(jwt);
	}
	for (i = 0; i < sizeof(lasting) / sizeof(lasting[0]); i++) {
		log_line(out, sizeof(out), "token %s used", lasting[i]);
		T_EQ_STR(out, "ghrctl: warning: token <redacted> used\n");
	}
	/* The newest 32 short-lived ones are still masked ... */
	log_line(out, sizeof(out), "jwt %s", "eyJ.short-lived.068");
	T_EQ_STR(out, "ghrctl: warning: jwt <redacted>\n");
	/* ... the oldest gave way to them. */
	log_line(out, sizeof(out), "jwt %s", "eyJ.short-lived.067");
	T_EQ_STR(out, "ghrctl: warning: jwt eyJ.short-lived.067\n");
	/* A long-lived secret registered again as short stays lasting. */
	log_secret_short(lasting[0]);
	for (n = 100; n < 140; n++) {
		snprintf(jwt, sizeof(jwt), "eyJ.short-lived.%03d", n);
		log_secret_short(jwt);
	}
	log_redact(lasting[0], out, sizeof(out));
	T_EQ_STR(out, "<redacted>");
	/* A replaced one is forgotten on purpose. */
	log_secret_forget(lasting[2]);
	log_redact(lasting[2], out, sizeof(out));
	T_EQ_STR(out, lasting[2]);
	log_redact(lasting[3], out, sizeof(out));
	T_EQ_STR(out, "<redacted>");
	log_secrets_clear();
	log_redact(lasting[0], out, sizeof(out));
	T_EQ_STR(out, lasting[0]);
}
