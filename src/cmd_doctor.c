/*
 * SPDX-License-Identifier: ISC
 *
 * ghrctl doctor: check a set-up end to end and say what to fix.  One line
 * per check, in the order things depend on each other: the configuration,
 * DNS and TLS to the GitHub API (with the CA bundle used), the token and
 * its scopes, the Actions Service (does this GitHub support scale sets,
 * and which GHES version it is), the scale set, the AWS region, the AWS
 * credentials and who they are (sts GetCallerIdentity), EC2 permissions
 * through DryRun, CloudWatch, and the state directory.  A check whose
 * prerequisite failed, or that does not apply to the configuration, is
 * skipped with the reason.  Every check is bounded by the configured
 * timeouts and retry budgets; doctor changes nothing remote (DryRun,
 * PutMetricData without data) and leaves nothing behind locally.
 *
 * Exit status: 0 when nothing failed, else the status of the first failed
 * check's error class (78 configuration, 77 permission, 69 unreachable,
 * ...), so a script learns the most basic problem.
 */

#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"

#include "actions.h"
#include "aws.h"
#include "cloudwatch.h"
#include "cmd.h"
#include "scaleset.h"
#include "scaler.h"
#include "ec2.h"
#include "github.h"
#include "log.h"
#include "out.h"
#include "state.h"
#include "tls.h"
#include "url.h"
#include "util.h"
#include "xml.h"

#define DOCTOR_NS	"GitHubRunners"	/* what `ghrctl metric` publishes to */
#define DOCTOR_DETAIL	768
#define DOCTOR_REMEDY	512

static const struct opt doctor_opts[] = {
	{ "output", 'o', OPT_REQ, "FORMAT", "table or json" },
	OPT_END
};

/* The checks, in the order they run and print. */
enum chk_id {
	C_CONFIG = 0,
	C_DNS,
	C_TLS,
	C_TOKEN,
	C_ACTIONS,
	C_SCALESET,
	C_REGION,
	C_AWSCRED,
	C_EC2,
	C_CLOUDWATCH,
	C_STATE,
	C_N
};

static const char *const chk_names[C_N] = {
	"config", "dns", "tls", "token", "actions", "scale-set",
	"aws-region", "aws-identity", "ec2", "cloudwatch", "state"
};

enum chk_status {
	CHK_NONE = 0,
	CHK_PASS,
	CHK_FAIL,
	CHK_SKIP
};

struct check {
	enum chk_status	 status;
	enum err_class	 class;		/* of a failure */
	char		 detail[DOCTOR_DETAIL];
	char		 remedy[DOCTOR_REMEDY];
};

struct doctor {
	struct ctx		*ctx;
	enum out_fmt		 fmt;
	struct check		 c[C_N];
	struct cmd_as		 as;
	struct aws		*aws;
	struct gh_probe		 ping;
	const struct gh_target	*t;
};

static const struct error *
doctor_opt(void *arg, int key, const char *val)
{
	struct doctor		*d = arg;

	if (key != 'o')
		return error_fmt(ERR_SOFTWARE, "doctor: option %d unhandled",
		    key);
	return cmd_output_parse(val, OUT_ALLOW_TABLE_JSON,
	    &d->fmt);
}

/* Record a result; the message has every registered secret masked. */
static void
set_v(struct doctor *d, enum chk_id i, enum chk_status s, enum err_class cl,
    const char *remedy, const char *fmt, va_list ap)
{
	struct check	*c = &d->c[i];
	char		 tmp[DOCTOR_DETAIL];

	c->status = s;
	c->class = cl;
	(void)vsnprintf(tmp, sizeof(tmp), fmt, ap);
	log_redact(tmp, c->detail, sizeof(c->detail));
	(void)snprintf(c->remedy, sizeof(c->remedy), "%s",
	    remedy != NULL ? remedy : "");
}

