/*
 * SPDX-License-Identifier: ISC
 *
 * The user-data template of a runner instance (see userdata.h): the
 * built-in template, reading a template file, and rendering one.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ec2.h"
#include "userdata.h"

static const char default_tmpl[] =
	"#!/bin/sh\n"
	"# ghrctl runner bootstrap (cloud-init user data).  Before the launch\n"
	"# ghrctl fills in the placeholders RUNNER_NAME, SCALE_SET_ID,\n"
	"# SCALE_SET_NAME and SIGNING_KEY (each in double braces).  No secret\n"
	"# is in here: `ghrctl boot` (the same binary, on the AMI) publishes a\n"
	"# key on the serial console, receives the runner's JIT config sealed\n"
	"# to it through the instance's tags, checks ghrctl's signature with\n"
	"# SIGNING_KEY and starts the runner (see ghrctl-boot(1)).  The\n"
	"# instance powers off when ghrctl boot exits, and\n"
	"# InstanceInitiatedShutdownBehavior=terminate ends it (a warm pool\n"
	"# instance stops instead; ghrctl terminates it after its job).\n"
	"set -u\n"
	"RUNNER_DIR=${RUNNER_DIR:-/opt/actions-runner}\n"
	"RUNNER_USER=${RUNNER_USER:-runner}\n"
	"GHRCTL_SIGNING_KEY={{SIGNING_KEY}}\n"
	"GHRCTL_SCALE_SET_ID={{SCALE_SET_ID}}\n"
	"trap 'shutdown -h now' EXIT\n"
	"exec >>/var/log/ghrctl-runner.log 2>&1\n"
	"echo \"ghrctl: runner {{RUNNER_NAME}} of scale set {{SCALE_SET_NAME}} ({{SCALE_SET_ID}})\"\n"
	"if [ ! -x \"$RUNNER_DIR/run.sh\" ]; then\n"
	"\techo \"ghrctl: $RUNNER_DIR/run.sh missing: bake the actions runner into the AMI\"\n"
	"\texit 1\n"
	"fi\n"
	"id \"$RUNNER_USER\" >/dev/null 2>&1 || useradd -m \"$RUNNER_USER\"\n"
	"chown -R \"$RUNNER_USER\" \"$RUNNER_DIR\"\n"
	"# A warm pool instance boots twice (ghrctl:pool): cloud-init runs user\n"
	"# data on the first boot only, and per-boot scripts on every boot.\n"
	"PER_BOOT=/var/lib/cloud/scripts/per-boot/ghrctl-runner.sh\n"
	"if [ -d \"${PER_BOOT%/*}\" ] && [ \"$0\" != \"$PER_BOOT\" ]; then\n"
	"\tcp \"$0\" \"$PER_BOOT\" && chmod 700 \"$PER_BOOT\"\n"
	"fi\n"
	"ghrctl boot --signing-key \"$GHRCTL_SIGNING_KEY\" \\\n"
	"    --scale-set-id \"$GHRCTL_SCALE_SET_ID\" --user \"$RUNNER_USER\" \\\n"
	"    --runner \"$RUNNER_DIR/run.sh\"\n";

/* see userdata.h */
const char *
userdata_default_template(void)
{
	return default_tmpl;
}

/* see userdata.h */
const struct error *
userdata_read(const char *path, char **out)
{
	struct buf	 b = BUF_INIT(EC2_USER_DATA_MAX + 1);
	const struct error *e = NULL;
	char		 tmp[4096];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_fmt(ERR_CONFIG, "cannot read user-data template "
		    "'%s': %s", path, strerror(errno));
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			e = error_fmt(ERR_CONFIG, "cannot read user-data "
			    "template '%s': %s", path, strerror(errno));
			break;
		}
		if ((e = buf_add(&b, tmp, (size_t)n)) != NULL) {
			e = error_fmt(ERR_CONFIG, "user-data template '%s' is "
			    "larger than EC2's %u bytes", path,
			    EC2_USER_DATA_MAX);
			break;
		}
	}
	close(fd);
	if (e == NULL && (e = buf_addc(&b, '\0')) == NULL)
		*out = buf_detach(&b, NULL);
	buf_release(&b);
	return e;
}

