/*
 * SPDX-License-Identifier: ISC
 *
 * The scale-set session set-up that register, session, poll, scale and
 * cleanup share (see scaleset.h): the GitHub REST client hands out registration tokens, which actions.c
 * exchanges for its admin token (the two service modules never call each
 * other, so the hand-over happens here, through a callback); the scale
 * set is resolved from RUNNER_SCALE_SET_ID or (RUNNER_GROUP,
 * RUNNER_SCALE_SET_NAME); the state file holds the message session.
 * Facts: the registration-token exchange and session calls of the public
 * actions/scaleset Go client (client.go, session_client.go).
 */

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "scaleset.h"
#include "github.h"
#include "lasterr.h"
#include "log.h"
#include "state.h"
#include "util.h"

/* see scaleset.h */
void
cmd_as_init(struct cmd_as *c)
{
	memset(c, 0, sizeof(*c));
	c->sf.lock_fd = -1;
	state_init(&c->st);
}

/* actions.c asks for a registration token through this. */
static const struct error *
regtoken(void *arg, char **token)
{
	struct cmd_as	*c = arg;

	return github_registration_token(c->gh, token, NULL, 0);
}

/* see scaleset.h */
const struct error *
cmd_as_open(struct ctx *ctx, struct cmd_as *c, int need_name)
{
	const struct error	*e;
	struct http_client	*http;

	if ((e = ctx_http(ctx, &http)) != NULL)
		return e;
	return cmd_as_open_http(ctx, c, need_name, http);
}

/* see scaleset.h */
const struct error *
cmd_as_open_http(const struct ctx *ctx, struct cmd_as *c, int need_name,
    struct http_client *http)
{
	const struct error	*e;
	struct actions_opts	 o;
	const struct gh_target	*t;
	const char		*name;

	name = config_str(&ctx->cfg, K_RUNNER_SCALE_SET_NAME);
	if (name != NULL && (e = str_copy(c->name, sizeof(c->name), name)) !=
	    NULL)
		return error_fmt(ERR_CONFIG, "RUNNER_SCALE_SET_NAME is too "
		    "long");
	if (need_name && c->name[0] == '\0')
		return error_fmt(ERR_CONFIG, "no scale set name: set "
		    "RUNNER_SCALE_SET_NAME or use --scale-set NAME");
	if ((e = github_new(&ctx->cfg, http, &c->gh)) != NULL)
		return e;
	t = github_target(c->gh);
	memset(&o, 0, sizeof(o));
	o.http = http;
	o.config_url = t->config_url;
	o.api_base = t->api_base;
	o.regtoken = regtoken;
	o.regtoken_arg = c;
	o.subsystem = ctx->cmd != NULL ? ctx->cmd->name : "";
	return actions_new(&o, &c->as);
}

/* see scaleset.h */
const struct error *
cmd_as_scale_set(struct ctx *ctx, struct cmd_as *c, struct as_scale_set *out)
{
	const struct error	*e;
	struct as_scale_set	 ss;
	int64_t			 gid;
	int			 found = 0;

	memset(&ss, 0, sizeof(ss));
	if (config_is_set(&ctx->cfg, K_RUNNER_SCALE_SET_ID)) {
		e = actions_scale_set_get(c->as,
		    config_num(&ctx->cfg, K_RUNNER_SCALE_SET_ID), &ss);
		if (e != NULL && actions_exception(c->as) ==
		    AS_EXC_SCALE_SET_NOT_FOUND)
			e = error_fmt(ERR_FAIL, "scale set %lld does not exist "
			    "(check RUNNER_SCALE_SET_ID, or run 'ghrctl "
			    "register')", config_num(&ctx->cfg,
			    K_RUNNER_SCALE_SET_ID));
		if (e != NULL)
			return e;
		found = 1;
	} else {
		if (c->name[0] == '\0')
			return error_fmt(ERR_CONFIG, "no scale set: set "
			    "RUNNER_SCALE_SET_NAME or RUNNER_SCALE_SET_ID");
		if ((e = actions_runner_group_id(c->as,
		    config_str(&ctx->cfg, K_RUNNER_GROUP), &gid)) != NULL ||
		    (e = actions_scale_set_find(c->as, gid, c->name, &ss,
		    &found)) != NULL)
			return e;
		if (!found)
			return error_fmt(ERR_FAIL, "scale set '%s' does not "
			    "exist in runner group '%s' (run 'ghrctl "
			    "register' first)", c->name,
			    config_str(&ctx->cfg, K_RUNNER_GROUP));
	}
	c->scale_set_id = ss.id;
	if (c->name[0] == '\0' && ss.name != NULL)
		(void)str_copy(c->name, sizeof(c->name), ss.name);
	if (out != NULL)
		*out = ss;
	else
		asmsg_scale_set_release(&ss);
	return NULL;
}

