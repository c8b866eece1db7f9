/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_OUT_H
#define GHRCTL_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "cmd.h"
#include "error.h"

/*
 * The one table printer of every command that prints rows: the same rows
 * as an aligned table, CSV (RFC 4180: a field quoted when it holds a comma,
 * quote, CR or LF; header of the columns' keys) or JSON (an array of
 * objects, or one object a line with OUT_LINES; members named by the
 * columns' keys).  A new format touches this file only.
 *
 * The table measures its columns (display columns: UTF-8 sequences count
 * one), pads them with two spaces between, and shows control bytes as
 * '?'.  On a terminal it fits the terminal's width: while the rows are
 * wider, the widest column loses a column (never below its header or
 * OUT_MIN_COL; a column marked OUT_WHOLE, as an instance id, keeps its
 * width), and a cell longer than its column ends in the cut
 * character OUT_CUT, so one long name never widens every row.  Off a
 * terminal (a pipe, a file) nothing is cut.
 *
 * Rows are kept in memory for the table and for --sort; JSON and CSV
 * without a sort stream each row as it comes.  Use: out_new(), optionally
 * out_sort() and out_limit(), out_row() per row, out_end(), out_free().
 */

#define OUT_CUT		'>'
#define OUT_MIN_COL	6
#define OUT_LIST_SEP	'\x1f'	/* between the items of an OUT_LIST cell */

enum out_type {
	OUT_STR = 0,	/* JSON string */
	OUT_NUM,	/* decimal text; a JSON number ("" or "-": null) */
	OUT_BOOL,	/* "yes"/"no"; JSON true/false */
	OUT_LIST,	/* items split by OUT_LIST_SEP: "a,b"; a JSON array */
	OUT_SECS	/* seconds: "42s" "5m" "3h" "2d" in the table only */
};

struct out_col {
	const char	*head;	/* table header, "NAME" */
	const char	*key;	/* JSON member, CSV header, sort field */
	enum out_type	 type;
	unsigned int	 how;	/* OUT_RIGHT, OUT_WHOLE */
};

#define OUT_RIGHT	0x1u	/* right-aligned in the table */
#define OUT_WHOLE	0x2u	/* never cut to fit (an id, a name) */

#define OUT_NO_HEADERS	0x1u	/* no table or CSV header */
#define OUT_LINES	0x2u	/* JSON: one object a line, no array */

struct out;

/* Rows of ncols columns (cols borrowed) to stdout in fmt. */
struct out		*out_new(enum out_fmt fmt, const struct out_col *cols,
			    size_t ncols, unsigned int flags);
/*
 * Table width in columns: 0 never cuts.  out_new() takes the width of the
 * terminal on stdout (TIOCGWINSZ, 80 when it says nothing), 0 off one.
 */
void			 out_set_width(struct out *, unsigned int cols);
/*
 * Column col is at least w display columns wide in the table (a table
 * printed in parts, as rounds of metric --follow, stays aligned).
 */
void			 out_min_width(struct out *, size_t col, unsigned int w);
/* Print to fp instead of stdout (tests). */
void			 out_set_file(struct out *, FILE *fp);
/*
 * Sort by the column whose key is field (numerically for OUT_NUM and
 * OUT_SECS; a leading '-' sorts in reverse), stable.  ERR_USAGE naming
 * the fields when there is no such column.  Before the first row.
 */
const struct error	*out_sort(struct out *, const char *field);
/* Print at most n rows (0: all).  Before the first row. */
void			 out_limit(struct out *, size_t n);
/* One row: ncols cells (copied; NULL is ""). */
void			 out_row(struct out *, const char *const *cells);
/* Rows given to out_row() so far. */
size_t			 out_count(const struct out *);
/* Print what is held (the table, sorted rows) and the end of the JSON. */
const struct error	*out_end(struct out *);
void			 out_free(struct out *);

/* "5m" for 300: the largest whole unit of s seconds (s, m, h, d). */
void			 out_secs(long long s, char *dst, size_t size);

/* The terminal's width on fd, 0 when fd is not a terminal. */
unsigned int		 out_term_cols(int fd);

#endif
