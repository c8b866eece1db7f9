/*
 * SPDX-License-Identifier: ISC
 *
 * The --metrics-listen endpoint (metricsd.h): one thread, one poll(2) loop
 * over the listening socket, a wake-up pipe and at most MD_CONNS + MD_SPARE
 * non-blocking connections.  A connection reads its request head (at most
 * MD_HEAD_MAX bytes within MD_READ_MS of the accept), gets one reply built
 * whole, writes it (within MD_WRITE_MS), then half-closes and drains what
 * the client still sends for MD_LINGER_MS before closing, so a reply to a
 * request the server did not read to the end (431, 400) is not lost to a
 * TCP reset (RFC 9112 section 9.6).  A connection past MD_CONNS takes one
 * of the MD_SPARE slots, which answer 503 at once.  The poll loop only
 * calls metricsd_health(); the metrics are read under metrics.c's mutex.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "http_parse.h"
#include "log.h"
#include "metrics.h"
#include "metricsd.h"
#include "util.h"

#define MD_SPARE	4		/* slots that only answer 503 */
#define MD_LINGER_MS	1000
#define MD_BACKLOG	16
#define MD_STACK	(256u << 10)
#define MD_NSLOTS	(MD_CONNS + MD_SPARE)

enum md_state { MD_FREE, MD_READ, MD_WRITE, MD_LINGER };

struct md_conn {
	int		 fd;
	enum md_state	 state;
	int		 spare;		/* a 503 slot */
	int64_t		 deadline;
	size_t		 inlen;
	char		 in[MD_HEAD_MAX];
	struct buf	 out;
	size_t		 off;
};

struct metricsd {
	int		 lfd;
	int		 wake[2];
	pthread_t	 th;
	pthread_mutex_t	 mu;
	enum md_health	 health;	/* under mu */
	int64_t		 beat;		/* under mu: now_ms() of the last call */
	struct md_conn	 c[MD_NSLOTS];	/* the server thread's alone */
};

/* ---- the request parser (pure: fuzzed by tests/fuzz/fuzz_metricsd.c) */

/* The next line of [p, end): its length without CR LF or LF; NULL: none. */
static const char *
next_line(const char *p, const char *end, size_t *len)
{
	const char	*nl = memchr(p, '\n', (size_t)(end - p));

	if (nl == NULL)
		return NULL;
	*len = (size_t)(nl - p);
	if (*len > 0 && p[*len - 1] == '\r')
		(*len)--;
	return nl + 1;
}

/* The request line: method SP request-target SP HTTP-version. */
static int
request_line(const char *s, size_t n, struct md_req *r, int *minor)
{
	size_t		 i = 0, m, t, pl;
	const char	*tg;

	while (i < n && http_is_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= n || s[i] != ' ')
		return 400;
	m = i;
	r->get = (m == 3 && memcmp(s, "GET", 3) == 0) ||
	    (m == 4 && memcmp(s, "HEAD", 4) == 0);
	r->head = m == 4 && memcmp(s, "HEAD", 4) == 0;
	tg = s + ++i;
	while (i < n && s[i] > ' ' && s[i] < 0x7f)
		i++;
	t = (size_t)(s + i - tg);
	if (t == 0 || i >= n || s[i] != ' ')
		return 400;
	i++;
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 section 2.3) */
	if (n - i != 8 || memcmp(s + i, "HTTP/", 5) != 0 ||
	    s[i + 5] < '0' || s[i + 5] > '9' || s[i + 6] != '.' ||
	    s[i + 7] < '0' || s[i + 7] > '9')
		return 400;
	if (s[i + 5] != '1')
		return 505;
	*minor = s[i + 7] - '0';
	/* absolute-form: a server accepts it too (RFC 9112 section 3.2.2) */
	if (t > 7 && str_nieq(tg, "http://", 7)) {
		for (pl = 7; pl < t && tg[pl] != '/'; pl++)
			;
		tg += pl;
		t -= pl;
		if (t == 0) {
			(void)str_copy(r->path, sizeof(r->path), "/");
			return 200;
		}
	}
	if (t == 1 && tg[0] == '*')
		return 200;	/* asterisk-form: no path of ours */
	if (tg[0] != '/')
		return 400;
	for (pl = 0; pl < t && tg[pl] != '?'; pl++)
		;
	if (pl < sizeof(r->path)) {
		memcpy(r->path, tg, pl);
		r->path[pl] = '\0';
	}
	return 200;
}

