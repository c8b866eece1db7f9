/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_STATE_H
#define GHRCTL_STATE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "error.h"

/*
 * The per-scale-set state file: what a one-shot `ghrctl poll` from cron
 * needs from the previous run (the message session and the last message
 * handled).  One JSON file per scale set, <dir>/scaleset-<ENC>.json,
 * guarded by an exclusive flock on <dir>/scaleset-<ENC>.lock so two runs
 * never share or clobber it.  ENC is the name with every byte other than
 * A-Z a-z 0-9 - . written _xx (lowercase hex), so two names never share a
 * file ("a/b" is a_2fb, "a_b" a_5fb); a name whose ENC would pass
 * STATE_ENC_MAX bytes is _h and the SHA-256 of the name in hex.  Saving is atomic: a temp file in the same
 * directory (mode 0600), fsync, rename over the old file, fsync of the
 * directory; the file is never edited in place.
 *
 * The directory is GHRCTL_STATE_DIR (--state-dir), else systemd's
 * $STATE_DIRECTORY, else /var/lib/ghrctl as root, else
 * $XDG_STATE_HOME/ghrctl, else ~/.local/state/ghrctl.  It is created
 * (mode 0700) when missing.
 */

#define STATE_VERSION	1
#define STATE_MAX	(64u << 10)	/* file size ceiling */
#define STATE_NAME_MAX	128
#define STATE_ENC_MAX	200	/* longest encoded name in a file name */

/*
 * A batch launch recorded before its RunInstances is sent (issue 14): its
 * ClientToken, its launch choice and the runner names it launches (in
 * launch-index order), so that after a crash the next run sends the same
 * request again first (EC2 returns the instances the first one made) and
 * tags each instance with its runner.  Dropped once every instance is
 * tagged, or when EC2 refused the request.
 */
#define STATE_LAUNCHES_MAX	64
struct state_launch {
	char		*token;
	char		*type;		/* NULL: the launch template's */
	char		*subnet;	/* NULL: the launch template's */
	int		 spot;
	char		**runners;
	size_t		 nrunners;
	int64_t		 created;	/* unix seconds */
};

struct state {
	int		 version;
	char		*config_url;	/* the scope the session belongs to */
	char		*scale_set_name;
	int64_t		 scale_set_id;
	char		*session_id;	/* NULL: no session open */
	char		*owner_name;
	char		*queue_url;
	char		*queue_token;	/* a secret */
	int64_t		 last_message_id;	/* handled and persisted */
	int64_t		 last_acked_id;		/* DELETE answered 204 */
	int64_t		 updated;		/* unix seconds of the save */
	struct state_launch	*launches;	/* pending batch launches */
	size_t			 nlaunches;
};

/* An empty state (version STATE_VERSION, nothing set). */
void			 state_init(struct state *);
/* Free everything (the queue token wiped) and re-init. */
void			 state_release(struct state *);
/* Forget the session fields only. */
void			 state_clear_session(struct state *);

/*
 * Record a pending batch launch (copies of everything; a record with the
 * same token is replaced).  ERR_FAIL when STATE_LAUNCHES_MAX are pending.
 */
const struct error	*state_launch_add(struct state *, const char *token,
			    const char *type, const char *subnet, int spot,
			    const char *const *runners, size_t n, int64_t now);
/* Drop the pending launch with token (none: nothing happens). */
void			 state_launch_drop(struct state *, const char *token);

/*
 * Parse the file's text (pure).  ERR_DATA on bad JSON, a missing or newer
 * "version", or fields of the wrong type.  Registers the queue token with
 * log_secret().  On failure *st is left released.
 */
const struct error	*state_parse(const char *text, size_t len,
			    struct state *st);

/* Serialise (pure): one JSON object with a trailing newline. */
const struct error	*state_format(const struct state *, struct buf *out);

