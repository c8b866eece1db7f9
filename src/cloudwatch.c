/*
 * SPDX-License-Identifier: ISC
 *
 * CloudWatch PutMetricData, query protocol: lists are ".member.N" here and
 * in nested lists (unlike EC2), timestamps ISO-8601 UTC, numbers plain
 * decimals.  Batching follows the documented limits: 1000 metrics and
 * 1 MB per request, 30 dimensions per metric.  The wire names were
 * produced by botocore (CloudWatch API Reference PutMetricData, query
 * protocol) and are re-checked against
 * botocore's model by tests/fake/aws.py on every request.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aws.h"
#include "buf.h"
#include "cloudwatch.h"
#include "url.h"
#include "util.h"

#define CW_VALUE_MAX	2.348542582773833e108	/* 2^360 */

static const struct aws_service cw_service = {
	"cloudwatch", "AWS_ENDPOINT_URL_CLOUDWATCH", "monitoring",
	"monitoring", "2010-08-01",
	"http://monitoring.amazonaws.com/doc/2010-08-01/", 0
};

static const char *const cw_units[] = {
	"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes",
	"Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits",
	"Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
	"Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
	"Terabytes/Second", "Bits/Second", "Kilobits/Second",
	"Megabits/Second", "Gigabits/Second", "Terabits/Second",
	"Count/Second", "None", NULL
};

static int
unit_ok(const char *u)
{
	const char *const	*p;

	for (p = cw_units; *p != NULL; p++)
		if (strcmp(*p, u) == 0)
			return 1;
	return 0;
}

/* see cloudwatch.h */
const struct error *
cloudwatch_check(const char *ns, const struct cw_dimension *dims,
    size_t ndims, const struct cw_datum *d, size_t n)
{
	size_t	 i, j, len;

	len = ns != NULL ? strlen(ns) : 0;
	if (len == 0 || len > CW_MAX_NAME)
		return error_fmt(ERR_USAGE, "namespace must be 1 to %d "
		    "characters", CW_MAX_NAME);
	if (str_prefix(ns, "AWS/"))
		return error_fmt(ERR_USAGE, "namespace '%s' is reserved for AWS",
		    ns);
	if (ndims > CW_MAX_DIMENSIONS)
		return error_fmt(ERR_USAGE, "%zu dimensions given; CloudWatch "
		    "takes at most %d", ndims, CW_MAX_DIMENSIONS);
	for (i = 0; i < ndims; i++) {
		len = strlen(dims[i].name);
		if (len == 0 || len > CW_MAX_DIM_NAME)
			return error_fmt(ERR_USAGE, "dimension name '%.40s' must "
			    "be 1 to %d characters", dims[i].name,
			    CW_MAX_DIM_NAME);
		len = strlen(dims[i].value);
		if (len == 0 || len > CW_MAX_DIM_VALUE)
			return error_fmt(ERR_USAGE, "value of dimension '%s' "
			    "must be 1 to %d characters", dims[i].name,
			    CW_MAX_DIM_VALUE);
		for (j = 0; j < i; j++)
			if (strcmp(dims[i].name, dims[j].name) == 0)
				return error_fmt(ERR_USAGE, "dimension '%s' "
				    "given twice", dims[i].name);
	}
	for (i = 0; i < n; i++) {
		len = strlen(d[i].name);
		if (len == 0 || len > CW_MAX_NAME)
			return error_fmt(ERR_USAGE, "metric name '%.40s' must be "
			    "1 to %d characters", d[i].name, CW_MAX_NAME);
		if (!isfinite(d[i].value) || d[i].value > CW_VALUE_MAX ||
		    d[i].value < -CW_VALUE_MAX)
			return error_fmt(ERR_USAGE, "metric '%s': value out of "
			    "range", d[i].name);
		if (d[i].unit != NULL && !unit_ok(d[i].unit))
			return error_fmt(ERR_USAGE, "metric '%s': unknown unit "
			    "'%s'", d[i].name, d[i].unit);
		if (d[i].storage_resolution != 0 &&
		    d[i].storage_resolution != 1 &&
		    d[i].storage_resolution != 60)
			return error_fmt(ERR_USAGE, "metric '%s': storage "
			    "resolution must be 1 or 60", d[i].name);
	}
	return NULL;
}

static const struct error *
addp(struct buf *f, size_t m, const char *field, const char *value)
{
	char			 name[96];
	const struct error	*e;

	if ((e = str_fmt(name, sizeof(name), "MetricData.member.%zu.%s", m,
	    field)) != NULL)
		return e;
	return url_query_add(f, name, value);
}

