/* SPDX-License-Identifier: ISC */
/*
 * metrics.c: hostile label bytes are escaped or replaced (the exposition
 * stays one sample a line), and job label sets are bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "t.h"

static char	 empty[] = "";

/* A job message of kind k named name, every other string empty. */
static void
job_init(struct as_job *j, enum as_job_kind k, char *name)
{
	memset(j, 0, sizeof(*j));
	j->kind = k;
	j->message_type = j->repository_name = j->owner_name = empty;
	j->job_workflow_ref = j->event_name = j->scale_set_assign_time = empty;
	j->runner_assign_time = j->finish_time = j->result = empty;
	j->job_display_name = name;
}

static void
t_metrics_hostile_labels(void)
{
	struct as_job	 j;
	struct buf	 b = BUF_INIT(1u << 22);
	char		 name[] = "a\"b\\c\nd\x01\xff";
	const char	*p;
	size_t		 lines = 0;

	job_init(&j, AS_JOB_STARTED, name);
	metrics_job(&j);
	T_OK(metrics_render(&b));
	T_TRUE(strstr(b.p, "job_name=\"a\\\"b\\\\c?d??\"") != NULL);
	for (p = b.p; *p != '\0'; p++)
		lines += *p == '\n';
	/* Every line a comment or name{...} value: no stray line breaks. */
	for (p = b.p; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL)
		T_TRUE(*p == '#' || (*p >= 'a' && *p <= 'z'));
	T_TRUE(lines > 20);
	buf_release(&b);
}

static void
t_metrics_bounded(void)
{
	struct as_job	 j;
	struct buf	 b = BUF_INIT(1u << 22);
	char		 name[32];
	const char	*p;
	int		 i, kept, dropped;

	job_init(&j, AS_JOB_COMPLETED, name);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "job%d", i);
		metrics_job(&j);
	}
	T_OK(metrics_render(&b));
	/* At most 256 label sets kept; the rest counted as dropped. */
	for (p = b.p, kept = 0; (p = strstr(p, "\ngha_completed_jobs_total{"))
	    != NULL; p++)
		kept++;
	T_TRUE((p = strstr(b.p, "\nghrctl_metrics_series_dropped_total "))
	    != NULL);
	dropped = p != NULL ? atoi(p + 37) : 0;
	T_EQ_INT(kept + dropped, 300);
	T_TRUE(kept <= 256 && dropped >= 44);
	T_TRUE(strstr(b.p, "job_name=\"job0\"") != NULL);
	T_TRUE(strstr(b.p, "job_name=\"job299\"") == NULL);
	buf_release(&b);
}

T_REGISTER("metrics_hostile_labels", t_metrics_hostile_labels)
T_REGISTER("metrics_bounded", t_metrics_bounded)

/* Contents of path (at most 4 KB), "" when it cannot be read. */
static void
slurp(const char *path, char *dst, size_t size)
{
	FILE	*fp = fopen(path, "r");
	size_t	 n = 0;

	if (fp != NULL) {
		n = fread(dst, 1, size - 1, fp);
		fclose(fp);
	}
	dst[n] = '\0';
}

/*
 * --metrics-file for node_exporter's textfile collector is replaced
 * whole (written aside, renamed): a reader holding the old file (here a
 * hard link to it) never sees it truncated or half written, and no
 * temporary file is left behind.
 */
T_REGISTER("metrics_file_atomic", t_metrics_file_atomic)
static void
t_metrics_file_atomic(void)
{
	char	 dir[] = "/tmp/ghrctl-t-metrics-XXXXXX";
	char	 path[128], held[128], tmp[160], text[4096];
	FILE	*fp;

	T_TRUE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/ghrctl.prom", dir);
	snprintf(held, sizeof(held), "%s/held.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	T_TRUE((fp = fopen(path, "w")) != NULL);
	if (fp != NULL) {
		fputs("# the previous scrape\n", fp);
		fclose(fp);
	}
	T_TRUE(link(path, held) == 0);
	metrics_static(1, 5);
	T_OK(metrics_write_file(path));
	slurp(held, text, sizeof(text));
	T_EQ_STR(text, "# the previous scrape\n");
	slurp(path, text, sizeof(text));
	T_TRUE(strstr(text, "# TYPE gha_max_runners gauge") != NULL);
	T_TRUE(access(tmp, F_OK) == -1);
	(void)unlink(path);
	(void)unlink(held);
	(void)rmdir(dir);
}
