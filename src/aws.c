/*
 * SPDX-License-Identifier: ISC
 *
 * AWS plumbing shared by ec2.c and cloudwatch.c: the credential chain in
 * the SDKs' order (environment, shared credentials and config files,
 * container endpoint, IMDSv2 instance role), the region, service endpoints
 * with the SDKs' AWS_ENDPOINT_URL[_<SERVICE>] overrides and partition
 * suffixes, SigV4 signing (sigv4.c), standard-mode retries through call.c
 * and AWS error replies turned into "Code: Message (RequestID id)".
 * Facts: IAM User Guide "Create a signed AWS API request" (SigV4), the
 * Amazon EC2 API Reference "Error codes for the Amazon EC2 API", the AWS
 * SDKs and Tools Reference Guide "Retry behavior", "Service-specific
 * endpoints" and "Shared config and credentials files", and the CloudWatch
 * API Reference PutMetricData.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"

#include "aws.h"
#include "buf.h"
#include "call.h"
#include "config.h"
#include "imds.h"
#include "json.h"
#include "log.h"
#include "pace.h"
#include "metrics.h"
#include "sigv4.h"
#include "url.h"
#include "util.h"
#include "xml.h"

#define AWS_MAX_FILE		(1u << 20)	/* shared config/credentials file */
#define AWS_CONTAINER_HOST	"http://169.254.170.2"
#define AWS_CONTAINER_TIMEOUT_MS 5000
#define AWS_RETRY_BASE_MS	1000
#define AWS_RETRY_CAP_MS	20000
#define AWS_DEF_ATTEMPTS	3
#define AWS_MAX_ATTEMPTS_LIMIT	10
#define AWS_CALL_BUDGET_MS	120000	/* one call with its retries */
#define AWS_CONTENT_TYPE	"application/x-www-form-urlencoded; charset=utf-8"

struct aws_creds {
	char		*access_key;
	char		*secret_key;	/* secret */
	char		*token;		/* secret, may be NULL */
	int64_t		 expires;	/* unix seconds; 0: never */
	char		 source[192];
};

struct aws {
	const struct config	*cfg;
	struct http_client	*http;
	char *const		*envp;
	char			*endpoint_url;
	char			 region[64];
	struct imds		*imds;
	struct aws_creds	 creds;
	int			 have_creds;
	char			 profile[128];
	int			 profile_explicit;
	char			*cred_text;	/* shared credentials file */
	char			*conf_text;	/* shared config file */
	char			 cred_path[512];
	char			 conf_path[512];
	int			 files_loaded;
	char			 last_code[128];	/* see aws_last_code() */
	struct pace		*pace;		/* EC2's buckets; NULL: none */
	char			 pace_key[URL_MAX_HOST + 16];
};

/*
 * An AWS variable: the names the config table knows (AWS_ACCESS_KEY_ID,
 * AWS_PROFILE, ...) come from the resolved configuration (flag, then
 * environment, then config file); the others from the environment.
 */
static const char *
envget(const struct aws *a, const char *name)
{
	char *const	*e;
	size_t		 n = strlen(name);
	const char	*v;
	int		 k;

	if (a->cfg != NULL && (k = config_key_find(name)) != -1) {
		v = config_str(a->cfg, (enum cfg_key)k);
		return v != NULL && *v != '\0' ? v : NULL;
	}
	if (a->envp == NULL)
		return NULL;
	for (e = a->envp; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return (*e)[n + 1] != '\0' ? *e + n + 1 : NULL;
	return NULL;
}

static int
env_true(const struct aws *a, const char *name)
{
	const char	*v = envget(a, name);

	return v != NULL && str_ieq(v, "true");
}

static void
creds_release(struct aws_creds *c)
{
	free(c->access_key);
	secret_free(c->secret_key);
	secret_free(c->token);
	memset(c, 0, sizeof(*c));
}

/* see aws.h */
const struct error *
aws_new(const struct config *cfg, struct http_client *http,
    char *const *envp, const char *endpoint_url, struct aws **out)
{
	struct aws	*a;
	const char	*p;

	a = xcalloc(1, sizeof(*a));
	a->cfg = cfg;
	a->http = http;
	a->envp = envp;
	if (endpoint_url != NULL && *endpoint_url != '\0')
		a->endpoint_url = xstrdup(endpoint_url);
	if ((p = envget(a, "AWS_PROFILE")) != NULL ||
	    (p = envget(a, "AWS_DEFAULT_PROFILE")) != NULL)
		a->profile_explicit = 1;
	else
		p = "default";
	if (str_copy(a->profile, sizeof(a->profile), p) != NULL ||
	    strpbrk(p, "[]\r\n") != NULL) {
		aws_free(a);
		*out = NULL;
		return error_fmt(ERR_CONFIG, "AWS_PROFILE '%.60s' is not a "
		    "valid profile name", p);
	}
	*out = a;
	return NULL;
}

/* see aws.h */
void
aws_free(struct aws *a)
{
	if (a == NULL)
		return;
	creds_release(&a->creds);
	pace_free(a->pace);
	imds_free(a->imds);
	free(a->endpoint_url);
	free(a->cred_text);
	free(a->conf_text);
	free(a);
}

/* see aws.h */
const char *
aws_last_code(const struct aws *a)
{
	return a->last_code;
}

/* Read a small text file; NULL with no error when it does not exist. */
static const struct error *
read_text(const char *path, char **out)
{
	struct buf		 b = BUF_INIT(AWS_MAX_FILE);
	const struct error	*e = NULL;
	char			 chunk[4096];
	ssize_t			 n;
	int			 fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? NULL : error_errno("cannot open", path);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			e = error_errno("cannot read", path);
			break;
		}
		if ((e = buf_add(&b, chunk, (size_t)n)) != NULL) {
			e = error_fmt(ERR_CONFIG, "%s: larger than %u bytes",
			    path, AWS_MAX_FILE);
			break;
		}
	}
	close(fd);
	if (e == NULL)
		*out = b.p != NULL ? buf_detach(&b, NULL) : xstrdup("");
	buf_release(&b);
	return e;
}

