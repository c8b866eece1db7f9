/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl boot: run on a runner instance at boot (issue 14, late binding).
 * Makes a P-256 key pair in memory, publishes the public half on the
 * serial console (a channel AWS ties to this instance: GetConsoleOutput),
 * polls its own tags through IMDSv2 until ghrctl's sealed config for it
 * arrives, verifies and opens it (seal.c), and starts the runner with the
 * config in ACTIONS_RUNNER_INPUT_JITCONFIG, never in argv.  Once the
 * runner has taken it (the sealed tags are deleted when the runner is
 * online, or after --scrub-after), the variable is overwritten in the
 * environment blocks of the runner's processes, so a job step cannot read
 * it from /proc/PID/environ.  See ghrctl-boot(1).
 */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "buf.h"
#include "cmd.h"
#include "imds.h"
#include "log.h"
#include "seal.h"
#include "util.h"

extern char **environ;

#define BOOT_ENV		"ACTIONS_RUNNER_INPUT_JITCONFIG"
#define BOOT_RUNNER		"/opt/actions-runner/run.sh"
#define BOOT_CONSOLE		"/dev/console"
#define BOOT_WAIT_MS		(15LL * 60 * 1000)
#define BOOT_INTERVAL_MS	200LL	/* IMDS is local: 5 looks a second cost nothing */
#define BOOT_REPUBLISH_MS	30000LL
#define BOOT_SCRUB_MS		(120LL * 1000)
#define BOOT_KEY_LINE		"ghrctl-boot-key v1"
#define BOOT_OPENED_LINE	"ghrctl-boot-opened v1"
#define BOOT_POOL_LINE		"ghrctl-boot-pool v1"
#define BOOT_POOL_TAG		"ghrctl:pool"
#define BOOT_SCRUB_FLOOR_MS	(20LL * 1000)	/* the runner reads it first */
#define BOOT_UD_KEY		"GHRCTL_SIGNING_KEY="
#define BOOT_UD_SET		"GHRCTL_SCALE_SET_ID="
#define BOOT_TAGS		"/latest/meta-data/tags/instance/"
#define BOOT_ENVIRON_MAX	(1u << 20)
#define BOOT_SETTINGS		".runner"
#define BOOT_FAST_MS		50LL	/* looks until the runner read it */

enum {
	KEY_SIGNING = 256,
	KEY_SET,
	KEY_CONSOLE,
	KEY_WAIT,
	KEY_INTERVAL,
	KEY_RUNNER,
	KEY_USER,
	KEY_SCRUB,
	KEY_IMDS
};

static const struct opt boot_opts[] = {
	{ "signing-key", KEY_SIGNING, OPT_REQ, "KEY",
	    "ghrctl's public signing key (else GHRCTL_SIGNING_KEY= in the "
	    "user data)" },
	{ "scale-set-id", KEY_SET, OPT_REQ, "ID",
	    "accept only configs for this scale set (else "
	    "GHRCTL_SCALE_SET_ID= in the user data)" },
	{ "console", KEY_CONSOLE, OPT_REQ, "PATH",
	    "where to publish the public key (default /dev/console)" },
	{ "wait", KEY_WAIT, OPT_REQ, "DURATION",
	    "give up when no config came within DURATION (default 15m)" },
	{ "interval", KEY_INTERVAL, OPT_REQ, "DURATION",
	    "time between looks at the tags (default 200ms)" },
	{ "runner", KEY_RUNNER, OPT_REQ, "PATH",
	    "the runner program (default /opt/actions-runner/run.sh)" },
	{ "user", KEY_USER, OPT_REQ, "NAME",
	    "run the runner as this user (when started as root)" },
	{ "scrub-after", KEY_SCRUB, OPT_REQ, "DURATION",
	    "remove the config from the runner's environment after "
	    "DURATION at the latest (default 2m)" },
	{ "imds-endpoint", KEY_IMDS, OPT_REQ, "URL",
	    "instance metadata endpoint (else "
	    "AWS_EC2_METADATA_SERVICE_ENDPOINT)" },
	{ "dry-run", 'n', OPT_NONE, NULL,
	    "print the key line and the settings found, wait for nothing" },
	OPT_END
};

