/*
 * SPDX-License-Identifier: ISC
 *
 * TCP transport with deadlines: getaddrinfo() for IPv4 and IPv6, a
 * non-blocking connect() to each address in turn (each gets an equal share
 * of what is left of the connect timeout, so one black-holed address does
 * not eat the whole budget), and poll()-driven reads and writes.
 * TCP_NODELAY is set on every socket: BearSSL writes a handshake flight as
 * several small records and Nagle plus delayed ACK would add ~40 ms to each
 * exchange (RFC 896 and RFC 1122 section 4.2.3.2: Nagle's algorithm and
 * delayed acknowledgements).
 *
 * XXX getaddrinfo() itself cannot be bounded by the deadline (issue 2).
 */

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "net.h"
#include "sig.h"
#include "util.h"

static char	 override_name[256], override_addr[64];

/* see net.h */
void
net_resolve_override(const char *name, const char *addr)
{
	override_name[0] = override_addr[0] = '\0';
	if (name != NULL && addr != NULL &&
	    str_copy(override_name, sizeof(override_name), name) != NULL)
		override_name[0] = '\0';
	if (addr != NULL && str_copy(override_addr, sizeof(override_addr),
	    addr) != NULL)
		override_name[0] = '\0';
}

/* see net.h */
void
net_init(struct net_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* see net.h */
void
net_close(struct net_conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/*
 * Milliseconds to wait from now: the smaller of timeout_ms and what is
 * left before c->end.  *which is the timeout that would fire first.
 */
static int
wait_ms(const struct net_conn *c, int timeout_ms, int *which)
{
	int64_t	 left, now = now_ms();

	*which = timeout_ms;
	if (c->end != 0) {
		left = c->end - now;
		if (left < 0)
			left = 0;
		if (left < timeout_ms) {
			*which = c->end_ms;
			return (int)left;
		}
	}
	return timeout_ms;
}

static const struct error *
timed_out(const struct net_conn *c, int ms)
{
	return error_fmt(ERR_TEMP, "timed out after %d ms waiting for %s", ms,
	    c->peer);
}

/* Wait for events on c->fd for up to timeout_ms (bounded by c->end). */
static const struct error *
wait_fd(const struct net_conn *c, short events, int timeout_ms)
{
	struct pollfd	 pfd;
	int64_t		 start = now_ms(), until;
	int		 ms, which, r;

	ms = wait_ms(c, timeout_ms, &which);
	until = start + ms;
	for (;;) {
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, ms);
		if (r > 0)
			return NULL;
		if (r == 0)
			return timed_out(c, which);
		if (errno != EINTR)
			return error_fmt(ERR_UNAVAIL, "poll: %s",
			    strerror(errno));
		/*
		 * A stop request (sig.h) ends this wait, so a long poll does
		 * not hold SIGTERM for 50 s; later calls (closing the
		 * session) still run, since only a signal during a wait
		 * interrupts it.
		 */
		if (sig_stop)
			return error_fmt(ERR_TEMP, "interrupted while waiting "
			    "for %s", c->peer);
		ms = (int)(until - now_ms());
		if (ms < 0)
			ms = 0;
	}
}

static const struct error *
connect_one(struct net_conn *c, const struct addrinfo *ai, int ms)
{
	const struct error	*e;
	socklen_t		 len;
	int			 fd, one = 1, err = 0;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return error_fmt(ERR_UNAVAIL, "socket: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return NULL;
	if (errno != EINPROGRESS) {
		err = errno;
		goto fail;
	}
	if ((e = wait_fd(c, POLLOUT, ms)) != NULL) {
		net_close(c);
		return e;
	}
	len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err == 0)
		return NULL;
fail:
	net_close(c);
	return error_fmt(ERR_UNAVAIL, "cannot connect to %s port %u: %s",
	    c->peer, ntohs(ai->ai_family == AF_INET6 ?
	    ((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_port :
	    ((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_port),
	    strerror(err));
}

/* see net.h */
const struct error *
net_connect(struct net_conn *c, const char *host, unsigned int port,
    int connect_ms)
{
	const struct error	*e = NULL;
	struct addrinfo		 hints, *res = NULL, *ai;
	char			 serv[8];
	int64_t			 end;
	int			 r, n, left;

	net_close(c);
	(void)str_copy(c->peer, sizeof(c->peer), host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(serv, sizeof(serv), "%u", port);
	if (override_name[0] != '\0' && str_ieq(host, override_name)) {
		host = override_addr;
		hints.ai_flags |= AI_NUMERICHOST;
	}
	if ((r = getaddrinfo(host, serv, &hints, &res)) != 0)
		return error_fmt(ERR_UNAVAIL, "cannot resolve '%s': %s", host,
		    r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
	end = now_ms() + connect_ms;
	for (n = 0, ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	for (ai = res; ai != NULL; ai = ai->ai_next, n--) {
		left = (int)(end - now_ms());
		if (left <= 0) {
			e = timed_out(c, connect_ms);
			break;
		}
		if ((e = connect_one(c, ai, ai->ai_next == NULL ? left :
		    left / n)) == NULL)
			break;
		if (e->class == ERR_TEMP && ai->ai_next == NULL)
			e = timed_out(c, connect_ms);
	}
	freeaddrinfo(res);
	return e;
}

/* see net.h */
const struct error *
net_read(struct net_conn *c, void *p, size_t n, size_t *got)
{
	const struct error	*e;
	ssize_t			 r;

	*got = 0;
	/* Past the deadline nothing more is read, even bytes that trickle. */
	if (c->end != 0 && now_ms() >= c->end)
		return timed_out(c, c->end_ms);
	for (;;) {
		r = recv(c->fd, p, n, 0);
		if (r >= 0) {
			*got = (size_t)r;
			return NULL;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return error_fmt(ERR_UNAVAIL, "connection to %s "
			    "failed: %s", c->peer, strerror(errno));
		if ((e = wait_fd(c, POLLIN, c->io_timeout_ms)) != NULL)
			return e;
	}
}

/* see net.h */
const struct error *
net_write(struct net_conn *c, const void *p, size_t n)
{
	const struct error	*e;
	const char		*s = p;
	ssize_t			 r;

	while (n > 0) {
		r = send(c->fd, s, n, MSG_NOSIGNAL);
		if (r > 0) {
			s += r;
			n -= (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return error_fmt(ERR_UNAVAIL, "connection to %s "
			    "failed: %s", c->peer, strerror(errno));
		if ((e = wait_fd(c, POLLOUT, c->io_timeout_ms)) != NULL)
			return e;
	}
	return NULL;
}

/* see net.h */
int
net_idle_dead(const struct net_conn *c)
{
	struct pollfd	 pfd;

	if (c->fd == -1)
		return 1;
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	/* An idle connection must be silent: readable means EOF or junk. */
	return poll(&pfd, 1, 0) != 0;
}
