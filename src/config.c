/*
 * SPDX-License-Identifier: ISC
 *
 * Configuration: one table of keys, resolved from defaults, a KEY=VALUE
 * file, the environment and command-line flags (in rising precedence).  The
 * key names are those of the seed designs (GITHUB_TOKEN, MAX_RUNNERS,
 * EC2_SUBNET_ID, ...) so existing .env files and systemd units keep
 * working; settings that are new in ghrctl are GHRCTL_*.  See config.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cJSON.h"

#include "buf.h"
#include "config.h"
#include "log.h"
#include "pace.h"
#include "pool.h"
#include "util.h"

#define CFG_FILE_MAX	(256u << 10)	/* a config or token file */
#define CFG_VALUE_MAX	4096

static const struct cfg_desc keys[K_NKEYS] = {
	[K_GITHUB_CONFIG_URL] = { "GITHUB_CONFIG_URL", CFG_STR, NULL, "url",
	    "GitHub org, repo or enterprise URL (https://github.com/ORG)", 0, 0 },
	[K_GITHUB_ENTERPRISE_URL] = { "GITHUB_ENTERPRISE_URL", CFG_STR, NULL, NULL,
	    "GHES or GHE.com base URL; with ORGANIZATION_NAME instead of GITHUB_CONFIG_URL", 0, 0 },
	[K_ORGANIZATION_NAME] = { "ORGANIZATION_NAME", CFG_STR, NULL, NULL,
	    "organization, with GITHUB_ENTERPRISE_URL", 0, 0 },
	[K_GITHUB_TOKEN] = { "GITHUB_TOKEN", CFG_SECRET, NULL, NULL,
	    "personal access token (environment or config file only)", 0, 0 },
	[K_GITHUB_TOKEN_FILE] = { "GITHUB_TOKEN_FILE", CFG_STR, NULL, "token-file",
	    "file holding the token (mode 0600)", 0, 0 },
	[K_GITHUB_APP_ID] = { "GITHUB_APP_ID", CFG_STR, NULL, NULL,
	    "GitHub App id, instead of a token", 0, 0 },
	[K_GITHUB_APP_INSTALLATION_ID] = { "GITHUB_APP_INSTALLATION_ID", CFG_STR, NULL, NULL,
	    "GitHub App installation id (discovered when unset)", 0, 0 },
	[K_GITHUB_APP_PRIVATE_KEY_FILE] = { "GITHUB_APP_PRIVATE_KEY_FILE", CFG_STR, NULL, NULL,
	    "GitHub App private key, PEM (mode 0600)", 0, 0 },
	[K_RUNNER_SCALE_SET_NAME] = { "RUNNER_SCALE_SET_NAME", CFG_STR, NULL, "scale-set",
	    "runner scale set name", 0, 0 },
	[K_RUNNER_SCALE_SET_ID] = { "RUNNER_SCALE_SET_ID", CFG_UINT, NULL, NULL,
	    "runner scale set id (looked up by name when unset)", 1, 2147483647u },
	[K_RUNNER_GROUP] = { "RUNNER_GROUP", CFG_STR, "Default", "runner-group",
	    "runner group of the scale set", 0, 0 },
	[K_RUNNER_LABELS] = { "RUNNER_LABELS", CFG_STR, NULL, "labels",
	    "comma-separated runner labels", 0, 0 },
	[K_MIN_RUNNERS] = { "MIN_RUNNERS", CFG_UINT, "0", "min-runners",
	    "runners kept even when idle", 0, 10000 },
	[K_MAX_RUNNERS] = { "MAX_RUNNERS", CFG_UINT, "10", "max-runners",
	    "never more runners than this", 0, 10000 },
	[K_MESSAGE_POLL_INTERVAL] = { "MESSAGE_POLL_INTERVAL", CFG_DURATION, "0s", NULL,
	    "pause between long polls (the service holds each poll ~50 s)", 0, 0 },
	[K_SESSION_REFRESH_INTERVAL] = { "SESSION_REFRESH_INTERVAL", CFG_DURATION, "55m", NULL,
	    "refresh the message session this often", 0, 0 },
	[K_RUNNER_TIMEOUT] = { "RUNNER_TIMEOUT", CFG_DURATION, "1h", "max-lifetime",
	    "terminate runner instances older than this", 0, 0 },
	[K_SOURCE] = { "GHRCTL_SOURCE", CFG_STR, "actions", NULL,
	    "scale, cleanup: runners and demand through actions or rest", 0, 0 },
	[K_POOL_SCHEDULE] = { "POOL_SCHEDULE", CFG_STR, NULL, NULL,
	    "warm pool sizes per time window: \"mon-fri 08:00-18:00 hot=2 stopped=10; * stopped=2\"", 0, 0 },
	[K_POOL_TZ] = { "POOL_TZ", CFG_STR, "UTC", NULL,
	    "time zone of POOL_SCHEDULE: UTC or a fixed offset (+02:00)", 0, 0 },
	[K_POOL_MAX_STOPPED] = { "POOL_MAX_STOPPED", CFG_UINT, "20", NULL,
	    "never more stopped pool instances than this", 0, 10000 },
	[K_POOL_MAX_AGE] = { "POOL_MAX_AGE", CFG_DURATION, "24h", NULL,
	    "replace stopped pool instances older than this", 0, 0 },
	[K_AWS_REGION] = { "AWS_REGION", CFG_STR, NULL, "region",
	    "AWS region (else AWS_DEFAULT_REGION, profile, IMDS)", 0, 0 },
	[K_EC2_AMI_ID] = { "EC2_AMI_ID", CFG_STR, NULL, NULL,
	    "AMI for runner instances", 0, 0 },
	[K_EC2_INSTANCE_TYPE] = { "EC2_INSTANCE_TYPE", CFG_STR, NULL, NULL,
	    "instance type(s), comma-separated, tried in order", 0, 0 },
	[K_EC2_SUBNET_ID] = { "EC2_SUBNET_ID", CFG_STR, NULL, NULL,
	    "subnet(s), comma-separated, tried in order", 0, 0 },
	[K_EC2_SECURITY_GROUP_ID] = { "EC2_SECURITY_GROUP_ID", CFG_STR, NULL, NULL,
	    "security group id(s), comma-separated", 0, 0 },
	[K_EC2_KEY_PAIR_NAME] = { "EC2_KEY_PAIR_NAME", CFG_STR, NULL, NULL,
	    "EC2 key pair name", 0, 0 },
	[K_EC2_SPOT_PRICE] = { "EC2_SPOT_PRICE", CFG_STR, NULL, NULL,
	    "spot maximum price; set to use spot instances", 0, 0 },
	[K_EC2_LAUNCH_TEMPLATE] = { "EC2_LAUNCH_TEMPLATE", CFG_STR, NULL, NULL,
	    "launch template name, or id (lt-...)", 0, 0 },
	[K_EC2_LAUNCH_TEMPLATE_VERSION] = { "EC2_LAUNCH_TEMPLATE_VERSION", CFG_STR, NULL, NULL,
	    "launch template version: a number, $Latest or $Default", 0, 0 },
	[K_EC2_INSTANCE_PROFILE] = { "EC2_INSTANCE_PROFILE", CFG_STR, NULL, NULL,
	    "instance profile name or ARN of runner instances", 0, 0 },
	[K_MIN_AGE] = { "GHRCTL_MIN_AGE", CFG_DURATION, "5m", NULL,
	    "scale down no runner instance younger than this", 0, 0 },
	[K_BOOT_TIMEOUT] = { "GHRCTL_BOOT_TIMEOUT", CFG_DURATION, "10m", NULL,
	    "terminate an instance whose runner is not online by then", 0, 0 },
	[K_USER_DATA_TEMPLATE] = { "GHRCTL_USER_DATA_TEMPLATE", CFG_STR, NULL, NULL,
	    "user-data template file (default: the built-in one)", 0, 0 },
	[K_LAUNCH_CONCURRENCY] = { "GHRCTL_LAUNCH_CONCURRENCY", CFG_UINT, "8", NULL,
	    "JIT configs made at once for the runners of a launch", 1, 64 },
	[K_LAUNCH_BATCH] = { "GHRCTL_LAUNCH_BATCH", CFG_UINT, "100", NULL,
	    "runners per RunInstances (MaxCount); 1: one call per instance", 1, 100 },
	[K_EC2_PACING] = { "GHRCTL_EC2_PACING", CFG_BOOL, "1", NULL,
	    "pace EC2 calls to EC2's token buckets, shared through the state directory", 0, 0 },
	[K_EC2_LIMIT_RUN] = { "GHRCTL_EC2_LIMIT_RUN", CFG_LIMIT, "5/2,1000/2", NULL,
	    "RunInstances/CreateFleet bucket CAP/RATE, then instances' CAP/RATE", 0, 0 },
	[K_EC2_LIMIT_START] = { "GHRCTL_EC2_LIMIT_START", CFG_LIMIT, "5/2,1000/2", NULL,
	    "StartInstances bucket, then instances'", 0, 0 },
	[K_EC2_LIMIT_TERMINATE] = { "GHRCTL_EC2_LIMIT_TERMINATE", CFG_LIMIT, "100/5,1000/20", NULL,
	    "TerminateInstances bucket, then instances'", 0, 0 },
	[K_EC2_LIMIT_TAGS] = { "GHRCTL_EC2_LIMIT_TAGS", CFG_LIMIT, "100/10", NULL,
	    "CreateTags and DeleteTags buckets (each)", 0, 0 },
	[K_EC2_LIMIT_DESCRIBE] = { "GHRCTL_EC2_LIMIT_DESCRIBE", CFG_LIMIT, "100/20", NULL,
	    "DescribeInstances, GetConsoleOutput, other Describe*/Get* (each)", 0, 0 },
	[K_EC2_LIMIT_MUTATING] = { "GHRCTL_EC2_LIMIT_MUTATING", CFG_LIMIT, "50/5", NULL,
	    "other mutating EC2 calls (each)", 0, 0 },
	/*
	 * The AWS SDKs' environment variables, also read from the config file
	 * (the systemd unit and doctor tell users to put them there); the
	 * environment wins over the file, as for every key.
	 */
	[K_AWS_ACCESS_KEY_ID] = { "AWS_ACCESS_KEY_ID", CFG_STR, NULL, NULL,
	    "AWS access key id (with AWS_SECRET_ACCESS_KEY)", 0, 0 },
	[K_AWS_SECRET_ACCESS_KEY] = { "AWS_SECRET_ACCESS_KEY", CFG_SECRET, NULL, NULL,
	    "AWS secret access key (environment or config file only)", 0, 0 },
	[K_AWS_SESSION_TOKEN] = { "AWS_SESSION_TOKEN", CFG_SECRET, NULL, NULL,
	    "AWS session token of temporary keys", 0, 0 },
	[K_AWS_PROFILE] = { "AWS_PROFILE", CFG_STR, NULL, NULL,
	    "profile of the shared credentials and config files (static keys only)", 0, 0 },
	[K_AWS_DEFAULT_REGION] = { "AWS_DEFAULT_REGION", CFG_STR, NULL, NULL,
	    "AWS region when AWS_REGION is unset", 0, 0 },
	[K_AWS_ENDPOINT_URL] = { "AWS_ENDPOINT_URL", CFG_STR, NULL, NULL,
	    "endpoint for every AWS service (a VPC endpoint or a test server)", 0, 0 },
	[K_AWS_SHARED_CREDENTIALS_FILE] = { "AWS_SHARED_CREDENTIALS_FILE", CFG_STR, NULL, NULL,
	    "shared credentials file (default ~/.aws/credentials)", 0, 0 },
	[K_AWS_CONFIG_FILE] = { "AWS_CONFIG_FILE", CFG_STR, NULL, NULL,
	    "AWS config file (default ~/.aws/config)", 0, 0 },
	[K_LOG_LEVEL] = { "LOG_LEVEL", CFG_LOGLEVEL, "warn", "log-level",
	    "error, warn, info, debug or trace", 0, 0 },
	[K_LOG_FORMAT] = { "GHRCTL_LOG_FORMAT", CFG_LOGFORMAT, "auto", "log-format",
	    "text, json, logfmt, or auto (text on a terminal)", 0, 0 },
	[K_CA_FILE] = { "GHRCTL_CA_FILE", CFG_STR, NULL, "ca-file",
	    "PEM CA bundle (else SSL_CERT_FILE, else the system bundle)", 0, 0 },
	[K_STATE_DIR] = { "GHRCTL_STATE_DIR", CFG_STR, NULL, "state-dir",
	    "state directory (default /var/lib/ghrctl as root, else $XDG_STATE_HOME/ghrctl)", 0, 0 },
	[K_ALLOW_HTTP] = { "GHRCTL_ALLOW_HTTP", CFG_BOOL, "0", "allow-http",
	    "allow plain http:// to hosts other than loopback", 0, 0 },
	[K_CONNECT_TIMEOUT] = { "GHRCTL_CONNECT_TIMEOUT", CFG_DURATION, "10s", "connect-timeout",
	    "TCP and TLS connect timeout", 0, 0 },
	[K_READ_TIMEOUT] = { "GHRCTL_READ_TIMEOUT", CFG_DURATION, "30s", "read-timeout",
	    "longest silence while reading a reply", 0, 0 },
	[K_TIMEOUT] = { "GHRCTL_TIMEOUT", CFG_DURATION, "120s", "timeout",
	    "longest time for one call: all attempts, reads and waits", 0, 0 },
	[K_MAX_WAIT] = { "GHRCTL_MAX_WAIT", CFG_DURATION, "60s", "max-wait",
	    "longest wait for a GitHub rate limit to reset before failing", 0, 0 },
	[K_STANDBY_WAIT] = { "GHRCTL_STANDBY_WAIT", CFG_DURATION, "30s", NULL,
	    "poll --follow: retry this often while another ghrctl holds the session; cap of the fault backoff", 0, 0 },
	[K_READ_DEADLINE] = { "GHRCTL_READ_DEADLINE", CFG_DURATION, "5s", NULL,
	    "one-shot poll and scale: read messages this long (the service redelivers what is not acknowledged)", 0, 0 },
};