/* One header field; *hosts counts Host fields. */
static int
field(const char *s, size_t n, int *hosts)
{
	size_t		 i = 0, v;

	while (i < n && http_is_tchar((unsigned char)s[i]))
		i++;
	/* no whitespace between name and colon (RFC 9112 section 5.1) */
	if (i == 0 || i >= n || s[i] != ':')
		return 400;
	for (v = i + 1; v < n; v++)
		if (((unsigned char)s[v] < ' ' && s[v] != '\t') ||
		    s[v] == 0x7f)
			return 400;
	if (i == 4 && str_nieq(s, "Host", 4))
		(*hosts)++;
	/* No request bodies: a Transfer-Encoding, a Content-Length not 0. */
	if (i == 17 && str_nieq(s, "Transfer-Encoding", 17))
		return 400;
	if (i == 14 && str_nieq(s, "Content-Length", 14)) {
		for (v = i + 1; v < n && (s[v] == ' ' || s[v] == '\t'); v++)
			;
		if (v == n || s[v] != '0')
			return 400;
		for (v++; v < n && s[v] == '0'; v++)
			;
		for (; v < n && (s[v] == ' ' || s[v] == '\t'); v++)
			;
		if (v != n)
			return 400;
	}
	return 200;
}

/* see metricsd.h */
void
metricsd_parse(const char *p, size_t n, struct md_req *r)
{
	const char	*s = p, *end = p + n, *next;
	size_t		 len;
	int		 first = 1, hosts = 0, minor = 1, st;

	memset(r, 0, sizeof(*r));
	for (; (next = next_line(s, end, &len)) != NULL; s = next) {
		if (next - p > MD_HEAD_MAX) {
			r->status = 431;
			return;
		}
		if (memchr(s, '\r', len) != NULL || memchr(s, '\0', len)) {
			r->status = 400;
			return;
		}
		if (len == 0 && first)
			continue;	/* RFC 9112 section 2.2 */
		if (len == 0) {
			/* HTTP/1.1 needs one Host (RFC 9112 section 3.2) */
			r->status = hosts > 1 || (minor > 0 && hosts == 0) ?
			    400 : 200;
			r->used = (size_t)(next - p);
			return;
		}
		if (first)
			st = request_line(s, len, r, &minor);
		else if (s[0] == ' ' || s[0] == '\t')
			st = 400;	/* obs-fold (RFC 9112 section 5.2) */
		else
			st = field(s, len, &hosts);
		first = 0;
		if (st != 200) {
			r->status = st;
			return;
		}
	}
	r->status = n >= MD_HEAD_MAX ? 431 : 0;
}

/* see metricsd.h */
int
metricsd_route(const struct md_req *r, int healthy)
{
	if (!r->get)
		return 405;
	if (strcmp(r->path, "/metrics") == 0)
		return 200;
	if (strcmp(r->path, "/healthz") == 0)
		return healthy ? 200 : 503;
	return 404;
}

/* see metricsd.h */
const struct error *
metricsd_addr(const char *spec, char *addr, size_t size, unsigned int *port)
{
	const char	*colon = strrchr(spec, ':');
	const char	*h = spec;
	size_t		 hl;
	unsigned char	 any[sizeof(struct in6_addr)];

	if (colon == NULL || parse_uint(colon + 1, 65535, port) != 0)
		goto bad;
	hl = (size_t)(colon - spec);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	} else if (memchr(h, ':', hl) != NULL)
		goto bad;	/* an IPv6 address goes in brackets */
	if (hl == 0 || (hl == 9 && memcmp(h, "localhost", 9) == 0))
		h = "127.0.0.1", hl = 9;
	if (hl >= size)
		goto bad;
	memcpy(addr, h, hl);
	addr[hl] = '\0';
	if (inet_pton(AF_INET, addr, any) == 1 ||
	    inet_pton(AF_INET6, addr, any) == 1)
		return NULL;
bad:
	return error_fmt(ERR_USAGE, "--metrics-listen '%s': want ADDR:PORT, "
	    ":PORT (127.0.0.1) or [IPV6]:PORT, with a numeric address",
	    spec);
}

/* ---- the server */

static int
healthy(struct metricsd *d, const char **word)
{
	enum md_health	 h;
	int64_t		 beat;

	pthread_mutex_lock(&d->mu);
	h = d->health;
	beat = d->beat;
	pthread_mutex_unlock(&d->mu);
	switch (h) {
	case MD_STARTING:
		*word = "starting";
		return 0;
	case MD_STOPPING:
		*word = "stopping";
		return 0;
	default:
		break;
	}
	if (now_ms() - beat > MD_STALE_MS) {
		*word = "stalled";
		return 0;
	}
	*word = h == MD_ACTIVE ? "active" : "standby";
	return 1;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Internal Server Error";
	}
}

