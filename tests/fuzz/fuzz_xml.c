/*
 * SPDX-License-Identifier: ISC
 *
 * Fuzz target: the XML reader (xml_parse) and the tree walkers used on
 * AWS replies, plus the AWS error-reply parser built on them.
 */

#include <stdint.h>
#include <stdlib.h>

#include "aws.h"
#include "xml.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xml_doc		 d = XML_DOC_INIT;
	struct aws_error_info	 ei;
	int			 i, j;

	if (size > (1u << 20))
		return 0;
	if (xml_parse((const char *)data, size, &d) == NULL) {
		(void)xml_path_text(&d, -1, "Response/Errors/Error/Code");
		for (i = -1; (i = xml_child(&d, 0, NULL, i)) != -1; )
			for (j = -1; (j = xml_child(&d, i, "item", j)) != -1; )
				(void)xml_text(&d, j);
		xml_doc_release(&d);
	}
	aws_error_parse((const char *)data, size, NULL, &ei);
	return 0;
}