/* see config.h */
const struct cfg_desc *
config_keys(void)
{
	return keys;
}

/* see config.h */
int
config_key_find(const char *name)
{
	int	 i;

	for (i = 0; i < K_NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return i;
	return -1;
}

/* see config.h */
const struct error *
config_flag(struct cfg_flags *fl, enum cfg_key k, const char *flag,
    const char *value)
{
	if (fl->n == CFG_MAX_FLAGS)
		return error_fmt(ERR_USAGE, "too many options");
	fl->f[fl->n].key = k;
	fl->f[fl->n].flag = flag;
	fl->f[fl->n].value = value;
	fl->n++;
	return NULL;
}

static int
parse_bool(const char *s, long long *out)
{
	if (strcmp(s, "1") == 0 || str_ieq(s, "true") || str_ieq(s, "yes") ||
	    str_ieq(s, "on")) {
		*out = 1;
		return 0;
	}
	if (strcmp(s, "0") == 0 || str_ieq(s, "false") || str_ieq(s, "no") ||
	    str_ieq(s, "off")) {
		*out = 0;
		return 0;
	}
	return -1;
}

/*
 * A scale set or runner group name goes into URLs, file names, tags and
 * the user data's shell: a control character (a newline, ESC) in it is
 * refused; any other byte, a space included ("ci a"), is a valid name.
 */
static const struct error *
check_name(enum cfg_key k, const char *value, const char *origin)
{
	const unsigned char	*p;

	if (k != K_RUNNER_SCALE_SET_NAME && k != K_RUNNER_GROUP)
		return NULL;
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return error_fmt(ERR_CONFIG, "%s: %s holds a control "
			    "character (0x%02x at byte %zu): a name must be "
			    "printable", origin, keys[k].name, *p,
			    (size_t)(p - (const unsigned char *)value));
	return NULL;
}

/* Type-check value for key k and store it with its origin. */
static const struct error *
set_value(struct config *cfg, enum cfg_key k, const char *value,
    enum cfg_source src, const char *origin)
{
	const struct cfg_desc	*d = &keys[k];
	struct cfg_val		*v = &cfg->v[k];
	unsigned int		 u;
	const struct error	*e;
	long long		 n = 0, ms = 0;
	int			 r;
	const char		*want = NULL;
	struct pace_limit	 lim;

	if (strlen(value) > CFG_VALUE_MAX)
		return error_fmt(ERR_CONFIG, "%s: value of %s is too long",
		    origin, d->name);
	if ((e = check_name(k, value, origin)) != NULL)
		return e;
	switch (d->type) {
	case CFG_STR:
	case CFG_SECRET:
		break;
	case CFG_UINT:
		if (parse_uint(value, d->max, &u) == -1 || u < d->min) {
			return error_fmt(ERR_CONFIG, "%s: %s='%s' is not a "
			    "whole number from %u to %u", origin, d->name, value,
			    d->min, d->max);
		}
		n = u;
		break;
	case CFG_DURATION:
		if (parse_duration_ms(value, 1000, &ms) == -1)
			want = "a duration such as 90s, 5m or 1h";
		break;
	case CFG_BOOL:
		if (parse_bool(value, &n) == -1)
			want = "true or false";
		break;
	case CFG_LOGLEVEL:
		if ((r = log_level_parse(value)) == -1)
			want = "error, warn, info, debug or trace";
		n = r;
		break;
	case CFG_LOGFORMAT:
		if ((r = log_format_parse(value)) == -1)
			want = "text, json, logfmt or auto";
		n = r;
		break;
	case CFG_LIMIT:
		if (pace_limit_parse(value, &lim) == -1)
			want = "CAP/RATE or CAP/RATE,CAP/RATE (tokens, tokens "
			    "a second), e.g. 5/2";
		break;
	}
	if (want != NULL) {
		if (d->type == CFG_SECRET)
			return error_fmt(ERR_CONFIG, "%s: bad %s", origin,
			    d->name);
		return error_fmt(ERR_CONFIG, "%s: %s='%s' is not %s", origin,
		    d->name, value, want);
	}
	if (v->s != NULL) {
		if (d->type == CFG_SECRET)
			secret_free(v->s);
		else
			free(v->s);
	}
	v->s = xstrdup(value);
	v->n = n;
	v->ms = ms;
	v->src = src;
	snprintf(v->origin, sizeof(v->origin), "%s", origin);
	if (d->type == CFG_SECRET)
		log_secret(value);
	return NULL;
}

/*
 * Read a small file that may hold a secret.  A file with a secret must not
 * be readable by group or others: refuse it, naming the chmod to run.
 * *sb (may be NULL) gets the fstat of the descriptor read, so a caller
 * checks the very file it read, not one swapped in after.
 */
static const struct error *
read_private_file(const char *path, int secret, struct buf *out,
    struct stat *sb)
{
	const struct error	*e = NULL;
	struct stat		 st;
	char			 tmp[4096];
	ssize_t			 n;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_errno("cannot open", path);
	if (fstat(fd, &st) == -1) {
		e = error_errno("cannot stat", path);
		goto out;
	}
	if (sb != NULL)
		*sb = st;
	if (S_ISDIR(st.st_mode)) {
		e = error_fmt(ERR_CONFIG, "'%s' is a directory, not a file of "
		    "settings", path);
		goto out;
	}
	if (secret && (st.st_mode & 077) != 0) {
		e = error_fmt(ERR_PERM, "'%s' holds a secret but is readable "
		    "by others (mode %04o): run chmod 600 '%s'", path,
		    (unsigned int)(st.st_mode & 07777), path);
		goto out;
	}
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			e = error_errno("cannot read", path);
			goto out;
		}
		if (n == 0)
			break;
		if ((e = buf_add(out, tmp, (size_t)n)) != NULL) {
			e = error_fmt(ERR_CONFIG, "'%s' is larger than %u bytes",
			    path, CFG_FILE_MAX);
			goto out;
		}
	}
