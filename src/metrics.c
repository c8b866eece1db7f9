/*
 * SPDX-License-Identifier: ISC
 *
 * Prometheus metrics (metrics.h): one registry per process behind one
 * mutex, rendered in the text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).  The
 * gha_* names, labels and histogram buckets are those of
 * actions-runner-controller's cmd/ghalistener/metrics/metrics.go.  Job
 * series are bounded (METRICS_SERIES); jobs past that are counted in
 * ghrctl_metrics_series_dropped_total rather than growing without end.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "metrics.h"
#include "state.h"
#include "util.h"

#define METRICS_SERIES	256
#define METRICS_LABEL	128
#define METRICS_CODES	32
#define METRICS_STATES	8
#define JOB_LABELS	7		/* the last: job_result */

/* actions-runner-controller's runtimeBuckets, seconds. */
static const double buckets[] = {
	0.01, 0.05, 0.1, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 18, 20,
	25, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 150, 180, 210, 240,
	300, 360, 420, 480, 540, 600, 900, 1200, 1800, 2400, 3000, 3600
};
#define NBUCKETS	(sizeof(buckets) / sizeof(buckets[0]))

static const char *const job_label_names[JOB_LABELS] = {
	"repository", "organization", "enterprise", "job_name",
	"job_workflow_ref", "event_name", "job_result"
};

struct series {
	int		 completed;	/* else started */
	char		 l[JOB_LABELS][METRICS_LABEL];
	uint64_t	 count;		/* the counter */
	uint64_t	 hcount;	/* observations (times known) */
	double		 sum;
	uint64_t	 b[NBUCKETS];	/* not cumulative */
};

struct named {
	char		 name[64];
	int64_t		 n;
};

static struct {
	pthread_mutex_t	 mu;
	char		 set[5][METRICS_LABEL];	/* name repo org ent ns */
	int		 have_static, have_stats, have_desired;
	int64_t		 min, max, desired;
	struct as_stats	 st;
	struct series	 s[METRICS_SERIES];
	size_t		 ns;
	uint64_t	 dropped, launches, throttled;
	struct named	 errors[METRICS_CODES];
	size_t		 nerrors;
	struct named	 states[METRICS_STATES];
	size_t		 nstates;
} m = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* A label value: printable ASCII kept, anything else '?'; cut to fit. */
static void
label_ncopy(char *dst, size_t size, const char *src)
{
	size_t	 i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < size; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 ||
		    (unsigned char)src[i] > 0x7e) ? '?' : src[i];
	dst[i] = '\0';
}
#define label_copy(dst, src)	label_ncopy((dst), METRICS_LABEL, (src))

void
metrics_scale_set(const char *name, const char *ns, const char *org,
    const char *repo, const char *enterprise)
{
	pthread_mutex_lock(&m.mu);
	label_copy(m.set[0], name);
	label_copy(m.set[1], repo);
	label_copy(m.set[2], org);
	label_copy(m.set[3], enterprise);
	label_copy(m.set[4], ns);
	pthread_mutex_unlock(&m.mu);
}

void
metrics_static(int64_t min, int64_t max)
{
	pthread_mutex_lock(&m.mu);
	m.min = min;
	m.max = max;
	m.have_static = 1;
	pthread_mutex_unlock(&m.mu);
}

void
metrics_stats(const struct as_stats *s)
{
	pthread_mutex_lock(&m.mu);
	m.st = *s;
	m.have_stats = 1;
	pthread_mutex_unlock(&m.mu);
}

void
metrics_desired(int64_t n)
{
	pthread_mutex_lock(&m.mu);
	m.desired = n;
	m.have_desired = 1;
	pthread_mutex_unlock(&m.mu);
}

/* The series of these labels, made if there is room; NULL if not. */
static struct series *
series_get(int completed, char l[JOB_LABELS][METRICS_LABEL])
{
	size_t		 i;
	int		 k, n = completed ? JOB_LABELS : JOB_LABELS - 1;
	struct series	*s;

	for (i = 0; i < m.ns; i++) {
		s = &m.s[i];
		if (s->completed != completed)
			continue;
		for (k = 0; k < n && strcmp(s->l[k], l[k]) == 0; k++)
			;
		if (k == n)
			return s;
	}
	if (m.ns == METRICS_SERIES)
		return NULL;
	s = &m.s[m.ns++];
	memset(s, 0, sizeof(*s));
	s->completed = completed;
	memcpy(s->l, l, sizeof(s->l));
	return s;
}

