/*
 * SPDX-License-Identifier: ISC
 *
 * BearSSL glue.  Trust anchors: the PEM bundle is scanned for
 * "-----BEGIN CERTIFICATE-----" blocks, their base64 decoded with b64.c
 * (BearSSL's own PEM decoder is byte-at-a-time and costs milliseconds on a
 * 200 KB system bundle) and each DER certificate turned into a trust anchor
 * by br_x509_decoder; the anchor array grows as needed.  The client is
 * set up by client_init() below with TLS 1.2 only and the ECDHE suites
 * with AES-GCM and ChaCha20-Poly1305 (what GitHub, GHES and AWS endpoints
 * offer), not br_ssl_client_init_full's every suite, which would pull
 * 3DES, CBC, RSA key exchange and the TLS 1.0 PRF into the binary; it is seeded
 * from getrandom() with br_ssl_engine_inject_entropy (BearSSL 0.6 would
 * otherwise open /dev/urandom, which chroots and minimal containers lack),
 * and is driven by our own engine loop over net.c so that deadlines and
 * I/O errors keep their meaning.  BearSSL error codes are turned into
 * one-line messages; see BearSSL's bearssl_ssl.h and bearssl_x509.h for
 * the codes.
 */

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "b64.h"
#include "buf.h"
#include "log.h"
#include "net.h"
#include "tls.h"
#include "util.h"

#define TLS_MAX_BUNDLE	(16u << 20)	/* a CA bundle larger than this is not one */
#define TLS_MAX_CERT	(64u << 10)

struct tls_trust {
	br_x509_trust_anchor	*ta;
	size_t			 n, cap;
	char			 file[512];
};

/*
 * Refusals of our own on top of BearSSL's minimal X.509 engine, reported
 * through the engine's error code (outside BearSSL's ranges: BR_ERR_* for
 * SSL stay below 32, X.509 ones are 32..63, alerts 256 and up).
 */
#define TLS_ERR_LEAF_SHA1	80	/* end-entity signed with SHA-1 (or MD5) */
#define TLS_ERR_LEAF_RSA	81	/* end-entity RSA key under 2048 bits */
#define TLS_ERR_LEAF_NO_SAN	82	/* end-entity without a DNS SAN */
#define TLS_ERR_LEAF_BAD	83	/* end-entity the side decoder refused */
#define TLS_MIN_RSA_BITS	2048

/*
 * An X.509 class wrapped around the minimal engine, which validates the
 * chain (trust, dates, host name, signatures).  The end-entity
 * certificate is also decoded on the side (br_x509_decoder) for what the
 * minimal engine accepts but the Web PKI has retired (CA/Browser Forum
 * Baseline Requirements 6.1.5 and 7.1.3; RFC 6125 6.4.4 and RFC 9525
 * section 6: no host name from the subject CN): a SHA-1 signature, an RSA
 * key under 2048 bits, no subjectAltName DNS name.  RSA keys of
 * intermediates are held to 2048 bits by the minimal engine itself.
 */
struct leaf_x509 {
	const br_x509_class	*vtable;
	br_x509_minimal_context	 mc;
	br_x509_decoder_context	 dc;
	br_name_element		 san;
	char			 san_buf[256];
	unsigned int		 ncert;
	unsigned int		 rsa_bits;	/* of the end-entity key */
};

struct tls_conn {
	br_ssl_client_context	 cc;
	struct leaf_x509	 xc;
	struct net_conn		*net;
	const struct error	*io_err;	/* socket error or EOF: conn dead */
	int			 eof;		/* the socket hit end of stream */
	char			 host[256];
	unsigned char		 iobuf[BR_SSL_BUFSIZE_BIDI];
};

static const char *const system_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",	/* Debian, Ubuntu, Gentoo, Arch */
	"/etc/pki/tls/certs/ca-bundle.crt",	/* RHEL, Fedora, CentOS */
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL 7+ */
	"/etc/ssl/ca-bundle.pem",		/* SUSE */
	"/etc/ssl/cert.pem",			/* Alpine, macOS, OpenBSD */
	NULL
};

struct dnbuf {
	unsigned char	*p;
	size_t		 len, cap;
};

