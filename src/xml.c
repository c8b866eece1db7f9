/*
 * SPDX-License-Identifier: ISC
 *
 * A small, strict XML reader for AWS query-API replies (EC2's
 * <DescribeInstancesResponse>, CloudWatch's <ErrorResponse>, EC2's
 * <Response><Errors>): elements, attributes (skipped), character data,
 * CDATA, comments and processing instructions.  No DTD is ever read and
 * only the five predefined entities and numeric references are decoded,
 * so there is no entity expansion to abuse.  Pure; every limit is named in
 * xml.h and a violation is ERR_PROTO with the byte offset.
 * Reply shapes: Amazon EC2 API Reference "Query API responses" and
 * "Error codes for the Amazon EC2 API", CloudWatch API Reference "Query
 * API" (<ErrorResponse>).
 */

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"
#include "xml.h"

struct xml_parser {
	const char	*p;
	size_t		 len;
	size_t		 i;
	struct xml_doc	*doc;
	int		 stack[XML_MAX_DEPTH];	/* open element indices */
	struct buf	 text[XML_MAX_DEPTH];	/* their character data */
	char		*qname[XML_MAX_DEPTH];	/* their names as written */
	int		 depth;
	int		 seen_root;
};

static const struct error *
perr(const struct xml_parser *x, const char *what)
{
	return error_fmt(ERR_PROTO, "invalid XML at byte %zu: %s", x->i, what);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == ':' || c == '-' ||
	    c == '.' || c >= 0x80;
}

static int
starts(const struct xml_parser *x, const char *s)
{
	size_t	 n = strlen(s);

	return x->len - x->i >= n && memcmp(x->p + x->i, s, n) == 0;
}

/* Skip past the terminator end; ERR_PROTO when it never comes. */
static const struct error *
skip_to(struct xml_parser *x, const char *end, const char *what)
{
	size_t	 n = strlen(end);

	for (; x->i + n <= x->len; x->i++)
		if (memcmp(x->p + x->i, end, n) == 0) {
			x->i += n;
			return NULL;
		}
	x->i = x->len;
	return perr(x, what);
}

static const struct error *
name(struct xml_parser *x, char *out)
{
	size_t	 n = 0;
	unsigned char c;

	while (x->i < x->len && is_name_char((unsigned char)x->p[x->i])) {
		if (n + 1 >= XML_MAX_NAME)
			return perr(x, "name too long");
		out[n++] = x->p[x->i++];
	}
	out[n] = '\0';
	c = (unsigned char)out[0];
	if (n == 0 || (c >= '0' && c <= '9') || c == '-' || c == '.')
		return perr(x, "bad name");
	return NULL;
}

