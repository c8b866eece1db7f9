/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl runners: look at and manage the self-hosted runners GitHub knows
 * for the configured org, repository or enterprise: list, show, delete,
 * count (what `metric` publishes), registration/remove tokens and JIT
 * configs.  Lists stream page by page: JSON and CSV rows are written as
 * pages arrive, and the aligned table is spooled to an unlinked temporary
 * file while the column widths are measured, so memory stays flat however
 * many runners there are.  Tokens and JIT configs go to stdout only.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "github.h"
#include "log.h"
#include "out.h"
#include "util.h"

#define KEY_STATUS	256
#define KEY_BUSY	257
#define KEY_IDLE	258
#define KEY_NOHEADERS	259
#define KEY_STREAM	260
#define KEY_OFFLINE	261
#define KEY_GROUP	262
#define KEY_SORT	263
#define RUNNERS_MAX_LABELS	100
#define RUNNERS_NCOLS	6
#define RUNNERS_ROW_MAX	(GH_RUNNER_MAX_LABELS * GH_LABEL_MAX + 1024)

static const struct opt list_opts[] = {
	{ "label", 'l', OPT_REQ, "L", "only runners with label L (repeatable)" },
	{ "status", KEY_STATUS, OPT_REQ, "STATUS", "online or offline" },
	{ "busy", KEY_BUSY, OPT_NONE, NULL, "only runners running a job" },
	{ "idle", KEY_IDLE, OPT_NONE, NULL, "only online runners not running a job" },
	{ "output", 'o', OPT_REQ, "FORMAT", "table, json or csv" },
	{ "no-headers", KEY_NOHEADERS, OPT_NONE, NULL, "no header line" },
	{ "stream", KEY_STREAM, OPT_NONE, NULL, "JSON lines instead of one array" },
	{ "sort", KEY_SORT, OPT_REQ, "FIELD", "sort by id, name, status, busy, "
	    "labels or os ('-' first: reverse)" },
	{ "limit", 'L', OPT_REQ, "N", "print at most N runners" },
	OPT_END
};

static const struct opt show_opts[] = {
	{ "output", 'o', OPT_REQ, "FORMAT", "table or json" },
	OPT_END
};

static const struct opt delete_opts[] = {
	{ "offline-only", KEY_OFFLINE, OPT_NONE, NULL,
	    "skip runners that are online" },
	{ "dry-run", 'n', OPT_NONE, NULL, "print what would be deleted" },
	OPT_END
};

static const struct opt count_opts[] = {
	{ "label", 'l', OPT_REQ, "L", "only runners with label L (repeatable)" },
	{ "output", 'o', OPT_REQ, "FORMAT", "table, json or csv" },
	{ "no-headers", KEY_NOHEADERS, OPT_NONE, NULL, "no header line" },
	OPT_END
};

static const struct opt jit_opts[] = {
	{ "label", 'l', OPT_REQ, "L", "runner label (repeatable, at least one)" },
	{ "runner-group", KEY_GROUP, OPT_REQ, "ID",
	    "runner group id (default 1, the default group)" },
	OPT_END
};

struct runners_args {
	const char	*labels[RUNNERS_MAX_LABELS];
	size_t		 nlabels;
	int		 status;	/* 0 any, 1 online, 2 offline */
	int		 busy, idle;
	enum out_fmt	 fmt;
	int		 no_headers, stream;
	int		 offline_only, dry_run;
	int64_t		 group;
	const char	*sort;
	size_t		 limit;
};

