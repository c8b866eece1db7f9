/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests for call.c: backoff ceilings, Retry-After parsing, the
 * default classifier, Retry-After waits and the call's deadline (against
 * a canned server on 127.0.0.1).  Sleeping is stubbed with
 * call_set_sleep().
 */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "call.h"
#include "http.h"
#include "t.h"

T_REGISTER("call_backoff", t_call_backoff)
T_REGISTER("call_retry_after", t_call_retry_after)
T_REGISTER("call_classify", t_call_classify)
T_REGISTER("call_do_transport_error", t_call_do_transport_error)

static void
t_call_backoff(void)
{
	struct retry_policy	 p = { 5, 100, 1000, 10000 };
	struct retry_policy	 z;

	T_EQ_INT(call_backoff_cap_ms(&p, 1), 100);
	T_EQ_INT(call_backoff_cap_ms(&p, 2), 200);
	T_EQ_INT(call_backoff_cap_ms(&p, 3), 400);
	T_EQ_INT(call_backoff_cap_ms(&p, 4), 800);
	T_EQ_INT(call_backoff_cap_ms(&p, 5), 1000);
	T_EQ_INT(call_backoff_cap_ms(&p, 200), 1000);
	memset(&z, 0, sizeof(z));	/* defaults: 200 ms base, 20 s cap */
	T_EQ_INT(call_backoff_cap_ms(&z, 1), 200);
	T_EQ_INT(call_backoff_cap_ms(&z, 30), 20000);
	T_EQ_INT(call_backoff_cap_ms(NULL, 2), 400);
}

static void
t_call_retry_after(void)
{
	/* 1994-11-06T08:49:37Z */
	long long	 t = 784111777;

	T_EQ_INT(call_retry_after_ms("0", t), 0);
	T_EQ_INT(call_retry_after_ms("120", t), 120000);
	T_EQ_INT(call_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", t), 0);
	T_EQ_INT(call_retry_after_ms("Sun, 06 Nov 1994 08:50:07 GMT", t),
	    30000);
	T_EQ_INT(call_retry_after_ms("Sun, 06 Nov 1994 08:49:00 GMT", t), 0);
	T_EQ_INT(call_retry_after_ms("Sun Nov  6 08:49:47 1994", t), 10000);
	T_EQ_INT(call_retry_after_ms("Mon, 29 Feb 2000 00:00:01 GMT",
	    951782400), 1000);
	T_EQ_INT(call_retry_after_ms("99999999999", t), 86400000);
	T_EQ_INT(call_retry_after_ms("-1", t), -1);
	T_EQ_INT(call_retry_after_ms("1.5", t), -1);
	T_EQ_INT(call_retry_after_ms("", t), -1);
	T_EQ_INT(call_retry_after_ms("soon", t), -1);
	T_EQ_INT(call_retry_after_ms("Sun, 06 Xyz 1994 08:49:37 GMT", t), -1);
	T_EQ_INT(call_retry_after_ms("Sun, 06 Nov 1994 25:49:37 GMT", t), -1);
	T_EQ_INT(call_retry_after_ms(NULL, t), -1);
}

static void
t_call_classify(void)
{
	struct http_resp	 r = HTTP_RESP_INIT;
	int			 w = -1;

	T_EQ_INT(call_classify_default(NULL, error_fmt(ERR_UNAVAIL, "x"),
	    &r, &w), CALL_RETRY);
	T_EQ_INT(call_classify_default(NULL, error_fmt(ERR_TEMP, "x"), &r,
	    &w), CALL_RETRY);
	T_EQ_INT(call_classify_default(NULL, error_fmt(ERR_PERM, "x"), &r,
	    &w), CALL_DONE);
	T_EQ_INT(call_classify_default(NULL, error_fmt(ERR_CONFIG, "x"), &r,
	    &w), CALL_DONE);
	r.status = 200;
	T_EQ_INT(call_classify_default(NULL, NULL, &r, &w), CALL_DONE);
	r.status = 404;
	T_EQ_INT(call_classify_default(NULL, NULL, &r, &w), CALL_DONE);
	r.status = 429;
	T_EQ_INT(call_classify_default(NULL, NULL, &r, &w), CALL_RETRY);
	r.status = 503;
	T_EQ_INT(call_classify_default(NULL, NULL, &r, &w), CALL_RETRY);
	T_EQ_INT(w, -1);
}

static long long	 slept[16];
static int		 nslept;

static void
fake_sleep(long long ms)
{
	if (nslept < 16)
		slept[nslept] = ms;
	nslept++;
}

static int		 seen;

static enum call_verdict
count_classify(void *arg, const struct error *e, const struct http_resp *r,
    int *wait_ms)
{
	(void)arg;
	(void)r;
	seen++;
	*wait_ms = 7;
	return e != NULL ? CALL_RETRY : CALL_DONE;
}

/* A request that fails before any I/O (bad URL) drives the loop. */
static void
t_call_do_transport_error(void)
{
	struct http_opts	 o;
	struct http_client	*c = NULL;
	struct http_req		 req;
	struct http_resp	 resp = HTTP_RESP_INIT;
	struct retry_policy	 p = { 4, 100, 1000, 10000 };
	struct retry_policy	 tight = { 10, 100, 1000, 5 };
	int			 i;

	memset(&o, 0, sizeof(o));
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = "http://example.invalid/";	/* refused: plain http */
	call_set_sleep(fake_sleep);
	T_OK(http_client_new(&o, &c));
	nslept = seen = 0;
	T_ERR(call_do(c, &req, &p, count_classify, NULL, &resp), ERR_CONFIG);
	T_EQ_INT(seen, 4);
	T_EQ_INT(nslept, 3);
	for (i = 0; i < 3 && i < nslept; i++)
		T_EQ_INT(slept[i], 7);
	T_TRUE(resp.body == NULL);
	/* The default classifier does not retry a config error. */
	nslept = 0;
	T_ERR(call_do(c, &req, &p, NULL, NULL, &resp), ERR_CONFIG);
	T_EQ_INT(nslept, 0);
	/* A total budget smaller than the wait stops the loop. */
	nslept = seen = 0;
	req.url = "http://example.invalid/";
	T_ERR(call_do(c, &req, &tight, count_classify, NULL, &resp),
	    ERR_CONFIG);
	T_EQ_INT(seen, 1);
	T_EQ_INT(nslept, 0);
	http_client_free(c);
	call_set_sleep(NULL);
}

/*
 * A one-connection HTTP server on 127.0.0.1 in a thread: reads a request
 * head, answers the next canned reply, for as many requests as there are
 * replies (keep-alive).
 */
struct canned {
	int			 lfd;
	const char *const	*replies;
};

static void *
canned_serve(void *arg)
{
	struct canned	*cs = arg;
	char		 buf[4096];
	size_t		 have = 0;
	ssize_t		 r;
	int		 fd, i;

	if ((fd = accept(cs->lfd, NULL, NULL)) == -1)
		return NULL;
	for (i = 0; cs->replies[i] != NULL; i++) {
		have = 0;
		while (have < sizeof(buf) - 1) {
			if ((r = read(fd, buf + have, sizeof(buf) - 1 - have))
			    <= 0)
				goto out;
			have += (size_t)r;
			buf[have] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL)
				break;
		}
		if (write(fd, cs->replies[i], strlen(cs->replies[i])) < 0)
			break;
	}
out:
	close(fd);
	return NULL;
}

