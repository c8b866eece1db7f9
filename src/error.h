/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_ERROR_H
#define GHRCTL_ERROR_H

/*
 * Error values (after got's lib/error.c).  A function that can fail returns
 * const struct error *: NULL is success.  Errors live in a ring of slots,
 * so making one never allocates and cannot fail, and an error raised
 * while cleaning up does not overwrite the one being returned.  Each
 * thread has its own ring: an error handed to another thread goes as
 * error_copy(), made by the receiving thread while the sender waits.  Only main.c
 * prints an error; the class chooses the exit status (sysexits.h values,
 * listed in ghrctl(1) EXIT STATUS).
 */

enum err_class {
	ERR_FAIL = 1,		/* the remote refused the operation (e.g. 422) */
	ERR_USAGE = 64,		/* EX_USAGE: bad command line */
	ERR_DATA = 65,		/* EX_DATAERR: bad input file or state file */
	ERR_UNAVAIL = 69,	/* EX_UNAVAILABLE: cannot connect, 5xx after retries */
	ERR_SOFTWARE = 70,	/* EX_SOFTWARE: a bug */
	ERR_IO = 74,		/* EX_IOERR: local read or write failed */
	ERR_TEMP = 75,		/* EX_TEMPFAIL: throttled, lock held, timed out */
	ERR_PROTO = 76,		/* EX_PROTOCOL: unparseable or unexpected reply */
	ERR_PERM = 77,		/* EX_NOPERM: 401/403, TLS trust failure */
	ERR_CONFIG = 78		/* EX_CONFIG: missing or invalid setting */
};

#define ERROR_MSG_MAX	512

struct error {
	enum err_class	 class;
	int		 http_status;	/* 0 when not from an HTTP reply */
	char		 msg[ERROR_MSG_MAX];
};

/* A new error of class c with a printf-formatted message.  Never fails. */
const struct error	*error_fmt(enum err_class c, const char *fmt, ...)
			    __attribute__((format(printf, 2, 3)));

/* Like error_fmt(), recording the HTTP status the error came from. */
const struct error	*error_http(enum err_class c, int status,
			    const char *fmt, ...)
			    __attribute__((format(printf, 3, 4)));

/*
 * "<op> <path>: <strerror(errno)>" with a class chosen from errno
 * (EACCES -> ERR_PERM, ENOENT -> ERR_CONFIG, else ERR_IO).  path may be NULL.
 */
const struct error	*error_errno(const char *op, const char *path);

/* A copy of e with "<prefix>: " put before its message (same class). */
const struct error	*error_wrap(const struct error *e, const char *fmt, ...)
			    __attribute__((format(printf, 2, 3)));

/* The exit status for e (0 for NULL). */
int			 error_exit_status(const struct error *e);

/* A copy of e (NULL for NULL) in this thread's ring. */
const struct error	*error_copy(const struct error *e);

#endif
