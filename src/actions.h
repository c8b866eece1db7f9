/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_ACTIONS_H
#define GHRCTL_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "actions_msg.h"
#include "error.h"
#include "http.h"

/*
 * The GitHub Actions Service (runner scale sets): registration, scale
 * sets, message sessions, the message long poll, job acquisition, JIT
 * configs and runners.  Facts: ../shared/reference/
 * actions-service-protocol.md sections 2.3-2.4, 3 and 5.
 *
 * Auth: a registration token (from the caller's callback; GitHub REST) is
 * exchanged at POST {api}/actions/runner-registration ("RemoteAuth") for
 * the service URL and an admin JWT.  Before every admin call the JWT's
 * exp is checked and the exchange redone ACTIONS_TOKEN_LEEWAY seconds
 * before it expires (the service URL may change then).  The service and
 * message-queue URLs are used verbatim as opaque absolute URLs.  Message
 * calls and acquirejobs use the session's queue token; a 401 there
 * refreshes the session (in place) and retries once.
 *
 * Every token and JIT config is registered with log_secret() and sent
 * only in a header marked secret.  No cJSON leaves this module.
 *
 * Errors of every call: ERR_PERM (401/403), ERR_UNAVAIL (network, 5xx
 * after retries), ERR_TEMP (429, timeouts, session conflict, busy
 * runner), ERR_FAIL (other refusals, scale set not found), ERR_PROTO
 * (unparseable reply).  actions_exception() then tells which of the
 * service's known exceptions it was.
 */

#define ACTIONS_API_VERSION	"6.0-preview"
#define ACTIONS_TOKEN_LEEWAY	60	/* s before exp to redo registration */
#define ACTIONS_MAX_BODY	(4u << 20)	/* any reply of the service */
/*
 * The service holds a long poll ~50 s before answering 202, so its read
 * timeout is its own, far above GHRCTL_READ_TIMEOUT's default.
 */
#define ACTIONS_POLL_READ_TIMEOUT_MS	(120 * 1000)
#define ACTIONS_POLL_TOTAL_TIMEOUT_MS	(5 * 60 * 1000)
#define ACTIONS_DEFAULT_GROUP	"Default"
#define ACTIONS_DEFAULT_GROUP_ID 1

struct actions;

/* The service's exceptions that callers act on. */
enum as_exc {
	AS_EXC_NONE = 0,
	AS_EXC_SESSION_CONFLICT,	/* 409: another session is active */
	AS_EXC_SESSION_GONE,		/* session expired or unknown */
	AS_EXC_SCALE_SET_NOT_FOUND,	/* deleted server-side */
	AS_EXC_JOB_STILL_RUNNING,	/* remove refused: runner busy */
	AS_EXC_AGENT_EXISTS,		/* JIT: name already registered */
	AS_EXC_AGENT_NOT_FOUND,
	AS_EXC_QUEUE_TOKEN,		/* 401 again after a session refresh */
	AS_EXC_OTHER
};

/*
 * Called whenever a registration token is needed (the first admin call
 * and each re-registration).  *token is a secret the callee registered
 * with log_secret(); actions frees it with secret_free().
 */
typedef const struct error *(*actions_regtoken_fn)(void *arg, char **token);

struct actions_opts {
	struct http_client	*http;		/* borrowed */
	const char		*config_url;	/* slash-trimmed, sent as "url" */
	const char		*api_base;	/* GitHub REST base, no trailing / */
	actions_regtoken_fn	 regtoken;
	void			*regtoken_arg;
};

/* No network traffic.  Free with actions_free(). */
const struct error	*actions_new(const struct actions_opts *,
			    struct actions **out);
void			 actions_free(struct actions *);

/* The exception of the last failed call (AS_EXC_NONE after success). */
enum as_exc		 actions_exception(const struct actions *);

/* Requests made so far (tests and bench). */
uint64_t		 actions_requests(const struct actions *);

/*
 * How many times a session was refreshed in place after a 401 (callers
 * persist the new queue token when this changes).
 */
uint64_t		 actions_session_refreshes(const struct actions *);

/* Make sure an admin token is held (registers when needed). */
const struct error	*actions_connect(struct actions *);

/*
 * Give dst a copy of src's service URL and admin token (when src holds
 * one), so a second client on another thread starts without registering.
 */
void			 actions_share_admin(struct actions *dst,
			    const struct actions *src);