static void pass(struct doctor *, enum chk_id, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void skip(struct doctor *, enum chk_id, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct doctor *, enum chk_id, enum err_class, const char *,
    const char *, ...) __attribute__((format(printf, 5, 6)));

static void
pass(struct doctor *d, enum chk_id i, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	set_v(d, i, CHK_PASS, 0, NULL, fmt, ap);
	va_end(ap);
}

static void
skip(struct doctor *d, enum chk_id i, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	set_v(d, i, CHK_SKIP, 0, NULL, fmt, ap);
	va_end(ap);
}

static void
fail(struct doctor *d, enum chk_id i, enum err_class cl, const char *remedy,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	set_v(d, i, CHK_FAIL, cl, remedy, fmt, ap);
	va_end(ap);
}

/* Fail check i with error e's class and message. */
static void
fail_err(struct doctor *d, enum chk_id i, const struct error *e,
    const char *remedy)
{
	fail(d, i, e->class, remedy, "%s", e->msg);
}

static int
ok(const struct doctor *d, enum chk_id i)
{
	return d->c[i].status == CHK_PASS;
}

/* Skip check i because prerequisite p did not pass. */
static void
blocked(struct doctor *d, enum chk_id i, enum chk_id p)
{
	enum chk_id	 root = p;
	int		 j;

	/* Name the failure the chain started from. */
	for (j = 0; j <= (int)p; j++)
		if (d->c[j].status == CHK_FAIL) {
			root = (enum chk_id)j;
			break;
		}
	skip(d, i, "needs '%s', which %s", chk_names[root],
	    d->c[root].status == CHK_FAIL ? "failed" : "was skipped");
}

/* The remedy for a transport failure, by class. */
static const char *
net_remedy(const struct error *e)
{
	switch (e->class) {
	case ERR_PERM:
		return "the server's certificate is not trusted: set "
		    "GHRCTL_CA_FILE (--ca-file) to a PEM bundle with the CA "
		    "that signed it (GHES: your company CA)";
	case ERR_TEMP:
		return "the server did not answer in time: check the network "
		    "path and firewall, HTTPS_PROXY/NO_PROXY, or raise "
		    "GHRCTL_CONNECT_TIMEOUT/GHRCTL_READ_TIMEOUT";
	case ERR_CONFIG:
		return "fix the URL or proxy setting named above";
	default:
		return "check that this host can reach the server (firewall, "
		    "HTTPS_PROXY/NO_PROXY, the server is up)";
	}
}

/* ------------------------------------------------------------------ */

static void
check_config(struct doctor *d, const struct error *resolve_err)
{
	struct ctx		*ctx = d->ctx;
	const struct error	*e;
	const struct cfg_desc	*k = config_keys();
	int			 i, nfile = 0, nenv = 0, nflag = 0;
	char			 file[300];

	if (resolve_err != NULL) {
		fail_err(d, C_CONFIG, resolve_err, "fix the setting named "
		    "above ('ghrctl config --keys' lists every key; "
		    "'ghrctl config' shows where each value comes from)");
		return;
	}
	if ((e = cmd_as_open(ctx, &d->as, 0)) != NULL) {
		fail_err(d, C_CONFIG, e, "set GITHUB_CONFIG_URL (or "
		    "GITHUB_ENTERPRISE_URL + ORGANIZATION_NAME) and "
		    "GITHUB_TOKEN, GITHUB_TOKEN_FILE or GITHUB_APP_ID + "
		    "GITHUB_APP_PRIVATE_KEY_FILE");
		return;
	}
	d->t = github_target(d->as.gh);
	/* MIN_RUNNERS above MAX_RUNNERS is a resolve_err (config.c). */
	for (i = 0; i < K_NKEYS; i++) {
		if (ctx->cfg.v[i].src == SRC_FILE)
			nfile++;
		else if (ctx->cfg.v[i].src == SRC_ENV)
			nenv++;
		else if (ctx->cfg.v[i].src == SRC_FLAG)
			nflag++;
	}
	(void)k;
	if (ctx->cfg.file != NULL)
		(void)snprintf(file, sizeof(file), "file %s", ctx->cfg.file);
	else
		(void)snprintf(file, sizeof(file), "no config file");
	pass(d, C_CONFIG, "%s at %s; %s (%d keys), %d from the environment, "
	    "%d from flags", d->t->config_url, d->t->api_base, file, nfile,
	    nenv, nflag);
}

static void
check_dns(struct doctor *d)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	struct url	 pu = URL_INIT;
	char		 host[URL_MAX_HOST + 1], addr[64];
	const struct error *e;
	const char	*via = "";
	int		 rc, n = 0;

	if (!ok(d, C_CONFIG)) {
		blocked(d, C_DNS, C_CONFIG);
		return;
	}
	if ((e = url_parse(d->t->api_base, &pu)) != NULL) {
		fail_err(d, C_DNS, e, "fix GITHUB_CONFIG_URL");
		return;
	}
	(void)snprintf(host, sizeof(host), "%s", pu.host);
	url_release(&pu);
	if (d->ctx->cfg.https_proxy != NULL && *d->ctx->cfg.https_proxy &&
	    url_parse(d->ctx->cfg.https_proxy, &pu) == NULL) {
		(void)snprintf(host, sizeof(host), "%s", pu.host);
		via = " (the HTTPS proxy)";
		url_release(&pu);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, "443", &hints, &res)) != 0) {
		fail(d, C_DNS, ERR_UNAVAIL, "check /etc/resolv.conf and the "
		    "host name in GITHUB_CONFIG_URL; behind a proxy set "
		    "HTTPS_PROXY", "cannot resolve %s%s: %s", host, via,
		    gai_strerror(rc));
		return;
	}
	addr[0] = '\0';
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (n++ == 0 && getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			(void)snprintf(addr, sizeof(addr), "?");
	}
	freeaddrinfo(res);
	pass(d, C_DNS, "%s%s resolves to %s (%d address%s)", host, via, addr,
	    n, n == 1 ? "" : "es");
}

