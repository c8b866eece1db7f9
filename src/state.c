/*
 * SPDX-License-Identifier: ISC
 *
 * The per-scale-set state file (see state.h): where the message session
 * and the last handled message id survive between one-shot runs.  The
 * message queue's token is a secret, so the file is created 0600 and the
 * token is registered with log_secret() as soon as it is read.  Writes
 * follow got's lockfile/opentemp approach: flock on a separate lock file,
 * a temp file in the same directory, fsync, rename, fsync of the directory,
 * so a crash at any point leaves either the old or the new file.  The
 * fields kept are those of a session in actions/scaleset types.go
 * (RunnerScaleSetSession), plus lastMessageId (session_client.go).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"

#include "json.h"
#include "log.h"
#include "sigv4.h"
#include "state.h"
#include "util.h"

#define LOCK_RETRY_MS	200

/* see state.h */
void
state_init(struct state *st)
{
	memset(st, 0, sizeof(*st));
	st->version = STATE_VERSION;
}

/* see state.h */
void
state_clear_session(struct state *st)
{
	free(st->session_id);
	free(st->owner_name);
	free(st->queue_url);
	secret_free(st->queue_token);
	st->session_id = st->owner_name = st->queue_url = NULL;
	st->queue_token = NULL;
}

static void
launch_free(struct state_launch *l)
{
	size_t	 i;

	for (i = 0; i < l->nrunners; i++)
		free(l->runners[i]);
	free(l->runners);
	free(l->token);
	free(l->type);
	free(l->subnet);
	memset(l, 0, sizeof(*l));
}

