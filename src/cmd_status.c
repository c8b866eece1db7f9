/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl status: one screen about the configured scale set.  From the
 * state directory (files only, no lock taken): the message session, who
 * holds the scale set's lock (the "pid PID on HOST" its holder wrote),
 * the oldest waiting job of the job journal and the last warnings and
 * errors (lasterr.h).  From the Actions Service: the scale set and its
 * statistics (jobs waiting, acquired, assigned, running; runners).  From
 * EC2: the scale set's instances by state, type, market, pool and age.
 * desired is plan_desired() of the statistics, as scale computes it.
 * What cannot be read is said, and the rest still shown; -w repeats it
 * every SECONDS, clearing a terminal first, until a signal.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"

#include "aws.h"
#include "cmd.h"
#include "ec2.h"
#include "journal.h"
#include "json.h"
#include "lasterr.h"
#include "log.h"
#include "out.h"
#include "plan.h"
#include "scaleset.h"
#include "sig.h"
#include "state.h"
#include "util.h"

#define KEY_WATCH	'w'
#define STATUS_ERRS	5	/* last errors shown */
#define STATUS_NOTES	4	/* sources that can fail */
#define STATUS_GROUPS	64	/* instance rows (state, type, market, pool) */

static const struct opt status_opts[] = {
	{ "watch", KEY_WATCH, OPT_REQ, "SECONDS",
	    "refresh every SECONDS (or 500ms, 1m), in place on a terminal" },
	{ "output", 'o', OPT_REQ, "FORMAT", "table or json" },
	OPT_END
};

struct status_args {
	long long	 watch_ms;	/* 0: once */
	enum out_fmt	 fmt;
};

/* Instances of one state, type, market and pool. */
struct group {
	const char	*state, *type, *pool;
	int		 spot;
	size_t		 n;
	long long	 oldest, newest;	/* seconds since launch */
};

struct status {
	int64_t			 now;
	const char		*name;
	int64_t			 set_id;	/* 0: unknown */
	struct state		 st;
	int			 held;
	char			 holder[96];
	int			 has_stats;
	struct as_stats		 stats;
	unsigned int		 min, max, desired, live;
	int			 have_inst;
	struct ec2_instances	 in;
	struct group		 g[STATUS_GROUPS];
	size_t			 ng;
	struct journal_job	*jobs;
	size_t			 njobs, nwaiting;
	const struct journal_job *oldest;	/* oldest waiting job */
	struct lasterr		 errs[STATUS_ERRS];
	size_t			 nerrs;
	char			 notes[STATUS_NOTES][ERROR_MSG_MAX + 64];
	size_t			 nnotes;
	struct error		 first;		/* first failure, for exit */
	int			 failed;
};

static const struct error *
status_opt(void *arg, int key, const char *val)
{
	struct status_args	*a = arg;

	switch (key) {
	case KEY_WATCH:
		if (parse_duration_ms(val, 1000, &a->watch_ms) == -1 ||
		    a->watch_ms < 100 || a->watch_ms > 86400000LL)
			return error_fmt(ERR_USAGE, "-w '%s': use seconds "
			    "(2, or 500ms, 30s, 1m: from 100ms to 24h)", val);
		return NULL;
	case 'o':
		return cmd_output_parse(val, OUT_ALLOW_TABLE_JSON, &a->fmt);
	}
	return error_fmt(ERR_SOFTWARE, "status: option %d unhandled", key);
}

/* A source that could not be read: noted, the first one kept for exit. */
static void
note(struct status *s, const char *what, const struct error *e)
{
	if (!s->failed++)
		s->first = *e;
	if (s->nnotes < STATUS_NOTES)
		snprintf(s->notes[s->nnotes++], sizeof(s->notes[0]),
		    "%s: %s", what, e->msg);
}

/* The state file, its lock's holder, the journal and the error record. */
static void
from_files(struct ctx *ctx, struct status *s)
{
	const struct error	*e;
	struct state_file	 sf = STATE_FILE_INIT;
	size_t			 i;

	if ((e = state_locate(&ctx->cfg, &sf, &s->name)) != NULL) {
		note(s, "state", e);
		return;
	}
	if ((e = state_load(&sf, &s->st)) != NULL)
		note(s, "state file", e);
	s->set_id = s->st.scale_set_id;
	s->held = state_holder(&sf, s->holder, sizeof(s->holder));
	s->nerrs = lasterr_read(&sf, s->errs, STATUS_ERRS);
	if ((e = journal_read(&sf, &s->jobs, &s->njobs)) != NULL)
		note(s, "job journal", e);
	for (i = 0; i < s->njobs; i++) {
		const struct journal_job *j = &s->jobs[i];

		if (j->queued == 0 || j->started != 0 || j->finished != 0 ||
		    j->result[0] != '\0')
			continue;
		s->nwaiting++;
		if (s->oldest == NULL || j->queued < s->oldest->queued)
			s->oldest = j;
	}
}

