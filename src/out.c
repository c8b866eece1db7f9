/*
 * SPDX-License-Identifier: ISC
 *
 * The table printer (out.h): rows as an aligned table cut to the
 * terminal, CSV or JSON.  A row is one allocation, its cells one after
 * the other, NUL-terminated.  Output goes through fwrite/putc, not printf:
 * 10,000 rows add up.
 */

#include <sys/ioctl.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out.h"
#include "util.h"

struct out {
	enum out_fmt		 fmt;
	const struct out_col	*cols;
	size_t			 ncols;
	unsigned int		 flags;
	unsigned int		 width;		/* 0: no cut */
	FILE			*fp;
	int			 sort_col;	/* -1: none */
	int			 sort_rev;
	size_t			 limit;		/* 0: all */
	size_t			 n;		/* rows given */
	size_t			 printed;	/* rows streamed */
	int			 started;	/* CSV header / JSON '[' out */
	unsigned int		*minw;		/* NULL: none */
	char			**rows;		/* held rows */
	size_t			 nrows, cap;
};

/* see out.h */
unsigned int
out_term_cols(int fd)
{
	struct winsize	 ws;

	if (!isatty(fd))
		return 0;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* see out.h */
struct out *
out_new(enum out_fmt fmt, const struct out_col *cols, size_t ncols,
    unsigned int flags)
{
	struct out	*o = xcalloc(1, sizeof(*o));

	o->fmt = fmt;
	o->cols = cols;
	o->ncols = ncols;
	o->flags = flags;
	o->fp = stdout;
	o->sort_col = -1;
	o->width = fmt == OUT_TABLE ? out_term_cols(STDOUT_FILENO) : 0;
	return o;
}

/* see out.h */
void
out_set_width(struct out *o, unsigned int cols)
{
	o->width = cols;
}

/* see out.h */
void
out_min_width(struct out *o, size_t col, unsigned int w)
{
	if (col >= o->ncols)
		return;
	if (o->minw == NULL)
		o->minw = xcalloc(o->ncols, sizeof(*o->minw));
	o->minw[col] = w;
}

/* see out.h */
void
out_set_file(struct out *o, FILE *fp)
{
	o->fp = fp;
}

/* see out.h */
const struct error *
out_sort(struct out *o, const char *field)
{
	char	 keys[512];
	size_t	 i, k = 0;
	int	 rev = field[0] == '-';

	for (i = 0; i < o->ncols; i++)
		if (strcmp(o->cols[i].key, field + rev) == 0) {
			o->sort_col = (int)i;
			o->sort_rev = rev;
			return NULL;
		}
	keys[0] = '\0';
	for (i = 0; i < o->ncols && k < sizeof(keys); i++)
		k += (size_t)snprintf(keys + k, sizeof(keys) - k, "%s%s",
		    i > 0 ? ", " : "", o->cols[i].key);
	return error_fmt(ERR_USAGE, "--sort '%s' is not a field; use one of "
	    "%s (a leading '-' reverses)", field, keys);
}

/* see out.h */
void
out_limit(struct out *o, size_t n)
{
	o->limit = n;
}

/* see out.h */
size_t
out_count(const struct out *o)
{
	return o->n;
}

/* see out.h */
void
out_secs(long long s, char *dst, size_t size)
{
	if (s < 0)
		(void)str_copy(dst, size, "-");
	else if (s < 120)
		snprintf(dst, size, "%llds", s);
	else if (s < 2 * 3600)
		snprintf(dst, size, "%lldm", s / 60);
	else if (s < 2 * 86400)
		snprintf(dst, size, "%lldh", s / 3600);
	else
		snprintf(dst, size, "%lldd", s / 86400);
}

/* The i-th cell of row r. */
static const char *
cell(const char *r, size_t i)
{
	while (i-- > 0)
		r += strlen(r) + 1;
	return r;
}

/*
 * The text a table or CSV shows for cell s of column c: an OUT_SECS
 * number as an age (into tmp).  An OUT_LIST cell is s itself, its
 * separators printed as ','.
 */
static const char *
shown(const struct out_col *c, const char *s, char *tmp, size_t size)
{
	long long	 v;
	char		*end;

	if (c->type == OUT_SECS && *s != '\0') {
		v = strtoll(s, &end, 10);
		if (*end == '\0') {
			out_secs(v, tmp, size);
			return tmp;
		}
	}
	return s;
}

/* Display columns of s: UTF-8 continuation bytes take none. */
static size_t
cols_of(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void
spaces(FILE *fp, size_t n)
{
	static const char	 sp[] = "                                ";
	size_t			 k;

	for (; n > 0; n -= k) {
		k = n < sizeof(sp) - 1 ? n : sizeof(sp) - 1;
		fwrite(sp, 1, k, fp);
	}
}

/*
 * s in a column of w display columns: control bytes as '?', cut with
 * OUT_CUT when longer, padded unless last.
 */
static void
table_cell(FILE *fp, const char *s, size_t w, int right, int last)
{
	size_t	 n = cols_of(s), k = 0, shown_cols;
	int	 cut = n > w;

	shown_cols = cut ? w : n;
	if (right && !cut)
		spaces(fp, w - n);
	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80) {
			if (cut && k + 1 == w)
				break;
			k++;
		}
		if (*s == OUT_LIST_SEP)
			putc(',', fp);
		else
			putc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s,
			    fp);
	}
	if (cut)
		putc(OUT_CUT, fp);
	if (last)
		putc('\n', fp);
	else
		spaces(fp, (right ? 0 : w - shown_cols) + 2);
}

