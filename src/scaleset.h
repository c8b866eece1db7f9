/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_CMD_ACTIONS_H
#define GHRCTL_CMD_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "actions.h"
#include "cmd.h"
#include "github.h"
#include "state.h"

/*
 * The scale-set session set-up (struct cmd_as keeps its historical name):
 * what `register`, `session`, `poll`, `scale` and `cleanup` share: the
 * GitHub REST client that supplies registration tokens, the Actions
 * Service client, the scale set named by the configuration, and the
 * locked per-scale-set state file with the message session in it.
 */

#define CA_LABELS_MAX	ASMSG_MAX_LABELS

/* --close-session of the one-shot runs (poll, scale): cmd_as_end_session(). */
#define CA_KEY_CLOSE_SESSION	640
#define CA_OPT_CLOSE_SESSION	{ "close-session", CA_KEY_CLOSE_SESSION, \
	    OPT_NONE, NULL, "end the message session after this one-shot " \
	    "run (else later runs share it)" }

struct cmd_as {
	struct github		*gh;
	struct actions		*as;
	char			 name[256];	/* RUNNER_SCALE_SET_NAME */
	int64_t			 scale_set_id;	/* 0 until resolved */
	struct state_file	 sf;
	struct state		 st;
	int			 have_state;
};

/* Initialise c (nothing open). */
void			 cmd_as_init(struct cmd_as *);

/*
 * Make the GitHub and Actions clients from ctx's configuration.  No
 * network traffic.  ERR_CONFIG when the URL, credentials or (need_name)
 * the scale set name are missing.
 */
const struct error	*cmd_as_open(struct ctx *, struct cmd_as *,
			    int need_name);
/* The same over http (borrowed), not the shared client. */
const struct error	*cmd_as_open_http(const struct ctx *, struct cmd_as *,
			    int need_name, struct http_client *http);

/*
 * Find the configured scale set: by RUNNER_SCALE_SET_ID when set, else by
 * RUNNER_SCALE_SET_NAME in RUNNER_GROUP.  ERR_FAIL when it does not exist
 * (with a hint to run `ghrctl register`).  Sets c->scale_set_id.  out may
 * be NULL.
 */
const struct error	*cmd_as_scale_set(struct ctx *, struct cmd_as *,
			    struct as_scale_set *out);

/*
 * Open, lock and load the state file of the scale set (see state.h).  A
 * state written for another GITHUB_CONFIG_URL is ERR_DATA.
 */
const struct error	*cmd_as_state(struct ctx *, struct cmd_as *,
			    enum state_lock, volatile const sig_atomic_t *stop);

/*
 * cmd_as_state() and the scale set id: from the configuration, else from
 * the state file (no request), else looked up.  A state file whose
 * session belongs to another scale set id has its session forgotten.
 */
const struct error	*cmd_as_begin(struct ctx *, struct cmd_as *,
			    enum state_lock, volatile const sig_atomic_t *stop);

/*
 * The session to use: the one in the state file when it is still valid
 * (refresh_old: check it with a refresh), else a new one (saved in the
 * state file, its lastMessageId and pending ack reset to 0: a new
 * session's messages are numbered from the start; a new session that
 * cannot be saved is deleted at the service again).  *created says
 * which.  A scale set deleted server-side is looked up again once (it
 * may have been re-created under a new id).
 * Release *s with asmsg_session_release().
 */
const struct error	*cmd_as_session(struct ctx *, struct cmd_as *,
			    int refresh_old, struct as_session *s,
			    int *created);

/*
 * End the session kept in the state file: delete it at the service (one
 * already gone there is fine) and forget it, with its message ids, in the
 * state file.  Nothing to do when there is none.  `session close` and
 * the one-shot runs' --close-session.
 */
const struct error	*cmd_as_end_session(struct cmd_as *);

/* Save c->st (ERR_IO). */
const struct error	*cmd_as_save(struct cmd_as *);

/* Copy a session into the state (and back). */
void			 cmd_as_keep_session(struct cmd_as *,
			    const struct as_session *);
void			 cmd_as_load_session(const struct cmd_as *,
			    struct as_session *);

/*
 * The owner name sent with a new session: "HOST pid PID", which a 409
 * session conflict may name to the next run (see not_taken() in
 * cmd_poll.c).
 */
void			 cmd_as_owner(char *dst, size_t size);

/*
 * Split RUNNER_LABELS (comma-separated, blanks trimmed, empty entries and
 * duplicates dropped) into v (pointers into buf).  Returns the count.
 */
size_t			 cmd_as_labels(const char *list, char *buf,
			    size_t size, const char **v, size_t max);

void			 cmd_as_close(struct cmd_as *);

#endif