/* The scale set and its statistics from the Actions Service. */
static void
from_service(struct ctx *ctx, struct status *s)
{
	const struct error	*e;
	struct cmd_as		 c;
	struct as_scale_set	 set;

	cmd_as_init(&c);
	memset(&set, 0, sizeof(set));
	if ((e = cmd_as_open(ctx, &c, 0)) != NULL ||
	    (e = cmd_as_scale_set(ctx, &c, &set)) != NULL)
		note(s, "scale set", e);
	else {
		s->set_id = set.id;
		s->has_stats = set.has_stats;
		s->stats = set.stats;
	}
	asmsg_scale_set_release(&set);
	cmd_as_close(&c);
}

static void
group_add(struct status *s, const struct ec2_instance *x)
{
	struct group	*g;
	long long	 age = x->launch_time > 0 && s->now > x->launch_time ?
			    (long long)(s->now - x->launch_time) : 0;
	size_t		 i;

	for (i = 0; i < s->ng; i++) {
		g = &s->g[i];
		if (strcmp(g->state, x->state) == 0 && strcmp(g->type,
		    x->type) == 0 && g->spot == x->spot && strcmp(g->pool,
		    x->pool) == 0)
			break;
	}
	if (i == s->ng) {
		if (s->ng == STATUS_GROUPS)
			return;
		g = &s->g[s->ng++];
		g->state = x->state;
		g->type = x->type;
		g->pool = x->pool;
		g->spot = x->spot;
		g->oldest = g->newest = age;
	}
	g = &s->g[i];
	g->n++;
	if (age > g->oldest)
		g->oldest = age;
	if (age < g->newest)
		g->newest = age;
}

/* The scale set's instances from EC2. */
static void
from_ec2(struct ctx *ctx, struct status *s)
{
	const struct error	*e;
	struct http_client	*http;
	struct aws		*aws = NULL;
	size_t			 i;

	if (s->set_id == 0)
		return;		/* said by from_service() */
	if ((e = ctx_http(ctx, &http)) != NULL ||
	    (e = aws_new(&ctx->cfg, http, ctx->envp, NULL, &aws)) != NULL ||
	    (e = ec2_describe_scale_set(aws, s->set_id, &s->in)) != NULL)
		note(s, "EC2", e);
	else
		s->have_inst = 1;
	aws_free(aws);
	for (i = 0; i < s->in.n; i++) {
		group_add(s, &s->in.v[i]);
		if (ec2_state_live(s->in.v[i].state))
			s->live++;
	}
}

static void
gather(struct ctx *ctx, struct status *s)
{
	memset(s, 0, sizeof(*s));
	state_init(&s->st);
	s->now = (int64_t)time(NULL);
	s->min = (unsigned int)config_num(&ctx->cfg, K_MIN_RUNNERS);
	s->max = (unsigned int)config_num(&ctx->cfg, K_MAX_RUNNERS);
	from_files(ctx, s);
	if (s->name == NULL)
		return;
	from_service(ctx, s);
	from_ec2(ctx, s);
	s->desired = plan_desired(s->min, s->max, s->has_stats ?
	    s->stats.assigned : -1);
}

static void
release(struct status *s)
{
	state_release(&s->st);
	ec2_instances_release(&s->in);
	free(s->jobs);
	s->jobs = NULL;
}

