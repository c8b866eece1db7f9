/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of seal.c: the known-answer vector made by an independent
 * implementation (tests/fake/sealref.py on the Python 'cryptography'
 * package, deterministic ECDSA per RFC 6979) is reproduced byte for byte
 * and opened; round trips; tampered, swapped (another instance's),
 * replayed or expired, wrong-signer seals are refused; packing is exact
 * and compact; a realistic 4.3 KB JIT config takes 13 tag values.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "seal.h"
#include "t.h"
#include "util.h"

T_REGISTER("seal-kat", t_seal_kat)
T_REGISTER("seal-roundtrip", t_seal_roundtrip)
T_REGISTER("seal-refused", t_seal_refused)
T_REGISTER("seal-pack", t_seal_pack)
T_REGISTER("seal-parts", t_seal_parts)
T_REGISTER("seal-pub", t_seal_pub)

#define NOW	1795400000

/* The value of "name " in the KAT file into dst. */
static int
kat_field(const char *kat, const char *name, char *dst, size_t size)
{
	const char	*p = kat;
	size_t		 n = strlen(name), len;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && p[n] == ' ') {
			len = strcspn(p + n + 1, "\n");
			if (len >= size)
				return 0;
			memcpy(dst, p + n + 1, len);
			dst[len] = '\0';
			return 1;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return 0;
}

static void
hexkey(const char *hex, struct seal_key *k)
{
	unsigned char	 x[SEAL_SECRET_LEN];
	unsigned int	 v;
	size_t		 i;

	memset(x, 0, sizeof(x));
	for (i = 0; i < SEAL_SECRET_LEN && sscanf(hex + 2 * i, "%2x", &v) == 1;
	    i++)
		x[i] = (unsigned char)v;
	T_OK(seal_key_from_secret(x, sizeof(x), k));
}

static char *
realistic_jit(size_t *lenp)
{
	char	*p = t_vector("seal", "jit-realistic.txt", lenp);

	if (p != NULL)
		while (*lenp > 0 && (p[*lenp - 1] == '\n' || p[*lenp - 1] == ' '))
			p[--*lenp] = '\0';
	return p;
}

static void
header(struct seal_header *h, const char *inst, int64_t expiry)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->instance_id, sizeof(h->instance_id), "%s", inst);
	snprintf(h->scale_set_id, sizeof(h->scale_set_id), "42");
	snprintf(h->runner, sizeof(h->runner), "ghrctl-42-kat");
	h->expiry = expiry;
}

static void
t_seal_kat(void)
{
	struct seal_key		 signer, rcpt, eph;
	struct seal_header	 h, got;
	struct buf		 blob = BUF_INIT(SEAL_BLOB_MAX);
	struct buf		 text = BUF_INIT(SEAL_BLOB_MAX * 2);
	struct buf		 want = BUF_INIT(SEAL_BLOB_MAX);
	struct buf		 jit = BUF_INIT(SEAL_JIT_MAX);
	char			*kat, *ref, hex[80], b64[8192];
	size_t			 reflen = 0, np;

	kat = t_vector("seal", "kat.txt", NULL);
	ref = realistic_jit(&reflen);
	T_TRUE(kat != NULL && ref != NULL);
	if (kat == NULL || ref == NULL)
		goto out;
	T_TRUE(kat_field(kat, "signer", hex, sizeof(hex)));
	hexkey(hex, &signer);
	T_TRUE(kat_field(kat, "recipient", hex, sizeof(hex)));
	hexkey(hex, &rcpt);
	T_TRUE(kat_field(kat, "ephemeral", hex, sizeof(hex)));
	hexkey(hex, &eph);
	T_TRUE(kat_field(kat, "blob", b64, sizeof(b64)));
	header(&h, "i-0123456789abcdef0", 1800000000);

	/* Sealing with the vector's ephemeral key gives its bytes. */
	T_OK(seal_seal_with(&signer, rcpt.pub, &h, ref, reflen, &eph, &blob));
	T_OK(seal_encode(blob.p, blob.len, &text, &np));
	T_EQ_STR(text.p, b64);
	/* The 4.3 KB config: 2316 bytes sealed, 13 tag values. */
	T_EQ_INT(reflen, 4312);
	T_EQ_INT(blob.len, 2316);
	T_EQ_INT(np, 13);

	/* The reference's blob opens. */
	T_OK(seal_decode(b64, strlen(b64), &want));
	T_OK(seal_open(signer.pub, &rcpt, want.p, want.len,
	    "i-0123456789abcdef0", NOW, &got, &jit));
	T_EQ_INT(jit.len, reflen);
	T_TRUE(jit.p != NULL && memcmp(jit.p, ref, reflen) == 0);
	T_EQ_STR(got.runner, "ghrctl-42-kat");
	T_EQ_STR(got.scale_set_id, "42");
	T_EQ_INT(got.expiry, 1800000000);
out:
	buf_release(&blob);
	buf_release(&text);
	buf_release(&want);
	buf_release(&jit);
	free(kat);
	free(ref);
}

