/*
 * SPDX-License-Identifier: ISC
 *
 * GitHub URL helpers (see ghurl.h): the config URL that names an org,
 * repository or enterprise and the REST base derived from it, as
 * actions/scaleset's config.go does, and the Link header's next page
 * (RFC 8288, as GitHub's pagination guide uses it).  Pure.
 */

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ghurl.h"
#include "url.h"
#include "util.h"

#define GHURL_MAX_SEGS	3

static int
hosted_host(const char *host)
{
	size_t	 n = strlen(host);

	return strcmp(host, "github.com") == 0 ||
	    strcmp(host, "www.github.com") == 0 ||
	    strcmp(host, "github.localhost") == 0 ||
	    (n > 8 && strcmp(host + n - 8, ".ghe.com") == 0);
}

/* Split the path into at most GHURL_MAX_SEGS decoded segments. */
static const struct error *
split_path(const char *path, const char *url, char segs[][GHURL_NAME_MAX],
    size_t *nsegs)
{
	const struct error	*e;
	struct buf		 b = BUF_INIT(GHURL_NAME_MAX);
	const char		*p = path, *end;
	size_t			 n = 0;

	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, "/");
		if (n == GHURL_MAX_SEGS)
			return error_fmt(ERR_CONFIG, "config URL '%s' has too "
			    "many path parts: it should name an org, a "
			    "repository or an enterprise", url);
		buf_reset(&b);
		if ((e = url_decode(&b, p, (size_t)(end - p))) != NULL ||
		    b.len == 0 || b.len >= GHURL_NAME_MAX ||
		    strlen(b.p) != b.len) {
			buf_release(&b);
			return error_fmt(ERR_CONFIG, "config URL '%s': bad "
			    "path part '%.*s'", url, (int)(end - p), p);
		}
		memcpy(segs[n++], b.p, b.len + 1);
		p = end;
	}
	buf_release(&b);
	*nsegs = n;
	return NULL;
}

static const struct error *
fill_base(struct gh_target *t, const struct url *u)
{
	struct buf		 b = BUF_INIT(GHURL_MAX);
	const struct error	*e;
	const char		*host = u->host;

	if ((e = url_hostport(u, 0, &b)) != NULL ||
	    (e = str_copy(t->host, sizeof(t->host), b.p)) != NULL)
		goto out;
	t->hosted = url_default_port(u) && !u->ipv6 && hosted_host(u->host);
	if (t->hosted) {
		if (strcmp(host, "www.github.com") == 0)
			host = "github.com";
		e = str_fmt(t->api_base, sizeof(t->api_base), "%s://api.%s",
		    u->scheme, host);
	} else
		e = str_fmt(t->api_base, sizeof(t->api_base), "%s://%s/api/v3",
		    u->scheme, b.p);
out:
	buf_release(&b);
	return e;
}

/* see ghurl.h */
const struct error *
ghurl_parse(const char *config_url, struct gh_target *t)
{
	const struct error	*e;
	struct url		 u = URL_INIT;
	char			 segs[GHURL_MAX_SEGS][GHURL_NAME_MAX];
	const char		*s = config_url;
	size_t			 n, nsegs = 0;

	memset(t, 0, sizeof(*t));
	while (*s == '/')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	if (n == 0)
		return error_fmt(ERR_CONFIG, "config URL is empty: set "
		    "GITHUB_CONFIG_URL (or --url) to https://github.com/ORG");
	if (n >= sizeof(t->config_url))
		return error_fmt(ERR_CONFIG, "config URL is longer than %d "
		    "bytes", GHURL_MAX - 1);
	memcpy(t->config_url, s, n);
	t->config_url[n] = '\0';
	if ((e = url_parse(t->config_url, &u)) != NULL)
		return error_fmt(ERR_CONFIG, "config URL '%s' is not an "
		    "http(s) URL", t->config_url);
	if (u.userinfo[0] != '\0' || strpbrk(u.path, "?#") != NULL) {
		e = error_fmt(ERR_CONFIG, "config URL '%s' must not have a "
		    "user, query or fragment", t->config_url);
		goto out;
	}
	if ((e = split_path(u.path, t->config_url, segs, &nsegs)) != NULL)
		goto out;
	if (nsegs == 1) {
		t->scope = GH_SCOPE_ORG;
		memcpy(t->owner, segs[0], sizeof(t->owner));
	} else if (nsegs == 2 && str_ieq(segs[0], "enterprises")) {
		t->scope = GH_SCOPE_ENTERPRISE;
		memcpy(t->owner, segs[1], sizeof(t->owner));
	} else if (nsegs == 2) {
		t->scope = GH_SCOPE_REPO;
		memcpy(t->owner, segs[0], sizeof(t->owner));
		memcpy(t->repo, segs[1], sizeof(t->repo));
	} else {
		e = error_fmt(ERR_CONFIG, "config URL '%s' should name an org "
		    "(https://HOST/ORG), a repository (https://HOST/OWNER/REPO)"
		    " or an enterprise (https://HOST/enterprises/SLUG)",
		    t->config_url);
		goto out;
	}
	e = fill_base(t, &u);
out:
	url_release(&u);
	return e;
}