/* see scaleset.h */
const struct error *
cmd_as_state(struct ctx *ctx, struct cmd_as *c, enum state_lock how,
    volatile const sig_atomic_t *stop)
{
	const struct error	*e;
	const char		*url = github_target(c->gh)->config_url;
	char			 dir[512];

	if ((e = state_dir(&ctx->cfg, dir, sizeof(dir))) != NULL ||
	    (e = state_open(dir, c->name, how, stop, &c->sf)) != NULL ||
	    (e = state_load(&c->sf, &c->st)) != NULL)
		return e;
	c->have_state = 1;
	lasterr_record(&c->sf);	/* for `ghrctl status` */
	if (c->st.config_url != NULL && strcmp(c->st.config_url, url) != 0)
		return error_fmt(ERR_DATA, "state file '%s' belongs to '%s', "
		    "not '%s' (use another GHRCTL_STATE_DIR)", c->sf.path,
		    c->st.config_url, url);
	if (c->st.config_url == NULL)
		c->st.config_url = xstrdup(url);
	if (c->st.scale_set_name == NULL)
		c->st.scale_set_name = xstrdup(c->name);
	return NULL;
}

/* see scaleset.h */
const struct error *
cmd_as_save(struct cmd_as *c)
{
	c->st.scale_set_id = c->scale_set_id != 0 ? c->scale_set_id :
	    c->st.scale_set_id;
	return state_save(&c->sf, &c->st, (int64_t)time(NULL));
}

/* see scaleset.h */
const struct error *
cmd_as_end_session(struct cmd_as *c)
{
	const struct error	*e;
	const char		*id = c->st.session_id;

	if (id == NULL) {
		log_info("no session open for scale set '%s'", c->name);
		return NULL;
	}
	if ((e = actions_session_delete(c->as, c->scale_set_id, id)) != NULL) {
		if (actions_exception(c->as) != AS_EXC_SESSION_GONE)
			return e;
		log_info("session %s was already gone at the service", id);
	} else
		log_info("session %s closed", id);
	state_clear_session(&c->st);
	c->st.last_message_id = c->st.last_acked_id = 0;
	return cmd_as_save(c);
}

/* see scaleset.h */
void
cmd_as_keep_session(struct cmd_as *c, const struct as_session *s)
{
	state_clear_session(&c->st);
	c->st.session_id = xstrdup(s->id);
	c->st.owner_name = xstrdup(s->owner_name != NULL ? s->owner_name : "");
	c->st.queue_url = xstrdup(s->queue_url);
	c->st.queue_token = xstrdup(s->queue_token);
}

/* see scaleset.h */
void
cmd_as_load_session(const struct cmd_as *c, struct as_session *s)
{
	memset(s, 0, sizeof(*s));
	(void)str_copy(s->id, sizeof(s->id), c->st.session_id);
	s->owner_name = xstrdup(c->st.owner_name != NULL ?
	    c->st.owner_name : "");
	s->scale_set_id = c->scale_set_id;
	s->queue_url = xstrdup(c->st.queue_url);
	s->queue_token = xstrdup(c->st.queue_token);
}

/* see scaleset.h */
void
cmd_as_owner(char *dst, size_t size)
{
	char	 host[128];

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		(void)str_copy(host, sizeof(host), "ghrctl");
	host[sizeof(host) - 1] = '\0';
	(void)str_fmt(dst, size, "%s pid %ld", host, (long)getpid());
}

/* see scaleset.h */
size_t
cmd_as_labels(const char *list, char *buf, size_t size, const char **v,
    size_t max)
{
	return str_list_split(list, buf, size, v, max);
}

/* see scaleset.h */
void
cmd_as_close(struct cmd_as *c)
{
	state_release(&c->st);
	state_close(&c->sf);
	actions_free(c->as);
	github_free(c->gh);
	c->as = NULL;
	c->gh = NULL;
}