/* see state.h */
void
state_launch_drop(struct state *st, const char *token)
{
	size_t	 i;

	for (i = 0; i < st->nlaunches; i++)
		if (strcmp(st->launches[i].token, token) == 0) {
			launch_free(&st->launches[i]);
			memmove(&st->launches[i], &st->launches[i + 1],
			    (st->nlaunches - i - 1) * sizeof(*st->launches));
			st->nlaunches--;
			return;
		}
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

/* see state.h */
const struct error *
state_launch_add(struct state *st, const char *token, const char *type,
    const char *subnet, int spot, const char *const *runners, size_t n,
    int64_t now)
{
	struct state_launch	*l;
	size_t			 i;

	state_launch_drop(st, token);
	if (st->nlaunches >= STATE_LAUNCHES_MAX)
		return error_fmt(ERR_FAIL, "state file: %d batch launches "
		    "pending already", STATE_LAUNCHES_MAX);
	st->launches = xrealloc(st->launches, (st->nlaunches + 1) *
	    sizeof(*st->launches));
	l = &st->launches[st->nlaunches++];
	memset(l, 0, sizeof(*l));
	l->token = xstrdup(token);
	l->type = dup_or_null(type);
	l->subnet = dup_or_null(subnet);
	l->spot = spot != 0;
	l->created = now;
	l->runners = xcalloc(n + 1, sizeof(*l->runners));
	for (i = 0; i < n; i++)
		l->runners[i] = xstrdup(runners[i]);
	l->nrunners = n;
	return NULL;
}

/* see state.h */
void
state_release(struct state *st)
{
	size_t	 i;

	for (i = 0; i < st->nlaunches; i++)
		launch_free(&st->launches[i]);
	free(st->launches);
	state_clear_session(st);
	free(st->config_url);
	free(st->scale_set_name);
	state_init(st);
}

static const struct error *
opt_dup(const cJSON *o, const char *key, char **out)
{
	const struct error	*e;
	const char		*s = NULL;

	if ((e = json_opt_str(o, key, &s)) != NULL)
		return e;
	*out = (s != NULL && *s != '\0') ? xstrdup(s) : NULL;
	return NULL;
}

/* One pending launch of the "launches" array. */
static const struct error *
parse_launch(const cJSON *o, struct state *st)
{
	const struct error	*e;
	const cJSON		*rs, *r;
	const char		*token = NULL, *type = NULL, *subnet = NULL;
	const char		*market = NULL, **names;
	int64_t			 created = 0;
	size_t			 n = 0;

	if ((e = json_want_object(o, "state file launch")) != NULL ||
	    (e = json_get_str(o, "clientToken", &token)) != NULL ||
	    (e = json_opt_str(o, "instanceType", &type)) != NULL ||
	    (e = json_opt_str(o, "subnetId", &subnet)) != NULL ||
	    (e = json_get_str(o, "market", &market)) != NULL ||
	    (e = json_opt_i64(o, "created", &created)) != NULL ||
	    (e = json_get_array(o, "runners", &rs)) != NULL)
		return e;
	if (*token == '\0' || strlen(token) > 64 || (strcmp(market, "spot") !=
	    0 && strcmp(market, "on-demand") != 0) ||
	    cJSON_GetArraySize(rs) < 1 || cJSON_GetArraySize(rs) > 1000)
		return error_fmt(ERR_DATA, "state file: a pending launch has "
		    "a bad clientToken, market or runner list");
	names = xcalloc((size_t)cJSON_GetArraySize(rs), sizeof(*names));
	cJSON_ArrayForEach(r, rs) {
		if (!cJSON_IsString(r) || *r->valuestring == '\0') {
			free(names);
			return error_fmt(ERR_DATA, "state file: a pending "
			    "launch has a runner that is not a name");
		}
		names[n++] = r->valuestring;
	}
	e = state_launch_add(st, token, type, subnet, strcmp(market, "spot") ==
	    0, names, n, created);
	free(names);
	return e;
}

static const struct error *
parse_launches(const cJSON *root, struct state *st)
{
	const struct error	*e;
	const cJSON		*a = NULL, *o;

	if ((e = json_opt_array(root, "launches", &a)) != NULL || a == NULL)
		return e;
	cJSON_ArrayForEach(o, a)
		if ((e = parse_launch(o, st)) != NULL)
			return e;
	return NULL;
}

/* see state.h */
const struct error *
state_parse(const char *text, size_t len, struct state *st)
{
	const struct error	*e;
	cJSON			*root = NULL;
	int64_t			 v;

	state_init(st);
	if ((e = json_parse(text, len, "state file", &root)) != NULL)
		goto out;
	if ((e = json_want_object(root, "state file")) != NULL ||
	    (e = json_get_i64(root, "version", &v)) != NULL)
		goto out;
	if (v < 1 || v > STATE_VERSION) {
		e = error_fmt(ERR_DATA, "state file version %lld is not "
		    "supported by this ghrctl (it knows %d): remove the file "
		    "or upgrade ghrctl", (long long)v, STATE_VERSION);
		goto out;
	}
	st->version = (int)v;
	if ((e = opt_dup(root, "configUrl", &st->config_url)) ||
	    (e = opt_dup(root, "scaleSetName", &st->scale_set_name)) ||
	    (e = json_opt_i64(root, "scaleSetId", &st->scale_set_id)) ||
	    (e = opt_dup(root, "sessionId", &st->session_id)) ||
	    (e = opt_dup(root, "ownerName", &st->owner_name)) ||
	    (e = opt_dup(root, "messageQueueUrl", &st->queue_url)) ||
	    (e = opt_dup(root, "messageQueueAccessToken", &st->queue_token)) ||
	    (e = json_opt_i64(root, "lastMessageId", &st->last_message_id)) ||
	    (e = json_opt_i64(root, "lastAckedId", &st->last_acked_id)) ||
	    (e = json_opt_i64(root, "updated", &st->updated)))
		goto out;
	if ((e = parse_launches(root, st)) != NULL)
		goto out;
	if (st->queue_token != NULL)
		log_secret(st->queue_token);
	/* A session is usable only with all three of its parts. */
	if (st->session_id == NULL || st->queue_url == NULL ||
	    st->queue_token == NULL)
		state_clear_session(st);
out:
	cJSON_Delete(root);
	if (e != NULL) {
		state_release(st);
		return error_fmt(ERR_DATA, "%s", e->msg);
	}
	return NULL;
}

static void
add_str(cJSON *o, const char *key, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, key, v);
}

/*
 * An int64 written as its exact decimal text: cJSON prints numbers as
 * doubles with 15 significant digits, so an id past 10^15 came back
 * another number (found by fuzz_state).
 */
static void
add_int(cJSON *o, const char *key, int64_t v)
{
	char	 num[24];

	snprintf(num, sizeof(num), "%lld", (long long)v);
	cJSON_AddItemToObject(o, key, cJSON_CreateRaw(num));
}