static void
check_tls(struct doctor *d)
{
	const struct error	*e;
	struct tls_trust	*tr = NULL;
	const char		*ca;
	char			 cafile[300], ver[96];

	if (!ok(d, C_DNS)) {
		blocked(d, C_TLS, C_DNS);
		return;
	}
	ca = config_str(&d->ctx->cfg, K_CA_FILE);
	if (ca == NULL)
		ca = d->ctx->cfg.ssl_cert_file;
	if ((e = tls_trust_load(ca, &tr)) != NULL) {
		fail_err(d, C_TLS, e, "set GHRCTL_CA_FILE (--ca-file) to a "
		    "readable PEM bundle, or install ca-certificates");
		return;
	}
	(void)snprintf(cafile, sizeof(cafile), "%s, %zu certificates",
	    tls_trust_file(tr), tls_trust_count(tr));
	tls_trust_free(tr);
	if ((e = github_ping(d->as.gh, &d->ping)) != NULL) {
		fail(d, C_TLS, e->class, net_remedy(e), "%s (CA file %s)",
		    e->msg, cafile);
		return;
	}
	ver[0] = '\0';
	if (d->ping.ghes_version[0] != '\0')
		(void)snprintf(ver, sizeof(ver), "; GitHub Enterprise Server "
		    "%s", d->ping.ghes_version);
	pass(d, C_TLS, "TLS to %s verified with CA file %s (HTTP %d)%s",
	    d->t->api_base, cafile, d->ping.status, ver);
}

/* 1 when the comma-separated scopes contain one of want (NULL-ended). */
static int
has_scope(const char *scopes, const char *const *want)
{
	const char	*p = scopes, *end;
	size_t		 n, i;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		end = p;
		while (*end != '\0' && *end != ',' && *end != ' ')
			end++;
		n = (size_t)(end - p);
		for (i = 0; n > 0 && want[i] != NULL; i++)
			if (strlen(want[i]) == n && strncmp(p, want[i], n) == 0)
				return 1;
		p = end;
	}
	return 0;
}

static const char TOKEN_REMEDY[] = "use a classic token with admin:org "
    "(organization), repo (repository) or manage_runners:enterprise "
    "(enterprise), a fine-grained token or GitHub App with \"Self-hosted "
    "runners: read and write\" (organization) or \"Administration: read and "
    "write\" (repository); set it in GITHUB_TOKEN or GITHUB_TOKEN_FILE";