struct boot_args {
	const char	*signing_key;
	const char	*set_id;
	const char	*console;
	const char	*runner;
	const char	*user;
	const char	*imds;
	long long	 wait_ms, interval_ms, scrub_ms;
	int		 dry_run;
};

static const struct error *
boot_opt(void *arg, int key, const char *val)
{
	struct boot_args	*a = arg;
	long long		*ms = NULL;

	switch (key) {
	case KEY_SIGNING:
		a->signing_key = val;
		return NULL;
	case KEY_SET:
		a->set_id = val;
		return NULL;
	case KEY_CONSOLE:
		a->console = val;
		return NULL;
	case KEY_RUNNER:
		a->runner = val;
		return NULL;
	case KEY_USER:
		a->user = val;
		return NULL;
	case KEY_IMDS:
		a->imds = val;
		return NULL;
	case 'n':
		a->dry_run = 1;
		return NULL;
	case KEY_WAIT:
		ms = &a->wait_ms;
		break;
	case KEY_INTERVAL:
		ms = &a->interval_ms;
		break;
	case KEY_SCRUB:
		ms = &a->scrub_ms;
		break;
	default:
		return error_fmt(ERR_SOFTWARE, "boot: option %d unhandled",
		    key);
	}
	if (parse_duration_ms(val, 1000, ms) == -1 || *ms < 10)
		return error_fmt(ERR_USAGE, "'%s' is not a duration of at "
		    "least 10ms", val);
	return NULL;
}

static void
sleep_ms(long long ms)
{
	struct timespec	 ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* The value after "name" in text (up to white space or a quote). */
static int
find_setting(const char *text, const char *name, char *dst, size_t size)
{
	const char	*p = text;
	size_t		 n;

	while ((p = strstr(p, name)) != NULL) {
		if (p == text || strchr(" \t\n'\"", p[-1]) != NULL)
			break;
		p++;
	}
	if (p == NULL)
		return 0;
	p += strlen(name);
	n = strcspn(p, " \t\r\n'\"");
	if (n == 0 || n >= size)
		return 0;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 1;
}

/*
 * The key line: "ghrctl-boot-key v1 INSTANCE KEY CHECK", CHECK the first
 * 4 bytes of SHA-256 of the 65-byte key in hex, so a line garbled by
 * interleaved console output is not taken.
 */
static void
key_line(const char *inst, const unsigned char pub[SEAL_PUB_LEN],
    char *dst, size_t size)
{
	br_sha256_context	 h;
	unsigned char		 d[32];
	char			 k[SEAL_PUB_B64_LEN + 1];

	br_sha256_init(&h);
	br_sha256_update(&h, pub, SEAL_PUB_LEN);
	br_sha256_out(&h, d);
	seal_pub_format(pub, k);
	snprintf(dst, size, "%s %s %s %02x%02x%02x%02x\n", BOOT_KEY_LINE,
	    inst, k, d[0], d[1], d[2], d[3]);
}

static const struct error *
publish(const char *path, const char *line)
{
	int	 fd;
	size_t	 n = strlen(line), off = 0;
	ssize_t	 w;

	/* Created when missing: the key line is public. */
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY |
	    O_CLOEXEC, 0644)) == -1)
		return error_errno("open", path);
	while (off < n) {
		w = write(fd, line + off, n - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return error_errno("write", path);
		}
		off += (size_t)w;
	}
	close(fd);
	return NULL;
}

/*
 * Read the sealed config's parts from the tags.  NULL with blob empty
 * when none is there (yet); an error when one is there but incomplete or
 * malformed.
 */
