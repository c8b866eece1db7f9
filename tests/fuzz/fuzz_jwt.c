/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: JWTs from the Actions Service (asmsg_jwt_exp reads the exp
 * claim of the admin and queue tokens: base64url, then JSON) and the
 * base64 decoder under it (b64_decode, also used for PEM).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actions_msg.h"
#include "b64.h"
#include "buf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 out = BUF_INIT(65536);
	int64_t		 exp;
	char		*text;

	if (size > 65536 || (text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)asmsg_jwt_exp(text, &exp);
	(void)b64_decode(text, size, &out);
	buf_release(&out);
	free(text);
	return 0;
}
