/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_CONFIG_H
#define GHRCTL_CONFIG_H

#include <stdio.h>

#include "error.h"

/*
 * Configuration, resolved once into a typed struct.  Precedence:
 * command-line flag > environment > config file > built-in default.
 *
 * One table (config.c) describes every key: its name (the environment
 * variable and config-file key, the seed documents' names where they exist),
 * its type, default, whether it is a secret, the long option that sets it,
 * and a one-line description.  That table drives the file parser, the
 * environment lookup, the flag overrides, `ghrctl config` and the docs test.
 *
 * The config file is `KEY=VALUE` lines (blank lines, `# comments`, an
 * optional leading `export ` and one level of '...' or "..." quotes are
 * accepted, so the seed designs' .env files work).  It is --config FILE,
 * else $GHRCTL_CONFIG, else $XDG_CONFIG_HOME/ghrctl/config (~/.config/...),
 * else /etc/ghrctl/config; a missing default file is not an error.  A file
 * that sets a secret must not be group- or world-readable.
 */

enum cfg_type {
	CFG_STR,
	CFG_SECRET,	/* a string never printed, never taken from argv */
	CFG_UINT,	/* unsigned, within [min, max] */
	CFG_DURATION,	/* "90", "90s", "5m", "1h", "250ms": stored in ms */
	CFG_BOOL,	/* 1/0, true/false, yes/no, on/off */
	CFG_LOGLEVEL,	/* error|warn|info|debug|trace */
	CFG_LOGFORMAT,	/* auto|text|json|logfmt */
	CFG_LIMIT	/* "CAP/RATE[,CAP/RATE]": token buckets (pace.h) */
};

enum cfg_source {
	SRC_DEFAULT = 0,
	SRC_FILE,
	SRC_ENV,
	SRC_FLAG
};

/* Indices into the key table; keep in the same order as config.c. */
enum cfg_key {
	/* GitHub */
	K_GITHUB_CONFIG_URL,
	K_GITHUB_ENTERPRISE_URL,
	K_ORGANIZATION_NAME,
	K_GITHUB_TOKEN,
	K_GITHUB_TOKEN_FILE,
	K_GITHUB_APP_ID,
	K_GITHUB_APP_INSTALLATION_ID,
	K_GITHUB_APP_PRIVATE_KEY_FILE,
	/* runner scale set and scaling */
	K_RUNNER_SCALE_SET_NAME,
	K_RUNNER_SCALE_SET_ID,
	K_RUNNER_GROUP,
	K_RUNNER_LABELS,
	K_MIN_RUNNERS,
	K_MAX_RUNNERS,
	K_MESSAGE_POLL_INTERVAL,
	K_SESSION_REFRESH_INTERVAL,
	K_RUNNER_TIMEOUT,
	K_SOURCE,
	K_POOL_SCHEDULE,
	K_POOL_TZ,
	K_POOL_MAX_STOPPED,
	K_POOL_MAX_AGE,
	/* AWS and EC2 */
	K_AWS_REGION,
	K_EC2_AMI_ID,
	K_EC2_INSTANCE_TYPE,
	K_EC2_SUBNET_ID,
	K_EC2_SECURITY_GROUP_ID,
	K_EC2_KEY_PAIR_NAME,
	K_EC2_SPOT_PRICE,
	K_EC2_LAUNCH_TEMPLATE,
	K_EC2_LAUNCH_TEMPLATE_VERSION,
	K_EC2_INSTANCE_PROFILE,
	K_MIN_AGE,
	K_BOOT_TIMEOUT,
	K_USER_DATA_TEMPLATE,
	K_LAUNCH_CONCURRENCY,
	K_LAUNCH_BATCH,
	K_EC2_PACING,
	K_EC2_LIMIT_RUN,
	K_EC2_LIMIT_START,
	K_EC2_LIMIT_TERMINATE,
	K_EC2_LIMIT_TAGS,
	K_EC2_LIMIT_DESCRIBE,
	K_EC2_LIMIT_MUTATING,
	/* AWS SDK names, also accepted in the config file (aws.c) */
	K_AWS_ACCESS_KEY_ID,
	K_AWS_SECRET_ACCESS_KEY,
	K_AWS_SESSION_TOKEN,
	K_AWS_PROFILE,
	K_AWS_DEFAULT_REGION,
	K_AWS_ENDPOINT_URL,
	K_AWS_SHARED_CREDENTIALS_FILE,
	K_AWS_CONFIG_FILE,
	/* ghrctl itself */
	K_LOG_LEVEL,
	K_LOG_FORMAT,
	K_CA_FILE,
	K_STATE_DIR,
	K_ALLOW_HTTP,
	K_CONNECT_TIMEOUT,
	K_READ_TIMEOUT,
	K_TIMEOUT,
	K_MAX_WAIT,
	K_STANDBY_WAIT,
	K_READ_DEADLINE,
	K_NKEYS
};

