/*
 * SPDX-License-Identifier: ISC
 *
 * EC2 over the Query protocol: launch (RunInstances with a ClientToken per
 * attempt, options tried in order, spot then on-demand), describe (filters
 * and NextToken pagination), terminate (batches), tag, and DryRun
 * permission checks.  Wire facts: the Amazon EC2 API Reference pages
 * RunInstances, DescribeInstances, TerminateInstances, CreateTags and
 * "Query requests for Amazon EC2" (names such as TagSpecification.N and
 * Filter.N, base64 UserData, paging until nextToken is absent,
 * instanceState/name rather than a code, <item> nested in <item>) and
 * "Error codes for the Amazon EC2 API" (which codes mean "no capacity
 * here, try elsewhere").
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "b64.h"
#include "buf.h"
#include "ec2.h"
#include "log.h"
#include "sigv4.h"
#include "url.h"
#include "util.h"
#include "xml.h"

#define EC2_FORM_MAX	(256u << 10)
#define EC2_KEY_MAX	96

static const struct aws_service ec2_service = {
	"ec2", "AWS_ENDPOINT_URL_EC2", "ec2", "ec2", "2016-11-15",
	"http://ec2.amazonaws.com/doc/2016-11-15/", 1
};

/* Codes that mean "not here": try the next type, subnet or market. */
static const char *const capacity_codes[] = {
	"InsufficientInstanceCapacity", "InsufficientCapacity",
	"InsufficientHostCapacity", "InsufficientReservedInstanceCapacity",
	"InstanceLimitExceeded", "VcpuLimitExceeded",
	"InsufficientFreeAddressesInSubnet", "Unsupported",
	"UnfulfillableCapacity", "ResourceLimitExceeded",
	"SpotMaxPriceTooLow", "MaxSpotInstanceCountExceeded", NULL
};

/* Codes after which no further spot option is worth a try. */
static const char *const spot_codes[] = {
	"SpotMaxPriceTooLow", "MaxSpotInstanceCountExceeded", NULL
};

/* see ec2.h */
void
ec2_instances_release(struct ec2_instances *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

/* see ec2.h */
int
ec2_state_live(const char *state)
{
	return strcmp(state, "pending") == 0 || strcmp(state, "running") == 0;
}

static struct ec2_instance *
instances_add(struct ec2_instances *v)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
	}
	memset(&v->v[v->n], 0, sizeof(v->v[v->n]));
	return &v->v[v->n++];
}

/* see ec2.h */
size_t
ec2_split(const char *list, char *buf, size_t size, const char **v,
    size_t max)
{
	return str_list_split(list, buf, size, v, max);
}

/* see ec2.h */
void
ec2_client_token(int64_t scale_set_id, const char *name,
    unsigned int attempt, char out[EC2_TOKEN_MAX])
{
	char	 in[EC2_NAME_MAX + 64], hex[65];
	int	 n;

	n = snprintf(in, sizeof(in), "%lld\n%s\n%u", (long long)scale_set_id,
	    name, attempt);
	if (n < 0 || (size_t)n >= sizeof(in))
		n = (int)sizeof(in) - 1;
	sigv4_sha256_hex(in, (size_t)n, hex);
	snprintf(out, EC2_TOKEN_MAX, "ghrctl-%.40s", hex);
}

static const struct error *
addf(struct buf *form, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append name=value with a printf-built name. */
static const struct error *
addf(struct buf *form, const char *value, const char *fmt, ...)
{
	char	 key[EC2_KEY_MAX];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(key))
		return error_fmt(ERR_SOFTWARE, "ec2: parameter name too long");
	return url_query_add(form, key, value);
}