/* Start the server; its URL into url. */
static int
canned_start(struct canned *cs, const char *const *replies, pthread_t *th,
    char *url, size_t size)
{
	struct sockaddr_in	 sa;
	socklen_t		 len = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cs->replies = replies;
	if ((cs->lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(cs->lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(cs->lfd, 1) == -1 ||
	    getsockname(cs->lfd, (struct sockaddr *)&sa, &len) == -1)
		return -1;
	snprintf(url, size, "http://127.0.0.1:%u/x", ntohs(sa.sin_port));
	return pthread_create(th, NULL, canned_serve, cs) == 0 ? 0 : -1;
}

T_REGISTER("call_retry_after_waits", t_call_retry_after_waits)
static void
t_call_retry_after_waits(void)
{
	static const char *const busy_then_ok[] = {
		"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 3\r\n"
		"Content-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		NULL
	};
	static const char *const busy_long[] = {
		"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\n"
		"Content-Length: 0\r\n\r\n",
		NULL
	};
	struct http_opts	 o;
	struct http_client	*c = NULL;
	struct http_req		 req;
	struct http_resp	 resp = HTTP_RESP_INIT;
	struct retry_policy	 p = { 4, 100, 1000, 600000 };
	struct canned		 cs;
	pthread_t		 th;
	char			 url[64];

	memset(&o, 0, sizeof(o));
	memset(&req, 0, sizeof(req));
	o.total_timeout_ms = 10000;
	req.method = "GET";
	req.url = url;
	call_set_sleep(fake_sleep);
	T_OK(http_client_new(&o, &c));
	/* Retry-After: 3 is a 3,000 ms wait, not a backoff. */
	if (T_TRUE(canned_start(&cs, busy_then_ok, &th, url,
	    sizeof(url)) == 0)) {
		nslept = 0;
		T_OK(call_do(c, &req, &p, NULL, NULL, &resp));
		T_EQ_INT(resp.status, 200);
		T_EQ_INT(nslept, 1);
		T_EQ_INT(slept[0], 3000);
		http_resp_release(&resp);
		pthread_join(th, NULL);
		close(cs.lfd);
	}
	/* Retry-After: 30 ends past the 10 s timeout: temporary, no wait. */
	if (T_TRUE(canned_start(&cs, busy_long, &th, url,
	    sizeof(url)) == 0)) {
		nslept = 0;
		T_ERR(call_do(c, &req, &p, NULL, NULL, &resp), ERR_TEMP);
		T_EQ_INT(nslept, 0);
		T_TRUE(resp.body == NULL && resp.status == 0);
		pthread_join(th, NULL);
		close(cs.lfd);
	}
	http_client_free(c);
	call_set_sleep(NULL);
}
