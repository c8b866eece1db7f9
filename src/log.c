/*
 * SPDX-License-Identifier: ISC
 *
 * stderr logging with levels, two formats and secret masking; see log.h.
 * The secrets registry is guarded by a mutex: a runner listing fetches
 * pages on a second thread (github.c), which may renew a token and
 * register it while this thread logs.  It has two parts: long-lived
 * secrets (PAT, App key, AWS keys, admin token), kept until forgotten and
 * never pushed out, and the newest LOG_SHORT_MAX short-lived ones (JWTs,
 * JIT configs, registration and queue tokens), which a burst of new ones
 * may push out.
 */

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define LOG_LINE_MAX	4096
#define LOG_SHORT_MAX	32
#define LOG_REDACTED	"<redacted>"
/*
 * A secret that leaves the registry (forgotten once used or replaced,
 * or pushed out by newer short-lived ones) may still be valid, and a
 * server may still echo it: a single-use JIT config stays valid until
 * its runner connects, long after its launch is done.  The newest
 * LOG_RETIRED_MAX of them stay masked by their first LOG_RETIRED_PRE
 * characters (too few to be of use, and no more memory for a burst of
 * 4 KB configs): a token that starts so is redacted for the secret's
 * length.  Shorter secrets are not kept.
 */
#define LOG_RETIRED_MAX	1024
#define LOG_RETIRED_PRE	16

struct retired {
	char	 pre[LOG_RETIRED_PRE];
	size_t	 len;
};
static struct retired	 retired[LOG_RETIRED_MAX];
static size_t		 nretired, retired_next;

static enum log_level	 level = LOG_WARN;
static enum log_format	 format;	/* TEXT, JSON or LOGFMT */
static int		 event_text;	/* events as text on stdout */
static void		(*hook_clear)(void *), (*hook_redraw)(void *);
static void		*hook_arg;
static void		(*sink)(void *, enum log_level, const char *,
			    const char *);
static void		*sink_arg;
static _Thread_local int in_sink;
static int		 stamp;
static FILE		*out;
static const char	*cmdname;
static char		**secrets;	/* long-lived, then short-lived */
static size_t		 nsecrets, nlong, capsecrets;
static pthread_mutex_t	 secrets_mu = PTHREAD_MUTEX_INITIALIZER;
/* Launch workers log too: a line and the status line's redraw stay whole. */
static pthread_mutex_t	 out_mu = PTHREAD_MUTEX_INITIALIZER;

static const char *const names[] = { "error", "warn", "info", "debug", "trace" };

/* see log.h */
void
log_init(enum log_level l, enum log_format f, FILE *fp)
{
	int	 tty;

	out = fp;
	level = l;
	tty = isatty(fileno(fp));
	format = f == LOG_FMT_AUTO ? (tty ? LOG_FMT_TEXT : LOG_FMT_JSON) : f;
	/* auto: events go to a person's terminal as text, else with the log */
	event_text = format == LOG_FMT_TEXT || (f == LOG_FMT_AUTO &&
	    isatty(STDOUT_FILENO));
	stamp = !tty;
}

/* see log.h */
void
log_set_cmd(const char *c)
{
	cmdname = c;
}

/* see log.h */
int
log_level_parse(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (str_ieq(s, names[i]))
			return (int)i;
	if (str_ieq(s, "warning"))
		return LOG_WARN;
	if (s[0] >= '0' && s[0] <= '4' && s[1] == '\0')
		return s[0] - '0';
	return -1;
}

/* see log.h */
int
log_format_parse(const char *s)
{
	if (strcmp(s, "text") == 0)
		return LOG_FMT_TEXT;
	if (strcmp(s, "json") == 0)
		return LOG_FMT_JSON;
	if (strcmp(s, "logfmt") == 0)
		return LOG_FMT_LOGFMT;
	if (strcmp(s, "auto") == 0)
		return LOG_FMT_AUTO;
	return -1;
}

/* Keep s masked by its prefix (secrets_mu held). */
static void
retire(const char *s)
{
	size_t	 n = strlen(s);

	if (n < LOG_RETIRED_PRE)
		return;
	memcpy(retired[retired_next].pre, s, LOG_RETIRED_PRE);
	retired[retired_next].len = n;
	retired_next = (retired_next + 1) % LOG_RETIRED_MAX;
	if (nretired < LOG_RETIRED_MAX)
		nretired++;
}