static void
check_token(struct doctor *d)
{
	static const char *const org[] = { "admin:org", NULL };
	static const char *const repo[] = { "repo", NULL };
	static const char *const ent[] = { "manage_runners:enterprise",
	    "admin:enterprise", NULL };
	const struct error	*e;
	struct gh_probe		 p;
	const char *const	*want;
	char			 scope[300];

	if (!ok(d, C_TLS)) {
		blocked(d, C_TOKEN, C_TLS);
		return;
	}
	ghurl_scope_name(d->t, scope, sizeof(scope));
	if (d->ping.app && d->t->scope == GH_SCOPE_ENTERPRISE) {
		fail(d, C_TOKEN, ERR_CONFIG, "use a classic token with "
		    "manage_runners:enterprise for an enterprise",
		    "GitHub Apps cannot manage enterprise runners (%s)", scope);
		return;
	}
	if ((e = github_probe(d->as.gh, &p)) != NULL) {
		fail_err(d, C_TOKEN, e, e->class == ERR_CONFIG ? "check the "
		    "organization, repository or enterprise in "
		    "GITHUB_CONFIG_URL, and that the token's owner can see it" :
		    e->class == ERR_TEMP ? "wait for the rate limit to reset, "
		    "or raise GHRCTL_MAX_WAIT" : TOKEN_REMEDY);
		return;
	}
	if (p.app) {
		pass(d, C_TOKEN, "GitHub App installation token accepted; it "
		    "can read the runners of %s (write is checked by "
		    "'actions')", scope);
		return;
	}
	if (!p.have_scopes) {
		pass(d, C_TOKEN, "token accepted (fine-grained: no scopes "
		    "header); it can read the runners of %s (write is checked "
		    "by 'actions')", scope);
		return;
	}
	want = d->t->scope == GH_SCOPE_ORG ? org : d->t->scope ==
	    GH_SCOPE_REPO ? repo : ent;
	if (!has_scope(p.scopes, want)) {
		fail(d, C_TOKEN, ERR_PERM, TOKEN_REMEDY, "classic token with "
		    "scopes '%s' lacks '%s', needed for %s", p.scopes, want[0],
		    scope);
		return;
	}
	pass(d, C_TOKEN, "classic token with scopes '%s' (%s is enough for "
	    "%s)", p.scopes, want[0], scope);
}

static void
check_actions(struct doctor *d)
{
	const struct error	*e;
	char			 ver[96];

	if (!ok(d, C_TOKEN)) {
		blocked(d, C_ACTIONS, C_TOKEN);
		return;
	}
	ver[0] = '\0';
	if (d->ping.ghes_version[0] != '\0')
		(void)snprintf(ver, sizeof(ver), " (GitHub Enterprise Server "
		    "%s)", d->ping.ghes_version);
	if ((e = actions_connect(d->as.as)) == NULL) {
		pass(d, C_ACTIONS, "runner registration exchange at %s/actions/"
		    "runner-registration answered; the Actions Service "
		    "supports scale sets%s", d->t->api_base, ver);
		return;
	}
	if (e->http_status == 404 || e->class == ERR_PROTO) {
		fail(d, C_ACTIONS, ERR_UNAVAIL, "runner scale sets need GitHub "
		    "Enterprise Server 3.9 or newer with GitHub Actions "
		    "enabled (or github.com / GHE.com); upgrade the server or "
		    "ask its administrator", "%s does not offer the Actions "
		    "Service scale set API%s: %s", d->t->host, ver, e->msg);
		return;
	}
	fail_err(d, C_ACTIONS, e, e->class == ERR_PERM ? TOKEN_REMEDY :
	    net_remedy(e));
}

static void
check_scale_set(struct doctor *d)
{
	const struct error	*e;
	struct as_scale_set	 ss;
	char			 labels[400];
	size_t			 i, n = 0;

	if (!ok(d, C_ACTIONS)) {
		blocked(d, C_SCALESET, C_ACTIONS);
		return;
	}
	if (d->as.name[0] == '\0' &&
	    !config_is_set(&d->ctx->cfg, K_RUNNER_SCALE_SET_ID)) {
		skip(d, C_SCALESET, "RUNNER_SCALE_SET_NAME is not set (only "
		    "register, session, poll and scale need it)");
		return;
	}
	memset(&ss, 0, sizeof(ss));
	if ((e = cmd_as_scale_set(d->ctx, &d->as, &ss)) != NULL) {
		/*
		 * Before 'ghrctl register' (the quick start's order) a named
		 * scale set not there yet is the next step, not a failure.
		 */
		if (e->class == ERR_FAIL && !config_is_set(&d->ctx->cfg,
		    K_RUNNER_SCALE_SET_ID) && strstr(e->msg, "does not exist")
		    != NULL) {
			skip(d, C_SCALESET, "scale set '%s' does not exist yet; "
			    "next: ghrctl register", d->as.name);
			return;
		}
		fail_err(d, C_SCALESET, e, e->class == ERR_FAIL ||
		    e->class == ERR_CONFIG ? "create it with 'ghrctl register' "
		    "(or fix RUNNER_SCALE_SET_NAME, RUNNER_SCALE_SET_ID, "
		    "RUNNER_GROUP)" : net_remedy(e));
		return;
	}
	labels[0] = '\0';
	for (i = 0; i < ss.nlabels; i++)
		n += (size_t)snprintf(labels + n, n < sizeof(labels) ?
		    sizeof(labels) - n : 0, "%s%s", i ? "," : "",
		    ss.labels[i]);
	pass(d, C_SCALESET, "scale set '%s' is id %lld in runner group %lld, "
	    "labels %s", ss.name != NULL ? ss.name : d->as.name,
	    (long long)ss.id, (long long)ss.runner_group_id,
	    labels[0] ? labels : "-");
	asmsg_scale_set_release(&ss);
}