static const struct error *
runners_opt(void *arg, int key, const char *val)
{
	struct runners_args	*a = arg;
	uint64_t		 v;

	switch (key) {
	case 'l':
		if (a->nlabels == RUNNERS_MAX_LABELS)
			return error_fmt(ERR_USAGE, "at most %d labels",
			    RUNNERS_MAX_LABELS);
		if (*val == '\0')
			return error_fmt(ERR_USAGE, "empty label");
		a->labels[a->nlabels++] = val;
		return NULL;
	case KEY_STATUS:
		if (strcmp(val, "online") == 0)
			a->status = 1;
		else if (strcmp(val, "offline") == 0)
			a->status = 2;
		else
			return error_fmt(ERR_USAGE, "--status is online or "
			    "offline, not '%s'", val);
		return NULL;
	case KEY_BUSY:
		a->busy = 1;
		return NULL;
	case KEY_IDLE:
		a->idle = 1;
		return NULL;
	case 'o':
		return cmd_output_parse(val, OUT_ALLOW_ALL, &a->fmt);
	case KEY_NOHEADERS:
		a->no_headers = 1;
		return NULL;
	case KEY_STREAM:
		a->stream = 1;
		return NULL;
	case KEY_OFFLINE:
		a->offline_only = 1;
		return NULL;
	case 'n':
		a->dry_run = 1;
		return NULL;
	case KEY_SORT:
		a->sort = val;
		return NULL;
	case 'L':
		if (parse_u64(val, &v) == -1 || v == 0 || v > SIZE_MAX)
			return error_fmt(ERR_USAGE, "--limit wants a number "
			    "of runners above 0, not '%s'", val);
		a->limit = (size_t)v;
		return NULL;
	case KEY_GROUP:
		if (parse_u64(val, &v) == -1 || v == 0 || v > INT64_MAX)
			return error_fmt(ERR_USAGE, "--runner-group wants a "
			    "group id, not '%s'", val);
		a->group = (int64_t)v;
		return NULL;
	}
	return error_fmt(ERR_SOFTWARE, "runners: option %d unhandled", key);
}

/* Does arg (an option) take the next argument as its value? */
static int
takes_value(const struct opt *own, const char *arg)
{
	const struct opt	*o, *tabs[2];
	size_t			 i, n;

	tabs[0] = own;
	tabs[1] = cmd_common_opts();
	for (i = 0; i < 2; i++) {
		for (o = tabs[i]; o != NULL && o->name != NULL; o++) {
			if (arg[1] == '-') {
				n = strlen(o->name);
				if (strncmp(arg + 2, o->name, n) == 0 &&
				    arg[2 + n] == '\0')
					return o->arg == OPT_REQ;
			} else if (o->key == (unsigned char)arg[1] &&
			    arg[2] == '\0')
				return o->arg == OPT_REQ;
		}
	}
	return 0;
}

/*
 * Move operands after the options (GNU style), so `runners jit NAME
 * --label L` works although cmd_parse() stops at the first operand.
 */
static void
permute(const struct opt *own, int argc, char *argv[])
{
	char	**tmp;
	int	   i, nopt = 1, nop = 0;

	tmp = xcalloc((size_t)argc + 1, sizeof(*tmp));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				tmp[argc - 1 - nop++] = argv[i++];
			break;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			argv[nopt++] = argv[i];
			if (takes_value(own, argv[i]) && i + 1 < argc)
				argv[nopt++] = argv[++i];
		} else
			tmp[argc - 1 - nop++] = argv[i];
	}
	/* tmp holds the operands in reverse order at its end. */
	for (i = 0; i < nop; i++)
		argv[nopt + i] = tmp[argc - 1 - i];
	free(tmp);
}

static const struct error *
parse(struct ctx *ctx, struct runners_args *a, int *argcp, char ***argvp)
{
	memset(a, 0, sizeof(*a));
	a->group = 1;
	permute(ctx->cmd->opts, *argcp, *argvp);
	return cmd_parse(ctx, ctx->cmd, argcp, argvp, runners_opt, a);
}

static const struct error *
open_github(struct ctx *ctx, struct github **gh)
{
	const struct error	*e;
	struct http_client	*http;

	if ((e = ctx_http(ctx, &http)) != NULL)
		return e;
	return github_new(&ctx->cfg, http, gh);
}

/* Labels joined with sep, control characters replaced (terminal safety). */
static const struct error *
join_labels(const struct gh_runner *r, const char *sep, struct buf *out)
{
	const struct error	*e;
	size_t			 i;

	for (i = 0; i < r->nlabels; i++)
		if ((i > 0 && (e = buf_adds(out, sep)) != NULL) ||
		    (e = buf_adds(out, r->labels[i])) != NULL)
			return e;
	return NULL;
}