/*
 * The id of runner group name ("Default", or NULL, is id 1 without a
 * call).  ERR_CONFIG when no group has that name.
 */
const struct error	*actions_runner_group_id(struct actions *,
			    const char *name, int64_t *id);

/* Scale set by (group, name): *found 0 when there is none. */
const struct error	*actions_scale_set_find(struct actions *,
			    int64_t group_id, const char *name,
			    struct as_scale_set *out, int *found);
/* Scale set by id; AS_EXC_SCALE_SET_NOT_FOUND on 404. */
const struct error	*actions_scale_set_get(struct actions *, int64_t id,
			    struct as_scale_set *out);
/* Create (labels: the name alone when nlabels is 0). */
const struct error	*actions_scale_set_create(struct actions *,
			    const char *name, int64_t group_id,
			    const char *const *labels, size_t nlabels,
			    struct as_scale_set *out);
/* Replace the labels of scale set id (PATCH). */
const struct error	*actions_scale_set_update_labels(struct actions *,
			    int64_t id, const char *const *labels,
			    size_t nlabels, struct as_scale_set *out);
const struct error	*actions_scale_set_delete(struct actions *,
			    int64_t id);

/*
 * Sessions.  create fills *out (release with asmsg_session_release());
 * refresh replaces *s with the service's new session (new queue token);
 * delete treats an already expired session as deleted.
 */
const struct error	*actions_session_create(struct actions *,
			    int64_t scale_set_id, const char *owner,
			    struct as_session *out);
const struct error	*actions_session_refresh(struct actions *,
			    int64_t scale_set_id, struct as_session *s);
const struct error	*actions_session_delete(struct actions *,
			    int64_t scale_set_id, const char *session_id);

/*
 * One long poll on the session's queue (held by the service ~50 s).
 * last_id > 0 is sent as lastMessageId; max_capacity as
 * X-ScaleSetMaxCapacity.  *got is 1 with *out filled (release with
 * asmsg_message_release()), 0 when the service had nothing (202), or -1
 * when it answered 200 with an empty body (a known bad reply: logged; the
 * caller should pause before polling again).  *s may be refreshed in
 * place.  Under actions_set_poll_deadline() a poll cut short is *got 0.
 */
const struct error	*actions_message_get(struct actions *,
			    int64_t scale_set_id, struct as_session *s,
			    int64_t last_id, unsigned int max_capacity,
			    struct as_message *out, int *got);

/* Acknowledge (delete) message id.  *s may be refreshed in place. */
const struct error	*actions_message_delete(struct actions *,
			    int64_t scale_set_id, struct as_session *s,
			    int64_t id);

/* The runnerRequestIds the scale set could acquire (free(*ids)). */
const struct error	*actions_acquirable_jobs(struct actions *,
			    int64_t scale_set_id, int64_t **ids, size_t *n);

/*
 * Acquire jobs by runnerRequestId: *acquired gets the ids the service
 * gave this session (*nacquired of them; free(*acquired)).  An empty or
 * unparsable reply is ERR_PROTO: which jobs were acquired is unknown.
 */
const struct error	*actions_jobs_acquire(struct actions *,
			    int64_t scale_set_id, struct as_session *s,
			    const int64_t *ids, size_t n, int64_t **acquired,
			    size_t *nacquired);

/*
 * A client-side deadline for actions_message_get() (one-shot runs): the
 * long poll is cut after ms and counts as "no message" (*got 0); 0 keeps
 * the service's long poll.
 */
void			 actions_set_poll_deadline(struct actions *,
			    long long ms);

/*
 * A JIT runner config for one runner of the scale set.  *jit is a secret
 * (registered with log_secret(); free with secret_free()); runner may be
 * NULL.  AS_EXC_AGENT_EXISTS when the name is taken.
 */
const struct error	*actions_jit_config(struct actions *,
			    int64_t scale_set_id, const char *name,
			    const char *work_folder, char **jit,
			    struct as_runner *runner);

/* Runner by exact name: *found 0 when none. */
const struct error	*actions_runner_find(struct actions *,
			    const char *name, struct as_runner *out,
			    int *found);

/*
 * Remove a runner.  A runner still running a job is refused by the
 * service: ERR_TEMP with AS_EXC_JOB_STILL_RUNNING; this never forces.
 */
const struct error	*actions_runner_remove(struct actions *, int64_t id);

#endif