static void
t_seal_roundtrip(void)
{
	struct seal_key		 signer, rcpt;
	struct seal_header	 h;
	struct buf		 a = BUF_INIT(SEAL_BLOB_MAX);
	struct buf		 b = BUF_INIT(SEAL_BLOB_MAX);
	struct buf		 jit = BUF_INIT(SEAL_JIT_MAX);
	static const char	 cfg[] = "eyJ0ZXN0IjoiSklULVNFQ1JFVCJ9";

	T_OK(seal_keygen(&signer));
	T_OK(seal_keygen(&rcpt));
	header(&h, "i-0abc", NOW + 600);
	T_OK(seal_seal(&signer, rcpt.pub, &h, cfg, strlen(cfg), &a));
	T_OK(seal_seal(&signer, rcpt.pub, &h, cfg, strlen(cfg), &b));
	/* A fresh ephemeral key each time. */
	T_TRUE(a.len == b.len && memcmp(a.p, b.p, a.len) != 0);
	T_OK(seal_open(signer.pub, &rcpt, a.p, a.len, "i-0abc", NOW, NULL,
	    &jit));
	T_EQ_STR(jit.p, cfg);
	/* No part of the config in clear. */
	T_TRUE(memmem(a.p, a.len, "eyJ0", 4) == NULL);
	/* Header fields are checked when sealing. */
	h.instance_id[0] = '\0';
	T_ERR(seal_seal(&signer, rcpt.pub, &h, cfg, strlen(cfg), &b), ERR_DATA);
	seal_key_wipe(&signer);
	seal_key_wipe(&rcpt);
	buf_release(&a);
	buf_release(&b);
	buf_release(&jit);
}

