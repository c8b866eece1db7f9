/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "t.h"

static const struct out_col cols[] = {
	{ "ID", "id", OUT_NUM, 1 },
	{ "NAME", "name", OUT_STR, 0 },
	{ "BUSY", "busy", OUT_BOOL, 0 },
	{ "LABELS", "labels", OUT_LIST, 0 },
	{ "AGE", "age", OUT_SECS, 1 },
};
#define NCOLS	(sizeof(cols) / sizeof(cols[0]))

/* A table, CSV or JSON of the rows (5 cells each, NULL-ended) as text. */
static char *
render(enum out_fmt fmt, unsigned int flags, unsigned int width,
    const char *sort, size_t limit, const char *const *rows)
{
	struct out	*o = out_new(fmt, cols, NCOLS, flags);
	char		*text = NULL;
	size_t		 len = 0;
	FILE		*fp = open_memstream(&text, &len);

	out_set_file(o, fp);
	out_set_width(o, width);
	if (sort != NULL)
		T_OK(out_sort(o, sort));
	out_limit(o, limit);
	for (; rows[0] != NULL; rows += NCOLS)
		out_row(o, rows);
	T_OK(out_end(o));
	out_free(o);
	fclose(fp);
	return text;
}

static const char *const rows3[] = {
	"12", "runner-b", "yes", "self-hosted\x1flinux", "30",
	"3", "runner-a", "no", "gpu", "7200",
	"100", "runner-c\tx", "no", "", "-",
	NULL
};

T_REGISTER("out_table", t_out_table)
static void
t_out_table(void)
{
	char	*s;

	s = render(OUT_TABLE, 0, 0, NULL, 0, rows3);
	T_EQ_STR(s,
	    " ID  NAME        BUSY  LABELS             AGE\n"
	    " 12  runner-b    yes   self-hosted,linux  30s\n"
	    "  3  runner-a    no    gpu                 2h\n"
	    "100  runner-c?x  no                         -\n");
	free(s);
	s = render(OUT_TABLE, OUT_NO_HEADERS, 0, "name", 0, rows3);
	T_EQ_STR(s,
	    "  3  runner-a    no   gpu                 2h\n"
	    " 12  runner-b    yes  self-hosted,linux  30s\n"
	    "100  runner-c?x  no                        -\n");
	free(s);
}

T_REGISTER("out_sort_limit", t_out_sort_limit)
static void
t_out_sort_limit(void)
{
	struct out	*o;
	char		*s;

	/* Numbers sort as numbers; '-' after them; '-' reverses. */
	s = render(OUT_CSV, OUT_NO_HEADERS, 0, "id", 0, rows3);
	T_EQ_STR(s, "3,runner-a,no,gpu,7200\n"
	    "12,runner-b,yes,\"self-hosted,linux\",30\n"
	    "100,runner-c\tx,no,,-\n");
	free(s);
	s = render(OUT_CSV, OUT_NO_HEADERS, 0, "-age", 2, rows3);
	T_EQ_STR(s, "3,runner-a,no,gpu,7200\n"
	    "12,runner-b,yes,\"self-hosted,linux\",30\n");
	free(s);
	/* Limit without sort: streamed, stops at 1; the count sees all. */
	s = render(OUT_CSV, 0, 0, NULL, 1, rows3);
	T_EQ_STR(s, "id,name,busy,labels,age\n"
	    "12,runner-b,yes,\"self-hosted,linux\",30\n");
	free(s);
	o = out_new(OUT_TABLE, cols, NCOLS, 0);
	T_ERR(out_sort(o, "nosuch"), ERR_USAGE);
	T_OK(out_sort(o, "-busy"));
	out_free(o);
}

/* Stable: rows equal on the sort field keep their order. */
T_REGISTER("out_sort_stable", t_out_sort_stable)
static void
t_out_sort_stable(void)
{
	static const char *const rows[] = {
		"1", "b", "no", "", "0",	"2", "a", "no", "", "0",
		"3", "b", "no", "", "0",	"4", "a", "no", "", "0",
		"5", "b", "no", "", "0",	"6", "a", "no", "", "0",
		"7", "c", "no", "", "0",
		NULL
	};
	char	*s = render(OUT_CSV, OUT_NO_HEADERS, 0, "name", 0, rows);

	T_EQ_STR(s, "2,a,no,,0\n4,a,no,,0\n6,a,no,,0\n1,b,no,,0\n"
	    "3,b,no,,0\n5,b,no,,0\n7,c,no,,0\n");
	free(s);
}

T_REGISTER("out_json", t_out_json)
static void
t_out_json(void)
{
	static const char *const none[] = { NULL };
	static const char *const odd[] = {
		"1e400x", "q\"\\\n\x01", "true", "a\x1f\x1f" "b", "12", NULL
	};
	char	*s;

	s = render(OUT_JSON, 0, 0, NULL, 0, rows3);
	T_EQ_STR(s, "[\n"
	    "{\"id\":12,\"name\":\"runner-b\",\"busy\":true,\"labels\":"
	    "[\"self-hosted\",\"linux\"],\"age\":30},\n"
	    "{\"id\":3,\"name\":\"runner-a\",\"busy\":false,\"labels\":"
	    "[\"gpu\"],\"age\":7200},\n"
	    "{\"id\":100,\"name\":\"runner-c\\u0009x\",\"busy\":false,"
	    "\"labels\":[],\"age\":null}\n]\n");
	free(s);
	s = render(OUT_JSON, 0, 0, NULL, 0, none);
	T_EQ_STR(s, "[]\n");
	free(s);
	s = render(OUT_JSON, OUT_LINES, 0, NULL, 0, none);
	T_EQ_STR(s, "");
	free(s);
	s = render(OUT_JSON, OUT_LINES, 0, NULL, 0, odd);
	T_EQ_STR(s, "{\"id\":null,\"name\":\"q\\\"\\\\\\u000a\\u0001\","
	    "\"busy\":true,\"labels\":[\"a\",\"\",\"b\"],\"age\":12}\n");
	free(s);
	s = render(OUT_CSV, 0, 0, NULL, 0, none);
	T_EQ_STR(s, "id,name,busy,labels,age\n");
	free(s);
}

