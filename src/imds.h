/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_IMDS_H
#define GHRCTL_IMDS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "http.h"

/*
 * EC2 instance metadata, IMDSv2 only: a session token from
 * PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds: 21600),
 * sent as X-aws-ec2-metadata-token on every GET, fetched again once when
 * a GET answers 401.  No IMDSv1 fallback.  Each request has a short
 * deadline (IMDS_TIMEOUT_MS) and is tried once, as botocore does, so
 * ghrctl does not hang off EC2.  Facts: EC2 User Guide "Use the Instance
 * Metadata Service to access instance metadata" (IMDSv2).
 */

#define IMDS_ENDPOINT		"http://169.254.169.254"
#define IMDS_TOKEN_TTL_S	21600
#define IMDS_TIMEOUT_MS		2000
#define IMDS_MAX_BODY		(64u * 1024)

struct imds;

/*
 * A client for endpoint (NULL: IMDS_ENDPOINT; AWS_EC2_METADATA_SERVICE_ENDPOINT
 * as the caller read it, with or without a trailing '/').  http is
 * borrowed.  No traffic until the first call.  ERR_CONFIG on a bad URL.
 */
const struct error	*imds_new(struct http_client *, const char *endpoint,
			    struct imds **out);
void			 imds_free(struct imds *);

/*
 * GET path (e.g. "/latest/meta-data/placement/region") into out.  Errors:
 * ERR_UNAVAIL "instance metadata service at URL unreachable" (also
 * timeouts: an instance without IMDS looks the same), ERR_FAIL for a 404,
 * ERR_PROTO for another status.
 */
const struct error	*imds_get(struct imds *, const char *path,
			    struct buf *out);

/* The instance's region (placement/region) into out (size bytes). */
const struct error	*imds_region(struct imds *, char *out, size_t size);

/* Role credentials, secrets registered with log_secret(). */
struct imds_creds {
	char	*access_key;
	char	*secret_key;	/* secret_free() */
	char	*token;		/* secret_free() */
	int64_t	 expiration;	/* unix seconds */
	char	 role[128];
};

/*
 * The instance role's current credentials (iam/security-credentials/ then
 * .../ROLE).  ERR_CONFIG when the instance has no role, ERR_PROTO when
 * the reply is not {"Code":"Success",...}.  Release with
 * imds_creds_release().
 */
const struct error	*imds_credentials(struct imds *, struct imds_creds *);
void			 imds_creds_release(struct imds_creds *);


#endif