/* 1 when the configuration or environment mentions AWS at all. */
static int
aws_wanted(const struct ctx *ctx)
{
	static const char *const env[] = { "AWS_ACCESS_KEY_ID=",
	    "AWS_PROFILE=", "AWS_DEFAULT_REGION=", "AWS_REGION=",
	    "AWS_CONTAINER_CREDENTIALS_FULL_URI=",
	    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=",
	    "AWS_WEB_IDENTITY_TOKEN_FILE=", NULL };
	char *const	*e;
	size_t		 i;
	int		 k;

	for (k = K_AWS_REGION; k <= K_EC2_INSTANCE_PROFILE; k++)
		if (config_is_set(&ctx->cfg, (enum cfg_key)k))
			return 1;
	/* the AWS names a config file may set too */
	for (k = K_AWS_ACCESS_KEY_ID; k <= K_AWS_CONFIG_FILE; k++)
		if (config_is_set(&ctx->cfg, (enum cfg_key)k))
			return 1;
	for (e = ctx->envp; e != NULL && *e != NULL; e++)
		for (i = 0; env[i] != NULL; i++)
			if (str_prefix(*e, env[i]))
				return 1;
	return 0;
}

static const char AWS_CRED_REMEDY[] = "give ghrctl credentials: an "
    "instance role (on EC2), AWS_PROFILE with ~/.aws/credentials, or "
    "AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY in the EnvironmentFile";

static const struct aws_service sts_service = {
	"sts", "AWS_ENDPOINT_URL_STS", "sts", "sts", "2011-06-15",
	"https://sts.amazonaws.com/doc/2011-06-15/", 0
};

static void
check_aws(struct doctor *d)
{
	const struct error	*e;
	struct http_client	*http;
	struct xml_doc		 x = XML_DOC_INIT;
	const char		*region, *src = NULL, *arn, *acct;
	char			 from[128];

	if (!aws_wanted(d->ctx)) {
		skip(d, C_REGION, "no AWS settings (AWS_REGION, EC2_*, AWS "
		    "credentials): scale and metric are not configured");
		skip(d, C_AWSCRED, "no AWS settings");
		return;
	}
	if ((e = ctx_http(d->ctx, &http)) != NULL ||
	    (e = aws_new(&d->ctx->cfg, http, d->ctx->envp, NULL,
	    &d->aws)) != NULL) {
		fail_err(d, C_REGION, e, "fix the AWS setting named above");
		skip(d, C_AWSCRED, "needs an AWS client");
		return;
	}
	if ((e = aws_region(d->aws, &region)) != NULL)
		fail_err(d, C_REGION, e, "set AWS_REGION (--region), e.g. "
		    "AWS_REGION=eu-north-1");
	else {
		from[0] = '\0';
		if (config_is_set(&d->ctx->cfg, K_AWS_REGION))
			(void)snprintf(from, sizeof(from), " (%s)",
			    d->ctx->cfg.v[K_AWS_REGION].origin);
		pass(d, C_REGION, "%s%s", region, from);
	}
	if ((e = aws_credentials(d->aws, &src)) != NULL) {
		fail_err(d, C_AWSCRED, e, AWS_CRED_REMEDY);
		return;
	}
	(void)snprintf(from, sizeof(from), "%s", src != NULL ? src : "?");
	if (!ok(d, C_REGION)) {
		skip(d, C_AWSCRED, "credentials from %s; identity needs a "
		    "region", from);
		return;
	}
	if ((e = aws_query_call(d->aws, &sts_service, "GetCallerIdentity",
	    NULL, &x)) != NULL) {
		fail(d, C_AWSCRED, e->class, e->class == ERR_PERM ?
		    "the credentials were refused: renew them (expired "
		    "session?) or fix the access key" : net_remedy(e),
		    "credentials from %s: %s", from, e->msg);
		return;
	}
	arn = xml_path_text(&x, -1,
	    "GetCallerIdentityResponse/GetCallerIdentityResult/Arn");
	acct = xml_path_text(&x, -1,
	    "GetCallerIdentityResponse/GetCallerIdentityResult/Account");
	if (arn == NULL)
		fail(d, C_AWSCRED, ERR_PROTO, "check AWS_ENDPOINT_URL_STS",
		    "sts GetCallerIdentity answered without an Arn");
	else
		pass(d, C_AWSCRED, "%s (account %s), credentials from %s", arn,
		    acct != NULL ? acct : "?", from);
	xml_doc_release(&x);
}

