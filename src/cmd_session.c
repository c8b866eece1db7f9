/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl session open|show|close|refresh: the scale set's message session
 * as kept in its state file (see state.h).  The Actions Service allows one
 * active session per scale set (a second answers 409), so a session lives
 * across one-shot runs in the state file, guarded by its lock.  `open`
 * re-uses a still valid session (checked with a refresh) or creates one;
 * `show` reads the file without the network or the lock; `close` deletes
 * the session at the service and forgets it; `refresh` renews the queue
 * token.  The queue token is never printed.  Facts: the actions/scaleset
 * Go client (session_client.go: create, refresh and delete a session).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

#include "actions.h"
#include "cmd.h"
#include "scaleset.h"
#include "json.h"
#include "log.h"
#include "state.h"
#include "util.h"

static const struct opt session_out_opts[] = {
	{ "output", 'o', OPT_REQ, "FORMAT", "table or json" },
	OPT_END
};

static const struct opt session_close_opts[] = {
	{ "dry-run", 'n', OPT_NONE, NULL, "show what would be closed" },
	OPT_END
};

struct session_args {
	enum out_fmt	 fmt;
	int		 dry_run;
};

static const struct error *
session_opt(void *arg, int key, const char *val)
{
	struct session_args	*a = arg;

	switch (key) {
	case 'o':
		return cmd_output_parse(val, OUT_ALLOW_TABLE_JSON,
		    &a->fmt);
	case 'n':
		a->dry_run = 1;
		return NULL;
	}
	return error_fmt(ERR_SOFTWARE, "session: option %d unhandled", key);
}

/* Parse a verb's options; no operands.  *stop when --help was printed. */
static const struct error *
session_args(struct ctx *ctx, int argc, char *argv[], struct session_args *a)
{
	const struct error	*e;

	memset(a, 0, sizeof(*a));
	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, session_opt, a)) !=
	    NULL || ctx->done)
		return e;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[0]);
	return NULL;
}

/* Print the session of st (and stats when known). */
static void
print_session(const struct session_args *a, const struct state *st,
    const struct as_stats *stats)
{
	cJSON	*o, *so;
	char	*s;

	if (a->fmt == OUT_JSON) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "sessionId", st->session_id);
		cJSON_AddStringToObject(o, "ownerName",
		    st->owner_name != NULL ? st->owner_name : "");
		cJSON_AddNumberToObject(o, "scaleSetId",
		    (double)st->scale_set_id);
		cJSON_AddStringToObject(o, "scaleSetName",
		    st->scale_set_name != NULL ? st->scale_set_name : "");
		cJSON_AddStringToObject(o, "messageQueueUrl", st->queue_url);
		cJSON_AddNumberToObject(o, "lastMessageId",
		    (double)st->last_message_id);
		cJSON_AddNumberToObject(o, "updated", (double)st->updated);
		if (stats != NULL) {
			so = cJSON_AddObjectToObject(o, "statistics");
			cJSON_AddNumberToObject(so, "totalAssignedJobs",
			    (double)stats->assigned);
			cJSON_AddNumberToObject(so, "totalRunningJobs",
			    (double)stats->running);
			cJSON_AddNumberToObject(so, "totalRegisteredRunners",
			    (double)stats->registered);
		}
		s = json_print(o);
		cJSON_Delete(o);
		printf("%s\n", s);
		free(s);
		return;
	}
	printf("session        %s\n", st->session_id);
	printf("owner          %s\n", st->owner_name != NULL ?
	    st->owner_name : "");
	printf("scale set      %s (id %lld)\n", st->scale_set_name != NULL ?
	    st->scale_set_name : "?", (long long)st->scale_set_id);
	printf("queue          %s\n", st->queue_url);
	printf("last message   %lld\n", (long long)st->last_message_id);
	if (stats != NULL)
		printf("statistics     assigned=%lld running=%lld "
		    "registered=%lld busy=%lld idle=%lld\n",
		    (long long)stats->assigned, (long long)stats->running,
		    (long long)stats->registered, (long long)stats->busy,
		    (long long)stats->idle);
}