static void
utc(int64_t t, char *dst, size_t size)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	gmtime_r(&tt, &tm);
	strftime(dst, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "3 running, 1 pending" or "pool: hot 3, stopped 2" counts into b. */
static void
counts(const struct status *s, int pools, cJSON *obj, struct buf *b)
{
	const char	*seen[STATUS_GROUPS], *k;
	size_t		 i, j, n, nseen = 0;

	for (i = 0; i < s->ng; i++) {
		k = pools ? s->g[i].pool : s->g[i].state;
		if (*k == '\0')
			continue;
		for (j = 0; j < nseen && strcmp(seen[j], k) != 0; j++)
			;
		if (j < nseen)
			continue;
		seen[nseen++] = k;
		for (j = 0, n = 0; j < s->ng; j++)
			if (strcmp(pools ? s->g[j].pool : s->g[j].state, k) == 0)
				n += s->g[j].n;
		if (obj != NULL)
			cJSON_AddNumberToObject(obj, k, (double)n);
		if (b != NULL)
			(void)buf_addf(b, "%s%s %zu", b->len > 0 ? ", " :
			    "", k, n);
	}
}

static void
print_json(const struct status *s)
{
	cJSON		*o, *x, *a;
	char		*txt, t[32];
	size_t		 i;
	long		 pid;
	char		 host[96];

	o = cJSON_CreateObject();
	utc(s->now, t, sizeof(t));
	cJSON_AddStringToObject(o, "time", t);
	x = cJSON_AddObjectToObject(o, "scaleSet");
	cJSON_AddStringToObject(x, "name", s->name != NULL ? s->name : "");
	if (s->set_id != 0)
		cJSON_AddNumberToObject(x, "id", (double)s->set_id);
	else
		cJSON_AddNullToObject(x, "id");
	x = cJSON_AddObjectToObject(o, "session");
	if (s->st.session_id != NULL) {
		cJSON_AddStringToObject(x, "id", s->st.session_id);
		cJSON_AddStringToObject(x, "owner", s->st.owner_name != NULL ?
		    s->st.owner_name : "");
	} else {
		cJSON_AddNullToObject(x, "id");
		cJSON_AddNullToObject(x, "owner");
	}
	cJSON_AddBoolToObject(x, "lockHeld", s->held);
	if (s->held && sscanf(s->holder, "pid %ld on %95s", &pid, host) ==
	    2) {
		a = cJSON_AddObjectToObject(x, "holder");
		cJSON_AddNumberToObject(a, "pid", (double)pid);
		cJSON_AddStringToObject(a, "host", host);
	} else
		cJSON_AddNullToObject(x, "holder");
	if (s->has_stats) {
		x = cJSON_AddObjectToObject(o, "jobs");
		cJSON_AddNumberToObject(x, "waiting",
		    (double)s->stats.available);
		cJSON_AddNumberToObject(x, "acquired",
		    (double)s->stats.acquired);
		cJSON_AddNumberToObject(x, "assigned",
		    (double)s->stats.assigned);
		cJSON_AddNumberToObject(x, "running", (double)s->stats.running);
	} else
		cJSON_AddNullToObject(o, "jobs");
	x = cJSON_AddObjectToObject(o, "runners");
	if (s->has_stats) {
		cJSON_AddNumberToObject(x, "desired", s->desired);
		cJSON_AddNumberToObject(x, "registered",
		    (double)s->stats.registered);
		cJSON_AddNumberToObject(x, "busy", (double)s->stats.busy);
		cJSON_AddNumberToObject(x, "idle", (double)s->stats.idle);
	} else
		cJSON_AddNullToObject(x, "desired");
	if (s->have_inst)
		cJSON_AddNumberToObject(x, "live", s->live);
	else
		cJSON_AddNullToObject(x, "live");
	cJSON_AddNumberToObject(x, "min", s->min);
	cJSON_AddNumberToObject(x, "max", s->max);
	if (s->have_inst) {
		x = cJSON_AddObjectToObject(o, "instances");
		counts(s, 0, cJSON_AddObjectToObject(x, "byState"), NULL);
		a = cJSON_AddArrayToObject(x, "groups");
		for (i = 0; i < s->ng; i++) {
			cJSON *g = cJSON_CreateObject();

			cJSON_AddStringToObject(g, "state", s->g[i].state);
			cJSON_AddStringToObject(g, "type", s->g[i].type);
			cJSON_AddStringToObject(g, "market", s->g[i].spot ?
			    "spot" : "on-demand");
			cJSON_AddStringToObject(g, "pool", s->g[i].pool);
			cJSON_AddNumberToObject(g, "count", (double)s->g[i].n);
			cJSON_AddNumberToObject(g, "oldestSeconds",
			    (double)s->g[i].oldest);
			cJSON_AddNumberToObject(g, "newestSeconds",
			    (double)s->g[i].newest);
			cJSON_AddItemToArray(a, g);
		}
	} else
		cJSON_AddNullToObject(o, "instances");
	counts(s, 1, cJSON_AddObjectToObject(o, "pools"), NULL);
	cJSON_AddNumberToObject(o, "waitingJobs", (double)s->nwaiting);
	if (s->oldest != NULL) {
		x = cJSON_AddObjectToObject(o, "oldestWaitingJob");
		cJSON_AddNumberToObject(x, "runnerRequestId",
		    (double)s->oldest->req);
		cJSON_AddStringToObject(x, "repository", s->oldest->repo);
		cJSON_AddStringToObject(x, "workflow", s->oldest->workflow);
		cJSON_AddStringToObject(x, "job", s->oldest->name);
		utc(s->oldest->queued, t, sizeof(t));
		cJSON_AddStringToObject(x, "queued", t);
		cJSON_AddNumberToObject(x, "waitingSeconds", (double)(s->now >
		    s->oldest->queued ? s->now - s->oldest->queued : 0));
	} else
		cJSON_AddNullToObject(o, "oldestWaitingJob");
	a = cJSON_AddArrayToObject(o, "lastErrors");
	for (i = 0; i < s->nerrs; i++) {
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "at", s->errs[i].at);
		cJSON_AddStringToObject(x, "level", s->errs[i].level);
		cJSON_AddStringToObject(x, "cmd", s->errs[i].cmd);
		cJSON_AddStringToObject(x, "msg", s->errs[i].msg);
		cJSON_AddItemToArray(a, x);
	}
	a = cJSON_AddArrayToObject(o, "unavailable");
	for (i = 0; i < s->nnotes; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(s->notes[i]));
	txt = json_print(o);
	printf("%s\n", txt);
	free(txt);
	cJSON_Delete(o);
}