static void
check_cloudwatch(struct doctor *d)
{
	const struct error	*e;
	const char		*note = NULL;

	if (d->aws == NULL || !ok(d, C_AWSCRED)) {
		skip(d, C_CLOUDWATCH, d->c[C_AWSCRED].status == CHK_SKIP &&
		    d->aws == NULL ? "no AWS settings" :
		    "needs working AWS credentials");
		return;
	}
	if ((e = cloudwatch_access(d->aws, DOCTOR_NS, &note)) != NULL) {
		fail_err(d, C_CLOUDWATCH, e, e->class == ERR_PERM ? "allow "
		    "cloudwatch:PutMetricData (contrib/iam-policy.json) for "
		    "ghrctl's role" : net_remedy(e));
		return;
	}
	pass(d, C_CLOUDWATCH, "PutMetricData to namespace %s %s", DOCTOR_NS,
	    note != NULL ? note : "allowed (nothing was published)");
}

/* ------------------------------------------------------------------ */
/* EC2 permissions (DryRun) */

static const char EC2_REMEDY[] = "allow ec2:RunInstances, "
    "ec2:DescribeInstances, ec2:TerminateInstances, ec2:CreateTags (and "
    "iam:PassRole for EC2_INSTANCE_PROFILE) for ghrctl's role: see "
    "contrib/iam-policy.json";

/*
 * A DryRun of an action on one instance id: NULL when EC2 would allow it.
 * An id EC2 does not know (our placeholder) leaves the permission
 * unverified: *unverified is set.
 */
static const struct error *
dry_action(struct aws *a, int terminate, const char *id, int *unverified)
{
	const struct error	*e;
	const char *const	 ids[1] = { id };
	static const struct ec2_tag tag = { EC2_TAG_MANAGED, "true" };

	e = terminate ? ec2_terminate(a, ids, 1, 1, NULL) :
	    ec2_create_tags(a, ids, 1, &tag, 1, 1);
	if (e != NULL && str_prefix(aws_last_code(a), "InvalidInstanceID")) {
		*unverified = 1;
		e = NULL;
	}
	return e;
}

static void
check_ec2(struct doctor *d)
{
	const struct error	*e;
	struct scaler		 sc;
	struct scaler_opts	 so;
	struct ec2_instances	 in = EC2_INSTANCES_INIT;
	const char		*id = "i-0000000000000000f";
	char			 target[96];
	size_t			 i, n = 0;
	int			 unverified = 0;

	if (d->aws == NULL) {
		skip(d, C_EC2, "no AWS settings");
		return;
	}
	if (!config_is_set(&d->ctx->cfg, K_EC2_AMI_ID) &&
	    !config_is_set(&d->ctx->cfg, K_EC2_LAUNCH_TEMPLATE)) {
		skip(d, C_EC2, "neither EC2_AMI_ID nor EC2_LAUNCH_TEMPLATE is "
		    "set: ghrctl launches nothing here (metric only)");
		return;
	}
	if (!ok(d, C_AWSCRED)) {
		skip(d, C_EC2, "needs working AWS credentials");
		return;
	}
	memset(&so, 0, sizeof(so));
	if ((e = scaler_open(d->ctx, &d->as, &so, &sc)) != NULL) {
		fail_err(d, C_EC2, e, "fix the EC2_* setting named above "
		    "('ghrctl config --keys')");
		scaler_close(&sc);
		return;
	}
	if ((e = ec2_check_permissions(sc.aws, &sc.launch, &n)) != NULL) {
		fail(d, C_EC2, e->class, e->class == ERR_PERM ? EC2_REMEDY :
		    e->class == ERR_FAIL ? "fix the launch setting EC2 refused "
		    "(AMI, subnet, security group, instance type, template)" :
		    net_remedy(e), "DryRun %s: %s", n == 0 ? "RunInstances" :
		    "DescribeInstances", e->msg);
		goto out;
	}
	/* An instance of ours to aim the DryRuns at, when there is one. */
	if (d->as.scale_set_id > 0 && ec2_describe_scale_set(sc.aws,
	    d->as.scale_set_id, &in) == NULL)
		for (i = 0; i < in.n; i++)
			if (ec2_state_live(in.v[i].state)) {
				id = in.v[i].id;
				break;
			}
	(void)snprintf(target, sizeof(target), "%s", id);
	if ((e = dry_action(sc.aws, 1, target, &unverified)) != NULL ||
	    (e = dry_action(sc.aws, 0, target, &unverified)) != NULL) {
		fail(d, C_EC2, e->class, e->class == ERR_PERM ? EC2_REMEDY :
		    net_remedy(e), "DryRun on %s: %s", target, e->msg);
		goto out;
	}
	pass(d, C_EC2, "DryRun allows RunInstances, DescribeInstances%s",
	    unverified ? "; TerminateInstances and CreateTags unverified (no "
	    "instance of the scale set to aim at)" :
	    ", TerminateInstances, CreateTags");
out:
	ec2_instances_release(&in);
	scaler_close(&sc);
}