static const struct error *
datum_form(const struct cw_datum *d, size_t m, const struct cw_dimension *dims,
    size_t ndims, struct buf *f)
{
	const struct error	*e;
	char			 v[64], field[64];
	struct tm		 tm;
	time_t			 t;
	size_t			 i;

	if ((e = addp(f, m, "MetricName", d->name)) != NULL)
		return e;
	for (i = 0; i < ndims; i++) {
		snprintf(field, sizeof(field), "Dimensions.member.%zu.Name",
		    i + 1);
		if ((e = addp(f, m, field, dims[i].name)) != NULL)
			return e;
		snprintf(field, sizeof(field), "Dimensions.member.%zu.Value",
		    i + 1);
		if ((e = addp(f, m, field, dims[i].value)) != NULL)
			return e;
	}
	snprintf(v, sizeof(v), "%.17g", d->value);
	if ((e = addp(f, m, "Value", v)) != NULL)
		return e;
	if (d->unit != NULL && (e = addp(f, m, "Unit", d->unit)) != NULL)
		return e;
	if (d->timestamp != 0) {
		t = (time_t)d->timestamp;
		gmtime_r(&t, &tm);
		strftime(v, sizeof(v), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if ((e = addp(f, m, "Timestamp", v)) != NULL)
			return e;
	}
	if (d->storage_resolution != 0) {
		snprintf(v, sizeof(v), "%d", d->storage_resolution);
		if ((e = addp(f, m, "StorageResolution", v)) != NULL)
			return e;
	}
	return NULL;
}

/* see cloudwatch.h */
const struct error *
cloudwatch_form(const char *ns, const struct cw_dimension *dims, size_t ndims,
    const struct cw_datum *d, size_t n, struct buf *f)
{
	const struct error	*e;
	size_t			 i;

	if ((e = url_query_add(f, "Namespace", ns)) != NULL)
		return e;
	for (i = 0; i < n; i++)
		if ((e = datum_form(&d[i], i + 1, dims, ndims, f)) != NULL)
			return e;
	return NULL;
}

/* see cloudwatch.h */
const struct error *
cloudwatch_put(struct aws *a, const char *ns, const struct cw_dimension *dims,
    size_t ndims, const struct cw_datum *d, size_t n, unsigned int *requests)
{
	const struct error	*e;
	struct buf		 f = BUF_INIT(CW_MAX_BODY);
	struct buf		 one = BUF_INIT(CW_MAX_BODY);
	size_t			 i, inbatch = 0;
	unsigned int		 nreq = 0;

	if (requests != NULL)
		*requests = 0;
	if ((e = cloudwatch_check(ns, dims, ndims, d, n)) != NULL)
		return e;
	for (i = 0; i <= n; i++) {
		buf_reset(&one);
		if (i < n && (e = datum_form(&d[i], inbatch + 1, dims, ndims,
		    &one)) != NULL)
			goto out;
		/* Flush before the limits, and at the end. */
		if (inbatch > 0 && (i == n || inbatch == CW_MAX_DATUMS ||
		    f.len + one.len + 1 > CW_MAX_BODY - 512)) {
			if ((e = aws_query_call(a, &cw_service, "PutMetricData",
			    f.p, NULL)) != NULL)
				goto out;
			nreq++;
			buf_reset(&f);
			inbatch = 0;
			if (i < n) {
				i--;	/* renumber this datum as member.1 */
				continue;
			}
		}
		if (i == n)
			break;
		if (inbatch == 0 && (e = url_query_add(&f, "Namespace", ns)) !=
		    NULL)
			goto out;
		if ((e = buf_addc(&f, '&')) != NULL ||
		    (e = buf_add(&f, one.p, one.len)) != NULL)
			goto out;
		inbatch++;
	}
out:
	if (requests != NULL)
		*requests = nreq;
	buf_release(&f);
	buf_release(&one);
	return e;
}

/* see cloudwatch.h */
const struct error *
cloudwatch_access(struct aws *a, const char *ns, const char **note)
{
	const struct error	*e;
	struct buf		 f = BUF_INIT(1024);
	const char		*code;

	if (note != NULL)
		*note = NULL;
	if ((e = url_query_add(&f, "Namespace", ns)) != NULL)
		return e;
	e = aws_query_call(a, &cw_service, "PutMetricData", f.p, NULL);
	code = aws_last_code(a);
	if (e != NULL && e->class == ERR_FAIL &&
	    (strcmp(code, "MissingParameter") == 0 ||
	    strcmp(code, "InvalidParameterCombination") == 0 ||
	    strcmp(code, "ValidationError") == 0)) {
		if (note != NULL)
			*note = "allowed (the empty request was refused only "
			    "as incomplete)";
		e = NULL;
	}
	buf_release(&f);
	return e;
}