static const struct error *
read_sealed(struct imds *m, struct buf *blob)
{
	struct buf		 part = BUF_INIT(IMDS_MAX_BODY);
	struct buf		 text = BUF_INIT(SEAL_PARTS_MAX * SEAL_PART_CHARS + 1);
	const struct error	*e;
	char			 path[128];
	size_t			 i, np = 0;

	buf_reset(blob);
	for (i = 0; i == 0 || i < np; i++) {
		snprintf(path, sizeof(path), "%s%s%zu", BOOT_TAGS,
		    SEAL_TAG_PREFIX, i);
		buf_reset(&part);
		if ((e = imds_get(m, path, &part)) != NULL) {
			if (i == 0 && e->class == ERR_FAIL)
				e = NULL;	/* 404: not delivered yet */
			else if (e->class == ERR_FAIL)
				e = error_fmt(ERR_DATA, "sealed config: tag "
				    "%s%zu missing", SEAL_TAG_PREFIX, i);
			goto out;
		}
		if (i == 0 && (e = seal_count_parts(part.p, part.len, &np)) !=
		    NULL)
			goto out;
		if ((i + 1 < np && part.len != SEAL_PART_CHARS) ||
		    part.len > SEAL_PART_CHARS) {
			e = error_fmt(ERR_DATA, "sealed config: tag %s%zu has "
			    "%zu characters", SEAL_TAG_PREFIX, i, part.len);
			goto out;
		}
		if ((e = buf_add(&text, part.p, part.len)) != NULL)
			goto out;
	}
	e = seal_decode(text.p, text.len, blob);
out:
	buf_release(&part);
	buf_release(&text);
	return e;
}

/*
 * The pool state in the tag ghrctl:pool ("" when there is none, or when
 * it cannot be read: the instance then waits for a config as any).
 */
static void
pool_tag(struct imds *m, char *dst, size_t size)
{
	struct buf	 b = BUF_INIT(256);

	dst[0] = '\0';
	if (imds_get(m, BOOT_TAGS BOOT_POOL_TAG, &b) == NULL && b.p != NULL)
		snprintf(dst, size, "%.*s", (int)strcspn(b.p, "\r\n"), b.p);
	buf_release(&b);
}

/* Field n (1-based) of /proc/PID/stat, after the command name. */
static long long
stat_field(pid_t pid, int n)
{
	char		 path[64], buf[2048], *p, *save = NULL;
	int		 fd, i;
	ssize_t		 r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	/* Fields from 3 on follow ") ". */
	p = strtok_r(p + 1, " ", &save);
	for (i = 3; p != NULL && i < n; i++)
		p = strtok_r(NULL, " ", &save);
	return p == NULL ? -1 : strtoll(p, NULL, 10);
}

static int
descends(pid_t pid, pid_t root)
{
	long long	 pp;
	int		 i;

	for (i = 0; i < 64 && pid > 1; i++) {
		if (pid == root)
			return 1;
		if ((pp = stat_field(pid, 4)) <= 0)
			return 0;
		pid = (pid_t)pp;
	}
	return 0;
}

/*
 * Overwrite the value of BOOT_ENV in pid's environment block (through
 * /proc/PID/mem, allowed to root and, with Yama's ptrace_scope 1, to an
 * ancestor).  Returns 1 when a value was wiped.
 */
static int
scrub_pid(pid_t pid)
{
	struct buf	 env = BUF_INIT(BOOT_ENVIRON_MAX);
	char		 path[64], chunk[4096];
	const char	*p, *end;
	long long	 start;
	size_t		 off, n, k = strlen(BOOT_ENV "=");
	ssize_t		 r;
	int		 fd, wiped = 0;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(&env, chunk, (size_t)r) != NULL)
			break;
	close(fd);
	if ((start = stat_field(pid, 50)) <= 0)	/* env_start */
		goto out;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = -1;
	for (p = env.p, end = env.p + env.len; p != NULL && p < end;
	    p += strnlen(p, (size_t)(end - p)) + 1) {
		if ((size_t)(end - p) <= k || memcmp(p, BOOT_ENV "=", k) != 0)
			continue;
		off = (size_t)(p - env.p) + k;
		n = strnlen(p + k, (size_t)(end - p) - k);
		if (n == 0)
			continue;
		if (fd == -1 && (fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
			break;
		memset(chunk, 0, sizeof(chunk));
		while (n > 0) {
			k = n > sizeof(chunk) ? sizeof(chunk) : n;
			if (pwrite(fd, chunk, k, (off_t)(start + (long long)off))
			    != (ssize_t)k)
				break;
			off += k;
			n -= k;
		}
		k = strlen(BOOT_ENV "=");
		wiped = n == 0;
	}
	if (fd != -1)
		close(fd);
out:
	buf_release(&env);
	return wiped;
}

/* Scrub every process under root (root included); how many wiped. */
static int
scrub_tree(pid_t root)
{
	DIR		*d;
	struct dirent	*de;
	char		*endp;
	long		 pid;
	int		 n = 0;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		pid = strtol(de->d_name, &endp, 10);
		if (*endp != '\0' || pid <= 1)
			continue;
		if (descends((pid_t)pid, root))
			n += scrub_pid((pid_t)pid);
	}
	closedir(d);
	return n;
}

