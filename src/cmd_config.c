/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl config: print the resolved configuration, one key per line with
 * the place its value came from (flag, environment, file:line, default),
 * under a header naming the config file and the GitHub scope.  Secrets
 * are shown as <set>.  The GitHub URL, when set, is checked as every
 * command would use it (github_url_target()): a bad one is a one-line
 * error naming the setting, after the table.  --keys lists every key
 * with its description.  Both tables go through the table printer
 * (out.h): cut to the terminal, and --keys -o json as an array.
 */

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "github.h"
#include "out.h"

#define KEY_KEYS	256

static const struct opt config_opts[] = {
	{ "output", 'o', OPT_REQ, "FORMAT", "table or json" },
	{ "keys", KEY_KEYS, OPT_NONE, NULL,
	    "list every key, its option, default and description" },
	OPT_END
};

struct config_args {
	enum out_fmt	 fmt;
	int		 keys;
};

static const struct error *
config_opt(void *arg, int key, const char *val)
{
	struct config_args	*a = arg;

	switch (key) {
	case 'o':
		return cmd_output_parse(val, OUT_ALLOW_TABLE_JSON,
		    &a->fmt);
	case KEY_KEYS:
		a->keys = 1;
		return NULL;
	}
	return error_fmt(ERR_SOFTWARE, "config: option %d unhandled", key);
}

/* --keys: every key, its option, default and description. */
static const struct error *
print_keys(enum out_fmt fmt)
{
	static const struct out_col cols[] = {
		{ "KEY", "key", OUT_STR, 0 },
		{ "OPTION", "option", OUT_STR, 0 },
		{ "DEFAULT", "default", OUT_STR, 0 },
		{ "DESCRIPTION", "description", OUT_STR, 0 }
	};
	const struct cfg_desc	*k = config_keys();
	const struct error	*e;
	const char		*cell[4];
	struct out		*t = out_new(fmt, cols, 4, 0);
	const char		*none = fmt == OUT_TABLE ? "-" : "";
	char			 flag[40];
	int			 i;

	for (i = 0; i < K_NKEYS; i++) {
		snprintf(flag, sizeof(flag), "%s%s", k[i].flag ? "--" : "",
		    k[i].flag ? k[i].flag : none);
		cell[0] = k[i].name;
		cell[1] = flag;
		cell[2] = k[i].def != NULL ? k[i].def : none;
		cell[3] = k[i].help;
		out_row(t, cell);
	}
	e = out_end(t);
	out_free(t);
	return e;
}

/* The settings: key, value (secrets masked) and where it came from. */
static const struct error *
print_settings(const struct config *c)
{
	static const struct out_col cols[] = {
		{ "KEY", "key", OUT_STR, 0 },
		{ "VALUE", "value", OUT_STR, 0 },
		{ "SOURCE", "source", OUT_STR, 0 }
	};
	const struct error	*e;
	const char		*cell[3];
	struct out		*t = out_new(OUT_TABLE, cols, 3, 0);
	int			 k;

	for (k = 0; k < K_NKEYS; k++) {
		cell[0] = config_keys()[k].name;
		if ((cell[1] = config_shown(c, k, &cell[2])) == NULL)
			cell[1] = "-";
		out_row(t, cell);
	}
	e = out_end(t);
	out_free(t);
	return e;
}

static const struct error *
cmd_config(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e, *pe;
	struct config_args	 a;
	struct gh_target	 t;
	char			 scope[2 * GHURL_NAME_MAX + 32];
	const struct config	*c = &ctx->cfg;

	memset(&a, 0, sizeof(a));
	memset(&t, 0, sizeof(t));
	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, config_opt, &a)) !=
	    NULL || ctx->done)
		return e;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[0]);
	if (a.keys)
		return print_keys(a.fmt);
	e = NULL;
	if (config_is_set(c, K_GITHUB_CONFIG_URL) ||
	    config_is_set(c, K_GITHUB_ENTERPRISE_URL) ||
	    config_is_set(c, K_ORGANIZATION_NAME))
		e = github_url_target(c, &t);
	if (a.fmt == OUT_TABLE) {
		printf("# config file: %s\n", c->file != NULL ? c->file :
		    "none");
		if (e == NULL && t.config_url[0] != '\0')
			printf("# GitHub: %s, API %s\n", ghurl_scope_name(&t,
			    scope, sizeof(scope)), t.api_base);
		else if (e == NULL)
			printf("# GitHub: no URL set (GITHUB_CONFIG_URL)\n");
	}
	if (a.fmt == OUT_JSON)
		config_print_json(c, stdout);
	else if ((pe = print_settings(c)) != NULL && e == NULL)
		e = pe;
	return e;
}

const struct cmd cmd_config_def = {
	"config", cmd_config, "config [-o table|json] [--keys]",
	"show the resolved configuration and where each value came from",
	config_opts, NULL
};
