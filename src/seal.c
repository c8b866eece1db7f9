/*
 * SPDX-License-Identifier: ISC
 *
 * Sealed JIT configs: ECDH P-256 + HKDF-SHA256 + ChaCha20-Poly1305, signed
 * with ECDSA P-256, all from BearSSL (see seal.h for the wire format).
 * Every length read from a blob is checked against what is left before
 * it is used: blobs come from instance tags, which any principal with
 * ec2:CreateTags on the instance may write.
 */

#include <stdint.h>
#include <string.h>

#include <bearssl.h>

#include "b64.h"
#include "buf.h"
#include "error.h"
#include "seal.h"
#include "util.h"

#define MAGIC0		'g'
#define MAGIC1		'S'
#define FIXED_LEN	14	/* magic, version, suite, total, expiry */
#define KDF_INFO	"ghrctl seal v1"
#define SIG_DOMAIN	"ghrctl seal v1 sig"	/* and its NUL */
#define PACK_FORM	1
#define PACK_DEPTH	3
#define ITEM_LIT	0
#define ITEM_B64	1
#define ITEM_NEST	2
#define ITEM_MAX	0xffffu

/* The order n of P-256 (FIPS 186-4 D.1.2.3), big endian. */
static const unsigned char p256_order[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};

static const br_ec_impl *
ec(void)
{
	return &br_ec_p256_m31;
}

void
seal_key_wipe(struct seal_key *k)
{
	wipe(k, sizeof(*k));
}

const struct error *
seal_key_from_secret(const unsigned char *secret, size_t len,
    struct seal_key *k)
{
	br_ec_private_key	 sk;
	br_ec_public_key	 pk;
	unsigned char		 pub[BR_EC_KBUF_PUB_MAX_SIZE];
	unsigned int		 nz = 0;
	int			 lt = 0, gt = 0;
	size_t			 i;

	if (len != SEAL_SECRET_LEN)
		return error_fmt(ERR_DATA, "P-256 secret key: %zu bytes, "
		    "want %d", len, SEAL_SECRET_LEN);
	for (i = 0; i < SEAL_SECRET_LEN; i++) {
		nz |= secret[i];
		if (!lt && !gt) {
			lt = secret[i] < p256_order[i];
			gt = secret[i] > p256_order[i];
		}
	}
	if (nz == 0 || !lt)
		return error_fmt(ERR_DATA, "P-256 secret key out of range");
	memcpy(k->secret, secret, SEAL_SECRET_LEN);
	sk.curve = BR_EC_secp256r1;
	sk.x = k->secret;
	sk.xlen = SEAL_SECRET_LEN;
	if (br_ec_compute_pub(ec(), &pk, pub, &sk) != SEAL_PUB_LEN) {
		seal_key_wipe(k);
		return error_fmt(ERR_SOFTWARE, "P-256 public key computation "
		    "failed");
	}
	memcpy(k->pub, pub, SEAL_PUB_LEN);
	return NULL;
}

const struct error *
seal_keygen(struct seal_key *k)
{
	unsigned char		 x[SEAL_SECRET_LEN];
	const struct error	*e;

	/*
	 * Rejection sampling straight from getrandom(): a 32-byte string
	 * is >= n with probability about 2^-32.
	 */
	for (;;) {
		if ((e = random_bytes(x, sizeof(x))) != NULL)
			return e;
		e = seal_key_from_secret(x, sizeof(x), k);
		if (e == NULL || e->class != ERR_DATA)
			break;
	}
	wipe(x, sizeof(x));
	return e;
}

void
seal_pub_format(const unsigned char pub[SEAL_PUB_LEN],
    char out[SEAL_PUB_B64_LEN + 1])
{
	struct buf	 b = BUF_INIT(SEAL_PUB_B64_LEN + 1);

	out[0] = '\0';
	if (b64url_encode(pub, SEAL_PUB_LEN, &b) == NULL &&
	    b.len == SEAL_PUB_B64_LEN)
		memcpy(out, b.p, SEAL_PUB_B64_LEN + 1);
	buf_release(&b);
}