out:
	wipe(tmp, sizeof(tmp));
	close(fd);
	return e;
}

static void
trim(char **s)
{
	char	*p = *s, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	*s = p;
}

/* see config.h */
const struct error *
config_parse_text(const char *text, const char *name,
    const struct error *(*set)(void *, const char *, const char *, int),
    void *arg)
{
	const struct error	*e = NULL;
	char			*copy, *line, *next, *key, *val, *eq;
	size_t			 n;
	int			 lineno = 0;

	copy = xstrdup(text);
	for (line = copy; line != NULL && e == NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		trim(&line);
		if (*line == '\0' || *line == '#')
			continue;
		if (str_prefix(line, "export ") || str_prefix(line, "export\t"))
			line += 7;
		trim(&line);
		if ((eq = strchr(line, '=')) == NULL) {
			e = error_fmt(ERR_CONFIG, "%s:%d: expected KEY=VALUE",
			    name, lineno);
			break;
		}
		*eq = '\0';
		key = line;
		val = eq + 1;
		trim(&key);
		trim(&val);
		n = strlen(val);
		if (n >= 2 && (val[0] == '"' || val[0] == '\'') &&
		    val[n - 1] == val[0]) {
			val[n - 1] = '\0';
			val++;
		} else if (n > 0 && (val[0] == '"' || val[0] == '\'')) {
			e = error_fmt(ERR_CONFIG, "%s:%d: unterminated quote in "
			    "the value of %s", name, lineno, key);
			break;
		} else if ((eq = strstr(val, " #")) != NULL ||
		    (eq = strstr(val, "\t#")) != NULL) {
			*eq = '\0';
			trim(&val);
		}
		if (*key == '\0') {
			e = error_fmt(ERR_CONFIG, "%s:%d: empty key", name,
			    lineno);
			break;
		}
		e = set(arg, key, val, lineno);
	}
	wipe(copy, strlen(text));
	free(copy);
	return e;
}