static void
dn_append(void *ctx, const void *d, size_t n)
{
	struct dnbuf	*b = ctx;

	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

/* Add the DER certificate der/n as a trust anchor; 0 when unusable. */
static int
add_anchor(struct tls_trust *t, const unsigned char *der, size_t n)
{
	br_x509_decoder_context	 dc;
	br_x509_trust_anchor	*ta;
	const br_x509_pkey	*pk;
	struct dnbuf		 dn = { NULL, 0, 0 };

	br_x509_decoder_init(&dc, dn_append, &dn);
	br_x509_decoder_push(&dc, der, n);
	if ((pk = br_x509_decoder_get_pkey(&dc)) == NULL ||
	    br_x509_decoder_last_error(&dc) != 0) {
		free(dn.p);
		return 0;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->ta = xrealloc(t->ta, t->cap * sizeof(*t->ta));
	}
	ta = &t->ta[t->n++];
	memset(ta, 0, sizeof(*ta));
	ta->dn.data = dn.p != NULL ? dn.p : xmalloc(1);
	ta->dn.len = dn.len;
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = xmemdup(pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = xmemdup(pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
	} else {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = xmemdup(pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
	}
	return 1;
}

/* Scan PEM text for CERTIFICATE blocks; returns how many were skipped. */
static size_t
scan_pem(struct tls_trust *t, const char *s, size_t len)
{
	static const char	 begin[] = "-----BEGIN CERTIFICATE-----";
	static const char	 end[] = "-----END CERTIFICATE-----";
	struct buf		 der = BUF_INIT(TLS_MAX_CERT);
	const char		*p = s, *lim = s + len, *b, *e;
	size_t			 skipped = 0;

	while ((b = memmem(p, (size_t)(lim - p), begin, sizeof(begin) - 1))
	    != NULL) {
		b += sizeof(begin) - 1;
		if ((e = memmem(b, (size_t)(lim - b), end, sizeof(end) - 1))
		    == NULL)
			break;
		buf_reset(&der);
		if (b64_decode(b, (size_t)(e - b), &der) != NULL ||
		    !add_anchor(t, (unsigned char *)der.p, der.len))
			skipped++;
		p = e + sizeof(end) - 1;
	}
	buf_release(&der);
	return skipped;
}

static const struct error *
read_file(const char *path, struct buf *out)
{
	const struct error	*e = NULL;
	FILE			*f;
	char			 chunk[16384];
	size_t			 n;

	if ((f = fopen(path, "rb")) == NULL)
		return error_fmt(ERR_CONFIG, "cannot read CA file '%s': %s "
		    "(check --ca-file / GHRCTL_CA_FILE / SSL_CERT_FILE)", path,
		    strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((e = buf_add(out, chunk, n)) != NULL) {
			e = error_fmt(ERR_CONFIG, "CA file '%s' is larger than "
			    "%u bytes", path, TLS_MAX_BUNDLE);
			break;
		}
	if (e == NULL && ferror(f))
		e = error_fmt(ERR_CONFIG, "cannot read CA file '%s': %s", path,
		    strerror(errno));
	fclose(f);
	return e;
}

/* see tls.h */
const struct error *
tls_trust_parse(const char *pem, size_t len, const char *name,
    struct tls_trust **out)
{
	struct tls_trust	*t;
	size_t			 skipped;

	*out = NULL;
	t = xcalloc(1, sizeof(*t));
	(void)str_copy(t->file, sizeof(t->file), name);
	skipped = scan_pem(t, pem != NULL ? pem : "", len);
	if (t->n == 0) {
		tls_trust_free(t);
		return error_fmt(ERR_CONFIG, "no usable certificate in CA file "
		    "'%s'", name);
	}
	if (skipped > 0)
		log_debug("%s: %zu certificates skipped", name, skipped);
	log_debug("%zu trust anchors from %s", t->n, name);
	*out = t;
	return NULL;
}

/* see tls.h */
const struct error *
tls_trust_load(const char *ca_file, struct tls_trust **out)
{
	const struct error	*e;
	struct buf		 pem = BUF_INIT(TLS_MAX_BUNDLE);
	const char		*path = ca_file;
	size_t			 i;

	*out = NULL;
	if (path == NULL || *path == '\0')
		path = getenv("SSL_CERT_FILE");
	if (path == NULL || *path == '\0') {
		for (i = 0; system_bundles[i] != NULL; i++)
			if (access(system_bundles[i], R_OK) == 0)
				break;
		if ((path = system_bundles[i]) == NULL)
			return error_fmt(ERR_CONFIG, "no CA bundle found (tried "
			    "%s and others; set --ca-file or GHRCTL_CA_FILE)",
			    system_bundles[0]);
	}
	if ((e = read_file(path, &pem)) == NULL)
		e = tls_trust_parse(pem.p, pem.len, path, out);
	buf_release(&pem);
	return e;
}

/* see tls.h */
void
tls_trust_free(struct tls_trust *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->ta[i].dn.data);
		if (t->ta[i].pkey.key_type == BR_KEYTYPE_RSA) {
			free(t->ta[i].pkey.key.rsa.n);
			free(t->ta[i].pkey.key.rsa.e);
		} else
			free(t->ta[i].pkey.key.ec.q);
	}
	free(t->ta);
	free(t);
}

/* see tls.h */
size_t
tls_trust_count(const struct tls_trust *t)
{
	return t != NULL ? t->n : 0;
}

/* see tls.h */
const char *
tls_trust_file(const struct tls_trust *t)
{
	return t != NULL ? t->file : NULL;
}

static int
is_ip(const char *h)
{
	unsigned char	 a[16];

	return inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1;
}

/* The error behind a failed or closed engine. */
static const struct error *
tls_error(struct tls_conn *t)
{
	int	 err = br_ssl_engine_last_error(&t->cc.eng);

	if (err == BR_ERR_IO && t->io_err != NULL)
		return t->io_err;
	switch (err) {
	case BR_ERR_OK:
		return error_fmt(ERR_UNAVAIL, "TLS: %s closed the connection",
		    t->host);
	case BR_ERR_X509_NOT_TRUSTED:
		return error_fmt(ERR_PERM, "TLS: certificate for '%s' is not "
		    "trusted (check --ca-file / GHRCTL_CA_FILE)", t->host);
	case BR_ERR_X509_BAD_SERVER_NAME:
		return error_fmt(ERR_PERM, "TLS: certificate does not match "
		    "host name '%s'%s", t->host, is_ip(t->host) ?
		    " (IP addresses cannot be verified: use the DNS name)" :
		    "");
	case BR_ERR_X509_EXPIRED:
		return error_fmt(ERR_PERM, "TLS: certificate for '%s' expired "
		    "or not yet valid (check the clock)", t->host);
	case TLS_ERR_LEAF_SHA1:
		return error_fmt(ERR_PERM, "TLS: certificate for '%s' is "
		    "signed with SHA-1, which is not accepted (the server "
		    "needs a SHA-256 certificate)", t->host);
	case TLS_ERR_LEAF_RSA:
		return error_fmt(ERR_PERM, "TLS: certificate for '%s' has a "
		    "%u-bit RSA key; at least %d bits are needed", t->host,
		    t->xc.rsa_bits, TLS_MIN_RSA_BITS);
	case BR_ERR_X509_WEAK_PUBLIC_KEY:
		return error_fmt(ERR_PERM, "TLS: certificate chain for '%s' "
		    "has an RSA key shorter than %d bits", t->host,
		    TLS_MIN_RSA_BITS);
	case TLS_ERR_LEAF_NO_SAN:
		return error_fmt(ERR_PERM, "TLS: certificate for '%s' has no "
		    "subjectAltName DNS name (a name only in the subject CN "
		    "is not accepted)", t->host);
	case TLS_ERR_LEAF_BAD:
		return error_fmt(ERR_PROTO, "TLS: cannot decode the "
		    "certificate of '%s'", t->host);
	case BR_ERR_X509_NOT_CA:
	case BR_ERR_X509_FORBIDDEN_KEY_USAGE:
	case BR_ERR_X509_BAD_SIGNATURE:
	case BR_ERR_X509_CRITICAL_EXTENSION:
		return error_fmt(ERR_PERM, "TLS: certificate chain for '%s' "
		    "rejected (BearSSL X.509 error %d)", t->host, err);
	}
	if (err >= BR_ERR_X509_OK && err <= BR_ERR_X509_NOT_TRUSTED)
		return error_fmt(ERR_PROTO, "TLS: cannot decode the certificate "
		    "of '%s' (BearSSL X.509 error %d)", t->host, err);
	if (err >= BR_ERR_SEND_FATAL_ALERT)
		return error_fmt(ERR_UNAVAIL, "TLS: handshake with '%s' failed: "
		    "sent alert %d", t->host, err - BR_ERR_SEND_FATAL_ALERT);
	if (err >= BR_ERR_RECV_FATAL_ALERT)
		return error_fmt(ERR_UNAVAIL, "TLS: '%s' sent alert %d%s",
		    t->host, err - BR_ERR_RECV_FATAL_ALERT,
		    err == BR_ERR_RECV_FATAL_ALERT + 40 ? " (handshake failure: "
		    "no common TLS 1.2 cipher suite?)" : "");
	return error_fmt(ERR_UNAVAIL, "TLS: connection to '%s' failed "
	    "(BearSSL error %d)", t->host, err);
}

/*
 * Run the engine until one of the states in target is reached: send what
 * it wants sent, read what it wants read.  Sets t->eof at end of stream.
 */
static const struct error *
pump(struct tls_conn *t, unsigned int target)
{
	br_ssl_engine_context	*eng = &t->cc.eng;
	const struct error	*e;
	unsigned char		*p;
	unsigned int		 st;
	size_t			 len, got;

	/* After an I/O error the engine is out of step: stay failed. */
	if (t->io_err != NULL)
		return t->io_err;
	for (;;) {
		st = br_ssl_engine_current_state(eng);
		if (st & BR_SSL_CLOSED)
			return tls_error(t);
		if (st & BR_SSL_SENDREC) {
			p = br_ssl_engine_sendrec_buf(eng, &len);
			if ((e = net_write(t->net, p, len)) != NULL) {
				t->io_err = e;
				return e;
			}
			br_ssl_engine_sendrec_ack(eng, len);
			continue;
		}
		if (st & target)
			return NULL;
		if (st & BR_SSL_RECVAPP)
			return error_fmt(ERR_PROTO, "TLS: '%s' sent data before "
			    "the request was written", t->host);
		if (st & BR_SSL_RECVREC) {
			p = br_ssl_engine_recvrec_buf(eng, &len);
			if ((e = net_read(t->net, p, len, &got)) != NULL) {
				t->io_err = e;
				return e;
			}
			if (got == 0) {
				t->eof = 1;
				t->io_err = error_fmt(ERR_UNAVAIL, "TLS: %s "
				    "closed the connection", t->host);
				return t->io_err;
			}
			br_ssl_engine_recvrec_ack(eng, got);
			continue;
		}
		br_ssl_engine_flush(eng, 0);
	}
}

static struct leaf_x509 *
leaf_of(const br_x509_class **ctx)
{
	return (struct leaf_x509 *)(void *)ctx;
}

static void
leaf_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct leaf_x509	*lx = leaf_of(ctx);

	lx->ncert = 0;
	lx->rsa_bits = 0;
	lx->san.status = 0;
	lx->mc.vtable->start_chain(&lx->mc.vtable, server_name);
}

static void
leaf_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct leaf_x509	*lx = leaf_of(ctx);

	if (lx->ncert == 0)
		br_x509_decoder_init(&lx->dc, NULL, NULL);
	lx->mc.vtable->start_cert(&lx->mc.vtable, length);
}

