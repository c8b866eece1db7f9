/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_XML_H
#define GHRCTL_XML_H

#include <stddef.h>

#include "error.h"

/*
 * A small XML reader for the flat replies of AWS query APIs (EC2,
 * CloudWatch, STS), pure.  xml_parse() turns a document into a flat array
 * of elements in document order, each with its local name (namespace
 * prefix dropped), its parent and its own character data (entities
 * decoded), so callers walk the tree by parent (never "the first <code>
 * anywhere", which picks stateReason/code over instanceState/code).
 *
 * Accepted: the XML declaration, comments, processing instructions,
 * attributes (skipped but for the root's namespace declaration), CDATA, the five predefined entities and numeric
 * character references.  Refused with ERR_PROTO: DOCTYPE (so no DTDs and
 * no entity expansion), other entities, mismatched or unclosed tags, NUL
 * bytes, more than XML_MAX_DEPTH levels or XML_MAX_NODES elements.
 */

#define XML_MAX_DEPTH	64
#define XML_MAX_NODES	200000
#define XML_MAX_NAME	256

struct xml_node {
	char	*name;		/* local name */
	char	*text;		/* own character data, decoded; never NULL */
	int	 parent;	/* index of the parent, -1 for the root */
};

struct xml_doc {
	struct xml_node	*v;
	size_t		 n;
	size_t		 cap;
	char		*ns;	/* the root's namespace name, as written */
};

#define XML_DOC_INIT	{ NULL, 0, 0, NULL }

/*
 * Parse len bytes into *doc (release with xml_doc_release()).  On error
 * *doc is left empty; the message says what and at which byte offset.
 */
const struct error	*xml_parse(const char *p, size_t len,
			    struct xml_doc *doc);
void			 xml_doc_release(struct xml_doc *);

/*
 * The next child of parent named name (NULL: any name) after index
 * after (-1 to start); parent -1 looks at the root.  Returns the index or
 * -1.  Loop: for (i = -1; (i = xml_child(d, p, "item", i)) != -1;).
 */
int			 xml_child(const struct xml_doc *, int parent,
			    const char *name, int after);

/*
 * Follow a '/'-separated path of child names from node from (-1: the
 * document, whose first component names the root), taking the first
 * match at each step.  Returns the index or -1.
 */
int			 xml_path(const struct xml_doc *, int from,
			    const char *path);

/*
 * The namespace name the root element is in: the value of the root's
 * xmlns attribute, or of xmlns:p when the root is written p:Name; ""
 * when it has none.  (Declarations on other elements are not read.)
 */
const char		*xml_root_ns(const struct xml_doc *);

/* Text of node i ("" when i is -1). */
const char		*xml_text(const struct xml_doc *, int i);

/* Text at xml_path(from, path), or NULL when there is no such element. */
const char		*xml_path_text(const struct xml_doc *, int from,
			    const char *path);

#endif
