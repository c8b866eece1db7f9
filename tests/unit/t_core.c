/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of the core pure helpers: util (numbers, durations, strings),
 * buf (ceiling), b64, error ring.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "buf.h"
#include "error.h"
#include "t.h"
#include "util.h"

T_REGISTER("util", t_util)
T_REGISTER("rfc3339", t_rfc3339)
T_REGISTER("buf", t_buf)
T_REGISTER("b64", t_b64)
T_REGISTER("error", t_error)

static void
t_util(void)
{
	uint64_t	 u;
	int64_t		 i;
	unsigned int	 ui;
	long long	 ms;
	char		 small[4];

	T_EQ_INT(parse_u64("0", &u), 0);
	T_EQ_INT(parse_u64("18446744073709551615", &u), 0);
	T_TRUE(u == UINT64_MAX);
	T_EQ_INT(parse_u64("18446744073709551616", &u), -1);
	T_EQ_INT(parse_u64("", &u), -1);
	T_EQ_INT(parse_u64(" 1", &u), -1);
	T_EQ_INT(parse_u64("1 ", &u), -1);
	T_EQ_INT(parse_u64("+1", &u), -1);
	T_EQ_INT(parse_u64("12x", &u), -1);
	T_EQ_INT(parse_i64("-9223372036854775808", &i), 0);
	T_TRUE(i == INT64_MIN);
	T_EQ_INT(parse_i64("9223372036854775808", &i), -1);
	T_EQ_INT(parse_i64("-", &i), -1);
	T_EQ_INT(parse_uint("10", 10, &ui), 0);
	T_EQ_INT(parse_uint("11", 10, &ui), -1);

	T_EQ_INT(parse_duration_ms("90", 1000, &ms), 0);
	T_EQ_INT(ms, 90000);
	T_EQ_INT(parse_duration_ms("250ms", 1000, &ms), 0);
	T_EQ_INT(ms, 250);
	T_EQ_INT(parse_duration_ms("5m", 1000, &ms), 0);
	T_EQ_INT(ms, 300000);
	T_EQ_INT(parse_duration_ms("1h", 1000, &ms), 0);
	T_EQ_INT(ms, 3600000);
	T_EQ_INT(parse_duration_ms("55m", 1000, &ms), 0);
	T_EQ_INT(ms, 3300000);
	T_EQ_INT(parse_duration_ms("1d", 1000, &ms), -1);
	T_EQ_INT(parse_duration_ms("m", 1000, &ms), -1);
	T_EQ_INT(parse_duration_ms("-1s", 1000, &ms), -1);
	T_EQ_INT(parse_duration_ms("99999999999999999999h", 1000, &ms), -1);

	T_OK(str_copy(small, sizeof(small), "abc"));
	T_ERR(str_copy(small, sizeof(small), "abcd"), ERR_SOFTWARE);
	T_ERR(str_fmt(small, sizeof(small), "%d", 12345), ERR_SOFTWARE);
	T_TRUE(str_ieq("Content-Length", "content-length"));
	T_TRUE(!str_ieq("Content-Length", "content-lengt"));
	T_TRUE(str_prefix("ghrctl:runner", "ghrctl:"));
	{
		char		 buf[64];
		const char	*v[3];

		T_EQ_INT(str_list_split(" linux, x64,,linux , gpu,arm", buf,
		    sizeof(buf), v, 3), 3);
		T_EQ_STR(v[0], "linux");
		T_EQ_STR(v[1], "x64");
		T_EQ_STR(v[2], "gpu");
		T_EQ_INT(str_list_split(NULL, buf, sizeof(buf), v, 3), 0);
		T_EQ_INT(str_list_split("a-list-longer-than-the-buffer-given-"
		    "to-it-by-far-and-away-more", buf, 16, v, 3), 0);
	}
	T_TRUE(rand_below(10) < 10);
	{
		static const char *const l[] = { "a", "bc", NULL };

		T_TRUE(str_in_list(l, "bc"));
		T_TRUE(!str_in_list(l, "b"));
		T_TRUE(!str_in_list(l, ""));
	}
}