static void
format_launches(cJSON *o, const struct state *st)
{
	cJSON	*a = cJSON_AddArrayToObject(o, "launches"), *l, *rs;
	size_t	 i, j;

	for (i = 0; i < st->nlaunches; i++) {
		const struct state_launch *x = &st->launches[i];

		l = cJSON_CreateObject();
		add_str(l, "clientToken", x->token);
		add_str(l, "instanceType", x->type);
		add_str(l, "subnetId", x->subnet);
		add_str(l, "market", x->spot ? "spot" : "on-demand");
		add_int(l, "created", x->created);
		rs = cJSON_AddArrayToObject(l, "runners");
		for (j = 0; j < x->nrunners; j++)
			cJSON_AddItemToArray(rs,
			    cJSON_CreateString(x->runners[j]));
		cJSON_AddItemToArray(a, l);
	}
}

/* see state.h */
const struct error *
state_format(const struct state *st, struct buf *out)
{
	const struct error	*e;
	cJSON			*o = cJSON_CreateObject();
	char			*s;

	cJSON_AddNumberToObject(o, "version", STATE_VERSION);
	add_str(o, "configUrl", st->config_url);
	add_str(o, "scaleSetName", st->scale_set_name);
	add_int(o, "scaleSetId", st->scale_set_id);
	add_str(o, "sessionId", st->session_id);
	add_str(o, "ownerName", st->owner_name);
	add_str(o, "messageQueueUrl", st->queue_url);
	add_str(o, "messageQueueAccessToken", st->queue_token);
	add_int(o, "lastMessageId", st->last_message_id);
	add_int(o, "lastAckedId", st->last_acked_id);
	add_int(o, "updated", st->updated);
	if (st->nlaunches > 0)
		format_launches(o, st);
	s = json_print(o);
	cJSON_Delete(o);
	if ((e = buf_adds(out, s)) == NULL)
		e = buf_addc(out, '\n');
	wipe(s, strlen(s));
	free(s);
	return e;
}

/* see state.h */
const struct error *
state_dir(const struct config *cfg, char *dst, size_t size)
{
	const char	*s = config_str(cfg, K_STATE_DIR);
	const char	*colon;

	if (s != NULL && *s != '\0')
		return str_copy(dst, size, s);
	/* systemd's StateDirectory=: a colon-separated list, take the first. */
	if ((s = cfg->state_directory) != NULL && *s == '/') {
		colon = strchr(s, ':');
		return str_fmt(dst, size, "%.*s",
		    (int)(colon != NULL ? (size_t)(colon - s) : strlen(s)), s);
	}
	if (geteuid() == 0)
		return str_copy(dst, size, "/var/lib/ghrctl");
	if (cfg->xdg_state_home != NULL && *cfg->xdg_state_home == '/')
		return str_fmt(dst, size, "%s/ghrctl", cfg->xdg_state_home);
	if (cfg->home != NULL && *cfg->home == '/')
		return str_fmt(dst, size, "%s/.local/state/ghrctl", cfg->home);
	return error_fmt(ERR_CONFIG, "no state directory: set "
	    "GHRCTL_STATE_DIR (--state-dir)");
}

/* see state.h */
const struct error *
state_make_dir(const char *dir)
{
	char	 p[512];
	size_t	 i;

	if (str_copy(p, sizeof(p), dir) != NULL)
		return error_fmt(ERR_CONFIG, "state directory '%s' is too "
		    "long", dir);
	for (i = 1; p[i] != '\0'; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			return error_errno("cannot create state directory", p);
		p[i] = '/';
	}
	if (mkdir(p, 0700) == -1 && errno != EEXIST)
		return error_errno("cannot create state directory", p);
	return NULL;
}

/*
 * The directory must not let others plant or swap files in it: owned by
 * this user or root, writable by neither group nor others (OpenSSH's
 * StrictModes rule).  A symbolic link to such a directory is fine.
 */
static const struct error *
check_dir(const char *dir)
{
	struct stat	 sb;

	if (stat(dir, &sb) == -1)
		return error_errno("cannot stat state directory", dir);
	if (!S_ISDIR(sb.st_mode))
		return error_fmt(ERR_CONFIG, "state directory '%s' is not a "
		    "directory", dir);
	if (sb.st_uid != geteuid() && sb.st_uid != 0)
		return error_fmt(ERR_PERM, "state directory '%s' belongs to "
		    "uid %u, not to this user (uid %u) or root: use a "
		    "directory of this user's (GHRCTL_STATE_DIR)", dir,
		    (unsigned int)sb.st_uid, (unsigned int)geteuid());
	if ((sb.st_mode & 022) != 0)
		return error_fmt(ERR_PERM, "state directory '%s' is writable "
		    "by others (mode %04o), who could plant a state file: run "
		    "chmod 700 '%s'", dir, (unsigned int)(sb.st_mode & 07777),
		    dir);
	return NULL;
}

