/*
 * SPDX-License-Identifier: ISC
 *
 * RS256 JWTs for GitHub App authentication (see jwt.h).  The PEM is
 * decoded with BearSSL's PEM decoder and its private-key decoder, which
 * reads both PKCS#1 RSAPrivateKey and PKCS#8 PrivateKeyInfo; the token is
 * signed with RSASSA-PKCS1-v1_5 over SHA-256 (RFC 7518 section 3.3).
 * GitHub's rules (iat in the past for clock skew, exp at most 10 minutes
 * ahead, iss = the App id): GitHub Docs, "Generating a JSON Web Token
 * (JWT) for a GitHub App".
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>
#include "cJSON.h"

#include "b64.h"
#include "buf.h"
#include "jwt.h"
#include "util.h"

#define JWT_MAX_DER	(16u << 10)	/* an RSA-8192 PKCS#8 key is ~4.8 KiB */
#define JWT_MAX_SIG	(8192 / 8)

struct jwt_key {
	br_skey_decoder_context	 sk;	/* the key points into this */
	const br_rsa_private_key *rsa;
};

static void
der_append(void *arg, const void *data, size_t len)
{
	struct buf	*der = arg;

	/* Past the cap the DER is dropped; the decoder then fails. */
	if (buf_add(der, data, len) != NULL)
		der->len = der->max + 1;
}

/*
 * Feed the PEM to BearSSL and keep the DER of the first private key
 * object.
 */
static int
pem_private_key(const char *pem, size_t len, struct buf *der)
{
	br_pem_decoder_context	 pc;
	size_t			 n;
	int			 in_key = 0, found = 0;

	br_pem_decoder_init(&pc);
	while (len > 0 && !found) {
		n = br_pem_decoder_push(&pc, pem, len);
		pem += n;
		len -= n;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			in_key = strcmp(br_pem_decoder_name(&pc),
			    "RSA PRIVATE KEY") == 0 ||
			    strcmp(br_pem_decoder_name(&pc), "PRIVATE KEY") == 0;
			buf_reset(der);
			br_pem_decoder_setdest(&pc, in_key ? der_append : NULL,
			    der);
			break;
		case BR_PEM_END_OBJ:
			found = in_key && der->len <= der->max;
			in_key = 0;
			break;
		case BR_PEM_ERROR:
			return 0;
		}
	}
	/* Ending the input without a final newline still ends the object. */
	if (!found && in_key) {
		br_pem_decoder_push(&pc, "\n", 1);
		found = br_pem_decoder_event(&pc) == BR_PEM_END_OBJ &&
		    der->len <= der->max;
	}
	return found;
}

/* see jwt.h */
const struct error *
jwt_key_parse(const char *pem, size_t len, const char *name,
    struct jwt_key **out)
{
	const struct error	*e = NULL;
	struct buf		 der = BUF_INIT(JWT_MAX_DER);
	struct jwt_key		*k;

	*out = NULL;
	k = xcalloc(1, sizeof(*k));
	if (!pem_private_key(pem, len, &der)) {
		e = error_fmt(ERR_CONFIG, "%s: no PEM 'RSA PRIVATE KEY' or "
		    "'PRIVATE KEY' found (an encrypted key is not supported)",
		    name);
		goto out;
	}
	br_skey_decoder_init(&k->sk);
	br_skey_decoder_push(&k->sk, der.p, der.len);
	if (br_skey_decoder_last_error(&k->sk) != 0) {
		e = error_fmt(ERR_CONFIG, "%s: the private key cannot be "
		    "decoded (BearSSL error %d)", name,
		    br_skey_decoder_last_error(&k->sk));
		goto out;
	}
	if (br_skey_decoder_key_type(&k->sk) != BR_KEYTYPE_RSA) {
		e = error_fmt(ERR_CONFIG, "%s: not an RSA key (GitHub App keys "
		    "are RSA)", name);
		goto out;
	}
	k->rsa = br_skey_decoder_get_rsa(&k->sk);
	if (k->rsa->n_bitlen < 2048 || k->rsa->n_bitlen > 8192) {
		e = error_fmt(ERR_CONFIG, "%s: RSA key of %u bits (want 2048 to "
		    "8192)", name, (unsigned int)k->rsa->n_bitlen);
		goto out;
	}
	*out = k;
	k = NULL;
out:
	buf_release(&der);
	jwt_key_free(k);
	return e;
}

/* see jwt.h */
void
jwt_key_free(struct jwt_key *k)
{
	if (k == NULL)
		return;
	wipe(k, sizeof(*k));
	free(k);
}

/* see jwt.h */
unsigned int
jwt_key_bits(const struct jwt_key *k)
{
	return k->rsa->n_bitlen;
}

/* Append base64url(JSON of node). */
static const struct error *
add_json_part(const cJSON *node, struct buf *out)
{
	const struct error	*e;
	char			*s;

	if ((s = cJSON_PrintUnformatted(node)) == NULL)
		return error_fmt(ERR_SOFTWARE, "jwt: out of memory");
	e = b64url_encode(s, strlen(s), out);
	cJSON_free(s);
	return e;
}

/* see jwt.h */
const struct error *
jwt_sign_rs256(const struct jwt_key *k, const char *iss, int64_t now,
    struct buf *out)
{
	const struct error	*e;
	br_sha256_context	 h;
	unsigned char		 hash[32], sig[JWT_MAX_SIG];
	cJSON			*hdr, *cl;
	size_t			 start = out->len, siglen;

	hdr = cJSON_CreateObject();
	cl = cJSON_CreateObject();
	if (hdr == NULL || cl == NULL ||
	    cJSON_AddStringToObject(hdr, "alg", "RS256") == NULL ||
	    cJSON_AddStringToObject(hdr, "typ", "JWT") == NULL ||
	    cJSON_AddNumberToObject(cl, "iat",
	    (double)(now - JWT_IAT_SKEW)) == NULL ||
	    cJSON_AddNumberToObject(cl, "exp",
	    (double)(now - JWT_IAT_SKEW + JWT_LIFETIME)) == NULL ||
	    cJSON_AddStringToObject(cl, "iss", iss) == NULL) {
		e = error_fmt(ERR_SOFTWARE, "jwt: out of memory");
		goto out;
	}
	if ((e = add_json_part(hdr, out)) != NULL ||
	    (e = buf_addc(out, '.')) != NULL ||
	    (e = add_json_part(cl, out)) != NULL)
		goto out;
	br_sha256_init(&h);
	br_sha256_update(&h, out->p + start, out->len - start);
	br_sha256_out(&h, hash);
	siglen = (k->rsa->n_bitlen + 7) / 8;
	if (!br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, hash,
	    sizeof(hash), k->rsa, sig)) {
		e = error_fmt(ERR_SOFTWARE, "jwt: RSA signing failed");
		goto out;
	}
	if ((e = buf_addc(out, '.')) != NULL ||
	    (e = b64url_encode(sig, siglen, out)) != NULL)
		goto out;
out:
	cJSON_Delete(hdr);
	cJSON_Delete(cl);
	wipe(sig, sizeof(sig));
	return e;
}
