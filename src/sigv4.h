/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_SIGV4_H
#define GHRCTL_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "error.h"

/*
 * AWS Signature Version 4 (header form), pure: no clock, no environment,
 * no I/O.  The caller passes every header it will send that is to be
 * signed (at least host and x-amz-date, plus x-amz-security-token with
 * temporary credentials and any other x-amz-* header) and sends exactly
 * those bytes; sigv4 signs them all.  See the IAM User Guide, "Create a
 * signed AWS API request".
 */

#define SIGV4_MAX_CREQ		(1u << 20)	/* canonical request text */
#define SIGV4_MAX_AUTHZ		1024		/* Authorization value */
#define SIGV4_MAX_HEADERS	32
#define SIGV4_DATE_LEN		16		/* "20261123T070000Z" */

struct sigv4_header {
	const char	*name;		/* any case */
	const char	*value;		/* trimmed and squeezed when signing */
};

struct sigv4_req {
	const char			*method;
	const char			*path;	/* as sent, no query; "" means "/" */
	const char			*query;	/* as sent, without '?'; NULL: none */
	const struct sigv4_header	*headers;
	size_t				 nheaders;
	const void			*body;
	size_t				 body_len;
};

struct sigv4_cred {
	const char	*access_key;
	const char	*secret_key;	/* secret: never logged */
	const char	*region;	/* "us-east-1" */
	const char	*service;	/* signing name: "ec2", "monitoring" */
};

/*
 * The canonical request (no trailing newline) into out, and the
 * SignedHeaders list into signed_headers (may be NULL).  The canonical URI
 * is the path percent-encoded once more (RFC 3986 unreserved set, '/'
 * kept), as AWS does for every service but S3; the query is decoded and
 * re-encoded per name and value, then sorted by name and value in byte
 * order.  ERR_SOFTWARE on too many headers or a header without a value,
 * ERR_DATA on a bad %-escape in the query.
 */
const struct error	*sigv4_canonical_request(const struct sigv4_req *,
			    struct buf *out, struct buf *signed_headers);

/*
 * The Authorization header value for req, taking X-Amz-Date from req's
 * x-amz-date header (ERR_SOFTWARE when it is missing or malformed).  When
 * creq/sts are not NULL they receive the canonical request and the string
 * to sign (for debug logs and tests; neither holds a secret).
 */
const struct error	*sigv4_authorization(const struct sigv4_req *,
			    const struct sigv4_cred *, struct buf *out,
			    struct buf *creq, struct buf *sts);

/* Format t (unix seconds, UTC) as X-Amz-Date into out[SIGV4_DATE_LEN + 1]. */
void			 sigv4_date(time_t t, char *out);

/* Lower-case hex SHA-256 of n bytes into out[65]. */
void			 sigv4_sha256_hex(const void *, size_t n, char *out);

#endif