static const struct error *
tag_spec(struct buf *form, unsigned int n, const char *type,
    const struct ec2_tag *tags, size_t ntags)
{
	const struct error	*e;
	size_t			 i;

	if ((e = addf(form, type, "TagSpecification.%u.ResourceType", n)) !=
	    NULL)
		return e;
	for (i = 0; i < ntags; i++)
		if ((e = addf(form, tags[i].key, "TagSpecification.%u.Tag.%zu."
		    "Key", n, i + 1)) != NULL || (e = addf(form,
		    tags[i].value, "TagSpecification.%u.Tag.%zu.Value", n,
		    i + 1)) != NULL)
			return e;
	return NULL;
}

static const struct error *
run_template(const struct ec2_launch *l, struct buf *form)
{
	const struct error	*e = NULL;

	if (l->template_id != NULL)
		e = url_query_add(form, "LaunchTemplate.LaunchTemplateId",
		    l->template_id);
	else if (l->template_name != NULL)
		e = url_query_add(form, "LaunchTemplate.LaunchTemplateName",
		    l->template_name);
	else
		return NULL;
	if (e == NULL && l->template_version != NULL)
		e = url_query_add(form, "LaunchTemplate.Version",
		    l->template_version);
	return e;
}

static const struct error *
run_market(const struct ec2_launch *l, struct buf *form)
{
	const struct error	*e;

	if ((e = url_query_add(form, "InstanceMarketOptions.MarketType",
	    "spot")) != NULL || (e = url_query_add(form,
	    "InstanceMarketOptions.SpotOptions.SpotInstanceType",
	    "one-time")) != NULL || (e = url_query_add(form,
	    "InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior",
	    "terminate")) != NULL)
		return e;
	if (l->spot_price != NULL && *l->spot_price != '\0')
		return url_query_add(form,
		    "InstanceMarketOptions.SpotOptions.MaxPrice", l->spot_price);
	return NULL;
}

/* see ec2.h */
const struct error *
ec2_run_form(const struct ec2_launch *l, const char *type,
    const char *subnet, int spot, const struct ec2_tag *tags, size_t ntags,
    const char *user_data, const char *client_token, struct buf *form)
{
	const struct error	*e;
	struct buf		 ud = BUF_INIT(EC2_USER_DATA_MAX * 2);
	size_t			 i;

	if ((e = run_template(l, form)) != NULL)
		goto out;
	if (l->ami != NULL && (e = url_query_add(form, "ImageId", l->ami)) !=
	    NULL)
		goto out;
	if (type != NULL && (e = url_query_add(form, "InstanceType",
	    type)) != NULL)
		goto out;
	if ((e = url_query_add(form, "MinCount", "1")) != NULL ||
	    (e = url_query_add(form, "MaxCount", "1")) != NULL ||
	    (e = url_query_add(form, "ClientToken", client_token)) != NULL)
		goto out;
	if (subnet != NULL && (e = url_query_add(form, "SubnetId",
	    subnet)) != NULL)
		goto out;
	for (i = 0; i < l->ngroups; i++)
		if ((e = addf(form, l->groups[i], "SecurityGroupId.%zu",
		    i + 1)) != NULL)
			goto out;
	if (l->key_name != NULL && (e = url_query_add(form, "KeyName",
	    l->key_name)) != NULL)
		goto out;
	if (l->profile != NULL && (e = url_query_add(form,
	    str_prefix(l->profile, "arn:") ? "IamInstanceProfile.Arn" :
	    "IamInstanceProfile.Name", l->profile)) != NULL)
		goto out;
	if (spot && (e = run_market(l, form)) != NULL)
		goto out;
	if ((e = url_query_add(form, "MetadataOptions.HttpTokens",
	    "required")) != NULL || (e = url_query_add(form,
	    "MetadataOptions.HttpEndpoint", "enabled")) != NULL ||
	    (e = url_query_add(form, "MetadataOptions.InstanceMetadataTags",
	    "enabled")) != NULL ||
	    (e = url_query_add(form, "InstanceInitiatedShutdownBehavior",
	    l->stop_on_shutdown ? "stop" : "terminate")) != NULL)
		goto out;
	if (ntags > 0 && ((e = tag_spec(form, 1, "instance", tags, ntags)) !=
	    NULL || (e = tag_spec(form, 2, "volume", tags, ntags)) != NULL))
		goto out;
	if (user_data != NULL) {
		if (strlen(user_data) > EC2_USER_DATA_MAX) {
			e = error_fmt(ERR_CONFIG, "ec2: user data is %zu bytes; "
			    "EC2 takes at most %u", strlen(user_data),
			    EC2_USER_DATA_MAX);
			goto out;
		}
		if ((e = b64_encode(user_data, strlen(user_data), &ud)) !=
		    NULL || (e = url_query_add(form, "UserData", ud.p)) != NULL)
			goto out;
	}
	if (l->dry_run)
		e = url_query_add(form, "DryRun", "true");
out:
	if (ud.p != NULL)
		wipe(ud.p, ud.len);
	buf_release(&ud);
	return e;
}

