/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_CMD_H
#define GHRCTL_CMD_H

#include <stdio.h>

#include "config.h"
#include "error.h"
#include "http.h"

/*
 * The command table and what every command shares (git's builtin.h).
 *
 * Adding a command: write cmd_<name>.c with its option table and
 * cmd_<name>(); declare it here; add it to the table in main.c; write
 * man/ghrctl-<name>.1 with the same SYNOPSIS as its usage lines; add a
 * README entry; the completions ask the binary, and tests/integ/t0010-docs.sh
 * fails until all of these agree.
 */

enum opt_arg {
	OPT_NONE = 0,
	OPT_REQ = 1
};

/* One command-line option, used for parsing, --help and completion. */
struct opt {
	const char	*name;		/* long name, without "--" */
	int		 key;		/* short option letter, or >= 256 */
	enum opt_arg	 arg;
	const char	*metavar;	/* "FILE"; NULL when arg is OPT_NONE */
	const char	*help;		/* NULL: internal, not offered */
};

#define OPT_END	{ NULL, 0, OPT_NONE, NULL, NULL }

struct ctx;

struct cmd {
	const char	*name;
	const struct error *(*run)(struct ctx *, int argc, char *argv[]);
	const char	*usage;		/* lines after "ghrctl ", '\n'-separated */
	const char	*summary;	/* one line for the command list */
	const struct opt *opts;		/* the command's own options */
	const struct cmd *sub;		/* nested verbs or NULL; { NULL } ends */
};

/* Output formats shared by commands that print results. */
enum out_fmt {
	OUT_TABLE = 0,
	OUT_JSON,
	OUT_CSV
};

/* Everything a command runs with; one per process, built in main(). */
struct ctx {
	struct config		 cfg;		/* resolved by cmd_parse() */
	struct cfg_flags	 flags;		/* overrides from the command line */
	int			 verbose;	/* -v count minus -q count */
	const struct cmd	*cmd;		/* the command being run */
	char			 path[64];	/* "runners list": for messages */
	struct http_client	*http;		/* see ctx_http() */
	int			 done;		/* --help printed: return now */
	char *const		*envp;
};

/*
 * Parse argv (argv[0] is the command name) against c->opts plus the common
 * options (config-file keys that have a flag, --config, -v, -q, --help).
 * Calls fn(arg, key, optarg) for each of the command's own options; fn
 * returns an error for a bad value.  --help prints the help to stdout and
 * sets ctx->done; --list-options prints the option names for completion
 * and sets ctx->done.  Then resolves the configuration into ctx->cfg and
 * sets the log level.  On return argcp and argvp hold the operands.
 * Errors: ERR_USAGE (unknown option, missing argument), ERR_CONFIG.
 */
/*
 * One option line of a --help: "  -o, --output FORMAT   help", the help
 * wrapped at 80 columns.
 */
void			 cmd_opt_line(const struct opt *, FILE *);

const struct error	*cmd_parse(struct ctx *, const struct cmd *c,
			    int *argcp, char ***argvp,
			    const struct error *(*fn)(void *, int, const char *),
			    void *arg);

/*
 * Run the nested verb named argv[1] from c->sub (for "runners list").  A
 * missing or unknown verb is ERR_USAGE with the list of verbs.
 */
const struct error	*cmd_dispatch(struct ctx *, const struct cmd *c,
			    int argc, char *argv[]);

/* Usage error for c: message plus "see 'ghrctl <cmd> --help'". */
const struct error	*cmd_usage_error(const struct ctx *,
			    const char *fmt, ...)
			    __attribute__((format(printf, 2, 3)));

/* Which -o formats a command offers (cmd_output_parse's allowed mask). */
#define OUT_ALLOW_TABLE_JSON	((1u << OUT_TABLE) | (1u << OUT_JSON))
#define OUT_ALLOW_ALL		(OUT_ALLOW_TABLE_JSON | (1u << OUT_CSV))

/*
 * Parse -o/--output for the current command: one of the formats in the
 * allowed mask.  ERR_USAGE naming the formats it offers otherwise.
 */
const struct error	*cmd_output_parse(const char *, unsigned int allowed,
			    enum out_fmt *);

/* The shared HTTP client, made from the configuration on first use. */
const struct error	*ctx_http(struct ctx *, struct http_client **);
/* A new client made the same way, for another thread (free it). */
const struct error	*ctx_http_new(const struct ctx *,
			    struct http_client **);

void			 ctx_release(struct ctx *);

/* Print help for c (usage lines, summary, options) to fp. */
void			 cmd_help(const struct cmd *c, FILE *fp);

/* Print only the "usage: ghrctl ..." lines of c. */
void			 cmd_print_usage(const struct cmd *c, FILE *fp);

/*
 * The environment a hook (poll --exec) runs with: only the variables
 * named in the allow list of ghrctl-poll(1) (PATH, HOME, locale, TZ,
 * GHRCTL_HOOK_* ...), never GITHUB_TOKEN, AWS keys or other secrets.  A
 * NULL-terminated array pointing into envp; free() the array only.
 */
char			**cmd_hook_env(char *const *envp);

/* The common options table (for ghrctl --help and completion). */
const struct opt	*cmd_common_opts(void);

/* The commands: each cmd_<name>.c defines its entry. */
extern const struct cmd	 cmd_config_def;
extern const struct cmd	 cmd_runners_def;
extern const struct cmd	 cmd_metric_def;
extern const struct cmd	 cmd_register_def;
extern const struct cmd	 cmd_session_def;
extern const struct cmd	 cmd_poll_def;
extern const struct cmd	 cmd_doctor_def;
extern const struct cmd	 cmd_scale_def;
extern const struct cmd	 cmd_cleanup_def;
extern const struct cmd	 cmd_boot_def;
extern const struct cmd	 cmd_jobs_def;
extern const struct cmd	 cmd_instances_def;
extern const struct cmd	 cmd_status_def;

#endif
