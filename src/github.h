/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_GITHUB_H
#define GHRCTL_GITHUB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "ghjobs.h"
#include "ghjson.h"
#include "ghurl.h"
#include "http.h"

/*
 * GitHub REST: self-hosted runners (list, get, delete, count), registration
 * and remove tokens, JIT configs, for an org, a repository or an
 * enterprise.  The scope and API base come from GITHUB_CONFIG_URL (or
 * GITHUB_ENTERPRISE_URL + ORGANIZATION_NAME); see ghurl.h.
 *
 * Auth is a token (GITHUB_TOKEN or GITHUB_TOKEN_FILE) or a GitHub App
 * (GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY_FILE, optional
 * GITHUB_APP_INSTALLATION_ID): an RS256 JWT buys an installation token,
 * which is kept until 5 minutes before it expires.  Every token is
 * registered with log_secret() and sent only in an Authorization header
 * marked secret.
 *
 * Every call sends Accept: application/vnd.github+json,
 * X-GitHub-Api-Version: 2022-11-28 and User-Agent: ghrctl/<version>.
 * Rate limits (x-ratelimit-*, retry-after; 403 or 429) are waited out when
 * the wait fits in GHRCTL_MAX_WAIT, else the call fails with ERR_TEMP
 * saying when the budget resets.  Error messages: 401 "token rejected by
 * HOST", 403 with the permission GitHub says is missing, 404 "... not found
 * or the token cannot see it", 422 with GitHub's message.
 *
 * Common errors of every call below: ERR_PERM (401/403, TLS), ERR_CONFIG
 * (404 on the scope), ERR_TEMP (rate limited), ERR_UNAVAIL (network, 5xx
 * after retries), ERR_PROTO (unparseable reply).
 */

struct github;

/*
 * Make a client from the configuration; http is borrowed (it must outlive
 * the client).  Reads the App private key file when an App is configured.
 * No network traffic.  ERR_CONFIG when the URL or credentials are missing
 * or invalid.  Free with github_free().
 */
const struct error	*github_new(const struct config *,
			    struct http_client *, struct github **out);
void			 github_free(struct github *);

/*
 * The GitHub URL of the configuration (GITHUB_CONFIG_URL, else
 * GITHUB_ENTERPRISE_URL and ORGANIZATION_NAME) parsed into *t: https
 * (http only to loopback or with GHRCTL_ALLOW_HTTP), a host, and the path
 * of an org, a repository or an enterprise.  ERR_CONFIG naming the
 * setting and where it was set.  No network traffic.
 */
const struct error	*github_url_target(const struct config *,
			    struct gh_target *);

/* The parsed config URL (scope, API base) of gh. */
const struct gh_target	*github_target(const struct github *);

/* Runner counts as `metric` publishes them. */
struct runner_counts {
	unsigned int	 busy;		/* online and busy */
	unsigned int	 idle;		/* online and not busy */
	unsigned int	 offline;
};

/*
 * Count the runners that carry ALL of labels (case-insensitive; nlabels 0
 * counts every runner), walking every page.
 */
const struct error	*github_runner_counts(struct github *,
			    const char *const *labels, size_t nlabels,
			    struct runner_counts *out);

/*
 * Walk every runner of the scope, page by page (per_page=100, following
 * Link rel="next"), so memory does not grow with the number of runners.
 * name, when not NULL, asks GitHub for runners with exactly that name.
 */
const struct error	*github_runners_each(struct github *, const char *name,
			    gh_runner_fn, void *arg);

/*
 * One runner by id.  ERR_FAIL "runner ID not found" on 404.  Release with
 * gh_runner_release().
 */
const struct error	*github_runner_get(struct github *, int64_t id,
			    struct gh_runner *out);

/*
 * One runner by id (all digits) or by exact name.  ERR_FAIL when no
 * runner matches.
 */
const struct error	*github_runner_find(struct github *, const char *idname,
			    struct gh_runner *out);

/*
 * Delete a runner.  ERR_FAIL with GitHub's reason on 422 (the runner is
 * running a job: not retried) and on 404.
 */
const struct error	*github_runner_delete(struct github *, int64_t id);

enum gh_token_kind {
	GH_TOKEN_REGISTER = 0,
	GH_TOKEN_REMOVE
};

/*
 * A registration or remove token for the scope (POST .../registration-token
 * or .../remove-token; 201).  *token_out is a secret, already registered
 * with log_secret(); free it with secret_free().  expires_at (may be NULL)
 * receives GitHub's RFC 3339 expiry text.
 */
const struct error	*github_registration_token(struct github *,
			    char **token_out, char *expires_at,
			    size_t expires_size);