static void
copy(char *dst, size_t size, const char *src)
{
	if (str_copy(dst, size, src != NULL ? src : "") != NULL)
		dst[0] = '\0';
}

static const struct error *
parse_one(const struct xml_doc *d, int item, struct ec2_instances *out)
{
	struct ec2_instance	*in;
	const char		*id, *k;
	int			 set, t;

	if ((id = xml_path_text(d, item, "instanceId")) == NULL || *id == '\0')
		return error_fmt(ERR_PROTO, "ec2: instance without instanceId "
		    "in the reply");
	in = instances_add(out);
	copy(in->id, sizeof(in->id), id);
	copy(in->type, sizeof(in->type), xml_path_text(d, item,
	    "instanceType"));
	copy(in->state, sizeof(in->state), xml_path_text(d, item,
	    "instanceState/name"));
	if (parse_rfc3339(xml_path_text(d, item, "launchTime"),
	    &in->launch_time) == -1)
		in->launch_time = 0;
	copy(in->subnet, sizeof(in->subnet), xml_path_text(d, item,
	    "subnetId"));
	copy(in->client_token, sizeof(in->client_token), xml_path_text(d,
	    item, "clientToken"));
	k = xml_path_text(d, item, "instanceLifecycle");
	in->spot = k != NULL && strcmp(k, "spot") == 0;
	if ((set = xml_child(d, item, "tagSet", -1)) == -1)
		return NULL;
	for (t = -1; (t = xml_child(d, set, "item", t)) != -1;) {
		if ((k = xml_path_text(d, t, "key")) == NULL)
			continue;
		if (strcmp(k, EC2_TAG_RUNNER) == 0)
			copy(in->runner, sizeof(in->runner),
			    xml_path_text(d, t, "value"));
		else if (strcmp(k, EC2_TAG_SCALE_SET) == 0)
			copy(in->scale_set, sizeof(in->scale_set),
			    xml_path_text(d, t, "value"));
		else if (strcmp(k, EC2_TAG_POOL) == 0)
			copy(in->pool, sizeof(in->pool),
			    xml_path_text(d, t, "value"));
		else if (strcmp(k, EC2_TAG_POOL_NAME) == 0)
			copy(in->pool_name, sizeof(in->pool_name),
			    xml_path_text(d, t, "value"));
		else if (strcmp(k, EC2_TAG_POOL_CONFIG) == 0)
			copy(in->pool_config, sizeof(in->pool_config),
			    xml_path_text(d, t, "value"));
		else if (strcmp(k, EC2_TAG_POOL_SINCE) == 0 &&
		    parse_i64(xml_path_text(d, t, "value"),
		    &in->pool_since) != 0)
			in->pool_since = 0;
	}
	return NULL;
}

static const struct error *
parse_set(const struct xml_doc *d, int parent, struct ec2_instances *out)
{
	const struct error	*e;
	int			 set, i;

	if ((set = xml_child(d, parent, "instancesSet", -1)) == -1)
		return NULL;
	for (i = -1; (i = xml_child(d, set, "item", i)) != -1;)
		if ((e = parse_one(d, i, out)) != NULL)
			return e;
	return NULL;
}

