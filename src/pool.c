/*
 * SPDX-License-Identifier: ISC
 *
 * Warm pools, pure (see pool.h): the POOL_SCHEDULE parser, the sizes in
 * force at a time, and the decisions about pool instances.  EC2 keeps a
 * stopped EBS-backed instance and its volumes, and charges only the
 * storage while stopped (Amazon EC2 User Guide, "Stop and start Amazon
 * EC2 instances"); a one-time spot instance cannot be stopped ("Stop a
 * Spot Instance"), so pool instances are on-demand.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "pool.h"
#include "sigv4.h"
#include "util.h"

static const char *const day_names[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun"
};

/* A cursor over one window's text, for errors that quote it. */
struct lex {
	const char	*p;
	const char	*w;		/* the window's text */
	size_t		 wlen;
	size_t		 num;		/* window number, from 1 */
};

static const struct error *
bad(const struct lex *l, const char *what)
{
	return error_fmt(ERR_CONFIG, "POOL_SCHEDULE window %zu ('%.*s'): %s",
	    l->num, (int)(l->wlen > 80 ? 80 : l->wlen), l->w, what);
}

static void
blanks(struct lex *l)
{
	while (*l->p == ' ' || *l->p == '\t')
		l->p++;
}

/* A day name at l->p: its index, or -1. */
static int
day(struct lex *l)
{
	int	 i;

	for (i = 0; i < 7; i++)
		if (strncmp(l->p, day_names[i], 3) == 0) {
			l->p += 3;
			return i;
		}
	return -1;
}

static const struct error *
days(struct lex *l, unsigned int *out)
{
	int	 a, b, i;

	*out = 0;
	for (;;) {
		if ((a = day(l)) < 0)
			return bad(l, "expected a day: mon, tue, wed, thu, fri, "
			    "sat or sun");
		b = a;
		if (*l->p == '-') {
			l->p++;
			if ((b = day(l)) < 0)
				return bad(l, "expected a day after '-'");
		}
		for (i = a;; i = (i + 1) % 7) {
			*out |= 1u << i;
			if (i == b)
				break;
		}
		if (*l->p != ',')
			return NULL;
		l->p++;
	}
}

/* HH:MM (00:00 .. 24:00) at l->p into minutes. */
static int
clock_time(struct lex *l, int *min)
{
	const char	*p = l->p;
	int		 h, m;

	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' ||
	    p[2] != ':' || p[3] < '0' || p[3] > '5' || p[4] < '0' ||
	    p[4] > '9')
		return -1;
	h = (p[0] - '0') * 10 + (p[1] - '0');
	m = (p[3] - '0') * 10 + (p[4] - '0');
	if (h > 24 || (h == 24 && m != 0))
		return -1;
	*min = h * 60 + m;
	l->p += 5;
	return 0;
}

static const struct error *
range(struct lex *l, struct pool_window *w)
{
	if (clock_time(l, &w->start) == -1)
		return bad(l, "expected a time HH:MM (00:00 to 24:00)");
	if (*l->p++ != '-' || clock_time(l, &w->end) == -1)
		return bad(l, "expected a range HH:MM-HH:MM");
	if (w->start == w->end)
		return bad(l, "the range is empty (start equals end)");
	if (w->start == 24 * 60)
		return bad(l, "a range cannot start at 24:00");
	return NULL;
}

static const struct error *
size(struct lex *l, struct pool_window *w)
{
	unsigned int	 v;
	char		 num[16];
	int		*dst;
	size_t		 n;

	if (strncmp(l->p, "hot=", 4) == 0) {
		dst = &w->hot;
		l->p += 4;
	} else if (strncmp(l->p, "stopped=", 8) == 0) {
		dst = &w->stopped;
		l->p += 8;
	} else
		return bad(l, "expected hot=N or stopped=N");
	if (*dst != -1)
		return bad(l, dst == &w->hot ? "hot= given twice" :
		    "stopped= given twice");
	n = strspn(l->p, "0123456789");
	if (n == 0 || n >= sizeof(num))
		return bad(l, "expected a number after '='");
	memcpy(num, l->p, n);
	num[n] = '\0';
	if (parse_uint(num, POOL_SIZE_MAX, &v) == -1)
		return bad(l, "a size is a number from 0 to 10000");
	*dst = (int)v;
	l->p += n;
	return NULL;
}