/*
 * A state or lock file opened as fd is trusted only when it is a regular
 * file of this user's with mode 0600: one planted by someone else, or
 * left readable by others, is refused (its queue URL is never polled).
 */
static const struct error *
check_file(int fd, const char *what, const char *path)
{
	struct stat	 sb;

	if (fstat(fd, &sb) == -1)
		return error_errno("cannot stat", path);
	if (!S_ISREG(sb.st_mode))
		return error_fmt(ERR_PERM, "%s '%s' is not a regular file: "
		    "remove it", what, path);
	if (sb.st_uid != geteuid())
		return error_fmt(ERR_PERM, "%s '%s' belongs to uid %u, not to "
		    "this user (uid %u), so it is not trusted: remove it",
		    what, path, (unsigned int)sb.st_uid,
		    (unsigned int)geteuid());
	if ((sb.st_mode & 07777) != 0600)
		return error_fmt(ERR_PERM, "%s '%s' is mode %04o, not 0600, so "
		    "it is not trusted: remove it (or, if this user wrote it, "
		    "run chmod 600 '%s')", what, path,
		    (unsigned int)(sb.st_mode & 07777), path);
	return NULL;
}

/*
 * Open what at path with O_NOFOLLOW (a symbolic link is refused, named as
 * such) and check it (check_file).  A missing file gives *fd -1 and no
 * error; with create it is made, 0600 whatever the umask.
 */
static const struct error *
open_checked(const char *path, int flags, int create, const char *what,
    int *fd)
{
	const struct error	*e;
	char			 op[64];

	*fd = -1;
	if (create && (*fd = open(path, flags | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) != -1) {
		if (fchmod(*fd, 0600) == -1) {
			e = error_errno("cannot chmod", path);
			close(*fd);
			*fd = -1;
			return e;
		}
		return NULL;
	}
	if ((*fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return NULL;
		if (errno == ELOOP)
			return error_fmt(ERR_PERM, "%s '%s' is a symbolic "
			    "link, so it is not trusted: remove it", what,
			    path);
		snprintf(op, sizeof(op), "cannot open %s", what);
		return error_errno(op, path);
	}
	if ((e = check_file(*fd, what, path)) != NULL) {
		close(*fd);
		*fd = -1;
	}
	return e;
}

/* A byte kept as itself in a state file name; '_' starts an escape. */
static int
plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* see state.h */
const struct error *
state_name_encode(const char *name, char *dst, size_t size)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)name;
	size_t			 n = 0;
	char			 h[65];

	if (*name == '\0' || strlen(name) > STATE_NAME_MAX)
		return error_fmt(ERR_CONFIG, "scale set name '%.*s' is empty "
		    "or longer than %u bytes", STATE_NAME_MAX, name,
		    STATE_NAME_MAX);
	if (size < STATE_ENC_MAX + 1)
		return error_fmt(ERR_SOFTWARE, "state_name_encode: buffer");
	for (; *p != '\0' && n + 3 <= STATE_ENC_MAX; p++) {
		if (plain(*p))
			dst[n++] = (char)*p;
		else {
			dst[n++] = '_';
			dst[n++] = hex[*p >> 4];
			dst[n++] = hex[*p & 15];
		}
	}
	if (*p != '\0') {
		/* Too long for a file name: "_h" (never an escape) + hash. */
		sigv4_sha256_hex(name, strlen(name), h);
		return str_fmt(dst, size, "_h%s", h);
	}
	dst[n] = '\0';
	return NULL;
}

/* The file name part older versions used: one '_' for any other byte. */
static void
legacy_name(const char *name, char *dst)
{
	size_t	 i;

	for (i = 0; name[i] != '\0'; i++)
		dst[i] = plain((unsigned char)name[i]) || name[i] == '_' ?
		    name[i] : '_';
	dst[i] = '\0';
}

/*
 * The holder of a lock, written into the lock file once it is taken:
 * "pid PID on HOST", so a run that finds it locked names it.
 */
