/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_UTIL_H
#define GHRCTL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * Small helpers used everywhere.  The x*() allocators treat out-of-memory as
 * fatal: they print one line and exit(70).  That is the only exit() below
 * main, and it is safe because state files are only ever replaced atomically.
 */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
void	*xmemdup(const void *, size_t);

/* Overwrite n bytes with zeros in a way the compiler cannot drop. */
void	 wipe(void *, size_t n);

/* Wipe and free a NUL-terminated secret; NULL is fine. */
void	 secret_free(char *);

/*
 * snprintf into dst; ERR_SOFTWARE if the result did not fit (so a truncated
 * path or header is never used).
 */
const struct error *str_fmt(char *dst, size_t size, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Copy src into dst of size; ERR_SOFTWARE on truncation. */
const struct error *str_copy(char *dst, size_t size, const char *src);

/* Case-insensitive ASCII comparison (header names); 1 when equal. */
int	 str_ieq(const char *, const char *);
/*
 * Cut s in place to fit a terminal line of cols columns: at most cols - 1
 * bytes (the last column stays empty, so the line never wraps), the cut
 * marked by a final '>'; s is one-byte characters (the caller cleans it).
 */
void	 str_fit(char *s, unsigned int cols);
int	 str_nieq(const char *, const char *, size_t);

/*
 * Split a comma-separated list into at most max items: list is copied
 * into buf (size) and v[] points into it; blanks around items are
 * dropped, as are empty items and repeats.  Returns the number of items;
 * 0 when list is NULL or longer than buf.
 */
size_t	 str_list_split(const char *list, char *buf, size_t size,
	    const char **v, size_t max);

/* 1 when s starts with prefix. */
int	 str_prefix(const char *s, const char *prefix);

/*
 * Edit distance (Levenshtein) between a and b, for "did you mean";
 * (size_t)-1 when b is 64 bytes or longer.
 */
size_t	 str_distance(const char *a, const char *b);

/* 1 when s equals one of the strings of the NULL-terminated list l. */
int	 str_in_list(const char *const *l, const char *s);

/* The value of hex digit c (either case), or -1. */
int	 hex_digit(int c);

/*
 * Strict number parsers: decimal only, no sign unless signed, no leading or
 * trailing junk or blanks, no overflow.  Return 0 on success, -1 otherwise.
 */
int	 parse_u64(const char *, uint64_t *);
int	 parse_i64(const char *, int64_t *);
int	 parse_uint(const char *, unsigned int max, unsigned int *);

/*
 * A duration: a number with an optional unit ms, s, m or h (no unit means
 * default_unit_ms).  Result in milliseconds.  Returns 0 or -1.
 */
int	 parse_duration_ms(const char *, long long default_unit_ms,
	    long long *out_ms);

/*
 * An RFC 3339 date-time (section 5.6), "2026-11-23T07:00:00Z": the
 * separator T, t or a space (the RFC's note), optional fraction (dropped),
 * offset Z, z or +hh:mm / -hh:mm; the day checked against the month
 * (leap years included), second 60 allowed (a leap second).  Nothing may
 * follow.  *out gets Unix seconds.  Returns 0, or -1 (s NULL or not such
 * a time).  The one parser of such times (GitHub's expires_at, EC2's
 * launchTime, credential Expiration); HTTP dates are call.c's.
 */
int	 parse_rfc3339(const char *s, int64_t *out);

/* Milliseconds on the monotonic clock. */
int64_t	 now_ms(void);

/* Uniform random number in [0, n) from getrandom(); n > 0. */
uint64_t rand_below(uint64_t n);

/* Fill a buffer from getrandom(); ERR_IO if the kernel cannot. */
const struct error *random_bytes(void *, size_t);

#endif