static const struct error *
window(struct lex *l, struct pool_window *w)
{
	const struct error	*e;
	const char		*q;
	int			 nsizes = 0;

	memset(w, 0, sizeof(*w));
	w->start = w->end = -1;
	w->hot = w->stopped = -1;
	w->days = 0x7f;
	blanks(l);
	if (*l->p == '*')
		l->p++;
	else if (*l->p >= '0' && *l->p <= '9') {
		if ((e = range(l, w)) != NULL)
			return e;
	} else {
		if ((e = days(l, &w->days)) != NULL)
			return e;
		q = l->p;
		blanks(l);
		if (*l->p >= '0' && *l->p <= '9') {
			if ((e = range(l, w)) != NULL)
				return e;
		} else
			l->p = q;	/* the sizes' blank */
	}
	for (;;) {
		if (*l->p != ' ' && *l->p != '\t' && *l->p != '\0')
			return bad(l, "expected a blank between the parts");
		blanks(l);
		if (*l->p == '\0')
			break;
		if ((e = size(l, w)) != NULL)
			return e;
		nsizes++;
	}
	if (nsizes == 0)
		return bad(l, "no size: add hot=N and/or stopped=N");
	return NULL;
}

/* see pool.h */
const struct error *
pool_schedule_parse(const char *text, struct pool_schedule *out)
{
	const struct error	*e;
	struct lex		 l;
	char			 buf[512];
	const char		*p = text, *end;
	size_t			 n;

	out->n = 0;
	if (text == NULL || text[strspn(text, " \t")] == '\0')
		return NULL;
	for (;;) {
		end = strchr(p, ';');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		memset(&l, 0, sizeof(l));
		l.w = p;
		l.wlen = n;
		l.num = out->n + 1;
		if (out->n == POOL_WINDOWS_MAX)
			return bad(&l, "more than 32 windows");
		if (n >= sizeof(buf))
			return bad(&l, "longer than 511 characters");
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (strspn(buf, " \t") == n)
			return bad(&l, "empty window (a stray ';'?)");
		l.p = buf;
		if ((e = window(&l, &out->w[out->n])) != NULL)
			return e;
		out->n++;
		if (end == NULL)
			return NULL;
		p = end + 1;
	}
}

/* see pool.h */
const struct error *
pool_tz_parse(const char *text, int *offset)
{
	const char	*p = text;
	int		 sign, h, m;

	if (text == NULL || strcmp(text, "UTC") == 0 || strcmp(text, "Z") == 0) {
		*offset = 0;
		return NULL;
	}
	if (str_prefix(p, "UTC"))
		p += 3;
	if ((p[0] != '+' && p[0] != '-') || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9' || p[3] != ':' || p[4] < '0' ||
	    p[4] > '5' || p[5] < '0' || p[5] > '9' || p[6] != '\0')
		return error_fmt(ERR_CONFIG, "POOL_TZ '%.40s': give UTC or a "
		    "fixed offset such as +02:00 or -05:00 (zone names are "
		    "not read: no zoneinfo in a static binary)", text);
	sign = p[0] == '+' ? 1 : -1;
	h = (p[1] - '0') * 10 + (p[2] - '0');
	m = (p[4] - '0') * 10 + (p[5] - '0');
	if (h > 14 || (h == 14 && m != 0))
		return error_fmt(ERR_CONFIG, "POOL_TZ '%.40s': offsets run "
		    "from -14:00 to +14:00", text);
	*offset = sign * (h * 3600 + m * 60);
	return NULL;
}