static void
write_holder(int fd)
{
	char	 host[128], line[192];
	int	 n;

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	n = snprintf(line, sizeof(line), "pid %ld on %s\n", (long)getpid(),
	    host);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	/* Written, then cut to size: a reader never finds the file empty. */
	if (pwrite(fd, line, (size_t)n, 0) != n || ftruncate(fd, n) == -1)
		log_debug("cannot record the lock holder: %s", strerror(errno));
}

/*
 * The holder recorded in a lock file, printable bytes only (the file may
 * be from an older version, empty, or hostile); "" when none.
 */
static void
read_holder(int fd, char *dst, size_t size)
{
	ssize_t	 n;
	size_t	 i, j = 0;

	dst[0] = '\0';
	if ((n = pread(fd, dst, size - 1, 0)) <= 0)
		return;
	for (i = 0; i < (size_t)n && dst[i] != '\n'; i++)
		if (dst[i] >= 0x20 && dst[i] < 0x7f)
			dst[j++] = dst[i];
	dst[j] = '\0';
	if (!str_prefix(dst, "pid "))
		dst[0] = '\0';
}

/*
 * Open and flock path (created 0600 if missing) into *fd; how and stop as
 * for state_open().  The holder's pid and host go into the lock file.
 */
static const struct error *
take_lock(const char *path, enum state_lock how,
    volatile const sig_atomic_t *stop, int *fd)
{
	const struct error	*e;
	int64_t			 waited = 0;

	if ((e = open_checked(path, O_RDWR, 1, "lock file", fd)) != NULL)
		return e;
	if (*fd == -1)	/* removed between the two opens */
		return error_fmt(ERR_TEMP, "lock file '%s' vanished; try "
		    "again", path);
	while (flock(*fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			e = error_errno("cannot lock", path);
		else if (how == STATE_LOCK_NOWAIT || (stop != NULL && *stop)) {
			char	 holder[96];

			read_holder(*fd, holder, sizeof(holder));
			e = error_fmt(ERR_TEMP, "state file '%s' is locked by "
			    "another ghrctl (%s); try again later", path,
			    holder[0] != '\0' ? holder : "holder unknown");
		} else {
			if (waited == 0)
				log_info("waiting for the lock on '%s' "
				    "(another ghrctl holds it)", path);
			usleep(LOCK_RETRY_MS * 1000);
			waited += LOCK_RETRY_MS;
			continue;
		}
		close(*fd);
		*fd = -1;
		return e;
	}
	write_holder(*fd);
	return NULL;
}

static const struct error	*read_state(const char *path,
				    struct state *st);

/*
 * An upgrade from a version that named files with one '_' for any other
 * byte: when this scale set has no file under its new name but the old
 * name holds one written for it (its scaleSetName is name), rename it,
 * under the old lock, so a live session is not orphaned (409 until the
 * service expires it).  A file of another scale set that shared the old
 * name ("a/b" and "a_b") stays where it is.
 */
static const struct error *
migrate(struct state_file *sf, const char *name, enum state_lock how,
    volatile const sig_atomic_t *stop)
{
	const struct error	*e;
	struct state		 st;
	struct stat		 sb;
	char			 legacy[STATE_NAME_MAX + 1], old[700],
				 old_lock[700];
	int			 fd, dfd;

	legacy_name(name, legacy);
	if ((e = str_fmt(old, sizeof(old), "%s/scaleset-%s.json", sf->dir,
	    legacy)) != NULL || (e = str_fmt(old_lock, sizeof(old_lock),
	    "%s/scaleset-%s.lock", sf->dir, legacy)) != NULL)
		return e;
	if (strcmp(old, sf->path) == 0 || lstat(sf->path, &sb) == 0 ||
	    lstat(old, &sb) == -1)
		return NULL;
	if ((e = take_lock(old_lock, how, stop, &fd)) != NULL)
		return e;
	if (lstat(sf->path, &sb) == -1 && read_state(old, &st) == NULL) {
		if (st.scale_set_name != NULL &&
		    strcmp(st.scale_set_name, name) == 0) {
			if (rename(old, sf->path) == -1)
				e = error_errno("cannot rename the state file "
				    "to", sf->path);
			else {
				log_info("state file '%s' renamed to '%s' (the "
				    "name now tells scale sets apart)", old,
				    sf->path);
				if ((dfd = open(sf->dir, O_RDONLY |
				    O_DIRECTORY | O_CLOEXEC)) != -1) {
					(void)fsync(dfd);
					close(dfd);
				}
			}
		}
		state_release(&st);
	}
	close(fd);
	return e;
}

/* see state.h */
const struct error *
state_open(const char *dir, const char *name, enum state_lock how,
    volatile const sig_atomic_t *stop, struct state_file *sf)
{
	const struct error	*e;
	char			 enc[STATE_ENC_MAX + 1];

	state_close(sf);
	if ((e = state_name_encode(name, enc, sizeof(enc))) != NULL)
		return e;
	if ((e = state_make_dir(dir)) != NULL || (e = check_dir(dir)) != NULL ||
	    (e = str_copy(sf->dir, sizeof(sf->dir), dir)) != NULL ||
	    (e = str_fmt(sf->path, sizeof(sf->path), "%s/scaleset-%s.json",
	    dir, enc)) != NULL ||
	    (e = str_fmt(sf->lock_path, sizeof(sf->lock_path),
	    "%s/scaleset-%s.lock", dir, enc)) != NULL)
		return e;
	if (how == STATE_LOCK_NONE)
		return NULL;	/* a dry run reads, and writes nothing */
	if ((e = take_lock(sf->lock_path, how, stop, &sf->lock_fd)) != NULL)
		return e;
	if ((e = migrate(sf, name, how, stop)) != NULL)
		state_close(sf);
	return e;
}

/* Read and parse the state file at path (missing: an empty state). */
static const struct error *
read_state(const char *path, struct state *st)
{
	const struct error	*e = NULL;
	struct buf		 b = BUF_INIT(STATE_MAX);
	char			 chunk[4096];
	ssize_t			 n;
	int			 fd;

	state_init(st);
	if ((e = open_checked(path, O_RDONLY, 0, "state file", &fd)) !=
	    NULL || fd == -1)
		return e;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			e = error_errno("cannot read state file", path);
			break;
		}
		if (n == 0)
			break;
		if ((e = buf_add(&b, chunk, (size_t)n)) != NULL) {
			e = error_fmt(ERR_DATA, "state file '%s' is larger "
			    "than %u bytes", path, STATE_MAX);
			break;
		}
	}
	close(fd);
	wipe(chunk, sizeof(chunk));
	if (e == NULL && (e = state_parse(b.p != NULL ? b.p : "", b.len,
	    st)) != NULL)
		e = error_fmt(ERR_DATA, "state file '%s': %s (remove it to "
		    "start afresh)", path, e->msg);
	buf_release(&b);
	return e;
}

