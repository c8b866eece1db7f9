/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: the opener of sealed JIT configs (seal.c), which reads
 * instance tags any principal with ec2:CreateTags on the instance may
 * write.  Byte 0 chooses the layer: 0 the whole blob (seal_open with the
 * known-answer vector's keys, so a seed from tests/vectors/seal/kat.txt
 * gets past the signature check only when unchanged), 1 the tag-value
 * text (seal_count_parts, seal_decode), 2 the packed plaintext
 * (seal_unpack, behind the AEAD in real use, so reached here directly).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "seal.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* SHA-256("kat signer") and SHA-256("kat recipient"). */
static const unsigned char signer_x[32] = {
	0x86, 0xf8, 0xa3, 0x43, 0xc3, 0xe0, 0xa0, 0x82,
	0xe9, 0x31, 0x90, 0x56, 0x7b, 0xc4, 0xed, 0x62,
	0x8a, 0x30, 0x9b, 0x66, 0x71, 0x26, 0x94, 0x4f,
	0xd2, 0xcd, 0x5f, 0xe6, 0x41, 0xd2, 0xc2, 0x9d
};
static const unsigned char rcpt_x[32] = {
	0x12, 0xb8, 0x3d, 0x9d, 0xcc, 0xdc, 0x41, 0xf8,
	0x87, 0xfe, 0x72, 0x21, 0x1f, 0x85, 0xef, 0xa2,
	0x75, 0x1c, 0x86, 0x6d, 0xf1, 0x3f, 0x7f, 0x1f,
	0x37, 0x5c, 0xcc, 0xef, 0x58, 0xec, 0x80, 0xb7
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seal_key	 signer, rcpt;
	static int		 init;
	struct seal_header	 h;
	struct buf		 out = BUF_INIT(SEAL_JIT_MAX);
	size_t			 np;

	if (size < 1 || size > SEAL_BLOB_MAX)
		return 0;
	if (!init) {
		if (seal_key_from_secret(signer_x, 32, &signer) != NULL ||
		    seal_key_from_secret(rcpt_x, 32, &rcpt) != NULL)
			abort();
		init = 1;
	}
	switch (data[0]) {
	case 0:
		(void)seal_open(signer.pub, &rcpt, data + 1, size - 1,
		    "i-0123456789abcdef0", 1700000000, &h, &out);
		break;
	case 1:
		(void)seal_count_parts((const char *)data + 1, size - 1, &np);
		(void)seal_decode((const char *)data + 1, size - 1, &out);
		break;
	default:
		(void)seal_unpack(data + 1, size - 1, &out);
		break;
	}
	buf_release(&out);
	return 0;
}
