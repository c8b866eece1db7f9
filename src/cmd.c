/*
 * SPDX-License-Identifier: ISC
 *
 * What every command shares: option parsing from one table (so --help,
 * --list-options and the completions cannot disagree with the parser),
 * nested verbs, configuration resolution and the shared HTTP client.
 */

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "util.h"

#define OPT_MAX		96
#define KEY_CONFIG	2000
#define KEY_VERBOSE	'v'
#define KEY_QUIET	'q'
#define KEY_HELP	'h'
#define KEY_LISTOPTS	2001
#define KEY_CFG_BASE	1000	/* + enum cfg_key */

static struct opt	 common[K_NKEYS + 8];
static int		 common_ready;

/* see cmd.h */
const struct opt *
cmd_common_opts(void)
{
	const struct cfg_desc	*keys = config_keys();
	size_t			 n = 0;
	int			 k;

	if (common_ready)
		return common;
	common[n++] = (struct opt){ "config", 'c', OPT_REQ, "FILE",
	    "read settings from FILE (KEY=VALUE lines)" };
	for (k = 0; k < K_NKEYS; k++) {
		if (keys[k].flag == NULL)
			continue;
		common[n++] = (struct opt){ keys[k].flag, KEY_CFG_BASE + k,
		    keys[k].type == CFG_BOOL ? OPT_NONE : OPT_REQ,
		    keys[k].type == CFG_BOOL ? NULL :
		    keys[k].type == CFG_DURATION ? "DURATION" :
		    keys[k].type == CFG_UINT ? "N" : "VALUE", keys[k].help };
	}
	common[n++] = (struct opt){ "verbose", KEY_VERBOSE, OPT_NONE, NULL,
	    "more log output (repeat for more)" };
	common[n++] = (struct opt){ "quiet", KEY_QUIET, OPT_NONE, NULL,
	    "errors only" };
	common[n++] = (struct opt){ "help", KEY_HELP, OPT_NONE, NULL,
	    "show this help" };
	common[n] = (struct opt)OPT_END;
	common_ready = 1;
	return common;
}

#define HELP_WIDTH	80	/* --help fits an 80-column terminal */
#define HELP_LEFT	31	/* the help column of an option line */

/*
 * Print text from column col, broken at blanks before HELP_WIDTH; the
 * following lines start at column indent.  A word longer than a line
 * is printed whole.
 */
static void
help_wrap(FILE *fp, const char *text, int col, int indent)
{
	const char	*w = text, *end;
	int		 n, first = 1;

	while (*w != '\0') {
		while (*w == ' ')
			w++;
		if (*w == '\0')
			break;
		end = w + strcspn(w, " ");
		n = (int)(end - w);
		if (!first && col + 1 + n > HELP_WIDTH) {
			fprintf(fp, "\n%*s", indent, "");
			col = indent;
			first = 1;
		}
		fprintf(fp, "%s%.*s", first ? "" : " ", n, w);
		col += n + !first;
		first = 0;
		w = end;
	}
	fputc('\n', fp);
}

/* see cmd.h */
void
cmd_opt_line(const struct opt *o, FILE *fp)
{
	char	 left[64];

	if (o->key > 0 && o->key < 256)
		snprintf(left, sizeof(left), "-%c, --%s%s%s", o->key, o->name,
		    o->arg ? " " : "", o->arg ? o->metavar : "");
	else
		snprintf(left, sizeof(left), "    --%s%s%s", o->name,
		    o->arg ? " " : "", o->arg ? o->metavar : "");
	/*
	 * A long left column puts the help on the next line: two blanks at
	 * least between the columns, so they never run together.
	 */
	if (strlen(left) > HELP_LEFT - 4)
		fprintf(fp, "  %s\n%*s", left, HELP_LEFT, "");
	else
		fprintf(fp, "  %-28s ", left);
	help_wrap(fp, o->help, HELP_LEFT, HELP_LEFT);
}

/* see cmd.h */
void
cmd_print_usage(const struct cmd *c, FILE *fp)
{
	const char	*u, *nl;
	int		 first = 1;

	for (u = c->usage; *u != '\0'; u = nl + (*nl != '\0')) {
		if ((nl = strchr(u, '\n')) == NULL)
			nl = u + strlen(u);
		fprintf(fp, "%s ghrctl %.*s\n", first ? "usage:" : "      ",
		    (int)(nl - u), u);
		first = 0;
	}
}