/* "label  text", text cut to the terminal's width (cols 0: whole). */
static void
line(unsigned int cols, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
line(unsigned int cols, const char *label, const char *fmt, ...)
{
	char	 b[1024];
	int	 n;
	va_list	 ap;

	n = snprintf(b, sizeof(b), "%-12s ", label);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(b))
		vsnprintf(b + n, sizeof(b) - (size_t)n, fmt, ap);
	va_end(ap);
	for (n = 0; b[n] != '\0'; n++)
		if ((unsigned char)b[n] < 0x20 || b[n] == 0x7f)
			b[n] = '?';
	if (cols > 0)
		str_fit(b, cols + 1);
	printf("%s\n", b);
}

static const struct out_col group_cols[] = {
	{ "STATE", "state", OUT_STR, 0 },
	{ "TYPE", "type", OUT_STR, 0 },
	{ "MARKET", "market", OUT_STR, 0 },
	{ "POOL", "pool", OUT_STR, 0 },
	{ "COUNT", "count", OUT_NUM, 1 },
	{ "OLDEST", "oldest", OUT_SECS, 1 },
	{ "NEWEST", "newest", OUT_SECS, 1 }
};

static void
print_table(const struct status *s, unsigned int cols)
{
	struct buf	 b = BUF_INIT(4096);
	struct out	*o;
	char		 n[3][24], t[32], w[16], id[24] = "?", live[16] = "?";
	const char	*f[7];
	size_t		 i;

	if (s->set_id != 0)
		snprintf(id, sizeof(id), "%lld", (long long)s->set_id);
	if (s->have_inst)
		snprintf(live, sizeof(live), "%u", s->live);
	line(cols, "scale set", "%s (id %s)", s->name != NULL ? s->name : "?",
	    id);
	line(cols, "session", "%s%s%s%s", s->st.session_id != NULL ?
	    s->st.session_id : "none", s->st.owner_name != NULL ?
	    " (owner " : "", s->st.owner_name != NULL ? s->st.owner_name : "",
	    s->st.owner_name != NULL ? ")" : "");
	if (s->held)
		line(cols, "lock", "held by %s", s->holder[0] != '\0' ?
		    s->holder : "a ghrctl that did not say who it is");
	else
		line(cols, "lock", "free (no poll --follow, scale or cleanup "
		    "running)");
	if (s->has_stats) {
		line(cols, "jobs", "waiting %lld  acquired %lld  assigned "
		    "%lld  running %lld", (long long)s->stats.available,
		    (long long)s->stats.acquired, (long long)s->stats.assigned,
		    (long long)s->stats.running);
		line(cols, "runners", "desired %u  live %s  max %u  (min %u; "
		    "registered %lld, busy %lld, idle %lld)", s->desired, live,
		    s->max, s->min, (long long)s->stats.registered,
		    (long long)s->stats.busy, (long long)s->stats.idle);
	} else {
		line(cols, "jobs", "? (no statistics)");
		line(cols, "runners", "desired ?  live %s  max %u  (min %u)",
		    live, s->max, s->min);
	}
	counts(s, 0, NULL, &b);
	line(cols, "instances", "%s", !s->have_inst ? "?" : b.len > 0 ? b.p :
	    "none");
	buf_reset(&b);
	counts(s, 1, NULL, &b);
	if (b.len > 0)
		line(cols, "pools", "%s", b.p);
	if (s->oldest != NULL) {
		out_secs((long long)(s->now > s->oldest->queued ? s->now -
		    s->oldest->queued : 0), w, sizeof(w));
		utc(s->oldest->queued, t, sizeof(t));
		line(cols, "oldest job", "#%lld %s %s, waiting %s (queued %s; "
		    "%zu waiting in the journal)", (long long)s->oldest->req,
		    s->oldest->repo[0] ? s->oldest->repo : "?",
		    s->oldest->name[0] ? s->oldest->name : "?", w, t,
		    s->nwaiting);
	} else
		line(cols, "oldest job", "none waiting (job journal)");
	for (i = 0; i < s->nerrs; i++)
		line(cols, i == 0 ? "last errors" : "", "%s %s %s: %s",
		    s->errs[i].at, s->errs[i].cmd, s->errs[i].level,
		    s->errs[i].msg);
	if (s->nerrs == 0)
		line(cols, "last errors", "none recorded");
	for (i = 0; i < s->nnotes; i++)
		line(cols, i == 0 ? "unavailable" : "", "%s", s->notes[i]);
	buf_release(&b);
	if (s->ng == 0)
		return;
	putchar('\n');
	o = out_new(OUT_TABLE, group_cols, 7, 0);
	(void)out_sort(o, "state");
	for (i = 0; i < s->ng; i++) {
		snprintf(n[0], sizeof(n[0]), "%zu", s->g[i].n);
		snprintf(n[1], sizeof(n[1]), "%lld", s->g[i].oldest);
		snprintf(n[2], sizeof(n[2]), "%lld", s->g[i].newest);
		f[0] = s->g[i].state;
		f[1] = s->g[i].type;
		f[2] = s->g[i].spot ? "spot" : "on-demand";
		f[3] = s->g[i].pool;
		f[4] = n[0];
		f[5] = n[1];
		f[6] = n[2];
		out_row(o, f);
	}
	(void)out_end(o);
	out_free(o);
}

