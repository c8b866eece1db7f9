/*
 * SPDX-License-Identifier: ISC
 *
 * The job journal (journal.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cJSON.h"

#include "buf.h"
#include "error.h"
#include "journal.h"
#include "json.h"
#include "log.h"
#include "state.h"
#include "util.h"

void
journal_job(const struct cmd_as *c, const struct as_job *j)
{
	static int		 warned;
	const struct error	*e;
	struct buf		 b = BUF_INIT(JOURNAL_MAX / 4);
	struct buf		 line = BUF_INIT(JOURNAL_MAX / 4);
	char			 at[32];
	time_t			 t = time(NULL);
	struct tm		 tm;

	if (!c->have_state || j->kind == AS_JOB_OTHER)
		return;
	gmtime_r(&t, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* asmsg_job_format() gives {...}: the time goes first. */
	if ((e = asmsg_job_format(j, &b)) == NULL &&
	    (e = buf_addf(&line, "{\"at\":\"%s\",%s", at, b.p + 1)) == NULL)
		e = state_append(&c->sf, "jobs", line.p, JOURNAL_MAX);
	if (e != NULL && !warned++)
		log_warn("job journal: %s", e->msg);
	buf_release(&b);
	buf_release(&line);
}

/* Copy a string field of o into dst when present and not empty. */
static void
take(const cJSON *o, const char *key, char *dst, size_t size)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsString(v) && v->valuestring[0] != '\0')
		(void)str_copy(dst, size, v->valuestring);
}

static void
take_time(const cJSON *o, const char *key, int64_t *t)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);
	int64_t		 x;

	if (cJSON_IsString(v) && parse_rfc3339(v->valuestring, &x) == 0 &&
	    x > 0)
		*t = x;
}

/* Merge one journal record into the job of its runnerRequestId. */
static void
merge(struct journal_job **v, size_t *n, const cJSON *o)
{
	const cJSON	*r = cJSON_GetObjectItemCaseSensitive(o, "runnerRequestId");
	const cJSON	*l, *x;
	char		 owner[JOURNAL_FIELD] = "", repo[JOURNAL_FIELD] = "";
	struct journal_job	*j;
	size_t		 i, k = 0;

	if (!cJSON_IsNumber(r))
		return;
	for (i = 0; i < *n && (*v)[i].req != (int64_t)r->valuedouble; i++)
		;
	if (i == *n) {
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		memset(&(*v)[i], 0, sizeof(**v));
		(*v)[i].req = (int64_t)r->valuedouble;
		(*n)++;
	}
	j = &(*v)[i];
	take(o, "ownerName", owner, sizeof(owner));
	take(o, "repositoryName", repo, sizeof(repo));
	if (repo[0] != '\0')
		(void)str_fmt(j->repo, sizeof(j->repo), "%s%s%s", owner,
		    owner[0] != '\0' ? "/" : "", repo);
	take(o, "jobWorkflowRef", j->workflow, sizeof(j->workflow));
	take(o, "jobDisplayName", j->name, sizeof(j->name));
	take(o, "runnerName", j->runner, sizeof(j->runner));
	take(o, "result", j->result, sizeof(j->result));
	take_time(o, "queueTime", &j->queued);
	take_time(o, "scaleSetAssignTime", &j->assigned);
	take_time(o, "runnerAssignTime", &j->started);
	take_time(o, "finishTime", &j->finished);
	l = cJSON_GetObjectItemCaseSensitive(o, "requestLabels");
	if (cJSON_GetArraySize(l) > 0) {
		j->labels[0] = '\0';
		cJSON_ArrayForEach(x, l)
			if (cJSON_IsString(x) && k < sizeof(j->labels))
				k += (size_t)snprintf(j->labels + k,
				    sizeof(j->labels) - k, "%s%s", k ? "," : "",
				    x->valuestring);
	}
}

/* Read path (a missing file is empty) into the job list. */
static void
load(const char *path, struct journal_job **v, size_t *n)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 len;
	cJSON	*o;

	if ((fp = fopen(path, "re")) == NULL)
		return;
	while ((len = getline(&line, &cap, fp)) > 0) {
		if (json_parse(line, (size_t)len, "journal", &o) != NULL)
			continue;	/* a torn or foreign line: skipped */
		merge(v, n, o);
		cJSON_Delete(o);
	}
	free(line);
	fclose(fp);
}

/* see journal.h */
const struct error *
journal_read(const struct state_file *sf, struct journal_job **v, size_t *n)
{
	const struct error	*e;
	char			 path[800];

	*v = NULL;
	*n = 0;
	if ((e = str_fmt(path, sizeof(path), "%s.jobs.old", sf->path)) != NULL)
		return e;
	load(path, v, n);
	if ((e = str_fmt(path, sizeof(path), "%s.jobs", sf->path)) != NULL)
		return e;
	load(path, v, n);
	return NULL;
}
