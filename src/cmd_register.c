/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl register: get-or-create the runner scale set named by
 * RUNNER_SCALE_SET_NAME (--name) in RUNNER_GROUP, update its labels when
 * RUNNER_LABELS changed, and print its id; --delete removes it; --jit
 * prints a just-in-time runner config for one runner of the set (stdout
 * only: it is a secret).  Scale-set runners get no default labels, so
 * the scale set's name is always its first label, then RUNNER_LABELS, as
 * ARC does (actions-runner-controller, the listener's scale set creation)
 * and as actions/scaleset does when given no labels: `runs-on: <name>`
 * then reaches it.  Facts: actions/scaleset client.go (scale sets, JIT
 * configs) and types.go (RunnerScaleSet, Label).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

#include "actions.h"
#include "cmd.h"
#include "scaleset.h"
#include "json.h"
#include "log.h"
#include "util.h"

#define KEY_NAME	256
#define KEY_DELETE	257
#define KEY_JIT		258

static const struct opt register_opts[] = {
	{ "name", KEY_NAME, OPT_REQ, "NAME",
	    "scale set name (RUNNER_SCALE_SET_NAME)" },
	{ "delete", KEY_DELETE, OPT_NONE, NULL, "delete the scale set" },
	{ "jit", KEY_JIT, OPT_REQ, "RUNNER_NAME",
	    "print a JIT runner config for RUNNER_NAME" },
	{ "dry-run", 'n', OPT_NONE, NULL, "show what would change, change "
	    "nothing" },
	{ "output", 'o', OPT_REQ, "FORMAT", "table or json" },
	OPT_END
};

struct register_args {
	struct ctx	*ctx;
	int		 del;
	int		 dry_run;
	const char	*jit;
	enum out_fmt	 fmt;
};

static const struct error *
register_opt(void *arg, int key, const char *val)
{
	struct register_args	*a = arg;

	switch (key) {
	case KEY_NAME:
		return config_flag(&a->ctx->flags, K_RUNNER_SCALE_SET_NAME,
		    "name", val);
	case KEY_DELETE:
		a->del = 1;
		return NULL;
	case KEY_JIT:
		a->jit = val;
		return NULL;
	case 'n':
		a->dry_run = 1;
		return NULL;
	case 'o':
		return cmd_output_parse(val, OUT_ALLOW_TABLE_JSON,
		    &a->fmt);
	}
	return error_fmt(ERR_SOFTWARE, "register: option %d unhandled", key);
}

/* The result: the scale set and what was (or would be) done to it. */
static void
print_result(const struct register_args *a, int64_t id, const char *name,
    int64_t group, const char *const *labels, size_t n, const char *action)
{
	cJSON	*o, *l;
	char	*s;
	size_t	 i;

	if (a->fmt != OUT_JSON) {
		if (a->dry_run)
			printf("would %s scale set '%s'%s\n", action, name,
			    id > 0 ? "" : " (no id yet)");
		if (id > 0 && strcmp(action, "delete") != 0 &&
		    strcmp(action, "deleted") != 0)
			printf("%lld\n", (long long)id);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "runnerGroupId", (double)group);
	l = cJSON_AddArrayToObject(o, "labels");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(l, cJSON_CreateString(labels[i]));
	cJSON_AddStringToObject(o, "action", action);
	cJSON_AddBoolToObject(o, "dryRun", a->dry_run);
	s = json_print(o);
	cJSON_Delete(o);
	printf("%s\n", s);
	free(s);
}

static const struct error *
do_jit(struct ctx *ctx, struct cmd_as *c, const struct register_args *a)
{
	const struct error	*e;
	struct as_runner	 r;
	char			*jit = NULL;

	memset(&r, 0, sizeof(r));
	if ((e = cmd_as_scale_set(ctx, c, NULL)) != NULL)
		return e;
	if (a->dry_run) {
		printf("would generate a JIT config for runner '%s' of scale "
		    "set %lld\n", a->jit, (long long)c->scale_set_id);
		return NULL;
	}
	e = actions_jit_config(c->as, c->scale_set_id, a->jit, "", &jit, &r);
	if (e != NULL && actions_exception(c->as) == AS_EXC_AGENT_EXISTS)
		e = error_fmt(ERR_FAIL, "a runner named '%s' already exists; "
		    "pick another name or remove it first", a->jit);
	if (e == NULL) {
		log_info("runner '%s' (id %lld) registered in scale set %lld",
		    r.name, (long long)r.id, (long long)c->scale_set_id);
		printf("%s\n", jit);
	}
	secret_free(jit);
	asmsg_runner_release(&r);
	return e;
}

static const struct error *
do_delete(struct ctx *ctx, struct cmd_as *c, const struct register_args *a)
{
	const struct error	*e;
	struct as_scale_set	 ss;
	int64_t			 gid;
	int			 found;

	if ((e = actions_runner_group_id(c->as,
	    config_str(&ctx->cfg, K_RUNNER_GROUP), &gid)) != NULL ||
	    (e = actions_scale_set_find(c->as, gid, c->name, &ss, &found)) !=
	    NULL)
		return e;
	if (!found) {
		log_warn("scale set '%s' does not exist; nothing to delete",
		    c->name);
		print_result(a, 0, c->name, gid, NULL, 0, "absent");
		return NULL;
	}
	if (!a->dry_run && (e = actions_scale_set_delete(c->as, ss.id)) !=
	    NULL)
		goto out;
	log_info("scale set '%s' (id %lld) %sdeleted", c->name,
	    (long long)ss.id, a->dry_run ? "would be " : "");
	print_result(a, ss.id, c->name, gid, (const char *const *)ss.labels,
	    ss.nlabels, a->dry_run ? "delete" : "deleted");
out:
	asmsg_scale_set_release(&ss);
	return e;
}

/* 1 when label (case-insensitive, as runs-on matches) is in v. */
static int
has_label(char *const *v, size_t n, const char *label)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (str_ieq(v[i], label))
			return 1;
	return 0;
}