/* One CSV field; in a list cell the separators become ','. */
static void
csv_field(FILE *fp, const char *s, int list, int last)
{
	int	 quote = strpbrk(s, ",\"\r\n") != NULL ||
		    (list && strchr(s, OUT_LIST_SEP) != NULL);

	if (quote)
		putc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			putc('"', fp);
		putc(list && *s == OUT_LIST_SEP ? ',' : *s, fp);
	}
	if (quote)
		putc('"', fp);
	putc(last ? '\n' : ',', fp);
}

/* s as a JSON string, up to (not including) the byte stop. */
static void
json_str(FILE *fp, const char *s, char stop)
{
	putc('"', fp);
	for (; *s != '\0' && *s != stop; s++) {
		if (*s == '"' || *s == '\\') {
			putc('\\', fp);
			putc(*s, fp);
		} else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fprintf(fp, "\\u%04x", (unsigned char)*s);
		else
			putc(*s, fp);
	}
	putc('"', fp);
}

/* A JSON number as written, or null: digits, sign, '.', exponent only. */
static void
json_num(FILE *fp, const char *s)
{
	char	*end;

	(void)strtod(s, &end);
	if (*s == '\0' || *end != '\0' || strspn(s, "0123456789+-.eE") !=
	    strlen(s))
		fputs("null", fp);
	else
		fputs(s, fp);
}

static void
json_row(struct out *o, const char *r)
{
	const char	*s, *p;
	size_t		 i;

	putc('{', o->fp);
	for (i = 0; i < o->ncols; i++, r += strlen(r) + 1) {
		s = r;
		if (i > 0)
			putc(',', o->fp);
		json_str(o->fp, o->cols[i].key, '\0');
		putc(':', o->fp);
		switch (o->cols[i].type) {
		case OUT_NUM:
		case OUT_SECS:
			json_num(o->fp, s);
			break;
		case OUT_BOOL:
			fputs(strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 ?
			    "true" : "false", o->fp);
			break;
		case OUT_LIST:
			putc('[', o->fp);
			for (p = s; *s != '\0'; p = ++s) {
				s = strchr(p, OUT_LIST_SEP);
				if (p != r)
					putc(',', o->fp);
				json_str(o->fp, p, OUT_LIST_SEP);
				if (s == NULL)
					break;
			}
			putc(']', o->fp);
			break;
		case OUT_STR:
			json_str(o->fp, s, '\0');
			break;
		}
	}
	putc('}', o->fp);
}

static void
start(struct out *o)
{
	size_t	 i;

	if (o->started)
		return;
	o->started = 1;
	if (o->fmt == OUT_CSV && !(o->flags & OUT_NO_HEADERS))
		for (i = 0; i < o->ncols; i++)
			csv_field(o->fp, o->cols[i].key, 0, i + 1 == o->ncols);
}

/* Stream one row (JSON, CSV). */
static void
emit(struct out *o, const char *r)
{
	size_t		 i;

	start(o);
	if (o->fmt == OUT_JSON) {
		if (!(o->flags & OUT_LINES))
			fputs(o->printed == 0 ? "[\n" : ",\n", o->fp);
		json_row(o, r);
		if (o->flags & OUT_LINES)
			putc('\n', o->fp);
	} else
		for (i = 0; i < o->ncols; i++, r += strlen(r) + 1)
			csv_field(o->fp, r, o->cols[i].type == OUT_LIST,
			    i + 1 == o->ncols);
	o->printed++;
}

/* see out.h */
void
out_row(struct out *o, const char *const *cells)
{
	size_t	 i, len = 0;
	char	*r, *p;

	o->n++;
	for (i = 0; i < o->ncols; i++)
		len += strlen(cells[i] != NULL ? cells[i] : "") + 1;
	r = xmalloc(len);
	for (i = 0, p = r; i < o->ncols; i++) {
		len = strlen(cells[i] != NULL ? cells[i] : "") + 1;
		memcpy(p, cells[i] != NULL ? cells[i] : "", len);
		p += len;
	}
	if (o->fmt != OUT_TABLE && o->sort_col == -1) {
		if (o->limit == 0 || o->printed < o->limit)
			emit(o, r);
		free(r);
		return;
	}
	if (o->nrows == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->rows = xrealloc(o->rows, o->cap * sizeof(*o->rows));
	}
	o->rows[o->nrows++] = r;
}