static const struct error *
load_files(struct aws *a)
{
	const struct error	*e;
	const char		*p, *home = envget(a, "HOME");

	if (a->files_loaded)
		return NULL;
	if ((p = envget(a, "AWS_SHARED_CREDENTIALS_FILE")) != NULL)
		e = str_copy(a->cred_path, sizeof(a->cred_path), p);
	else if (home != NULL)
		e = str_fmt(a->cred_path, sizeof(a->cred_path),
		    "%s/.aws/credentials", home);
	else
		e = NULL;
	if (e != NULL)
		return e;
	if ((p = envget(a, "AWS_CONFIG_FILE")) != NULL)
		e = str_copy(a->conf_path, sizeof(a->conf_path), p);
	else if (home != NULL)
		e = str_fmt(a->conf_path, sizeof(a->conf_path),
		    "%s/.aws/config", home);
	if (e != NULL)
		return e;
	if (a->cred_path[0] != '\0' &&
	    (e = read_text(a->cred_path, &a->cred_text)) != NULL)
		return e;
	if (a->conf_path[0] != '\0' &&
	    (e = read_text(a->conf_path, &a->conf_text)) != NULL)
		return e;
	a->files_loaded = 1;
	return NULL;
}

static void
trim(char **s, char **end)
{
	while (*s < *end && (**s == ' ' || **s == '\t' || **s == '\r'))
		(*s)++;
	while (*end > *s && ((*end)[-1] == ' ' || (*end)[-1] == '\t' ||
	    (*end)[-1] == '\r'))
		(*end)--;
}

/* see aws.h */
int
aws_ini_get(const char *text, const char *section, const char *key,
    char *out, size_t size, int *have_section)
{
	const char	*line, *nl;
	char		*s, *end, *eq, *k, *kend;
	int		 in = 0, found = 0;
	size_t		 n;
	char		 tmp[1024];

	if (have_section != NULL)
		*have_section = 0;
	if (text == NULL)
		return 0;
	for (line = text; *line != '\0' && !found; line = *nl ? nl + 1 : nl) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		n = (size_t)(nl - line);
		if (n >= sizeof(tmp))
			continue;
		memcpy(tmp, line, n);
		tmp[n] = '\0';
		/* Indented lines are sub-settings (services sections). */
		if (tmp[0] == ' ' || tmp[0] == '\t')
			continue;
		s = tmp;
		end = tmp + n;
		trim(&s, &end);
		*end = '\0';
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if (end[-1] != ']')
				continue;
			s++;
			end--;
			trim(&s, &end);
			*end = '\0';
			in = strcmp(s, section) == 0;
			if (in && have_section != NULL)
				*have_section = 1;
			continue;
		}
		if (!in || (eq = strchr(s, '=')) == NULL)
			continue;
		k = s;
		kend = eq;
		trim(&k, &kend);
		*kend = '\0';
		if (strcmp(k, key) != 0)
			continue;
		s = eq + 1;
		trim(&s, &end);
		*end = '\0';
		if (str_copy(out, size, s) == NULL)
			found = 1;
	}
	return found;
}

/* Look key up in the profile: credentials file first, then config file. */
static int
profile_get(struct aws *a, const char *key, char *out, size_t size,
    int creds_file, const char **file)
{
	char	 sect[160];
	int	 have;

	if (creds_file) {
		*file = a->cred_path;
		return aws_ini_get(a->cred_text, a->profile, key, out, size,
		    &have);
	}
	*file = a->conf_path;
	if (strcmp(a->profile, "default") == 0 &&
	    aws_ini_get(a->conf_text, "default", key, out, size, &have))
		return 1;
	snprintf(sect, sizeof(sect), "profile %s", a->profile);
	return aws_ini_get(a->conf_text, sect, key, out, size, &have);
}

static int
profile_exists(struct aws *a)
{
	char	 sect[160], dummy[4];
	int	 h1, h2, h3;

	snprintf(sect, sizeof(sect), "profile %s", a->profile);
	(void)aws_ini_get(a->cred_text, a->profile, "", dummy, sizeof(dummy),
	    &h1);
	(void)aws_ini_get(a->conf_text, sect, "", dummy, sizeof(dummy), &h2);
	(void)aws_ini_get(a->conf_text, a->profile, "", dummy, sizeof(dummy),
	    &h3);
	return h1 || h2 || (h3 && strcmp(a->profile, "default") == 0);
}

