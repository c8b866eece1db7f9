/*
 * SPDX-License-Identifier: ISC
 *
 * Error values kept in a ring of slots per thread; see error.h.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

#define ERROR_SLOTS	16

static _Thread_local struct error	 slots[ERROR_SLOTS];
static _Thread_local unsigned int	 next_slot;

static struct error *
slot_take(enum err_class c, int status)
{
	struct error	*e = &slots[next_slot++ % ERROR_SLOTS];

	e->class = c;
	e->http_status = status;
	e->msg[0] = '\0';
	return e;
}

/* see error.h */
const struct error *
error_fmt(enum err_class c, const char *fmt, ...)
{
	struct error	*e = slot_take(c, 0);
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return e;
}

/* see error.h */
const struct error *
error_http(enum err_class c, int status, const char *fmt, ...)
{
	struct error	*e = slot_take(c, status);
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return e;
}

/* see error.h */
const struct error *
error_errno(const char *op, const char *path)
{
	int		 saved = errno;
	enum err_class	 c = ERR_IO;

	if (saved == EACCES || saved == EPERM)
		c = ERR_PERM;
	else if (saved == ENOENT || saved == ENOTDIR)
		c = ERR_CONFIG;
	if (path != NULL)
		return error_fmt(c, "%s '%s': %s", op, path, strerror(saved));
	return error_fmt(c, "%s: %s", op, strerror(saved));
}

/* see error.h */
const struct error *
error_wrap(const struct error *e, const char *fmt, ...)
{
	struct error	*n;
	char		 prefix[ERROR_MSG_MAX], msg[ERROR_MSG_MAX];
	enum err_class	 c;
	int		 status;
	va_list		 ap;

	if (e == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* e may be the slot about to be reused: copy it first. */
	c = e->class;
	status = e->http_status;
	memcpy(msg, e->msg, sizeof(msg));
	n = slot_take(c, status);
	snprintf(n->msg, sizeof(n->msg), "%s", prefix);
	snprintf(n->msg + strlen(n->msg), sizeof(n->msg) - strlen(n->msg),
	    ": %s", msg);
	return n;
}

/* see error.h */
int
error_exit_status(const struct error *e)
{
	return e == NULL ? 0 : (int)e->class;
}

/* see error.h */
const struct error *
error_copy(const struct error *e)
{
	if (e == NULL)
		return NULL;
	return error_http(e->class, e->http_status, "%s", e->msg);
}
