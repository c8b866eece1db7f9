/*
 * SPDX-License-Identifier: ISC
 *
 * The XML reader on real EC2/CloudWatch reply shapes (tests/vectors/xml)
 * and on inputs it must refuse.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "util.h"
#include "xml.h"

T_REGISTER("xml", t_xml)
T_REGISTER("xml-refuse", t_xml_refuse)
T_REGISTER("xml-root-ns", t_xml_root_ns)

static char *
slurp(const char *name, size_t *lenp)
{
	return t_vector("xml", name, lenp);
}

static void
t_xml(void)
{
	struct xml_doc	 d = XML_DOC_INIT;
	char		*p;
	size_t		 len;
	int		 inst, it, n, state;

	p = slurp("ec2-describe.xml", &len);
	if (!T_TRUE(p != NULL))
		return;
	T_OK(xml_parse(p, len, &d));
	T_EQ_STR(xml_path_text(&d, -1, "DescribeInstancesResponse/nextToken"),
	    "abc/def+=");
	inst = xml_path(&d, -1, "DescribeInstancesResponse/reservationSet/"
	    "item/instancesSet");
	T_TRUE(inst != -1);
	n = 0;
	for (it = -1; (it = xml_child(&d, inst, "item", it)) != -1; n++) {
		state = xml_path(&d, it, "instanceState/code");
		if (n == 0) {
			T_EQ_STR(xml_text(&d, state), "16");
			T_EQ_STR(xml_path_text(&d, it, "stateReason/message"),
			    "User & <initiated> \xe2\x80\x94 \xe2\x80\x94");
			T_EQ_STR(xml_path_text(&d, it,
			    "tagSet/item/value"), "linux x64");
		} else
			T_EQ_STR(xml_text(&d, state), "272");
	}
	T_EQ_INT(n, 2);
	T_TRUE(xml_path_text(&d, -1, "DescribeInstancesResponse/nope") ==
	    NULL);
	xml_doc_release(&d);
	free(p);

	p = slurp("cw-error.xml", &len);
	T_OK(xml_parse(p, len, &d));
	T_EQ_STR(xml_path_text(&d, -1, "ErrorResponse/Error/Code"),
	    "InvalidParameterCombination");
	T_EQ_STR(xml_path_text(&d, -1, "ErrorResponse/RequestId"),
	    "8d1c9a0e-3f5e-4b8a-9c1f-EXAMPLE");
	xml_doc_release(&d);
	free(p);

	p = slurp("sts-error-cdata.xml", &len);
	T_OK(xml_parse(p, len, &d));
	T_EQ_STR(xml_path_text(&d, -1, "ErrorResponse/Error/Message"),
	    "The security token included in the request is <expired>");
	xml_doc_release(&d);
	free(p);

	T_OK(xml_parse("<a:b xmlns:a='x'><a:c>1</a:c></a:b>", 35, &d));
	T_EQ_STR(xml_path_text(&d, -1, "b/c"), "1");
	xml_doc_release(&d);
}

static void
t_xml_refuse(void)
{
	static const char *const bad[] = {
		"<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>",
		"<x>&a;</x>",
		"<a><b></a></b>",
		"<a>",
		"",
		"text",
		"<a></a><b></b>",
		"<a>&#0;</a>",
		"<a>&#xD800;</a>",
		"<a>&#x110000;</a>",
		"<a b=c></a>",
		"<a><![CDATA[x</a>",
		"<a><!-- x </a>",
		"<1a></1a>",
	};
	struct xml_doc	 d = XML_DOC_INIT;
	size_t		 i;
	char		 deep[XML_MAX_DEPTH * 8 + 16];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_ERR(xml_parse(bad[i], strlen(bad[i]), &d), ERR_PROTO);
	T_ERR(xml_parse("<a>\0</a>", 8, &d), ERR_PROTO);
	for (i = 0; i <= XML_MAX_DEPTH; i++)
		memcpy(deep + 3 * i, "<a>", 3);
	T_ERR(xml_parse(deep, 3 * i, &d), ERR_PROTO);
	T_TRUE(d.n == 0 && d.v == NULL);
}

#define R(x)	x, strlen(x)

/* The root's namespace: the declaration that binds the root's prefix. */
static void
t_xml_root_ns(void)
{
	struct xml_doc	 d = XML_DOC_INIT;

	T_EQ_STR(xml_root_ns(&d), "");
	T_OK(xml_parse(R("<a xmlns=\"urn:a\" x='1'><b xmlns=\"urn:b\"/>"
	    "</a>"), &d));
	T_EQ_STR(xml_root_ns(&d), "urn:a");
	xml_doc_release(&d);
	T_EQ_STR(xml_root_ns(&d), "");
	T_OK(xml_parse(R("<p:a xmlns:q='urn:q' xmlns:p='urn:p' "
	    "xmlns='urn:d'/>"), &d));
	T_EQ_STR(xml_root_ns(&d), "urn:p");
	xml_doc_release(&d);
	T_OK(xml_parse(R("<a><b xmlns='urn:b'/></a>"), &d));
	T_EQ_STR(xml_root_ns(&d), "");
	xml_doc_release(&d);
	T_OK(xml_parse(R("<a xmlns:a='urn:a'/>"), &d));
	T_EQ_STR(xml_root_ns(&d), "");
	xml_doc_release(&d);
	T_ERR(xml_parse(R("<a xmlns='urn:a'><b>"), &d), ERR_PROTO);
	T_TRUE(d.ns == NULL);
}