static void
t_seal_refused(void)
{
	struct seal_key		 signer, other_signer, rcpt, sibling, old;
	struct seal_header	 h;
	struct buf		 a = BUF_INIT(SEAL_BLOB_MAX);
	struct buf		 s = BUF_INIT(SEAL_BLOB_MAX);
	struct buf		 f = BUF_INIT(SEAL_BLOB_MAX);
	struct buf		 jit = BUF_INIT(SEAL_JIT_MAX);
	static const char	 cfg[] = "eyJ0ZXN0IjoiSklULVNFQ1JFVCJ9";
	size_t			 i, refused = 0;

	T_OK(seal_keygen(&signer));
	T_OK(seal_keygen(&other_signer));
	T_OK(seal_keygen(&rcpt));
	T_OK(seal_keygen(&sibling));
	T_OK(seal_keygen(&old));
	header(&h, "i-0aaa", NOW + 600);
	T_OK(seal_seal(&signer, rcpt.pub, &h, cfg, strlen(cfg), &a));

	/* Tampered: every single-bit flip of every byte is refused. */
	for (i = 0; i < a.len; i++) {
		a.p[i] ^= 0x01;
		buf_reset(&jit);
		if (seal_open(signer.pub, &rcpt, a.p, a.len, "i-0aaa", NOW,
		    NULL, &jit) != NULL)
			refused++;
		a.p[i] ^= 0x01;
	}
	T_EQ_INT(refused, a.len);
	/* Truncated or extended. */
	T_ERR(seal_open(signer.pub, &rcpt, a.p, a.len - 1, "i-0aaa", NOW,
	    NULL, &jit), ERR_DATA);
	T_OK(buf_add(&f, a.p, a.len));
	T_OK(buf_addc(&f, 'x'));
	T_ERR(seal_open(signer.pub, &rcpt, f.p, f.len, "i-0aaa", NOW, NULL,
	    &jit), ERR_DATA);

	/* Swapped: a sibling's config, delivered to this instance. */
	header(&h, "i-0bbb", NOW + 600);
	T_OK(seal_seal(&signer, sibling.pub, &h, cfg, strlen(cfg), &s));
	T_ERR(seal_open(signer.pub, &rcpt, s.p, s.len, "i-0aaa", NOW, NULL,
	    &jit), ERR_DATA);
	/* ... and the sibling claiming to be this instance. */
	T_ERR(seal_open(signer.pub, &sibling, a.p, a.len, "i-0aaa", NOW, NULL,
	    &jit), ERR_DATA);
	/* This instance's id but sealed to the sibling's key. */
	buf_reset(&s);
	header(&h, "i-0aaa", NOW + 600);
	T_OK(seal_seal(&signer, sibling.pub, &h, cfg, strlen(cfg), &s));
	T_ERR(seal_open(signer.pub, &rcpt, s.p, s.len, "i-0aaa", NOW, NULL,
	    &jit), ERR_DATA);

	/* Replayed: sealed to this instance's key of an earlier boot. */
	buf_reset(&s);
	T_OK(seal_seal(&signer, old.pub, &h, cfg, strlen(cfg), &s));
	T_ERR(seal_open(signer.pub, &rcpt, s.p, s.len, "i-0aaa", NOW, NULL,
	    &jit), ERR_DATA);
	/* Expired (the expiry itself is already too late). */
	T_ERR(seal_open(signer.pub, &rcpt, a.p, a.len, "i-0aaa", NOW + 600,
	    NULL, &jit), ERR_DATA);
	buf_reset(&jit);
	T_OK(seal_open(signer.pub, &rcpt, a.p, a.len, "i-0aaa", NOW + 599,
	    NULL, &jit));

	/* Wrong signer: a sibling with ec2:CreateTags forging a config. */
	buf_reset(&s);
	T_OK(seal_seal(&other_signer, rcpt.pub, &h, cfg, strlen(cfg), &s));
	T_ERR(seal_open(signer.pub, &rcpt, s.p, s.len, "i-0aaa", NOW, NULL,
	    &jit), ERR_DATA);
	T_ERR(seal_open(other_signer.pub, &rcpt, a.p, a.len, "i-0aaa", NOW,
	    NULL, &jit), ERR_DATA);

	seal_key_wipe(&signer);
	seal_key_wipe(&rcpt);
	buf_release(&a);
	buf_release(&s);
	buf_release(&f);
	buf_release(&jit);
}