static void
leaf_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct leaf_x509	*lx = leaf_of(ctx);

	if (lx->ncert == 0)
		br_x509_decoder_push(&lx->dc, buf, len);
	lx->mc.vtable->append(&lx->mc.vtable, buf, len);
}

static void
leaf_end_cert(const br_x509_class **ctx)
{
	struct leaf_x509	*lx = leaf_of(ctx);

	lx->mc.vtable->end_cert(&lx->mc.vtable);
	lx->ncert++;
}

/* Bits of the big-endian unsigned integer n[0..len). */
static unsigned int
int_bits(const unsigned char *n, size_t len)
{
	unsigned int	 b;

	while (len > 0 && n[0] == 0) {
		n++;
		len--;
	}
	if (len == 0)
		return 0;
	for (b = 8; b > 0 && !(n[0] & (1u << (b - 1))); b--)
		;
	return (unsigned int)(len - 1) * 8 + b;
}

/* The end-entity checks; 0 when the certificate passes them. */
static int
leaf_check(struct leaf_x509 *lx)
{
	const br_x509_pkey	*pk;
	int			 h;

	if (lx->ncert == 0 || br_x509_decoder_last_error(&lx->dc) != 0 ||
	    (pk = br_x509_decoder_get_pkey(&lx->dc)) == NULL)
		return TLS_ERR_LEAF_BAD;
	h = br_x509_decoder_get_signer_hash_id(&lx->dc);
	if (h == br_md5_ID || h == br_sha1_ID || h == br_md5sha1_ID)
		return TLS_ERR_LEAF_SHA1;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		lx->rsa_bits = int_bits(pk->key.rsa.n, pk->key.rsa.nlen);
		if (lx->rsa_bits < TLS_MIN_RSA_BITS)
			return TLS_ERR_LEAF_RSA;
	}
	if (lx->san.status == 0)
		return TLS_ERR_LEAF_NO_SAN;
	return 0;
}