/*
 * Where a placeholder sits in the shell script, so that its value is
 * quoted for that place (POSIX Shell Command Language: 2.2 Quoting, 2.3
 * Token Recognition, 2.6.2 Parameter Expansion, 2.6.3 Command
 * Substitution, 2.6.4 Arithmetic Expansion, 2.7.4 Here-Document).
 */
enum sh_where {
	SH_TOP,		/* unquoted (also inside $(...)) */
	SH_SQ,		/* '...' */
	SH_DQ,		/* "..." */
	SH_BQ,		/* `...` */
	SH_COMMENT,	/* # ... to the end of the line */
	SH_HEREDOC,	/* here-document body, expanded */
	SH_HEREDOC_RAW,	/* here-document body, quoted delimiter */
	SH_PARAM,	/* ${...} */
	SH_ARITH,	/* $((...)) */
	SH_ANSI		/* $'...' (bash, ksh) */
};

#define SH_DEPTH	32
#define SH_DELIM_MAX	64

struct sh_scan {
	unsigned char	 st[SH_DEPTH];
	unsigned int	 paren[SH_DEPTH];	/* open ( of $( and $(( */
	size_t		 n;
	char		 delim[SH_DELIM_MAX];	/* of the pending here-doc */
	int		 pending;		/* 1 expanded, 2 raw */
	int		 tabs;			/* <<- strips leading tabs */
	char		 body_delim[SH_DELIM_MAX];
	int		 body_tabs;
	int		 word_start;		/* '#' would start a comment */
	int		 line_start;
	int		 glue;			/* a $ or \ just before */
	int		 bad_delim;		/* a placeholder in <<WORD */
};

static const struct error *
sh_push(struct sh_scan *sc, enum sh_where w, unsigned int paren)
{
	if (sc->n == SH_DEPTH)
		return error_fmt(ERR_CONFIG, "user-data template: quotes and "
		    "substitutions nest deeper than %d", SH_DEPTH);
	sc->st[sc->n] = (unsigned char)w;
	sc->paren[sc->n] = paren;
	sc->n++;
	return NULL;
}

static void
sh_pop(struct sh_scan *sc)
{
	if (sc->n > 1)
		sc->n--;
}

static int
sh_word_char(char c)
{
	return c != '\0' && strchr(" \t\n;&|<>()", c) == NULL;
}

/* After "<<" or "<<-" at p: note the delimiter; returns the bytes read. */
static size_t
sh_heredoc(struct sh_scan *sc, const char *p)
{
	size_t	 i = 2, n = 0;
	int	 raw = 0;

	sc->tabs = p[i] == '-';
	if (sc->tabs)
		i++;
	while (p[i] == ' ' || p[i] == '\t')
		i++;
	for (; sh_word_char(p[i]); i++) {
		if (p[i] == '{' && p[i + 1] == '{')
			sc->bad_delim = 1;
		if (p[i] == '\'' || p[i] == '"' || p[i] == '\\') {
			raw = 1;
			continue;
		}
		if (n + 1 < sizeof(sc->delim))
			sc->delim[n++] = p[i];
	}
	sc->delim[n] = '\0';
	sc->pending = n == 0 ? 0 : raw ? 2 : 1;
	return i;
}

/* At a line start in a here-document: does the line end it? */
static int
sh_heredoc_end(const struct sh_scan *sc, const char *p)
{
	size_t	 n = strlen(sc->body_delim);

	while (sc->body_tabs && *p == '\t')
		p++;
	return strncmp(p, sc->body_delim, n) == 0 &&
	    (p[n] == '\n' || p[n] == '\0');
}

/* "$((", "$(", "${" or "`" at p: the frame it opens, if any. */
static const struct error *
sh_expansion(struct sh_scan *sc, const char *p, size_t *used, int *hit)
{
	*hit = 1;
	if (p[0] == '$' && p[1] == '(' && p[2] == '(') {
		*used = 3;
		return sh_push(sc, SH_ARITH, 2);
	}
	if (p[0] == '$' && p[1] == '(') {
		*used = 2;
		return sh_push(sc, SH_TOP, 1);
	}
	if (p[0] == '$' && p[1] == '{') {
		*used = 2;
		return sh_push(sc, SH_PARAM, 0);
	}
	if (p[0] == '`')
		return sh_push(sc, SH_BQ, 0);
	*hit = 0;
	return NULL;
}