/* The one RFC 3339 parser: GitHub's expires_at, EC2's launchTime, IMDS. */
static void
t_rfc3339(void)
{
	int64_t	 t;

	T_EQ_INT(parse_rfc3339("1970-01-01T00:00:00Z", &t), 0);
	T_EQ_INT(t, 0);
	T_EQ_INT(parse_rfc3339("2026-11-23T10:00:00+01:00", &t), 0);
	T_EQ_INT(t, 1795424400);
	T_EQ_INT(parse_rfc3339("2026-11-23T09:00:00Z", &t), 0);
	T_EQ_INT(t, 1795424400);
	T_EQ_INT(parse_rfc3339("2026-11-23T04:30:00-04:30", &t), 0);
	T_EQ_INT(t, 1795424400);
	T_EQ_INT(parse_rfc3339("2026-11-23t09:00:00z", &t), 0);
	T_EQ_INT(t, 1795424400);
	T_EQ_INT(parse_rfc3339("2026-11-23 09:00:00Z", &t), 0);
	T_EQ_INT(t, 1795424400);
	/* Fractions dropped (EC2 writes milliseconds). */
	T_EQ_INT(parse_rfc3339("2000-03-01T00:00:01.5Z", &t), 0);
	T_EQ_INT(t, 951868801);
	T_EQ_INT(parse_rfc3339("2026-11-23T07:43:13.503+00:00", &t), 0);
	T_EQ_INT(t, 1795419793);
	/* Before 1970 and leap days. */
	T_EQ_INT(parse_rfc3339("1969-12-31T23:59:59Z", &t), 0);
	T_EQ_INT(t, -1);
	T_EQ_INT(parse_rfc3339("2024-02-29T00:00:00Z", &t), 0);
	T_EQ_INT(t, 1709164800);
	T_EQ_INT(parse_rfc3339("2000-02-29T00:00:00Z", &t), 0);
	T_EQ_INT(parse_rfc3339("1900-02-29T00:00:00Z", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-02-29T00:00:00Z", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-04-31T00:00:00Z", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-02-30T00:00:00Z", &t), -1);
	/* A leap second is the next minute's first second. */
	T_EQ_INT(parse_rfc3339("2016-12-31T23:59:60Z", &t), 0);
	T_EQ_INT(t, 1483228800);
	/* Refused. */
	T_EQ_INT(parse_rfc3339(NULL, &t), -1);
	T_EQ_INT(parse_rfc3339("", &t), -1);
	T_EQ_INT(parse_rfc3339("garbage", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-23T10:00:00", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-23", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-13-23T10:00:00Z", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-00-23T10:00:00Z", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-00T10:00:00Z", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-23T24:00:00Z", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-23T10:60:00Z", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-23T10:00:61Z", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-23T10:00:00.Z", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-23T10:00:00ZZ", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-23T10:00:00Z ", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-23T10:00:00+0100", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-23T10:00:00+24:00", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-23T10:00:00+01:60", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-23T1:00:00Z", &t), -1);
	T_EQ_INT(parse_rfc3339("+2026-11-23T10:00:00Z", &t), -1);
	T_EQ_INT(parse_rfc3339("2026-11-23X10:00:00Z", &t), -1);
}

static void
t_buf(void)
{
	struct buf	 b = BUF_INIT(8);
	char		*p;
	size_t		 n;

	T_OK(buf_adds(&b, "abcd"));
	T_OK(buf_addf(&b, "%d", 123));
	T_EQ_STR(b.p, "abcd123");
	T_ERR(buf_adds(&b, "xy"), ERR_PROTO);
	T_EQ_STR(b.p, "abcd123");	/* unchanged on refusal */
	T_OK(buf_addc(&b, 'z'));
	T_EQ_INT(b.len, 8);
	buf_consume(&b, 2);
	T_EQ_STR(b.p, "cd123z");
	p = buf_detach(&b, &n);
	T_EQ_STR(p, "cd123z");
	T_EQ_INT(n, 6);
	T_TRUE(b.p == NULL && b.len == 0);
	free(p);
	buf_release(&b);
}

static void
b64_case(const char *plain, const char *enc, const char *url)
{
	struct buf	 b = BUF_INIT(1024);

	T_OK(b64_encode(plain, strlen(plain), &b));
	T_EQ_STR(b.p, enc);
	buf_reset(&b);
	T_OK(b64url_encode(plain, strlen(plain), &b));
	T_EQ_STR(b.p, url);
	buf_reset(&b);
	T_OK(b64_decode(enc, strlen(enc), &b));
	T_EQ_STR(b.p, plain);
	buf_reset(&b);
	T_OK(b64_decode(url, strlen(url), &b));
	T_EQ_STR(b.p, plain);
	buf_release(&b);
}

static void
t_b64(void)
{
	struct buf	 b = BUF_INIT(64);

	/* RFC 4648 section 10 test vectors. */
	b64_case("", "", "");
	b64_case("f", "Zg==", "Zg");
	b64_case("fo", "Zm8=", "Zm8");
	b64_case("foo", "Zm9v", "Zm9v");
	b64_case("foob", "Zm9vYg==", "Zm9vYg");
	b64_case("fooba", "Zm9vYmE=", "Zm9vYmE");
	b64_case("foobar", "Zm9vYmFy", "Zm9vYmFy");
	b64_case("\xfb\xff", "+/8=", "-_8");
	T_OK(b64_decode("Zm9v\nYmFy\r\n", 11, &b));
	T_EQ_STR(b.p, "foobar");
	buf_reset(&b);
	T_ERR(b64_decode("Zm9v*", 5, &b), ERR_DATA);
	T_ERR(b64_decode("Z", 1, &b), ERR_DATA);
	T_ERR(b64_decode("Zg==Zg", 6, &b), ERR_DATA);
	buf_release(&b);
}

static void
t_error(void)
{
	const struct error	*first, *e;
	int			 i;

	first = error_fmt(ERR_CONFIG, "first %d", 1);
	T_EQ_STR(first->msg, "first 1");
	T_EQ_INT(error_exit_status(first), 78);
	T_EQ_INT(error_exit_status(NULL), 0);
	e = error_wrap(first, "outer");
	T_EQ_STR(e->msg, "outer: first 1");
	T_EQ_INT(e->class, ERR_CONFIG);
	T_EQ_STR(first->msg, "first 1");	/* the original survives */
	/* Wrapping the slot that is about to be reused keeps its text. */
	for (i = 0; i < 15; i++)
		e = error_fmt(ERR_IO, "filler %d", i);
	e = error_wrap(error_fmt(ERR_TEMP, "inner"), "wrapped");
	T_EQ_STR(e->msg, "wrapped: inner");
	e = error_http(ERR_PERM, 403, "forbidden");
	T_EQ_INT(e->http_status, 403);
	T_EQ_INT(error_exit_status(e), 77);
}
