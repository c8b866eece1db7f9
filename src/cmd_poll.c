/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl poll: real-time job events of the scale set.  The Actions Service
 * delivers them by HTTPS long poll: a GET on the session's message queue
 * that the service holds about 50 s and answers 200 (a message) or 202
 * (nothing).  There is no WebSocket and no fixed poll interval: --follow
 * polls again at once after each reply.
 *
 * Per message, in this order (at-least-once, nothing lost): acquire the
 * jobs of its JobAvailable entries (without that, jobs never start on
 * GHES), hand statistics and each job to the scaler (--scale), the
 * printer and the --exec hook, persist lastMessageId in the state file, and only
 * then acknowledge (DELETE) the message.  A run killed between persist and
 * ack acknowledges the pending id first on its next start; polling with
 * lastMessageId means the message is not handled twice.
 *
 * --follow also refreshes the session every SESSION_REFRESH_INTERVAL,
 * re-creates a session the service expired, treats a 409 session conflict
 * as "another ghrctl is active" and retries every GHRCTL_STANDBY_WAIT
 * (active/standby failover), backs off with full jitter on faults, and on
 * SIGINT/SIGTERM/SIGHUP deletes its session and exits 0.  Facts: the
 * actions/scaleset Go client (github.com/actions/scaleset: message
 * session, message polling, acquire and delete calls).
 *
 * --scale hands each message's statistics and jobs to the scaler
 * (scaler.h, scaler_events.c), which launches for JobAvailable, retires
 * finished runners and corrects drift.  A launch that fails for a passing
 * reason (throttled, no capacity, network) fails the message, so it is
 * handled again after a backoff and nothing is lost.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "actions_msg.h"
#include "aws.h"
#include "buf.h"
#include "cmd.h"
#include "cmd_poll.h"
#include "deliver.h"
#include "scaler.h"
#include "scaleset.h"
#include "ec2.h"
#include "event.h"
#include "ghurl.h"
#include "github.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "metricsd.h"
#include "plan.h"
#include "sig.h"
#include "state.h"
#include "util.h"

#define KEY_EXEC		256
#define KEY_SCALE		257
#define KEY_METRICS_FILE	258
#define KEY_METRICS_LISTEN	259
#define POLL_LINE_MAX		1024
#define POLL_EVENT_MAX		(256u << 10)	/* one event as JSON */
#define POLL_BACKOFF_BASE_MS	1000
#define POLL_BAD_REPLY_MS	1000	/* pause after a 200 with no body */
#define POLL_PERMANENT_TRIES	5	/* permanent errors before giving up */
#define ACQUIRE_TRIES		3	/* an empty or unparsable acquire reply */
#define ACQUIRE_PAUSE_MS	500
#define SCALE_MAX_MESSAGES	1000	/* one `scale` reads at most these */

static const struct opt poll_opts[] = {
	{ "follow", 'f', OPT_NONE, NULL,
	    "keep polling until SIGINT, SIGTERM or SIGHUP" },
	{ "exec", KEY_EXEC, OPT_REQ, "CMD",
	    "run CMD (sh -c) per job event, the event JSON on stdin" },
	{ "output", 'o', OPT_REQ, "FORMAT", "table (one line per event) "
	    "or json (JSON lines)" },
	{ "scale", KEY_SCALE, OPT_NONE, NULL,
	    "launch and retire EC2 runners as the events arrive" },
	{ "metrics-file", KEY_METRICS_FILE, OPT_REQ, "PATH",
	    "write Prometheus metrics to PATH (atomically) as they change" },
	{ "metrics-listen", KEY_METRICS_LISTEN, OPT_REQ, "ADDR:PORT",
	    "--follow: serve GET /metrics and /healthz over HTTP "
	    "(:PORT: 127.0.0.1)" },
	SCALER_OPT_USER_DATA,
	SCALER_OPT_ENDPOINT,
	CA_OPT_CLOSE_SESSION,
	OPT_END
};

struct poll_args {
	int		 follow;
	int		 close_session;
	const char	*exec;
	const char	*metrics_file;
	const char	*metrics_listen;
	enum out_fmt	 fmt;
	int		 scale;
	struct scaler_opts so;
};

struct poll_run {
	struct ctx		*ctx;
	struct poll_args	 a;
	struct metricsd		*md;		/* --metrics-listen */
	struct cmd_as		 c;
	struct as_session	 s;
	int			 have_session;
	char			 stale[ASMSG_ID_MAX];	/* ours, to delete */
	uint64_t		 refreshes;	/* actions_session_refreshes seen */
	int64_t			 session_ms;	/* when opened/refreshed */
	unsigned int		 max_capacity;
	int			 tty;		/* stdout is a terminal */
	int			 stats_shown;	/* tty: status line drawn */
	unsigned int		 cols;		/* tty: its width, 0: read it */
	int			 colour;	/* tty and no NO_COLOR */
	struct as_stats		 stats;
	int			 have_stats;
	uint64_t		 messages;
	/* --scale */
	struct scaler		 sc;
	int			 scaling;
	int			 got;		/* of the last poll_once() */
	int			 acquire_again;	/* an acquire failed */
	int			 quiet;		/* scale: no event output */
	int			 one_pass;	/* scale: its own pass after */
	/* --follow --scale: sealed configs delivered in the background */
	struct deliver_bg	*dbg;
	struct http_client	*dhttp;
	struct aws		*daws;
};