/* 1 when pub is a valid uncompressed P-256 point. */
static int
point_valid(const unsigned char pub[SEAL_PUB_LEN])
{
	unsigned char		 g[SEAL_PUB_LEN];
	static const unsigned char one[1] = { 1 };

	if (pub[0] != 0x04)
		return 0;
	memcpy(g, pub, SEAL_PUB_LEN);
	return ec()->mul(g, sizeof(g), one, sizeof(one),
	    BR_EC_secp256r1) == 1;
}

const struct error *
seal_pub_parse(const char *s, size_t n, unsigned char pub[SEAL_PUB_LEN])
{
	struct buf	 b = BUF_INIT(128);
	size_t		 i;
	int		 ok;

	if (n != SEAL_PUB_B64_LEN)
		return error_fmt(ERR_DATA, "public key: %zu characters, "
		    "want %d (base64url of a P-256 point)", n,
		    SEAL_PUB_B64_LEN);
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_'))
			return error_fmt(ERR_DATA, "public key: not "
			    "base64url");
	ok = b64_decode(s, n, &b) == NULL && b.len == SEAL_PUB_LEN &&
	    point_valid((const unsigned char *)b.p);
	if (ok)
		memcpy(pub, b.p, SEAL_PUB_LEN);
	buf_release(&b);
	return ok ? NULL : error_fmt(ERR_DATA, "public key: not a P-256 "
	    "point");
}

/* ---- packing ---- */

static const struct error *
put_item(struct buf *out, int type, const void *p, size_t n)
{
	unsigned char		 h[3];
	const struct error	*e;

	if (n > ITEM_MAX)
		return error_fmt(ERR_DATA, "JIT config: a part of %zu bytes "
		    "is too long to seal", n);
	h[0] = (unsigned char)type;
	h[1] = (unsigned char)(n >> 8);
	h[2] = (unsigned char)n;
	if ((e = buf_add(out, h, 3)) != NULL)
		return e;
	return buf_add(out, p, n);
}

static const struct error *
put_literal(struct buf *out, const char *p, size_t n)
{
	const struct error	*e;
	size_t			 k;

	while (n > 0) {
		k = n > ITEM_MAX ? ITEM_MAX : n;
		if ((e = put_item(out, ITEM_LIT, p, k)) != NULL)
			return e;
		p += k;
		n -= k;
	}
	return NULL;
}

/*
 * 1 when s is canonical padded base64 (re-encoding the decoded bytes
 * gives s back) of at least 16 characters; the bytes are in *dec.
 */
static int
b64_canonical(const char *s, size_t n, struct buf *dec)
{
	struct buf	 re = BUF_INIT(n + 4);
	size_t		 i;
	int		 ok;

	if (n < 16 || n % 4 != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
		    s[i] == '/' || s[i] == '='))
			return 0;
	buf_reset(dec);
	if (b64_decode(s, n, dec) != NULL)
		return 0;
	ok = b64_encode(dec->p, dec->len, &re) == NULL && re.len == n &&
	    memcmp(re.p, s, n) == 0;
	buf_release(&re);
	return ok;
}

static const struct error *pack_text(const char *, size_t, int,
			    struct buf *);

/* One base64 string (already known canonical, decoded in dec). */
static const struct error *
pack_b64(const struct buf *dec, int depth, struct buf *out)
{
	struct buf		 nest = BUF_INIT(SEAL_JIT_MAX * 2);
	const struct error	*e;
	const char		*p = dec->p;
	size_t			 n = dec->len;

	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	if (depth >= PACK_DEPTH || n == 0 || (p[0] != '{' && p[0] != '['))
		return put_item(out, ITEM_B64, dec->p, dec->len);
	e = pack_text(dec->p, dec->len, depth + 1, &nest);
	if (e == NULL)
		e = put_item(out, ITEM_NEST, nest.p, nest.len);
	buf_release(&nest);
	return e;
}

/* Text whose JSON string values may be base64. */
static const struct error *
pack_text(const char *s, size_t n, int depth, struct buf *out)
{
	struct buf		 dec = BUF_INIT(SEAL_JIT_MAX);
	const struct error	*e = NULL;
	size_t			 i = 0, j, lit = 0;

	while (i < n && e == NULL) {
		if (s[i] != '"') {
			i++;
			continue;
		}
		for (j = i + 1; j < n && s[j] != '"' && s[j] != '\\'; j++)
			continue;
		if (j >= n)
			break;
		if (s[j] == '"' && b64_canonical(s + i + 1, j - i - 1, &dec)) {
			if ((e = put_literal(out, s + lit, i + 1 - lit)) == NULL)
				e = pack_b64(&dec, depth, out);
			lit = j;
		}
		i = j + 1;
	}
	if (e == NULL)
		e = put_literal(out, s + lit, n - lit);
	buf_release(&dec);
	return e;
}

