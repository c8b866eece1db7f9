/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests for metricsd.c's pure half: the request-head parser (fed
 * whole and growing byte by byte), the router, the ADDR:PORT parser.
 */

#include <string.h>

#include "metricsd.h"
#include "t.h"
#include "util.h"

T_REGISTER("metricsd_parse", t_metricsd_parse)
T_REGISTER("metricsd_parse_bad", t_metricsd_parse_bad)
T_REGISTER("metricsd_route", t_metricsd_route)
T_REGISTER("metricsd_addr", t_metricsd_addr)

static int
status_of(const char *s)
{
	struct md_req	 r;

	metricsd_parse(s, strlen(s), &r);
	return r.status;
}

static void
t_metricsd_parse(void)
{
	static const char	 g[] = "\r\nGET /metrics?x=1 HTTP/1.1\r\n"
	    "Host: localhost:9102\r\nUser-Agent: Prometheus/2.53\r\n"
	    "Accept: text/plain;version=0.0.4;q=0.9,*/*;q=0.1\r\n"
	    "Content-Length: 0\r\n\r\nrest";
	struct md_req	 r;
	size_t		 i;

	for (i = 0; i < sizeof(g) - 5; i++) {
		metricsd_parse(g, i, &r);
		T_EQ_INT(r.status, 0);
	}
	metricsd_parse(g, sizeof(g) - 1, &r);
	T_EQ_INT(r.status, 200);
	T_EQ_INT(r.used, sizeof(g) - 5);
	T_EQ_STR(r.path, "/metrics");
	T_TRUE(r.get && !r.head);
	metricsd_parse("HEAD /healthz HTTP/1.0\n\n", 24, &r);
	T_EQ_INT(r.status, 200);
	T_TRUE(r.get && r.head);
	T_EQ_STR(r.path, "/healthz");
	metricsd_parse("GET http://h:1/metrics HTTP/1.1\r\nHost: h\r\n\r\n",
	    44, &r);
	T_EQ_INT(r.status, 200);
	T_EQ_STR(r.path, "/metrics");
	metricsd_parse("POST /metrics HTTP/1.1\r\nHost: h\r\n\r\n", 35, &r);
	T_EQ_INT(r.status, 200);
	T_TRUE(!r.get);
}

static void
t_metricsd_parse_bad(void)
{
	static const char *const bad[] = {
		"GET /metrics HTTP/1.1\r\n\r\n",		/* no Host */
		"GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET  /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /metrics  HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /metrics HTTP/1.1 \r\nHost: a\r\n\r\n",
		"GET metrics HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /metrics HTTP/1.x\r\nHost: a\r\n\r\n",
		"GET /metrics\r\nHost: a\r\n\r\n",		/* HTTP/0.9 */
		"G(T /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost : a\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: a\rb\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: a\001\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 0x\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n",
		NULL
	};
	char		 big[MD_HEAD_MAX + 64];
	struct md_req	 r;
	size_t		 i;

	for (i = 0; bad[i] != NULL; i++)
		T_EQ_INT(status_of(bad[i]), 400);
	T_EQ_INT(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	metricsd_parse(big, MD_HEAD_MAX - 1, &r);
	T_EQ_INT(r.status, 0);
	metricsd_parse(big, MD_HEAD_MAX, &r);
	T_EQ_INT(r.status, 431);
	memcpy(big + MD_HEAD_MAX - 2, "\r\n\r\n", 4);
	metricsd_parse(big, MD_HEAD_MAX + 2, &r);
	T_EQ_INT(r.status, 431);
}

static void
t_metricsd_route(void)
{
	struct md_req	 r;

	memset(&r, 0, sizeof(r));
	r.get = 1;
	T_OK(str_copy(r.path, sizeof(r.path), "/metrics"));
	T_EQ_INT(metricsd_route(&r, 0), 200);
	T_OK(str_copy(r.path, sizeof(r.path), "/healthz"));
	T_EQ_INT(metricsd_route(&r, 1), 200);
	T_EQ_INT(metricsd_route(&r, 0), 503);
	T_OK(str_copy(r.path, sizeof(r.path), "/metrics/"));
	T_EQ_INT(metricsd_route(&r, 1), 404);
	r.path[0] = '\0';
	T_EQ_INT(metricsd_route(&r, 1), 404);
	r.get = 0;
	T_OK(str_copy(r.path, sizeof(r.path), "/metrics"));
	T_EQ_INT(metricsd_route(&r, 1), 405);
}

static void
t_metricsd_addr(void)
{
	static const char *const bad[] = {
		"", ":", "9102", "127.0.0.1", "127.0.0.1:", ":65536", ":-1",
		":9102x", "host.example:9102", "::1:9102", "[::1:9102",
		"1.2.3:9102", "[127.0.0.1]x:1", NULL
	};
	char		 a[64];
	unsigned int	 port;
	size_t		 i;

	T_OK(metricsd_addr(":9102", a, sizeof(a), &port));
	T_EQ_STR(a, "127.0.0.1");
	T_EQ_INT(port, 9102);
	T_OK(metricsd_addr("localhost:0", a, sizeof(a), &port));
	T_EQ_STR(a, "127.0.0.1");
	T_EQ_INT(port, 0);
	T_OK(metricsd_addr("0.0.0.0:80", a, sizeof(a), &port));
	T_EQ_STR(a, "0.0.0.0");
	T_OK(metricsd_addr("[::1]:9102", a, sizeof(a), &port));
	T_EQ_STR(a, "::1");
	for (i = 0; bad[i] != NULL; i++)
		T_ERR(metricsd_addr(bad[i], a, sizeof(a), &port), ERR_USAGE);
}