/* see ec2.h */
const struct error *
ec2_parse_instances(const struct xml_doc *d, struct ec2_instances *out,
    char *next, size_t next_size)
{
	const struct error	*e;
	int			 root, rs, r;

	if (next != NULL && next_size > 0)
		next[0] = '\0';
	if ((root = xml_child(d, -1, NULL, -1)) == -1)
		return error_fmt(ERR_PROTO, "ec2: empty XML reply");
	if ((e = parse_set(d, root, out)) != NULL)
		return e;
	if ((rs = xml_child(d, root, "reservationSet", -1)) != -1)
		for (r = -1; (r = xml_child(d, rs, "item", r)) != -1;)
			if ((e = parse_set(d, r, out)) != NULL)
				return e;
	if (next != NULL && next_size > 0) {
		copy(next, next_size, xml_path_text(d, root, "nextToken"));
		if (xml_path_text(d, root, "nextToken") != NULL && *next ==
		    '\0' && *xml_path_text(d, root, "nextToken") != '\0')
			return error_fmt(ERR_PROTO, "ec2: nextToken too long");
	}
	return NULL;
}

static int
last_is(struct aws *a, const char *code)
{
	return strcmp(aws_last_code(a), code) == 0;
}

/* One RunInstances: *done 1 on success (or DryRunOperation). */
static const struct error *
run_once(struct aws *a, const struct ec2_launch *l, const char *type,
    const char *subnet, int spot, const struct ec2_tag *tags, size_t ntags,
    const char *user_data, const char *token, struct ec2_instance *out)
{
	const struct error	*e;
	struct buf		 form = BUF_INIT(EC2_FORM_MAX);
	struct xml_doc		 d = XML_DOC_INIT;
	struct ec2_instances	 v = EC2_INSTANCES_INIT;

	if ((e = ec2_run_form(l, type, subnet, spot, tags, ntags, user_data,
	    token, &form)) != NULL)
		goto out;
	e = aws_query_call(a, &ec2_service, "RunInstances", form.p, &d);
	if (e != NULL && l->dry_run && last_is(a, "DryRunOperation"))
		e = NULL;
	else if (e == NULL && (e = ec2_parse_instances(&d, &v, NULL, 0)) ==
	    NULL) {
		if (v.n != 1)
			e = error_fmt(ERR_PROTO, "ec2: RunInstances returned "
			    "%zu instances for one launch", v.n);
		else
			*out = v.v[0];
	}
out:
	if (form.p != NULL)
		wipe(form.p, form.len);	/* the user data holds a JIT config */
	buf_release(&form);
	xml_doc_release(&d);
	ec2_instances_release(&v);
	return e;
}

/* The instance an earlier request with token launched, if any. */
static const struct error *
by_token(struct aws *a, const char *token, struct ec2_instance *out,
    int *found)
{
	const struct error	*e;
	struct ec2_filter	 f;
	struct ec2_instances	 v = EC2_INSTANCES_INIT;

	memset(&f, 0, sizeof(f));
	f.name = "client-token";
	f.values[0] = token;
	f.nvalues = 1;
	*found = 0;
	if ((e = ec2_describe(a, &f, 1, &v)) == NULL && v.n > 0) {
		*out = v.v[0];
		*found = 1;
	}
	ec2_instances_release(&v);
	return e;
}

/* see ec2.h */
const struct error *
ec2_run(struct aws *a, const struct ec2_launch *l, int64_t scale_set_id,
    const char *name, const struct ec2_tag *tags, size_t ntags,
    const char *user_data, struct ec2_instance *out,
    struct ec2_run_info *info)
{
	const struct error	*e = NULL;
	char			 token[EC2_TOKEN_MAX];
	size_t			 nt, ns, t, s;
	int			 spot, found, skip_spot = 0;
	unsigned int		 k = 0;