/* see scaleset.h */
const struct error *
cmd_as_begin(struct ctx *ctx, struct cmd_as *c, enum state_lock how,
    volatile const sig_atomic_t *stop)
{
	const struct error	*e;

	if (c->name[0] == '\0' && (e = cmd_as_scale_set(ctx, c, NULL)) != NULL)
		return e;
	if ((e = cmd_as_state(ctx, c, how, stop)) != NULL)
		return e;
	if (c->scale_set_id == 0) {
		if (config_is_set(&ctx->cfg, K_RUNNER_SCALE_SET_ID))
			c->scale_set_id = config_num(&ctx->cfg,
			    K_RUNNER_SCALE_SET_ID);
		else if (c->st.scale_set_id > 0)
			c->scale_set_id = c->st.scale_set_id;
		else if ((e = cmd_as_scale_set(ctx, c, NULL)) != NULL)
			return e;
	}
	if (c->st.scale_set_id != 0 && c->st.scale_set_id != c->scale_set_id) {
		log_info("state file was for scale set %lld, now %lld: "
		    "forgetting its session", (long long)c->st.scale_set_id,
		    (long long)c->scale_set_id);
		state_clear_session(&c->st);
		c->st.last_message_id = c->st.last_acked_id = 0;
	}
	c->st.scale_set_id = c->scale_set_id;
	return NULL;
}

/*
 * A session created but not saved (full or unwritable state directory)
 * would stay live at the service with nobody knowing its id, and every
 * later run would get 409 until the service expires it: delete it.
 * Returns the save error e, saying what became of the session.
 */
static const struct error *
forget_unsaved(struct cmd_as *c, const struct as_session *s,
    const struct error *e)
{
	const struct error	*d;
	char			 why[ERROR_MSG_MAX];

	(void)str_copy(why, sizeof(why), e->msg);
	state_clear_session(&c->st);
	if ((d = actions_session_delete(c->as, c->scale_set_id, s->id)) !=
	    NULL)
		return error_fmt(e->class, "%s; the new session %s could "
		    "not be deleted either (%s): it blocks other runs (409) "
		    "until the service expires it", why, s->id, d->msg);
	return error_fmt(e->class, "%s; the new session %s was deleted at "
	    "the service", why, s->id);
}

/* see scaleset.h */
const struct error *
cmd_as_session(struct ctx *ctx, struct cmd_as *c, int refresh_old,
    struct as_session *s, int *created)
{
	const struct error	*e;
	char			 owner[256];
	int			 again = 0;

	memset(s, 0, sizeof(*s));
	*created = 0;
	if (c->st.session_id != NULL) {
		cmd_as_load_session(c, s);
		if (!refresh_old)
			return NULL;
		if ((e = actions_session_refresh(c->as, c->scale_set_id, s)) ==
		    NULL) {
			cmd_as_keep_session(c, s);
			return cmd_as_save(c);
		}
		if (actions_exception(c->as) != AS_EXC_SESSION_GONE &&
		    actions_exception(c->as) != AS_EXC_SCALE_SET_NOT_FOUND)
			return e;
		log_info("session %s is gone; creating a new one", s->id);
		asmsg_session_release(s);
		state_clear_session(&c->st);
	}
	cmd_as_owner(owner, sizeof(owner));
retry:
	e = actions_session_create(c->as, c->scale_set_id, owner, s);
	if (e != NULL && actions_exception(c->as) ==
	    AS_EXC_SCALE_SET_NOT_FOUND) {
		if (again || config_is_set(&ctx->cfg, K_RUNNER_SCALE_SET_ID) ||
		    c->name[0] == '\0')
			return error_fmt(ERR_FAIL, "scale set %lld no longer "
			    "exists (deleted server-side?): run 'ghrctl "
			    "register' to create it again",
			    (long long)c->scale_set_id);
		/* Our id may be stale: look the name up again, once. */
		again = 1;
		c->scale_set_id = 0;
		if ((e = cmd_as_scale_set(ctx, c, NULL)) != NULL)
			return e;
		c->st.scale_set_id = c->scale_set_id;
		goto retry;
	}
	if (e != NULL && actions_exception(c->as) == AS_EXC_SESSION_CONFLICT)
		return error_fmt(ERR_TEMP, "scale set '%s' already has an "
		    "active message session (another ghrctl, or a stale one "
		    "that expires by itself): %s", c->name, e->msg);
	if (e != NULL)
		return e;
	*created = 1;
	cmd_as_keep_session(c, s);
	/*
	 * A new session numbers its messages from the start (GitHub's own
	 * listener polls a new session from lastMessageId 0): an older
	 * session's last id would skip its messages, and acking an older
	 * session's pending id would ack another, unhandled message.  What
	 * the old session left unacked comes again in the new one.
	 */
	c->st.last_message_id = c->st.last_acked_id = 0;
	log_info("session %s opened for scale set %lld", s->id,
	    (long long)c->scale_set_id);
	if ((e = cmd_as_save(c)) != NULL)
		return forget_unsaved(c, s, e);
	return NULL;
}