/* see state.h */
const struct error *
state_load(const struct state_file *sf, struct state *st)
{
	return read_state(sf->path, st);
}

/* see state.h */
const struct error *
write_all(int fd, const char *p, size_t n, const char *path)
{
	ssize_t	 w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return error_errno("cannot write", path);
		p += w;
		n -= (size_t)w;
	}
	return NULL;
}

/* see state.h */
const struct error *
state_save(const struct state_file *sf, struct state *st, int64_t now)
{
	const struct error	*e;
	struct buf		 b = BUF_INIT(STATE_MAX);
	char			 tmp[720];
	int			 fd = -1, dfd;

	if (sf->lock_fd == -1)
		return error_fmt(ERR_SOFTWARE, "state file '%s' written "
		    "without its lock", sf->path);
	st->updated = now;
	if ((e = state_format(st, &b)) != NULL ||
	    (e = str_fmt(tmp, sizeof(tmp), "%s.XXXXXX", sf->path)) != NULL)
		goto out;
	/* mkstemp creates the file 0600: the queue token is never exposed. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		e = error_errno("cannot create temp file in", sf->dir);
		goto out;
	}
	/* 0600 whatever the umask: anything else is refused when read. */
	if (fchmod(fd, 0600) == -1) {
		e = error_errno("cannot chmod", tmp);
		goto fail;
	}
	if ((e = write_all(fd, b.p, b.len, tmp)) != NULL)
		goto fail;
	if (fsync(fd) == -1) {
		e = error_errno("cannot fsync", tmp);
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		e = error_errno("cannot write", tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, sf->path) == -1) {
		e = error_errno("cannot rename temp file to", sf->path);
		goto fail;
	}
	if ((dfd = open(sf->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		if (fsync(dfd) == -1)
			e = error_errno("cannot fsync", sf->dir);
		close(dfd);
	}
	goto out;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
out:
	buf_release(&b);
	return e;
}

/* see state.h */
const struct error *
state_remove(const struct state_file *sf)
{
	if (unlink(sf->path) == -1 && errno != ENOENT)
		return error_errno("cannot remove", sf->path);
	return NULL;
}

/* see state.h */
const struct error *
state_append(const struct state_file *sf, const char *suffix,
    const char *line, size_t max)
{
	const struct error	*e = NULL;
	struct stat		 sb;
	struct buf		 b = BUF_INIT(max);
	char			 path[720], old[730];
	int			 fd;

	if ((e = str_fmt(path, sizeof(path), "%s.%s", sf->path, suffix)) !=
	    NULL || (e = str_fmt(old, sizeof(old), "%s.old", path)) != NULL ||
	    (e = buf_adds(&b, line)) != NULL || (e = buf_addc(&b, '\n')) !=
	    NULL)
		goto out;
	if (stat(path, &sb) == 0 && (size_t)sb.st_size + b.len > max &&
	    rename(path, old) == -1) {
		e = error_errno("cannot rename", path);
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		e = error_errno("cannot open", path);
		goto out;
	}
	/* One write(2) per record: O_APPEND keeps records whole. */
	e = write_all(fd, b.p, b.len, path);
	if (close(fd) == -1 && e == NULL)
		e = error_errno("cannot write", path);
out:
	buf_release(&b);
	return e;
}

/* see state.h */
const struct error *
state_locate(const struct config *cfg, struct state_file *sf,
    const char **namep)
{
	const struct error	*e;
	const char		*name;
	char			 dir[512], enc[STATE_ENC_MAX + 1];
	int			 fd;

	if ((name = config_str(cfg, K_RUNNER_SCALE_SET_NAME)) == NULL)
		return error_fmt(ERR_CONFIG, "no scale set name: set "
		    "RUNNER_SCALE_SET_NAME or use --scale-set NAME");
	*namep = name;
	/*
	 * No lock: the file is only ever replaced by rename, so a reader
	 * sees the old or the new one, and works while poll --follow
	 * holds the lock.  When the state file exists under its name, the
	 * paths are built and the lock is not touched at all, so a reader
	 * run every few seconds (status -w) never makes a cron scale find
	 * the lock taken; else state_open() makes the directory and renames
	 * a file of an older version, taking the lock for a moment.
	 */
	if ((e = state_dir(cfg, dir, sizeof(dir))) != NULL ||
	    (e = state_name_encode(name, enc, sizeof(enc))) != NULL)
		return e;
	state_close(sf);
	if (str_copy(sf->dir, sizeof(sf->dir), dir) == NULL &&
	    str_fmt(sf->path, sizeof(sf->path), "%s/scaleset-%s.json", dir,
	    enc) == NULL && str_fmt(sf->lock_path, sizeof(sf->lock_path),
	    "%s/scaleset-%s.lock", dir, enc) == NULL &&
	    access(sf->path, F_OK) == 0) {
		/* The lock file trusted as the locking path trusts it. */
		if ((e = check_dir(dir)) == NULL && (e = open_checked(
		    sf->lock_path, O_RDONLY, 0, "lock file", &fd)) == NULL &&
		    fd != -1)
			close(fd);
		return e;
	}
	if ((e = state_open(dir, name, STATE_LOCK_NOWAIT, NULL, sf)) != NULL &&
	    e->class != ERR_TEMP)
		return e;	/* ERR_TEMP: locked by a running poll, read anyway */
	state_close(sf);
	return NULL;
}

/* see state.h */
int
state_holder(const struct state_file *sf, char *dst, size_t size)
{
	int	 fd, held = 0;

	dst[0] = '\0';
	if ((fd = open(sf->lock_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK) {
		held = 1;
		read_holder(fd, dst, size);
	}
	close(fd);	/* drops a shared lock taken */
	return held;
}

/* see state.h */
const struct error *
state_quarantine(const struct state_file *sf, const char *line)
{
	return state_append(sf, "quarantine", line, STATE_QUARANTINE_MAX);
}

/* see state.h */
void
state_close(struct state_file *sf)
{
	if (sf->lock_fd != -1)
		close(sf->lock_fd);
	sf->lock_fd = -1;
}
