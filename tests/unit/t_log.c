/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "t.h"
#include "url.h"

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
	/* ... the oldest gave way to them, but stay masked as retired. */
	log_line(out, sizeof(out), "jwt %s", "eyJ.short-lived.067");
	T_EQ_STR(out, "ghrctl: warning: jwt <redacted>\n");
	/* A long-lived secret registered again as short stays lasting. */
	log_secret_short(lasting[0]);
	for (n = 100; n < 140; n++) {
		snprintf(jwt, sizeof(jwt), "eyJ.short-lived.%03d", n);
		log_secret_short(jwt);
	}
	log_redact(lasting[0], out, sizeof(out));
	T_EQ_STR(out, "<redacted>");
	/* A replaced one is forgotten on purpose, and stays masked. */
	log_secret_forget(lasting[2]);
	log_redact(lasting[2], out, sizeof(out));
	T_EQ_STR(out, "<redacted>");
	log_redact(lasting[3], out, sizeof(out));
	T_EQ_STR(out, "<redacted>");
	log_secrets_clear();
	log_redact(lasting[0], out, sizeof(out));
	T_EQ_STR(out, lasting[0]);
}

/*
 * A JIT config forgotten once its launch is done is still valid until
 * its runner connects: a server that echoes it later (a hostile one, or
 * a proxy's error page) must not put it in the log.  Found by t9030
 * under load, when one launch finished before the other's reply came.
 */
T_REGISTER("log_secret_retired", t_log_secret_retired)
static void
t_log_secret_retired(void)
{
	char	 out[512], jit[64], first[64];
	int	 n;

	log_secret_short("SklUU0VDUkVULWI2ZTM1MzFkYWIxMzQ5");
	log_secret_forget("SklUU0VDUkVULWI2ZTM1MzFkYWIxMzQ5");
	log_redact("< X-Echo: Bearer <redacted> SklUU0VDUkVULWI2ZTM1MzFkYWIxMzQ5 "
	    "REG3BB", out, sizeof(out));
	T_EQ_STR(out, "< X-Echo: Bearer <redacted> <redacted> REG3BB");
	/* Inside a longer token it is no token start: left alone. */
	log_redact("xSklUU0VDUkVULWI2ZTM1MzFkYWIxMzQ5", out, sizeof(out));
	T_EQ_STR(out, "xSklUU0VDUkVULWI2ZTM1MzFkYWIxMzQ5");
	/* In JSON and after '=': redacted up to the secret's length. */
	log_redact("{\"c\":\"SklUU0VDUkVULWI2ZTM1MzFkYWIxMzQ5\"} "
	    "t=SklUU0VDUkVULWI2ZTM1MzFkYWIxMzQ5abc", out, sizeof(out));
	T_EQ_STR(out, "{\"c\":\"<redacted>\"} t=<redacted>abc");
	/* Only the newest 1024 are kept; shorter than 16: not at all. */
	snprintf(first, sizeof(first), "%05d-retired-secret", 0);
	for (n = 0; n <= 1024; n++) {
		snprintf(jit, sizeof(jit), "%05d-retired-secret", n);
		log_secret_short(jit);
		log_secret_forget(jit);
	}
	log_redact(jit, out, sizeof(out));
	T_EQ_STR(out, "<redacted>");
	log_redact(first, out, sizeof(out));
	T_EQ_STR(out, first);		/* the 1025th pushed it out */
	log_redact("00001-retired-secretx", out, sizeof(out));
	T_EQ_STR(out, "<redacted>x");	/* for the secret's length */
	log_secret_short("short-secret");
	log_secret_forget("short-secret");
	log_redact("short-secret", out, sizeof(out));
	T_EQ_STR(out, "short-secret");
	log_secrets_clear();
	log_redact(jit, out, sizeof(out));
	T_EQ_STR(out, jit);
}

T_REGISTER("log_url_credentials", t_log_url_credentials)
static void
t_log_url_credentials(void)
{
	const struct error	*e;
	struct url		 u = URL_INIT;
	char			 out[1024], url[600];

	log_redact("invalid HTTPS_PROXY: invalid URL 'http://ci:s3cret@a b:1'",
	    out, sizeof(out));
	T_EQ_STR(out, "invalid HTTPS_PROXY: invalid URL "
	    "'http://<redacted>@a b:1'");
	log_redact("via http://u%40x:p%40ss@proxy:3128/ and https://h/p@q",
	    out, sizeof(out));
	T_EQ_STR(out, "via http://<redacted>@proxy:3128/ and https://h/p@q");
	/* The error itself holds no password, even one longer than shown. */
	memset(url, 'p', sizeof(url));
	memcpy(url, "http://ci:", 10);
	snprintf(url + 250, sizeof(url) - 250, "@host:99999");
	e = url_parse(url, &u);
	T_ERR(e, ERR_CONFIG);
	if (e != NULL)
		T_TRUE(strstr(e->msg, "ppppp") == NULL);
	e = url_parse("http://ci:s3cret@host:bad/", &u);
	T_ERR(e, ERR_CONFIG);
	if (e != NULL)
		T_EQ_STR(e->msg, "invalid URL 'http://<redacted>@host:bad/': "
		    "bad port");
	url_release(&u);
}

T_REGISTER("log_control_chars", t_log_control_chars)
static void
t_log_control_chars(void)
{
	char	 out[256];

	/* A server's message with an OSC title change and a bell. */
	log_line(out, sizeof(out), "rejected (%s)",
	    "Bad\033]0;owned\007 cred\tentials\177");
	T_EQ_STR(out, "ghrctl: warning: rejected (Bad\\x1b]0;owned\\x07 "
	    "cred\tentials\\x7f)\n");
	log_redact("a\033[2Jb\r", out, sizeof(out));
	T_EQ_STR(out, "a\\x1b[2Jb\\x0d");
	/* In place, as callers quoting server text do. */
	snprintf(out, sizeof(out), "x\033y");
	log_redact(out, out, sizeof(out));
	T_EQ_STR(out, "x\\x1by");
	/* Cut short, never in the middle of a byte's escape... or past it. */
	log_redact("\033\033\033", out, 6);
	T_EQ_INT(strlen(out), 5);
}