struct file_ctx {
	struct config	*cfg;
	const char	*path;
	int		 has_secret;
};

static const struct error *
file_set(void *arg, const char *key, const char *value, int line)
{
	struct file_ctx	*fc = arg;
	char		 origin[96];
	int		 k;

	if ((k = config_key_find(key)) == -1)
		return error_fmt(ERR_CONFIG, "%s:%d: unknown key '%s' (see "
		    "ghrctl config --keys)", fc->path, line, key);
	if (keys[k].type == CFG_SECRET)
		fc->has_secret = 1;
	snprintf(origin, sizeof(origin), "%s:%d", fc->path, line);
	return set_value(fc->cfg, (enum cfg_key)k, value, SRC_FILE, origin);
}

static const char *
env_get(char *const *envp, const char *name)
{
	size_t	 n = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static char *
env_dup(char *const *envp, const char *a, const char *b)
{
	const char	*v;

	if ((v = env_get(envp, a)) == NULL && b != NULL)
		v = env_get(envp, b);
	return v != NULL && *v != '\0' ? xstrdup(v) : NULL;
}

/* The 1-based line of p at text. */
static size_t
lineof(const char *text, const char *p)
{
	size_t	 n = 1;

	for (; text < p; text++)
		n += *text == '\n';
	return n;
}

/*
 * The settings file decides what runs on the machines it starts (AMI,
 * user-data template, endpoints): it must belong to this user or root
 * and be writable by no one else (OpenSSH's rule for its own files).
 */
static const struct error *
check_config_owner(const char *path, const struct stat *st)
{
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return error_fmt(ERR_PERM, "'%s' belongs to uid %u, not to this "
		    "user (uid %u) or root: run chown to fix it", path,
		    (unsigned int)st->st_uid, (unsigned int)geteuid());
	if ((st->st_mode & 022) != 0)
		return error_fmt(ERR_PERM, "'%s' is writable by others (mode "
		    "%04o): run chmod go-w '%s'", path,
		    (unsigned int)(st->st_mode & 07777), path);
	return NULL;
}

/* Pick the config file: explicit, $GHRCTL_CONFIG, XDG, then /etc. */
static const struct error *
load_file(struct config *cfg, const struct cfg_flags *fl, char *const *envp)
{
	const struct error	*e;
	struct buf		 b = BUF_INIT(CFG_FILE_MAX);
	struct file_ctx		 fc;
	const char		*explicit, *xdg, *home;
	char			 path[1024];
	const char		*nul;
	struct stat		 st;

	explicit = fl != NULL ? fl->config_file : NULL;
	if (explicit == NULL)
		explicit = env_get(envp, "GHRCTL_CONFIG");
	if (explicit != NULL && *explicit != '\0') {
		if ((e = str_copy(path, sizeof(path), explicit)) != NULL)
			return e;
	} else {
		xdg = env_get(envp, "XDG_CONFIG_HOME");
		home = env_get(envp, "HOME");
		path[0] = '\0';
		if (xdg != NULL && *xdg == '/')
			snprintf(path, sizeof(path), "%s/ghrctl/config", xdg);
		else if (home != NULL && *home == '/')
			snprintf(path, sizeof(path), "%s/.config/ghrctl/config",
			    home);
		if (path[0] == '\0' || stat(path, &st) == -1)
			snprintf(path, sizeof(path), "/etc/ghrctl/config");
		if (stat(path, &st) == -1)
			return NULL;
	}
	/*
	 * One open: its owner and mode come from the descriptor read, and
	 * whether it must be private is known once it is parsed.
	 */
	if ((e = read_private_file(path, 0, &b, &st)) == NULL)
		e = check_config_owner(path, &st);
	if (e != NULL) {
		buf_release(&b);
		return e;
	}
	if (b.p != NULL && (nul = memchr(b.p, '\0', b.len)) != NULL) {
		e = error_fmt(ERR_CONFIG, "%s:%zu: a NUL byte (is it a "
		    "settings file?)", path, lineof(b.p, nul));
		buf_release(&b);
		return e;
	}
	fc.cfg = cfg;
	fc.path = path;
	fc.has_secret = 0;
	e = config_parse_text(b.p != NULL ? b.p : "", path, file_set, &fc);
	buf_release(&b);
	if (e == NULL && fc.has_secret && (st.st_mode & 077) != 0)
		e = error_fmt(ERR_PERM, "'%s' holds a secret but is readable "
		    "by others (mode %04o): run chmod 600 '%s'", path,
		    (unsigned int)(st.st_mode & 07777), path);
	if (e == NULL)
		cfg->file = xstrdup(path);
	return e;
}

static const struct error *
load_token_file(struct config *cfg)
{
	const struct error	*e;
	struct buf		 b = BUF_INIT(CFG_FILE_MAX);
	const char		*path = cfg->v[K_GITHUB_TOKEN_FILE].s;
	char			 origin[96];
	char			*tok;

	if ((e = read_private_file(path, 1, &b, NULL)) != NULL)
		return error_wrap(e, "%s", keys[K_GITHUB_TOKEN_FILE].name);
	tok = b.p != NULL ? b.p : (char *)"";
	trim(&tok);
	if (*tok == '\0' || strpbrk(tok, " \t\r\n") != NULL) {
		buf_release(&b);
		return error_fmt(ERR_CONFIG, "token file '%s' must hold one "
		    "token on one line", path);
	}
	snprintf(origin, sizeof(origin), "file %s", path);
	e = set_value(cfg, K_GITHUB_TOKEN, tok,
	    cfg->v[K_GITHUB_TOKEN_FILE].src, origin);
	buf_release(&b);
	return e;
}

/* POOL_SCHEDULE and POOL_TZ parse, and their sizes fit the ceilings. */
static const struct error *
check_pools(const struct config *cfg)
{
	const struct error	*e;
	struct pool_schedule	*ps;
	size_t			 i;
	int			 off;

	if ((e = pool_tz_parse(cfg->v[K_POOL_TZ].s, &off)) != NULL)
		return error_wrap(e, "%s", cfg->v[K_POOL_TZ].origin);
	ps = xcalloc(1, sizeof(*ps));
	if ((e = pool_schedule_parse(cfg->v[K_POOL_SCHEDULE].s, ps)) != NULL) {
		e = error_wrap(e, "%s", cfg->v[K_POOL_SCHEDULE].origin);
		goto out;
	}
	for (i = 0; i < ps->n; i++) {
		if (ps->w[i].hot > cfg->v[K_MAX_RUNNERS].n) {
			e = error_fmt(ERR_CONFIG, "POOL_SCHEDULE window %zu: "
			    "hot=%d is more than MAX_RUNNERS=%lld: lower it or "
			    "raise MAX_RUNNERS", i + 1, ps->w[i].hot,
			    cfg->v[K_MAX_RUNNERS].n);
			goto out;
		}
		if (ps->w[i].stopped > cfg->v[K_POOL_MAX_STOPPED].n) {
			e = error_fmt(ERR_CONFIG, "POOL_SCHEDULE window %zu: "
			    "stopped=%d is more than POOL_MAX_STOPPED=%lld: "
			    "lower it or raise POOL_MAX_STOPPED", i + 1,
			    ps->w[i].stopped, cfg->v[K_POOL_MAX_STOPPED].n);
			goto out;
		}
	}
out:
	free(ps);
	return e;
}

/* see config.h */
const struct error *
config_resolve(struct config *cfg, const struct cfg_flags *fl,
    char *const *envp)
{
	const struct error	*e;
	const char		*v;
	char			 origin[96];
	size_t			 i;
	int			 k;

	memset(cfg, 0, sizeof(*cfg));
	for (k = 0; k < K_NKEYS; k++)
		if (keys[k].def != NULL &&
		    (e = set_value(cfg, (enum cfg_key)k, keys[k].def,
		    SRC_DEFAULT, "default")) != NULL)
			return e;
	if ((e = load_file(cfg, fl, envp)) != NULL)
		return e;
	for (k = 0; k < K_NKEYS; k++) {
		if ((v = env_get(envp, keys[k].name)) == NULL || *v == '\0')
			continue;
		snprintf(origin, sizeof(origin), "env %s", keys[k].name);
		if ((e = set_value(cfg, (enum cfg_key)k, v, SRC_ENV,
		    origin)) != NULL)
			return e;
	}
	for (i = 0; fl != NULL && i < fl->n; i++) {
		snprintf(origin, sizeof(origin), "flag %s", fl->f[i].flag);
		if ((e = set_value(cfg, fl->f[i].key, fl->f[i].value, SRC_FLAG,
		    origin)) != NULL)
			return e;
	}
	if (cfg->v[K_MIN_RUNNERS].n > cfg->v[K_MAX_RUNNERS].n)
		return error_fmt(ERR_CONFIG, "MIN_RUNNERS=%lld (%s) is more "
		    "than MAX_RUNNERS=%lld (%s): lower MIN_RUNNERS or raise "
		    "MAX_RUNNERS", cfg->v[K_MIN_RUNNERS].n,
		    cfg->v[K_MIN_RUNNERS].origin, cfg->v[K_MAX_RUNNERS].n,
		    cfg->v[K_MAX_RUNNERS].origin);
	if ((e = check_pools(cfg)) != NULL)
		return e;
	if (cfg->v[K_GITHUB_TOKEN_FILE].s != NULL &&
	    cfg->v[K_GITHUB_TOKEN_FILE].src >= cfg->v[K_GITHUB_TOKEN].src &&
	    (e = load_token_file(cfg)) != NULL)
		return e;
	cfg->ssl_cert_file = env_dup(envp, "SSL_CERT_FILE", NULL);
	cfg->https_proxy = env_dup(envp, "HTTPS_PROXY", "https_proxy");
	cfg->http_proxy = env_dup(envp, "HTTP_PROXY", "http_proxy");
	cfg->no_proxy = env_dup(envp, "NO_PROXY", "no_proxy");
	cfg->xdg_state_home = env_dup(envp, "XDG_STATE_HOME", NULL);
	cfg->home = env_dup(envp, "HOME", NULL);
	cfg->state_directory = env_dup(envp, "STATE_DIRECTORY", NULL);
	return NULL;
}

/* see config.h */
void
config_release(struct config *cfg)
{
	int	 k;

	for (k = 0; k < K_NKEYS; k++) {
		if (keys[k].type == CFG_SECRET)
			secret_free(cfg->v[k].s);
		else
			free(cfg->v[k].s);
	}
	free(cfg->file);
	free(cfg->ssl_cert_file);
	free(cfg->https_proxy);
	free(cfg->http_proxy);
	free(cfg->no_proxy);
	free(cfg->xdg_state_home);
	free(cfg->home);
	free(cfg->state_directory);
	memset(cfg, 0, sizeof(*cfg));
}

/* see config.h */
const char *
config_str(const struct config *cfg, enum cfg_key k)
{
	return cfg->v[k].s;
}

/* see config.h */
long long
config_num(const struct config *cfg, enum cfg_key k)
{
	return cfg->v[k].n;
}

/* see config.h */
long long
config_ms(const struct config *cfg, enum cfg_key k)
{
	return cfg->v[k].ms;
}

/* see config.h */
int
config_is_set(const struct config *cfg, enum cfg_key k)
{
	return cfg->v[k].s != NULL;
}

static const char *
shown_value(const struct config *cfg, int k)
{
	if (cfg->v[k].s == NULL)
		return NULL;
	if (keys[k].type == CFG_SECRET)
		return "<set>";
	return cfg->v[k].s;
}

/* see config.h */
const char *
config_shown(const struct config *cfg, int k, const char **origin)
{
	const char	*val = shown_value(cfg, k);

	*origin = val != NULL ? cfg->v[k].origin : "unset";
	return val;
}

/* see config.h */
void
config_print_json(const struct config *cfg, FILE *fp)
{
	cJSON		*root, *o;
	const char	*val;
	char		*text;
	int		 k;

	root = cJSON_CreateObject();
	for (k = 0; k < K_NKEYS; k++) {
		val = shown_value(cfg, k);
		o = cJSON_AddObjectToObject(root, keys[k].name);
		if (val != NULL)
			cJSON_AddStringToObject(o, "value", val);
		else
			cJSON_AddNullToObject(o, "value");
		cJSON_AddStringToObject(o, "source", val != NULL ?
		    cfg->v[k].origin : "unset");
	}
	if ((text = cJSON_PrintUnformatted(root)) != NULL)
		fprintf(fp, "%s\n", text);
	cJSON_free(text);
	cJSON_Delete(root);
}