static const struct error *
utf8(struct buf *b, unsigned long c)
{
	char	 s[4];
	size_t	 n;

	if (c < 0x80) {
		s[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		s[0] = (char)(0xc0 | (c >> 6));
		s[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		s[0] = (char)(0xe0 | (c >> 12));
		s[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		s[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		s[0] = (char)(0xf0 | (c >> 18));
		s[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		s[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	return buf_add(b, s, n);
}

/* Decode one "&...;" at x->i into b (NULL: validate only). */
static const struct error *
entity(struct xml_parser *x, struct buf *b)
{
	static const struct { const char *name; char c; } pre[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		{ "&quot;", '"' }, { "&apos;", '\'' }
	};
	unsigned long	 c = 0;
	size_t		 k, digits = 0;
	int		 base = 10, d;
	char		 ch;

	for (k = 0; k < sizeof(pre) / sizeof(pre[0]); k++)
		if (starts(x, pre[k].name)) {
			x->i += strlen(pre[k].name);
			return b != NULL ? buf_addc(b, pre[k].c) : NULL;
		}
	if (!starts(x, "&#"))
		return perr(x, "unknown entity");
	x->i += 2;
	if (x->i < x->len && x->p[x->i] == 'x') {
		base = 16;
		x->i++;
	}
	for (; x->i < x->len && x->p[x->i] != ';'; x->i++) {
		ch = x->p[x->i];
		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return perr(x, "bad character reference");
		c = c * (unsigned long)base + (unsigned long)d;
		if (c > 0x10ffff || ++digits > 8)
			return perr(x, "character reference out of range");
	}
	if (x->i >= x->len || digits == 0 || c == 0 ||
	    (c >= 0xd800 && c <= 0xdfff))
		return perr(x, "bad character reference");
	x->i++;
	return b != NULL ? utf8(b, c) : NULL;
}

/* Character data up to the next '<'. */
static const struct error *
chardata(struct xml_parser *x)
{
	struct buf		*b = x->depth > 0 ? &x->text[x->depth - 1] : NULL;
	const struct error	*e;
	size_t			 start;

	while (x->i < x->len && x->p[x->i] != '<') {
		if (x->p[x->i] == '&') {
			if (b == NULL)
				return perr(x, "text outside the root");
			if ((e = entity(x, b)) != NULL)
				return e;
			continue;
		}
		start = x->i;
		while (x->i < x->len && x->p[x->i] != '<' &&
		    x->p[x->i] != '&') {
			if (b == NULL && !is_space(x->p[x->i]))
				return perr(x, "text outside the root");
			x->i++;
		}
		if (b != NULL && (e = buf_add(b, x->p + start, x->i - start))
		    != NULL)
			return e;
	}
	return NULL;
}

static const char *
local(const char *qn)
{
	const char	*c = strrchr(qn, ':');

	return c != NULL ? c + 1 : qn;
}

static const struct error *
open_elem(struct xml_parser *x, const char *qn)
{
	struct xml_doc	*d = x->doc;
	struct xml_node	*nd;

	if (x->depth == 0 && x->seen_root)
		return perr(x, "more than one root element");
	if (x->depth >= XML_MAX_DEPTH)
		return perr(x, "nested too deeply");
	if (d->n >= XML_MAX_NODES)
		return perr(x, "too many elements");
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 32;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	nd = &d->v[d->n];
	nd->name = xstrdup(local(qn));
	nd->text = NULL;
	nd->parent = x->depth > 0 ? x->stack[x->depth - 1] : -1;
	x->stack[x->depth] = (int)d->n++;
	buf_init(&x->text[x->depth], x->len + 1);
	x->qname[x->depth] = xstrdup(qn);
	x->depth++;
	x->seen_root = 1;
	return NULL;
}

static void
close_elem(struct xml_parser *x)
{
	struct buf	*b;

	x->depth--;
	b = &x->text[x->depth];
	x->doc->v[x->stack[x->depth]].text = b->p != NULL ?
	    buf_detach(b, NULL) : xstrdup("");
	free(x->qname[x->depth]);
	x->qname[x->depth] = NULL;
}

/*
 * 1 when attribute an declares the namespace of the root element (qname
 * qn): xmlns for an unprefixed root, xmlns:p for a root written p:Name.
 */
static int
root_ns_attr(const char *qn, const char *an)
{
	const char	*c = strrchr(qn, ':');

	if (c == NULL)
		return strcmp(an, "xmlns") == 0;
	return strncmp(an, "xmlns:", 6) == 0 && strlen(an + 6) ==
	    (size_t)(c - qn) && strncmp(an + 6, qn, (size_t)(c - qn)) == 0;
}

/*
 * Attributes up to '>' or '/>'; values are checked but not kept, except
 * the root element's namespace declaration (doc->ns, as written).
 */
static const struct error *
attributes(struct xml_parser *x, int *empty)
{
	const struct error	*e;
	char			 an[XML_MAX_NAME], q;
	size_t			 start;
	int			 ns;

	for (;;) {
		while (x->i < x->len && is_space(x->p[x->i]))
			x->i++;
		if (starts(x, "/>")) {
			x->i += 2;
			*empty = 1;
			return NULL;
		}
		if (starts(x, ">")) {
			x->i++;
			*empty = 0;
			return NULL;
		}
		if ((e = name(x, an)) != NULL)
			return e;
		while (x->i < x->len && is_space(x->p[x->i]))
			x->i++;
		if (!starts(x, "="))
			return perr(x, "attribute without '='");
		x->i++;
		while (x->i < x->len && is_space(x->p[x->i]))
			x->i++;
		if (x->i >= x->len || (x->p[x->i] != '"' &&
		    x->p[x->i] != '\''))
			return perr(x, "unquoted attribute");
		q = x->p[x->i++];
		start = x->i;
		ns = x->depth == 1 && x->doc->n == 1 &&
		    root_ns_attr(x->qname[0], an);
		while (x->i < x->len && x->p[x->i] != q) {
			if (x->p[x->i] == '<')
				return perr(x, "'<' in attribute");
			if (x->p[x->i] == '&') {
				if ((e = entity(x, NULL)) != NULL)
					return e;
				continue;
			}
			x->i++;
		}
		if (x->i >= x->len)
			return perr(x, "unterminated attribute");
		if (ns) {
			free(x->doc->ns);
			x->doc->ns = xstrndup(x->p + start, x->i - start);
		}
		x->i++;
	}
}

static const struct error *
markup(struct xml_parser *x)
{
	const struct error	*e;
	char			 qn[XML_MAX_NAME];
	int			 empty = 0;

	if (starts(x, "<?"))
		return skip_to(x, "?>", "unterminated processing instruction");
	if (starts(x, "<!--"))
		return skip_to(x, "-->", "unterminated comment");
	if (starts(x, "<![CDATA[")) {
		size_t	 start = x->i + 9;

		if (x->depth == 0)
			return perr(x, "CDATA outside the root");
		x->i = start;
		if ((e = skip_to(x, "]]>", "unterminated CDATA")) != NULL)
			return e;
		return buf_add(&x->text[x->depth - 1], x->p + start,
		    x->i - 3 - start);
	}
	if (starts(x, "<!"))
		return perr(x, "DOCTYPE and declarations are not accepted");
	if (starts(x, "</")) {
		x->i += 2;
		if ((e = name(x, qn)) != NULL)
			return e;
		while (x->i < x->len && is_space(x->p[x->i]))
			x->i++;
		if (!starts(x, ">"))
			return perr(x, "bad end tag");
		x->i++;
		if (x->depth == 0 || strcmp(x->qname[x->depth - 1], qn) != 0)
			return perr(x, "mismatched end tag");
		close_elem(x);
		return NULL;
	}
	x->i++;
	if ((e = name(x, qn)) != NULL)
		return e;
	if ((e = open_elem(x, qn)) != NULL)
		return e;
	if ((e = attributes(x, &empty)) != NULL)
		return e;
	if (empty)
		close_elem(x);
	return NULL;
}

/* see xml.h */
const struct error *
xml_parse(const char *p, size_t len, struct xml_doc *doc)
{
	struct xml_parser	 x;
	const struct error	*e = NULL;

	memset(&x, 0, sizeof(x));
	x.p = p;
	x.len = len;
	x.doc = doc;
	doc->v = NULL;
	doc->n = doc->cap = 0;
	doc->ns = NULL;
	if (memchr(p, '\0', len) != NULL)
		return error_fmt(ERR_PROTO, "invalid XML: NUL byte");
	/* A UTF-8 byte order mark is allowed before the declaration. */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		x.i = 3;
	while (x.i < x.len) {
		if (x.p[x.i] == '<')
			e = markup(&x);
		else
			e = chardata(&x);
		if (e != NULL)
			break;
	}
	if (e == NULL && x.depth > 0)
		e = perr(&x, "unclosed element");
	if (e == NULL && !x.seen_root)
		e = perr(&x, "no root element");
	while (x.depth > 0) {
		close_elem(&x);
		buf_release(&x.text[x.depth]);
	}
	if (e != NULL)
		xml_doc_release(doc);
	return e;
}

/* see xml.h */
void
xml_doc_release(struct xml_doc *d)
{
	size_t	 i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].name);
		free(d->v[i].text);
	}
	free(d->v);
	free(d->ns);
	d->v = NULL;
	d->n = d->cap = 0;
	d->ns = NULL;
}

/* see xml.h */
const char *
xml_root_ns(const struct xml_doc *d)
{
	return d->ns != NULL ? d->ns : "";
}

/* see xml.h */
int
xml_child(const struct xml_doc *d, int parent, const char *nm, int after)
{
	size_t	 i;

	/* Children come after their parent in document order. */
	if (after < parent)
		after = parent;
	for (i = (size_t)(after + 1); i < d->n; i++)
		if (d->v[i].parent == parent &&
		    (nm == NULL || strcmp(d->v[i].name, nm) == 0))
			return (int)i;
	return -1;
}

/* see xml.h */
int
xml_path(const struct xml_doc *d, int from, const char *path)
{
	char		 comp[XML_MAX_NAME];
	const char	*s, *slash;
	size_t		 n;

	for (s = path; *s != '\0'; s = *slash != '\0' ? slash + 1 : slash) {
		if ((slash = strchr(s, '/')) == NULL)
			slash = s + strlen(s);
		n = (size_t)(slash - s);
		if (n == 0 || n >= sizeof(comp))
			return -1;
		memcpy(comp, s, n);
		comp[n] = '\0';
		if ((from = xml_child(d, from, comp, -1)) == -1)
			return -1;
	}
	return from;
}

/* see xml.h */
const char *
xml_text(const struct xml_doc *d, int i)
{
	if (i < 0 || (size_t)i >= d->n || d->v[i].text == NULL)
		return "";
	return d->v[i].text;
}

/* see xml.h */
const char *
xml_path_text(const struct xml_doc *d, int from, const char *path)
{
	int	 i = xml_path(d, from, path);

	return i == -1 ? NULL : xml_text(d, i);
}
