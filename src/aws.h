/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_AWS_H
#define GHRCTL_AWS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "http.h"
#include "xml.h"

/*
 * AWS plumbing shared by the EC2 and CloudWatch modules: credentials,
 * region, endpoints, SigV4 signing, standard-mode retries and the one
 * query-API call path.  Facts: IAM User Guide "Create a signed AWS API
 * request", the AWS SDKs and Tools Reference Guide, the EC2 and
 * CloudWatch API References.
 *
 * Credentials, in the SDKs' order, resolved on first use and cached:
 *  1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *  2. the profile (AWS_PROFILE, else "default") in the shared credentials
 *     file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), then in
 *     the config file (AWS_CONFIG_FILE, else ~/.aws/config; sections
 *     "[profile NAME]" or "[default]"); a profile named by AWS_PROFILE that
 *     is in neither file is an error;
 *  3. container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI, or
 *     http://169.254.170.2 + AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, with
 *     Authorization from AWS_CONTAINER_AUTHORIZATION_TOKEN or the file
 *     named by AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
 *  4. the EC2 instance role through IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT
 *     overrides the address; AWS_EC2_METADATA_DISABLED=true turns it off).
 * Temporary credentials (3, 4) are fetched again when they are within
 * AWS_CRED_REFRESH_S of their Expiration.
 *
 * Region: --region / AWS_REGION (config key AWS_REGION), AWS_DEFAULT_REGION,
 * the profile's region, then IMDS placement/region.
 *
 * Endpoint of a service: --endpoint-url, AWS_ENDPOINT_URL_<SERVICE>,
 * AWS_ENDPOINT_URL, else https://<prefix>.<region>.<partition suffix>
 * (amazonaws.com; amazonaws.com.cn for cn-*).  An endpoint URL may be
 * http:// (loopback only, see http.h) and may carry a path prefix.
 *
 * Retries: AWS "standard" mode through call.h: at most AWS_MAX_ATTEMPTS
 * (env, default 3) attempts, full-jitter backoff, x-amz-retry-after
 * honoured; transport errors, 500/502/503/504 and the throttling and
 * transient error codes are retried (CloudWatch throttles with 400
 * Throttling, EC2 with 503 RequestLimitExceeded), other 4xx are not.
 * Each attempt is signed afresh.
 *
 * Pacing: every attempt of a call to a paced service (EC2) first takes a
 * token from the client-side buckets of pace.h (shared through the state
 * directory), waiting within the call's time budget, and every reply
 * feeds their adaptive rate.
 */

#define AWS_CRED_REFRESH_S	300
#define AWS_MAX_BODY		(16u << 20)
#define AWS_MAX_FORM		(1u << 20)

/* What a service module tells aws.c about itself. */
struct aws_service {
	const char	*name;		/* "cloudwatch": messages */
	const char	*env;		/* "AWS_ENDPOINT_URL_CLOUDWATCH" */
	const char	*prefix;	/* endpoint prefix: "monitoring" */
	const char	*signing;	/* SigV4 service name: "monitoring" */
	const char	*version;	/* query API version: "2010-08-01" */
	const char	*ns;		/* replies' XML namespace (required) */
	int		 paced;		/* EC2's token buckets apply (pace.h) */
};

struct aws;

/*
 * A client.  http is borrowed; envp is the environment to read (environ,
 * or a fixed list in tests) and must outlive the client; endpoint_url is
 * --endpoint-url or NULL.  No network traffic until the first call.
 */
const struct error	*aws_new(const struct config *, struct http_client *,
			    char *const *envp, const char *endpoint_url,
			    struct aws **out);
void			 aws_free(struct aws *);

/*
 * The region (resolving it on first use, maybe through IMDS).  The string
 * is valid until aws_free().  ERR_CONFIG when no source gives one.
 */
const struct error	*aws_region(struct aws *, const char **out);

/* The endpoint URL for svc into out (no trailing '/'). */
const struct error	*aws_endpoint(struct aws *, const struct aws_service *,
			    struct buf *out);

/*
 * Resolve credentials now (normally done by the first call), so a command
 * can fail early.  *source (may be NULL) receives where they came from,
 * e.g. "env AWS_ACCESS_KEY_ID", "instance role ghr (IMDS)"; valid until
 * the next call on the client.
 */
const struct error	*aws_credentials(struct aws *, const char **source);

/*
 * One query-API call: POST "Action=<action>&Version=<svc->version>" plus
 * form (further name=value pairs already percent-encoded with
 * url_query_add(); NULL for none), signed, retried as above.  A 2xx reply
 * must be the action's document, <ActionResponse xmlns="svc->ns">, or the
 * call fails with ERR_PROTO (an HTML page from a proxy is never read as
 * an empty answer); it is parsed into *out when out is not NULL (release
 * with xml_doc_release()).  Errors carry AWS's reply as
 * "<svc> <action> in '<region>' failed: Code: Message (RequestID id)":
 * ERR_PERM for authentication and authorisation codes, ERR_TEMP when
 * still throttled after the last attempt, ERR_UNAVAIL for 5xx and
 * transport failures, ERR_FAIL for other refusals, ERR_PROTO for an
 * unreadable reply.
 */
const struct error	*aws_query_call(struct aws *, const struct aws_service *,
			    const char *action, const char *form,
			    struct xml_doc *out);

/*
 * Check a 2xx reply (pure): it must be XML whose root is <ActionResponse>
 * in svc->ns (EC2 API Reference "Query API responses"; the CloudWatch and
 * STS query APIs alike).  Anything else (an HTML page from a proxy or a
 * captive portal, another service's reply) is ERR_PROTO naming what came,
 * so no caller reads it as "no instances" or "done".  Parsed into *out
 * on success (left empty on error); ctype may be NULL.
 */
const struct error	*aws_reply_check(const struct aws_service *,
			    const char *action, const char *body, size_t len,
			    const char *ctype, struct xml_doc *out);

/*
 * The AWS error code of the last aws_query_call() ("" after a success or
 * a transport failure), e.g. "InsufficientInstanceCapacity"; valid until
 * the next call on the client.
 */
const char		*aws_last_code(const struct aws *);

/* AWS's error reply, parsed (pure). */
struct aws_error_info {
	char	 code[128];
	char	 message[512];
	char	 request_id[128];
};

/*
 * Parse an error reply: EC2's <Response><Errors><Error>, the query
 * protocol's <ErrorResponse><Error>, or JSON {"__type", "message"} with the
 * x-amzn-query-error header (query_error, may be NULL) preferred for the
 * code.  Fields that are absent are "".  Never fails.
 */
void			 aws_error_parse(const char *body, size_t len,
			    const char *query_error, struct aws_error_info *);

/* 1 for the standard-mode throttling codes (Throttling, RequestLimitExceeded, ...). */
int			 aws_code_throttling(const char *code);
/* 1 for the transient codes (RequestTimeout, PriorRequestNotComplete, ...). */
int			 aws_code_transient(const char *code);

/* The DNS suffix of region's partition ("amazonaws.com", "amazonaws.com.cn"). */
const char		*aws_partition_suffix(const char *region);

/*
 * Parse the INI text of a shared credentials or config file (pure): the
 * value of key in section (exact "[section]" name, e.g. "default" or
 * "profile ci") into out.  Returns 1 found, 0 not found; *have_section
 * (may be NULL) is set when the section exists.
 */
int			 aws_ini_get(const char *text, const char *section,
			    const char *key, char *out, size_t size,
			    int *have_section);

#endif
