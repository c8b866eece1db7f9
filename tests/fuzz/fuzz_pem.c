/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: PEM from files the user points at: the GitHub App private
 * key (jwt_key_parse: PKCS#1 and PKCS#8 RSA keys) and the CA bundle
 * (tls_trust_parse: CERTIFICATE blocks made into trust anchors).  A key
 * that parses signs one JWT.
 */

#include <stdint.h>

#include "buf.h"
#include "jwt.h"
#include "tls.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwt_key		*k;
	struct tls_trust	*t;
	struct buf		 out = BUF_INIT(8192);

	if (size > 65536)
		return 0;
	if (jwt_key_parse((const char *)data, size, "fuzz", &k) == NULL) {
		if (jwt_key_bits(k) <= 4096)
			(void)jwt_sign_rs256(k, "12345", 1700000000, &out);
		jwt_key_free(k);
	}
	if (tls_trust_parse((const char *)data, size, "fuzz", &t) == NULL) {
		if (tls_trust_count(t) == 0)
			__builtin_trap();
		tls_trust_free(t);
	}
	buf_release(&out);
	return 0;
}
