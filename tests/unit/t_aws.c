/*
 * SPDX-License-Identifier: ISC
 *
 * The pure parts of aws.c and cloudwatch.c: AWS error replies (EC2 XML,
 * query XML, JSON with x-amzn-query-error), retry code lists, INI files,
 * partition suffixes, and the PutMetricData form against the body
 * botocore produces (CloudWatch API Reference PutMetricData).
 */

#include <math.h>
#include <string.h>

#include "aws.h"
#include "buf.h"
#include "cloudwatch.h"
#include "t.h"

T_REGISTER("aws-error", t_aws_error)
T_REGISTER("aws-ini", t_aws_ini)
T_REGISTER("cloudwatch-form", t_cw_form)
T_REGISTER("aws-reply-root", t_aws_reply_root)

#define S(x)	x, strlen(x)

static void
t_aws_error(void)
{
	struct aws_error_info	 ei;

	aws_error_parse(S("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>"
	    "<Message>The instance ID 'i-1' does not exist</Message></Error>"
	    "</Errors><RequestID>ea966190</RequestID></Response>"), NULL, &ei);
	T_EQ_STR(ei.code, "InvalidInstanceID.NotFound");
	T_EQ_STR(ei.message, "The instance ID 'i-1' does not exist");
	T_EQ_STR(ei.request_id, "ea966190");

	aws_error_parse(S("<ErrorResponse xmlns=\"http://monitoring.amazonaws"
	    ".com/doc/2010-08-01/\"><Error><Type>Sender</Type><Code>Throttling"
	    "</Code><Message>Rate exceeded</Message></Error><RequestId>r-1"
	    "</RequestId></ErrorResponse>"), NULL, &ei);
	T_EQ_STR(ei.code, "Throttling");
	T_EQ_STR(ei.message, "Rate exceeded");
	T_EQ_STR(ei.request_id, "r-1");

	aws_error_parse(S("{\"__type\": \"com.amazonaws.cloudwatch#"
	    "InvalidParameterValueException\", \"message\": \"bad\"}"),
	    "InvalidParameterValue;Sender", &ei);
	T_EQ_STR(ei.code, "InvalidParameterValue");
	T_EQ_STR(ei.message, "bad");
	aws_error_parse(S("{\"__type\": \"x#ThrottlingException\", "
	    "\"Message\": \"slow\"}"), NULL, &ei);
	T_EQ_STR(ei.code, "ThrottlingException");
	T_EQ_STR(ei.message, "slow");

	aws_error_parse(S("<html>502 Bad Gateway</html>"), NULL, &ei);
	T_EQ_STR(ei.code, "");
	aws_error_parse(S("not xml <"), NULL, &ei);
	T_EQ_STR(ei.code, "");
	aws_error_parse(NULL, 0, NULL, &ei);
	T_EQ_STR(ei.code, "");

	T_TRUE(aws_code_throttling("Throttling"));
	T_TRUE(aws_code_throttling("RequestLimitExceeded"));
	T_TRUE(!aws_code_throttling("InvalidParameterValue"));
	T_TRUE(aws_code_transient("RequestTimeout"));
	T_TRUE(!aws_code_transient("SignatureDoesNotMatch"));

	T_EQ_STR(aws_partition_suffix("us-east-1"), "amazonaws.com");
	T_EQ_STR(aws_partition_suffix("cn-north-1"), "amazonaws.com.cn");
	T_EQ_STR(aws_partition_suffix("us-gov-west-1"), "amazonaws.com");
}

static void
t_aws_ini(void)
{
	static const char text[] =
	    "# comment\n"
	    "[default]\n"
	    "region = us-east-1\n"
	    "\n"
	    "[profile ci]\r\n"
	    "region=eu-west-1\r\n"
	    "  ; indented comment\n"
	    "services = local\n"
	    "ec2 =\n"
	    "  endpoint_url = http://127.0.0.1:1\n"
	    "[ ci ]\n"
	    "aws_access_key_id = AKID\n";
	char	 v[64];
	int	 have;

	T_EQ_INT(aws_ini_get(text, "default", "region", v, sizeof(v), &have),
	    1);
	T_EQ_STR(v, "us-east-1");
	T_EQ_INT(aws_ini_get(text, "profile ci", "region", v, sizeof(v),
	    &have), 1);
	T_EQ_STR(v, "eu-west-1");
	T_EQ_INT(aws_ini_get(text, "profile ci", "endpoint_url", v, sizeof(v),
	    &have), 0);
	T_EQ_INT(have, 1);
	T_EQ_INT(aws_ini_get(text, "ci", "aws_access_key_id", v, sizeof(v),
	    &have), 1);
	T_EQ_STR(v, "AKID");
	T_EQ_INT(aws_ini_get(text, "nope", "region", v, sizeof(v), &have), 0);
	T_EQ_INT(have, 0);
}