	memset(out, 0, sizeof(*out));
	memset(info, 0, sizeof(*info));
	nt = l->ntypes > 0 ? l->ntypes : 1;
	ns = l->nsubnets > 0 ? l->nsubnets : 1;
	for (spot = l->spot ? 1 : 0; spot >= 0; spot--) {
		for (t = 0; t < nt; t++) {
			for (s = 0; s < ns; s++, k++) {
				if (spot && skip_spot)
					continue;
				ec2_client_token(scale_set_id, name, k, token);
				info->attempts++;
				e = run_once(a, l, l->ntypes ? l->types[t] :
				    NULL, l->nsubnets ? l->subnets[s] : NULL,
				    spot, tags, ntags, user_data, token, out);
				if (e == NULL) {
					info->fell_back = l->spot && !spot;
					return NULL;
				}
				copy(info->last_code, sizeof(info->last_code),
				    aws_last_code(a));
				if (last_is(a, "IdempotentParameterMismatch")) {
					/* An earlier run launched with this token. */
					if ((e = by_token(a, token, out,
					    &found)) != NULL)
						return e;
					if (found) {
						info->reused = 1;
						return NULL;
					}
					continue;
				}
				if (!str_in_list(capacity_codes, info->last_code))
					return e;
				log_info("ec2: %s for %s %s in %s; trying the "
				    "next option", info->last_code, spot ?
				    "spot" : "on-demand", l->ntypes ?
				    l->types[t] : "(template type)",
				    l->nsubnets ? l->subnets[s] :
				    "(template subnet)");
				if (spot && str_in_list(spot_codes, info->last_code))
					skip_spot = 1;
			}
		}
	}
	return error_fmt(ERR_TEMP, "ec2: no capacity for runner '%s' in any "
	    "of %u options (last: %s)", name, info->attempts,
	    e != NULL ? e->msg : "none");
}

/* see ec2.h */
const struct error *
ec2_find_launch(struct aws *a, const struct ec2_launch *l,
    int64_t scale_set_id, const char *name, struct ec2_instance *out,
    int *found)
{
	const struct error	*e;
	struct ec2_filter	 f;
	struct ec2_instances	 v = EC2_INSTANCES_INIT;
	char			 tok[EC2_MAX_OPTIONS][EC2_TOKEN_MAX];
	size_t			 n, i;

	n = (l->spot ? 2 : 1) * (l->ntypes ? l->ntypes : 1) *
	    (l->nsubnets ? l->nsubnets : 1);
	if (n > EC2_MAX_OPTIONS)
		n = EC2_MAX_OPTIONS;
	memset(&f, 0, sizeof(f));
	f.name = "client-token";
	for (i = 0; i < n; i++) {
		ec2_client_token(scale_set_id, name, (unsigned int)i, tok[i]);
		f.values[i] = tok[i];
	}
	f.nvalues = n;
	*found = 0;
	memset(out, 0, sizeof(*out));
	if ((e = ec2_describe(a, &f, 1, &v)) == NULL)
		for (i = 0; i < v.n && !*found; i++)
			if (strcmp(v.v[i].state, "terminated") != 0 &&
			    strcmp(v.v[i].state, "shutting-down") != 0) {
				*out = v.v[i];
				*found = 1;
			}
	ec2_instances_release(&v);
	return e;
}

/* see ec2.h */
const struct error *
ec2_describe(struct aws *a, const struct ec2_filter *f, size_t nf,
    struct ec2_instances *out)
{
	const struct error	*e = NULL;
	struct buf		 form = BUF_INIT(EC2_FORM_MAX);
	struct xml_doc		 d = XML_DOC_INIT;
	char			 next[4096], page[16];
	size_t			 i, j, pages = 0;