/* Build c's whole reply (status and body) and start writing it. */
static void
reply(struct metricsd *d, struct md_conn *c, int status, int head,
    const char *path)
{
	struct buf	 body = BUF_INIT(METRICS_MAX);
	const char	*type = "text/plain; charset=utf-8", *word;
	int		 ok;

	if (status == 200 && strcmp(path, "/metrics") == 0) {
		if (metrics_render(&body) != NULL) {
			buf_reset(&body);
			status = 500;
		} else
			type = "text/plain; version=0.0.4; charset=utf-8";
	} else if (strcmp(path, "/healthz") == 0 &&
	    (status == 200 || status == 503)) {
		ok = healthy(d, &word);
		status = ok ? 200 : 503;
		(void)buf_addf(&body, "%s%s\n", ok ? "ok " : "", word);
	}
	if (body.len == 0 && status != 200)
		(void)buf_addf(&body, "%d %s\n", status, reason(status));
	buf_reset(&c->out);
	if (buf_addf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n%s"
	    "Connection: close\r\n\r\n", status, reason(status), type,
	    body.len, status == 405 ? "Allow: GET, HEAD\r\n" : "") != NULL ||
	    (!head && buf_add(&c->out, body.p, body.len) != NULL))
		buf_reset(&c->out);
	buf_release(&body);
	c->off = 0;
	c->state = MD_WRITE;
	c->deadline = now_ms() + MD_WRITE_MS;
}

static void
conn_close(struct md_conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->state = MD_FREE;
	buf_release(&c->out);
}

/* Written: half-close, drain the client's rest for a while, then close. */
static void
conn_linger(struct md_conn *c)
{
	(void)shutdown(c->fd, SHUT_WR);
	c->state = MD_LINGER;
	c->deadline = now_ms() + MD_LINGER_MS;
}

static void
conn_write(struct md_conn *c)
{
	ssize_t	 n;

	while (c->off < c->out.len) {
		n = send(c->fd, c->out.p + c->off, c->out.len - c->off,
		    MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->off += (size_t)n;
	}
	conn_linger(c);
}

static void
conn_read(struct metricsd *d, struct md_conn *c)
{
	struct md_req	 r;
	char		 sink[1024];
	ssize_t		 n;

	if (c->state == MD_LINGER) {
		while ((n = recv(c->fd, sink, sizeof(sink), 0)) > 0)
			;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR))
			conn_close(c);
		return;
	}
	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);	/* gone before its head was complete */
		return;
	}
	c->inlen += (size_t)n;
	metricsd_parse(c->in, c->inlen, &r);
	if (r.status == 0)
		return;
	reply(d, c, r.status == 200 ? metricsd_route(&r, 1) : r.status,
	    r.status == 200 && r.head, r.path);
	conn_write(c);
}