/* see ghurl.h */
const struct error *
ghurl_from_enterprise(const char *base, const char *org, struct buf *out)
{
	const struct error	*e;
	struct url		 u = URL_INIT;
	size_t			 n;

	if (base == NULL || *base == '\0' || org == NULL || *org == '\0')
		return error_fmt(ERR_CONFIG, "GITHUB_ENTERPRISE_URL and "
		    "ORGANIZATION_NAME go together: set both, or set "
		    "GITHUB_CONFIG_URL");
	if ((e = url_parse(base, &u)) != NULL)
		return error_fmt(ERR_CONFIG, "GITHUB_ENTERPRISE_URL='%s' is not "
		    "an http(s) URL", base);
	if (strcmp(u.path, "/") != 0 || u.userinfo[0] != '\0') {
		url_release(&u);
		return error_fmt(ERR_CONFIG, "GITHUB_ENTERPRISE_URL='%s' should "
		    "be a bare host URL such as https://ghe.example.com", base);
	}
	url_release(&u);
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	if ((e = buf_add(out, base, n)) != NULL ||
	    (e = buf_addc(out, '/')) != NULL)
		return e;
	return url_encode(out, org, strlen(org), URL_ENC_UNRESERVED);
}

/* see ghurl.h */
const struct error *
ghurl_scope_path(const struct gh_target *t, struct buf *out)
{
	const struct error	*e;

	switch (t->scope) {
	case GH_SCOPE_ORG:
		if ((e = buf_adds(out, "/orgs/")) != NULL)
			return e;
		break;
	case GH_SCOPE_ENTERPRISE:
		if ((e = buf_adds(out, "/enterprises/")) != NULL)
			return e;
		break;
	case GH_SCOPE_REPO:
		if ((e = buf_adds(out, "/repos/")) != NULL ||
		    (e = url_encode(out, t->owner, strlen(t->owner),
		    URL_ENC_UNRESERVED)) != NULL ||
		    (e = buf_addc(out, '/')) != NULL)
			return e;
		return url_encode(out, t->repo, strlen(t->repo),
		    URL_ENC_UNRESERVED);
	}
	return url_encode(out, t->owner, strlen(t->owner), URL_ENC_UNRESERVED);
}

/* see ghurl.h */
const char *
ghurl_scope_name(const struct gh_target *t, char *dst, size_t size)
{
	switch (t->scope) {
	case GH_SCOPE_ORG:
		snprintf(dst, size, "organization %s", t->owner);
		break;
	case GH_SCOPE_REPO:
		snprintf(dst, size, "repository %s/%s", t->owner, t->repo);
		break;
	case GH_SCOPE_ENTERPRISE:
		snprintf(dst, size, "enterprise %s", t->owner);
		break;
	}
	return dst;
}

/* Does the parameter list p..end hold rel="next" (or rel=next)? */
static int
is_next(const char *p, const char *end)
{
	const char	*v;
	size_t		 n;

	while (p < end) {
		while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(end - p) >= 4 && str_nieq(p, "rel=", 4)) {
			v = p + 4;
			if (v < end && *v == '"')
				v++;
			/* rel may hold several space-separated types. */
			while (v < end && *v != '"' && *v != ';') {
				n = 0;
				while (v + n < end && v[n] != ' ' &&
				    v[n] != '"' && v[n] != ';')
					n++;
				if (n == 4 && str_nieq(v, "next", 4))
					return 1;
				v += n;
				while (v < end && *v == ' ')
					v++;
			}
		}
		while (p < end && *p != ';')
			p++;
	}
	return 0;
}

/* see ghurl.h */
int
ghurl_link_next(const char *link, char *dst, size_t size)
{
	const char	*p = link, *lt, *gt, *end;
	int		 in_q;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (*p != '<')
			return -1;
		lt = p + 1;
		if ((gt = strchr(lt, '>')) == NULL)
			return -1;
		/* Parameters run to the next comma outside quotes. */
		in_q = 0;
		for (end = gt + 1; *end != '\0'; end++) {
			if (*end == '"')
				in_q = !in_q;
			else if (*end == ',' && !in_q)
				break;
		}
		if (is_next(gt + 1, end)) {
			if ((size_t)(gt - lt) >= size)
				return -1;
			memcpy(dst, lt, (size_t)(gt - lt));
			dst[gt - lt] = '\0';
			return 1;
		}
		p = end;
	}
	return 0;
}