/* Rows a and b compared on the sort column. */
static int
cmp_rows(const struct out *o, const char *a, const char *b)
{
	const char	*x = cell(a, (size_t)o->sort_col);
	const char	*y = cell(b, (size_t)o->sort_col);
	enum out_type	 t = o->cols[o->sort_col].type;
	char		*ex, *ey;
	double		 dx, dy;
	int		 c, nx, ny;

	if (t == OUT_NUM || t == OUT_SECS) {
		dx = strtod(x, &ex);
		dy = strtod(y, &ey);
		nx = *x != '\0' && *ex == '\0';
		ny = *y != '\0' && *ey == '\0';
		/* Not a number ("-", ""): after every number, either way. */
		if (!nx || !ny)
			return ny - nx;
		c = (dx > dy) - (dx < dy);
	} else
		c = strcmp(x, y);
	return o->sort_rev ? -c : c;
}

/* A stable sort (equal rows keep their order): merge sort, bottom up. */
static void
sort_rows(struct out *o)
{
	char	**tmp, **a = o->rows;
	size_t	   w, i, l, le, m, r, k, n = o->nrows;

	if (o->sort_col == -1 || n < 2)
		return;
	tmp = xcalloc(n, sizeof(*tmp));
	for (w = 1; w < n; w *= 2) {
		for (i = 0; i < n; i += 2 * w) {
			l = i;
			le = m = i + w < n ? i + w : n;
			r = i + 2 * w < n ? i + 2 * w : n;
			k = i;
			while (l < le && m < r)
				tmp[k++] = cmp_rows(o, a[m], a[l]) < 0 ?
				    a[m++] : a[l++];
			while (l < le)
				tmp[k++] = a[l++];
			while (m < r)
				tmp[k++] = a[m++];
		}
		memcpy(a, tmp, n * sizeof(*a));
	}
	free(tmp);
}

/*
 * Fit the widths w[] into o->width: the widest text column gives way,
 * one column at a time, so the columns end up as even as they can be.
 */
static void
fit(const struct out *o, size_t *w)
{
	size_t	 i, wide, total = 0, floor;

	if (o->width == 0)
		return;
	for (i = 0; i < o->ncols; i++)
		total += w[i] + (i > 0 ? 2 : 0);
	while (total > o->width) {
		/* Text columns only: a number, a yes/no or an age stays whole. */
		for (i = 0, wide = o->ncols; i < o->ncols; i++)
			if ((o->cols[i].type == OUT_STR ||
			    o->cols[i].type == OUT_LIST) && !(o->cols[i].how & OUT_WHOLE) &&
			    (wide == o->ncols || w[i] > w[wide]))
				wide = i;
		if (wide == o->ncols)
			break;
		floor = strlen(o->cols[wide].head);
		if (floor < OUT_MIN_COL)
			floor = OUT_MIN_COL;
		if (w[wide] <= floor)
			break;	/* as narrow as it goes: the line wraps */
		w[wide]--;
		total--;
	}
}

static void
table(struct out *o)
{
	char		 tmp[32];
	size_t		*w = xcalloc(o->ncols, sizeof(*w));
	size_t		 i, j, k, n = o->nrows;
	const char	*r;
	int		 head = !(o->flags & OUT_NO_HEADERS);

	if (o->limit > 0 && n > o->limit)
		n = o->limit;
	for (i = 0; head && i < o->ncols; i++)
		w[i] = cols_of(o->cols[i].head);
	for (i = 0; o->minw != NULL && i < o->ncols; i++)
		if (o->minw[i] > w[i])
			w[i] = o->minw[i];
	for (j = 0; j < n; j++)
		for (i = 0, r = o->rows[j]; i < o->ncols; i++, r += strlen(r) + 1)
			if ((k = cols_of(shown(&o->cols[i], r, tmp,
			    sizeof(tmp)))) > w[i])
				w[i] = k;
	fit(o, w);
	for (i = 0; head && i < o->ncols; i++)
		table_cell(o->fp, o->cols[i].head, w[i], o->cols[i].how & OUT_RIGHT,
		    i + 1 == o->ncols);
	for (j = 0; j < n; j++)
		for (i = 0, r = o->rows[j]; i < o->ncols; i++, r += strlen(r) + 1)
			table_cell(o->fp, shown(&o->cols[i], r, tmp,
			    sizeof(tmp)), w[i], o->cols[i].how & OUT_RIGHT,
			    i + 1 == o->ncols);
	free(w);
}

/* see out.h */
const struct error *
out_end(struct out *o)
{
	size_t	 j;

	sort_rows(o);
	if (o->fmt == OUT_TABLE)
		table(o);
	else
		for (j = 0; j < o->nrows && (o->limit == 0 ||
		    o->printed < o->limit); j++)
			emit(o, o->rows[j]);
	start(o);
	if (o->fmt == OUT_JSON && !(o->flags & OUT_LINES))
		fputs(o->printed > 0 ? "\n]\n" : "[]\n", o->fp);
	if (ferror(o->fp))
		return error_errno("cannot write", "the output");
	return NULL;
}

/* see out.h */
void
out_free(struct out *o)
{
	size_t	 j;

	if (o == NULL)
		return;
	for (j = 0; j < o->nrows; j++)
		free(o->rows[j]);
	free(o->rows);
	free(o->minw);
	free(o);
}