static int
covers(const struct pool_window *w, int wday, int min)
{
	int	 yday = (wday + 6) % 7;

	if (w->start < 0)
		return (w->days >> wday) & 1;
	if (w->start < w->end)
		return ((w->days >> wday) & 1) && min >= w->start &&
		    min < w->end;
	/* Past midnight: the part after midnight belongs to the day before. */
	if (min >= w->start)
		return (w->days >> wday) & 1;
	return min < w->end && ((w->days >> yday) & 1);
}

/* see pool.h */
void
pool_sizes(const struct pool_schedule *s, int64_t now,
    unsigned int min_runners, unsigned int *hot, unsigned int *stopped)
{
	int64_t	 t = now + s->offset, d;
	int	 wday, min;
	size_t	 i;

	d = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	wday = (int)(((d + 3) % 7 + 7) % 7);	/* 1970-01-01: Thursday */
	min = (int)((t - d * 86400) / 60);
	*hot = min_runners;
	*stopped = 0;
	for (i = 0; i < s->n; i++) {
		if (!covers(&s->w[i], wday, min))
			continue;
		if (s->w[i].hot >= 0)
			*hot = (unsigned int)s->w[i].hot;
		if (s->w[i].stopped >= 0)
			*stopped = (unsigned int)s->w[i].stopped;
		return;
	}
}

static const char *const state_names[] = {
	"", "warming", "stopped", "bound", NULL
};

/* see pool.h */
enum pool_state
pool_state_of(const char *tag)
{
	int	 i;

	if (tag == NULL || *tag == '\0')
		return POOL_NONE;
	for (i = 1; state_names[i] != NULL; i++)
		if (strcmp(tag, state_names[i]) == 0)
			return (enum pool_state)i;
	return POOL_UNKNOWN;
}

/* see pool.h */
const char *
pool_state_name(enum pool_state s)
{
	return s <= POOL_BOUND ? state_names[s] : "unknown";
}

/* see pool.h */
void
pool_config_key(const struct ec2_launch *l, char out[POOL_CONFIG_KEY_LEN + 1])
{
	char	 in[4096], hex[65];
	size_t	 i;
	int	 n;

	n = snprintf(in, sizeof(in), "%s\n%s\n%s\n%s\n", l->ami ? l->ami : "",
	    l->template_id ? l->template_id : "", l->template_name ?
	    l->template_name : "", l->template_version ?
	    l->template_version : "");
	for (i = 0; i < l->ntypes && n >= 0 && (size_t)n < sizeof(in); i++)
		n += snprintf(in + n, sizeof(in) - (size_t)n, "%s,",
		    l->types[i]);
	if (n < 0 || (size_t)n >= sizeof(in))
		n = (int)sizeof(in) - 1;
	sigv4_sha256_hex(in, (size_t)n, hex);
	memcpy(out, hex, POOL_CONFIG_KEY_LEN);
	out[POOL_CONFIG_KEY_LEN] = '\0';
}

static int
is(const char *state, const char *want)
{
	return strcmp(state, want) == 0;
}

/* Oldest launch first. */
static const struct ec2_instance *sort_v;

static int
by_age(const void *a, const void *b)
{
	int64_t	 x = sort_v[*(const size_t *)a].launch_time;
	int64_t	 y = sort_v[*(const size_t *)b].launch_time;

	return x < y ? -1 : x > y;
}

