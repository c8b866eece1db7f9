/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl config: print the resolved configuration, one key per line with
 * the place its value came from (flag, environment, file:line, default),
 * under a header naming the config file and the GitHub scope.  Secrets
 * are shown as <set>.  The GitHub URL, when set, is checked as every
 * command would use it (github_url_target()): a bad one is a one-line
 * error naming the setting, after the table.  --keys lists every key
 * with its description.
 */

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "github.h"

#define KEY_KEYS	256

static const struct opt config_opts[] = {
	{ "output", 'o', OPT_REQ, "FORMAT", "table or json" },
	{ "keys", KEY_KEYS, OPT_NONE, NULL,
	    "list every key, its option and default" },
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

static void
print_keys(void)
{
	const struct cfg_desc	*k = config_keys();
	int			 i, w[3] = { 0, 0, 0 };
	char			 flag[40];

	/* Measured columns, two blanks apart: they never run together. */
	for (i = 0; i < K_NKEYS; i++) {
		snprintf(flag, sizeof(flag), "%s%s", k[i].flag ? "--" : "",
		    k[i].flag ? k[i].flag : "-");
		if ((int)strlen(k[i].name) > w[0])
			w[0] = (int)strlen(k[i].name);
		if ((int)strlen(flag) > w[1])
			w[1] = (int)strlen(flag);
		if (k[i].def != NULL && (int)strlen(k[i].def) > w[2])
			w[2] = (int)strlen(k[i].def);
	}
	for (i = 0; i < K_NKEYS; i++) {
		snprintf(flag, sizeof(flag), "%s%s", k[i].flag ? "--" : "",
		    k[i].flag ? k[i].flag : "-");
		printf("%-*s  %-*s  %-*s  %s\n", w[0], k[i].name, w[1], flag,
		    w[2], k[i].def != NULL ? k[i].def : "-", k[i].help);
	}
}

static const struct error *
cmd_config(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
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
	if (a.keys) {
		print_keys();
		return NULL;
	}
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
	config_print(c, stdout, a.fmt == OUT_JSON);
	return e;
}

const struct cmd cmd_config_def = {
	"config", cmd_config, "config [-o table|json] [--keys]",
	"show the resolved configuration and where each value came from",
	config_opts, NULL
};