const struct error	*github_token(struct github *, enum gh_token_kind,
			    char **token_out, char *expires_at,
			    size_t expires_size);

/*
 * A just-in-time runner config (POST .../generate-jitconfig; 201).
 * labels: 1 to 100.  *jit_out is a secret registered with log_secret();
 * free it with secret_free().  runner_out (may be NULL) receives the
 * runner GitHub created; release it with gh_runner_release().
 * ERR_FAIL with GitHub's reason on 409 (name in use) and 422.
 */
const struct error	*github_jit_config(struct github *, const char *name,
			    const char *const *labels, size_t nlabels,
			    int64_t runner_group_id, char **jit_out,
			    struct gh_runner *runner_out);

/* What `ghrctl doctor` learns about the server and the credential. */
struct gh_probe {
	int	 status;		/* HTTP status of the reply */
	char	 ghes_version[64];	/* X-GitHub-Enterprise-Version, "" if none */
	char	 scopes[512];		/* X-OAuth-Scopes (classic PAT, OAuth) */
	int	 have_scopes;		/* that header was sent */
	int	 app;			/* authenticated as a GitHub App */
};

/*
 * An unauthenticated GET {api}/meta, tried once (no retry, no credential):
 * proves name resolution, proxy, TCP and TLS to the API host.  Any HTTP
 * status is success; out gets it and the GHES version when the server
 * tells.  Errors: those of http_do().
 */
const struct error	*github_ping(struct github *, struct gh_probe *out);

/*
 * The scope's runner list (per_page=1) with the credential, like every
 * call above (same errors), reporting the token's scopes header and the
 * GHES version.
 */
const struct error	*github_probe(struct github *, struct gh_probe *out);

/* Requests made by this client so far (tests and bench). */
uint64_t		 github_requests(const struct github *);

/* The X-RateLimit-Limit of the last reply (requests an hour), 0: none. */
uint64_t		 github_rate_limit(const struct github *);

/*
 * Conditional requests: list GETs carry If-None-Match with the ETag of
 * the last 200 for that URL (cache of up to 512 URLs and 4 MiB of bodies,
 * least recently used out first), and a 304 replays the remembered body.
 * GitHub does not count 304s against the primary rate limit.
 * github_not_modified() is how many 304s this client received.
 * github_cache_export() appends the cache as JSON ([{"url", "etag",
 * "body"}]) so a later process can github_cache_import() it (entries for
 * another API base and malformed input are ignored).
 */
uint64_t		 github_not_modified(const struct github *);

/*
 * Turn the cache on: off by default, so a one-shot listing keeps no page
 * bodies (its memory stays flat); loops that list the same URLs again
 * (metric --follow, scale --source rest with a saved cache) turn it on.
 * github_cache_import() turns it on too.
 */
void			 github_cache_enable(struct github *);
const struct error	*github_cache_export(const struct github *,
			    struct buf *out);
void			 github_cache_import(struct github *, const char *text,
			    size_t len);

/* Bounds of one REST job scan. */
struct gh_scan_limits {
	unsigned int	 max_repos;	/* repositories scanned */
	unsigned int	 max_runs;	/* workflow runs whose jobs are read */
};

/* What a scan looked at. */
struct gh_scan {
	unsigned int	 repos;
	unsigned int	 runs;
	int		 repos_capped;	/* more repositories than max_repos */
	int		 runs_capped;	/* more active runs than max_runs */
};

/*
 * The jobs of the scope's active workflow runs (ghjobs.h, reference
 * 6.2): the repository of a repository scope, or an organization's
 * repositories (GET /orgs/ORG/repos, archived ones skipped, at most
 * max_repos); per repository GET .../actions/runs?status=queued and
 * ?status=in_progress (all pages, at most max_runs runs in all, each
 * once), then GET .../actions/runs/ID/jobs (all pages), calling fn for
 * every job.  Requests are sequential on the one keep-alive connection
 * and conditional (above).  A repository answering 404 is skipped with a
 * warning.  ERR_CONFIG for an enterprise scope; otherwise the errors of
 * every call.
 */
const struct error	*github_jobs_scan(struct github *,
			    const struct gh_scan_limits *, gh_job_fn fn,
			    void *arg, struct gh_scan *out);

/*
 * The id of the runner group called name (compared case-insensitively):
 * GET .../actions/runner-groups of the organization or enterprise,
 * per_page=100, every page until found.  *found 0 when no group has that
 * name.  ERR_CONFIG for a repository scope, which has no runner groups.
 */
const struct error	*github_runner_group_find(struct github *,
			    const char *name, int64_t *id, int *found);

#endif
