/*
 * SPDX-License-Identifier: ISC
 *
 * The one retry loop (see call.h).  Backoff is AWS's "full jitter": the
 * wait before the next attempt is uniform in [0, min(cap, base * 2^n)]
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 * A Retry-After header (RFC 9110 section 10.2.3: delta-seconds or an
 * HTTP-date) replaces the random wait when the classifier asked for a retry
 * without naming a wait itself.  The whole call has one deadline, the
 * request's total timeout: each attempt gets what is left of it, and a
 * Retry-After that ends past it fails the call as temporary (ERR_TEMP);
 * a backoff that would cross it, or the policy's total budget, returns the
 * last result as it is.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "call.h"
#include "http.h"
#include "log.h"
#include "sig.h"
#include "util.h"

#define CALL_DEF_ATTEMPTS	3
#define CALL_DEF_BASE_MS	200
#define CALL_DEF_CAP_MS		20000
#define CALL_DEF_TOTAL_MS	120000
#define CALL_MAX_RETRY_AFTER_S	(24LL * 3600)	/* beyond a day is nonsense */

static void
default_sleep(long long ms)
{
	struct timespec	 ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void	(*sleep_fn)(long long) = default_sleep;

/* see call.h */
void
call_set_sleep(void (*fn)(long long))
{
	sleep_fn = fn != NULL ? fn : default_sleep;
}

static struct retry_policy
policy_defaults(const struct retry_policy *p)
{
	struct retry_policy	 d;

	memset(&d, 0, sizeof(d));
	if (p != NULL)
		d = *p;
	if (d.max_attempts <= 0)
		d.max_attempts = CALL_DEF_ATTEMPTS;
	if (d.base_ms <= 0)
		d.base_ms = CALL_DEF_BASE_MS;
	if (d.cap_ms <= 0)
		d.cap_ms = CALL_DEF_CAP_MS;
	if (d.total_ms <= 0)
		d.total_ms = CALL_DEF_TOTAL_MS;
	return d;
}

/* see call.h */
long long
call_backoff_cap_ms(const struct retry_policy *pp, int n)
{
	struct retry_policy	 p = policy_defaults(pp);
	long long		 v = p.base_ms;

	/* n = 1 is the wait after the first failed attempt. */
	while (--n > 0 && v < p.cap_ms)
		v *= 2;
	return v < p.cap_ms ? v : p.cap_ms;
}

/* see call.h */
enum call_verdict
call_classify_default(void *arg, const struct error *e,
    const struct http_resp *resp, int *wait_ms)
{
	(void)arg;
	(void)wait_ms;
	if (e != NULL)
		return (e->class == ERR_UNAVAIL || e->class == ERR_TEMP) ?
		    CALL_RETRY : CALL_DONE;
	if (resp->status == 429 || (resp->status >= 500 &&
	    resp->status <= 599))
		return CALL_RETRY;
	return CALL_DONE;
}

static int
month_index(const char *m)
{
	static const char	 names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int			 i;

	for (i = 0; i < 12; i++)
		if (strncmp(names + i * 3, m, 3) == 0)
			return i;
	return -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* n decimal digits at s into *v; -1 if any is not a digit. */
static int
digits(const char *s, int n, int *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" (the only form RFC 9110
 * lets senders use), or asctime "Sun Nov  6 08:49:37 1994".
 */
static long long
parse_http_date(const char *s)
{
	int	 d, mon, y, hh, mm, ss;

	if (strlen(s) == 29 && s[3] == ',' && s[4] == ' ' && s[7] == ' ' &&
	    s[11] == ' ' && s[16] == ' ' && s[19] == ':' && s[22] == ':' &&
	    strcmp(s + 25, " GMT") == 0) {
		if (digits(s + 5, 2, &d) || (mon = month_index(s + 8)) < 0 ||
		    digits(s + 12, 4, &y) || digits(s + 17, 2, &hh) ||
		    digits(s + 20, 2, &mm) || digits(s + 23, 2, &ss))
			return -1;
	} else if (strlen(s) == 24 && s[3] == ' ' && s[7] == ' ' &&
	    s[10] == ' ' && s[13] == ':' && s[16] == ':' && s[19] == ' ') {
		if ((mon = month_index(s + 4)) < 0 ||
		    digits(s + 8 + (s[8] == ' '), 2 - (s[8] == ' '), &d) ||
		    digits(s + 11, 2, &hh) || digits(s + 14, 2, &mm) ||
		    digits(s + 17, 2, &ss) || digits(s + 20, 4, &y))
			return -1;
	} else
		return -1;
	if (d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	return days_from_civil(y, mon + 1, d) * 86400 + hh * 3600 + mm * 60 +
	    ss;
}

/* see call.h */
long long
call_retry_after_ms(const char *v, long long now)
{
	uint64_t	 secs;
	long long	 t;

	if (v == NULL)
		return -1;
	if (parse_u64(v, &secs) == 0)
		return secs > (uint64_t)CALL_MAX_RETRY_AFTER_S ?
		    CALL_MAX_RETRY_AFTER_S * 1000 : (long long)secs * 1000;
	if ((t = parse_http_date(v)) < 0)
		return -1;
	if (t <= now)
		return 0;
	if (t - now > CALL_MAX_RETRY_AFTER_S)
		return CALL_MAX_RETRY_AFTER_S * 1000;
	return (t - now) * 1000;
}

/*
 * How long to wait before the next attempt, after attempt n failed;
 * *from_server tells a wait the server asked for (Retry-After).
 */
static long long
next_wait(const struct retry_policy *p, int n, const struct error *e,
    const struct http_resp *resp, int forced, int *from_server)
{
	const char	*ra;
	long long	 ms;

	*from_server = 0;
	if (forced >= 0)
		return forced;
	if (e == NULL && (ra = http_resp_header(resp, "Retry-After")) != NULL &&
	    (ms = call_retry_after_ms(ra, (long long)time(NULL))) >= 0) {
		*from_server = 1;
		return ms;
	}
	return (long long)rand_below((uint64_t)call_backoff_cap_ms(p, n) + 1);
}

/* see call.h */
const struct error *
call_do(struct http_client *c, const struct http_req *req,
    const struct retry_policy *pp, call_classify_fn classify, void *arg,
    struct http_resp *resp)
{
	return call_do_prepared(c, req, pp, NULL, classify, arg, resp);
}

/* see call.h */
const struct error *
call_do_prepared(struct http_client *c, const struct http_req *req,
    const struct retry_policy *pp, call_prepare_fn prepare,
    call_classify_fn classify, void *arg, struct http_resp *resp)
{
	struct retry_policy	 p = policy_defaults(pp);
	const struct error	*e;
	struct http_req		 r;
	int64_t			 start = now_ms(), deadline, left;
	long long		 wait;
	int			 n, forced, asked, budget;

	if (classify == NULL)
		classify = call_classify_default;
	/*
	 * The whole call (every attempt, every read, every wait) ends by
	 * the request's total timeout (GHRCTL_TIMEOUT): a server that
	 * trickles a byte at a time, or fails slowly again and again, does
	 * not hold a call for several times it.  Only a wait the classifier
	 * chose itself (a GitHub rate limit, within --max-wait) moves the
	 * deadline.
	 */
	budget = req->total_timeout_ms > 0 ? req->total_timeout_ms :
	    http_client_total_ms(c);
	deadline = start + budget;
	memset(resp, 0, sizeof(*resp));
	for (n = 1;; n++) {
		http_resp_release(resp);
		if (prepare != NULL && (e = prepare(arg, n)) != NULL)
			return e;
		if ((left = deadline - now_ms()) <= 0)
			return error_fmt(ERR_TEMP, "%s %s: no time left for "
			    "attempt %d within the %d ms timeout", req->method,
			    req->url, n, budget);
		r = *req;
		r.total_timeout_ms = (int)left;
		e = http_do(c, &r, resp);
		forced = -1;
		if (classify(arg, e, resp, &forced) == CALL_DONE)
			return e;
		/* A stop request (sig.h) that ended a wait ends the call. */
		if (e != NULL && sig_stopping())
			return e;
		if (n >= p.max_attempts) {
			log_debug("%s %s: giving up after %d attempts",
			    req->method, req->url, n);
			return e;
		}
		wait = next_wait(&p, n, e, resp, forced, &asked);
		if (forced >= 0)
			deadline += wait;
		else if (now_ms() + wait >= deadline) {
			log_debug("%s %s: next wait of %lld ms would pass the "
			    "%d ms timeout", req->method, req->url, wait,
			    budget);
			if (!asked)
				return e;
			/* Retry-After past the deadline: try again later. */
			http_resp_release(resp);
			return error_fmt(ERR_TEMP, "%s %s: the server asked to "
			    "retry in %lld ms, past the %d ms timeout",
			    req->method, req->url, wait, budget);
		}
		if (now_ms() - start + wait > p.total_ms) {
			log_debug("%s %s: next wait of %lld ms would pass the "
			    "%d ms budget", req->method, req->url, wait,
			    p.total_ms);
			return e;
		}
		if (e != NULL)
			log_info("%s; retrying in %lld ms (attempt %d of %d)",
			    e->msg, wait, n + 1, p.max_attempts);
		else
			log_info("%s %s: status %d; retrying in %lld ms "
			    "(attempt %d of %d)", req->method, req->url,
			    resp->status, wait, n + 1, p.max_attempts);
		sleep_fn(wait);
	}
}
