/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_T_H
#define GHRCTL_T_H

/*
 * A small unit-test harness (after BearSSL's testcrypto and mblaze's TAP
 * output).  A test file defines functions and registers them with
 * T_REGISTER(name, fn); `unit` runs all, `unit NAME...` runs the named ones.
 * Each check prints "ok N - ..." or "not ok N - file:line: ..." with both
 * values on a mismatch.
 */

#include <stddef.h>

#include "error.h"

void	t_register(const char *name, void (*fn)(void));
int	t_true(const char *file, int line, const char *expr, int v);
int	t_eq_str(const char *file, int line, const char *expr,
	    const char *got, const char *want);
int	t_eq_int(const char *file, int line, const char *expr,
	    long long got, long long want);
int	t_ok(const char *file, int line, const char *expr,
	    const struct error *e);
int	t_err(const char *file, int line, const char *expr,
	    const struct error *e, int want_class);

/* Directory of data files (tests/vectors), for tests that read vectors. */
const char *t_vectors_dir(void);

/*
 * Read the vector file <vectors dir>/<sub>/<name> whole; NUL-terminated,
 * length in *lenp (may be NULL).  NULL when it cannot be read.  free() it.
 */
char	*t_vector(const char *sub, const char *name, size_t *lenp);

#define T_TRUE(c)		t_true(__FILE__, __LINE__, #c, (c) != 0)
#define T_EQ_STR(got, want)	t_eq_str(__FILE__, __LINE__, #got, (got), (want))
#define T_EQ_INT(got, want)	t_eq_int(__FILE__, __LINE__, #got, (long long)(got), (long long)(want))
#define T_OK(e)			t_ok(__FILE__, __LINE__, #e, (e))
#define T_ERR(e, cls)		t_err(__FILE__, __LINE__, #e, (e), (cls))

#define T_REGISTER(name, fn)						\
	static void fn(void);						\
	__attribute__((constructor)) static void			\
	fn##_register(void) { t_register(name, fn); }

#endif