static const struct error *
imds_client(struct aws *a, struct imds **out)
{
	const struct error	*e;

	if (env_true(a, "AWS_EC2_METADATA_DISABLED"))
		return error_fmt(ERR_CONFIG, "instance metadata is disabled "
		    "(AWS_EC2_METADATA_DISABLED=true)");
	if (a->imds == NULL && (e = imds_new(a->http,
	    envget(a, "AWS_EC2_METADATA_SERVICE_ENDPOINT"), &a->imds)) != NULL)
		return e;
	*out = a->imds;
	return NULL;
}

static void
set_creds(struct aws *a, const char *ak, const char *sk, const char *tok,
    int64_t expires, const char *fmt, const char *arg)
{
	/* Replaced credentials leave the log mask (log.h). */
	log_secret_forget(a->creds.secret_key);
	log_secret_forget(a->creds.token);
	creds_release(&a->creds);
	a->creds.access_key = xstrdup(ak);
	a->creds.secret_key = xstrdup(sk);
	a->creds.token = tok != NULL && *tok != '\0' ? xstrdup(tok) : NULL;
	a->creds.expires = expires;
	snprintf(a->creds.source, sizeof(a->creds.source), fmt, arg);
	log_secret(a->creds.secret_key);
	if (a->creds.token != NULL)
		log_secret(a->creds.token);
	a->have_creds = 1;
	log_debug("aws: credentials from %s (access key %s)", a->creds.source,
	    a->creds.access_key);
}