static unsigned
leaf_end_chain(const br_x509_class **ctx)
{
	struct leaf_x509	*lx = leaf_of(ctx);
	unsigned		 r;
	int			 own;

	r = lx->mc.vtable->end_chain(&lx->mc.vtable);
	/* An untrusted, misnamed or expired chain is reported as that. */
	if (r == BR_ERR_X509_NOT_TRUSTED || r == BR_ERR_X509_BAD_SERVER_NAME ||
	    r == BR_ERR_X509_EXPIRED)
		return r;
	own = leaf_check(lx);
	if (own == 0 || (own == TLS_ERR_LEAF_BAD && r != 0))
		return r;
	return (unsigned)own;
}

static const br_x509_pkey *
leaf_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct leaf_x509	*lx = (const struct leaf_x509 *)(const void *)ctx;

	return lx->mc.vtable->get_pkey(&lx->mc.vtable, usages);
}

static const br_x509_class leaf_x509_vtable = {
	sizeof(struct leaf_x509),
	leaf_start_chain,
	leaf_start_cert,
	leaf_append,
	leaf_end_cert,
	leaf_end_chain,
	leaf_get_pkey
};

/*
 * A TLS 1.2 client: ECDHE key exchange with ECDSA or RSA certificates,
 * AES-GCM or ChaCha20-Poly1305, and an X.509 validator that knows the
 * SHA-1/SHA-2 hashes certificate chains are signed with (SHA-1 for the
 * intermediates of old chains; the end entity is refused with it).
 */