void
metrics_job(const struct as_job *j)
{
	char		 l[JOB_LABELS][METRICS_LABEL];
	const char	*from, *to;
	int64_t		 t0, t1;
	struct series	*s;
	size_t		 i;
	int		 completed;

	if (j->kind != AS_JOB_STARTED && j->kind != AS_JOB_COMPLETED)
		return;
	completed = j->kind == AS_JOB_COMPLETED;
	pthread_mutex_lock(&m.mu);
	label_copy(l[0], j->repository_name);
	label_copy(l[1], j->owner_name);
	label_copy(l[2], m.set[3]);
	label_copy(l[3], j->job_display_name);
	label_copy(l[4], j->job_workflow_ref);
	label_copy(l[5], j->event_name);
	label_copy(l[6], completed ? j->result : "");
	if ((s = series_get(completed, l)) == NULL) {
		m.dropped++;
		goto out;
	}
	s->count++;
	/* As the listener: assigned to the runner minus to the scale set;
	 * finished minus assigned to the runner. */
	from = completed ? j->runner_assign_time : j->scale_set_assign_time;
	to = completed ? j->finish_time : j->runner_assign_time;
	if (parse_rfc3339(from, &t0) != 0 || parse_rfc3339(to, &t1) != 0)
		goto out;
	s->hcount++;
	s->sum += (double)(t1 - t0);
	for (i = 0; i < NBUCKETS && (double)(t1 - t0) > buckets[i]; i++)
		;
	if (i < NBUCKETS)
		s->b[i]++;
out:
	pthread_mutex_unlock(&m.mu);
}

void
metrics_launch(int reused)
{
	if (reused)
		return;
	pthread_mutex_lock(&m.mu);
	m.launches++;
	pthread_mutex_unlock(&m.mu);
}

void
metrics_throttled(void)
{
	pthread_mutex_lock(&m.mu);
	m.throttled++;
	pthread_mutex_unlock(&m.mu);
}

/* Add n to the entry named name of a bounded table. */
static void
named_put(struct named *t, size_t *nt, size_t max, const char *name,
    int64_t n)
{
	size_t	 i;

	for (i = 0; i < *nt && strcmp(t[i].name, name) != 0; i++)
		;
	if (i == *nt) {
		if (*nt == max)
			return;
		(*nt)++;
		label_ncopy(t[i].name, sizeof(t[i].name), name);
		t[i].n = 0;
	}
	t[i].n += n;
}

void
metrics_launch_error(const char *code)
{
	pthread_mutex_lock(&m.mu);
	named_put(m.errors, &m.nerrors, METRICS_CODES, code != NULL &&
	    code[0] != '\0' ? code : "none", 1);
	pthread_mutex_unlock(&m.mu);
}

void
metrics_instances(const struct ec2_instance *v, size_t n)
{
	size_t	 i;

	pthread_mutex_lock(&m.mu);
	for (i = 0; i < m.nstates; i++)
		m.states[i].n = 0;	/* a state no longer seen reads 0 */
	for (i = 0; i < n; i++)
		named_put(m.states, &m.nstates, METRICS_STATES, v[i].state, 1);
	pthread_mutex_unlock(&m.mu);
}

/* A label value in the exposition: \, " and newline escaped. */
static const struct error *
put_value(struct buf *b, const char *v)
{
	const struct error	*e = NULL;

	for (; *v != '\0' && e == NULL; v++)
		e = (*v == '\\' || *v == '"') ? buf_addf(b, "\\%c", *v) :
		    *v == '\n' ? buf_adds(b, "\\n") : buf_addc(b, *v);
	return e;
}