/* The runner's environment: ours without BOOT_ENV, plus BOOT_ENV=jit. */
static char **
runner_env(char *jitvar)
{
	char	**v;
	size_t	 n = 0, i, j = 0;

	while (environ[n] != NULL)
		n++;
	v = xcalloc(n + 2, sizeof(*v));
	for (i = 0; i < n; i++)
		if (!str_prefix(environ[i], BOOT_ENV "="))
			v[j++] = environ[i];
	v[j++] = jitvar;
	v[j] = NULL;
	return v;
}

static const struct error *
drop_to(const char *user)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL)
		return error_fmt(ERR_CONFIG, "--user %s: no such user", user);
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)
		return error_errno("setuid", user);
	if (pw->pw_dir != NULL && setenv("HOME", pw->pw_dir, 1) == -1)
		return error_errno("setenv", "HOME");
	return NULL;
}

/*
 * The runner's settings file in its directory (dir/.runner), which the
 * actions runner writes from the JIT config right after it read it from
 * ACTIONS_RUNNER_INPUT_JITCONFIG and before it connects (actions/runner
 * src/Runner.Listener/Runner.cs, ExecuteCommand: "GetJitConfig", each
 * entry written to the runner's root directory).  Its modification time
 * (0: none), to tell when a new one appears.
 */
static long long
settings_mtime(const char *dir)
{
	struct stat	 st;
	char		 path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, BOOT_SETTINGS);
	if (stat(path, &st) == -1)
		return 0;
	return (long long)st.st_mtim.tv_sec * 1000000000LL +
	    st.st_mtim.tv_nsec;
}

/* Start the runner, scrub its environment later, wait for it. */
static const struct error *
run_runner(struct boot_args *a, struct imds *m, struct buf *jit)
{
	const struct error	*e;
	struct buf		 var = BUF_INIT(SEAL_JIT_MAX * 2);
	struct buf		 probe = BUF_INIT(IMDS_MAX_BODY);
	char			**env, *argv[2], dir[512], *slash;
	pid_t			 pid;
	int			 status, scrubbed = 0;
	long long		 t0 = now_ms(), settings, probed = 0;
	char			 path[128];

	if ((e = buf_adds(&var, BOOT_ENV "=")) != NULL ||
	    (e = buf_add(&var, jit->p, jit->len)) != NULL)
		goto out;
	buf_release(jit);
	env = runner_env(var.p);
	argv[0] = (char *)(uintptr_t)a->runner;
	argv[1] = NULL;
	snprintf(dir, sizeof(dir), "%s", a->runner);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), "%s", slash == dir ? "/" : ".");
	settings = settings_mtime(dir);
	fflush(NULL);
	if ((pid = fork()) == -1) {
		free(env);
		e = error_errno("fork", NULL);
		goto out;
	}
	if (pid == 0) {
		if (a->user != NULL && (e = drop_to(a->user)) != NULL) {
			fprintf(stderr, "ghrctl boot: %s\n", e->msg);
			_exit(78);
		}
		if (slash != NULL && chdir(dir) == -1)
			_exit(74);
		execve(a->runner, argv, env);
		fprintf(stderr, "ghrctl boot: %s: %s\n", a->runner,
		    strerror(errno));
		_exit(127);
	}
	free(env);
	buf_release(&var);	/* wiped: the config is only in the runner */
	log_info("runner %s started (pid %d)", a->runner, (int)pid);
	snprintf(path, sizeof(path), "%s%s0", BOOT_TAGS, SEAL_TAG_PREFIX);
	for (;;) {
		pid_t	 w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w == -1 && errno != EINTR) {
			e = error_errno("waitpid", NULL);
			goto out;
		}
		if (!scrubbed) {
			/*
			 * The runner has read the variable when it wrote its
			 * settings file (before it connects, so before any
			 * job step); else ghrctl deletes the tags once it saw
			 * the opened line, and by the floor the runner has
			 * read it; --scrub-after at the latest.
			 */
			long long least = a->scrub_ms < BOOT_SCRUB_FLOOR_MS ?
			    a->scrub_ms : BOOT_SCRUB_FLOOR_MS;
			long long mt = settings_mtime(dir);

			buf_reset(&probe);
			if ((mt != 0 && mt != settings) ||
			    now_ms() - t0 >= a->scrub_ms)
				scrubbed = 1;
			else if (now_ms() - t0 >= least &&
			    now_ms() - probed >= a->interval_ms) {
				probed = now_ms();
				scrubbed = imds_get(m, path, &probe) != NULL;
			}
		}
		if (scrubbed && scrub_tree(pid) > 0)
			log_info("removed %s from the runner's environment",
			    BOOT_ENV);
		sleep_ms(scrubbed || a->interval_ms < BOOT_FAST_MS ?
		    a->interval_ms : BOOT_FAST_MS);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("runner exited");
	else if (WIFEXITED(status))
		e = error_fmt(ERR_FAIL, "runner %s exited with status %d",
		    a->runner, WEXITSTATUS(status));
	else
		e = error_fmt(ERR_FAIL, "runner %s killed by signal %d",
		    a->runner, WTERMSIG(status));