static const struct error *
cmd_status(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct status_args	 a;
	struct status		*s;
	unsigned int		 cols = out_term_cols(STDOUT_FILENO);
	int64_t			 start;
	char			 t[32];

	memset(&a, 0, sizeof(a));
	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, status_opt, &a)) !=
	    NULL || ctx->done)
		return e;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[0]);
	if (config_str(&ctx->cfg, K_RUNNER_SCALE_SET_NAME) == NULL)
		return error_fmt(ERR_CONFIG, "no scale set name: set "
		    "RUNNER_SCALE_SET_NAME or use --scale-set NAME");
	s = xcalloc(1, sizeof(*s));
	if (a.watch_ms > 0)
		sig_stop_install();
	for (;;) {
		start = now_ms();
		gather(ctx, s);
		if (a.fmt == OUT_JSON)
			print_json(s);
		else {
			if (a.watch_ms > 0 && cols > 0)
				fputs("\033[H\033[2J", stdout);	/* clear */
			if (a.watch_ms > 0) {
				utc(s->now, t, sizeof(t));
				line(cols, "status at", "%s, every %.1fs (^C "
				    "ends)", t, (double)a.watch_ms / 1000);
			}
			print_table(s, cols);
			if (a.watch_ms > 0 && cols == 0)
				putchar('\n');
		}
		fflush(stdout);
		e = s->failed ? error_fmt(s->first.class, "%s", s->first.msg) :
		    NULL;
		release(s);
		if (a.watch_ms == 0 || sig_stop)
			break;
		sig_nap(a.watch_ms - (now_ms() - start));
		if (sig_stop)
			break;
	}
	free(s);
	/* Once: a source that failed is the exit status; -w ends on a signal. */
	return a.watch_ms > 0 ? NULL : e;
}

const struct cmd cmd_status_def = {
	"status", cmd_status, "status [-w SECONDS] [-o table|json]",
	"one screen: session, jobs, runners, instances, pools, last errors",
	status_opts, NULL
};