static void
client_init(br_ssl_client_context *cc, struct leaf_x509 *lx,
    const br_x509_trust_anchor *ta, size_t nta)
{
	static const uint16_t suites[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
	};
	static const br_hash_class *const hashes[] = {
		&br_sha1_vtable, &br_sha224_vtable, &br_sha256_vtable,
		&br_sha384_vtable, &br_sha512_vtable
	};
	/* A SAN element of type dNSName (GeneralName tag 2). */
	static const unsigned char san_dns[] = { 0, 2 };
	br_x509_minimal_context	*xc = &lx->mc;
	size_t			 i;
	int			 id;

	br_ssl_client_zero(cc);
	br_ssl_engine_set_versions(&cc->eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(&cc->eng, suites,
	    sizeof(suites) / sizeof(suites[0]));
	br_x509_minimal_init(xc, &br_sha256_vtable, ta, nta);
	br_x509_minimal_set_minrsa(xc, TLS_MIN_RSA_BITS / 8);
	lx->vtable = &leaf_x509_vtable;
	lx->san.oid = san_dns;
	lx->san.buf = lx->san_buf;
	lx->san.len = sizeof(lx->san_buf);
	br_x509_minimal_set_name_elements(xc, &lx->san, 1);
	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		id = (int)((hashes[i]->desc >> BR_HASHDESC_ID_OFF) &
		    BR_HASHDESC_ID_MASK);
		br_ssl_engine_set_hash(&cc->eng, id, hashes[i]);
		br_x509_minimal_set_hash(xc, id, hashes[i]);
	}
	br_ssl_engine_set_prf_sha256(&cc->eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(&cc->eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_rsavrfy(&cc->eng);
	br_ssl_engine_set_default_ecdsa(&cc->eng);
	br_x509_minimal_set_rsa(xc, br_ssl_engine_get_rsavrfy(&cc->eng));
	br_x509_minimal_set_ecdsa(xc, br_ssl_engine_get_ec(&cc->eng),
	    br_ssl_engine_get_ecdsa(&cc->eng));
	br_ssl_engine_set_default_aes_gcm(&cc->eng);
	br_ssl_engine_set_default_chapol(&cc->eng);
	br_ssl_engine_set_x509(&cc->eng, &lx->vtable);
}

/* see tls.h */
const struct error *
tls_connect(const struct tls_trust *tr, struct net_conn *net,
    const char *server_name, struct tls_conn **out)
{
	const struct error	*e;
	struct tls_conn		*t;
	unsigned char		 seed[32];

	*out = NULL;
	t = xcalloc(1, sizeof(*t));
	t->net = net;
	(void)str_copy(t->host, sizeof(t->host), server_name);
	client_init(&t->cc, &t->xc, tr->ta, tr->n);
	br_ssl_engine_set_buffer(&t->cc.eng, t->iobuf, sizeof(t->iobuf), 1);
	if ((e = random_bytes(seed, sizeof(seed))) != NULL)
		goto fail;
	br_ssl_engine_inject_entropy(&t->cc.eng, seed, sizeof(seed));
	wipe(seed, sizeof(seed));
	if (!br_ssl_client_reset(&t->cc, t->host, 0)) {
		e = tls_error(t);
		goto fail;
	}
	if ((e = pump(t, BR_SSL_SENDAPP | BR_SSL_RECVAPP)) != NULL) {
		if (t->eof)
			e = error_fmt(ERR_UNAVAIL, "TLS: %s closed the "
			    "connection during the handshake", t->host);
		goto fail;
	}
	*out = t;
	return NULL;
fail:
	tls_free(t);
	return e;
}

/* see tls.h */
const struct error *
tls_write(struct tls_conn *t, const void *p, size_t n)
{
	const struct error	*e;
	const unsigned char	*s = p;
	unsigned char		*buf;
	size_t			 len;

	while (n > 0) {
		if ((e = pump(t, BR_SSL_SENDAPP)) != NULL)
			return e;
		buf = br_ssl_engine_sendapp_buf(&t->cc.eng, &len);
		if (len > n)
			len = n;
		memcpy(buf, s, len);
		br_ssl_engine_sendapp_ack(&t->cc.eng, len);
		s += len;
		n -= len;
	}
	return NULL;
}

/* see tls.h */
const struct error *
tls_flush(struct tls_conn *t)
{
	br_ssl_engine_flush(&t->cc.eng, 0);
	return pump(t, BR_SSL_SENDAPP | BR_SSL_RECVAPP);
}

/* see tls.h */
const struct error *
tls_read(struct tls_conn *t, void *p, size_t n, size_t *got)
{
	const struct error	*e;
	unsigned char		*buf;
	size_t			 len;

	*got = 0;
	if ((e = pump(t, BR_SSL_RECVAPP)) != NULL) {
		if (t->eof || (br_ssl_engine_current_state(&t->cc.eng) &
		    BR_SSL_CLOSED && br_ssl_engine_last_error(&t->cc.eng) ==
		    BR_ERR_OK))
			return NULL;
		return e;
	}
	buf = br_ssl_engine_recvapp_buf(&t->cc.eng, &len);
	if (len > n)
		len = n;
	memcpy(p, buf, len);
	br_ssl_engine_recvapp_ack(&t->cc.eng, len);
	*got = len;
	return NULL;
}

/* see tls.h */
int
tls_close_notified(struct tls_conn *t)
{
	return !t->eof && (br_ssl_engine_current_state(&t->cc.eng) &
	    BR_SSL_CLOSED) != 0 && br_ssl_engine_last_error(&t->cc.eng) ==
	    BR_ERR_OK;
}

/* see tls.h */
void
tls_free(struct tls_conn *t)
{
	if (t == NULL)
		return;
	wipe(t, sizeof(*t));
	free(t);
}
