/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl: autoscale GitHub Actions self-hosted runners on AWS EC2.
 *
 * main() parses the global options, finds the command in the table, runs
 * it, prints its error (once) and maps the error class to the exit status
 * (sysexits.h values, listed in ghrctl(1)).  Nothing below main exits.
 */

#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>
#include "cJSON.h"

#include "cmd.h"
#include "json.h"
#include "log.h"
#include "util.h"

extern char **environ;


/* Top-level "help [command]". */
static const struct error *cmd_help_run(struct ctx *, int, char *[]);

static const struct cmd help_def = {
	"help", cmd_help_run, "help [command]",
	"show help for ghrctl or a command", NULL, NULL
};

/* "version": the same as --version. */
static const struct error *cmd_version_run(struct ctx *, int, char *[]);

static const struct cmd version_def = {
	"version", cmd_version_run, "version",
	"print version and exit (as --version)", NULL, NULL
};

/* The commands, in the order `ghrctl --help` lists them. */
static const struct cmd *const commands[] = {
	&cmd_config_def,
	&cmd_runners_def,
	&cmd_metric_def,
	&cmd_register_def,
	&cmd_session_def,
	&cmd_poll_def,
	&cmd_doctor_def,
	&cmd_scale_def,
	&cmd_cleanup_def,
	&cmd_boot_def,
	&cmd_jobs_def,
	&cmd_instances_def,
	&cmd_status_def,
	&help_def,
	&version_def,
	NULL
};

static void
usage_main(FILE *fp)
{
	const struct cmd *const	*c;
	const struct opt	*o;

	fprintf(fp, "usage: ghrctl [options] command [command options] "
	    "[arguments]\n"
	    "       ghrctl --version\n\n"
	    "Autoscale GitHub Actions self-hosted runners on AWS EC2.\n\n"
	    "Commands:\n");
	for (c = commands; *c != NULL; c++)
		fprintf(fp, "  %-9s  %s\n", (*c)->name, (*c)->summary);
	fprintf(fp, "\nOptions (before or after the command):\n");
	for (o = cmd_common_opts(); o->name != NULL; o++)
		cmd_opt_line(o, fp);
	fprintf(fp, "  %-28s %s\n", "    --version", "print version and exit");
	fprintf(fp, "\nSee 'ghrctl help COMMAND' or man ghrctl-COMMAND.\n");
}

#define KEY_LIST_COMMANDS	3000
#define MAIN_STDOUT_BUF		(64u << 10)

static void
list_commands(void)
{
	const struct cmd *const	*c;

	for (c = commands; *c != NULL; c++)
		printf("%s\n", (*c)->name);
}

/* The architecture the binary was built for (uname -m's names). */
#if defined(__x86_64__)
#define GHRCTL_ARCH	"x86_64"
#elif defined(__aarch64__)
#define GHRCTL_ARCH	"aarch64"
#elif defined(__i386__)
#define GHRCTL_ARCH	"i686"
#elif defined(__arm__)
#define GHRCTL_ARCH	"arm"
#elif defined(__riscv) && __riscv_xlen == 64
#define GHRCTL_ARCH	"riscv64"
#else
#define GHRCTL_ARCH	"unknown"
#endif

#ifndef GHRCTL_COMMIT
#define GHRCTL_COMMIT	"unknown"
#endif

static void
version(void)
{
	printf("ghrctl %s (built %s, commit %s, %s)\n", GHRCTL_VERSION,
	    GHRCTL_BUILD_DATE, GHRCTL_COMMIT, GHRCTL_ARCH);
	printf("BearSSL %s, cJSON %s\n", GHRCTL_BEARSSL_VERSION,
	    cJSON_Version());
}

static const struct cmd *
find_cmd(const char *name)
{
	const struct cmd *const	*c;

	for (c = commands; *c != NULL; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

static const struct error *
unknown_cmd(const char *name)
{
	const struct cmd *const	*c;
	const struct cmd	*best = NULL;
	size_t			 d, bestd = 3;

	for (c = commands; *c != NULL; c++) {
		d = str_distance(name, (*c)->name);
		if (d < bestd ||
		    (str_prefix((*c)->name, name) && strlen(name) > 1)) {
			bestd = d;
			best = *c;
		}
	}
	if (best != NULL)
		return error_fmt(ERR_USAGE, "'%s' is not a command; did you "
		    "mean '%s'? (see 'ghrctl --help')", name, best->name);
	return error_fmt(ERR_USAGE, "'%s' is not a command (see 'ghrctl "
	    "--help')", name);
}

static const struct error *
cmd_help_run(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	const struct cmd	*c;

	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, NULL, NULL)) != NULL ||
	    ctx->done)
		return e;
	if (argc == 0) {
		usage_main(stdout);
		return NULL;
	}
	if ((c = find_cmd(argv[0])) == NULL)
		return unknown_cmd(argv[0]);
	cmd_help(c, stdout);
	return NULL;
}

