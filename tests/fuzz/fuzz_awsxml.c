/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: AWS replies by their roots: error replies (aws_error_parse:
 * EC2's <Response><Errors>, the query protocol's <ErrorResponse>, JSON
 * with the x-amzn-query-error header) and the success roots read by path
 * (STS GetCallerIdentityResponse, CloudWatch PutMetricDataResponse).  The
 * first byte chooses whether a query-error header comes along.
 */

#include <stdint.h>
#include <string.h>

#include "aws.h"
#include "xml.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_error_info	 ei;
	struct xml_doc		 d = XML_DOC_INIT;
	const char		*body = (const char *)data + 1, *s;

	if (size < 1 || size > (1u << 20))
		return 0;
	size--;
	aws_error_parse(body, size, data[0] & 1 ?
	    "AWS.SimpleQueueService.NonExistentQueue;Sender" : NULL, &ei);
	if (memchr(ei.code, '\0', sizeof(ei.code)) == NULL ||
	    memchr(ei.message, '\0', sizeof(ei.message)) == NULL ||
	    memchr(ei.request_id, '\0', sizeof(ei.request_id)) == NULL)
		__builtin_trap();
	(void)aws_code_throttling(ei.code);
	(void)aws_code_transient(ei.code);
	if (xml_parse(body, size, &d) == NULL) {
		s = xml_path_text(&d, -1, "GetCallerIdentityResponse/"
		    "GetCallerIdentityResult/Arn");
		if (s != NULL)
			(void)strlen(s);
		(void)xml_path_text(&d, -1,
		    "PutMetricDataResponse/ResponseMetadata/RequestId");
		xml_doc_release(&d);
	}
	return 0;
}
