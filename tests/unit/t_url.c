/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests for url.c: parsing, redirect resolution, percent-encoding.
 */

#include <string.h>

#include "buf.h"
#include "t.h"
#include "url.h"

T_REGISTER("url_parse", t_url_parse)
T_REGISTER("url_parse_bad", t_url_parse_bad)
T_REGISTER("url_resolve", t_url_resolve)
T_REGISTER("url_encode", t_url_encode)

static void
t_url_parse(void)
{
	struct url	 u = URL_INIT;
	struct buf	 b = BUF_INIT(1024);

	T_OK(url_parse("https://API.GitHub.com/repos/x?per_page=100#frag", &u));
	T_EQ_STR(u.scheme, "https");
	T_EQ_STR(u.host, "api.github.com");
	T_EQ_INT(u.port, 443);
	T_EQ_STR(u.path, "/repos/x?per_page=100");
	T_TRUE(url_default_port(&u));
	url_release(&u);

	T_OK(url_parse("HTTP://user:p%40ss@127.0.0.1:3128", &u));
	T_EQ_STR(u.scheme, "http");
	T_EQ_STR(u.userinfo, "user:p%40ss");
	T_EQ_STR(u.host, "127.0.0.1");
	T_EQ_INT(u.port, 3128);
	T_EQ_STR(u.path, "/");
	url_release(&u);

	T_OK(url_parse("http://[fd00:ec2::254]/latest/api/token", &u));
	T_EQ_STR(u.host, "fd00:ec2::254");
	T_TRUE(u.ipv6);
	T_EQ_INT(u.port, 80);
	T_OK(url_hostport(&u, 1, &b));
	T_EQ_STR(b.p, "[fd00:ec2::254]:80");
	url_release(&u);
	buf_reset(&b);

	T_OK(url_parse("https://[::1]:8443?x=1", &u));
	T_EQ_STR(u.path, "/?x=1");
	T_OK(url_format(&u, &b));
	T_EQ_STR(b.p, "https://[::1]:8443/?x=1");
	url_release(&u);
	buf_release(&b);
}

static void
t_url_parse_bad(void)
{
	struct url	 u = URL_INIT;
	static const char *const bad[] = {
		"ftp://example.com/", "example.com/x", "https://", "https:///x",
		"https://host:0/", "https://host:65536/", "https://host:12a/",
		"https://ho st/", "https://host/a b", "https://host/\r\nX: y",
		"https://[::1/", "https://[::1]x/", "https://ex%41mple.com/",
		"://host/", NULL
	};
	size_t		 i;

	for (i = 0; bad[i] != NULL; i++) {
		T_ERR(url_parse(bad[i], &u), ERR_CONFIG);
		T_TRUE(u.path == NULL);
	}
}

static void
resolve_case(const char *base, const char *ref, const char *want)
{
	struct url	 b = URL_INIT, o = URL_INIT;
	struct buf	 s = BUF_INIT(1024);

	T_OK(url_parse(base, &b));
	T_OK(url_resolve(&b, ref, &o));
	T_OK(url_format(&o, &s));
	T_EQ_STR(s.p, want);
	url_release(&b);
	url_release(&o);
	buf_release(&s);
}

static void
t_url_resolve(void)
{
	struct url	 b = URL_INIT, o = URL_INIT;

	resolve_case("https://a.example/x/y?q=1", "https://b.example:8443/z",
	    "https://b.example:8443/z");
	resolve_case("https://a.example/x/y?q=1", "//c.example/p",
	    "https://c.example/p");
	resolve_case("https://a.example:444/x/y?q=1", "/root?r=2",
	    "https://a.example:444/root?r=2");
	resolve_case("https://a.example/x/y?q=1", "z", "https://a.example/x/z");
	resolve_case("https://a.example/x/y?q=1", "?p=3",
	    "https://a.example/x/y?p=3");
	T_OK(url_parse("https://a.example/", &b));
	T_ERR(url_resolve(&b, "ftp://x/", &o), ERR_PROTO);
	T_ERR(url_resolve(&b, "/a\r\nSet-Cookie: x", &o), ERR_PROTO);
	T_OK(url_resolve(&b, "HTTPS://A.EXAMPLE:443/other", &o));
	T_TRUE(url_same_origin(&b, &o));
	url_release(&o);
	T_OK(url_resolve(&b, "http://a.example/", &o));
	T_TRUE(!url_same_origin(&b, &o));
	url_release(&o);
	url_release(&b);
}

static void
t_url_encode(void)
{
	struct buf	 b = BUF_INIT(1024);
	struct buf	 small = BUF_INIT(4);

	T_OK(url_encode(&b, "a b/c~d-e_f.g+h*i%j", 19, URL_ENC_UNRESERVED));
	T_EQ_STR(b.p, "a%20b%2Fc~d-e_f.g%2Bh%2Ai%25j");
	buf_reset(&b);
	T_OK(url_encode(&b, "/repos/o w/ü", strlen("/repos/o w/ü"),
	    URL_ENC_PATH));
	T_EQ_STR(b.p, "/repos/o%20w/%C3%BC");
	buf_reset(&b);
	T_OK(url_query_add(&b, "Action", "DescribeInstances"));
	T_OK(url_query_add(&b, "Filter.1.Value.1", "ghrctl:runner"));
	T_OK(url_query_add(&b, "Empty", ""));
	T_EQ_STR(b.p, "Action=DescribeInstances&"
	    "Filter.1.Value.1=ghrctl%3Arunner&Empty=");
	buf_reset(&b);
	T_OK(url_decode(&b, "u%3Ap%40ss%20x", 14));
	T_EQ_STR(b.p, "u:p@ss x");
	T_ERR(url_decode(&b, "bad%4", 5), ERR_DATA);
	T_ERR(url_decode(&b, "bad%zz", 6), ERR_DATA);
	T_ERR(url_encode(&small, "a b", 3, URL_ENC_UNRESERVED), ERR_PROTO);
	buf_release(&b);
	buf_release(&small);
}