	next[0] = '\0';
	do {
		buf_reset(&form);
		xml_doc_release(&d);
		for (i = 0; i < nf && e == NULL; i++) {
			e = addf(&form, f[i].name, "Filter.%zu.Name", i + 1);
			for (j = 0; j < f[i].nvalues && e == NULL; j++)
				e = addf(&form, f[i].values[j],
				    "Filter.%zu.Value.%zu", i + 1, j + 1);
		}
		snprintf(page, sizeof(page), "%u", EC2_PAGE_SIZE);
		if (e == NULL)
			e = url_query_add(&form, "MaxResults", page);
		if (e == NULL && next[0] != '\0')
			e = url_query_add(&form, "NextToken", next);
		if (e == NULL)
			e = aws_query_call(a, &ec2_service,
			    "DescribeInstances", form.p, &d);
		if (e == NULL)
			e = ec2_parse_instances(&d, out, next, sizeof(next));
		if (e == NULL && ++pages >= EC2_MAX_PAGES)
			e = error_fmt(ERR_PROTO, "ec2: DescribeInstances gave "
			    "more than %d pages", EC2_MAX_PAGES);
	} while (e == NULL && next[0] != '\0');
	buf_release(&form);
	xml_doc_release(&d);
	return e;
}

/* see ec2.h */
const struct error *
ec2_describe_scale_set(struct aws *a, int64_t scale_set_id,
    struct ec2_instances *out)
{
	struct ec2_filter	 f[2];
	char			 key[64], id[32];

	memset(f, 0, sizeof(f));
	snprintf(key, sizeof(key), "tag:%s", EC2_TAG_SCALE_SET);
	snprintf(id, sizeof(id), "%lld", (long long)scale_set_id);
	f[0].name = key;
	f[0].values[0] = id;
	f[0].nvalues = 1;
	f[1].name = "instance-state-name";
	f[1].values[0] = "pending";
	f[1].values[1] = "running";
	f[1].values[2] = "stopping";
	f[1].values[3] = "stopped";
	f[1].values[4] = "shutting-down";	/* visibly gone: trusted */
	f[1].values[5] = "terminated";
	f[1].nvalues = 6;
	return ec2_describe(a, f, 2, out);
}

/* action on ids in batches of EC2_TERMINATE_BATCH. */
static const struct error *
by_ids(struct aws *a, const char *action, const char *const *ids, size_t n,
    int dry_run, unsigned int *calls)
{
	const struct error	*e = NULL;
	struct buf		 form = BUF_INIT(EC2_FORM_MAX);
	size_t			 i, j;

	for (i = 0; i < n && e == NULL; i += EC2_TERMINATE_BATCH) {
		buf_reset(&form);
		for (j = 0; j < EC2_TERMINATE_BATCH && i + j < n && e == NULL;
		    j++)
			e = addf(&form, ids[i + j], "InstanceId.%zu", j + 1);
		if (e == NULL && dry_run)
			e = url_query_add(&form, "DryRun", "true");
		if (e != NULL)
			break;
		e = aws_query_call(a, &ec2_service, action, form.p, NULL);
		if (calls != NULL)
			(*calls)++;
		if (e != NULL && dry_run && last_is(a, "DryRunOperation"))
			e = NULL;
	}
	buf_release(&form);
	return e;
}

/* see ec2.h */
const struct error *
ec2_terminate(struct aws *a, const char *const *ids, size_t n, int dry_run,
    unsigned int *calls)
{
	return by_ids(a, "TerminateInstances", ids, n, dry_run, calls);
}

/* see ec2.h */
const struct error *
ec2_start(struct aws *a, const char *const *ids, size_t n,
    unsigned int *calls)
{
	return by_ids(a, "StartInstances", ids, n, 0, calls);
}

/* see ec2.h */
const struct error *
ec2_stop(struct aws *a, const char *const *ids, size_t n,
    unsigned int *calls)
{
	return by_ids(a, "StopInstances", ids, n, 0, calls);
}

