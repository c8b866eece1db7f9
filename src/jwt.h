/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_JWT_H
#define GHRCTL_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/*
 * RS256 JSON Web Tokens for GitHub App authentication (RFC 7519, RFC 7518
 * section 3.3), signed with BearSSL's RSA PKCS#1 v1.5 signer over SHA-256.
 * Pure: the time is passed in.  Facts: GitHub Docs, "Generating a JSON
 * Web Token (JWT) for a GitHub App" (iat = now - 60 s; GitHub refuses exp
 * more than 10 minutes ahead).
 */

#define JWT_IAT_SKEW	60	/* seconds iat is put in the past (clock skew) */
#define JWT_LIFETIME	540	/* exp - iat: now + 8 min, under GitHub's 10 */

struct jwt_key;

/*
 * Decode an RSA private key from PEM text: "RSA PRIVATE KEY" (PKCS#1) or
 * "PRIVATE KEY" (PKCS#8).  name is used in messages.  ERR_CONFIG when no
 * RSA key is found (an EC key, garbage, an encrypted key).  The key
 * material is wiped on jwt_key_free().
 */
const struct error	*jwt_key_parse(const char *pem, size_t len,
			    const char *name, struct jwt_key **out);
void			 jwt_key_free(struct jwt_key *);

/* Key size in bits. */
unsigned int		 jwt_key_bits(const struct jwt_key *);

/*
 * Append header.claims.signature to out, with claims
 * {"iat": now - JWT_IAT_SKEW, "exp": now - JWT_IAT_SKEW + JWT_LIFETIME,
 * "iss": iss}.  The result is a secret.  ERR_SOFTWARE if signing fails.
 */
const struct error	*jwt_sign_rs256(const struct jwt_key *,
			    const char *iss, int64_t now, struct buf *out);

#endif
