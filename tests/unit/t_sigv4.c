/*
 * SPDX-License-Identifier: ISC
 *
 * SigV4 against AWS's published test suite (tests/vectors/sigv4/<case>/:
 * req = the request, authz = the expected Authorization, creq = the
 * expected canonical request when known).  Region and service come from
 * the expected Credential scope; the secret is the suite's.  The
 * ghrctl-* cases are the EC2 examples of aws-wire.md 1.2.
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sigv4.h"
#include "t.h"
#include "util.h"

T_REGISTER("sigv4", t_sigv4)
T_REGISTER("sigv4-misc", t_sigv4_misc)

#define SUITE_AKID	"AKIDEXAMPLE"
#define SUITE_SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/* A file of one case: tests/vectors/sigv4/<case>/<name>. */
static char *
slurp(const char *casename, const char *name)
{
	char	 sub[512];

	snprintf(sub, sizeof(sub), "sigv4/%s", casename);
	return t_vector(sub, name, NULL);
}

static void
chomp(char *s)
{
	size_t	 n = strlen(s);

	while (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
}

static void
one_case(const char *name)
{
	struct sigv4_header	 h[SIGV4_MAX_HEADERS];
	struct sigv4_req	 r;
	struct sigv4_cred	 c;
	struct buf		 authz = BUF_INIT(SIGV4_MAX_AUTHZ);
	struct buf		 creq = BUF_INIT(SIGV4_MAX_CREQ);
	char			*req, *want, *wcreq, *line, *next, *sp, *body;
	char			*path, *q, region[64], service[64], label[300];
	size_t			 nh = 0;

	req = slurp(name, "req");
	want = slurp(name, "authz");
	wcreq = slurp(name, "creq");
	if (!T_TRUE(req != NULL && want != NULL))
		goto out;
	chomp(want);
	memset(&r, 0, sizeof(r));
	if ((body = strstr(req, "\n\n")) != NULL) {
		*body = '\0';
		body += 2;
		r.body = body;
		r.body_len = strlen(body);
	}
	/* Request line: METHOD target HTTP/1.1 (the target may hold spaces). */
	line = req;
	if ((next = strchr(line, '\n')) != NULL)
		*next++ = '\0';
	sp = strchr(line, ' ');
	*sp = '\0';
	r.method = line;
	path = sp + 1;
	*strrchr(path, ' ') = '\0';
	if ((q = strchr(path, '?')) != NULL) {
		*q++ = '\0';
		r.query = q;
	}
	r.path = path;
	for (line = next; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		sp = strchr(line, ':');
		*sp = '\0';
		h[nh].name = line;
		h[nh].value = sp + 1;
		nh++;
	}
	r.headers = h;
	r.nheaders = nh;
	/* Credential=AKID/DATE/REGION/SERVICE/aws4_request */
	sp = strstr(want, "Credential=");
	if (!T_TRUE(sp != NULL && sscanf(sp, "Credential=%*[^/]/%*[^/]/%63[^/]/"
	    "%63[^/]/", region, service) == 2))
		goto out;
	c.access_key = SUITE_AKID;
	c.secret_key = SUITE_SECRET;
	c.region = region;
	c.service = service;
	T_OK(sigv4_authorization(&r, &c, &authz, &creq, NULL));
	snprintf(label, sizeof(label), "%s", name);
	if (!t_eq_str(__FILE__, __LINE__, label, authz.p, want) &&
	    creq.p != NULL)
		fprintf(stderr, "# canonical request:\n%s\n", creq.p);
	if (wcreq != NULL) {
		chomp(wcreq);
		t_eq_str(__FILE__, __LINE__, label, creq.p, wcreq);
	}
out:
	buf_release(&authz);
	buf_release(&creq);
	free(req);
	free(want);
	free(wcreq);
}

static void
t_sigv4(void)
{
	char		 dir[1024];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(dir, sizeof(dir), "%s/sigv4", t_vectors_dir());
	if (!T_TRUE((d = opendir(dir)) != NULL))
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		one_case(de->d_name);
		n++;
	}
	closedir(d);
	T_TRUE(n >= 20);
}

/*
 * Headers given out of order are sorted by lower-case name; query values
 * are decoded and encoded again (%2f -> %2F, %7E -> ~), then sorted by name
 * and value (AWS SigV4 "Create a canonical request",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
 */
static void
t_sigv4_canonical_order(void)
{
	static const struct sigv4_header h[] = {
		{ "X-Amz-Date", "20150830T123600Z" },
		{ "Host", "example.amazonaws.com" },
		{ "Content-Type", "text/plain" },
	};
	struct sigv4_req	 r = { "GET", "/", "b=x%2fy&a=%7E&a=1", h, 3,
				    NULL, 0 };
	struct buf		 out = BUF_INIT(SIGV4_MAX_CREQ);
	struct buf		 sh = BUF_INIT(SIGV4_MAX_AUTHZ);

	T_OK(sigv4_canonical_request(&r, &out, &sh));
	T_EQ_STR(out.p, "GET\n/\na=1&a=~&b=x%2Fy\n"
	    "content-type:text/plain\nhost:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n\n"
	    "content-type;host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	T_EQ_STR(sh.p, "content-type;host;x-amz-date");
	buf_release(&out);
	buf_release(&sh);
}

static void
t_sigv4_misc(void)
{
	char	 d[SIGV4_DATE_LEN + 1], h[65];

	sigv4_date(1795417200, d);
	T_EQ_STR(d, "20261123T070000Z");
	sigv4_sha256_hex("", 0, h);
	T_EQ_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	t_sigv4_canonical_order();
}