out:
	buf_release(&probe);
	buf_release(&var);
	return e;
}

static const struct error *
cmd_boot(struct ctx *ctx, int argc, char *argv[])
{
	struct boot_args	 a;
	struct http_client	*http;
	struct imds		*m = NULL;
	struct seal_key		 key;
	struct seal_header	 h;
	struct buf		 ud = BUF_INIT(IMDS_MAX_BODY);
	struct buf		 blob = BUF_INIT(SEAL_BLOB_MAX);
	struct buf		 jit = BUF_INIT(SEAL_JIT_MAX);
	struct buf		 id = BUF_INIT(SEAL_ID_MAX);
	const struct error	*e, *last = NULL;
	unsigned char		 spub[SEAL_PUB_LEN];
	char			 skey[SEAL_PUB_B64_LEN + 8], set[SEAL_SET_MAX];
	char			 line[256], lastmsg[ERROR_MSG_MAX] = "";
	char			 pool[32];
	long long		 t0, published = 0;
	const char		*endpoint;

	memset(&a, 0, sizeof(a));
	memset(&key, 0, sizeof(key));
	a.console = BOOT_CONSOLE;
	a.runner = BOOT_RUNNER;
	a.wait_ms = BOOT_WAIT_MS;
	a.interval_ms = BOOT_INTERVAL_MS;
	a.scrub_ms = BOOT_SCRUB_MS;
	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, boot_opt, &a)) !=
	    NULL || ctx->done)
		return e;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[0]);
	endpoint = a.imds != NULL ? a.imds :
	    getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	if ((e = ctx_http(ctx, &http)) != NULL ||
	    (e = imds_new(http, endpoint, &m)) != NULL)
		return e;
	if ((e = imds_get(m, "/latest/meta-data/instance-id", &id)) != NULL)
		goto out;
	if (id.len == 0 || id.len >= SEAL_ID_MAX || strpbrk(id.p,
	    " \t\r\n") != NULL) {
		e = error_fmt(ERR_PROTO, "instance metadata: bad instance id");
		goto out;
	}
	/* Settings from the user data unless given. */
	if (a.signing_key == NULL || a.set_id == NULL) {
		if ((e = imds_get(m, "/latest/user-data", &ud)) != NULL &&
		    e->class != ERR_FAIL)
			goto out;
		e = NULL;
	}
	if (a.signing_key == NULL && ud.p != NULL &&
	    find_setting(ud.p, BOOT_UD_KEY, skey, sizeof(skey)))
		a.signing_key = skey;
	if (a.set_id == NULL && ud.p != NULL &&
	    find_setting(ud.p, BOOT_UD_SET, set, sizeof(set)))
		a.set_id = set;
	if (a.signing_key == NULL) {
		e = error_fmt(ERR_CONFIG, "no signing key: give --signing-key "
		    "or put %sKEY (ghrctl's public signing key) in the user "
		    "data", BOOT_UD_KEY);
		goto out;
	}
	if ((e = seal_pub_parse(a.signing_key, strlen(a.signing_key),
	    spub)) != NULL) {
		e = error_fmt(ERR_CONFIG, "signing key '%s': %s",
		    a.signing_key, e->msg);
		goto out;
	}
	/*
	 * A warm pool instance's first boot (or one started outside ghrctl
	 * while in the stopped pool): nothing to wait for.  The user data
	 * powers off, and the instance's shutdown behaviour "stop" puts it
	 * in the stopped pool with its volumes warm.
	 */
	pool_tag(m, pool, sizeof(pool));
	if (strcmp(pool, "warming") == 0 || strcmp(pool, "stopped") == 0) {
		snprintf(line, sizeof(line), "%s %s ready\n", BOOT_POOL_LINE,
		    id.p);
		if (a.dry_run)
			printf("instance %s\npool %s: would stop, waiting for "
			    "no config\n", id.p, pool);
		else if ((e = publish(a.console, line)) == NULL)
			log_info("pool instance %s warmed up: powering off to "
			    "wait in the stopped pool", id.p);
		goto out;
	}
	if ((e = seal_keygen(&key)) != NULL)
		goto out;
	key_line(id.p, key.pub, line, sizeof(line));
	if (a.dry_run) {
		printf("instance %s\nscale set %s\nsigning key %s\n%s",
		    id.p, a.set_id != NULL ? a.set_id : "(any)",
		    a.signing_key, line);
		goto out;
	}
	t0 = now_ms();
	for (;;) {
		if (published == 0 || now_ms() - published >= BOOT_REPUBLISH_MS) {
			if ((e = publish(a.console, line)) != NULL)
				goto out;
			published = now_ms();
		}
		last = read_sealed(m, &blob);
		if (last == NULL && blob.len > 0) {
			buf_reset(&jit);
			last = seal_open(spub, &key, blob.p, blob.len, id.p,
			    (int64_t)time(NULL), &h, &jit);
			if (last == NULL && a.set_id != NULL &&
			    strcmp(h.scale_set_id, a.set_id) != 0)
				last = error_fmt(ERR_DATA, "sealed config: for "
				    "scale set %s, this instance serves %s",
				    h.scale_set_id, a.set_id);
			if (last == NULL)
				break;
			buf_release(&jit);
		}
		if (last != NULL && strcmp(last->msg, lastmsg) != 0) {
			log_warn("%s", last->msg);
			snprintf(lastmsg, sizeof(lastmsg), "%s", last->msg);
		}
		if (now_ms() - t0 >= a.wait_ms) {
			e = error_fmt(ERR_TEMP, "no sealed config for instance "
			    "%s within %lld s%s%s", id.p, a.wait_ms / 1000,
			    lastmsg[0] != '\0' ? "; last refusal: " : "",
			    lastmsg);
			goto out;
		}
		sleep_ms(a.interval_ms);
	}
	seal_key_wipe(&key);
	log_info("sealed config for runner %s of scale set %s opened",
	    h.runner, h.scale_set_id);
	/* Tells ghrctl it may delete the tags. */
	snprintf(line, sizeof(line), "%s %s\n", BOOT_OPENED_LINE, id.p);
	if ((e = publish(a.console, line)) != NULL)
		log_warn("%s", e->msg);
	e = run_runner(&a, m, &jit);
out:
	seal_key_wipe(&key);
	buf_release(&jit);
	buf_release(&blob);
	buf_release(&ud);
	buf_release(&id);
	imds_free(m);
	return e;
}

const struct cmd cmd_boot_def = {
	"boot", cmd_boot,
	"boot [-n] [--signing-key KEY] [--scale-set-id ID] [--console PATH] "
	"[--wait DURATION] [--interval DURATION] [--runner PATH] [--user NAME] "
	"[--scrub-after DURATION] [--imds-endpoint URL]",
	"on an instance: receive its sealed JIT config, start the runner",
	boot_opts, NULL
};