const struct error *
seal_pack(const char *jit, size_t len, struct buf *out)
{
	struct buf		 dec = BUF_INIT(SEAL_JIT_MAX);
	const struct error	*e;

	if (len == 0 || len > SEAL_JIT_MAX)
		return error_fmt(ERR_DATA, "JIT config: %zu bytes, want 1 to "
		    "%u", len, SEAL_JIT_MAX);
	if ((e = buf_addc(out, PACK_FORM)) != NULL)
		return e;
	if (b64_canonical(jit, len, &dec))
		e = pack_b64(&dec, 0, out);
	else
		e = put_literal(out, jit, len);
	buf_release(&dec);
	return e;
}

static const struct error *
unpack_items(const unsigned char *p, size_t n, int depth, struct buf *out)
{
	struct buf		 nest;
	const struct error	*e = NULL;
	size_t			 len;

	if (depth > PACK_DEPTH)
		return error_fmt(ERR_DATA, "sealed config: nested too deep");
	while (n > 0 && e == NULL) {
		if (n < 3)
			return error_fmt(ERR_DATA, "sealed config: truncated "
			    "item");
		len = (size_t)p[1] << 8 | p[2];
		if (len > n - 3)
			return error_fmt(ERR_DATA, "sealed config: item "
			    "longer than its data");
		switch (p[0]) {
		case ITEM_LIT:
			e = buf_add(out, p + 3, len);
			break;
		case ITEM_B64:
			e = b64_encode(p + 3, len, out);
			break;
		case ITEM_NEST:
			buf_init(&nest, out->max);
			e = unpack_items(p + 3, len, depth + 1, &nest);
			if (e == NULL)
				e = b64_encode(nest.p, nest.len, out);
			buf_release(&nest);
			break;
		default:
			return error_fmt(ERR_DATA, "sealed config: unknown "
			    "item type %u", p[0]);
		}
		p += 3 + len;
		n -= 3 + len;
	}
	return e;
}

const struct error *
seal_unpack(const void *v, size_t n, struct buf *out)
{
	const unsigned char	*p = v;

	if (n < 1 || p[0] != PACK_FORM)
		return error_fmt(ERR_DATA, "sealed config: unknown packing");
	return unpack_items(p + 1, n - 1, 0, out);
}

/* ---- sealing ---- */