/* ------------------------------------------------------------------ */

/* Existing state files must not be readable by others. */
static int
loose_file(const char *dir, char *bad, size_t size)
{
	DIR		*dp;
	struct dirent	*de;
	struct stat	 sb;
	char		 p[1024];
	int		 found = 0;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while (!found && (de = readdir(dp)) != NULL) {
		if (!str_prefix(de->d_name, "scaleset-"))
			continue;
		(void)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (sb.st_mode & 077) != 0) {
			(void)snprintf(bad, size, "%s is mode %04o", p,
			    (unsigned int)(sb.st_mode & 07777));
			found = 1;
		}
	}
	closedir(dp);
	return found;
}

static void
check_state(struct doctor *d)
{
	const struct error	*e;
	struct state_file	 sf = STATE_FILE_INIT;
	struct state		 st;
	struct stat		 sb;
	char			 dir[512], name[64], bad[1100];
	static const char	 remedy[] = "set GHRCTL_STATE_DIR (--state-dir) "
	    "to a directory this user can write (systemd: StateDirectory=)";

	if ((e = state_dir(&d->ctx->cfg, dir, sizeof(dir))) != NULL) {
		fail_err(d, C_STATE, e, remedy);
		return;
	}
	(void)snprintf(name, sizeof(name), "ghrctl-doctor-%ld",
	    (long)getpid());
	state_init(&st);
	if ((e = state_open(dir, name, STATE_LOCK_NOWAIT, NULL, &sf)) != NULL ||
	    (e = state_save(&sf, &st, (int64_t)time(NULL))) != NULL) {
		fail_err(d, C_STATE, e, remedy);
		goto out;
	}
	if (stat(sf.path, &sb) == -1) {
		fail_err(d, C_STATE, error_errno("cannot stat", sf.path),
		    remedy);
		goto out;
	}
	if ((sb.st_mode & 07777) != 0600) {
		fail(d, C_STATE, ERR_PERM, "report a bug: state files must be "
		    "0600", "a new state file got mode %04o, not 0600",
		    (unsigned int)(sb.st_mode & 07777));
		goto out;
	}
	if (loose_file(dir, bad, sizeof(bad))) {
		fail(d, C_STATE, ERR_PERM, "chmod 600 the file: it holds a "
		    "session token", "%s, readable by others", bad);
		goto out;
	}
	pass(d, C_STATE, "%s is writable; state files are created 0600 and "
	    "locked", dir);
out:
	if (sf.lock_fd != -1) {
		(void)state_remove(&sf);
		(void)unlink(sf.lock_path);
	}
	state_close(&sf);
	state_release(&st);
}

/* ------------------------------------------------------------------ */

static const char *
status_word(enum chk_status s)
{
	switch (s) {
	case CHK_PASS:
		return "ok";
	case CHK_FAIL:
		return "FAIL";
	default:
		return "skip";
	}
}

static const char *
status_json(enum chk_status s)
{
	switch (s) {
	case CHK_PASS:
		return "pass";
	case CHK_FAIL:
		return "fail";
	default:
		return "skip";
	}
}

/* The first failed check, or -1. */
static int
first_failure(const struct doctor *d)
{
	int	 i;

	for (i = 0; i < C_N; i++)
		if (d->c[i].status == CHK_FAIL)
			return i;
	return -1;
}

/*
 * The checks through the table printer (out.h), cut to the terminal
 * unless a check failed: a failure's detail and its remedy (on the row
 * under it, "fix: ...") are what the reader needs whole, so they wrap.
 */