static void
clean_ctl(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* The columns of runners list, in every format (out.h). */
static const struct out_col list_cols[RUNNERS_NCOLS] = {
	{ "ID", "id", OUT_NUM, 0 },
	{ "NAME", "name", OUT_STR, 0 },
	{ "STATUS", "status", OUT_STR, 0 },
	{ "BUSY", "busy", OUT_BOOL, 0 },
	{ "LABELS", "labels", OUT_LIST, 0 },
	{ "OS", "os", OUT_STR, 0 }
};

struct list_out {
	struct runners_args	*a;
	struct out		*out;
	size_t			 seen;		/* runners GitHub listed */
	int			 full;		/* -L rows, unsorted: stop */
	struct buf		 scratch;
};

static int
list_match(const struct runners_args *a, const struct gh_runner *r)
{
	if (!gh_runner_has_labels(r, a->labels, a->nlabels))
		return 0;
	if ((a->status == 1 && !r->online) || (a->status == 2 && r->online))
		return 0;
	if (a->busy && !r->busy)
		return 0;
	if (a->idle && (r->busy || !r->online))
		return 0;
	return 1;
}

static const struct error *
list_one(void *arg, const struct gh_runner *r)
{
	static const char	 sep[2] = { OUT_LIST_SEP, '\0' };
	struct list_out		*lo = arg;
	const struct error	*e;
	const char		*f[RUNNERS_NCOLS];
	char			 id[24];

	lo->seen++;
	if (!list_match(lo->a, r))
		return NULL;
	buf_reset(&lo->scratch);
	if ((e = join_labels(r, sep, &lo->scratch)) != NULL)
		return e;
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	f[0] = id;
	f[1] = r->name;
	f[2] = r->status;
	f[3] = r->busy ? "yes" : "no";
	f[4] = lo->scratch.p != NULL ? lo->scratch.p : "";
	f[5] = r->os;
	out_row(lo->out, f);
	/* Unsorted, the first -L rows are the answer: no more pages. */
	if (lo->a->sort == NULL && lo->a->limit > 0 &&
	    out_count(lo->out) >= lo->a->limit) {
		lo->full = 1;
		return error_fmt(ERR_FAIL, "runners list: --limit reached");
	}
	return NULL;
}

/*
 * Nothing listed: say why on stderr (the output stays an empty table,
 * CSV header or JSON array), and exit 0.
 */
static void
list_none(const struct list_out *lo)
{
	const struct runners_args	*a = lo->a;

	if (a->nlabels > 0 || a->status != 0 || a->busy || a->idle)
		log_warn("no runner matched the filters (of %zu runner%s)",
		    lo->seen, lo->seen == 1 ? "" : "s");
	else
		log_warn("no runners registered");
}

static const struct error *
runners_list(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct runners_args	 a;
	struct github		*gh = NULL;
	struct list_out		 lo;

	memset(&lo, 0, sizeof(lo));
	buf_init(&lo.scratch, RUNNERS_ROW_MAX);
	if ((e = parse(ctx, &a, &argc, &argv)) != NULL || ctx->done)
		return e;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[0]);
	if (a.busy && a.idle)
		return cmd_usage_error(ctx, "--busy and --idle exclude each "
		    "other");
	if (a.stream && a.fmt != OUT_JSON)
		return cmd_usage_error(ctx, "--stream goes with -o json");
	lo.a = &a;
	lo.out = out_new(a.fmt, list_cols, RUNNERS_NCOLS,
	    (a.no_headers ? OUT_NO_HEADERS : 0) | (a.stream ? OUT_LINES : 0));
	out_limit(lo.out, a.limit);
	if ((a.sort != NULL && (e = out_sort(lo.out, a.sort)) != NULL) ||
	    (e = open_github(ctx, &gh)) != NULL)
		goto out;
	e = github_runners_each(gh, NULL, list_one, &lo);
	if (lo.full)
		e = NULL;
	if (e == NULL)
		e = out_end(lo.out);
	if (e == NULL && out_count(lo.out) == 0)
		list_none(&lo);
	log_info("%zu runners listed", out_count(lo.out));
out:
	out_free(lo.out);
	buf_release(&lo.scratch);
	github_free(gh);
	return e;
}