/* One resolved value. */
struct cfg_val {
	char		*s;	/* string form as given (or default); may be NULL */
	long long	 n;	/* CFG_UINT, CFG_BOOL, CFG_LOGLEVEL, CFG_LOGFORMAT */
	long long	 ms;	/* CFG_DURATION */
	enum cfg_source	 src;
	char		 origin[96];	/* "flag --url", "env X", "/etc/ghrctl/config:3" */
};

struct config {
	struct cfg_val	 v[K_NKEYS];
	char		*file;		/* config file read, or NULL */
	/* Read from the environment as other tools do; not config-file keys. */
	char		*ssl_cert_file;	/* SSL_CERT_FILE */
	char		*https_proxy;	/* HTTPS_PROXY / https_proxy */
	char		*http_proxy;	/* HTTP_PROXY / http_proxy */
	char		*no_proxy;	/* NO_PROXY / no_proxy */
	char		*xdg_state_home;
	char		*state_directory;	/* STATE_DIRECTORY (systemd) */
	char		*home;
};

/* Command-line overrides collected before resolution. */
#define CFG_MAX_FLAGS	32
struct cfg_flags {
	const char	*config_file;	/* --config */
	size_t		 n;
	struct {
		enum cfg_key	 key;
		const char	*value;
		const char	*flag;	/* "--url" */
	} f[CFG_MAX_FLAGS];
};

struct cfg_desc {
	const char	*name;		/* env var / file key */
	enum cfg_type	 type;
	const char	*def;		/* default as text, or NULL */
	const char	*flag;		/* long option (without --) or NULL */
	const char	*help;
	unsigned int	 min, max;	/* CFG_UINT bounds */
};

/* The table, K_NKEYS entries. */
const struct cfg_desc	*config_keys(void);

/* Find a key by name; -1 when unknown. */
int			 config_key_find(const char *name);

/* Add a flag override.  ERR_USAGE when too many. */
const struct error	*config_flag(struct cfg_flags *, enum cfg_key,
			    const char *flag, const char *value);

/*
 * Resolve defaults, file, environment and flags into *cfg.  envp is the
 * environment to read (environ in main; a fixed list in tests).  Errors
 * (ERR_CONFIG, ERR_PERM for a readable secret file) name the key, the value
 * and where it came from.  Release with config_release().
 */
const struct error	*config_resolve(struct config *,
			    const struct cfg_flags *, char *const *envp);

/*
 * Parse one config file's text (pure); calls set() for each KEY=VALUE.
 * name is used in messages ("<name>:<line>: ...").
 */
const struct error	*config_parse_text(const char *text, const char *name,
			    const struct error *(*set)(void *, const char *key,
			    const char *value, int line), void *arg);

void			 config_release(struct config *);

/* Accessors. */
const char		*config_str(const struct config *, enum cfg_key);
long long		 config_num(const struct config *, enum cfg_key);
long long		 config_ms(const struct config *, enum cfg_key);
int			 config_is_set(const struct config *, enum cfg_key);

/*
 * Key k's value as shown (a secret as "<set>"), NULL when unset; *origin
 * where it came from ("unset" when it is not set).
 */
const char		*config_shown(const struct config *, int k,
			    const char **origin);

/*
 * Every key with its value (secrets masked) and origin as one JSON
 * object, {"KEY": {"value": ..., "source": ...}}.
 */
void			 config_print_json(const struct config *, FILE *);

#endif