/* see cmd.h */
void
cmd_help(const struct cmd *c, FILE *fp)
{
	const struct opt	*o;

	cmd_print_usage(c, fp);
	fprintf(fp, "\n%s\n", c->summary);
	if (c->sub != NULL) {
		const struct cmd *s;

		fprintf(fp, "\nCommands:\n");
		for (s = c->sub; s->name != NULL; s++)
			fprintf(fp, "  %-11s  %s\n", s->name, s->summary);
	}
	if (c->opts != NULL && c->opts[0].name != NULL) {
		fprintf(fp, "\nOptions:\n");
		for (o = c->opts; o->name != NULL; o++)
			cmd_opt_line(o, fp);
	}
	{
		char	 line[1024];
		size_t	 n;

		n = (size_t)snprintf(line, sizeof(line), "-c FILE, -v, -q, -h");
		for (o = cmd_common_opts(); o->name != NULL; o++)
			if (o->key >= KEY_CFG_BASE && o->key < KEY_CONFIG &&
			    n < sizeof(line))
				n += (size_t)snprintf(line + n,
				    sizeof(line) - n, ", --%s", o->name);
		fprintf(fp, "\nCommon options (any command; see ghrctl "
		    "--help):\n  ");
		help_wrap(fp, line, 2, 2);
	}
}

static void
list_options(const struct cmd *c, FILE *fp)
{
	const struct opt	*o;

	/*
	 * A command lists only its own options ("=" marks those that take a
	 * value); `ghrctl --list-options` lists the common ones.  An option
	 * without help text is internal and not offered.
	 */
	if (c->opts != NULL)
		for (o = c->opts; o->name != NULL; o++)
			if (o->help != NULL)
				fprintf(fp, "--%s%s\n", o->name, o->arg ? "=" : "");
	if (strcmp(c->name, "ghrctl") == 0)
		for (o = cmd_common_opts(); o->name != NULL; o++)
			fprintf(fp, "--%s%s\n", o->name, o->arg ? "=" : "");
}

/* see cmd.h */
const struct error *
cmd_usage_error(const struct ctx *ctx, const char *fmt, ...)
{
	char	 msg[ERROR_MSG_MAX - 64];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_fmt(ERR_USAGE, "%s (see 'ghrctl %s --help')", msg,
	    ctx->path[0] != '\0' ? ctx->path : "");
}

static void
add_opt(struct option *lo, size_t *nlo, char *so, size_t *nso,
    const struct opt *o)
{
	lo[*nlo].name = o->name;
	lo[*nlo].has_arg = o->arg ? required_argument : no_argument;
	lo[*nlo].flag = NULL;
	lo[*nlo].val = o->key;
	(*nlo)++;
	if (o->key > 0 && o->key < 256) {
		so[(*nso)++] = (char)o->key;
		if (o->arg)
			so[(*nso)++] = ':';
	}
}

/* Apply a common option.  Returns 1 when it was one. */
static const struct error *
apply_common(struct ctx *ctx, int key, const char *val, int *handled)
{
	const struct opt	*o;

	*handled = 1;
	switch (key) {
	case KEY_CONFIG:
	case 'c':
		ctx->flags.config_file = val;
		return NULL;
	case KEY_VERBOSE:
		ctx->verbose++;
		return NULL;
	case KEY_QUIET:
		ctx->verbose--;
		return NULL;
	}
	if (key >= KEY_CFG_BASE && key < KEY_CFG_BASE + K_NKEYS) {
		for (o = cmd_common_opts(); o->name != NULL; o++)
			if (o->key == key)
				break;
		return config_flag(&ctx->flags, (enum cfg_key)(key -
		    KEY_CFG_BASE), o->name != NULL ? o->name : "?",
		    val != NULL ? val : "1");
	}
	*handled = 0;
	return NULL;
}

/* "option '--name' needs a value" for the option whose key is key. */
static const struct error *
missing_value(const struct ctx *ctx, const struct cmd *c, int key)
{
	const struct opt	*o = NULL;

	if (key > 0 && key < 256)
		return cmd_usage_error(ctx, "option '-%c' needs a value", key);
	if (c->opts != NULL)
		for (o = c->opts; o->name != NULL && o->key != key; o++)
			;
	if (o == NULL || o->name == NULL)
		for (o = cmd_common_opts(); o->name != NULL && o->key != key;
		    o++)
			;
	return cmd_usage_error(ctx, "option '--%s' needs a value",
	    o->name != NULL ? o->name : "?");
}