static const struct error *
poll_opt(void *arg, int key, const char *val)
{
	struct poll_args	*a = arg;

	switch (key) {
	case 'f':
		a->follow = 1;
		return NULL;
	case KEY_EXEC:
		a->exec = val;
		return NULL;
	case KEY_SCALE:
		a->scale = 1;
		return NULL;
	case KEY_METRICS_FILE:
		a->metrics_file = val;
		return NULL;
	case KEY_METRICS_LISTEN:
		a->metrics_listen = val;
		return NULL;
	case CA_KEY_CLOSE_SESSION:
		a->close_session = 1;
		return NULL;
	case SCALER_KEY_USER_DATA:
	case SCALER_KEY_ENDPOINT:
		(void)scaler_opt(&a->so, key, val);
		return NULL;
	case 'o':
		return cmd_output_parse(val, OUT_ALLOW_TABLE_JSON,
		    &a->fmt);
	}
	return error_fmt(ERR_SOFTWARE, "poll: option %d unhandled", key);
}

/* Full-jitter backoff: random in [cap/2, cap], cap = base * 2^n <= max. */
static long long
backoff_ms(unsigned int n, long long max)
{
	long long	 cap = POLL_BACKOFF_BASE_MS;

	while (n-- > 0 && cap < max)
		cap *= 2;
	if (cap > max)
		cap = max;
	if (cap < 2)
		return cap;
	return cap / 2 + (long long)rand_below((uint64_t)(cap / 2) + 1);
}

/* Copy s into dst with control characters replaced (terminal safety). */
static const char *
clean(const char *s, char *dst, size_t size)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		dst[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' :
		    s[i];
	dst[i] = '\0';
	return dst;
}