static void
t_cw_form(void)
{
	struct cw_dimension	 dim = { "pool", "linux" };
	struct cw_datum		 d[2];
	struct buf		 f = BUF_INIT(1 << 20);

	memset(d, 0, sizeof(d));
	d[0].name = "IdleRunners";
	d[0].value = 3;
	d[0].unit = "Count";
	d[0].timestamp = 1795417200;	/* 2026-11-23T07:00:00Z */
	T_OK(cloudwatch_form("GitHubRunners", &dim, 1, d, 1, &f));
	/* botocore 1.43.11's query body for the same call (query protocol),
	 * percent-encoded, with "3" where botocore writes "3.0". */
	T_EQ_STR(f.p, "Namespace=GitHubRunners"
	    "&MetricData.member.1.MetricName=IdleRunners"
	    "&MetricData.member.1.Dimensions.member.1.Name=pool"
	    "&MetricData.member.1.Dimensions.member.1.Value=linux"
	    "&MetricData.member.1.Value=3&MetricData.member.1.Unit=Count"
	    "&MetricData.member.1.Timestamp=2026-11-23T07%3A00%3A00Z");
	buf_release(&f);
	d[1] = d[0];
	d[1].name = "BusyRunners";
	d[1].value = 0.5;
	d[1].storage_resolution = 1;
	d[1].timestamp = 0;
	T_OK(cloudwatch_form("a b", NULL, 0, d, 2, &f));
	T_TRUE(strstr(f.p, "Namespace=a%20b&") == f.p);
	T_TRUE(strstr(f.p, "&MetricData.member.2.Value=0.5&") != NULL);
	T_TRUE(strstr(f.p, "&MetricData.member.2.StorageResolution=1") !=
	    NULL);
	T_TRUE(strstr(f.p, "member.2.Timestamp") == NULL);
	buf_release(&f);

	T_OK(cloudwatch_check("GitHubRunners", &dim, 1, d, 2));
	T_ERR(cloudwatch_check("AWS/EC2", &dim, 1, d, 1), ERR_USAGE);
	T_ERR(cloudwatch_check("", &dim, 1, d, 1), ERR_USAGE);
	d[0].value = NAN;
	T_ERR(cloudwatch_check("x", &dim, 1, d, 1), ERR_USAGE);
	d[0].value = 1e200;
	T_ERR(cloudwatch_check("x", &dim, 1, d, 1), ERR_USAGE);
	d[0].value = 1;
	d[0].unit = "Apples";
	T_ERR(cloudwatch_check("x", &dim, 1, d, 1), ERR_USAGE);
	d[0].unit = "Count";
	d[0].storage_resolution = 5;
	T_ERR(cloudwatch_check("x", &dim, 1, d, 1), ERR_USAGE);
}

/* A 2xx reply is the action's document in the service's namespace, or an error. */
static void
t_aws_reply_root(void)
{
	static const struct aws_service ec2 = {
		"ec2", "AWS_ENDPOINT_URL_EC2", "ec2", "ec2", "2016-11-15",
		"http://ec2.amazonaws.com/doc/2016-11-15/", 1
	};
	struct xml_doc		 d = XML_DOC_INIT;
	const struct error	*e;

	T_OK(aws_reply_check(&ec2, "DescribeInstances", S("<?xml version="
	    "\"1.0\" encoding=\"UTF-8\"?>\n<DescribeInstancesResponse xmlns="
	    "\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r"
	    "</requestId><reservationSet/></DescribeInstancesResponse>"), NULL,
	    &d));
	T_TRUE(d.n == 3);
	xml_doc_release(&d);
	/* A prefixed root with its own declaration is the same document. */
	T_OK(aws_reply_check(&ec2, "TerminateInstances", S("<e:Terminate"
	    "InstancesResponse xmlns:e='http://ec2.amazonaws.com/doc/2016-11-15/'"
	    "/>"), NULL, &d));
	xml_doc_release(&d);
	/* A proxy's page, well-formed or not. */
	e = aws_reply_check(&ec2, "DescribeInstances", S("<html><body>"
	    "<p>intercepted</p></body></html>"), "text/html", &d);
	T_ERR(e, ERR_PROTO);
	T_EQ_STR(e != NULL ? e->msg : "", "the reply is not <DescribeInstances"
	    "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"> but "
	    "<html xmlns=\"\"> (Content-Type 'text/html'): is a proxy, or "
	    "AWS_ENDPOINT_URL_EC2, answering for ec2?");
	T_TRUE(d.n == 0 && d.v == NULL && d.ns == NULL);
	e = aws_reply_check(&ec2, "DescribeInstances", S("<!DOCTYPE html>"
	    "<html><body><br></body></html>"), NULL, &d);
	T_ERR(e, ERR_PROTO);
	T_TRUE(e != NULL && strstr(e->msg, "but not XML (Content-Type '')") !=
	    NULL);
	T_ERR(aws_reply_check(&ec2, "DescribeInstances", "", 0, NULL, &d),
	    ERR_PROTO);
	/* The right name in no namespace, or in another version's. */
	T_ERR(aws_reply_check(&ec2, "DescribeInstances", S("<DescribeInstances"
	    "Response><reservationSet/></DescribeInstancesResponse>"), NULL,
	    &d), ERR_PROTO);
	T_ERR(aws_reply_check(&ec2, "DescribeInstances", S("<DescribeInstances"
	    "Response xmlns=\"http://ec2.amazonaws.com/doc/2015-10-01/\"/>"),
	    NULL, &d), ERR_PROTO);
	/* Another action's reply, an error document with status 200. */
	T_ERR(aws_reply_check(&ec2, "DescribeInstances", S("<RunInstances"
	    "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"/>"),
	    NULL, &d), ERR_PROTO);
	T_ERR(aws_reply_check(&ec2, "DescribeInstances", S("<Response><Errors>"
	    "<Error><Code>X</Code></Error></Errors></Response>"), NULL, &d),
	    ERR_PROTO);
	/* The prefix must be the root's: a default namespace does not do. */
	T_ERR(aws_reply_check(&ec2, "TerminateInstances", S("<e:Terminate"
	    "InstancesResponse xmlns='http://ec2.amazonaws.com/doc/2016-11-15/'"
	    " xmlns:e='urn:x'/>"), NULL, &d), ERR_PROTO);
	T_TRUE(d.n == 0 && d.ns == NULL);
	{
		static const struct aws_service none = { "x", "X", "x", "x",
		    "1", NULL, 0 };

		T_ERR(aws_reply_check(&none, "A", S("<AResponse/>"), NULL, &d),
		    ERR_SOFTWARE);
	}
}