/* Register s; long ones go before the short-lived tail. */
static void
secret_add(const char *s, int lasting)
{
	size_t	 i;

	if (s == NULL || strlen(s) < 4)
		return;
	pthread_mutex_lock(&secrets_mu);
	for (i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], s) == 0) {
			if (!lasting || i < nlong)
				goto out;
			/* A short-lived value turned long-lived. */
			secret_free(secrets[i]);
			memmove(secrets + i, secrets + i + 1,
			    (nsecrets - i - 1) * sizeof(secrets[0]));
			nsecrets--;
			break;
		}
	if (!lasting && nsecrets - nlong == LOG_SHORT_MAX) {
		/* Only the oldest short-lived secret ever gives way. */
		retire(secrets[nlong]);
		secret_free(secrets[nlong]);
		memmove(secrets + nlong, secrets + nlong + 1,
		    (nsecrets - nlong - 1) * sizeof(secrets[0]));
		nsecrets--;
	}
	if (nsecrets == capsecrets) {
		capsecrets = capsecrets == 0 ? LOG_SHORT_MAX * 2 :
		    capsecrets * 2;
		secrets = xrealloc(secrets, capsecrets * sizeof(secrets[0]));
	}
	if (lasting) {
		memmove(secrets + nlong + 1, secrets + nlong,
		    (nsecrets - nlong) * sizeof(secrets[0]));
		secrets[nlong++] = xstrdup(s);
	} else
		secrets[nsecrets] = xstrdup(s);
	nsecrets++;
out:
	pthread_mutex_unlock(&secrets_mu);
}

/* see log.h */
void
log_secret(const char *s)
{
	secret_add(s, 1);
}

/* see log.h */
void
log_secret_short(const char *s)
{
	secret_add(s, 0);
}

/* see log.h */
void
log_secret_forget(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	pthread_mutex_lock(&secrets_mu);
	for (i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], s) == 0) {
			retire(secrets[i]);
			secret_free(secrets[i]);
			memmove(secrets + i, secrets + i + 1,
			    (nsecrets - i - 1) * sizeof(secrets[0]));
			nsecrets--;
			if (i < nlong)
				nlong--;
			break;
		}
	pthread_mutex_unlock(&secrets_mu);
}

/* see log.h */
void
log_secrets_clear(void)
{
	pthread_mutex_lock(&secrets_mu);
	while (nsecrets > 0)
		secret_free(secrets[--nsecrets]);
	nlong = 0;
	free(secrets);
	secrets = NULL;
	capsecrets = 0;
	wipe(retired, sizeof(retired));
	nretired = retired_next = 0;
	pthread_mutex_unlock(&secrets_mu);
}

/*
 * At "://" with user information after it ("://user:pass@host"), the
 * length of "://user:pass" (up to the last '@' of the authority); else 0.
 * The authority ends at the first of "/?#" (RFC 3986 section 3.2), or at
 * what ends a URL quoted in a message.
 */
static size_t
userinfo_len(const char *p)
{
	const char	*q, *at = NULL;

	if (strncmp(p, "://", 3) != 0)
		return 0;
	for (q = p + 3; *q != '\0' && strchr("/?#'\" <>\t", *q) == NULL; q++)
		if (*q == '@')
			at = q;
	return at != NULL ? (size_t)(at - p) : 0;
}

/* Characters of a token (base64, base64url, JWT, hex, URL-safe). */
static int
tok_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("+/_-.~", c) != NULL;
}

/* At a token start p: the length to redact for a retired secret, or 0. */
static size_t
retired_len(const char *p)
{
	size_t	 i, run;

	for (i = 0; i < nretired; i++) {
		if (strncmp(p, retired[i].pre, LOG_RETIRED_PRE) != 0)
			continue;
		for (run = LOG_RETIRED_PRE; p[run] != '\0' &&
		    (tok_char((unsigned char)p[run]) || p[run] == '='); run++)
			;
		return run < retired[i].len ? run : retired[i].len;
	}
	return 0;
}