/* Follow the template text at p; *used: the bytes taken (1 or more). */
static const struct error *
sh_step(struct sh_scan *sc, const char *p, size_t *used)
{
	enum sh_where	 w = (enum sh_where)sc->st[sc->n - 1];
	const struct error *e = NULL;
	char		 c = *p;
	int		 ws = sc->word_start, ls = sc->line_start, hit;

	*used = 1;
	sc->word_start = strchr(" \t\n;&|()", c) != NULL;
	sc->line_start = c == '\n';
	if (c == '\\' && p[1] != '\0' && w != SH_SQ && w != SH_COMMENT &&
	    w != SH_HEREDOC_RAW) {	/* SH_ANSI too: \' does not close */
		*used = 2;
		return NULL;
	}
	switch (w) {
	case SH_COMMENT:
		if (c != '\n')
			return NULL;
		sh_pop(sc);
		w = (enum sh_where)sc->st[sc->n - 1];
		break;		/* the newline ends a command too */
	case SH_SQ:
	case SH_ANSI:
		if (c == '\'')
			sh_pop(sc);
		return NULL;
	case SH_HEREDOC_RAW:
	case SH_HEREDOC:
		if (ls && sh_heredoc_end(sc, p)) {
			sh_pop(sc);
			sc->line_start = 0;
			*used = strlen(sc->body_delim) + strspn(p, "\t");
			return NULL;
		}
		if (w == SH_HEREDOC_RAW)
			return NULL;
		return sh_expansion(sc, p, used, &hit);
	case SH_DQ:
		if (c == '"') {
			sh_pop(sc);
			return NULL;
		}
		return sh_expansion(sc, p, used, &hit);
	case SH_ARITH:
		if (c == '(')
			sc->paren[sc->n - 1]++;
		else if (c == ')' && --sc->paren[sc->n - 1] == 0)
			sh_pop(sc);
		else
			return sh_expansion(sc, p, used, &hit);
		return NULL;
	case SH_PARAM:
		if (c == '}') {
			sh_pop(sc);
			return NULL;
		}
		break;
	case SH_TOP:
	case SH_BQ:
		break;
	}
	if ((e = sh_expansion(sc, p, used, &hit)) != NULL || hit) {
		if (c == '`' && w == SH_BQ) {	/* closes, not opens */
			sh_pop(sc);
			sh_pop(sc);
		}
		return e;
	}
	if (c == '$' && p[1] == '\'') {
		*used = 2;
		return sh_push(sc, SH_ANSI, 0);
	}
	if (c == '\'')
		return sh_push(sc, SH_SQ, 0);
	if (c == '"')
		return sh_push(sc, SH_DQ, 0);
	if (w == SH_PARAM)
		return NULL;
	if (c == '#' && ws)
		return sh_push(sc, SH_COMMENT, 0);
	if (c == '(' && sc->paren[sc->n - 1] > 0)
		sc->paren[sc->n - 1]++;
	else if (c == ')' && sc->paren[sc->n - 1] > 0) {
		if (--sc->paren[sc->n - 1] == 0)
			sh_pop(sc);
	} else if (c == '<' && p[1] == '<') {
		*used = sh_heredoc(sc, p);
		if (sc->bad_delim)
			return error_fmt(ERR_CONFIG, "user-data template: a "
			    "placeholder in a here-document delimiter");
	} else if (c == '\n' && sc->pending) {
		memcpy(sc->body_delim, sc->delim, sizeof(sc->delim));
		sc->body_tabs = sc->tabs;
		e = sh_push(sc, sc->pending == 2 ? SH_HEREDOC_RAW : SH_HEREDOC,
		    0);
		sc->pending = 0;
		sc->line_start = 1;
	}
	return e;
}

/* Characters that mean nothing to the shell anywhere (as shlex.quote). */
static int
sh_safe(const char *v)
{
	if (*v == '\0')
		return 0;
	for (; *v != '\0'; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		    (*v >= '0' && *v <= '9') || strchr("_@%+=:,./-", *v) !=
		    NULL))
			return 0;
	return 1;
}

/* v, each of the characters in special escaped with a backslash. */
static const struct error *
sh_escape(struct buf *out, const char *v, const char *special,
    const char *with)
{
	const struct error	*e = NULL;

	for (; e == NULL && *v != '\0'; v++)
		if (strchr(special, *v) == NULL ||
		    (e = buf_adds(out, with)) == NULL)
			e = buf_addc(out, *v);
	return e;
}

