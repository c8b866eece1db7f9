/*
 * SPDX-License-Identifier: ISC
 *
 * Allocation, bounded string and strict number helpers; see util.h.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void
oom(size_t n)
{
	/* Plain write(2): stdio may itself need memory. */
	static const char msg[] = "ghrctl: out of memory\n";

	(void)n;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(ERR_SOFTWARE);
}

/* see util.h */
void *
xmalloc(size_t n)
{
	void	*p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

/* see util.h */
void *
xcalloc(size_t n, size_t sz)
{
	void	*p = calloc(n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		oom(n * sz);
	return p;
}

/* see util.h */
void *
xrealloc(void *o, size_t n)
{
	void	*p = realloc(o, n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

/* see util.h */
char *
xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

/* see util.h */
char *
xstrndup(const char *s, size_t n)
{
	char	*p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* see util.h */
void *
xmemdup(const void *s, size_t n)
{
	void	*p = xmalloc(n);

	if (n > 0)
		memcpy(p, s, n);
	return p;
}

/* see util.h */
void
wipe(void *p, size_t n)
{
	if (n == 0)
		return;
	memset(p, 0, n);
	/* The compiler must assume p's memory is read: keep the memset. */
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

/* see util.h */
void
secret_free(char *s)
{
	if (s == NULL)
		return;
	wipe(s, strlen(s));
	free(s);
}

/* see util.h */
const struct error *
str_fmt(char *dst, size_t size, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return error_fmt(ERR_SOFTWARE, "string too long (%d bytes, "
		    "room for %zu)", n, size);
	return NULL;
}

/* see util.h */
const struct error *
str_copy(char *dst, size_t size, const char *src)
{
	size_t	 n = strlen(src);

	if (n >= size)
		return error_fmt(ERR_SOFTWARE, "string too long (%zu bytes, "
		    "room for %zu)", n, size);
	memcpy(dst, src, n + 1);
	return NULL;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* see util.h */
void
str_fit(char *s, unsigned int cols)
{
	size_t	 max = cols > 1 ? cols - 1 : 1;

	if (strlen(s) <= max)
		return;
	s[max - 1] = '>';
	s[max] = '\0';
}

/* see util.h */
int
str_ieq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* see util.h */
int
str_nieq(const char *a, const char *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
		if (a[i] == '\0')
			return 1;
	}
	return 1;
}

/* see util.h */
size_t
str_list_split(const char *list, char *buf, size_t size, const char **v,
    size_t max)
{
	size_t	 n = 0, i;
	char	*p, *q, *end;

	if (list == NULL || str_copy(buf, size, list) != NULL)
		return 0;
	for (p = buf; p != NULL && n < max; p = q) {
		if ((q = strchr(p, ',')) != NULL)
			*q++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*p == '\0')
			continue;
		for (i = 0; i < n && strcmp(v[i], p) != 0; i++)
			;
		if (i == n)
			v[n++] = p;
	}
	return n;
}

/* see util.h */
int
str_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* see util.h */
size_t
str_distance(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
	size_t	 row[64];

	if (lb >= sizeof(row) / sizeof(row[0]))
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			cur = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			row[j] = cur;
			prev = tmp;
		}
	}
	return row[lb];
}

/* see util.h */
int
parse_u64(const char *s, uint64_t *out)
{
	uint64_t	 v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* see util.h */
int
str_in_list(const char *const *l, const char *s)
{
	for (; *l != NULL; l++)
		if (strcmp(*l, s) == 0)
			return 1;
	return 0;
}

/* n decimal digits at *sp into *out; -1 if one is not a digit. */
static int
digits(const char **sp, int n, int *out)
{
	const char	*s = *sp;
	int		 v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
month_days(int y, int m)
{
	static const int	 days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* see util.h */
int
parse_rfc3339(const char *s, int64_t *out)
{
	int	 y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;

	if (s == NULL || digits(&s, 4, &y) || *s++ != '-' ||
	    digits(&s, 2, &mo) || *s++ != '-' || digits(&s, 2, &d) ||
	    (*s != 'T' && *s != 't' && *s != ' ') || (s++, digits(&s, 2, &h)) ||
	    *s++ != ':' || digits(&s, 2, &mi) || *s++ != ':' ||
	    digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om))
			return -1;
	} else
		return -1;
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 ||
	    d > month_days(y, mo) || h > 23 || mi > 59 || sec > 60 ||
	    oh > 23 || om > 59)
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	return 0;
}

/* see util.h */
int
parse_i64(const char *s, int64_t *out)
{
	uint64_t	 v;
	int		 neg = 0;

	if (s != NULL && *s == '-') {
		neg = 1;
		s++;
	}
	if (parse_u64(s, &v) == -1)
		return -1;
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return -1;
		*out = (int64_t)v;
	}
	return 0;
}

/* see util.h */
int
parse_uint(const char *s, unsigned int max, unsigned int *out)
{
	uint64_t	 v;

	if (parse_u64(s, &v) == -1 || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* see util.h */
int
parse_duration_ms(const char *s, long long default_unit_ms, long long *out)
{
	char		 num[32];
	const char	*u;
	size_t		 n;
	uint64_t	 v;
	long long	 mul;

	if (s == NULL)
		return -1;
	for (u = s; *u >= '0' && *u <= '9'; u++)
		;
	n = (size_t)(u - s);
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (parse_u64(num, &v) == -1)
		return -1;
	if (*u == '\0')
		mul = default_unit_ms;
	else if (strcmp(u, "ms") == 0)
		mul = 1;
	else if (strcmp(u, "s") == 0)
		mul = 1000;
	else if (strcmp(u, "m") == 0)
		mul = 60 * 1000;
	else if (strcmp(u, "h") == 0)
		mul = 3600 * 1000;
	else
		return -1;
	if (v > (uint64_t)(INT64_MAX / 4) / (uint64_t)mul)
		return -1;
	*out = (long long)v * mul;
	return 0;
}

/* see util.h */
int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* see util.h */
const struct error *
random_bytes(void *p, size_t n)
{
	unsigned char	*c = p;
	ssize_t		 r;

	while (n > 0) {
		r = getrandom(c, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return error_errno("getrandom", NULL);
		}
		c += r;
		n -= (size_t)r;
	}
	return NULL;
}

/* see util.h */
uint64_t
rand_below(uint64_t n)
{
	uint64_t	 v, lim;

	if (n <= 1)
		return 0;
	lim = UINT64_MAX - UINT64_MAX % n;
	do {
		if (random_bytes(&v, sizeof(v)) != NULL)
			return (uint64_t)now_ms() % n;
	} while (v >= lim);
	return v % n;
}

/* see util.h */
int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