static const struct error *
runners_show(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct runners_args	 a;
	struct github		*gh = NULL;
	struct gh_runner	 r;
	struct buf		 b = BUF_INIT(RUNNERS_ROW_MAX);

	memset(&r, 0, sizeof(r));
	if ((e = parse(ctx, &a, &argc, &argv)) != NULL || ctx->done)
		return e;
	if (argc != 1)
		return cmd_usage_error(ctx, "show takes one runner id or name");
	if (a.fmt == OUT_CSV)
		return cmd_usage_error(ctx, "show prints table or json");
	if ((e = open_github(ctx, &gh)) != NULL ||
	    (e = github_runner_find(gh, argv[0], &r)) != NULL)
		goto out;
	if (a.fmt == OUT_JSON) {
		if ((e = ghjson_runner_format(&r, &b)) == NULL)
			printf("%s\n", b.p);
		goto out;
	}
	if ((e = join_labels(&r, ",", &b)) != NULL)
		goto out;
	clean_ctl(r.name);
	printf("ID         %lld\nNAME       %s\nSTATUS     %s\nBUSY       %s\n"
	    "LABELS     %s\nOS         %s\n", (long long)r.id, r.name, r.status,
	    r.busy ? "yes" : "no", b.p != NULL ? b.p : "", r.os);
	if (r.runner_group_id != 0)
		printf("GROUP      %lld\n", (long long)r.runner_group_id);
	printf("EPHEMERAL  %s\n", r.ephemeral ? "yes" : "no");
out:
	gh_runner_release(&r);
	buf_release(&b);
	github_free(gh);
	return e;
}

/* Delete one runner named by id or name; prints what it did. */
static const struct error *
delete_one(struct github *gh, const struct runners_args *a, const char *arg)
{
	const struct error	*e;
	struct gh_runner	 r;

	if ((e = github_runner_find(gh, arg, &r)) != NULL)
		return e;
	if (a->offline_only && r.online) {
		log_warn("runner %lld (%s) is online: skipped (--offline-only)",
		    (long long)r.id, r.name);
	} else if (a->dry_run)
		printf("would delete runner %lld (%s)\n", (long long)r.id,
		    r.name);
	else if ((e = github_runner_delete(gh, r.id)) == NULL)
		printf("deleted runner %lld (%s)\n", (long long)r.id, r.name);
	else if (e->http_status == 422)
		e = error_http(ERR_FAIL, 422, "runner %lld (%s) not deleted: "
		    "%s (a busy runner cannot be deleted; wait for its job)",
		    (long long)r.id, r.name, e->msg);
	gh_runner_release(&r);
	return e;
}

static const struct error *
runners_delete(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct runners_args	 a;
	struct github		*gh = NULL;
	int			 i, nfail = 0;
	enum err_class		 cls = ERR_FAIL;

	if ((e = parse(ctx, &a, &argc, &argv)) != NULL || ctx->done)
		return e;
	if (argc == 0)
		return cmd_usage_error(ctx, "delete needs runner ids or names");
	if ((e = open_github(ctx, &gh)) != NULL)
		return e;
	for (i = 0; i < argc; i++) {
		if ((e = delete_one(gh, &a, argv[i])) == NULL)
			continue;
		if (argc == 1)
			goto out;
		/* Several runners: report each failure, go on. */
		log_warn("%s", e->msg);
		if (nfail++ == 0)
			cls = e->class;
	}
	e = NULL;
	if (nfail > 0)
		e = error_fmt(cls, "%d of %d runners not deleted", nfail, argc);
out:
	github_free(gh);
	return e;
}

static const struct error *
runners_count(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct runners_args	 a;
	struct github		*gh = NULL;
	struct runner_counts	 c;
	struct out		*o;
	char			 n[3][16];
	const char		*f[3] = { n[0], n[1], n[2] };
	static const struct out_col count_cols[] = {
		{ "BUSY", "busy", OUT_NUM, 0 },
		{ "IDLE", "idle", OUT_NUM, 0 },
		{ "OFFLINE", "offline", OUT_NUM, 0 }
	};

	if ((e = parse(ctx, &a, &argc, &argv)) != NULL || ctx->done)
		return e;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[0]);
	if ((e = open_github(ctx, &gh)) != NULL ||
	    (e = github_runner_counts(gh, a.labels, a.nlabels, &c)) != NULL)
		goto out;
	snprintf(n[0], sizeof(n[0]), "%u", c.busy);
	snprintf(n[1], sizeof(n[1]), "%u", c.idle);
	snprintf(n[2], sizeof(n[2]), "%u", c.offline);
	o = out_new(a.fmt, count_cols, 3, OUT_LINES |
	    (a.no_headers ? OUT_NO_HEADERS : 0));
	out_row(o, f);
	e = out_end(o);
	out_free(o);