/* One 54-character name among many rows: cut, not widening every row. */
T_REGISTER("out_cut", t_out_cut)
static void
t_out_cut(void)
{
	static const char *rows[5 * 4 + 1];
	const char	*long_name = "runner-with-a-very-long-name-that-goes-"
	    "on-and-on-00054";
	char		*s, *line, *save;
	size_t		 i, n = 0, widest = 0;

	T_EQ_INT(strlen(long_name), 54);
	for (i = 0; i < 4; i++) {
		rows[5 * i] = "1234567";
		rows[5 * i + 1] = i == 2 ? long_name : "runner-00001";
		rows[5 * i + 2] = "no";
		rows[5 * i + 3] = "self-hosted\x1flinux\x1fx64";
		rows[5 * i + 4] = "600";
	}
	rows[20] = NULL;
	s = render(OUT_TABLE, 0, 40, NULL, 0, rows);
	for (line = strtok_r(s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), n++) {
		if (strlen(line) > widest)
			widest = strlen(line);
		if (n == 3)
			T_TRUE(strstr(line, "1234567  runner-") != NULL &&
			    strchr(line, OUT_CUT) != NULL);
	}
	T_EQ_INT(n, 5);
	T_EQ_INT(widest, 40);
	free(s);
	/* Too narrow: text stops at its floor, numbers are never cut. */
	s = render(OUT_TABLE, 0, 10, NULL, 0, rows);
	T_TRUE(strstr(s, "1234567  runne>  no    self->  10m\n") != NULL);
	free(s);
	/* UTF-8: a character is one column, and is never split. */
	rows[5 * 2 + 1] = "r\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
	s = render(OUT_TABLE, OUT_NO_HEADERS, 40, NULL, 0, rows);
	T_TRUE(strstr(s, "\xc3\xa9>") != NULL);
	T_TRUE(strstr(s, "\xc3>") == NULL);
	free(s);
}

/* A column marked whole (an id) keeps its width; the others give way. */
T_REGISTER("out_whole", t_out_whole)
static void
t_out_whole(void)
{
	static const struct out_col two[] = {
		{ "ID", "id", OUT_STR, OUT_WHOLE },
		{ "WHY", "why", OUT_STR, 0 },
	};
	static const char *const row[] = {
		"i-0123456789abcdef0", "older than the max lifetime 1h0m"
	};
	struct out	*o = out_new(OUT_TABLE, two, 2, OUT_NO_HEADERS);
	char		*s = NULL;
	size_t		 len = 0;
	FILE		*fp = open_memstream(&s, &len);

	out_set_file(o, fp);
	out_set_width(o, 30);
	out_row(o, row);
	T_OK(out_end(o));
	out_free(o);
	fclose(fp);
	T_EQ_STR(s, "i-0123456789abcdef0  older th>\n");
	free(s);
}

/* A list longer than any buffer: every separator still becomes ','. */
T_REGISTER("out_long_list", t_out_long_list)
static void
t_out_long_list(void)
{
	char		*labels = malloc(20001), *s;
	const char	*rows[6] = { "1", "r", "no", labels, "0", NULL };
	size_t		 i;

	for (i = 0; i < 20000; i++)
		labels[i] = i % 10 == 9 ? OUT_LIST_SEP : 'a';
	labels[20000] = '\0';
	s = render(OUT_CSV, OUT_NO_HEADERS, 0, NULL, 0, rows);
	T_TRUE(strchr(s, OUT_LIST_SEP) == NULL);
	T_TRUE(strncmp(s, "1,r,no,\"aaaaaaaaa,aaaaaaaaa,", 27) == 0);
	free(s);
	s = render(OUT_TABLE, OUT_NO_HEADERS, 0, NULL, 0, rows);
	T_TRUE(strchr(s, OUT_LIST_SEP) == NULL && strchr(s, '?') == NULL);
	T_EQ_INT(strlen(s), 20000 + 15);	/* "1  r  no  " ... "  0s\n" */
	free(s);
	free(labels);
}

T_REGISTER("out_secs", t_out_secs)
static void
t_out_secs(void)
{
	char	 b[16];

	out_secs(0, b, sizeof(b));
	T_EQ_STR(b, "0s");
	out_secs(119, b, sizeof(b));
	T_EQ_STR(b, "119s");
	out_secs(120, b, sizeof(b));
	T_EQ_STR(b, "2m");
	out_secs(7199, b, sizeof(b));
	T_EQ_STR(b, "119m");
	out_secs(7200, b, sizeof(b));
	T_EQ_STR(b, "2h");
	out_secs(3 * 86400, b, sizeof(b));
	T_EQ_STR(b, "3d");
	out_secs(-1, b, sizeof(b));
	T_EQ_STR(b, "-");
}