/* see pool.h */
void
pool_plan(const struct pool_settings *s, const struct ec2_instance *v,
    size_t n, int64_t now, struct plan *pl, struct pool_plan *p)
{
	struct plan_action	*a;
	char			 d1[32], d2[32];
	size_t			 i, keep, held;
	int64_t			 age;
	unsigned int		 want, ceiling;

	pool_plan_release(p);
	p->avail = xcalloc(n + 1, sizeof(*p->avail));
	for (i = 0; i < n; i++) {
		const struct ec2_instance *in = &v[i];
		enum pool_state ps = pool_state_of(in->pool);

		age = in->launch_time > 0 ? now - in->launch_time : 0;
		plan_duration(age, d1, sizeof(d1));
		if (ps == POOL_NONE || ps == POOL_UNKNOWN ||
		    is(in->state, "terminated") ||
		    is(in->state, "shutting-down"))
			continue;
		if (ps == POOL_WARMING) {
			if (is(in->state, "stopped")) {
				a = plan_add(pl, PLAN_POOL_READY, i, PLAN_NONE);
				snprintf(a->reason, sizeof(a->reason), "warmed "
				    "up and stopped (age %s)", d1);
				/* usable: judged below like any stopped one */
			} else if (ec2_state_live(in->state) &&
			    age >= s->warm_timeout) {
				a = plan_add(pl, PLAN_POOL_STOP, i, PLAN_NONE);
				plan_duration(s->warm_timeout, d2, sizeof(d2));
				snprintf(a->reason, sizeof(a->reason), "first "
				    "boot did not stop itself within %s (age "
				    "%s)", d2, d1);
				p->warming++;
				continue;
			} else {
				p->warming++;
				continue;
			}
		}
		if (ps == POOL_BOUND) {
			if ((is(in->state, "stopped") ||
			    is(in->state, "stopping")) &&
			    now - in->pool_since >= s->grace) {
				a = plan_add(pl, PLAN_POOL_TERMINATE, i,
			    PLAN_NONE);
				snprintf(a->reason, sizeof(a->reason), "bound "
				    "to runner %.60s and %s: a pool instance "
				    "serves one job", in->runner[0] ?
				    in->runner : "?", in->state);
			}
			continue;
		}
		/* In the pool (stopped, or warming that just stopped). */
		if (ec2_state_live(in->state)) {
			a = plan_add(pl, PLAN_POOL_TERMINATE, i,
			    PLAN_NONE);
			snprintf(a->reason, sizeof(a->reason), "in the stopped "
			    "pool but %s without a runner", in->state);
			continue;
		}
		if (!is(in->state, "stopped"))
			continue;	/* stopping: wait */
		if (s->max_age > 0 && age >= s->max_age) {
			a = plan_add(pl, PLAN_POOL_TERMINATE, i,
			    PLAN_NONE);
			plan_duration(s->max_age, d2, sizeof(d2));
			snprintf(a->reason, sizeof(a->reason), "older than "
			    "POOL_MAX_AGE %s (age %s)", d2, d1);
			continue;
		}
		if (s->config != NULL && strcmp(in->pool_config,
		    s->config) != 0) {
			a = plan_add(pl, PLAN_POOL_TERMINATE, i,
			    PLAN_NONE);
			snprintf(a->reason, sizeof(a->reason), "made with "
			    "other launch settings (AMI, instance type or "
			    "launch template changed)");
			continue;
		}
		p->avail[p->navail++] = i;
	}
	sort_v = v;
	qsort(p->avail, p->navail, sizeof(*p->avail), by_age);
	sort_v = NULL;
	/* Surplus: above the size or the ceiling, the newest go. */
	keep = s->stopped < s->max_stopped ? s->stopped : s->max_stopped;
	while (p->navail > keep) {
		i = p->avail[--p->navail];
		a = plan_add(pl, PLAN_POOL_TERMINATE, i,
			    PLAN_NONE);
		snprintf(a->reason, sizeof(a->reason), "more stopped "
		    "instances than the schedule's stopped=%u now (ceiling "
		    "POOL_MAX_STOPPED %u)", s->stopped, s->max_stopped);
	}
	p->stopped = (unsigned int)p->navail;
	held = p->navail + p->warming;
	ceiling = s->max_stopped;
	want = s->stopped < ceiling ? s->stopped : ceiling;
	p->warm = want > held ? want - (unsigned int)held : 0;
	if (p->warm > s->warm_max)
		p->warm = s->warm_max;
}

/* see pool.h */
void
pool_plan_release(struct pool_plan *p)
{
	free(p->avail);
	memset(p, 0, sizeof(*p));
}
