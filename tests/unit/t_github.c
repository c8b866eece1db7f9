/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of the pure GitHub helpers: config URL parsing and API base
 * (ghurl), the Link header, and the JSON adapters (ghjson) over the
 * samples in tests/vectors/ghjson.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ghjson.h"
#include "ghurl.h"
#include "t.h"
#include "util.h"

T_REGISTER("ghurl", t_ghurl)
T_REGISTER("ghurl_link", t_ghurl_link)
T_REGISTER("ghjson", t_ghjson)

static char *
slurp(const char *name, size_t *len)
{
	return t_vector("ghjson", name, len);
}

static void
t_ghurl(void)
{
	struct gh_target	 t;
	struct buf		 b = BUF_INIT(1024);
	char			 s[300];

	T_OK(ghurl_parse("https://github.com/acme/", &t));
	T_EQ_INT(t.scope, GH_SCOPE_ORG);
	T_EQ_STR(t.owner, "acme");
	T_EQ_STR(t.api_base, "https://api.github.com");
	T_EQ_STR(t.config_url, "https://github.com/acme");
	T_TRUE(t.hosted);
	T_OK(ghurl_parse("https://www.github.com/acme/widgets", &t));
	T_EQ_INT(t.scope, GH_SCOPE_REPO);
	T_EQ_STR(t.repo, "widgets");
	T_EQ_STR(t.api_base, "https://api.github.com");
	T_OK(ghurl_parse("https://github.com/Enterprises/big-co", &t));
	T_EQ_INT(t.scope, GH_SCOPE_ENTERPRISE);
	T_EQ_STR(t.owner, "big-co");
	T_OK(ghurl_parse("https://TelenorSwedenAB.ghe.com/TelenorSweden", &t));
	T_EQ_STR(t.api_base, "https://api.telenorswedenab.ghe.com");
	T_TRUE(t.hosted);
	T_OK(ghurl_parse("https://ghes.example.com/o/r", &t));
	T_EQ_STR(t.api_base, "https://ghes.example.com/api/v3");
	T_TRUE(!t.hosted);
	T_OK(ghurl_parse("https://localhost:8443/acme", &t));
	T_EQ_STR(t.api_base, "https://localhost:8443/api/v3");
	T_EQ_STR(t.host, "localhost:8443");
	/* An explicit port makes even github.com GHES-style, as upstream. */
	T_OK(ghurl_parse("https://github.com:443/acme", &t));
	T_TRUE(t.hosted);
	T_OK(ghurl_parse("https://github.com:8443/acme", &t));
	T_EQ_STR(t.api_base, "https://github.com:8443/api/v3");
	T_OK(ghurl_parse("https://github.com/my%20org", &t));
	T_EQ_STR(t.owner, "my org");
	T_OK(ghurl_scope_path(&t, &b));
	T_EQ_STR(b.p, "/orgs/my%20org");
	buf_reset(&b);
	T_OK(ghurl_parse("https://github.com/o/r", &t));
	T_OK(ghurl_scope_path(&t, &b));
	T_EQ_STR(b.p, "/repos/o/r");
	T_EQ_STR(ghurl_scope_name(&t, s, sizeof(s)), "repository o/r");
	buf_reset(&b);

	T_ERR(ghurl_parse("https://github.com", &t), ERR_CONFIG);
	T_ERR(ghurl_parse("https://github.com/", &t), ERR_CONFIG);
	T_ERR(ghurl_parse("https://github.com/some/random/path", &t),
	    ERR_CONFIG);
	T_ERR(ghurl_parse("", &t), ERR_CONFIG);
	T_ERR(ghurl_parse("ftp://github.com/acme", &t), ERR_CONFIG);
	T_ERR(ghurl_parse("https://u:p@github.com/acme", &t), ERR_CONFIG);
	T_ERR(ghurl_parse("https://github.com/acme?x=1", &t), ERR_CONFIG);

	T_OK(ghurl_from_enterprise("https://x.ghe.com/", "TelenorSweden", &b));
	T_EQ_STR(b.p, "https://x.ghe.com/TelenorSweden");
	buf_reset(&b);
	T_ERR(ghurl_from_enterprise("https://x.ghe.com/sub", "o", &b),
	    ERR_CONFIG);
	T_ERR(ghurl_from_enterprise("https://x.ghe.com", "", &b), ERR_CONFIG);
	buf_release(&b);
}