static const struct error *
cmd_version_run(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;

	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, NULL, NULL)) != NULL ||
	    ctx->done)
		return e;
	if (argc > 0)
		return error_fmt(ERR_USAGE, "version takes no arguments");
	version();
	return NULL;
}

/* Global options: the common options, --version and hidden helpers. */
static const struct error *
global_opt(void *arg, int key, const char *val)
{
	struct ctx	*ctx = arg;

	(void)val;
	if (key == 'V') {
		version();
		ctx->done = 1;
		return NULL;
	}
	if (key == KEY_LIST_COMMANDS) {
		list_commands();
		ctx->done = 1;
		return NULL;
	}
	return error_fmt(ERR_SOFTWARE, "global option %d unhandled", key);
}

static const struct opt global_opts[] = {
	{ "version", 'V', OPT_NONE, NULL, "print version and exit" },
	/* internal, for the completions: no help, so never offered */
	{ "list-commands", KEY_LIST_COMMANDS, OPT_NONE, NULL, NULL },
	OPT_END
};

static int
finish(const struct ctx *ctx, const struct error *e)
{
	int	 status;

	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (errno == EPIPE)
			return e != NULL ? error_exit_status(e) : 0;
		if (e == NULL)
			e = error_errno("cannot write", "standard output");
	}
	if (e == NULL)
		return 0;
	status = error_exit_status(e);
	log_set_cmd(ctx->path[0] != '\0' ? ctx->path : NULL);
	log_error("%s", e->msg);
	if (e->class == ERR_USAGE) {
		if (ctx->cmd != NULL)
			cmd_print_usage(ctx->cmd, stderr);
		else
			fprintf(stderr, "usage: ghrctl [options] command "
			    "[command options] [arguments]\n");
	}
	return status;
}

/*
 * The process holds the PAT, the App key and AWS credentials in memory:
 * no core file (RLIMIT_CORE 0, soft and hard) and not dumpable, which
 * also keeps other processes of the same user from reading its memory
 * through /proc or ptrace (prctl(2); ssh-agent does the same).  Failures
 * are ignored: both only ever lower what is allowed.
 */
static void
no_core_dumps(void)
{
	struct rlimit	 rl;

	rl.rlim_cur = 0;
	rl.rlim_max = 0;
	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int
main(int argc, char *argv[])
{
	static char		 outbuf[MAIN_STDOUT_BUF];
	static struct ctx	 ctx;
	const struct error	*e = NULL;
	const struct cmd	*c;
	struct cmd		 top;
	int			 i, status;

	no_core_dumps();
	signal(SIGPIPE, SIG_IGN);
#ifndef GHRCTL_PLAIN_MALLOC
	/* Sanitizer and valgrind builds keep plain malloc to see every block. */
	json_pool_install();
#endif
	/*
	 * Results into a pipe or file: one write per 64 KiB, not per 1 KiB
	 * (musl's default).  Commands that stream (poll --follow) flush per
	 * event themselves.
	 */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	ctx.envp = environ;
	log_init(LOG_WARN, LOG_FMT_AUTO, stderr);

	/* Global options run until the first operand (the command). */
	memset(&top, 0, sizeof(top));
	top.name = "ghrctl";
	top.usage = "[options] command [command options] [arguments]";
	top.summary = "Autoscale GitHub Actions self-hosted runners on AWS EC2.";
	top.opts = global_opts;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0 ||
		    strcmp(argv[i], "-V") == 0) {
			version();
			return finish(&ctx, NULL);
		}
		if (strcmp(argv[i], "--list-commands") == 0) {
			list_commands();
			return finish(&ctx, NULL);
		}
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage_main(stdout);
			return finish(&ctx, NULL);
		}
		if (argv[i][0] != '-')
			break;
	}
	e = cmd_parse(&ctx, &top, &argc, &argv, global_opt, &ctx);
	/*
	 * A configuration that does not resolve is reported by the command's
	 * own cmd_parse(), which resolves again (doctor lists it as a check).
	 */
	if (e != NULL && e->class != ERR_USAGE && argc > 0)
		e = NULL;
	if (e != NULL || ctx.done)
		goto out;
	if (argc == 0) {
		e = error_fmt(ERR_USAGE, "no command given (see 'ghrctl "
		    "--help')");
		goto out;
	}
	if ((c = find_cmd(argv[0])) == NULL) {
		e = unknown_cmd(argv[0]);
		goto out;
	}
	ctx.cmd = c;
	snprintf(ctx.path, sizeof(ctx.path), "%s", c->name);
	log_set_cmd(ctx.path);
	if (c->sub != NULL)
		e = cmd_dispatch(&ctx, c, argc, argv);
	else
		e = c->run(&ctx, argc, argv);
out:
	status = finish(&ctx, e);
	ctx_release(&ctx);
	log_secrets_clear();
	return status;
}
