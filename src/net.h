/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_NET_H
#define GHRCTL_NET_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * TCP with deadlines: resolve (getaddrinfo, IPv4 and IPv6), non-blocking
 * connect tried address by address, and poll()-based reads and writes.
 * Sockets are non-blocking, close-on-exec and TCP_NODELAY (without it a
 * TLS handshake plus request costs ~40 ms of delayed-ACK stalls).
 *
 * Deadlines are on the now_ms() monotonic clock.  Each wait is bounded by
 * io_timeout_ms from its start and by the absolute end of the whole
 * exchange; when one passes the error is ERR_TEMP "timed out after N ms
 * waiting for PEER", N being the timeout that fired.
 */

struct net_conn {
	int		 fd;		/* -1 when closed */
	char		 peer[300];	/* host name, for messages */
	int		 io_timeout_ms;	/* per wait */
	int64_t		 end;		/* absolute deadline; 0: none */
	int		 end_ms;	/* the total timeout, for messages */
};

/* Mark c closed (fd -1) without touching anything else. */
void			 net_init(struct net_conn *c);

/*
 * For test drivers only (httpc --resolve, as curl's --resolve): connect
 * to the numeric address addr whenever the host is name, so a test can
 * use a name that is not loopback-looking without DNS.  NULL: none.
 */
void			 net_resolve_override(const char *name,
			    const char *addr);

/*
 * Resolve host and connect to port within connect_ms (and c->end).  Sets
 * c->fd and c->peer.  Errors: ERR_UNAVAIL (resolve failed, refused,
 * unreachable), ERR_TEMP (timed out).
 */
const struct error	*net_connect(struct net_conn *c, const char *host,
			    unsigned int port, int connect_ms);

/*
 * Read up to n bytes once data is available.  *got is 0 at end of stream.
 * Errors: ERR_TEMP (deadline), ERR_UNAVAIL (reset).
 */
const struct error	*net_read(struct net_conn *, void *, size_t n,
			    size_t *got);

/* Write all n bytes.  Errors: ERR_TEMP, ERR_UNAVAIL. */
const struct error	*net_write(struct net_conn *, const void *, size_t n);

/*
 * 1 when an idle connection is no longer usable: the peer closed it, reset
 * it, or sent bytes nobody asked for.
 */
int			 net_idle_dead(const struct net_conn *);

/* Close the socket (if open); c can be reused. */
void			 net_close(struct net_conn *);

#endif
