/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_GHURL_H
#define GHRCTL_GHURL_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/*
 * Pure helpers for GitHub URLs: the config URL that names a scope (as
 * actions-runner-controller and actions/scaleset parse it), the REST base
 * derived from it, scope paths, and the Link header's rel="next".
 * Facts: actions/scaleset's config.go (the config URL's forms).
 */

#define GHURL_MAX	512	/* config URL, API base */
#define GHURL_NAME_MAX	128	/* org, owner, repository, enterprise slug */

enum gh_scope {
	GH_SCOPE_ORG = 0,
	GH_SCOPE_REPO,
	GH_SCOPE_ENTERPRISE
};

struct gh_target {
	enum gh_scope	 scope;
	int		 hosted;	/* github.com-like (incl. *.ghe.com) */
	char		 config_url[GHURL_MAX];	/* slash-trimmed */
	char		 api_base[GHURL_MAX];	/* no trailing slash */
	char		 host[256];	/* host[:port] of the config URL */
	char		 owner[GHURL_NAME_MAX];	/* org, owner or enterprise */
	char		 repo[GHURL_NAME_MAX];	/* GH_SCOPE_REPO only */
};

/*
 * Parse a config URL: https://HOST/ORG, https://HOST/OWNER/REPO or
 * https://HOST/enterprises/SLUG (leading and trailing slashes ignored).
 * HOST github.com, www.github.com, github.localhost or *.ghe.com is
 * hosted: the API is at https://api.HOST (www.github.com -> api.github.com);
 * any other host (an explicit port included) is GHES: https://HOST/api/v3.
 * ERR_CONFIG naming the URL and what is wrong with it.
 */
const struct error	*ghurl_parse(const char *config_url,
			    struct gh_target *out);

/*
 * The seed documents' pair: GITHUB_ENTERPRISE_URL (a base URL) and
 * ORGANIZATION_NAME, joined into a config URL in out.  ERR_CONFIG when
 * either is empty or the base has a path other than "/".
 */
const struct error	*ghurl_from_enterprise(const char *base,
			    const char *org, struct buf *out);

/*
 * Append the scope's path, "/orgs/ORG", "/repos/OWNER/REPO" or
 * "/enterprises/SLUG" (each name percent-encoded), to out.
 */
const struct error	*ghurl_scope_path(const struct gh_target *,
			    struct buf *out);

/* "organization ORG", "repository OWNER/REPO", "enterprise SLUG". */
const char		*ghurl_scope_name(const struct gh_target *,
			    char *dst, size_t size);

/*
 * Find the rel="next" target in a Link header value
 * (`<url>; rel="next", <url>; rel="last"`).  Returns 1 and copies the URL
 * into dst, 0 when there is none, -1 when it does not fit or the header is
 * malformed.
 */
int			 ghurl_link_next(const char *link, char *dst,
			    size_t size);

#endif