static const struct error *
creds_env(struct aws *a, int *found)
{
	const char	*ak = envget(a, "AWS_ACCESS_KEY_ID");
	const char	*sk = envget(a, "AWS_SECRET_ACCESS_KEY");
	const char	*tok = envget(a, "AWS_SESSION_TOKEN");

	*found = 0;
	if (ak == NULL && sk == NULL)
		return NULL;
	if (ak == NULL || sk == NULL)
		return error_fmt(ERR_CONFIG, "%s is set but %s is not",
		    ak != NULL ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    ak != NULL ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	if (tok == NULL)
		tok = envget(a, "AWS_SECURITY_TOKEN");
	set_creds(a, ak, sk, tok, 0, "%s", "env AWS_ACCESS_KEY_ID");
	*found = 1;
	return NULL;
}

static const struct error *
creds_files(struct aws *a, int *found)
{
	char		 ak[256], sk[256], tok[4096], src[700];
	const char	*file;
	int		 f;

	*found = 0;
	for (f = 1; f >= 0; f--) {
		if (!profile_get(a, "aws_access_key_id", ak, sizeof(ak), f,
		    &file))
			continue;
		if (!profile_get(a, "aws_secret_access_key", sk, sizeof(sk), f,
		    &file))
			return error_fmt(ERR_CONFIG, "profile '%s' in %s has "
			    "aws_access_key_id but no aws_secret_access_key",
			    a->profile, file);
		if (!profile_get(a, "aws_session_token", tok, sizeof(tok), f,
		    &file) && !profile_get(a, "aws_security_token", tok,
		    sizeof(tok), f, &file))
			tok[0] = '\0';
		snprintf(src, sizeof(src), "profile %s in %s", a->profile,
		    file);
		set_creds(a, ak, sk, tok, 0, "%s", src);
		wipe(sk, sizeof(sk));
		wipe(tok, sizeof(tok));
		*found = 1;
		return NULL;
	}
	if (a->profile_explicit && !profile_exists(a))
		return error_fmt(ERR_CONFIG, "AWS profile '%s' not found in %s "
		    "or %s (AWS_PROFILE)", a->profile,
		    a->cred_path[0] ? a->cred_path : "~/.aws/credentials",
		    a->conf_path[0] ? a->conf_path : "~/.aws/config");
	return NULL;
}

static const struct error *
container_auth(struct aws *a, char **out)
{
	const struct error	*e;
	const char		*p;
	size_t			 n;

	*out = NULL;
	if ((p = envget(a, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) != NULL) {
		if ((e = read_text(p, out)) != NULL)
			return e;
		if (*out == NULL)
			return error_fmt(ERR_CONFIG, "%s: no such file "
			    "(AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)", p);
		n = strlen(*out);
		while (n > 0 && ((*out)[n - 1] == '\n' || (*out)[n - 1] == '\r'))
			(*out)[--n] = '\0';
	} else if ((p = envget(a, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) != NULL)
		*out = xstrdup(p);
	if (*out != NULL && strpbrk(*out, "\r\n") != NULL) {
		secret_free(*out);
		*out = NULL;
		return error_fmt(ERR_CONFIG, "container authorization token "
		    "holds a line break");
	}
	if (*out != NULL)
		log_secret(*out);
	return NULL;
}

static const struct error *
container_parse(struct aws *a, const struct http_resp *r, const char *url)
{
	cJSON			*j = NULL;
	const struct error	*e;
	const char		*ak, *sk, *tok = NULL, *exp = NULL;
	int64_t			 t = 0;

	if ((e = json_parse(r->body, r->body_len, "container credentials",
	    &j)) != NULL)
		return e;
	if ((e = json_want_object(j, "container credentials")) != NULL ||
	    (e = json_get_str(j, "AccessKeyId", &ak)) != NULL ||
	    (e = json_get_str(j, "SecretAccessKey", &sk)) != NULL ||
	    (e = json_opt_str(j, "Token", &tok)) != NULL ||
	    (e = json_opt_str(j, "Expiration", &exp)) != NULL)
		goto out;
	if (exp != NULL && parse_rfc3339(exp, &t) == -1) {
		e = error_fmt(ERR_PROTO, "container credentials: bad "
		    "Expiration '%.40s'", exp);
		goto out;
	}
	set_creds(a, ak, sk, tok, t, "container endpoint %s", url);
out:
	cJSON_Delete(j);
	return e;
}

static const struct error *
creds_container(struct aws *a, int *found)
{
	const struct error	*e;
	const char		*rel, *full;
	char			 url[1024];
	char			*auth = NULL;
	struct http_header	 h[1];
	struct http_req		 req;
	struct http_resp	 resp = HTTP_RESP_INIT;
	struct retry_policy	 pol = { 3, 200, 1000, 10000 };

	*found = 0;
	rel = envget(a, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	full = envget(a, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
	if (rel == NULL && full == NULL)
		return NULL;
	if (rel != NULL)
		e = str_fmt(url, sizeof(url), "%s%s", AWS_CONTAINER_HOST, rel);
	else
		e = str_copy(url, sizeof(url), full);
	if (e != NULL || (e = container_auth(a, &auth)) != NULL)
		return e;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	if (auth != NULL) {
		h[0].name = "Authorization";
		h[0].value = auth;
		h[0].secret = 1;
		req.headers = h;
		req.nheaders = 1;
	}
	req.total_timeout_ms = AWS_CONTAINER_TIMEOUT_MS;
	req.max_body = IMDS_MAX_BODY;
	req.no_redirect = 1;
	req.direct = 1;		/* credentials: never through a proxy */
	if ((e = call_do(a->http, &req, &pol, NULL, NULL, &resp)) != NULL) {
		e = error_wrap(e, "container credentials from %s", url);
		goto out;
	}
	if (resp.status != 200) {
		e = error_http(resp.status == 401 || resp.status == 403 ?
		    ERR_PERM : ERR_UNAVAIL, resp.status, "container credentials "
		    "from %s: HTTP %d%s", url, resp.status, resp.status == 401 ||
		    resp.status == 403 ? " (check AWS_CONTAINER_AUTHORIZATION_"
		    "TOKEN[_FILE])" : "");
		goto out;
	}
	if ((e = container_parse(a, &resp, url)) == NULL)
		*found = 1;
out:
	http_resp_release(&resp);
	secret_free(auth);
	return e;
}

static const struct error *
creds_imds(struct aws *a)
{
	const struct error	*e;
	struct imds		*m;
	struct imds_creds	 c;

	if ((e = imds_client(a, &m)) != NULL)
		return e;
	if ((e = imds_credentials(m, &c)) != NULL)
		return e;
	set_creds(a, c.access_key, c.secret_key, c.token, c.expiration,
	    "instance role %s (IMDS)", c.role);
	imds_creds_release(&c);
	return NULL;
}

static int
creds_fresh(const struct aws *a)
{
	if (!a->have_creds)
		return 0;
	return a->creds.expires == 0 ||
	    (int64_t)time(NULL) + AWS_CRED_REFRESH_S < a->creds.expires;
}

/* see aws.h */
const struct error *
aws_credentials(struct aws *a, const char **source)
{
	const struct error	*e;
	int			 found;

	if (!creds_fresh(a)) {
		if (a->have_creds)
			log_debug("aws: credentials from %s expire at %lld; "
			    "refreshing", a->creds.source,
			    (long long)a->creds.expires);
		if ((e = creds_env(a, &found)) != NULL)
			return e;
		if (!found && (e = load_files(a)) != NULL)
			return e;
		if (!found && (e = creds_files(a, &found)) != NULL)
			return e;
		if (!found && (e = creds_container(a, &found)) != NULL)
			return e;
		if (!found && (e = creds_imds(a)) != NULL)
			return error_fmt(e->class == ERR_CONFIG ? ERR_CONFIG :
			    e->class, "no AWS credentials (tried "
			    "AWS_ACCESS_KEY_ID, profile '%s', container, "
			    "instance role): %s", a->profile, e->msg);
	}
	if (source != NULL)
		*source = a->creds.source;
	return NULL;
}

static int
region_ok(const char *r)
{
	size_t	 i;

	for (i = 0; r[i] != '\0'; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' &&
		    r[i] <= '9') || r[i] == '-'))
			return 0;
	return i > 0 && i < 64;
}

/* see aws.h */
const struct error *
aws_region(struct aws *a, const char **out)
{
	const struct error	*e;
	const char		*p, *file, *from = NULL;
	char			 buf[64];
	struct imds		*m;

	if (a->region[0] != '\0') {
		*out = a->region;
		return NULL;
	}
	if ((p = config_str(a->cfg, K_AWS_REGION)) != NULL && *p != '\0')
		from = "AWS_REGION";
	else if ((p = envget(a, "AWS_DEFAULT_REGION")) != NULL)
		from = "AWS_DEFAULT_REGION";
	else {
		if ((e = load_files(a)) != NULL)
			return e;
		if (profile_get(a, "region", buf, sizeof(buf), 0, &file)) {
			p = buf;
			from = file;
		} else if (imds_client(a, &m) == NULL &&
		    (e = imds_region(m, buf, sizeof(buf))) == NULL) {
			p = buf;
			from = "instance metadata";
		} else
			return error_fmt(ERR_CONFIG, "no AWS region: set "
			    "--region or AWS_REGION, or region in profile "
			    "'%s'", a->profile);
	}
	if (!region_ok(p))
		return error_fmt(ERR_CONFIG, "AWS region '%.60s' (from %s) is "
		    "not valid", p, from);
	(void)str_copy(a->region, sizeof(a->region), p);
	log_debug("aws: region %s (from %s)", a->region, from);
	*out = a->region;
	return NULL;
}

/* see aws.h */
const char *
aws_partition_suffix(const char *region)
{
	if (str_prefix(region, "cn-"))
		return "amazonaws.com.cn";
	if (str_prefix(region, "us-isob-"))
		return "sc2s.sgov.gov";
	if (str_prefix(region, "us-iso-"))
		return "c2s.ic.gov";
	return "amazonaws.com";	/* aws and aws-us-gov */
}

/* see aws.h */
const struct error *
aws_endpoint(struct aws *a, const struct aws_service *svc, struct buf *out)
{
	const struct error	*e;
	const char		*p = a->endpoint_url, *region;
	size_t			 start = out->len;

	if (p == NULL && !env_true(a, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
		if ((p = envget(a, svc->env)) == NULL)
			p = envget(a, "AWS_ENDPOINT_URL");
	}
	if (p != NULL) {
		if (!str_prefix(p, "https://") && !str_prefix(p, "http://"))
			return error_fmt(ERR_CONFIG, "%s endpoint '%.100s' is "
			    "not an http(s) URL", svc->name, p);
		if ((e = buf_adds(out, p)) != NULL)
			return e;
		while (out->len > start && out->p[out->len - 1] == '/')
			out->p[--out->len] = '\0';
		return NULL;
	}
	if ((e = aws_region(a, &region)) != NULL)
		return e;
	return buf_addf(out, "https://%s.%s.%s", svc->prefix, region,
	    aws_partition_suffix(region));
}

static const char *const throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottledException", "TooManyRequestsException",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded",
	"BandwidthLimitExceeded", "LimitExceededException",
	"RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException", NULL
};

static const char *const transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException",
	"PriorRequestNotComplete", "InternalError", "InternalFailure",
	"InternalServiceError", "ServiceUnavailable", NULL
};

static const char *const perm_codes[] = {
	"AuthFailure", "SignatureDoesNotMatch", "InvalidClientTokenId",
	"ExpiredToken", "UnauthorizedOperation", "AccessDenied",
	"AccessDeniedException", "MissingAuthenticationToken",
	"IncompleteSignature", "RequestExpired", "OptInRequired", NULL
};

/* see aws.h */
int
aws_code_throttling(const char *code)
{
	return str_in_list(throttle_codes, code);
}

/* see aws.h */
int
aws_code_transient(const char *code)
{
	return str_in_list(transient_codes, code);
}

static void
copy_clean(char *dst, size_t size, const char *src)
{
	size_t	 i, n = 0;

	for (i = 0; src != NULL && src[i] != '\0' && n + 1 < size; i++)
		dst[n++] = (unsigned char)src[i] < 0x20 ? ' ' : src[i];
	dst[n] = '\0';
}

static void
error_parse_json(const char *body, size_t len, struct aws_error_info *ei)
{
	cJSON		*j = NULL;
	const char	*t = NULL, *m = NULL, *h;

	if (json_parse(body, len, "error", &j) != NULL)
		return;
	if (cJSON_IsObject(j)) {
		if (json_opt_str(j, "__type", &t) == NULL && t != NULL) {
			if ((h = strrchr(t, '#')) != NULL)
				t = h + 1;
			copy_clean(ei->code, sizeof(ei->code), t);
		}
		if ((json_opt_str(j, "message", &m) != NULL || m == NULL))
			(void)json_opt_str(j, "Message", &m);
		copy_clean(ei->message, sizeof(ei->message), m);
	}
	cJSON_Delete(j);
}

/* see aws.h */
void
aws_error_parse(const char *body, size_t len, const char *query_error,
    struct aws_error_info *ei)
{
	struct xml_doc	 d = XML_DOC_INIT;
	size_t		 i = 0;
	const char	*s;

	memset(ei, 0, sizeof(*ei));
	while (body != NULL && i < len && (body[i] == ' ' || body[i] == '\n' ||
	    body[i] == '\r' || body[i] == '\t'))
		i++;
	if (body != NULL && i < len && body[i] == '{')
		error_parse_json(body, len, ei);
	else if (body != NULL && len > 0 && xml_parse(body, len, &d) == NULL) {
		if ((s = xml_path_text(&d, -1, "Response/Errors/Error/Code")) !=
		    NULL) {
			copy_clean(ei->code, sizeof(ei->code), s);
			copy_clean(ei->message, sizeof(ei->message),
			    xml_path_text(&d, -1, "Response/Errors/Error/Message"));
			copy_clean(ei->request_id, sizeof(ei->request_id),
			    xml_path_text(&d, -1, "Response/RequestID"));
		} else if ((s = xml_path_text(&d, -1,
		    "ErrorResponse/Error/Code")) != NULL) {
			copy_clean(ei->code, sizeof(ei->code), s);
			copy_clean(ei->message, sizeof(ei->message),
			    xml_path_text(&d, -1, "ErrorResponse/Error/Message"));
			copy_clean(ei->request_id, sizeof(ei->request_id),
			    xml_path_text(&d, -1, "ErrorResponse/RequestId"));
		}
		xml_doc_release(&d);
	}
	/* awsQueryCompatible JSON replies carry the query code here. */
	if (query_error != NULL && *query_error != '\0') {
		i = strcspn(query_error, ";");
		if (i < sizeof(ei->code)) {
			memcpy(ei->code, query_error, i);
			ei->code[i] = '\0';
			copy_clean(ei->code, sizeof(ei->code), ei->code);
		}
	}
}

/* One signed query call in flight; the classifier re-signs retries. */
struct attempt {
	struct aws			*a;
	const struct aws_service	*svc;
	const char			*region;
	struct url			 u;
	struct buf			 host;
	const char			*body;
	size_t				 body_len;
	char				 date[SIGV4_DATE_LEN + 1];
	struct buf			 authz;
	struct http_header		 h[4];
	struct http_req			 req;
	const char			*action;
	struct pace			*pace;	/* NULL: not paced */
	int64_t				 deadline;	/* now_ms() clock */
};

static const struct error *
sign(struct attempt *at)
{
	struct aws		*a = at->a;
	struct sigv4_header	 sh[4];
	struct sigv4_req	 r;
	struct sigv4_cred	 c;
	struct buf		 creq = BUF_INIT(SIGV4_MAX_CREQ);
	struct buf		 sts = BUF_INIT(SIGV4_MAX_AUTHZ);
	const struct error	*e;
	size_t			 n = 0;
	char			*q;
	int			 dbg = log_enabled(LOG_DEBUG);

	/*
	 * Date and scope from one clock read (the scope's date must be
	 * X-Amz-Date's day: IAM User Guide "Create a signed AWS API request").
	 */
	sigv4_date(time(NULL), at->date);
	sh[n].name = "content-type";
	sh[n++].value = AWS_CONTENT_TYPE;
	sh[n].name = "host";
	sh[n++].value = at->host.p;
	sh[n].name = "x-amz-date";
	sh[n++].value = at->date;
	if (a->creds.token != NULL) {
		sh[n].name = "x-amz-security-token";
		sh[n++].value = a->creds.token;
	}
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = at->u.path;
	if ((q = strchr(at->u.path, '?')) != NULL) {
		*q = '\0';
		r.query = q + 1;
	}
	r.headers = sh;
	r.nheaders = n;
	r.body = at->body;
	r.body_len = at->body_len;
	c.access_key = a->creds.access_key;
	c.secret_key = a->creds.secret_key;
	c.region = at->region;
	c.service = at->svc->signing;
	buf_reset(&at->authz);
	e = sigv4_authorization(&r, &c, &at->authz, dbg ? &creq : NULL,
	    dbg ? &sts : NULL);
	if (q != NULL)
		*q = '?';
	if (e == NULL && dbg)
		log_debug("aws: canonical request:\n%s\nstring to sign:\n%s",
		    creq.p, sts.p);
	buf_release(&creq);
	buf_release(&sts);
	if (e != NULL)
		return e;
	n = 0;
	at->h[n].name = "Content-Type";
	at->h[n].value = AWS_CONTENT_TYPE;
	at->h[n++].secret = 0;
	at->h[n].name = "X-Amz-Date";
	at->h[n].value = at->date;
	at->h[n++].secret = 0;
	if (a->creds.token != NULL) {
		at->h[n].name = "X-Amz-Security-Token";
		at->h[n].value = a->creds.token;
		at->h[n++].secret = 1;
	}
	at->h[n].name = "Authorization";
	at->h[n].value = at->authz.p;
	at->h[n++].secret = 1;
	at->req.headers = at->h;
	at->req.nheaders = n;
	return NULL;
}

static enum call_verdict
classify(void *arg, const struct error *e, const struct http_resp *resp,
    int *wait_ms)
{
	struct attempt		*at = arg;
	struct aws_error_info	 ei;
	const char		*ra;
	int64_t			 v;
	int			 retry = 0;

	if (e == NULL && at->pace != NULL) {
		ei.code[0] = '\0';
		if (resp->status < 200 || resp->status >= 300)
			aws_error_parse(resp->body, resp->body_len,
			    http_resp_header(resp, "x-amzn-query-error"), &ei);
		pace_result(at->pace, at->action, ei.code);
	}
	if (e != NULL)
		retry = e->class == ERR_UNAVAIL || e->class == ERR_TEMP;
	else if (resp->status >= 200 && resp->status < 300)
		retry = 0;
	else if (resp->status == 500 || resp->status == 502 ||
	    resp->status == 503 || resp->status == 504) {
		/*
		 * EC2's "no capacity here" is a 500 that the caller answers
		 * with another pool or market ("Error codes for the
		 * Amazon EC2 API": InsufficientInstanceCapacity), not a retry.
		 */
		aws_error_parse(resp->body, resp->body_len,
		    http_resp_header(resp, "x-amzn-query-error"), &ei);
		retry = strcmp(ei.code, "InsufficientInstanceCapacity") != 0;
		if (aws_code_throttling(ei.code))
			metrics_throttled();
	} else {
		aws_error_parse(resp->body, resp->body_len,
		    http_resp_header(resp, "x-amzn-query-error"), &ei);
		retry = aws_code_throttling(ei.code) ||
		    aws_code_transient(ei.code);
		if (aws_code_throttling(ei.code))
			metrics_throttled();
	}
	if (!retry)
		return CALL_DONE;
	/* x-amz-retry-after: milliseconds, from the 2026 retry behaviour. */
	if (e == NULL && (ra = http_resp_header(resp, "x-amz-retry-after")) !=
	    NULL && parse_i64(ra, &v) == 0 && v >= 0)
		*wait_ms = (int)(v > AWS_RETRY_CAP_MS ? AWS_RETRY_CAP_MS : v);
	return CALL_RETRY;
}

/* Before each attempt: a retry is a new request, new X-Amz-Date, same body. */
static const struct error *
prepare(void *arg, int n)
{
	struct attempt		*at = arg;
	const struct error	*e;

	(void)n;
	if ((e = pace_acquire(at->pace, at->action, at->body,
	    at->deadline)) != NULL)
		return e;
	return sign(at);
}

static int
max_attempts(const struct aws *a)
{
	unsigned int	 n;
	const char	*p = envget(a, "AWS_MAX_ATTEMPTS");

	if (p != NULL && parse_uint(p, AWS_MAX_ATTEMPTS_LIMIT, &n) == 0 &&
	    n >= 1)
		return (int)n;
	return AWS_DEF_ATTEMPTS;
}

static const struct error *
reply_error(struct aws *a, const struct aws_service *svc, const char *action,
    const char *region, const struct http_resp *resp)
{
	struct aws_error_info	 ei;
	enum err_class		 cls;
	const char		*hint = "";

	aws_error_parse(resp->body, resp->body_len,
	    http_resp_header(resp, "x-amzn-query-error"), &ei);
	(void)str_copy(a->last_code, sizeof(a->last_code), ei.code);
	if (resp->status >= 500)
		cls = ERR_UNAVAIL;
	else if (aws_code_throttling(ei.code))
		cls = ERR_TEMP;
	else if (resp->status == 401 || resp->status == 403 ||
	    str_in_list(perm_codes, ei.code))
		cls = ERR_PERM;
	else
		cls = ERR_FAIL;
	/*
	 * SignatureDoesNotMatch also answers a request signed for a region
	 * the endpoint is not in ("Credential should be scoped to a valid
	 * region", AWS Signature Version 4 troubleshooting in the IAM User
	 * Guide) and one whose clock is off ("Signature expired"): a region
	 * typo is not a bad secret key.
	 */
	if (strcmp(ei.code, "SignatureDoesNotMatch") == 0) {
		if (strstr(ei.message, "scoped to a valid region") != NULL)
			hint = "; check AWS_REGION";
		else if (strstr(ei.message, "Signature expired") != NULL)
			hint = "; check the system clock";
		else
			hint = "; check the secret access key";
	}
	if (ei.code[0] == '\0')
		return error_http(cls == ERR_FAIL ? ERR_PROTO : cls,
		    resp->status, "%s %s in '%s' failed: HTTP %d with no AWS "
		    "error in the reply", svc->name, action, region,
		    resp->status);
	if (cls == ERR_PERM)
		return error_http(cls, resp->status, "%s %s in '%s' failed: "
		    "%s: %s (RequestID %s) (credentials from %s%s)", svc->name,
		    action, region, ei.code, ei.message, ei.request_id[0] ?
		    ei.request_id : "-", a->creds.source, hint);
	return error_http(cls, resp->status, "%s %s in '%s' failed: %s: %s "
	    "(RequestID %s)", svc->name, action, region, ei.code, ei.message,
	    ei.request_id[0] ? ei.request_id : "-");
}

static const struct error *
query_setup(struct aws *a, const struct aws_service *svc, const char *action,
    const char *form, struct attempt *at, struct buf *url, struct buf *body)
{
	const struct error	*e;

	if ((e = aws_credentials(a, NULL)) != NULL ||
	    (e = aws_region(a, &at->region)) != NULL ||
	    (e = aws_endpoint(a, svc, url)) != NULL)
		return e;
	if ((e = url_parse(url->p, &at->u)) != NULL)
		return e;
	/* Keep an endpoint's path prefix; the API itself lives at "/". */
	if (at->u.path[strlen(at->u.path) - 1] != '/' &&
	    (e = buf_addc(url, '/')) != NULL)
		return e;
	url_release(&at->u);
	if ((e = url_parse(url->p, &at->u)) != NULL ||
	    (e = url_hostport(&at->u, 0, &at->host)) != NULL)
		return e;
	if ((e = url_query_add(body, "Action", action)) != NULL ||
	    (e = url_query_add(body, "Version", svc->version)) != NULL)
		return e;
	if (form != NULL && *form != '\0' && ((e = buf_addc(body, '&')) !=
	    NULL || (e = buf_adds(body, form)) != NULL))
		return e;
	at->body = body->p;
	at->body_len = body->len;
	at->req.method = "POST";
	at->req.url = url->p;
	at->req.body = body->p;
	at->req.body_len = body->len;
	at->req.max_body = AWS_MAX_BODY;
	at->req.no_redirect = 1;
	return NULL;
}

/* see aws.h */
const struct error *
aws_reply_check(const struct aws_service *svc, const char *action,
    const char *body, size_t len, const char *ctype, struct xml_doc *d)
{
	const struct error	*e;
	char			 want[128], got[160];
	int			 r;

	if (svc->ns == NULL)
		return error_fmt(ERR_SOFTWARE, "aws: service %s has no reply "
		    "namespace", svc->name);
	snprintf(want, sizeof(want), "%sResponse", action);
	snprintf(got, sizeof(got), "not XML");
	if (xml_parse(body, len, d) == NULL &&
	    (r = xml_child(d, -1, NULL, -1)) != -1) {
		if (strcmp(d->v[r].name, want) == 0 &&
		    strcmp(xml_root_ns(d), svc->ns) == 0)
			return NULL;
		snprintf(got, sizeof(got), "<%.40s xmlns=\"%.80s\">",
		    d->v[r].name, xml_root_ns(d));
	}
	e = error_fmt(ERR_PROTO, "the reply is not <%s xmlns=\"%s\"> but "
	    "%s (Content-Type '%.60s'): is a proxy, or %s, answering for "
	    "%s?", want, svc->ns, got, ctype != NULL ? ctype : "", svc->env,
	    svc->name);
	xml_doc_release(d);
	return e;
}

/* The client's pacer (made on first use, keyed by the endpoint's host). */
static const struct error *
paced(struct aws *a, struct attempt *at)
{
	const struct error	*e;

	if (a->pace != NULL && strcmp(a->pace_key, at->host.p) == 0) {
		at->pace = a->pace;
		return NULL;
	}
	pace_free(a->pace);
	a->pace = NULL;
	if ((e = str_copy(a->pace_key, sizeof(a->pace_key), at->host.p)) !=
	    NULL || (e = pace_new(a->cfg, a->pace_key, &a->pace)) != NULL)
		return e;
	at->pace = a->pace;
	return NULL;
}

/* see aws.h */
const struct error *
aws_query_call(struct aws *a, const struct aws_service *svc,
    const char *action, const char *form, struct xml_doc *out)
{
	struct attempt		 at;
	struct buf		 url = BUF_INIT(4096);
	struct buf		 body = BUF_INIT(AWS_MAX_FORM);
	struct http_resp	 resp = HTTP_RESP_INIT;
	struct xml_doc		 d = XML_DOC_INIT;
	struct retry_policy	 pol;
	const struct error	*e;
	struct url		 u0 = URL_INIT;

	memset(&at, 0, sizeof(at));
	a->last_code[0] = '\0';
	at.a = a;
	at.svc = svc;
	at.u = u0;
	buf_init(&at.host, URL_MAX_HOST + 16);
	buf_init(&at.authz, SIGV4_MAX_AUTHZ);
	if ((e = query_setup(a, svc, action, form, &at, &url, &body)) != NULL)
		goto out;
	memset(&pol, 0, sizeof(pol));
	pol.max_attempts = max_attempts(a);
	pol.base_ms = AWS_RETRY_BASE_MS;
	pol.cap_ms = AWS_RETRY_CAP_MS;
	pol.total_ms = AWS_CALL_BUDGET_MS;
	at.action = action;
	/* A wait for a token stays within the call's whole budget. */
	at.deadline = now_ms() + AWS_CALL_BUDGET_MS;
	if (svc->paced && (e = paced(a, &at)) != NULL)
		goto out;
	log_debug("aws: %s %s at %s", svc->name, action, url.p);
	e = call_do_prepared(a->http, &at.req, &pol, prepare, classify, &at,
	    &resp);
	if (e != NULL) {
		e = error_wrap(e, "%s %s in '%s'", svc->name, action, at.region);
		goto out;
	}
	if (resp.status < 200 || resp.status >= 300) {
		e = reply_error(a, svc, action, at.region, &resp);
		goto out;
	}
	if ((e = aws_reply_check(svc, action, resp.body, resp.body_len,
	    http_resp_header(&resp, "content-type"), out != NULL ? out :
	    &d)) != NULL)
		e = error_wrap(e, "%s %s in '%s'", svc->name, action,
		    at.region);
out:
	xml_doc_release(&d);
	http_resp_release(&resp);
	url_release(&at.u);
	buf_release(&at.host);
	buf_release(&at.authz);
	buf_release(&url);
	buf_release(&body);
	return e;
}
