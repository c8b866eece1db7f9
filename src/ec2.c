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
void
ec2_instances_add(struct ec2_instances *v, const struct ec2_instance *in)
{
	*instances_add(v) = *in;
}

/* see ec2.h */
size_t
ec2_split(const char *list, char *buf, size_t size, const char **v,
    size_t max)
{
	return str_list_split(list, buf, size, v, max);
}

/* see ec2.h */
size_t
ec2_choices(const struct ec2_launch *l, struct ec2_choice *out, size_t max)
{
	size_t	 nt, ns, t, sn, n = 0;
	int	 spot;

	nt = l->ntypes > 0 ? l->ntypes : 1;
	ns = l->nsubnets > 0 ? l->nsubnets : 1;
	for (spot = l->spot ? 1 : 0; spot >= 0; spot--)
		for (t = 0; t < nt; t++)
			for (sn = 0; sn < ns && n < max; sn++, n++) {
				out[n].type = l->ntypes ? l->types[t] : NULL;
				out[n].subnet = l->nsubnets ? l->subnets[sn] :
				    NULL;
				out[n].spot = spot;
			}
	return n;
}

/* see ec2.h */
void
ec2_batch_token(int64_t scale_set_id, const struct ec2_choice *c,
    const char *const *names, size_t n, char out[EC2_TOKEN_MAX])
{
	struct buf	 in = BUF_INIT(1u << 20);	/* past any batch */
	char		 hex[65];
	size_t		 i;

	if (buf_addf(&in, "ghrctl-batch v1\n%lld\n%s\n%s\n%s\n",
	    (long long)scale_set_id, c->type != NULL ? c->type : "",
	    c->subnet != NULL ? c->subnet : "", c->spot ? "spot" :
	    "on-demand") != NULL)
		abort();
	for (i = 0; i < n; i++)		/* length-prefixed: unambiguous */
		if (buf_addf(&in, "%zu:%s\n", strlen(names[i]), names[i]) !=
		    NULL)
			abort();
	sigv4_sha256_hex(in.p, in.len, hex);
	buf_release(&in);
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
ec2_run_form(const struct ec2_launch *l, const struct ec2_choice *c,
    unsigned int count, const struct ec2_tag *tags, size_t ntags,
    const char *user_data, const char *client_token, struct buf *form)
{
	const struct error	*e;
	struct buf		 ud = BUF_INIT(EC2_USER_DATA_MAX * 2);
	const char		*type = c->type, *subnet = c->subnet;
	char			 max[16];
	size_t			 i;

	if ((e = run_template(l, form)) != NULL)
		goto out;
	if (l->ami != NULL && (e = url_query_add(form, "ImageId", l->ami)) !=
	    NULL)
		goto out;
	if (type != NULL && (e = url_query_add(form, "InstanceType",
	    type)) != NULL)
		goto out;
	snprintf(max, sizeof(max), "%u", count > 0 ? count : 1);
	if ((e = url_query_add(form, "MinCount", "1")) != NULL ||
	    (e = url_query_add(form, "MaxCount", max)) != NULL ||
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
	if (c->spot && (e = run_market(l, form)) != NULL)
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
	unsigned int		 ix;
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
	k = xml_path_text(d, item, "amiLaunchIndex");
	in->launch_index = k != NULL && parse_uint(k, 99999, &ix) == 0 ?
	    (int)ix : -1;
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

/* see ec2.h */
int
ec2_capacity_code(const char *code)
{
	return str_in_list(capacity_codes, code);
}

/* see ec2.h */
int
ec2_spot_code(const char *code)
{
	return str_in_list(spot_codes, code);
}

/* One RunInstances: the instances of the reply appended to out. */
static const struct error *
run_once(struct aws *a, const struct ec2_launch *l, const struct ec2_choice *c,
    unsigned int count, const struct ec2_tag *tags, size_t ntags,
    const char *user_data, const char *token, struct ec2_instances *out)
{
	const struct error	*e;
	struct buf		 form = BUF_INIT(EC2_FORM_MAX);
	struct xml_doc		 d = XML_DOC_INIT;
	size_t			 n0 = out->n;

	if ((e = ec2_run_form(l, c, count, tags, ntags, user_data, token,
	    &form)) != NULL)
		goto out;
	e = aws_query_call(a, &ec2_service, "RunInstances", form.p, &d);
	if (e != NULL && l->dry_run && last_is(a, "DryRunOperation"))
		e = NULL;
	else if (e == NULL && (e = ec2_parse_instances(&d, out, NULL, 0)) ==
	    NULL && (out->n == n0 || out->n - n0 > (count > 0 ? count : 1))) {
		e = error_fmt(ERR_PROTO, "ec2: RunInstances returned %zu "
		    "instances for a launch of at most %u", out->n - n0,
		    count);
		out->n = n0;
	}
out:
	if (form.p != NULL)
		wipe(form.p, form.len);
	buf_release(&form);
	xml_doc_release(&d);
	return e;
}

/* The live instances an earlier request with token launched. */
static const struct error *
by_token(struct aws *a, const char *token, struct ec2_instances *out)
{
	const struct error	*e;
	struct ec2_filter	 f;
	struct ec2_instances	 v = EC2_INSTANCES_INIT;
	size_t			 i;

	memset(&f, 0, sizeof(f));
	f.name = "client-token";
	f.values[0] = token;
	f.nvalues = 1;
	if ((e = ec2_describe(a, &f, 1, &v)) == NULL)
		for (i = 0; i < v.n; i++)
			if (ec2_state_live(v.v[i].state))
				*instances_add(out) = v.v[i];
	ec2_instances_release(&v);
	return e;
}

/* see ec2.h */
const struct error *
ec2_run_batch(struct aws *a, const struct ec2_launch *l,
    const struct ec2_choice *c, unsigned int count, const struct ec2_tag *tags,
    size_t ntags, const char *user_data, const char *token,
    struct ec2_instances *out, int *reused)
{
	const struct error	*e;

	if (reused != NULL)
		*reused = 0;
	e = run_once(a, l, c, count, tags, ntags, user_data, token, out);
	if (e == NULL || !last_is(a, "IdempotentParameterMismatch"))
		return e;
	/* An earlier run launched with this token (other bytes). */
	if (reused != NULL)
		*reused = 1;
	return by_token(a, token, out);
}

/* The filter tag:<tag> = id (key and idbuf hold the texts). */
static void
set_filter(struct ec2_filter *f, char *key, size_t ksize, const char *tag,
    char *idbuf, size_t isize, int64_t id)
{
	snprintf(key, ksize, "tag:%s", tag);
	snprintf(idbuf, isize, "%lld", (long long)id);
	f->name = key;
	f->values[0] = idbuf;
	f->nvalues = 1;
}

/* see ec2.h */
const struct error *
ec2_find_runner(struct aws *a, int64_t scale_set_id, const char *name,
    struct ec2_instance *out, int *found)
{
	const struct error	*e;
	struct ec2_filter	 f[3];
	struct ec2_instances	 v = EC2_INSTANCES_INIT;
	char			 k1[64], k2[64], id[32];

	memset(f, 0, sizeof(f));
	set_filter(&f[0], k1, sizeof(k1), EC2_TAG_SCALE_SET, id, sizeof(id),
	    scale_set_id);
	snprintf(k2, sizeof(k2), "tag:%s", EC2_TAG_RUNNER);
	f[1].name = k2;
	f[1].values[0] = name;
	f[1].nvalues = 1;
	f[2].name = "instance-state-name";
	f[2].values[0] = "pending";
	f[2].values[1] = "running";
	f[2].nvalues = 2;
	*found = 0;
	memset(out, 0, sizeof(*out));
	if ((e = ec2_describe(a, f, 3, &v)) == NULL && v.n > 0) {
		*out = v.v[0];
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
	set_filter(&f[0], key, sizeof(key), EC2_TAG_SCALE_SET, id, sizeof(id),
	    scale_set_id);
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
	struct ec2_instances	 in = EC2_INSTANCES_INIT;
	struct ec2_choice	 c;
	struct buf		 form = BUF_INIT(EC2_FORM_MAX);
	char			 token[EC2_TOKEN_MAX];
	static const char *const name[] = { "ghrctl-permission-check" };
	static const struct ec2_tag tags[] = {
		{ EC2_TAG_MANAGED, "true" }
	};

	if (checked != NULL)
		*checked = 0;
	l.dry_run = 1;
	(void)ec2_choices(&l, &c, 1);
	ec2_batch_token(0, &c, name, 1, token);
	e = run_once(a, &l, &c, 1, tags, 1, NULL, token, &in);
	ec2_instances_release(&in);
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
