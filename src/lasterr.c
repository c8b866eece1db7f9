/*
 * SPDX-License-Identifier: ISC
 *
 * The record of last warnings and errors (lasterr.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cJSON.h"

#include "lasterr.h"
#include "json.h"
#include "log.h"
#include "util.h"

/* The state file the sink writes next to (paths only, no lock). */
static struct state_file	 rec_sf = STATE_FILE_INIT;

static void
sink(void *arg, enum log_level l, const char *cmd, const char *msg)
{
	char	 line[LASTERR_MSG * 2 + 256], at[32];
	time_t	 t = time(NULL);
	struct tm tm;

	(void)arg;
	gmtime_r(&t, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(line, sizeof(line), "{\"at\":\"%s\",\"level\":\"%s\","
	    "\"cmd\":\"", at, l == LOG_ERROR ? "error" : "warn");
	log_json_escape(cmd != NULL ? cmd : "", line, sizeof(line));
	(void)str_fmt(line + strlen(line), sizeof(line) - strlen(line),
	    "\",\"msg\":\"");
	log_json_escape(msg, line, sizeof(line) - 3);
	(void)str_fmt(line + strlen(line), sizeof(line) - strlen(line), "\"}");
	(void)state_append(&rec_sf, "errors", line, LASTERR_MAX);
}

/* see lasterr.h */
void
lasterr_record(const struct state_file *sf)
{
	/* Once per state file: threads may be logging through the sink. */
	if (strcmp(rec_sf.path, sf->path) == 0)
		return;
	rec_sf = *sf;
	rec_sf.lock_fd = -1;
	log_set_sink(sink, NULL);
}

static void
take(const cJSON *o, const char *key, char *dst, size_t size)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	dst[0] = '\0';
	if (!cJSON_IsString(v))
		return;
	snprintf(dst, size, "%s", v->valuestring);
	if (strlen(v->valuestring) >= size)
		str_fit(dst, (unsigned int)size);	/* cut, marked */
}

/* Add the records of path to the ring v (n slots, *k records so far). */
static void
load(const char *path, struct lasterr *v, size_t n, size_t *k)
{
	FILE		*fp;
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 len;
	cJSON		*o;
	struct lasterr	*r;

	if ((fp = fopen(path, "re")) == NULL)
		return;
	while ((len = getline(&line, &cap, fp)) > 0) {
		if (json_parse(line, (size_t)len, "error record", &o) != NULL)
			continue;
		r = &v[*k % n];
		take(o, "at", r->at, sizeof(r->at));
		take(o, "level", r->level, sizeof(r->level));
		take(o, "cmd", r->cmd, sizeof(r->cmd));
		take(o, "msg", r->msg, sizeof(r->msg));
		cJSON_Delete(o);
		if (r->msg[0] != '\0')
			(*k)++;
	}
	free(line);
	fclose(fp);
}

/* see lasterr.h */
size_t
lasterr_read(const struct state_file *sf, struct lasterr *v, size_t n)
{
	struct lasterr	*ring;
	char		 path[800];
	size_t		 k = 0, i, m;

	if (n == 0)
		return 0;
	ring = xcalloc(n, sizeof(*ring));
	if (str_fmt(path, sizeof(path), "%s.errors.old", sf->path) == NULL)
		load(path, ring, n, &k);
	if (str_fmt(path, sizeof(path), "%s.errors", sf->path) == NULL)
		load(path, ring, n, &k);
	m = k < n ? k : n;
	for (i = 0; i < m; i++)
		v[i] = ring[(k - m + i) % n];
	free(ring);
	return m;
}