static const struct error *
session_open(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct session_args	 a;
	struct cmd_as		 c;
	struct as_session	 s;
	int			 created;

	cmd_as_init(&c);
	memset(&s, 0, sizeof(s));
	if ((e = session_args(ctx, argc, argv, &a)) != NULL || ctx->done)
		return e;
	if ((e = cmd_as_open(ctx, &c, 0)) != NULL ||
	    (e = cmd_as_begin(ctx, &c, STATE_LOCK_NOWAIT, NULL)) != NULL ||
	    (e = cmd_as_session(ctx, &c, 1, &s, &created)) != NULL)
		goto out;
	log_info("session %s %s", s.id, created ? "created" : "still valid");
	print_session(&a, &c.st, s.has_stats ? &s.stats : NULL);
out:
	asmsg_session_release(&s);
	cmd_as_close(&c);
	return e;
}

static const struct error *
session_refresh(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct session_args	 a;
	struct cmd_as		 c;
	struct as_session	 s;

	cmd_as_init(&c);
	memset(&s, 0, sizeof(s));
	if ((e = session_args(ctx, argc, argv, &a)) != NULL || ctx->done)
		return e;
	if ((e = cmd_as_open(ctx, &c, 0)) != NULL ||
	    (e = cmd_as_begin(ctx, &c, STATE_LOCK_NOWAIT, NULL)) != NULL)
		goto out;
	if (c.st.session_id == NULL) {
		e = error_fmt(ERR_FAIL, "no session open for scale set '%s' "
		    "(run 'ghrctl session open')", c.name);
		goto out;
	}
	cmd_as_load_session(&c, &s);
	if ((e = actions_session_refresh(c.as, c.scale_set_id, &s)) != NULL) {
		if (actions_exception(c.as) == AS_EXC_SESSION_GONE) {
			state_clear_session(&c.st);
			(void)cmd_as_save(&c);
			e = error_fmt(ERR_FAIL, "session %s has expired at the "
			    "service and was forgotten (run 'ghrctl session "
			    "open')", s.id);
		}
		goto out;
	}
	cmd_as_keep_session(&c, &s);
	if ((e = cmd_as_save(&c)) != NULL)
		goto out;
	print_session(&a, &c.st, s.has_stats ? &s.stats : NULL);
out:
	asmsg_session_release(&s);
	cmd_as_close(&c);
	return e;
}

static const struct error *
session_close(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct session_args	 a;
	struct cmd_as		 c;

	cmd_as_init(&c);
	if ((e = session_args(ctx, argc, argv, &a)) != NULL || ctx->done)
		return e;
	if ((e = cmd_as_open(ctx, &c, 0)) != NULL ||
	    (e = cmd_as_begin(ctx, &c, STATE_LOCK_NOWAIT, NULL)) != NULL)
		goto out;
	if (c.st.session_id == NULL) {
		log_info("no session open for scale set '%s'", c.name);
		goto out;
	}
	if (a.dry_run) {
		printf("would close session %s\n", c.st.session_id);
		goto out;
	}
	e = cmd_as_end_session(&c);
out:
	cmd_as_close(&c);
	return e;
}

static const struct error *
session_show(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct session_args	 a;
	struct state_file	 sf = STATE_FILE_INIT;
	struct state		 st;
	const char		*name;

	state_init(&st);
	if ((e = session_args(ctx, argc, argv, &a)) != NULL || ctx->done)
		return e;
	if ((e = state_locate(&ctx->cfg, &sf, &name)) != NULL ||
	    (e = state_load(&sf, &st)) != NULL)
		goto out;
	if (st.session_id == NULL) {
		e = error_fmt(ERR_FAIL, "no session open for scale set '%s' "
		    "(state file %s)", name, sf.path);
		goto out;
	}
	print_session(&a, &st, NULL);
out:
	state_release(&st);
	return e;
}

static const struct cmd session_verbs[] = {
	{ "open", session_open, "session open [-o table|json]",
	    "open (or re-use) the message session", session_out_opts, NULL },
	{ "show", session_show, "session show [-o table|json]",
	    "show the session in the state file", session_out_opts, NULL },
	{ "close", session_close, "session close [-n]",
	    "delete the session at the service and forget it",
	    session_close_opts, NULL },
	{ "refresh", session_refresh, "session refresh [-o table|json]",
	    "renew the session's message queue token", session_out_opts,
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

const struct cmd cmd_session_def = {
	"session", NULL,
	"session open [-o table|json]\n"
	"session show [-o table|json]\n"
	"session close [-n]\n"
	"session refresh [-o table|json]",
	"manage the scale set's message session",
	NULL, session_verbs
};