static void
t_ghurl_link(void)
{
	char	 u[256];

	T_EQ_INT(ghurl_link_next("<https://h/x?page=2>; rel=\"next\", "
	    "<https://h/x?page=9>; rel=\"last\"", u, sizeof(u)), 1);
	T_EQ_STR(u, "https://h/x?page=2");
	T_EQ_INT(ghurl_link_next("<https://h/x?page=1>; rel=\"prev\", "
	    "<https://h/x?page=3>; rel=\"next\"", u, sizeof(u)), 1);
	T_EQ_STR(u, "https://h/x?page=3");
	T_EQ_INT(ghurl_link_next("<https://h/a>; rel=\"first\", "
	    "<https://h/b>; rel=\"prev\"", u, sizeof(u)), 0);
	T_EQ_INT(ghurl_link_next("<https://h/a,b>; title=\"x, y\"; "
	    "rel=\"prev next\"", u, sizeof(u)), 1);
	T_EQ_STR(u, "https://h/a,b");
	T_EQ_INT(ghurl_link_next("<https://h/a>; rel=NEXT", u, sizeof(u)), 1);
	T_EQ_INT(ghurl_link_next("<https://h/nextish>; rel=\"nextish\"", u,
	    sizeof(u)), 0);
	T_EQ_INT(ghurl_link_next("", u, sizeof(u)), 0);
	T_EQ_INT(ghurl_link_next("https://h/a; rel=\"next\"", u, sizeof(u)),
	    -1);
	T_EQ_INT(ghurl_link_next("<https://h/a; rel=\"next\"", u, sizeof(u)),
	    -1);
	T_EQ_INT(ghurl_link_next("<https://h/aaaaaaaa>; rel=\"next\"", u, 8),
	    -1);
}

struct seen {
	int	 n;
	char	 names[8][GH_RUNNER_NAME_MAX];
	int	 busy[8], online[8];
	size_t	 nlabels[8];
	int	 gpu;
};

static const struct error *
collect(void *arg, const struct gh_runner *r)
{
	struct seen		*s = arg;
	static const char *const gpu[] = { "gpu", "SELF-HOSTED" };

	if (s->n < 8) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", r->name);
		s->busy[s->n] = r->busy;
		s->online[s->n] = r->online;
		s->nlabels[s->n] = r->nlabels;
	}
	s->gpu += gh_runner_has_labels(r, gpu, 2);
	s->n++;
	return NULL;
}

/* The last label of a runner, which must end the view's NULL-ended list. */
static const struct error *
last_label(void *arg, const struct gh_runner *r)
{
	struct seen	*s = arg;

	if (r->nlabels == 0 || r->labels[r->nlabels] != NULL)
		return error_fmt(ERR_FAIL, "labels not NULL-ended");
	snprintf(s->names[0], sizeof(s->names[0]), "%s",
	    r->labels[r->nlabels - 1]);
	s->nlabels[0] = r->nlabels;
	return NULL;
}

static const struct error *
stop_at_two(void *arg, const struct gh_runner *r)
{
	(void)r;
	if (++*(int *)arg == 2)
		return error_fmt(ERR_FAIL, "stop");
	return NULL;
}