/* Accept what waits; a slot each, a spare (503) slot past MD_CONNS. */
static void
accept_all(struct metricsd *d)
{
	struct md_conn	*c;
	size_t		 i, busy;
	int		 fd;

	while ((fd = accept4(d->lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		for (i = busy = 0; i < MD_NSLOTS; i++)
			busy += d->c[i].state != MD_FREE && !d->c[i].spare;
		for (i = 0; i < MD_NSLOTS && d->c[i].state != MD_FREE; i++)
			;
		if (i == MD_NSLOTS) {
			close(fd);	/* even the spare slots are taken */
			continue;
		}
		c = &d->c[i];
		c->fd = fd;
		c->inlen = 0;
		c->spare = busy >= MD_CONNS;
		c->state = MD_READ;
		c->deadline = now_ms() + MD_READ_MS;
		if (c->spare) {
			reply(d, c, 503, 0, "");
			conn_write(c);
		}
	}
}

static void *
serve(void *arg)
{
	struct metricsd	*d = arg;
	struct pollfd	 pf[2 + MD_NSLOTS];
	struct md_conn	*c;
	size_t		 i, k[MD_NSLOTS], np;
	int64_t		 now, next;
	int		 wait;

	for (;;) {
		pf[0].fd = d->wake[0];
		pf[0].events = POLLIN;
		pf[1].fd = d->lfd;
		pf[1].events = POLLIN;
		np = 2;
		next = INT64_MAX;
		for (i = 0; i < MD_NSLOTS; i++) {
			c = &d->c[i];
			if (c->state == MD_FREE)
				continue;
			pf[np].fd = c->fd;
			pf[np].events = c->state == MD_WRITE ? POLLOUT : POLLIN;
			pf[np].revents = 0;
			k[np - 2] = i;
			np++;
			if (c->deadline < next)
				next = c->deadline;
		}
		now = now_ms();
		wait = next == INT64_MAX ? -1 : next <= now ? 0 :
		    (int)(next - now);
		if (poll(pf, (nfds_t)np, wait) == -1 && errno != EINTR)
			break;
		if (pf[0].revents != 0)
			break;
		for (i = 2; i < np; i++) {
			c = &d->c[k[i - 2]];
			if (pf[i].revents == 0)
				continue;
			if (c->state == MD_WRITE)
				conn_write(c);
			else if (pf[i].revents != 0)
				conn_read(d, c);
		}
		now = now_ms();
		for (i = 0; i < MD_NSLOTS; i++) {
			c = &d->c[i];
			if (c->state == MD_FREE || now < c->deadline)
				continue;
			if (c->state == MD_READ) {
				/* slowloris: 408, with little time to take it */
				reply(d, c, 408, 0, "");
				c->deadline = now + MD_LINGER_MS;
				conn_write(c);
			} else
				conn_close(c);
		}
		if (pf[1].revents & POLLIN)
			accept_all(d);
	}
	for (i = 0; i < MD_NSLOTS; i++)
		if (d->c[i].state != MD_FREE)
			conn_close(&d->c[i]);
	return NULL;
}

static const struct error *
listen_error(const char *spec)
{
	int	 err = errno;

	switch (err) {
	case EADDRINUSE:
		return error_fmt(ERR_UNAVAIL, "--metrics-listen %s: address "
		    "already in use (another process listens there; choose "
		    "another port)", spec);
	case EACCES:
		return error_fmt(ERR_PERM, "--metrics-listen %s: permission "
		    "denied (ports below 1024 need privileges; choose a port "
		    "above 1023)", spec);
	case EADDRNOTAVAIL:
		return error_fmt(ERR_CONFIG, "--metrics-listen %s: no such "
		    "address on this host", spec);
	}
	return error_fmt(ERR_IO, "--metrics-listen %s: %s", spec,
	    strerror(err));
}

/* see metricsd.h */
const struct error *
metricsd_start(const char *spec, struct metricsd **out)
{
	const struct error	*e;
	struct metricsd		*d;
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sl;
	pthread_attr_t		 attr;
	sigset_t		 block, old;
	char			 addr[INET6_ADDRSTRLEN], shown[INET6_ADDRSTRLEN];
	unsigned int		 port;
	size_t			 i;
	int			 one = 1, rc;

	*out = NULL;
	if ((e = metricsd_addr(spec, addr, sizeof(addr), &port)) != NULL)
		return e;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
	} else {
		(void)inet_pton(AF_INET6, addr, &s6->sin6_addr);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s6);
	}
	d = xcalloc(1, sizeof(*d));
	d->wake[0] = d->wake[1] = -1;
	for (i = 0; i < MD_NSLOTS; i++) {
		d->c[i].fd = -1;
		buf_init(&d->c[i].out, METRICS_MAX + 512);
	}
	if ((d->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		e = listen_error(spec);
		goto fail;
	}
	(void)setsockopt(d->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(d->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(d->lfd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(d->lfd, MD_BACKLOG) == -1 ||
	    getsockname(d->lfd, (struct sockaddr *)&ss, &sl) == -1) {
		e = listen_error(spec);
		goto fail;
	}
	if (pipe2(d->wake, O_CLOEXEC | O_NONBLOCK) == -1) {
		e = error_errno("pipe", NULL);
		goto fail;
	}
	pthread_mutex_init(&d->mu, NULL);
	d->health = MD_STARTING;
	d->beat = now_ms();
	/* The stop signals stay with the poll loop's thread (sig.h). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if ((rc = pthread_attr_init(&attr)) == 0) {
		pthread_attr_setstacksize(&attr, MD_STACK);
		rc = pthread_create(&d->th, &attr, serve, d);
		pthread_attr_destroy(&attr);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_mutex_destroy(&d->mu);
		e = error_fmt(ERR_IO, "--metrics-listen: cannot start a "
		    "thread: %s", strerror(rc));
		goto fail;
	}
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &s4->sin_addr, shown, sizeof(shown));
	else
		inet_ntop(AF_INET6, &s6->sin6_addr, shown, sizeof(shown));
	log_info("metrics: listening on http://%s%s%s:%u/metrics",
	    ss.ss_family == AF_INET6 ? "[" : "", shown,
	    ss.ss_family == AF_INET6 ? "]" : "",
	    ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port));
	*out = d;
	return NULL;
fail:
	if (d->lfd != -1)
		close(d->lfd);
	if (d->wake[0] != -1) {
		close(d->wake[0]);
		close(d->wake[1]);
	}
	free(d);
	return e;
}

/* see metricsd.h */
void
metricsd_health(struct metricsd *d, enum md_health h)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->health = h;
	d->beat = now_ms();
	pthread_mutex_unlock(&d->mu);
}

/* see metricsd.h */
void
metricsd_stop(struct metricsd *d)
{
	if (d == NULL)
		return;
	while (write(d->wake[1], "x", 1) == -1 && errno == EINTR)
		;
	pthread_join(d->th, NULL);
	pthread_mutex_destroy(&d->mu);
	close(d->lfd);
	close(d->wake[0]);
	close(d->wake[1]);
	free(d);
}