/*
 * The scale set's labels: its name first, then RUNNER_LABELS without it.
 * ERR_CONFIG when they do not fit CA_LABELS_MAX.
 */
static const struct error *
set_labels(struct ctx *ctx, const char *name, char *buf, size_t size,
    const char **labels, size_t *n)
{
	const char	*more[CA_LABELS_MAX + 1];
	size_t		 m, i;

	m = cmd_as_labels(config_str(&ctx->cfg, K_RUNNER_LABELS), buf, size,
	    more, CA_LABELS_MAX + 1);
	labels[0] = name;
	*n = 1;
	for (i = 0; i < m; i++) {
		if (str_ieq(more[i], name))
			continue;
		if (*n == CA_LABELS_MAX)
			return error_fmt(ERR_CONFIG, "RUNNER_LABELS: a scale "
			    "set has at most %d labels, its name included",
			    CA_LABELS_MAX);
		labels[(*n)++] = more[i];
	}
	return NULL;
}

static const struct error *
do_register(struct ctx *ctx, struct cmd_as *c, const struct register_args *a)
{
	const struct error	*e;
	struct as_scale_set	 ss, ns;
	const char		*labels[CA_LABELS_MAX];
	char			 lbuf[4096];
	const char		*action = "unchanged";
	int64_t			 gid;
	size_t			 n;
	int			 found;

	memset(&ns, 0, sizeof(ns));
	if ((e = set_labels(ctx, c->name, lbuf, sizeof(lbuf), labels, &n)) !=
	    NULL)
		return e;
	if ((e = actions_runner_group_id(c->as,
	    config_str(&ctx->cfg, K_RUNNER_GROUP), &gid)) != NULL ||
	    (e = actions_scale_set_find(c->as, gid, c->name, &ss, &found)) !=
	    NULL)
		return e;
	if (!found) {
		action = a->dry_run ? "create" : "created";
		if (!a->dry_run && (e = actions_scale_set_create(c->as,
		    c->name, gid, labels, n, &ns)) != NULL)
			goto out;
		log_info("scale set '%s' %s", c->name, a->dry_run ?
		    "would be created" : "created");
	} else if (!asmsg_labels_equal(ss.labels, ss.nlabels,
	    (char *const *)labels, n)) {
		if (!has_label(ss.labels, ss.nlabels, c->name))
			log_warn("scale set '%s' (id %lld) lacks its name among "
			    "its labels, so 'runs-on: %s' does not reach it; "
			    "%s", c->name, (long long)ss.id, c->name,
			    a->dry_run ? "register would add it" : "adding it");
		action = a->dry_run ? "update" : "updated";
		if (!a->dry_run && (e = actions_scale_set_update_labels(c->as,
		    ss.id, labels, n, &ns)) != NULL)
			goto out;
		log_info("labels of scale set '%s' %s", c->name, a->dry_run ?
		    "would be updated" : "updated");
	}
	print_result(a, ns.id > 0 ? ns.id : ss.id, c->name, gid, labels, n,
	    action);
out:
	asmsg_scale_set_release(&ss);
	asmsg_scale_set_release(&ns);
	return e;
}

static const struct error *
cmd_register(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct register_args	 a;
	struct cmd_as		 c;

	memset(&a, 0, sizeof(a));
	a.ctx = ctx;
	cmd_as_init(&c);
	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, register_opt, &a)) !=
	    NULL || ctx->done)
		return e;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[0]);
	if (a.jit != NULL && a.del)
		return cmd_usage_error(ctx, "--jit and --delete do not go "
		    "together");
	if ((e = cmd_as_open(ctx, &c, a.jit == NULL)) != NULL)
		goto out;
	if (a.jit != NULL)
		e = do_jit(ctx, &c, &a);
	else if (a.del)
		e = do_delete(ctx, &c, &a);
	else
		e = do_register(ctx, &c, &a);
out:
	cmd_as_close(&c);
	return e;
}

const struct cmd cmd_register_def = {
	"register", cmd_register,
	"register [-n] [-o table|json] [--name NAME] [--delete]\n"
	"register [-n] --jit RUNNER_NAME",
	"create or update the runner scale set, print its id",
	register_opts, NULL
};
