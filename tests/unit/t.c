/*
 * SPDX-License-Identifier: ISC
 *
 * Unit-test harness: registry, checks and TAP-style output; see t.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

#define T_MAX	256

static struct {
	const char	*name;
	void		 (*fn)(void);
} tests[T_MAX];
static size_t		 ntests;
static unsigned int	 nchecks, nfail;
static const char	*current;

void
t_register(const char *name, void (*fn)(void))
{
	if (ntests < T_MAX) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

const char *
t_vectors_dir(void)
{
	const char	*d = getenv("GHRCTL_VECTORS");

	return d != NULL ? d : "tests/vectors";
}

char *
t_vector(const char *sub, const char *name, size_t *lenp)
{
	char	 path[1024];
	FILE	*f;
	char	*p;
	long	 n;
	size_t	 got;

	snprintf(path, sizeof(path), "%s/%s/%s", t_vectors_dir(), sub, name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) < 0 ||
	    (p = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	rewind(f);
	got = fread(p, 1, (size_t)n, f);
	fclose(f);
	p[got] = '\0';
	if (lenp != NULL)
		*lenp = got;
	return p;
}

static int
report(int pass, const char *file, int line, const char *what)
{
	nchecks++;
	if (pass) {
		printf("ok %u - %s: %s\n", nchecks, current, what);
	} else {
		nfail++;
		printf("not ok %u - %s: %s:%d: %s\n", nchecks, current, file,
		    line, what);
	}
	return pass;
}

int
t_true(const char *file, int line, const char *expr, int v)
{
	return report(v, file, line, expr);
}

int
t_eq_str(const char *file, int line, const char *expr, const char *got,
    const char *want)
{
	char	 msg[2048];
	int	 pass;

	pass = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	if (pass)
		return report(1, file, line, expr);
	snprintf(msg, sizeof(msg), "%s: got \"%s\", want \"%s\"", expr,
	    got ? got : "(null)", want ? want : "(null)");
	return report(0, file, line, msg);
}

int
t_eq_int(const char *file, int line, const char *expr, long long got,
    long long want)
{
	char	 msg[1024];

	if (got == want)
		return report(1, file, line, expr);
	snprintf(msg, sizeof(msg), "%s: got %lld, want %lld", expr, got, want);
	return report(0, file, line, msg);
}

int
t_ok(const char *file, int line, const char *expr, const struct error *e)
{
	char	 msg[1024];

	if (e == NULL)
		return report(1, file, line, expr);
	snprintf(msg, sizeof(msg), "%s: error %d: %s", expr, e->class, e->msg);
	return report(0, file, line, msg);
}

int
t_err(const char *file, int line, const char *expr, const struct error *e,
    int want_class)
{
	char	 msg[1024];

	if (e != NULL && (int)e->class == want_class)
		return report(1, file, line, expr);
	snprintf(msg, sizeof(msg), "%s: got %s%d%s%s, want error class %d",
	    expr, e ? "error " : "success", e ? (int)e->class : 0,
	    e ? ": " : "", e ? e->msg : "", want_class);
	return report(0, file, line, msg);
}

int
main(int argc, char *argv[])
{
	size_t	 i;
	int	 j, run;

	for (i = 0; i < ntests; i++) {
		run = argc < 2;
		for (j = 1; j < argc; j++)
			if (strcmp(argv[j], tests[i].name) == 0)
				run = 1;
		if (!run)
			continue;
		current = tests[i].name;
		tests[i].fn();
	}
	printf("# %u checks, %u failed\n", nchecks, nfail);
	return nfail != 0;
}
