/*
 * SPDX-License-Identifier: ISC
 *
 * The REST demand source, pure (see ghjobs.h): typed views of the
 * workflow-run, job and repository pages of GitHub REST (field names as
 * in actions-service-protocol.md 6.2: a run page is {"total_count",
 * "workflow_runs": [Run]}, a job page {"total_count", "jobs": [Job]} with
 * Job.labels the `runs-on` labels), the label match ARC's legacy mode
 * used, demand counting and the stable pool id.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

#include "ghjobs.h"
#include "json.h"
#include "util.h"

/* see ghjobs.h */
void
gh_job_release(struct gh_job *j)
{
	size_t	 i;

	for (i = 0; i < j->nlabels; i++)
		free(j->labels[i]);
	free(j->labels);
	memset(j, 0, sizeof(*j));
}

static const struct error *
job_from(const cJSON *o, struct gh_job *j)
{
	const struct error	*e;
	const cJSON		*labels = NULL, *l;
	const char		*status;
	int			 n;

	memset(j, 0, sizeof(*j));
	if ((e = json_get_i64(o, "id", &j->id)) != NULL ||
	    (e = json_opt_i64(o, "run_id", &j->run_id)) != NULL ||
	    (e = json_get_str(o, "status", &status)) != NULL ||
	    (e = json_opt_array(o, "labels", &labels)) != NULL)
		goto fail;
	if (strlen(status) >= sizeof(j->status)) {
		e = error_fmt(ERR_PROTO, "job status is too long");
		goto fail;
	}
	memcpy(j->status, status, strlen(status) + 1);
	if (labels == NULL)
		return NULL;
	if ((n = cJSON_GetArraySize(labels)) > GHJOBS_MAX_LABELS) {
		e = error_fmt(ERR_PROTO, "job has more than %d labels",
		    GHJOBS_MAX_LABELS);
		goto fail;
	}
	j->labels = xcalloc((size_t)n + 1, sizeof(*j->labels));
	cJSON_ArrayForEach(l, labels) {
		if (!cJSON_IsString(l) || strlen(l->valuestring) >=
		    GHJOBS_LABEL_MAX) {
			e = error_fmt(ERR_PROTO, "job label is not a string of "
			    "at most %d bytes", GHJOBS_LABEL_MAX - 1);
			goto fail;
		}
		j->labels[j->nlabels++] = xstrdup(l->valuestring);
	}
	return NULL;
fail:
	gh_job_release(j);
	return error_wrap(e, "job");
}

/* Parse body, check it is an object, get its array key. */
static const struct error *
page_array(const char *body, size_t len, const char *what, const char *key,
    cJSON **root, const cJSON **arr)
{
	const struct error	*e;

	if ((e = json_parse(body, len, what, root)) != NULL)
		return e;
	if (key == NULL) {
		if (!cJSON_IsArray(*root))
			return error_fmt(ERR_PROTO, "%s: not an array", what);
		*arr = *root;
		return NULL;
	}
	if ((e = json_want_object(*root, what)) != NULL ||
	    (e = json_get_array(*root, key, arr)) != NULL)
		return error_wrap(e, "%s", what);
	return NULL;
}

/* see ghjobs.h */
const struct error *
ghjobs_job_page(const char *body, size_t len, gh_job_fn fn, void *arg,
    size_t *n)
{
	const struct error	*e;
	const cJSON		*arr, *o;
	cJSON			*root = NULL;
	struct gh_job		 j;

	if (n != NULL)
		*n = 0;
	if ((e = page_array(body, len, "job list", "jobs", &root, &arr)) !=
	    NULL)
		goto out;
	cJSON_ArrayForEach(o, arr) {
		if ((e = job_from(o, &j)) != NULL)
			goto out;
		if (n != NULL)
			(*n)++;
		e = fn(arg, &j);
		gh_job_release(&j);
		if (e != NULL)
			goto out;
	}
out:
	cJSON_Delete(root);
	return e;
}

