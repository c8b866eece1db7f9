/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: EC2 RunInstances/DescribeInstances reply parsing
 * (ec2_parse_instances over xml_parse), including launch times and the
 * nextToken copy.
 */

#include <stdint.h>
#include <stdlib.h>

#include "ec2.h"
#include "xml.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xml_doc		 d = XML_DOC_INIT;
	struct ec2_instances	 v = EC2_INSTANCES_INIT;
	char			 next[64];
	size_t			 i;

	if (size > (1u << 20))
		return 0;
	if (xml_parse((const char *)data, size, &d) == NULL) {
		(void)ec2_parse_instances(&d, &v, next, sizeof(next));
		for (i = 0; i < v.n; i++)
			(void)ec2_state_live(v.v[i].state);
		ec2_instances_release(&v);
		xml_doc_release(&d);
	}
	return 0;
}
