/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_SEAL_H
#define GHRCTL_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/*
 * Sealed JIT configs (issue 14, "late binding").  The instance makes a
 * P-256 key pair at boot and publishes the public half on its serial
 * console; ghrctl encrypts the runner's JIT config to it and signs the
 * result with its own P-256 signing key, whose public half is in the
 * user data.  Only BearSSL: ECDH (P-256, ephemeral sender key),
 * HKDF-SHA256 (RFC 5869), ChaCha20-Poly1305 (RFC 8439), ECDSA P-256
 * with SHA-256 (FIPS 186-4; BearSSL's nonces follow RFC 6979, so a seal
 * made from a given ephemeral key is byte-for-byte reproducible).
 *
 * Wire format, version 1 (all integers big endian):
 *
 *   off  len  field
 *   0    2    magic "gS"
 *   2    1    version, 1
 *   3    1    suite, 1 (the algorithms above)
 *   4    2    total length of the blob, signature included
 *   6    8    expiry, unix seconds (signed)
 *   14   1+n  instance id (length byte, 1..63 bytes)
 *        1+n  scale set id (length byte, 1..31 bytes)
 *        1+n  runner name (length byte, 1..127 bytes)
 *        65   ephemeral public key, SEC1 uncompressed
 *        L    ciphertext of the packed config (seal_pack)
 *        16   Poly1305 tag
 *        64   ECDSA signature, raw r || s
 *
 * The header is bytes [0, start of the ephemeral key).  Z is the X
 * coordinate of ECDH(ephemeral, recipient); HKDF-SHA256 with salt
 * eph_pub || rcpt_pub, IKM Z and info "ghrctl seal v1" gives 44 bytes:
 * the ChaCha20 key (32) and nonce (12).  The AEAD's additional data is
 * the header.  The signature is over SHA-256("ghrctl seal v1 sig" NUL ||
 * rcpt_pub || blob without the signature), so it binds the recipient's
 * key, which is not sent.
 *
 * On instance tags, the blob is base64url without padding, cut into
 * values of SEAL_PART_CHARS characters under the keys ghrctl:seal:0,
 * ghrctl:seal:1, ...; part 0 starts with the total length, so the
 * opener knows how many parts to read.
 */

#define SEAL_VERSION		1
#define SEAL_SUITE		1
#define SEAL_PUB_LEN		65	/* SEC1 uncompressed P-256 point */
#define SEAL_SECRET_LEN		32
#define SEAL_SIG_LEN		64
#define SEAL_TAG_LEN		16
#define SEAL_PUB_B64_LEN	87	/* base64url, no padding, of 65 bytes */
#define SEAL_ID_MAX		64	/* instance id, NUL included */
#define SEAL_SET_MAX		32
#define SEAL_NAME_MAX		128
#define SEAL_BLOB_MAX		65535
#define SEAL_JIT_MAX		(32u << 10)	/* unsealed config ceiling */
#define SEAL_PART_CHARS		256	/* EC2 tag value limit */
#define SEAL_PARTS_MAX		40	/* of EC2's 50 tags per resource */
#define SEAL_TAG_PREFIX		"ghrctl:seal:"

/* A P-256 key pair (private scalar and public point). */
struct seal_key {
	unsigned char	 secret[SEAL_SECRET_LEN];
	unsigned char	 pub[SEAL_PUB_LEN];
};

/* A fresh key pair from getrandom().  ERR_IO when no randomness. */
const struct error	*seal_keygen(struct seal_key *);
/* The key pair of a given secret scalar; ERR_DATA when out of range. */
const struct error	*seal_key_from_secret(const unsigned char *secret,
			    size_t len, struct seal_key *);
void			 seal_key_wipe(struct seal_key *);

/* Public key as base64url (SEAL_PUB_B64_LEN characters and a NUL). */
void			 seal_pub_format(const unsigned char pub[SEAL_PUB_LEN],
			    char out[SEAL_PUB_B64_LEN + 1]);
/* Parse base64url; ERR_DATA unless a valid P-256 point. */
const struct error	*seal_pub_parse(const char *s, size_t n,
			    unsigned char pub[SEAL_PUB_LEN]);

/* What a seal is bound to (all NUL-terminated). */
struct seal_header {
	char	 instance_id[SEAL_ID_MAX];
	char	 scale_set_id[SEAL_SET_MAX];
	char	 runner[SEAL_NAME_MAX];
	int64_t	 expiry;
};

/*
 * Compact packing of a JIT config (pure): the base64 layers of the
 * config (the outer one and each JSON string value that is canonical
 * base64, recursively) are decoded, so the RSA key parameters travel as
 * bytes.  Unpacking gives back the exact input.  Byte 0 is the form (0:
 * raw text, 1: packed); items are 0x00 literal, 0x01 base64 bytes,
 * 0x02 base64 of nested items, each with a 2-byte length.
 */
const struct error	*seal_pack(const char *jit, size_t len,
			    struct buf *out);
/* ERR_DATA on malformed input; out's ceiling bounds the result. */
const struct error	*seal_unpack(const void *, size_t, struct buf *out);

/*
 * Seal jit to rcpt_pub, bound to h, signed by signer; the blob is
 * appended to out.  ERR_DATA when a header field is empty or too long or
 * the recipient key is not a valid point.
 */
const struct error	*seal_seal(const struct seal_key *signer,
			    const unsigned char rcpt_pub[SEAL_PUB_LEN],
			    const struct seal_header *h, const char *jit,
			    size_t len, struct buf *out);
/* The same with a given ephemeral secret (known-answer tests only). */
const struct error	*seal_seal_with(const struct seal_key *signer,
			    const unsigned char rcpt_pub[SEAL_PUB_LEN],
			    const struct seal_header *h, const char *jit,
			    size_t len, const struct seal_key *eph,
			    struct buf *out);

/*
 * Verify and open a blob: the signature by signer_pub, the instance id
 * (must equal instance_id), the expiry (must be after now), then decrypt
 * with rcpt and unpack.  The config goes to jit (a secret: wipe it), the
 * bound fields to *h (may be NULL).  Errors, all ERR_DATA with a message
 * that names the reason: malformed, unknown version, bad signature,
 * another instance's, expired, cannot decrypt.
 */
const struct error	*seal_open(const unsigned char signer_pub[SEAL_PUB_LEN],
			    const struct seal_key *rcpt, const void *blob,
			    size_t len, const char *instance_id, int64_t now,
			    struct seal_header *h, struct buf *jit);

/* The blob's parts as tag values: base64url appended to out (one
 * string), *nparts parts of SEAL_PART_CHARS characters (the last
 * shorter).  ERR_DATA when more than SEAL_PARTS_MAX. */
const struct error	*seal_encode(const void *blob, size_t len,
			    struct buf *out, size_t *nparts);
/*
 * From part 0's text, the number of parts the whole blob takes.  ERR_DATA
 * when part 0 is not the start of a version-1 blob.
 */
const struct error	*seal_count_parts(const char *part0, size_t n,
			    size_t *nparts);
/* Decode the concatenated parts into blob bytes (appended to out). */
const struct error	*seal_decode(const char *text, size_t n,
			    struct buf *out);

#endif