/* see ghjobs.h */
const struct error *
ghjobs_run_page(const char *body, size_t len, int64_t *ids, size_t max,
    size_t *n, size_t *seen, int *full)
{
	const struct error	*e;
	const cJSON		*arr, *o;
	cJSON			*root = NULL;
	int64_t			 id;
	size_t			 i;

	if (seen != NULL)
		*seen = 0;
	if ((e = page_array(body, len, "workflow run list", "workflow_runs",
	    &root, &arr)) != NULL)
		goto out;
	cJSON_ArrayForEach(o, arr) {
		if ((e = json_get_i64(o, "id", &id)) != NULL) {
			e = error_wrap(e, "workflow run");
			goto out;
		}
		if (seen != NULL)
			(*seen)++;
		for (i = 0; i < *n; i++)
			if (ids[i] == id)
				break;
		if (i < *n)
			continue;
		if (*n == max) {
			*full = 1;
			continue;
		}
		ids[(*n)++] = id;
	}
out:
	cJSON_Delete(root);
	return e;
}

/* see ghjobs.h */
const struct error *
ghjobs_repo_page(const char *body, size_t len, gh_repo_fn fn, void *arg,
    size_t *n)
{
	const struct error	*e;
	const cJSON		*arr, *o;
	cJSON			*root = NULL;
	const char		*name;
	int			 archived;

	if (n != NULL)
		*n = 0;
	if ((e = page_array(body, len, "repository list", NULL, &root,
	    &arr)) != NULL)
		goto out;
	cJSON_ArrayForEach(o, arr) {
		archived = 0;
		if ((e = json_want_object(o, "repository")) != NULL ||
		    (e = json_get_str(o, "full_name", &name)) != NULL ||
		    (e = json_opt_bool(o, "archived", &archived)) != NULL) {
			e = error_wrap(e, "repository");
			goto out;
		}
		if (strlen(name) >= GHJOBS_REPO_MAX ||
		    strchr(name, '/') == NULL) {
			e = error_fmt(ERR_PROTO, "repository name '%.64s' is "
			    "not OWNER/NAME", name);
			goto out;
		}
		if (n != NULL)
			(*n)++;
		if (!archived && (e = fn(arg, name)) != NULL)
			goto out;
	}
out:
	cJSON_Delete(root);
	return e;
}

/* see ghjobs.h */
int
ghjobs_match(const char *const *job, size_t njob, const char *const *pool,
    size_t npool)
{
	size_t	 i, k, wanted = 0;

	for (i = 0; i < njob; i++) {
		if (str_ieq(job[i], "self-hosted"))
			continue;
		wanted++;
		for (k = 0; k < npool; k++)
			if (str_ieq(job[i], pool[k]))
				break;
		if (k == npool)
			return 0;
	}
	/* runs-on: self-hosted alone fits any self-hosted runner. */
	return njob > 0 && (wanted > 0 || npool > 0);
}

/* see ghjobs.h */
void
ghjobs_count(struct gh_demand *d, const struct gh_job *j,
    const char *const *pool, size_t npool)
{
	int	 q = strcmp(j->status, "queued") == 0;
	int	 r = strcmp(j->status, "in_progress") == 0;

	d->jobs++;
	if (!q && !r)
		return;
	if (!ghjobs_match((const char *const *)j->labels, j->nlabels, pool,
	    npool))
		d->other++;
	else if (q)
		d->queued++;
	else
		d->running++;
}

/* see ghjobs.h */
int64_t
ghjobs_demand(const struct gh_demand *d)
{
	uint64_t	 n = d->queued + d->running;

	return n > INT64_MAX ? INT64_MAX : (int64_t)n;
}

/* FNV-1a of s in ASCII lower case. */
static uint64_t
fnv_lower(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;
	unsigned char	 c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h ^= c;
		h *= 1099511628211ULL;
	}
	return h;
}

/* see ghjobs.h */
int64_t
ghjobs_pool_id(const char *config_url, const char *const *labels,
    size_t nlabels)
{
	uint64_t	 h = fnv_lower(config_url != NULL ? config_url : "");
	uint64_t	 sum = 0;
	size_t		 i;

	/* A sum of per-label hashes does not depend on the order. */
	for (i = 0; i < nlabels; i++)
		sum += fnv_lower(labels[i]) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ sum) * 1099511628211ULL;
	h ^= h >> 29;
	return 1000000000LL + (int64_t)(h % 1000000000ULL);
}
