/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_METRICSD_H
#define GHRCTL_METRICSD_H

#include <stddef.h>

#include "error.h"

/*
 * poll --follow --metrics-listen ADDR:PORT: a minimal read-only HTTP/1.1
 * server (RFC 9110, RFC 9112) on its own thread, so a slow or hostile
 * client never holds up the poll loop.  GET (or HEAD) /metrics answers
 * the exposition of metrics.h (text format 0.0.4, the content of
 * --metrics-file); GET /healthz answers 200 while the poller is active or
 * standing by and 503 while it starts, stops, or has not turned for
 * MD_STALE_MS.  Bounded: MD_CONNS connections at once (one more is
 * answered 503 and closed), a request head of MD_HEAD_MAX bytes (431),
 * no request bodies (400), MD_READ_MS to send the head (408) and
 * MD_WRITE_MS to take the reply; every reply closes the connection.
 */

#define MD_CONNS	8
#define MD_HEAD_MAX	8192
#define MD_READ_MS	5000
#define MD_WRITE_MS	10000
#define MD_STALE_MS	(5 * 60 * 1000)
#define MD_PATH_MAX	256

/* A request head as metricsd_parse() found it. */
struct md_req {
	int	 status;	/* 0: need more bytes; 200: parsed; else refuse */
	int	 head;		/* method HEAD: no body in the reply */
	int	 get;		/* method GET or HEAD */
	size_t	 used;		/* bytes of the head (status 200) */
	char	 path[MD_PATH_MAX];	/* the target's path, no query */
};

/*
 * Parse the request head in the n bytes at p (origin-form request line,
 * fields, empty line; CRLF or bare LF).  Sets r->status: 0 when the head
 * is not complete yet, 200 when it is and is well formed, 400 for a
 * malformed head or one announcing a body, 431 when MD_HEAD_MAX bytes
 * hold no complete head, 505 for an HTTP version other than 1.x.
 */
void	metricsd_parse(const char *p, size_t n, struct md_req *r);

/*
 * The reply's status for a parsed request: 200 for GET/HEAD /metrics,
 * 200 or 503 (healthy) for /healthz, 404 for any other path, 405 for
 * any other method (before the path).
 */
int	metricsd_route(const struct md_req *r, int healthy);

/*
 * Split "ADDR:PORT", ":PORT" (127.0.0.1), "[IPV6]:PORT" or
 * "localhost:PORT" into a numeric address and port.  ERR_USAGE naming
 * --metrics-listen when it is none of these.
 */
const struct error	*metricsd_addr(const char *spec, char *addr,
			    size_t size, unsigned int *port);

enum md_health {
	MD_STARTING,	/* 503 */
	MD_ACTIVE,	/* 200: holds the session and polls */
	MD_STANDBY,	/* 200: another poller holds the session */
	MD_STOPPING	/* 503 */
};

struct metricsd;

/*
 * Listen on spec (see metricsd_addr) and serve from a new thread.
 * ERR_USAGE for a bad spec; ERR_UNAVAIL for an address in use; ERR_PERM
 * for a port this user may not bind; ERR_CONFIG for an address not on
 * this host; each naming --metrics-listen.
 */
const struct error	*metricsd_start(const char *spec, struct metricsd **);
/* Tell /healthz how the poller is; each call is also a heartbeat. */
void			 metricsd_health(struct metricsd *, enum md_health);
/* Stop the thread, close every connection, free.  NULL is fine. */
void			 metricsd_stop(struct metricsd *);

#endif