static void
t_seal_pack(void)
{
	struct buf	 p = BUF_INIT(SEAL_BLOB_MAX), u = BUF_INIT(SEAL_JIT_MAX);
	char		*ref;
	size_t		 n = 0, i;
	static const char *const cases[] = {
		"x", "not base64 at all", "eyJ0ZXN0IjoiSklULVNFQ1JFVCJ9",
		"{\"a\":\"QUJDREVGR0hJSktMTU5PUA==\",\"b\":\"\\\"\"}",
		"e30=", "\"\"\"\"", "\"QUJDREVGR0hJSktMTU5PUA==",
	};

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&p);
		buf_reset(&u);
		T_OK(seal_pack(cases[i], strlen(cases[i]), &p));
		T_OK(seal_unpack(p.p, p.len, &u));
		T_EQ_STR(u.p, cases[i]);
	}
	if ((ref = realistic_jit(&n)) != NULL) {
		buf_reset(&p);
		buf_reset(&u);
		T_OK(seal_pack(ref, n, &p));
		T_OK(seal_unpack(p.p, p.len, &u));
		T_TRUE(u.len == n && memcmp(u.p, ref, n) == 0);
		/* Half the size: the RSA parameters travel as bytes. */
		T_EQ_INT(p.len, 2120);
	}
	free(ref);
	T_ERR(seal_pack("", 0, &p), ERR_DATA);
	T_ERR(seal_unpack("\x02", 1, &u), ERR_DATA);
	T_ERR(seal_unpack("\x01\x00\x00\x05xx", 6, &u), ERR_DATA);
	T_ERR(seal_unpack("\x01\x07\x00\x00", 4, &u), ERR_DATA);
	buf_release(&p);
	buf_release(&u);
}

static void
t_seal_parts(void)
{
	struct seal_key		 signer, rcpt;
	struct seal_header	 h;
	struct buf		 a = BUF_INIT(SEAL_BLOB_MAX);
	struct buf		 t = BUF_INIT(SEAL_BLOB_MAX * 2);
	struct buf		 d = BUF_INIT(SEAL_BLOB_MAX);
	size_t			 np = 0, np2 = 0;
	char			*ref;
	size_t			 n = 0;

	T_OK(seal_keygen(&signer));
	T_OK(seal_keygen(&rcpt));
	/* A real instance id: "i-" and 17 hex digits. */
	header(&h, "i-0123456789abcdef0", NOW + 600);
	if ((ref = realistic_jit(&n)) == NULL)
		return;
	T_OK(seal_seal(&signer, rcpt.pub, &h, ref, n, &a));
	T_OK(seal_encode(a.p, a.len, &t, &np));
	T_EQ_INT(np, 13);
	T_TRUE(t.len > (np - 1) * SEAL_PART_CHARS && t.len <= np *
	    SEAL_PART_CHARS);
	T_OK(seal_count_parts(t.p, SEAL_PART_CHARS, &np2));
	T_EQ_INT(np2, np);
	T_OK(seal_decode(t.p, t.len, &d));
	T_TRUE(d.len == a.len && memcmp(d.p, a.p, a.len) == 0);
	T_ERR(seal_count_parts("AAAAAAAA", 8, &np2), ERR_DATA);
	T_ERR(seal_count_parts("Z1M", 3, &np2), ERR_DATA);
	T_ERR(seal_decode("ab+c", 4, &d), ERR_DATA);
	free(ref);
	buf_release(&a);
	buf_release(&t);
	buf_release(&d);
}

static void
t_seal_pub(void)
{
	struct seal_key		 k;
	unsigned char		 pub[SEAL_PUB_LEN];
	char			 s[SEAL_PUB_B64_LEN + 1];
	unsigned char		 zero[SEAL_SECRET_LEN], big[SEAL_SECRET_LEN];

	T_OK(seal_keygen(&k));
	seal_pub_format(k.pub, s);
	T_EQ_INT(strlen(s), SEAL_PUB_B64_LEN);
	T_OK(seal_pub_parse(s, strlen(s), pub));
	T_TRUE(memcmp(pub, k.pub, SEAL_PUB_LEN) == 0);
	/* Off the curve. */
	s[40] = s[40] == 'A' ? 'B' : 'A';
	T_ERR(seal_pub_parse(s, strlen(s), pub), ERR_DATA);
	T_ERR(seal_pub_parse("abc", 3, pub), ERR_DATA);
	memset(zero, 0, sizeof(zero));
	memset(big, 0xff, sizeof(big));
	T_ERR(seal_key_from_secret(zero, sizeof(zero), &k), ERR_DATA);
	T_ERR(seal_key_from_secret(big, sizeof(big), &k), ERR_DATA);
	T_ERR(seal_key_from_secret(big, 31, &k), ERR_DATA);
}
