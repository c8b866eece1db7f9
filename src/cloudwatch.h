/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_CLOUDWATCH_H
#define GHRCTL_CLOUDWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"
#include "error.h"

/*
 * CloudWatch PutMetricData over the query protocol (Version=2010-08-01,
 * signing name "monitoring", endpoint https://monitoring.<region>.<suffix>
 * or AWS_ENDPOINT_URL_CLOUDWATCH).  Datapoints are sent in as few requests
 * as the service limits allow: at most CW_MAX_DATUMS metrics and
 * CW_MAX_BODY bytes per request.  Facts: Amazon CloudWatch API Reference,
 * PutMetricData (limits on MetricData and request size).
 */

#define CW_MAX_DATUMS		1000
#define CW_MAX_BODY		(1000u * 1000u)
#define CW_MAX_DIMENSIONS	30
#define CW_MAX_DIM_NAME		255
#define CW_MAX_DIM_VALUE	1024
#define CW_MAX_NAME		255

struct cw_dimension {
	const char	*name;
	const char	*value;
};

struct cw_datum {
	const char	*name;		/* MetricName */
	double		 value;
	const char	*unit;		/* "Count", ...; NULL: none sent */
	int64_t		 timestamp;	/* unix seconds; 0: none (= now) */
	int		 storage_resolution; /* 1, 60, or 0: not sent */
};

/*
 * Check a namespace, dimensions and datapoints against the service's
 * rules (lengths, 30 dimensions, no "AWS/" namespace, finite values within
 * +-2^360, known units, resolution 1 or 60).  Pure.  ERR_USAGE naming the
 * offending item.
 */
const struct error	*cloudwatch_check(const char *ns,
			    const struct cw_dimension *, size_t ndims,
			    const struct cw_datum *, size_t n);

/*
 * Append the PutMetricData parameters for datums [0, n) with the shared
 * dimensions to form (pure; numbering MetricData.member.1..n).
 */
const struct error	*cloudwatch_form(const char *ns,
			    const struct cw_dimension *, size_t ndims,
			    const struct cw_datum *, size_t n, struct buf *form);

/*
 * Publish n datapoints, all with the same dimensions, in as many requests
 * as the limits need (checked first with cloudwatch_check()).  *requests
 * (may be NULL) receives the number of requests sent.  Errors as
 * aws_query_call().
 */
const struct error	*cloudwatch_put(struct aws *, const char *ns,
			    const struct cw_dimension *, size_t ndims,
			    const struct cw_datum *, size_t n,
			    unsigned int *requests);

/*
 * Permission check for `ghrctl doctor`: PutMetricData to namespace ns
 * with no datapoint, so nothing is stored.  NULL when CloudWatch let it
 * through, including a refusal for carrying no data (the request passed
 * authorisation then: *note, may be NULL, says so).  An authorisation
 * refusal (AccessDenied) is ERR_PERM; other errors as aws_query_call().
 */
const struct error	*cloudwatch_access(struct aws *, const char *ns,
			    const char **note);

#endif