/*
 * The file name part of scale set name (ENC above) into dst (size at
 * least STATE_ENC_MAX + 1).  ERR_CONFIG for an empty name or one longer
 * than STATE_NAME_MAX.  Pure.
 */
const struct error	*state_name_encode(const char *name, char *dst,
			    size_t size);

/* Choose the state directory from the configuration (see above). */
const struct error	*state_dir(const struct config *, char *dst,
			    size_t size);

/* mkdir -p dir, the parts made with mode 0700.  ERR_CONFIG, ERR_IO. */
const struct error	*state_make_dir(const char *dir);

/* An open, locked state file. */
struct state_file {
	int		 lock_fd;	/* -1 when closed */
	char		 dir[512];
	char		 path[700];
	char		 lock_path[700];
};

#define STATE_FILE_INIT	{ -1, "", "", "" }

enum state_lock {
	STATE_LOCK_NOWAIT = 0,	/* held lock: ERR_TEMP at once */
	STATE_LOCK_WAIT,	/* wait until *stop becomes non-zero */
	STATE_LOCK_NONE		/* a dry run: read only, no lock, no save */
};

/*
 * Open and lock the state file of scale set name in dir (created if
 * missing).  A file this scale set left under the name older versions
 * gave it (one '_' for any other byte) is renamed to its new name first,
 * when it says it is this scale set's.  With STATE_LOCK_NOWAIT a lock held by another process is
 * ERR_TEMP naming the lock file; with STATE_LOCK_WAIT it retries every
 * 200 ms until it gets it or *stop is set (then ERR_TEMP); with
 * STATE_LOCK_NONE it takes no lock and state_save() refuses the file.  Errors:
 * ERR_IO, ERR_PERM, ERR_TEMP.  Close with state_close().
 */
const struct error	*state_open(const char *dir, const char *name,
			    enum state_lock, volatile const sig_atomic_t *stop,
			    struct state_file *out);

/*
 * For readers (session show, jobs): the state file of the configured
 * scale set (RUNNER_SCALE_SET_NAME, else ERR_CONFIG), its path in sf,
 * without keeping or waiting for its lock; *namep gets the name.
 */
const struct error	*state_locate(const struct config *,
			    struct state_file *, const char **namep);

/*
 * Whether another process holds the lock of sf (as state_locate() gives
 * it): 1 with what the holder recorded ("pid PID on HOST", or "" when
 * it recorded nothing) in dst, else 0 and "".
 */
int			 state_holder(const struct state_file *, char *dst,
			    size_t size);

/* Read the file (a missing file gives an empty state).  ERR_DATA, ERR_IO. */
const struct error	*state_load(const struct state_file *,
			    struct state *out);

/* Replace the file atomically (stamps st->updated with now). */
const struct error	*state_save(const struct state_file *,
			    struct state *st, int64_t now);

/* Remove the state file (not the lock).  Missing is fine. */
const struct error	*state_remove(const struct state_file *);

/*
 * The quarantine record of the scale set: one line (a JSON object, no
 * newline) appended to <state file>.quarantine, created mode 0600.  The
 * record is bounded: a file that would grow past STATE_QUARANTINE_MAX is
 * first renamed to <state file>.quarantine.old (replacing the one
 * before), so the two hold the newest records.  ERR_IO, ERR_PERM.
 */
#define STATE_QUARANTINE_MAX	(64u << 10)
/* The same for any record: <state file>.SUFFIX, bounded by max bytes,
 * each line one write(2) with O_APPEND (a crash leaves whole records). */
const struct error	*state_append(const struct state_file *,
			    const char *suffix, const char *line, size_t max);
const struct error	*state_quarantine(const struct state_file *,
			    const char *line);

/* Unlock and close; safe on a closed or initialised file. */
void			 state_close(struct state_file *);

/* Write all n bytes of p to fd (EINTR retried); path names it in errors. */
const struct error	*write_all(int fd, const char *p, size_t n,
			    const char *path);

#endif