/* The value v of key, quoted for where it sits in sc. */
static const struct error *
sh_value(struct buf *out, const struct sh_scan *sc, const char *key,
    const char *v)
{
	const struct error	*e = NULL;
	const char		*q;
	size_t			 i;

	for (q = v; *q != '\0'; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return error_fmt(ERR_DATA, "user data: the value of %s "
			    "holds a control character", key);
	if (sh_safe(v))
		return buf_adds(out, v);
	if (sc->glue)
		return error_fmt(ERR_CONFIG, "user-data template: %s right "
		    "after a $ or a backslash cannot be quoted safely", key);
	for (i = 1; i < sc->n; i++)
		if (sc->st[i] == SH_BQ || sc->st[i] == SH_PARAM ||
		    sc->st[i] == SH_ARITH || sc->st[i] == SH_ANSI)
			return error_fmt(ERR_CONFIG, "user-data template: %s "
			    "inside `...`, ${...}, $((...)) or $'...' cannot be "
			    "quoted safely; put it in a variable first", key);
	switch ((enum sh_where)sc->st[sc->n - 1]) {
	case SH_TOP:
		if ((e = buf_addc(out, '\'')) == NULL &&
		    (e = sh_escape(out, v, "'", "'\\'")) == NULL)
			e = buf_addc(out, '\'');
		return e;
	case SH_SQ:
		return sh_escape(out, v, "'", "'\\'");
	case SH_DQ:
		return sh_escape(out, v, "$`\"\\", "\\");
	case SH_HEREDOC:
		return sh_escape(out, v, "$`\\", "\\");
	case SH_COMMENT:
	case SH_HEREDOC_RAW:
		return buf_adds(out, v);	/* no newline in v: inert */
	case SH_BQ:
	case SH_PARAM:
	case SH_ARITH:
	case SH_ANSI:
		break;
	}
	return error_fmt(ERR_SOFTWARE, "user data: %s in an unknown place",
	    key);
}

/* see userdata.h */
const struct error *
userdata_render(const char *tmpl, const char *signing_key, const char *name,
    const char *set_id, const char *set_name, struct buf *out)
{
	static const char *const keys[] = {
		"{{SIGNING_KEY}}", "{{RUNNER_NAME}}", "{{SCALE_SET_ID}}",
		"{{SCALE_SET_NAME}}", NULL
	};
	const char		*vals[4];
	const struct error	*e;
	struct sh_scan		 sc;
	enum sh_where		 w;
	const char		*p = tmpl;
	size_t			 k, n, used;

	if (strstr(tmpl, "{{JIT_CONFIG}}") != NULL)
		return error_fmt(ERR_CONFIG, "the user-data template has "
		    "{{JIT_CONFIG}}: JIT configs are no longer put in user "
		    "data; start `ghrctl boot` with {{SIGNING_KEY}} instead "
		    "(see ghrctl-boot(1) and contrib/user-data.sh.tmpl)");
	vals[0] = signing_key;
	vals[1] = name;
	vals[2] = set_id;
	vals[3] = set_name;
	memset(&sc, 0, sizeof(sc));
	sc.n = 1;		/* SH_TOP */
	sc.word_start = sc.line_start = 1;
	while (*p != '\0') {
		for (k = 0; p[0] == '{' && p[1] == '{' && keys[k] != NULL;
		    k++) {
			n = strlen(keys[k]);
			if (strncmp(p, keys[k], n) == 0)
				break;
		}
		if (p[0] == '{' && p[1] == '{' && keys[k] != NULL) {
			if ((e = sh_value(out, &sc, keys[k], vals[k])) != NULL)
				return e;
			sc.word_start = sc.line_start = sc.glue = 0;
			p += n;
			continue;
		}
		/* A $ or \ before a placeholder: taken alone, and noted. */
		w = (enum sh_where)sc.st[sc.n - 1];
		sc.glue = (*p == '$' || *p == '\\') && p[1] == '{' &&
		    p[2] == '{' && w != SH_SQ && w != SH_COMMENT &&
		    w != SH_HEREDOC_RAW;
		if (sc.glue) {
			sc.word_start = sc.line_start = 0;
			used = 1;
		} else if ((e = sh_step(&sc, p, &used)) != NULL)
			return e;
		if ((e = buf_add(out, p, used)) != NULL)
			return e;
		p += used;
	}
	return buf_addc(out, '\0');
}