static const struct error *
resolve(struct ctx *ctx)
{
	const struct error	*e;
	long long		 lvl;

	config_release(&ctx->cfg);
	if ((e = config_resolve(&ctx->cfg, &ctx->flags, ctx->envp)) != NULL)
		return e;
	lvl = config_num(&ctx->cfg, K_LOG_LEVEL) + ctx->verbose;
	if (lvl < LOG_ERROR)
		lvl = LOG_ERROR;
	if (lvl > LOG_TRACE)
		lvl = LOG_TRACE;
	log_init((enum log_level)lvl,
	    (enum log_format)config_num(&ctx->cfg, K_LOG_FORMAT), stderr);
	return NULL;
}

/*
 * An unknown long option, with the closest known one when it is near
 * ("--dry-rn": did you mean '--dry-run'?), as for commands (main.c).
 */
static const struct error *
unknown_option(const struct ctx *ctx, const char *arg, const struct option *lo)
{
	char			 name[64];
	const char		*best = NULL;
	size_t			 d, bestd = 3, n;

	n = strcspn(arg, "=");
	if (n >= sizeof(name) || n < 3 || arg[0] != '-' || arg[1] != '-')
		return cmd_usage_error(ctx, "unknown option '%s'", arg);
	memcpy(name, arg + 2, n - 2);
	name[n - 2] = '\0';
	for (; lo->name != NULL; lo++) {
		if (lo->val == KEY_LISTOPTS)
			continue;
		d = str_distance(name, lo->name);
		if (d < bestd) {
			bestd = d;
			best = lo->name;
		}
	}
	if (best != NULL)
		return cmd_usage_error(ctx, "unknown option '%s'; did you mean "
		    "'--%s'?", arg, best);
	return cmd_usage_error(ctx, "unknown option '%s'", arg);
}

/* see cmd.h */
const struct error *
cmd_parse(struct ctx *ctx, const struct cmd *c, int *argcp, char ***argvp,
    const struct error *(*fn)(void *, int, const char *), void *arg)
{
	const struct error	*e = NULL;
	struct option		 lo[OPT_MAX + 2];
	char			 so[OPT_MAX * 2 + 4];
	size_t			 nlo = 0, nso = 0;
	const struct opt	*o;
	int			 ch, handled, argc = *argcp;
	char			**argv = *argvp;

	so[nso++] = '+';	/* stop at the first operand... */
	so[nso++] = ':';	/* ...and report missing arguments as ':' */
	if (c->opts != NULL)
		for (o = c->opts; o->name != NULL && nlo < OPT_MAX / 2; o++)
			add_opt(lo, &nlo, so, &nso, o);
	for (o = cmd_common_opts(); o->name != NULL && nlo < OPT_MAX; o++)
		add_opt(lo, &nlo, so, &nso, o);
	lo[nlo++] = (struct option){ "list-options", no_argument, NULL,
	    KEY_LISTOPTS };
	memset(&lo[nlo], 0, sizeof(lo[nlo]));
	so[nso] = '\0';

	optind = 0;	/* glibc and musl: full re-initialisation */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (ch == '?') {
			if (optopt > 0 && optopt < 256)
				return cmd_usage_error(ctx, "unknown option "
				    "'-%c'", optopt);
			return unknown_option(ctx, argv[optind - 1], lo);
		}
		if (ch == ':')
			return missing_value(ctx, c, optopt);
		if (ch == KEY_HELP) {
			cmd_help(c, stdout);
			ctx->done = 1;
			return NULL;
		}
		if (ch == KEY_LISTOPTS) {
			list_options(c, stdout);
			ctx->done = 1;
			return NULL;
		}
		if ((e = apply_common(ctx, ch, optarg, &handled)) != NULL)
			return e;
		if (handled)
			continue;
		if (fn == NULL)
			return error_fmt(ERR_SOFTWARE, "option %d unhandled",
			    ch);
		if ((e = fn(arg, ch, optarg)) != NULL)
			return e;
	}
	*argcp = argc - optind;
	*argvp = argv + optind;
	return resolve(ctx);
}

