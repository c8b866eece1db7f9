/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of jwt.c: PKCS#1 and PKCS#8 keys give the same RS256 token,
 * byte for byte the one openssl made for the same input
 * (tests/vectors/jwt/expected.txt), and non-RSA or broken keys are refused.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jwt.h"
#include "t.h"
#include "util.h"

T_REGISTER("jwt", t_jwt)

static size_t
slurp(const char *name, char *dst, size_t size)
{
	char	*p;
	size_t	 n = 0;

	if ((p = t_vector("jwt", name, &n)) == NULL || n >= size)
		n = 0;
	else
		memcpy(dst, p, n);
	dst[n] = '\0';
	free(p);
	return n;
}

static void
t_jwt(void)
{
	struct jwt_key	*k1 = NULL, *k8 = NULL, *kx = NULL;
	struct buf	 a = BUF_INIT(8192), b = BUF_INIT(8192);
	char		 pem[8192], want[4096], *nl;
	size_t		 n;

	n = slurp("key-pkcs1.pem", pem, sizeof(pem));
	T_OK(jwt_key_parse(pem, n, "pkcs1", &k1));
	n = slurp("key-pkcs8.pem", pem, sizeof(pem));
	T_OK(jwt_key_parse(pem, n, "pkcs8", &k8));
	if (k1 == NULL || k8 == NULL)
		goto out;
	T_EQ_INT(jwt_key_bits(k8), 2048);
	T_OK(jwt_sign_rs256(k1, "123456", 1795400000, &a));
	T_OK(jwt_sign_rs256(k8, "123456", 1795400000, &b));
	T_EQ_STR(a.p, b.p);
	slurp("expected.txt", want, sizeof(want));
	nl = strchr(want, '\n');	/* skip the comment line */
	T_TRUE(nl != NULL);
	if (nl != NULL) {
		nl++;
		nl[strcspn(nl, "\n")] = '\0';
		T_EQ_STR(a.p, nl);
	}
	/* Without the final newline the PEM still ends. */
	n = slurp("key-pkcs8.pem", pem, sizeof(pem));
	while (n > 0 && pem[n - 1] == '\n')
		pem[--n] = '\0';
	T_OK(jwt_key_parse(pem, n, "nonl", &kx));
	jwt_key_free(kx);
	kx = NULL;
	n = slurp("key-ec.pem", pem, sizeof(pem));
	T_ERR(jwt_key_parse(pem, n, "ec", &kx), ERR_CONFIG);
	T_ERR(jwt_key_parse("garbage", 7, "junk", &kx), ERR_CONFIG);
	T_ERR(jwt_key_parse("-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n", 60, "short", &kx), ERR_CONFIG);
	T_TRUE(kx == NULL);
out:
	jwt_key_free(k1);
	jwt_key_free(k8);
	buf_release(&a);
	buf_release(&b);
}
