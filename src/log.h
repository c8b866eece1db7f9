/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_LOG_H
#define GHRCTL_LOG_H

#include <stdio.h>

/*
 * Logging to stderr.  stdout carries only results.  Two formats: text
 * ("ghrctl: <cmd>: <message>", prefixed by an RFC 3339 UTC time when stderr
 * is not a terminal) and JSON lines ({"ts":...,"level":...,"cmd":...,
 * "msg":...}).  Every registered secret is replaced by <redacted> in every
 * line at every level, so a token that reaches a message by accident still
 * never reaches the log.  The level and format are the only mutable
 * globals, set once by main.
 */

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE
};

enum log_format {
	LOG_FMT_AUTO = 0,	/* text on a terminal, JSON otherwise */
	LOG_FMT_TEXT,
	LOG_FMT_JSON,
	LOG_FMT_LOGFMT		/* key=value pairs, as logfmt readers take */
};

void	log_init(enum log_level, enum log_format, FILE *);
void	log_set_cmd(const char *cmd);

/* Parse "error|warn|info|debug|trace" (or 0-4); -1 if unknown. */
int	log_level_parse(const char *);
/* Parse "text|json|logfmt|auto"; -1 if unknown. */
int	log_format_parse(const char *);

/*
 * Register a long-lived secret (PAT, App key, AWS secret key and session
 * token, admin token) so it is masked in all later lines; it stays
 * registered until log_secret_forget().  The string is copied; values
 * shorter than 4 bytes are ignored.
 */
void	log_secret(const char *);
/*
 * Register a short-lived secret (JWT, JIT config, registration, queue or
 * IMDS token): the registry keeps the newest 32 of these, so a burst of
 * them pushes out only older short-lived ones, never a long-lived secret.
 */
void	log_secret_short(const char *);
/*
 * Drop s from the registry (a value replaced or used up).  It, like one
 * pushed out by newer short-lived ones, stays masked among the newest
 * 1024 retired secrets, by its first 16 characters where a token starts
 * (a used-up value may still be valid, and a server may echo it).
 */
void	log_secret_forget(const char *);
void	log_secrets_clear(void);

/*
 * Copy src into dst (size; src may be dst) fit for a terminal or a log:
 * every registered secret and the user information of any URL
 * ("scheme://user:pass@host") masked, control characters but tab shown
 * as \xNN.
 */
void	log_redact(const char *src, char *dst, size_t size);

void	log_msg(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_error(...)	log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...)	log_msg(LOG_TRACE, __VA_ARGS__)

/*
 * Something a long-running command did (an event line; see event.h): kind
 * and nkv key/value pairs (kv[2i], kv[2i+1]), masked like every log line.
 * In the text format (and in auto when stdout is a terminal) it goes to
 * stdout as "TIME KIND key=value ..."; in json and logfmt (auto: json) it
 * goes to the log stream with the log lines, as
 * {"ts":...,"level":"info","cmd":...,"event":KIND,key:value...} or
 * "ts=... level=info cmd=... event=KIND key=value ...", so a journal gets
 * one stream in one format.
 */
void	log_event(const char *kind, const char *const *kv, size_t nkv);
/* 1 when events go to stdout as text, 0 when they join the log stream. */
int	log_event_text(void);

/*
 * A hook called before each line goes to a terminal (clear: erase a
 * status line drawn on stdout) and after it (redraw); NULLs remove it.
 */
void	log_set_hook(void (*clear)(void *), void (*redraw)(void *), void *);

/*
 * A sink given every warning and error (masked, one line), whatever the
 * level printed, with the command's name (may be NULL); NULL removes it.
 * Set it before threads start.  A line logged from inside the sink does
 * not reach it again.
 */
void	log_set_sink(void (*fn)(void *, enum log_level, const char *cmd,
	    const char *msg), void *arg);

/* 1 when messages of this level would be printed. */
int	log_enabled(enum log_level);

/* Append s to dst (size) as a JSON string body (no quotes); used by printers. */
void	log_json_escape(const char *s, char *dst, size_t size);

#endif