/* see log.h */
void
log_redact(const char *src, char *dst, size_t size)
{
	char		*s, *p, esc[8];
	const char	*rep;
	size_t		 o = 0, i, n, skip;
	unsigned char	 c;

	if (size == 0)
		return;
	p = s = xstrdup(src);	/* src may be dst */
	pthread_mutex_lock(&secrets_mu);
	while (*p != '\0' && o + 1 < size) {
		rep = NULL;
		skip = 0;
		for (i = 0; i < nsecrets; i++) {
			n = strlen(secrets[i]);
			if (strncmp(p, secrets[i], n) == 0) {
				rep = LOG_REDACTED;
				skip = n;
				break;
			}
		}
		if (rep == NULL && nretired > 0 && (p == s ||
		    !tok_char((unsigned char)p[-1])) &&
		    (skip = retired_len(p)) > 0)
			rep = LOG_REDACTED;
		/* Credentials in a URL: never printed (curl does the same). */
		if (rep == NULL && (skip = userinfo_len(p)) > 0)
			rep = "://" LOG_REDACTED;
		/*
		 * Control characters (a server's ESC or BEL among them) would
		 * drive the terminal: shown as \xNN.
		 */
		c = (unsigned char)*p;
		if (rep == NULL && ((c < 0x20 && c != '\t') || c == 0x7f)) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			rep = esc;
			skip = 1;
		}
		if (rep == NULL) {
			dst[o++] = *p++;
			continue;
		}
		n = strlen(rep);
		if (o + n >= size)
			n = size - 1 - o;
		memcpy(dst + o, rep, n);
		o += n;
		p += skip;
	}
	dst[o] = '\0';
	pthread_mutex_unlock(&secrets_mu);
	wipe(s, strlen(s));
	free(s);
}

/* see log.h */
void
log_json_escape(const char *s, char *dst, size_t size)
{
	size_t	 o = strlen(dst);
	char	 esc[8];
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			esc[2] = '\0';
		} else if (c == '\n') {
			memcpy(esc, "\\n", 3);
		} else if (c == '\t') {
			memcpy(esc, "\\t", 3);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		} else {
			esc[0] = (char)c;
			esc[1] = '\0';
		}
		if (o + strlen(esc) + 1 > size)
			break;
		memcpy(dst + o, esc, strlen(esc) + 1);
		o += strlen(esc);
	}
}

/* see log.h */
int
log_enabled(enum log_level l)
{
	return l <= level;
}

static void
append(char *dst, size_t size, const char *s)
{
	size_t	 o = strlen(dst), n = strlen(s);

	if (o + n + 1 > size)
		n = size - o - 1;
	memcpy(dst + o, s, n);
	dst[o + n] = '\0';
}

static void
timestamp(char *ts, size_t size)
{
	struct timeval	 tv;
	struct tm	 tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
}

/* see log.h */
void
log_set_sink(void (*fn)(void *, enum log_level, const char *, const char *),
    void *arg)
{
	sink = fn;
	sink_arg = arg;
}

/* see log.h */
void
log_set_hook(void (*clear)(void *), void (*redraw)(void *), void *arg)
{
	hook_clear = clear;
	hook_redraw = redraw;
	hook_arg = arg;
}

/* Append s as a logfmt value: bare if it can be, else quoted. */
static void
logfmt_value(char *dst, size_t size, const char *s)
{
	if (*s != '\0' && strpbrk(s, " =\"\\") == NULL) {
		append(dst, size, s);
		return;
	}
	append(dst, size, "\"");
	log_json_escape(s, dst, size);
	append(dst, size, "\"");
}

/*
 * One line in the current format: the level (NULL for a text event), the
 * message (json "msg", or an event's kind), and key/value pairs.
 */