out:
	github_free(gh);
	return e;
}

static const struct error *
runners_token(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct runners_args	 a;
	struct github		*gh = NULL;
	enum gh_token_kind	 kind = GH_TOKEN_REGISTER;
	char			*tok = NULL, exp[64];

	if ((e = parse(ctx, &a, &argc, &argv)) != NULL || ctx->done)
		return e;
	if (argc > 1)
		return cmd_usage_error(ctx, "token takes 'register' or "
		    "'remove'");
	if (argc == 1 && strcmp(argv[0], "remove") == 0)
		kind = GH_TOKEN_REMOVE;
	else if (argc == 1 && strcmp(argv[0], "register") != 0)
		return cmd_usage_error(ctx, "token kind is register or remove, "
		    "not '%s'", argv[0]);
	if ((e = open_github(ctx, &gh)) != NULL ||
	    (e = github_token(gh, kind, &tok, exp, sizeof(exp))) != NULL)
		goto out;
	printf("%s\n", tok);
	log_info("%s token expires at %s", kind == GH_TOKEN_REGISTER ?
	    "registration" : "remove", exp[0] ? exp : "an unknown time");
out:
	secret_free(tok);
	github_free(gh);
	return e;
}

static const struct error *
runners_jit(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e;
	struct runners_args	 a;
	struct github		*gh = NULL;
	struct gh_runner	 r;
	char			*jit = NULL;

	memset(&r, 0, sizeof(r));
	if ((e = parse(ctx, &a, &argc, &argv)) != NULL || ctx->done)
		return e;
	if (argc != 1)
		return cmd_usage_error(ctx, "jit takes one runner name");
	if (a.nlabels == 0)
		return cmd_usage_error(ctx, "jit needs at least one --label");
	if ((e = open_github(ctx, &gh)) != NULL ||
	    (e = github_jit_config(gh, argv[0], a.labels, a.nlabels, a.group,
	    &jit, &r)) != NULL)
		goto out;
	printf("%s\n", jit);
	log_info("created JIT runner %lld (%s)", (long long)r.id, r.name);
out:
	gh_runner_release(&r);
	secret_free(jit);
	github_free(gh);
	return e;
}

static const struct cmd runners_sub[] = {
	{ "list", runners_list, "runners list [--label L]... [--status "
	    "online|offline] [--busy|--idle] [-o table|json|csv] "
	    "[--no-headers] [--stream] [--sort FIELD] [-L N]",
	    "list runners, page by page", list_opts, NULL },
	{ "show", runners_show, "runners show [-o table|json] ID|NAME",
	    "show one runner", show_opts, NULL },
	{ "delete", runners_delete, "runners delete [--offline-only] "
	    "[-n|--dry-run] ID|NAME...",
	    "delete runners (GitHub refuses busy ones)", delete_opts, NULL },
	{ "count", runners_count, "runners count [--label L]... "
	    "[-o table|json|csv] [--no-headers]",
	    "count online busy, online idle and offline runners", count_opts,
	    NULL },
	{ "token", runners_token, "runners token [register|remove]",
	    "print a registration or remove token", NULL, NULL },
	{ "jit", runners_jit, "runners jit --label L... [--runner-group ID] "
	    "NAME", "print a just-in-time runner config (secret)", jit_opts,
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

const struct cmd cmd_runners_def = {
	"runners", NULL,
	"runners list [--label L]... [--status online|offline] [--busy|--idle] "
	"[-o table|json|csv] [--no-headers] [--stream] [--sort FIELD] [-L N]\n"
	"runners show [-o table|json] ID|NAME\n"
	"runners delete [--offline-only] [-n|--dry-run] ID|NAME...\n"
	"runners count [--label L]... [-o table|json|csv] [--no-headers]\n"
	"runners token [register|remove]\n"
	"runners jit --label L... [--runner-group ID] NAME",
	"list, count and delete self-hosted runners; tokens and JIT configs",
	NULL, runners_sub
};