static const struct error *
family(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

static const char *const set_label_names[5] = {
	"name", "repository", "organization", "enterprise", "namespace"
};

static const struct error *
gauge(struct buf *b, const char *name, const char *help, int have,
    int64_t v)
{
	const struct error	*e;
	int			 k;

	if ((e = family(b, name, "gauge", help)) != NULL || !have)
		return e;
	e = buf_addf(b, "%s{", name);
	for (k = 0; k < 5 && e == NULL; k++)
		if ((e = buf_addf(b, "%s%s=\"", k ? "," : "",
		    set_label_names[k])) == NULL &&
		    (e = put_value(b, m.set[k])) == NULL)
			e = buf_adds(b, "\"");
	return e != NULL ? e : buf_addf(b, "} %lld\n", (long long)v);
}

/* name{job labels[,extra]} of series s, without the value. */
static const struct error *
job_sample(struct buf *b, const char *name, const struct series *s,
    const char *le)
{
	const struct error	*e;
	int			 k, n = s->completed ? JOB_LABELS : JOB_LABELS - 1;

	e = buf_addf(b, "%s{", name);
	for (k = 0; k < n && e == NULL; k++)
		if ((e = buf_addf(b, "%s%s=\"", k ? "," : "",
		    job_label_names[k])) == NULL &&
		    (e = put_value(b, s->l[k])) == NULL)
			e = buf_adds(b, "\"");
	if (e == NULL && le != NULL)
		e = buf_addf(b, ",le=\"%s\"", le);
	return e != NULL ? e : buf_adds(b, "} ");
}

static const struct error *
job_counter(struct buf *b, const char *name, const char *help,
    int completed)
{
	const struct error	*e;
	size_t			 i;

	if ((e = family(b, name, "counter", help)) != NULL)
		return e;
	for (i = 0; i < m.ns && e == NULL; i++)
		if (m.s[i].completed == completed &&
		    (e = job_sample(b, name, &m.s[i], NULL)) == NULL)
			e = buf_addf(b, "%llu\n",
			    (unsigned long long)m.s[i].count);
	return e;
}

static const struct error *
job_histogram(struct buf *b, const char *name, const char *help,
    int completed)
{
	const struct error	*e;
	const struct series	*s;
	char			 sample[128], le[32];
	uint64_t		 cum;
	size_t			 i, k;

	if ((e = family(b, name, "histogram", help)) != NULL)
		return e;
	for (i = 0; i < m.ns && e == NULL; i++) {
		s = &m.s[i];
		if (s->completed != completed || s->hcount == 0)
			continue;
		(void)str_fmt(sample, sizeof(sample), "%s_bucket", name);
		for (k = 0, cum = 0; k <= NBUCKETS && e == NULL; k++) {
			if (k < NBUCKETS) {
				cum += s->b[k];
				(void)str_fmt(le, sizeof(le), "%g", buckets[k]);
			} else {
				cum = s->hcount;
				(void)str_copy(le, sizeof(le), "+Inf");
			}
			if ((e = job_sample(b, sample, s, le)) == NULL)
				e = buf_addf(b, "%llu\n",
				    (unsigned long long)cum);
		}
		(void)str_fmt(sample, sizeof(sample), "%s_sum", name);
		if (e == NULL && (e = job_sample(b, sample, s, NULL)) == NULL)
			e = buf_addf(b, "%.17g\n", s->sum);
		(void)str_fmt(sample, sizeof(sample), "%s_count", name);
		if (e == NULL && (e = job_sample(b, sample, s, NULL)) == NULL)
			e = buf_addf(b, "%llu\n",
			    (unsigned long long)s->hcount);
	}
	return e;
}

static const struct error *
named_family(struct buf *b, const char *name, const char *type,
    const char *help, const char *label, const struct named *t, size_t n)
{
	const struct error	*e;
	size_t			 i;

	if ((e = family(b, name, type, help)) != NULL)
		return e;
	for (i = 0; i < n && e == NULL; i++)
		if ((e = buf_addf(b, "%s{%s=\"", name, label)) == NULL &&
		    (e = put_value(b, t[i].name)) == NULL)
			e = buf_addf(b, "\"} %lld\n", (long long)t[i].n);
	return e;
}

/* A counter without labels. */
static const struct error *
plain(struct buf *b, const char *name, const char *help, uint64_t v)
{
	const struct error	*e;

	if ((e = family(b, name, "counter", help)) != NULL)
		return e;
	return buf_addf(b, "%s %llu\n", name, (unsigned long long)v);
}

static const struct error *
render(struct buf *b)
{
	const struct error	*e;
	int			 st = m.have_stats, mm = m.have_static;

#define G(n, h, have, v) \
	if ((e = gauge(b, n, h, have, v)) != NULL) return e
	G("gha_assigned_jobs", "Number of jobs assigned to this scale set.",
	    st, m.st.assigned);
	G("gha_running_jobs", "Number of jobs running (or about to be run).",
	    st, m.st.running);
	G("gha_registered_runners", "Number of runners registered by the "
	    "scale set.", st, m.st.registered);
	G("gha_busy_runners", "Number of registered runners running a job.",
	    st, m.st.busy);
	G("gha_min_runners", "Minimum number of runners.", mm, m.min);
	G("gha_max_runners", "Maximum number of runners.", mm, m.max);
	G("gha_desired_runners", "Number of runners desired by the scale "
	    "set.", m.have_desired, m.desired);
	G("gha_idle_runners", "Number of registered runners not running a "
	    "job.", st, m.st.idle);
	G("gha_available_jobs", "Jobs available to the scale set, not yet "
	    "acquired (totalAvailableJobs).", st, m.st.available);
	G("gha_acquired_jobs", "Jobs acquired by the scale set, not yet "
	    "assigned (totalAcquiredJobs).", st, m.st.acquired);
#undef G
	if ((e = job_counter(b, "gha_started_jobs_total",
	    "Total number of jobs started.", 0)) != NULL ||
	    (e = job_counter(b, "gha_completed_jobs_total",
	    "Total number of jobs completed.", 1)) != NULL ||
	    (e = job_histogram(b, "gha_job_startup_duration_seconds",
	    "Time spent waiting for workflow job to get started on the runner "
	    "owned by the scale set (in seconds).", 0)) != NULL ||
	    (e = job_histogram(b, "gha_job_execution_duration_seconds",
	    "Time spent executing workflow jobs by the scale set (in "
	    "seconds).", 1)) != NULL)
		return e;
	if ((e = plain(b, "ghrctl_launches_total", "EC2 instances launched.",
	    m.launches)) != NULL ||
	    (e = named_family(b, "ghrctl_launch_errors_total", "counter",
	    "Launches that failed, by EC2 error code.", "code", m.errors,
	    m.nerrors)) != NULL ||
	    (e = plain(b, "ghrctl_ec2_throttled_total", "EC2 requests refused "
	    "for the request rate.", m.throttled)) != NULL ||
	    (e = named_family(b, "ghrctl_instances", "gauge",
	    "EC2 instances of the scale set, by state.", "state", m.states,
	    m.nstates)) != NULL)
		return e;
	return plain(b, "ghrctl_metrics_series_dropped_total", "Job "
	    "observations not kept: too many label sets.", m.dropped);
}

const struct error *
metrics_render(struct buf *b)
{
	const struct error	*e;

	pthread_mutex_lock(&m.mu);
	e = render(b);
	pthread_mutex_unlock(&m.mu);
	return e;
}

const struct error *
metrics_write_file(const char *path)
{
	const struct error	*e;
	struct buf		 b = BUF_INIT(METRICS_MAX);
	char			 tmp[4096];
	int			 fd;

	if ((e = str_fmt(tmp, sizeof(tmp), "%s.tmp", path)) != NULL ||
	    (e = metrics_render(&b)) != NULL)
		goto out;
	(void)unlink(tmp);
	/* No secrets here: 0644, so node_exporter's collector can read it. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644)) == -1) {
		e = error_fmt(ERR_IO, "--metrics-file: cannot create '%s': %s",
		    tmp, strerror(errno));
		goto out;
	}
	if ((e = write_all(fd, b.p, b.len, tmp)) != NULL) {
		close(fd);
		(void)unlink(tmp);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = error_fmt(ERR_IO, "--metrics-file: cannot write '%s': %s",
		    path, strerror(errno));
		(void)unlink(tmp);
	}
out:
	buf_release(&b);
	return e;
}
