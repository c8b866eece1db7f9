/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_TLS_H
#define GHRCTL_TLS_H

#include <stddef.h>

#include "error.h"
#include "net.h"

/*
 * TLS 1.2 client over a net_conn, with BearSSL.  Trust anchors come from a
 * PEM bundle; the server certificate chain is always verified, and so is
 * the host name (BearSSL matches DNS names only, never IP addresses).
 */

struct tls_trust;
struct tls_conn;

/*
 * Load the trust anchors from ca_file, else $SSL_CERT_FILE, else the first
 * system bundle that exists (Debian/Ubuntu, RHEL/Fedora, SUSE, Alpine).
 * Errors: ERR_CONFIG (file unreadable, no certificate in it, no system
 * bundle).  Free with tls_trust_free() (NULL is fine).
 */
const struct error	*tls_trust_load(const char *ca_file,
			    struct tls_trust **out);
/*
 * The same from PEM text in memory (pure but for debug logging); name is
 * the file named in messages.  ERR_CONFIG when no certificate is usable.
 */
const struct error	*tls_trust_parse(const char *pem, size_t len,
			    const char *name, struct tls_trust **out);
void			 tls_trust_free(struct tls_trust *);
size_t			 tls_trust_count(const struct tls_trust *);
const char		*tls_trust_file(const struct tls_trust *);

/*
 * Handshake with server_name (SNI and the name checked) over net, which
 * must be connected and must outlive the tls_conn.  On success *out owns
 * the BearSSL contexts and the ~33 KB record buffer.  Errors: ERR_PERM
 * (untrusted chain, wrong name, expired), ERR_UNAVAIL (alert, reset,
 * closed), ERR_TEMP (deadline).
 */
const struct error	*tls_connect(const struct tls_trust *,
			    struct net_conn *net, const char *server_name,
			    struct tls_conn **out);

/* Queue n bytes of application data (sent by tls_flush or when full). */
const struct error	*tls_write(struct tls_conn *, const void *, size_t n);
const struct error	*tls_flush(struct tls_conn *);

/*
 * Read up to n bytes of application data; *got is 0 when the server
 * closed the connection (close_notify or plain EOF).
 */
const struct error	*tls_read(struct tls_conn *, void *, size_t n,
			    size_t *got);

/* Free the TLS state (the socket is the caller's); NULL is fine. */
/*
 * 1 when the stream ended with the peer's close_notify alert; 0 while it
 * is open or when the socket merely hit end of stream (tls_read() gives
 * *got 0 for both), which may be a truncation (RFC 5246 7.2.1).
 */
int			 tls_close_notified(struct tls_conn *);
void			 tls_free(struct tls_conn *);

#endif
