/*
 * SPDX-License-Identifier: ISC
 *
 * Event lines of poll --follow; see event.h.  The format and stream are
 * the log module's (log_event), so events and log lines share one stream
 * and one format outside a terminal.
 */

#include <stdarg.h>
#include <stddef.h>

#include "event.h"
#include "log.h"

static int	 enabled;

/* see event.h */
void
event_enable(int on)
{
	enabled = on;
}

/* see event.h */
int
event_enabled(void)
{
	return enabled;
}

/* see event.h */
void
event_emit(const char *kind, ...)
{
	const char	*kv[EVENT_PAIRS_MAX * 2], *k, *v;
	size_t		 n = 0;
	va_list		 ap;

	if (!enabled)
		return;
	va_start(ap, kind);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (n < EVENT_PAIRS_MAX) {
			kv[2 * n] = k;
			kv[2 * n + 1] = v != NULL ? v : "";
			n++;
		}
	}
	va_end(ap);
	log_event(kind, kv, n);
}