/* see ec2.h */
const struct error *
ec2_create_tags(struct aws *a, const char *const *ids, size_t n,
    const struct ec2_tag *tags, size_t ntags, int dry_run)
{
	const struct error	*e = NULL;
	struct buf		 form = BUF_INIT(EC2_FORM_MAX);
	size_t			 i;

	for (i = 0; i < n && e == NULL; i++)
		e = addf(&form, ids[i], "ResourceId.%zu", i + 1);
	for (i = 0; i < ntags && e == NULL; i++)
		if ((e = addf(&form, tags[i].key, "Tag.%zu.Key", i + 1)) ==
		    NULL)
			e = addf(&form, tags[i].value, "Tag.%zu.Value", i + 1);
	if (e == NULL && dry_run)
		e = url_query_add(&form, "DryRun", "true");
	if (e == NULL) {
		e = aws_query_call(a, &ec2_service, "CreateTags", form.p, NULL);
		if (e != NULL && dry_run && last_is(a, "DryRunOperation"))
			e = NULL;
	}
	buf_release(&form);
	return e;
}

/* see ec2.h */
const struct error *
ec2_check_permissions(struct aws *a, const struct ec2_launch *l0,
    size_t *checked)
{
	const struct error	*e;
	struct ec2_launch	 l = *l0;
	struct ec2_instance	 in;
	struct buf		 form = BUF_INIT(EC2_FORM_MAX);
	char			 token[EC2_TOKEN_MAX];
	static const struct ec2_tag tags[] = {
		{ EC2_TAG_MANAGED, "true" }
	};

	if (checked != NULL)
		*checked = 0;
	l.dry_run = 1;
	ec2_client_token(0, "ghrctl-permission-check", 0, token);
	e = run_once(a, &l, l.ntypes ? l.types[0] : NULL, l.nsubnets ?
	    l.subnets[0] : NULL, l.spot, tags, 1, NULL, token, &in);
	if (e != NULL)
		goto out;
	if (checked != NULL)
		(*checked)++;
	if ((e = url_query_add(&form, "DryRun", "true")) != NULL)
		goto out;
	e = aws_query_call(a, &ec2_service, "DescribeInstances", form.p, NULL);
	if (e != NULL && last_is(a, "DryRunOperation"))
		e = NULL;
	if (e == NULL && checked != NULL)
		(*checked)++;
out:
	buf_release(&form);
	return e;
}

/* see ec2.h */
const struct error *
ec2_console_output(struct aws *a, const char *id, struct buf *out)
{
	const struct error	*e;
	struct buf		 form = BUF_INIT(EC2_FORM_MAX);
	struct xml_doc		 d;
	const char		*b64;

	memset(&d, 0, sizeof(d));
	if ((e = url_query_add(&form, "InstanceId", id)) != NULL ||
	    (e = url_query_add(&form, "Latest", "true")) != NULL ||
	    (e = aws_query_call(a, &ec2_service, "GetConsoleOutput", form.p,
	    &d)) != NULL)
		goto out;
	/* No <output>: nothing written yet. */
	b64 = xml_path_text(&d, -1, "GetConsoleOutputResponse/output");
	if (b64 != NULL && *b64 != '\0' &&
	    b64_decode(b64, strlen(b64), out) != NULL)
		e = error_fmt(ERR_PROTO, "ec2 GetConsoleOutput of %s: output "
		    "is not base64", id);
out:
	xml_doc_release(&d);
	buf_release(&form);
	return e;
}

/* see ec2.h */
const struct error *
ec2_delete_tags(struct aws *a, const char *id, const char *const *keys,
    size_t n)
{
	const struct error	*e;
	struct buf		 form = BUF_INIT(EC2_FORM_MAX);
	size_t			 i;

	e = url_query_add(&form, "ResourceId.1", id);
	for (i = 0; i < n && e == NULL; i++)
		e = addf(&form, keys[i], "Tag.%zu.Key", i + 1);
	if (e == NULL)
		e = aws_query_call(a, &ec2_service, "DeleteTags", form.p, NULL);
	buf_release(&form);
	return e;
}