static void
utc_now(char *dst, size_t size)
{
	time_t		 t = time(NULL);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(dst, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The statistics as text (the tty status line, or a plain line). */
static void
stats_text(const struct as_stats *s, char *dst, size_t size)
{
	snprintf(dst, size, "statistics   assigned=%lld running=%lld "
	    "available=%lld acquired=%lld runners=%lld busy=%lld idle=%lld",
	    (long long)s->assigned, (long long)s->running,
	    (long long)s->available, (long long)s->acquired,
	    (long long)s->registered, (long long)s->busy, (long long)s->idle);
}

static void
out_flush(void)
{
	if (fflush(stdout) == EOF && errno == EPIPE)
		sig_stop = 1;
}

/*
 * 1 when the table's lines go to the log stream as events instead
 * (--follow, --log-format json or logfmt, or auto off a terminal): one
 * stream in one format for a journal.
 */
static int
joined(void)
{
	return event_enabled() && !log_event_text();
}

/* The width of the terminal on stdout, re-read after a SIGWINCH. */
static unsigned int
term_cols(struct poll_run *p)
{
	struct winsize	 ws;

	if (sig_winch || p->cols == 0) {
		sig_winch = 0;
		p->cols = 80;
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
			p->cols = ws.ws_col;
	}
	return p->cols;
}

/* Erase the status line (log hook: before any line goes out). */
static void
status_clear(void *arg)
{
	struct poll_run	*p = arg;

	if (p->tty && p->stats_shown) {
		fputs("\r\033[K", stdout);
		out_flush();
	}
}

/*
 * Draw the statistics as the last line, cut to the terminal's width (less
 * its last column, so it never wraps) and dim unless NO_COLOR is set.
 */
static void
status_draw(void *arg)
{
	struct poll_run	*p = arg;
	char		 st[POLL_LINE_MAX];

	if (!p->tty || !p->stats_shown)
		return;
	stats_text(&p->stats, st, sizeof(st));
	str_fit(st, term_cols(p));
	printf("%s%s%s", p->colour ? "\033[2m" : "", st,
	    p->colour ? "\033[0m" : "");
	out_flush();
}

/*
 * Print one line of output.  On a terminal the statistics stay in view
 * as the last line, redrawn in place ("\r", erase line); anywhere else
 * there are no escape codes at all.
 */
static void
out_line(struct poll_run *p, const char *line)
{
	status_clear(p);
	fputs(line, stdout);
	fputc('\n', stdout);
	status_draw(p);
	out_flush();
}

static const struct error *
print_stats(struct poll_run *p, const struct as_stats *s)
{
	const struct error	*e;
	struct buf		 b = BUF_INIT(POLL_LINE_MAX);
	char			 t[32], st[POLL_LINE_MAX];
	char			 a[24], r[24], w[24];

	if (p->a.fmt == OUT_JSON) {
		if ((e = asmsg_stats_format(s, &b)) == NULL)
			out_line(p, b.p);
		buf_release(&b);
		return e;
	}
	if (p->tty) {
		status_clear(p);
		p->stats_shown = 1;
		status_draw(p);
		return NULL;
	}
	if (joined()) {
		snprintf(a, sizeof(a), "%lld", (long long)s->assigned);
		snprintf(r, sizeof(r), "%lld", (long long)s->running);
		snprintf(w, sizeof(w), "%lld", (long long)s->available);
		event_emit("statistics", "assigned", a, "running", r,
		    "available", w, NULL);
		return NULL;
	}
	stats_text(s, st, sizeof(st));
	utc_now(t, sizeof(t));
	printf("%s %s\n", t, st);
	out_flush();
	return NULL;
}

/* "owner/repo/.github/workflows/ci.yml@refs/heads/main" -> "ci.yml" */
static void
workflow_name(const char *ref, char *dst, size_t size)
{
	const char	*at = strchr(ref, '@'), *end, *slash;

	end = at != NULL ? at : ref + strlen(ref);
	for (slash = end; slash > ref && slash[-1] != '/'; slash--)
		;
	snprintf(dst, size, "%.*s", (int)(end - slash), slash);
}

static const struct error *
print_job(struct poll_run *p, const struct as_job *j)
{
	const struct error	*e;
	struct buf		 b = BUF_INIT(POLL_EVENT_MAX);
	char			 t[32], wf[128], line[POLL_LINE_MAX];
	char			 labels[256], safe[POLL_LINE_MAX], req[24];
	size_t			 i, n = 0;

	if (p->a.fmt == OUT_JSON) {
		if ((e = asmsg_job_format(j, &b)) == NULL)
			out_line(p, b.p);
		buf_release(&b);
		return e;
	}
	workflow_name(j->job_workflow_ref, wf, sizeof(wf));
	if (joined()) {
		snprintf(req, sizeof(req), "%lld",
		    (long long)j->runner_request_id);
		snprintf(line, sizeof(line), "%s%s%s", j->owner_name,
		    *j->owner_name != '\0' ? "/" : "", j->repository_name);
		event_emit(j->kind == AS_JOB_ASSIGNED ? EV_BIND :
		    j->kind == AS_JOB_STARTED ? EV_START :
		    j->kind == AS_JOB_COMPLETED ? EV_COMPLETE : "available",
		    "job", req, "repository", line, "workflow", wf, "name",
		    j->job_display_name, "runner", j->runner_name, "result",
		    j->result, NULL);
		return NULL;
	}
	utc_now(t, sizeof(t));
	labels[0] = '\0';
	for (i = 0; i < j->nlabels && n < sizeof(labels); i++)
		n += (size_t)snprintf(labels + n, sizeof(labels) - n, "%s%s",
		    i ? "," : "", j->labels[i]);
	snprintf(line, sizeof(line), "%s %-12s %s%s%s%s%s%s%s%s%s req=%lld "
	    "runner=%s%s%s", t, j->message_type, j->owner_name,
	    *j->owner_name != '\0' ? "/" : "", j->repository_name,
	    *wf != '\0' ? " " : "", wf,
	    *j->job_display_name != '\0' ? " / " : "", j->job_display_name,
	    j->nlabels > 0 ? " labels=" : "", labels,
	    (long long)j->runner_request_id,
	    *j->runner_name != '\0' ? j->runner_name : "-",
	    *j->result != '\0' ? " result=" : "", j->result);
	out_line(p, clean(line, safe, sizeof(safe)));
	return NULL;
}

/* --exec: run the hook with the event on stdin; its stdout goes to stderr. */
static const struct error *
exec_job(struct poll_run *p, const struct as_job *j)
{
	const struct error	*e;
	struct buf		 b = BUF_INIT(POLL_EVENT_MAX);
	char			**env = NULL;
	int			 fds[2], status;
	pid_t			 pid, w;
	size_t			 off = 0;
	ssize_t			 n;

	if (p->a.exec == NULL)
		return NULL;
	if ((e = asmsg_job_format(j, &b)) != NULL ||
	    (e = buf_addc(&b, '\n')) != NULL)
		goto out;
	if (pipe(fds) == -1) {
		e = error_errno("pipe", NULL);
		goto out;
	}
	env = cmd_hook_env(p->ctx->envp);	/* no secrets (cmd.h) */
	fflush(stdout);
	if ((pid = fork()) == -1) {
		e = error_errno("fork", NULL);
		close(fds[0]);
		close(fds[1]);
		goto out;
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		signal(SIGPIPE, SIG_DFL);
		execle("/bin/sh", "sh", "-c", p->a.exec, (char *)NULL, env);
		_exit(127);
	}
	close(fds[0]);
	while (off < b.len) {
		n = write(fds[1], b.p + off, b.len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;		/* the hook did not read it all: fine */
		off += (size_t)n;
	}
	close(fds[1]);
	while ((w = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
		;
	if (w == pid && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		log_warn("--exec hook for %s (request %lld) failed with "
		    "status %d", j->message_type,
		    (long long)j->runner_request_id,
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
		    WTERMSIG(status));
out:
	free(env);
	buf_release(&b);
	return e;
}

/* --metrics-file: the metrics as they are now; a failure is a warning. */
static void
metrics_flush(struct poll_run *p)
{
	const struct error	*e;

	if (p->a.metrics_file != NULL &&
	    (e = metrics_write_file(p->a.metrics_file)) != NULL)
		log_warn("%s", e->msg);
}

/* The metrics' constant labels and MIN/MAX_RUNNERS. */
static void
metrics_begin(struct poll_run *p)
{
	const struct gh_target	*t = github_target(p->c.gh);
	char			 ns[2 * GHURL_NAME_MAX + 16];
	int			 ent = t->scope == GH_SCOPE_ENTERPRISE;

	(void)str_fmt(ns, sizeof(ns), "%s%s%s%s", ent ? "enterprises/" : "",
	    t->owner, t->scope == GH_SCOPE_REPO ? "/" : "", t->repo);
	metrics_scale_set(p->c.name, ns, ent ? "" : t->owner,
	    t->scope == GH_SCOPE_REPO ? t->repo : "", ent ? t->owner : "");
	metrics_static(config_num(&p->ctx->cfg, K_MIN_RUNNERS),
	    config_num(&p->ctx->cfg, K_MAX_RUNNERS));
	metrics_flush(p);
}

/* A message's statistics: kept, to the scaler, printed. */
static const struct error *
on_stats(struct poll_run *p, const struct as_stats *s)
{
	p->stats = *s;
	p->have_stats = 1;
	metrics_stats(s);
	if (p->scaling)
		scaler_stats(&p->sc, s);
	return p->quiet ? NULL : print_stats(p, s);
}

/* A job of a message: to the scaler, printed, to the --exec hook. */
static const struct error *
on_job(struct poll_run *p, const struct as_job *j)
{
	const struct error	*e;

	metrics_job(j);
	journal_job(&p->c, j);
	if (p->scaling && (e = scaler_job(&p->sc, j)) != NULL)
		return error_wrap(e, "scale");
	if (p->quiet)
		return NULL;
	if ((e = print_job(p, j)) != NULL)
		return error_wrap(e, "print");
	if ((e = exec_job(p, j)) != NULL)
		return error_wrap(e, "exec");
	return NULL;
}

/* A message handled, or an empty poll: the scaler's launches and drift. */
static const struct error *
on_done(struct poll_run *p)
{
	const struct error	*e;

	if (p->scaling && (e = scaler_message_done(&p->sc)) != NULL)
		return error_wrap(e, "scale");
	metrics_flush(p);
	return NULL;
}

/* Persist a refreshed queue token (actions.c refreshes it on 401). */
static const struct error *
keep_refreshed(struct poll_run *p)
{
	uint64_t	 r = actions_session_refreshes(p->c.as);

	if (r == p->refreshes)
		return NULL;
	p->refreshes = r;
	p->session_ms = now_ms();
	cmd_as_keep_session(&p->c, &p->s);
	return cmd_as_save(&p->c);
}

/*
 * Acquire job requests ids[0..n): what the service gave this session goes
 * to the scaler.  An empty or unparsable reply says nothing about which
 * jobs were acquired: it is tried ACQUIRE_TRIES times, then nothing is
 * launched for those jobs, which stay available at the service to be
 * taken again (acquire_waiting() after the next reply, the statistics'
 * totalAvailableJobs) -- the message still completes, so the queue goes
 * on.  A passing failure of the service itself fails the message.
 */
static const struct error *
acquire_ids(struct poll_run *p, const int64_t *ids, size_t n)
{
	const struct error	*e = NULL;
	int64_t			*got = NULL;
	size_t			 ngot = 0;
	unsigned int		 try;

	if (n == 0)
		return NULL;
	for (try = 1; try <= ACQUIRE_TRIES; try++) {
		e = actions_jobs_acquire(p->c.as, p->c.scale_set_id, &p->s,
		    ids, n, &got, &ngot);
		if (e == NULL || e->class != ERR_PROTO || sig_stop)
			break;
		log_warn("%s (try %u of %d)", e->msg, try, ACQUIRE_TRIES);
		if (try < ACQUIRE_TRIES)
			sig_nap(ACQUIRE_PAUSE_MS * try);
	}
	if (e != NULL && (e->class == ERR_UNAVAIL || e->class == ERR_TEMP ||
	    e->class == ERR_PERM))
		return e;	/* not handled: the message comes again */
	if (e != NULL) {
		log_warn("%s; launching nothing for these %zu jobs: they stay "
		    "available to be acquired again", e->msg, n);
		p->acquire_again = 1;
		return keep_refreshed(p);
	}
	log_info("acquired %zu of %zu available jobs", ngot, n);
	if (p->scaling && ngot > 0)
		e = scaler_acquired(&p->sc, got, ngot);
	free(got);
	if (e != NULL)
		return e;
	return keep_refreshed(p);
}

/* Acquire the JobAvailable requests of m. */
static const struct error *
acquire(struct poll_run *p, const struct as_message *m)
{
	const struct error	*e;
	int64_t			*ids;
	size_t			 i, n = 0;

	ids = xcalloc(m->njobs + 1, sizeof(*ids));
	for (i = 0; i < m->njobs; i++)
		if (m->jobs[i].kind == AS_JOB_AVAILABLE)
			ids[n++] = m->jobs[i].runner_request_id;
	e = acquire_ids(p, ids, n);
	free(ids);
	return e;
}

/*
 * Jobs waiting at the service that no message brought this session (a
 * new session, an acquire that failed): ask for the acquirable jobs and
 * acquire them (ARC's listener does so on start).  A 404 is an older
 * service without the endpoint: nothing to do.
 */
static const struct error *
acquire_waiting(struct poll_run *p)
{
	const struct error	*e;
	int64_t			*ids = NULL;
	size_t			 n = 0;

	p->acquire_again = 0;
	p->stats.available = 0;		/* counted before: asked now */
	if ((e = actions_acquirable_jobs(p->c.as, p->c.scale_set_id, &ids,
	    &n)) != NULL) {
		if (e->http_status == 404) {
			log_debug("%s", e->msg);
			return NULL;
		}
		return e;
	}
	if (n > 0)
		log_info("%zu jobs waiting to be acquired", n);
	e = acquire_ids(p, ids, n);
	free(ids);
	if (e == NULL && n > 0 && p->scaling)
		e = on_done(p);
	return e;
}

/*
 * Quarantine what m's body held that did not parse (see asmsg_message()):
 * an error line for each part, with its size and SHA-256 and never its
 * content, and a record in the state directory (state_quarantine()).  The
 * rest of the message is handled and the message acknowledged, so one
 * poison entry neither blocks the queue nor drops the jobs beside it.  A
 * record that cannot be written is a warning: it must not block either.
 */
static void
quarantine(struct poll_run *p, const struct as_message *m)
{
	const struct error	*e;
	const struct as_bad	*b;
	char			 part[32], now[32], why[512], line[1024];
	size_t			 i;

	utc_now(now, sizeof(now));
	for (i = 0; i < m->nbad; i++) {
		b = &m->bad[i];
		if (b->index == ASMSG_BAD_BODY)
			(void)str_copy(part, sizeof(part), "its body");
		else if (b->index == ASMSG_BAD_STATS)
			(void)str_copy(part, sizeof(part), "its statistics");
		else if (b->index == ASMSG_BAD_TYPE)
			(void)str_copy(part, sizeof(part), "its messageType");
		else
			(void)str_fmt(part, sizeof(part), "job entry %ld",
			    b->index);
		log_error("message %lld: %s is malformed and quarantined "
		    "(%zu bytes, sha256 %s): %s", (long long)m->id, part,
		    b->size, b->sha256, b->why);
		why[0] = '\0';
		log_json_escape(b->why, why, sizeof(why));
		if ((e = str_fmt(line, sizeof(line), "{\"time\":\"%s\","
		    "\"scaleSetId\":%lld,\"messageId\":%lld,\"entry\":%ld,"
		    "\"size\":%zu,\"sha256\":\"%s\",\"error\":\"%s\"}", now,
		    (long long)p->c.scale_set_id, (long long)m->id, b->index,
		    b->size, b->sha256, why)) != NULL ||
		    (e = state_quarantine(&p->c.sf, line)) != NULL)
			log_warn("quarantine record not written: %s", e->msg);
	}
}

/* Handle one message, persist its id, then acknowledge it. */
static const struct error *
handle(struct poll_run *p, const struct as_message *m)
{
	const struct error	*e;
	size_t			 i;

	if (strcmp(m->type, "RunnerScaleSetJobMessages") != 0)
		log_warn("ignoring message %lld of type '%s'",
		    (long long)m->id, m->type);
	if (p->scaling)
		scaler_message_begin(&p->sc, m->id);
	quarantine(p, m);
	if ((e = acquire(p, m)) != NULL)
		return e;
	if (m->has_stats && (e = on_stats(p, &m->stats)) != NULL)
		return e;
	for (i = 0; i < m->njobs; i++)
		if (m->jobs[i].kind != AS_JOB_OTHER &&
		    (e = on_job(p, &m->jobs[i])) != NULL)
			return e;
	if ((e = on_done(p)) != NULL)
		return e;
	/* Persist before the ack: a crash in between loses nothing. */
	p->c.st.last_message_id = m->id;
	if ((e = cmd_as_save(&p->c)) != NULL)
		return e;
	if ((e = actions_message_delete(p->c.as, p->c.scale_set_id, &p->s,
	    m->id)) != NULL)
		return e;
	p->c.st.last_acked_id = m->id;
	p->messages++;
	return keep_refreshed(p);
}

/* Acknowledge a message a previous run persisted but did not ack. */
static const struct error *
ack_pending(struct poll_run *p)
{
	const struct error	*e;
	int64_t			 id = p->c.st.last_message_id;

	if (id <= p->c.st.last_acked_id)
		return NULL;
	log_info("acknowledging message %lld left by an earlier run",
	    (long long)id);
	e = actions_message_delete(p->c.as, p->c.scale_set_id, &p->s, id);
	if (e != NULL && e->class != ERR_FAIL)
		return e;
	if (e != NULL)	/* unknown to the service: nothing left to ack */
		log_info("%s", e->msg);
	p->c.st.last_acked_id = id;
	if ((e = keep_refreshed(p)) != NULL)
		return e;
	return cmd_as_save(&p->c);
}

/*
 * One long poll and its message.  *bad is set when the service answered
 * 200 with an empty body (pause before polling again).
 */
static const struct error *
poll_once(struct poll_run *p, int *bad)
{
	const struct error	*e;
	struct as_message	 m;
	int			 got;

	*bad = 0;
	if ((e = ack_pending(p)) != NULL)
		return e;
	if ((e = actions_message_get(p->c.as, p->c.scale_set_id, &p->s,
	    p->c.st.last_message_id, p->max_capacity, &m, &got)) != NULL)
		return e;
	p->got = got;
	if ((e = keep_refreshed(p)) == NULL && got == 1)
		e = handle(p, &m);
	else if (e == NULL && p->scaling && (p->acquire_again ||
	    (p->have_stats && p->stats.available > 0)))
		e = acquire_waiting(p);	/* jobs no message brought */
	else if (e == NULL && !p->one_pass)
		e = on_done(p);	/* periodic reconcile when idle */
	*bad = got < 0;
	asmsg_message_release(&m);
	return e;
}

/* Forget the session (expired at the service, or the set is gone). */
static const struct error *
drop_session(struct poll_run *p)
{
	asmsg_session_release(&p->s);
	p->have_session = 0;
	state_clear_session(&p->c.st);
	return cmd_as_save(&p->c);
}

/*
 * Delete p->stale, a session of ours that was given up while it may still
 * be live at the service.  Until that is done, a new session gets 409
 * against our own old one.  1 when it is gone.
 */
static int
delete_stale(struct poll_run *p)
{
	const struct error	*e;

	if (p->stale[0] == '\0')
		return 1;
	e = actions_session_delete(p->c.as, p->c.scale_set_id, p->stale);
	if (e != NULL && actions_exception(p->c.as) != AS_EXC_SESSION_GONE) {
		log_warn("cannot delete our old session %s yet: %s", p->stale,
		    e->msg);
		return 0;
	}
	log_info("old session %s deleted", p->stale);
	p->stale[0] = '\0';
	return 1;
}

/*
 * The session was lost (session_lost()).  When the service refused its
 * queue token even after a refresh, the session itself may still be
 * live: delete it at the service before a new one is made, or the new
 * one would get 409 against our own old one.
 */
static const struct error *
lose_session(struct poll_run *p)
{
	if (actions_exception(p->c.as) == AS_EXC_QUEUE_TOKEN)
		(void)str_copy(p->stale, sizeof(p->stale), p->s.id);
	(void)delete_stale(p);
	return drop_session(p);
}

static const struct error *
open_session(struct poll_run *p)
{
	const struct error	*e;
	int			 created;

	if ((e = cmd_as_session(p->ctx, &p->c, 0, &p->s, &created)) != NULL)
		return e;
	p->have_session = 1;
	p->session_ms = now_ms();
	p->refreshes = actions_session_refreshes(p->c.as);
	if (created && p->s.has_stats &&
	    (e = on_stats(p, &p->s.stats)) != NULL)
		return e;
	/* A new session is not sent the jobs that were waiting before it. */
	if (created && p->scaling && p->s.has_stats &&
	    p->s.stats.available > 0)
		return acquire_waiting(p);
	return NULL;
}

static int
session_lost(const struct poll_run *p)
{
	enum as_exc	 x = actions_exception(p->c.as);

	return x == AS_EXC_SESSION_GONE || x == AS_EXC_QUEUE_TOKEN ||
	    x == AS_EXC_SCALE_SET_NOT_FOUND;
}

static const struct error *
poll_one_shot(struct poll_run *p)
{
	const struct error	*e;
	int			 bad;

	if ((e = open_session(p)) != NULL)
		return e;
	if ((e = poll_once(p, &bad)) != NULL && session_lost(p)) {
		log_info("session lost at the service; opening a new one");
		if ((e = lose_session(p)) != NULL ||
		    (e = open_session(p)) != NULL)
			return e;
		e = poll_once(p, &bad);
	}
	if (e == NULL)
		e = cmd_as_save(&p->c);
	return e;
}

/* Errors --follow does not retry: they need a person. */
static int
fatal(const struct error *e)
{
	return e->class == ERR_CONFIG || e->class == ERR_DATA ||
	    e->class == ERR_IO || e->class == ERR_SOFTWARE ||
	    (e->class == ERR_FAIL && e->http_status == 0);
}

/*
 * Errors that stay until a person acts: a credential or permission
 * refused after ghrctl's own token refresh and re-registration (401, 403:
 * ERR_PERM), a scale set the service no longer knows (404).  --follow
 * tries them POLL_PERMANENT_TRIES times in a row (a token may be in the
 * middle of a rotation), then ends, with exit 77 or 1, which the systemd
 * unit does not restart (RestartPreventExitStatus=), so that alerting on
 * a failed unit works instead of retrying forever.
 */
static int
permanent(const struct error *e)
{
	return e->class == ERR_PERM ||
	    (e->class == ERR_FAIL && e->http_status == 404);
}

/* One turn of --follow: make sure of a session, poll, keep it fresh. */
static const struct error *
follow_turn(struct poll_run *p, unsigned int *faults, int *standby)
{
	const struct error	*e;
	long long		 wait = config_ms(&p->ctx->cfg, K_STANDBY_WAIT);
	long long		 every;
	int			 bad;

	if (!p->have_session && (e = open_session(p)) != NULL) {
		if (actions_exception(p->c.as) != AS_EXC_SESSION_CONFLICT)
			return e;
		/* Our own old session still holds the scale set? */
		if (p->stale[0] != '\0' && delete_stale(p))
			return NULL;
		if (!*standby) {
			log_warn("standby: another ghrctl holds the session of "
			    "scale set '%s'; retrying every %llds", p->c.name,
			    wait / 1000);
			event_emit(EV_STANDBY, "scaleset", p->c.name, NULL);
		}
		*standby = 1;
		metricsd_health(p->md, MD_STANDBY);
		sig_nap(wait / 2 + (long long)rand_below((uint64_t)wait / 2 + 1));
		return NULL;
	}
	if (*standby) {
		log_warn("active: took over scale set '%s'", p->c.name);
		event_emit(EV_TAKEOVER, "scaleset", p->c.name, NULL);
	}
	*standby = 0;
	if ((e = poll_once(p, &bad)) != NULL) {
		if (!session_lost(p))
			return e;
		log_info("session lost at the service; opening a new one");
		event_emit(EV_SESSION, "scaleset", p->c.name, "reason", "lost",
		    NULL);
		return lose_session(p);
	}
	*faults = 0;
	metricsd_health(p->md, MD_ACTIVE);
	if (bad)
		sig_nap(POLL_BAD_REPLY_MS);
	every = config_ms(&p->ctx->cfg, K_SESSION_REFRESH_INTERVAL);
	if (every > 0 && now_ms() - p->session_ms >= every && !sig_stop) {
		if ((e = actions_session_refresh(p->c.as, p->c.scale_set_id,
		    &p->s)) != NULL)
			return session_lost(p) ? lose_session(p) : e;
		p->session_ms = now_ms();
		cmd_as_keep_session(&p->c, &p->s);
		if ((e = cmd_as_save(&p->c)) != NULL)
			return e;
	}
	sig_nap(config_ms(&p->ctx->cfg, K_MESSAGE_POLL_INTERVAL));
	return NULL;
}

static const struct error *
poll_follow(struct poll_run *p)
{
	const struct error	*e = NULL;
	unsigned int		 faults = 0, perm = 0;
	int			 standby = 0;
	long long		 wait;
	char			 ms[24];

	while (!sig_stop) {
		if ((e = follow_turn(p, &faults, &standby)) == NULL) {
			perm = 0;
			continue;
		}
		if (sig_stop)
			break;
		if (fatal(e))
			return e;
		if (!permanent(e))
			perm = 0;
		else if (++perm >= POLL_PERMANENT_TRIES)
			return error_fmt(e->class, "%s (%u times in a row: "
			    "giving up; fix the cause and start again)", e->msg,
			    perm);
		wait = backoff_ms(faults++, config_ms(&p->ctx->cfg,
		    K_STANDBY_WAIT));
		log_warn("%s (retrying in %lld ms)", e->msg, wait);
		snprintf(ms, sizeof(ms), "%lld", wait);
		event_emit(EV_RETRY, "error", e->msg, "wait_ms", ms, NULL);
		e = NULL;
		/* The failure counted (launch errors) shows while we wait. */
		metrics_flush(p);
		sig_nap(wait);
	}
	/* Stopped by a signal: give the scale set back, exit 0. */
	(void)delete_stale(p);
	if (p->have_session) {
		if ((e = actions_session_delete(p->c.as, p->c.scale_set_id,
		    p->s.id)) != NULL)
			log_warn("%s", e->msg);
		else
			log_info("session %s closed", p->s.id);
		e = drop_session(p);
	} else
		e = cmd_as_save(&p->c);
	return e;
}

/*
 * --follow --scale: deliver sealed configs from a thread of its own
 * (deliver.h), so that an instance whose key is on its console gets its
 * config within about a second, whatever the long poll is doing.  When
 * the thread cannot be had, the scaler's passes deliver (a warning).
 */
static void
deliver_start(struct poll_run *p)
{
	const struct error	*e;

	if ((e = ctx_http_new(p->ctx, &p->dhttp)) != NULL ||
	    (e = aws_new(&p->ctx->cfg, p->dhttp, p->ctx->envp,
	    p->sc.endpoint, &p->daws)) != NULL ||
	    (e = deliver_bg_start(&p->ctx->cfg, p->daws, &p->dbg)) != NULL)
		log_warn("delivering only at the scaler's passes: %s", e->msg);
}

/*
 * --close-session of a one-shot run that ended with e (NULL: success):
 * end the session kept in the state file even after a failed run; e, the
 * run's own error, comes first.
 */
static const struct error *
end_session(struct poll_run *p, const struct error *e)
{
	const struct error	*e2;

	if ((e2 = cmd_as_end_session(&p->c)) == NULL || e == NULL)
		return e != NULL ? e : e2;
	log_warn("%s", e2->msg);
	return e;
}

static const struct error *
cmd_poll(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct poll_run		 p;

	memset(&p, 0, sizeof(p));
	p.ctx = ctx;
	cmd_as_init(&p.c);
	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, poll_opt, &p.a)) !=
	    NULL || ctx->done)
		return e;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[0]);
	if (p.a.follow && p.a.close_session)
		return cmd_usage_error(ctx, "--close-session is for one-shot "
		    "runs: --follow always closes its session when stopped");
	if (p.a.metrics_listen != NULL && !p.a.follow)
		return cmd_usage_error(ctx, "--metrics-listen needs --follow "
		    "(a one-shot run can write --metrics-file)");
	if (p.a.metrics_listen != NULL &&
	    (e = metricsd_start(p.a.metrics_listen, &p.md)) != NULL)
		return e;
	p.tty = isatty(STDOUT_FILENO) && p.a.fmt == OUT_TABLE;
	p.colour = p.tty && (getenv("NO_COLOR") == NULL ||
	    *getenv("NO_COLOR") == '\0');
	if (p.tty)
		log_set_hook(status_clear, status_draw, &p);
	p.max_capacity = (unsigned int)config_num(&ctx->cfg, K_MAX_RUNNERS);
	if (p.a.follow) {
		sig_stop_install();
		event_enable(1);
	}
	if ((e = cmd_as_open(ctx, &p.c, 0)) != NULL ||
	    (e = cmd_as_begin(ctx, &p.c, p.a.follow ? STATE_LOCK_WAIT :
	    STATE_LOCK_NOWAIT, &sig_stop)) != NULL)
		goto out;
	if (p.a.scale) {
		if ((e = scaler_open(ctx, &p.c, &p.a.so, &p.sc)) != NULL)
			goto out;
		p.scaling = 1;
	}
	metrics_begin(&p);
	if (p.a.follow && p.scaling && !p.a.so.dry_run)
		deliver_start(&p);
	if (p.a.follow)
		e = poll_follow(&p);
	else {
		actions_set_poll_deadline(p.c.as, config_ms(&ctx->cfg,
		    K_READ_DEADLINE));
		e = poll_one_shot(&p);
	}
	metrics_flush(&p);
	if (p.a.close_session && p.c.have_state)
		e = end_session(&p, e);
out:
	metricsd_health(p.md, MD_STOPPING);
	if (p.tty && p.stats_shown)
		fputs("\n", stdout);
	if (sig_stop && e != NULL && e->class == ERR_TEMP && !p.have_session)
		e = NULL;	/* stopped while waiting for the lock */
	deliver_bg_stop(p.dbg);
	aws_free(p.daws);
	http_client_free(p.dhttp);
	asmsg_session_release(&p.s);
	scaler_close(&p.sc);
	cmd_as_close(&p.c);
	metricsd_stop(p.md);
	return e;
}

/*
 * Read what waits in the session's queue (the deadline cuts each poll),
 * handling each message as `poll --scale` does; a session the service
 * expired is opened again once.
 */
static const struct error *
drain(struct poll_run *p)
{
	const struct error	*e = NULL;
	unsigned int		 i;
	int			 bad, again = 0;

	for (i = 0; i < SCALE_MAX_MESSAGES && !sig_stop; i++) {
		if ((e = poll_once(p, &bad)) != NULL) {
			if (again || !session_lost(p))
				return e;
			log_info("session expired at the service; opening a "
			    "new one");
			if ((e = lose_session(p)) != NULL ||
			    (e = open_session(p)) != NULL)
				return e;
			again = 1;
			continue;
		}
		if (p->got != 1)
			break;
	}
	if (p->acquire_again && (e = acquire_waiting(p)) != NULL)
		return e;
	return cmd_as_save(&p->c);
}

/*
 * `scale` without the session: say how many jobs wait that this run does
 * not take, and who holds the session when the 409 names its owner ("...
 * already has an active session for owner X.": actions-runner-controller
 * issue 3351; newer replies end "active session.", issue 4285).
 */
static void
not_taken(struct poll_run *p, const char *conflict)
{
	struct as_scale_set	 ss;
	const char		*o = strstr(conflict, " for owner "), *end;
	char			 owner[160] = "", n[32] = "some";
	size_t			 len;
	int64_t			 w;

	if (o != NULL) {
		o += 11;
		/* ghrctl adds " (ActivityId ...)" after the service's text */
		len = (end = strstr(o, " (ActivityId")) != NULL ?
		    (size_t)(end - o) : strcspn(o, "\r\n");
		if (len > 0 && o[len - 1] == '.')
			len--;
		(void)str_fmt(owner, sizeof(owner), "owner %.*s; ",
		    (int)(len < 100 ? len : 100), o);
		(void)clean(owner, owner, sizeof(owner));
	}
	memset(&ss, 0, sizeof(ss));
	if (cmd_as_scale_set(p->ctx, &p->c, &ss) == NULL && ss.has_stats) {
		/* queued, or assigned and not running yet */
		w = ss.stats.available + (ss.stats.assigned > ss.stats.running ?
		    ss.stats.assigned - ss.stats.running : 0);
		(void)str_fmt(n, sizeof(n), "%lld", (long long)w);
	}
	asmsg_scale_set_release(&ss);
	log_warn("scale set '%s': %s job%s waiting that this run does not "
	    "take: another ghrctl holds its message session (%spoll --follow, "
	    "or scale on another host) and launches for them; launching "
	    "nothing, retiring idle runners and cleaning up only", p->c.name,
	    n, strcmp(n, "1") == 0 ? " is" : "s are", owner);
}

/* see cmd_poll.h */
const struct error *
poll_scale(struct ctx *ctx, struct scaler_opts *so, enum out_fmt fmt,
    int close_session)
{
	const struct error	*e;
	struct poll_run		 p;

	memset(&p, 0, sizeof(p));
	p.ctx = ctx;
	p.quiet = p.one_pass = 1;
	cmd_as_init(&p.c);
	p.max_capacity = (unsigned int)config_num(&ctx->cfg, K_MAX_RUNNERS);
	if ((e = scaler_begin(ctx, &p.c, so)) != NULL ||
	    (e = scaler_open(ctx, &p.c, so, &p.sc)) != NULL)
		goto out;
	p.scaling = 1;
	p.sc.set.scale = 1;
	actions_set_poll_deadline(p.c.as, config_ms(&ctx->cfg,
	    K_READ_DEADLINE));
	if (so->dry_run)
		p.sc.set.no_launch = 0;		/* DryRun checks only */
	else if ((e = open_session(&p)) == NULL)
		e = drain(&p);
	else if (actions_exception(p.c.as) == AS_EXC_SESSION_CONFLICT) {
		not_taken(&p, e->msg);
		p.sc.set.no_launch = 1;
		p.sc.set.cleanup = 1;
		e = NULL;
	}
	if (e != NULL)
		goto out;
	p.sc.drift_key = p.c.st.last_message_id;
	e = scaler_pass(&p.sc, NULL, fmt);
	if (close_session && !so->dry_run && p.c.have_state)
		e = end_session(&p, e);
out:
	if (p.tty) {
		/* The last statistics stay above the shell's prompt. */
		log_set_hook(NULL, NULL, NULL);
		if (p.stats_shown)
			fputc('\n', stdout);
	}
	asmsg_session_release(&p.s);
	scaler_close(&p.sc);
	cmd_as_close(&p.c);
	return e;
}

const struct cmd cmd_poll_def = {
	"poll", cmd_poll,
	"poll [-f] [-o table|json] [--exec CMD] [--metrics-file PATH] "
	"[--close-session]\n"
	"poll --follow [--metrics-listen ADDR:PORT] [options]\n"
	"poll --follow --scale [--user-data-template FILE] [--endpoint-url URL] "
	"[options]",
	"long-poll the scale set's job events (once, or --follow)",
	poll_opts, NULL
};
