/*
 * SPDX-License-Identifier: ISC
 *
 * userdata.c: the template renderer quotes every value for the place it
 * sits in the shell script (issue 13: a scale set named `ci$(touch X)`
 * ran `touch X` as root), and renders safe values as they are.
 */

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "t.h"
#include "userdata.h"

/* tmpl rendered with every value v ("" on failure, class in *cls). */
static char *
render(const char *tmpl, const char *v, int *cls)
{
	struct buf		 out = BUF_INIT(1u << 16);
	const struct error	*e;
	char			*s;

	*cls = 0;
	if ((e = userdata_render(tmpl, v, v, v, v, &out)) != NULL) {
		*cls = (int)e->class;
		buf_release(&out);
		return strdup("");
	}
	s = strdup(out.p);
	buf_release(&out);
	return s;
}

static void
check(const char *tmpl, const char *v, const char *want)
{
	char	*got;
	int	 cls;

	got = render(tmpl, v, &cls);
	T_EQ_INT(cls, 0);
	T_EQ_STR(got, want);
	free(got);
}

static void
refused(const char *tmpl, const char *v, int want)
{
	char	*got;
	int	 cls;

	got = render(tmpl, v, &cls);
	T_EQ_INT(cls, want);
	free(got);
}

T_REGISTER("userdata-quote", test_quote)
static void
test_quote(void)
{
	/* Safe values go in as they are, wherever they sit. */
	check("a {{RUNNER_NAME}} '{{SIGNING_KEY}}' \"{{SCALE_SET_ID}}\" {{X}}",
	    "ghrctl-1-r5", "a ghrctl-1-r5 'ghrctl-1-r5' \"ghrctl-1-r5\" {{X}}");
	check("x={{SIGNING_KEY}}", "eyJh+/b=", "x=eyJh+/b=");
	/* Unquoted: one single-quoted word. */
	check("echo {{SCALE_SET_NAME}}", "ci$(touch X)",
	    "echo 'ci$(touch X)'");
	check("echo {{SCALE_SET_NAME}}", "ci a", "echo 'ci a'");
	check("echo {{SCALE_SET_NAME}}", "", "echo ''");
	check("echo {{SCALE_SET_NAME}}", "it's", "echo 'it'\\''s'");
	/* Inside single quotes: only ' needs care. */
	check("printf '%s' '{{SIGNING_KEY}}'", "a'$(x)'b",
	    "printf '%s' 'a'\\''$(x)'\\''b'");
	/* Inside double quotes: $ ` " \ escaped. */
	check("echo \"n {{RUNNER_NAME}} .\"", "ci$(touch X)`y`\"\\",
	    "echo \"n ci\\$(touch X)\\`y\\`\\\"\\\\ .\"");
	check("echo \"it's {{RUNNER_NAME}}\"", "a'b", "echo \"it's a'b\"");
	/* A quote in a comment opens nothing. */
	check("# it's {{RUNNER_NAME}}\necho {{RUNNER_NAME}}", "a b",
	    "# it's a b\necho 'a b'");
	check("echo a#b'{{RUNNER_NAME}}'", "a b", "echo a#b'a b'");
	/* $(...) inside double quotes is unquoted again. */
	check("echo \"$(echo {{RUNNER_NAME}})\"", "a;b",
	    "echo \"$(echo 'a;b')\"");
	check("echo \"$(f \"(\" {{RUNNER_NAME}})\" {{RUNNER_NAME}}", "a b",
	    "echo \"$(f \"(\" 'a b')\" 'a b'");
	/* Here-documents: expanded ones escape, quoted ones do not. */
	check("cat <<EOF\n{{RUNNER_NAME}}\nEOF\necho {{RUNNER_NAME}}",
	    "$(x)", "cat <<EOF\n\\$(x)\nEOF\necho '$(x)'");
	check("cat <<-'E'\n\t{{RUNNER_NAME}}\n\tE\n{{RUNNER_NAME}}", "$(x)",
	    "cat <<-'E'\n\t$(x)\n\tE\n'$(x)'");
	/* A backslash escapes the quote after it. */
	check("echo \\' {{RUNNER_NAME}}", "a b", "echo \\' 'a b'");
	/* Places that cannot be quoted for sure: refused, not guessed. */
	refused("echo `echo {{RUNNER_NAME}}`", "a b", ERR_CONFIG);
	refused("echo ${X:-{{RUNNER_NAME}}}", "a b", ERR_CONFIG);
	refused("echo $(( {{RUNNER_NAME}} ))", "1 + x", ERR_CONFIG);
	refused("echo $'\\'{{RUNNER_NAME}}'", "a b", ERR_CONFIG);
	check("echo ${X:-{{RUNNER_NAME}}} `echo {{RUNNER_NAME}}`", "ok",
	    "echo ${X:-ok} `echo ok`");
	/* A $ or backslash glued to a placeholder, a placeholder as a
	 * here-document delimiter: refused when the value needs quoting. */
	refused("echo ${{RUNNER_NAME}}", "\\';touch X;'", ERR_CONFIG);
	refused("echo \\{{RUNNER_NAME}}", "a b", ERR_CONFIG);
	check("echo ${{RUNNER_NAME}} \\{{RUNNER_NAME}}", "ok",
	    "echo $ok \\ok");
	refused("cat <<{{RUNNER_NAME}}\nx\n", "ok", ERR_CONFIG);
	/* Control characters (a newline ends a comment) are refused. */
	refused("# {{RUNNER_NAME}}", "a\nreboot", ERR_DATA);
	refused("{{RUNNER_NAME}}", "a\033]0;x\007", ERR_DATA);
	/* Nesting is bounded. */
	refused("\"$(\"$(\"$(\"$(\"$(\"$(\"$(\"$(\"$(\"$(\"$(\"$(\"$(\"$(\"$("
	    "\"$(\"$(", "x", ERR_CONFIG);
}

T_REGISTER("userdata-default", test_default)
static void
test_default(void)
{
	char	*got;
	int	 cls;

	/* The built-in template renders a hostile name quoted. */
	got = render(userdata_default_template(), "ci$(touch X)", &cls);
	T_EQ_INT(cls, 0);
	T_TRUE(strstr(got, "runner ci\\$(touch X) of") != NULL);
	T_TRUE(strstr(got, "'ci$(touch X)'") != NULL);
	/* Issue 14: no JIT config in user data; ghrctl boot fetches it. */
	T_TRUE(strstr(got, "--jitconfig") == NULL);
	T_TRUE(strstr(got, "ghrctl boot --signing-key") != NULL);
	free(got);
}
