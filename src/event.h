/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_EVENT_H
#define GHRCTL_EVENT_H

/*
 * The events of poll --follow: one line per thing it does (launch, bind,
 * start, completion, termination, capacity wait, standby, takeover,
 * session re-creation, a retried error), printed at the default level.
 * Each call site is one event_emit() at the point where the thing
 * happens, so counters can hang on the same calls.  Events are off until
 * event_enable(1) (poll --follow); one-shot commands print none.
 */

/* Kinds, one word each (the "event" field of json and logfmt lines). */
#define EV_LAUNCH	"launch"	/* job ("-": none) runner instance type market */
#define EV_BIND		"bind"		/* job runner: the service assigned it */
#define EV_START	"start"		/* job runner */
#define EV_COMPLETE	"complete"	/* job runner result */
#define EV_TERMINATE	"terminate"	/* runner instance */
#define EV_CAPACITY	"capacity"	/* waiting live max */
#define EV_STANDBY	"standby"	/* scaleset */
#define EV_TAKEOVER	"takeover"	/* scaleset */
#define EV_SESSION	"session"	/* scaleset reason */
#define EV_RETRY	"retry"		/* error wait_ms */

void	event_enable(int on);
int	event_enabled(void);

/*
 * Emit kind with key/value string pairs ending in NULL, e.g.
 * event_emit(EV_TERMINATE, "runner", name, "instance", id, NULL).
 * At most EVENT_PAIRS_MAX pairs; a NULL value prints as "-".
 */
#define EVENT_PAIRS_MAX	12
void	event_emit(const char *kind, ...) __attribute__((sentinel));

#endif
