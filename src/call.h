/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_CALL_H
#define GHRCTL_CALL_H

#include "error.h"
#include "http.h"

/*
 * The one retry loop.  Every service passes a classifier that says, for a
 * transport error or a reply, whether to try again; call_do() then waits
 * with exponential backoff and full jitter (AWS's formula: a random delay in
 * [0, min(cap, base * 2^attempt)]), or exactly Retry-After when the reply
 * carries one and the classifier allows it, within an attempt limit and a
 * total time budget.
 */

struct retry_policy {
	int	 max_attempts;	/* >= 1; 0 means 3 */
	int	 base_ms;	/* first backoff ceiling; 0 means 200 */
	int	 cap_ms;	/* largest single wait; 0 means 20000 */
	int	 total_ms;	/* give up when the next wait would pass this; 0: 120 s */
};

enum call_verdict {
	CALL_DONE = 0,		/* return this result to the caller */
	CALL_RETRY		/* wait and try again */
};

/*
 * Decide about one attempt.  e is the transport error (resp is then empty)
 * or NULL with resp filled.  May set *wait_ms to force a wait (e.g. from a
 * service-specific rate-limit header); otherwise call_do() uses Retry-After
 * if present, else backoff.
 */
typedef enum call_verdict (*call_classify_fn)(void *arg,
    const struct error *e, const struct http_resp *resp, int *wait_ms);

/* Retry transport errors of class ERR_UNAVAIL/ERR_TEMP, 429 and 5xx. */
enum call_verdict	 call_classify_default(void *arg, const struct error *e,
			    const struct http_resp *resp, int *wait_ms);

/*
 * Run req through http_do() until the classifier says done or the policy is
 * exhausted.  Returns the last transport error, or NULL with *resp holding
 * the last reply (which may still be a 5xx after the last attempt: the
 * caller turns statuses into errors).
 */
const struct error	*call_do(struct http_client *, const struct http_req *,
			    const struct retry_policy *, call_classify_fn,
			    void *arg, struct http_resp *resp);

/*
 * Called before every attempt (n = 1, 2, ...), after any backoff wait, to
 * finish the request: SigV4 signs here, so each attempt carries its own
 * fresh X-Amz-Date.  An error ends call_do() with that error.
 */
typedef const struct error *(*call_prepare_fn)(void *arg, int n);

/* call_do() with a prepare hook (may be NULL) sharing arg with classify. */
const struct error	*call_do_prepared(struct http_client *,
			    const struct http_req *, const struct retry_policy *,
			    call_prepare_fn, call_classify_fn, void *arg,
			    struct http_resp *resp);

/*
 * Parse a Retry-After value (delta-seconds or an HTTP-date) relative to
 * now (unix seconds).  Returns milliseconds to wait, or -1 if unparseable.
 */
long long		 call_retry_after_ms(const char *value, long long now);

/* The backoff ceiling before attempt n (n >= 1), without jitter. */
long long		 call_backoff_cap_ms(const struct retry_policy *, int n);

/* For tests: replace the sleep function (ms) used between attempts. */
void			 call_set_sleep(void (*)(long long ms));

#endif
