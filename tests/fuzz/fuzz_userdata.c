/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: the user-data template renderer (userdata.c), which
 * follows shell quoting to quote each value for its place.  The input's
 * first line is the value (the scale set name comes from the server),
 * the rest the template.  Also checked: a value that needs no quoting
 * renders as plain replacement.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "userdata.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_OUT_MAX	(1u << 20)

/* tmpl with every known placeholder replaced by v, as plain text. */
static void
plain(const char *tmpl, const char *v, struct buf *out)
{
	static const char *const keys[] = { "{{SIGNING_KEY}}",
	    "{{RUNNER_NAME}}", "{{SCALE_SET_ID}}", "{{SCALE_SET_NAME}}" };
	size_t	 k, n;

	while (*tmpl != '\0') {
		for (k = 0; k < 4; k++) {
			n = strlen(keys[k]);
			if (strncmp(tmpl, keys[k], n) == 0)
				break;
		}
		if (k < 4) {
			(void)buf_adds(out, v);
			tmpl += n;
		} else
			(void)buf_addc(out, *tmpl++);
	}
	(void)buf_addc(out, '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 out = BUF_INIT(FUZZ_OUT_MAX), want = BUF_INIT(FUZZ_OUT_MAX);
	char		*text, *tmpl, *nl;

	if (size > 65536)
		return 0;
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	tmpl = "";
	if ((nl = strchr(text, '\n')) != NULL) {
		*nl = '\0';
		tmpl = nl + 1;
	}
	(void)userdata_render(tmpl, text, text, text, text, &out);
	buf_reset(&out);
	(void)userdata_render(userdata_default_template(), "J", text, "1",
	    text, &out);
	buf_reset(&out);
	if (userdata_render(tmpl, "ghrctl-1-r7", "ghrctl-1-r7", "ghrctl-1-r7",
	    "ghrctl-1-r7", &out) == NULL) {
		plain(tmpl, "ghrctl-1-r7", &want);
		if (want.p == NULL || strcmp(out.p, want.p) != 0)
			abort();
	}
	buf_release(&out);
	buf_release(&want);
	free(text);
	return 0;
}