/* see cmd.h */
const struct error *
cmd_dispatch(struct ctx *ctx, const struct cmd *c, int argc, char *argv[])
{
	const struct cmd	*s;
	size_t			 n;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		cmd_help(c, stdout);
		return NULL;
	}
	if (argc >= 2 && strcmp(argv[1], "--list-options") == 0) {
		for (s = c->sub; s->name != NULL; s++)
			printf("%s\n", s->name);
		return NULL;
	}
	if (argc < 2)
		return cmd_usage_error(ctx, "'%s' needs a command: %s", c->name,
		    c->usage);
	for (s = c->sub; s->name != NULL; s++) {
		if (strcmp(s->name, argv[1]) != 0)
			continue;
		n = strlen(ctx->path);
		snprintf(ctx->path + n, sizeof(ctx->path) - n, " %s", s->name);
		ctx->cmd = s;
		log_set_cmd(ctx->path);
		return s->run(ctx, argc - 1, argv + 1);
	}
	return cmd_usage_error(ctx, "'%s' is not a '%s' command", argv[1],
	    c->name);
}

/* see cmd.h */
const struct error *
cmd_output_parse(const char *s, unsigned int allowed, enum out_fmt *out)
{
	static const char *const names[] = { "table", "json", "csv" };
	char	 list[32] = "";
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(allowed & (1u << i)))
			continue;
		if (strcmp(s, names[i]) == 0) {
			*out = (enum out_fmt)i;
			return NULL;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", list[0] != '\0' ? ", " : "", names[i]);
	}
	return error_fmt(ERR_USAGE, "output format '%s' is not one of %s", s,
	    list);
}

/* see cmd.h */
const struct error *
ctx_http(struct ctx *ctx, struct http_client **out)
{
	const struct error	*e;

	if (ctx->http == NULL && (e = ctx_http_new(ctx, &ctx->http)) != NULL)
		return e;
	*out = ctx->http;
	return NULL;
}

/* see cmd.h */
const struct error *
ctx_http_new(const struct ctx *ctx, struct http_client **out)
{
	struct http_opts	 o;

	memset(&o, 0, sizeof(o));
	o.ca_file = config_str(&ctx->cfg, K_CA_FILE);
	if (o.ca_file == NULL)
		o.ca_file = ctx->cfg.ssl_cert_file;
	o.connect_timeout_ms = (int)config_ms(&ctx->cfg, K_CONNECT_TIMEOUT);
	o.read_timeout_ms = (int)config_ms(&ctx->cfg, K_READ_TIMEOUT);
	o.total_timeout_ms = (int)config_ms(&ctx->cfg, K_TIMEOUT);
	o.allow_http = (int)config_num(&ctx->cfg, K_ALLOW_HTTP);
	o.https_proxy = ctx->cfg.https_proxy;
	o.http_proxy = ctx->cfg.http_proxy;
	o.no_proxy = ctx->cfg.no_proxy;
	return http_client_new(&o, out);
}

/* see cmd.h */
void
ctx_release(struct ctx *ctx)
{
	http_client_free(ctx->http);
	ctx->http = NULL;
	config_release(&ctx->cfg);
}

/*
 * What a hook may see of the environment: what a shell and the usual
 * tools need, and GHRCTL_HOOK_* for the hook's own settings.  An allow
 * list, not a deny list: a secret under a name nobody thought of (a
 * GH_TOKEN, a VAULT_TOKEN, an AWS_* added later) must not pass either.
 */
static int
hook_may_see(const char *kv)
{
	static const char *const names[] = {
		"PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TZ",
		"TMPDIR", "LANG", "LANGUAGE",
	};
	size_t	 i, n = strcspn(kv, "=");

	if (kv[n] != '=')
		return 0;
	if (strncmp(kv, "LC_", 3) == 0 || (strncmp(kv, "GHRCTL_HOOK_", 12) ==
	    0 && n > 12))
		return 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncmp(kv, names[i], n) == 0)
			return 1;
	return 0;
}

/* see cmd.h */
char **
cmd_hook_env(char *const *envp)
{
	char	**env;
	size_t	 n = 0, i;

	for (i = 0; envp != NULL && envp[i] != NULL; i++)
		n++;
	env = xcalloc(n + 1, sizeof(env[0]));
	for (i = 0, n = 0; envp != NULL && envp[i] != NULL; i++)
		if (hook_may_see(envp[i]))
			env[n++] = envp[i];
	return env;
}