static void
put_u16(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static const struct error *
add_field(struct buf *out, const char *s, size_t max, const char *what)
{
	const struct error	*e;
	size_t			 n = strlen(s);

	if (n == 0 || n >= max)
		return error_fmt(ERR_DATA, "seal: %s is empty or longer than "
		    "%zu bytes", what, max - 1);
	if ((e = buf_addc(out, (char)n)) != NULL)
		return e;
	return buf_add(out, s, n);
}

/* Key and nonce from ECDH of secret with pub; 0 when pub is invalid. */
static int
derive(const unsigned char *secret, const unsigned char eph_pub[SEAL_PUB_LEN],
    const unsigned char rcpt_pub[SEAL_PUB_LEN], const unsigned char *peer,
    unsigned char okm[44])
{
	br_hkdf_context		 hc;
	unsigned char		 z[SEAL_PUB_LEN];
	int			 ok;

	memcpy(z, peer, SEAL_PUB_LEN);
	ok = peer[0] == 0x04 && ec()->mul(z, sizeof(z), secret,
	    SEAL_SECRET_LEN, BR_EC_secp256r1) == 1;
	if (ok) {
		unsigned char	 salt[2 * SEAL_PUB_LEN];

		memcpy(salt, eph_pub, SEAL_PUB_LEN);
		memcpy(salt + SEAL_PUB_LEN, rcpt_pub, SEAL_PUB_LEN);
		br_hkdf_init(&hc, &br_sha256_vtable, salt, sizeof(salt));
		br_hkdf_inject(&hc, z + 1, 32);
		br_hkdf_flip(&hc);
		br_hkdf_produce(&hc, KDF_INFO, strlen(KDF_INFO), okm, 44);
		wipe(salt, sizeof(salt));
	}
	wipe(&hc, sizeof(hc));
	wipe(z, sizeof(z));
	return ok;
}

/* SHA-256 of the signed message. */
static void
sig_hash(const unsigned char rcpt_pub[SEAL_PUB_LEN], const void *blob,
    size_t n, unsigned char out[32])
{
	br_sha256_context	 h;

	br_sha256_init(&h);
	br_sha256_update(&h, SIG_DOMAIN, sizeof(SIG_DOMAIN));
	br_sha256_update(&h, rcpt_pub, SEAL_PUB_LEN);
	br_sha256_update(&h, blob, n);
	br_sha256_out(&h, out);
}

const struct error *
seal_seal_with(const struct seal_key *signer,
    const unsigned char rcpt_pub[SEAL_PUB_LEN], const struct seal_header *h,
    const char *jit, size_t len, const struct seal_key *eph, struct buf *out)
{
	struct buf		 b = BUF_INIT(SEAL_BLOB_MAX);
	struct buf		 pt = BUF_INIT(SEAL_BLOB_MAX);
	const struct error	*e;
	br_ec_private_key	 sk;
	unsigned char		 fixed[FIXED_LEN], okm[44], tag[SEAL_TAG_LEN];
	unsigned char		 hash[32], sig[SEAL_SIG_LEN];
	size_t			 hdr_len, total, i;
	uint64_t		 x = (uint64_t)h->expiry;

	if (!point_valid(rcpt_pub))
		return error_fmt(ERR_DATA, "seal: the instance's public key is "
		    "not a P-256 point");
	memset(fixed, 0, sizeof(fixed));
	fixed[0] = MAGIC0;
	fixed[1] = MAGIC1;
	fixed[2] = SEAL_VERSION;
	fixed[3] = SEAL_SUITE;
	for (i = 0; i < 8; i++)
		fixed[6 + i] = (unsigned char)(x >> (56 - 8 * i));
	if ((e = buf_add(&b, fixed, sizeof(fixed))) != NULL ||
	    (e = add_field(&b, h->instance_id, SEAL_ID_MAX,
	    "instance id")) != NULL ||
	    (e = add_field(&b, h->scale_set_id, SEAL_SET_MAX,
	    "scale set id")) != NULL ||
	    (e = add_field(&b, h->runner, SEAL_NAME_MAX,
	    "runner name")) != NULL)
		goto out;
	hdr_len = b.len;
	if ((e = seal_pack(jit, len, &pt)) != NULL)
		goto out;
	total = hdr_len + SEAL_PUB_LEN + pt.len + SEAL_TAG_LEN + SEAL_SIG_LEN;
	if (total > SEAL_BLOB_MAX) {
		e = error_fmt(ERR_DATA, "seal: %zu bytes, over the %u a blob "
		    "can hold", total, SEAL_BLOB_MAX);
		goto out;
	}
	put_u16((unsigned char *)b.p + 4, total);
	if (!derive(eph->secret, eph->pub, rcpt_pub, rcpt_pub, okm)) {
		e = error_fmt(ERR_DATA, "seal: ECDH with the instance's key "
		    "failed");
		goto out;
	}
	br_poly1305_ctmul_run(okm, okm + 32, pt.p, pt.len, b.p, hdr_len, tag,
	    br_chacha20_ct_run, 1);
	if ((e = buf_add(&b, eph->pub, SEAL_PUB_LEN)) != NULL ||
	    (e = buf_add(&b, pt.p, pt.len)) != NULL ||
	    (e = buf_add(&b, tag, SEAL_TAG_LEN)) != NULL)
		goto out;
	sig_hash(rcpt_pub, b.p, b.len, hash);
	sk.curve = BR_EC_secp256r1;
	sk.x = (unsigned char *)(uintptr_t)signer->secret;
	sk.xlen = SEAL_SECRET_LEN;
	if (br_ecdsa_i31_sign_raw(ec(), &br_sha256_vtable, hash, &sk, sig) !=
	    SEAL_SIG_LEN) {
		e = error_fmt(ERR_SOFTWARE, "seal: ECDSA signing failed");
		goto out;
	}
	if ((e = buf_add(&b, sig, SEAL_SIG_LEN)) != NULL)
		goto out;
	e = buf_add(out, b.p, b.len);
out:
	wipe(okm, sizeof(okm));
	buf_release(&pt);
	buf_release(&b);
	return e;
}

const struct error *
seal_seal(const struct seal_key *signer,
    const unsigned char rcpt_pub[SEAL_PUB_LEN], const struct seal_header *h,
    const char *jit, size_t len, struct buf *out)
{
	struct seal_key		 eph;
	const struct error	*e;

	if ((e = seal_keygen(&eph)) != NULL)
		return e;
	e = seal_seal_with(signer, rcpt_pub, h, jit, len, &eph, out);
	seal_key_wipe(&eph);
	return e;
}

/* Copy a length-prefixed field at *off into dst; 0 when malformed. */
static int
get_field(const unsigned char *p, size_t end, size_t *off, char *dst,
    size_t max)
{
	size_t	 n;

	if (*off >= end)
		return 0;
	n = p[*off];
	if (n == 0 || n >= max || n > end - *off - 1)
		return 0;
	memcpy(dst, p + *off + 1, n);
	dst[n] = '\0';
	if (memchr(dst, '\0', n) != NULL)
		return 0;
	*off += 1 + n;
	return 1;
}

const struct error *
seal_open(const unsigned char signer_pub[SEAL_PUB_LEN],
    const struct seal_key *rcpt, const void *blob, size_t len,
    const char *instance_id, int64_t now, struct seal_header *hout,
    struct buf *jit)
{
	const unsigned char	*p = blob;
	struct seal_header	 h;
	struct buf		 pt = BUF_INIT(SEAL_BLOB_MAX);
	const struct error	*e = NULL;
	br_ec_public_key	 pk;
	unsigned char		 hash[32], okm[44], tag[SEAL_TAG_LEN];
	unsigned char		 spub[SEAL_PUB_LEN];
	size_t			 off = FIXED_LEN, hdr_len, ct_len, i;
	uint64_t		 x = 0;
	unsigned int		 diff = 0;

	if (len < FIXED_LEN || p[0] != MAGIC0 || p[1] != MAGIC1)
		return error_fmt(ERR_DATA, "sealed config: not a sealed "
		    "config");
	if (p[2] != SEAL_VERSION || p[3] != SEAL_SUITE)
		return error_fmt(ERR_DATA, "sealed config: version %u suite "
		    "%u, this ghrctl reads version %d suite %d", p[2], p[3],
		    SEAL_VERSION, SEAL_SUITE);
	if (((size_t)p[4] << 8 | p[5]) != len)
		return error_fmt(ERR_DATA, "sealed config: %zu bytes, its "
		    "header says %zu", len, (size_t)p[4] << 8 | p[5]);
	if (len < FIXED_LEN + SEAL_PUB_LEN + SEAL_TAG_LEN + SEAL_SIG_LEN)
		return error_fmt(ERR_DATA, "sealed config: truncated");
	/* The signature first: nothing unsigned is acted on. */
	memcpy(spub, signer_pub, SEAL_PUB_LEN);
	pk.curve = BR_EC_secp256r1;
	pk.q = spub;
	pk.qlen = SEAL_PUB_LEN;
	sig_hash(rcpt->pub, p, len - SEAL_SIG_LEN, hash);
	if (br_ecdsa_i31_vrfy_raw(ec(), hash, sizeof(hash), &pk,
	    p + len - SEAL_SIG_LEN, SEAL_SIG_LEN) != 1)
		return error_fmt(ERR_DATA, "sealed config: bad signature (not "
		    "made by ghrctl's signing key for this instance's key)");
	for (i = 0; i < 8; i++)
		x = x << 8 | p[6 + i];
	h.expiry = (int64_t)x;
	if (!get_field(p, len, &off, h.instance_id, SEAL_ID_MAX) ||
	    !get_field(p, len, &off, h.scale_set_id, SEAL_SET_MAX) ||
	    !get_field(p, len, &off, h.runner, SEAL_NAME_MAX))
		return error_fmt(ERR_DATA, "sealed config: malformed header");
	hdr_len = off;
	if (len - hdr_len < SEAL_PUB_LEN + SEAL_TAG_LEN + SEAL_SIG_LEN)
		return error_fmt(ERR_DATA, "sealed config: truncated");
	if (strcmp(h.instance_id, instance_id) != 0)
		return error_fmt(ERR_DATA, "sealed config: for instance %s, "
		    "this is %s", h.instance_id, instance_id);
	if (h.expiry <= now)
		return error_fmt(ERR_DATA, "sealed config: expired at %lld, "
		    "now %lld", (long long)h.expiry, (long long)now);
	ct_len = len - hdr_len - SEAL_PUB_LEN - SEAL_TAG_LEN - SEAL_SIG_LEN;
	if (!derive(rcpt->secret, p + hdr_len, rcpt->pub, p + hdr_len, okm))
		return error_fmt(ERR_DATA, "sealed config: bad ephemeral key");
	if ((e = buf_add(&pt, p + hdr_len + SEAL_PUB_LEN, ct_len)) != NULL)
		goto out;
	br_poly1305_ctmul_run(okm, okm + 32, pt.p, pt.len, p, hdr_len, tag,
	    br_chacha20_ct_run, 0);
	for (i = 0; i < SEAL_TAG_LEN; i++)
		diff |= tag[i] ^ p[hdr_len + SEAL_PUB_LEN + ct_len + i];
	if (diff != 0) {
		e = error_fmt(ERR_DATA, "sealed config: cannot decrypt (sealed "
		    "to another key)");
		goto out;
	}
	if ((e = seal_unpack(pt.p, pt.len, jit)) != NULL)
		goto out;
	if (hout != NULL)
		*hout = h;
out:
	wipe(okm, sizeof(okm));
	buf_release(&pt);
	return e;
}

/* ---- tag values ---- */

const struct error *
seal_encode(const void *blob, size_t len, struct buf *out, size_t *nparts)
{
	size_t	 chars = (len * 4 + 2) / 3;

	*nparts = (chars + SEAL_PART_CHARS - 1) / SEAL_PART_CHARS;
	if (*nparts > SEAL_PARTS_MAX)
		return error_fmt(ERR_DATA, "sealed config: %zu tag values, "
		    "over %d", *nparts, SEAL_PARTS_MAX);
	return b64url_encode(blob, len, out);
}

const struct error *
seal_count_parts(const char *part0, size_t n, size_t *nparts)
{
	struct buf		 b = BUF_INIT(16);
	const struct error	*e;
	size_t			 total, chars;
	const unsigned char	*p;

	if (n < 8)
		return error_fmt(ERR_DATA, "sealed config: part 0 too short");
	if ((e = b64_decode(part0, 8, &b)) != NULL) {
		buf_release(&b);
		return error_fmt(ERR_DATA, "sealed config: part 0 is not "
		    "base64url");
	}
	p = (const unsigned char *)b.p;
	if (b.len != 6 || p[0] != MAGIC0 || p[1] != MAGIC1 ||
	    p[2] != SEAL_VERSION) {
		buf_release(&b);
		return error_fmt(ERR_DATA, "sealed config: part 0 is not the "
		    "start of a version %d sealed config", SEAL_VERSION);
	}
	total = (size_t)p[4] << 8 | p[5];
	buf_release(&b);
	chars = (total * 4 + 2) / 3;
	*nparts = (chars + SEAL_PART_CHARS - 1) / SEAL_PART_CHARS;
	if (*nparts == 0 || *nparts > SEAL_PARTS_MAX)
		return error_fmt(ERR_DATA, "sealed config: %zu parts", *nparts);
	return NULL;
}

const struct error *
seal_decode(const char *text, size_t n, struct buf *out)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!((text[i] >= 'A' && text[i] <= 'Z') ||
		    (text[i] >= 'a' && text[i] <= 'z') ||
		    (text[i] >= '0' && text[i] <= '9') || text[i] == '-' ||
		    text[i] == '_'))
			return error_fmt(ERR_DATA, "sealed config: tag value "
			    "is not base64url");
	if (b64_decode(text, n, out) != NULL)
		return error_fmt(ERR_DATA, "sealed config: tag values are not "
		    "base64url");
	return NULL;
}