static void
t_ghjson(void)
{
	struct seen		 s;
	struct gh_runner	 r, r2;
	struct buf		 b = BUF_INIT(4096);
	const struct error	*e;
	const char		*labels[] = { "self-hosted", "gpu" };
	char			*body, *tok, exp[64], msg[256];
	size_t			 len;
	int64_t			 total, t;
	int			 n = 0;

	memset(&s, 0, sizeof(s));
	body = slurp("page1.json", &len);
	T_TRUE(body != NULL);
	T_OK(ghjson_runner_page(body, len, &total, collect, &s));
	T_EQ_INT(total, 3);
	T_EQ_INT(s.n, 3);
	T_EQ_STR(s.names[0], "a");
	T_EQ_INT(s.busy[0], 1);
	T_EQ_INT(s.online[2], 0);
	T_EQ_INT(s.nlabels[0], 2);
	T_EQ_INT(s.gpu, 1);	/* case-insensitive, all labels */
	T_ERR(ghjson_runner_page(body, len, NULL, stop_at_two, &n), ERR_FAIL);
	T_EQ_INT(n, 2);
	free(body);

	/* A page's runners carry views of their labels: 128 at most. */
	{
		struct buf	 pg = BUF_INIT(8192);
		int		 i, k;

		for (k = 128; k <= 129; k++) {
			buf_reset(&pg);
			(void)buf_adds(&pg, "{\"runners\":[{\"id\":1,"
			    "\"name\":\"m\",\"status\":\"online\","
			    "\"busy\":false,\"labels\":[");
			for (i = 0; i < k; i++)
				(void)buf_addf(&pg, "%s{\"name\":\"l%d\"}",
				    i ? "," : "", i);
			(void)buf_adds(&pg, "]}]}");
			memset(&s, 0, sizeof(s));
			if (k == 128) {
				T_OK(ghjson_runner_page(pg.p, pg.len, NULL,
				    last_label, &s));
				T_EQ_INT(s.nlabels[0], 128);
				T_EQ_STR(s.names[0], "l127");
			} else {
				e = ghjson_runner_page(pg.p, pg.len, NULL,
				    last_label, &s);
				T_TRUE(e != NULL && e->class == ERR_PROTO &&
				    strstr(e->msg, "more than 128 labels"));
			}
		}
		buf_release(&pg);
		body = "{\"runners\":[{\"id\":1,\"name\":\"m\",\"status\":"
		    "\"online\",\"busy\":false,\"labels\":[{\"id\":3}]}]}";
		e = ghjson_runner_page(body, strlen(body), NULL, last_label,
		    &s);
		T_TRUE(e != NULL && e->class == ERR_PROTO &&
		    strstr(e->msg, "label: field 'name' is missing"));
	}

	body = slurp("bom-empty.json", &len);
	memset(&s, 0, sizeof(s));
	T_OK(ghjson_runner_page(body, len, &total, collect, &s));
	T_EQ_INT(s.n, 0);
	free(body);

	body = slurp("bad-id.json", &len);
	T_ERR(ghjson_runner_page(body, len, NULL, collect, &s), ERR_PROTO);
	free(body);
	T_ERR(ghjson_runner_page("{\"runners\":{}}", 14, NULL, collect, &s),
	    ERR_PROTO);
	T_ERR(ghjson_runner_page("[1]", 3, NULL, collect, &s), ERR_PROTO);
	T_ERR(ghjson_runner_page("", 0, NULL, collect, &s), ERR_PROTO);

	body = slurp("error422.json", &len);
	T_EQ_INT(ghjson_error_message(body, len, msg, sizeof(msg)), 0);
	T_EQ_STR(msg, "Validation Failed; labels must not be empty; plain text");
	free(body);
	T_EQ_INT(ghjson_error_message("<html>", 6, msg, sizeof(msg)), -1);

	body = slurp("jit.json", &len);
	T_OK(ghjson_jit(body, len, &tok, &r));
	T_EQ_STR(tok, "ZXhhbXBsZQ==");
	T_EQ_INT(r.id, 42);
	T_EQ_STR(r.labels[0], "gpu");
	/* A copy owns its labels: release both (ASan and valgrind check). */
	gh_runner_copy(&r2, &r);
	gh_runner_release(&r);
	T_EQ_INT(r2.id, 42);
	T_TRUE(r2.nlabels == 1);
	T_EQ_STR(r2.labels[0], "gpu");
	T_TRUE(r2.labels[1] == NULL);
	gh_runner_release(&r2);
	secret_free(tok);
	free(body);

	body = slurp("token.json", &len);
	T_OK(ghjson_token(body, len, &tok, exp, sizeof(exp), &t));
	T_EQ_STR(tok, "LLBF3JGZDX3P5PMEXLND6TS6FCWO6");
	T_EQ_STR(exp, "2020-01-22T12:13:35.123-08:00");
	T_EQ_INT(t, 1579724015);
	secret_free(tok);
	free(body);
	T_ERR(ghjson_token("{\"token\":\"\"}", 12, &tok, NULL, 0, NULL),
	    ERR_PROTO);
	T_ERR(ghjson_token("{\"token\":\"a\",\"expires_at\":\"soon\"}", 33,
	    &tok, NULL, 0, NULL), ERR_PROTO);


	T_OK(ghjson_jit_request("r\"1", labels, 2, 7, &b));
	T_EQ_STR(b.p, "{\"name\":\"r\\\"1\",\"runner_group_id\":7,"
	    "\"labels\":[\"self-hosted\",\"gpu\"]}");
	buf_reset(&b);
	body = "{\"id\":5,\"name\":\"x\",\"status\":\"online\","
	    "\"busy\":false,\"labels\":[\"l1\"]}";
	T_OK(ghjson_runner(body, strlen(body), &r));
	T_OK(ghjson_runner_format(&r, &b));
	T_EQ_STR(b.p, "{\"id\":5,\"name\":\"x\",\"status\":\"online\","
	    "\"busy\":false,\"labels\":[\"l1\"],\"os\":\"\"}");
	gh_runner_release(&r);
	/* The reusable formatter prints what ghjson_runner_format() does. */
	{
		struct ghjson_fmt	*f;
		struct buf		 c = BUF_INIT(4096);
		const char		*docs[] = {
			"{\"id\":1,\"name\":\"short\",\"status\":\"online\","
			    "\"busy\":true,\"labels\":[\"a\",\"b\",\"c\"]}",
			"{\"id\":22,\"name\":\"a much longer \\\"name\\\"\","
			    "\"status\":\"offline\",\"busy\":false,"
			    "\"os\":\"linux\",\"labels\":[\"longer label\"]}",
			"{\"id\":3,\"name\":\"n\",\"status\":\"online\","
			    "\"busy\":false,\"labels\":[]}"
		};
		size_t			 i;

		T_OK(ghjson_fmt_new(&f));
		for (i = 0; f != NULL && i < 3; i++) {
			T_OK(ghjson_runner(docs[i], strlen(docs[i]), &r));
			buf_reset(&b);
			T_OK(ghjson_runner_format(&r, &b));
			T_OK(ghjson_fmt_runner(f, &r, &c));
			T_EQ_STR(c.p, b.p);
			gh_runner_release(&r);
		}
		ghjson_fmt_free(f);
		buf_release(&c);
	}
	T_OK(ghjson_installation("{\"id\":4242}", 11, &t));
	T_EQ_INT(t, 4242);
	T_ERR(ghjson_installation("{\"id\":-1}", 9, &t), ERR_PROTO);
	buf_release(&b);
}