static void
emit(FILE *fp, enum log_format fmt, const char *lname, const char *msg,
    const char *kind, const char *const *kv, size_t nkv)
{
	char	 line[LOG_LINE_MAX * 2], val[LOG_LINE_MAX], ts[96];
	size_t	 i;

	timestamp(ts, sizeof(ts));
	line[0] = '\0';
	if (fmt == LOG_FMT_JSON) {
		snprintf(line, sizeof(line), "{\"ts\":\"%s\",\"level\":\"%s\"",
		    ts, lname);
		if (cmdname != NULL && *cmdname != '\0') {
			append(line, sizeof(line), ",\"cmd\":\"");
			log_json_escape(cmdname, line, sizeof(line));
			append(line, sizeof(line), "\"");
		}
		append(line, sizeof(line), kind != NULL ? ",\"event\":\"" :
		    ",\"msg\":\"");
		log_json_escape(kind != NULL ? kind : msg, line, sizeof(line));
		append(line, sizeof(line), "\"");
		for (i = 0; i < nkv; i++) {
			log_redact(kv[2 * i + 1], val, sizeof(val));
			append(line, sizeof(line), ",\"");
			log_json_escape(kv[2 * i], line, sizeof(line));
			append(line, sizeof(line), "\":\"");
			log_json_escape(val, line, sizeof(line));
			append(line, sizeof(line), "\"");
		}
		append(line, sizeof(line), "}");
	} else if (fmt == LOG_FMT_LOGFMT) {
		snprintf(line, sizeof(line), "ts=%s level=%s", ts, lname);
		if (cmdname != NULL && *cmdname != '\0') {
			append(line, sizeof(line), " cmd=");
			logfmt_value(line, sizeof(line), cmdname);
		}
		append(line, sizeof(line), kind != NULL ? " event=" : " msg=");
		logfmt_value(line, sizeof(line), kind != NULL ? kind : msg);
		for (i = 0; i < nkv; i++) {
			log_redact(kv[2 * i + 1], val, sizeof(val));
			append(line, sizeof(line), " ");
			append(line, sizeof(line), kv[2 * i]);
			append(line, sizeof(line), "=");
			logfmt_value(line, sizeof(line), val);
		}
	} else if (kind != NULL) {
		/* A text event: "2026-12-01T20:00:00Z launch    key=value" */
		snprintf(line, sizeof(line), "%.19sZ %-12s", ts, kind);
		for (i = 0; i < nkv; i++) {
			log_redact(kv[2 * i + 1], val, sizeof(val));
			append(line, sizeof(line), " ");
			append(line, sizeof(line), kv[2 * i]);
			append(line, sizeof(line), "=");
			append(line, sizeof(line), *val != '\0' ? val : "-");
		}
	} else {
		snprintf(line, sizeof(line), "%s%sghrctl: %s%s%s%s",
		    stamp ? ts : "", stamp ? " " : "",
		    cmdname ? cmdname : "", cmdname ? ": " : "",
		    strcmp(lname, "warn") == 0 ? "warning: " : "", msg);
	}
	pthread_mutex_lock(&out_mu);
	if (hook_clear != NULL)
		hook_clear(hook_arg);
	fprintf(fp, "%s\n", line);
	fflush(fp);
	if (hook_redraw != NULL)
		hook_redraw(hook_arg);
	pthread_mutex_unlock(&out_mu);
}

/* see log.h */
int
log_event_text(void)
{
	return event_text;
}

/* see log.h */
void
log_event(const char *kind, const char *const *kv, size_t nkv)
{
	if (out == NULL)
		out = stderr;
	if (event_text)
		emit(stdout, LOG_FMT_TEXT, "info", NULL, kind, kv, nkv);
	else
		emit(out, format, "info", NULL, kind, kv, nkv);
}

/* see log.h */
void
log_msg(enum log_level l, const char *fmt, ...)
{
	char	 raw[LOG_LINE_MAX], msg[LOG_LINE_MAX];
	va_list	 ap;
	char	*nl;

	if (l > level && (sink == NULL || l > LOG_WARN || in_sink))
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* One event, one line. */
	while ((nl = strpbrk(raw, "\r\n")) != NULL)
		*nl = ' ';
	log_redact(raw, msg, sizeof(msg));
	if (sink != NULL && l <= LOG_WARN && !in_sink) {
		in_sink = 1;
		sink(sink_arg, l, cmdname, msg);
		in_sink = 0;
	}
	if (l > level)
		return;
	if (out == NULL)
		out = stderr;
	emit(out, format, names[l], msg, NULL, NULL, 0);
}
