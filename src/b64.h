/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_B64_H
#define GHRCTL_B64_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/*
 * Base64 (RFC 4648): the standard alphabet with padding (PEM, HTTP basic
 * auth) and the URL-safe alphabet without padding (JWT).  Pure.
 */

const struct error	*b64_encode(const void *, size_t, struct buf *out);
const struct error	*b64url_encode(const void *, size_t, struct buf *out);

/*
 * Decode standard or URL-safe base64; white space is skipped, padding is
 * optional.  ERR_DATA on any other character or a truncated group.
 */
const struct error	*b64_decode(const char *, size_t, struct buf *out);

#endif