static const struct error *
print_table(const struct doctor *d)
{
	static const struct out_col cols[] = {
		{ "STATUS", "status", OUT_STR, 0 },
		{ "CHECK", "check", OUT_STR, 0 },
		{ "DETAIL", "detail", OUT_STR, 0 }
	};
	const struct error	*e;
	const struct check	*c;
	const char		*cell[3];
	struct out		*t = out_new(OUT_TABLE, cols, 3, 0);
	char			 fix[sizeof(c->remedy) + 8];
	int			 i;

	if (first_failure(d) >= 0)
		out_set_width(t, 0);
	for (i = 0; i < C_N; i++) {
		c = &d->c[i];
		cell[0] = status_word(c->status);
		cell[1] = chk_names[i];
		cell[2] = c->detail;
		out_row(t, cell);
		if (c->status != CHK_FAIL || c->remedy[0] == '\0')
			continue;
		(void)snprintf(fix, sizeof(fix), "fix: %s", c->remedy);
		cell[0] = cell[1] = "";
		cell[2] = fix;
		out_row(t, cell);
	}
	e = out_end(t);
	out_free(t);
	return e;
}

static const struct error *
print_results(const struct doctor *d)
{
	const struct error	*e = NULL;
	const struct check	*c;
	cJSON			*o, *a, *it;
	char			*s;
	int			 i, np = 0, nf = 0, ns = 0, first;
	struct error		 tmp;

	first = first_failure(d);
	for (i = 0; i < C_N; i++) {
		np += d->c[i].status == CHK_PASS;
		nf += d->c[i].status == CHK_FAIL;
		ns += d->c[i].status == CHK_SKIP;
	}
	memset(&tmp, 0, sizeof(tmp));
	tmp.class = first >= 0 ? d->c[first].class : 0;
	if (d->fmt == OUT_JSON) {
		o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", nf == 0);
		cJSON_AddNumberToObject(o, "exitStatus", first >= 0 ?
		    error_exit_status(&tmp) : 0);
		a = cJSON_AddArrayToObject(o, "checks");
		for (i = 0; i < C_N; i++) {
			c = &d->c[i];
			it = cJSON_CreateObject();
			cJSON_AddStringToObject(it, "check", chk_names[i]);
			cJSON_AddStringToObject(it, "status",
			    status_json(c->status));
			cJSON_AddStringToObject(it, "detail", c->detail);
			if (c->status == CHK_FAIL)
				cJSON_AddStringToObject(it, "remedy",
				    c->remedy);
			cJSON_AddItemToArray(a, it);
		}
		if ((s = cJSON_PrintUnformatted(o)) == NULL)
			e = error_fmt(ERR_SOFTWARE, "doctor: out of memory");
		else {
			printf("%s\n", s);
			cJSON_free(s);
		}
		cJSON_Delete(o);
	} else {
		e = print_table(d);
		printf("%d passed, %d failed, %d skipped\n", np, nf, ns);
	}
	if (e == NULL && first >= 0)
		e = error_fmt(d->c[first].class, "%d check%s failed, first "
		    "'%s'", nf, nf == 1 ? "" : "s", chk_names[first]);
	return e;
}

static const struct error *
cmd_doctor(struct ctx *ctx, int argc, char *argv[])
{
	const struct error	*e, *rerr = NULL;
	struct doctor		 d;

	memset(&d, 0, sizeof(d));
	d.ctx = ctx;
	cmd_as_init(&d.as);
	if ((e = cmd_parse(ctx, ctx->cmd, &argc, &argv, doctor_opt, &d)) !=
	    NULL) {
		if (e->class == ERR_USAGE)
			return e;
		rerr = e;	/* the configuration did not resolve: report */
	}
	if (ctx->done)
		return NULL;
	if (argc > 0)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[0]);
	check_config(&d, rerr);
	check_dns(&d);
	check_tls(&d);
	check_token(&d);
	check_actions(&d);
	check_scale_set(&d);
	if (rerr != NULL) {
		skip(&d, C_REGION, "needs a valid configuration");
		skip(&d, C_AWSCRED, "needs a valid configuration");
	} else
		check_aws(&d);
	check_ec2(&d);
	check_cloudwatch(&d);
	if (rerr != NULL)
		skip(&d, C_STATE, "needs a valid configuration");
	else
		check_state(&d);
	e = print_results(&d);
	aws_free(d.aws);
	cmd_as_close(&d.as);
	return e;
}

const struct cmd cmd_doctor_def = {
	"doctor", cmd_doctor, "doctor [-o table|json]",
	"check configuration, credentials, permissions and connectivity",
	doctor_opts, NULL
};
