/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of the pure parts of ec2.c (wire names of RunInstances,
 * ClientTokens, reply parsing, times) and of the user-data renderer.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "scaler.h"
#include "userdata.h"
#include "ec2.h"
#include "t.h"
#include "xml.h"

T_REGISTER("ec2-token", t_ec2_token)
T_REGISTER("ec2-choices", t_ec2_choices)
T_REGISTER("ec2-form", t_ec2_form)
T_REGISTER("ec2-parse", t_ec2_parse)
T_REGISTER("ec2-misc", t_ec2_misc)

/*
 * The batch ClientToken (issue 14): the same scale set, choice and sorted
 * runner names give the same token (a replay after a crash sends the
 * request again under it); any other input gives another one.
 */
static void
t_ec2_token(void)
{
	char	 a[EC2_TOKEN_MAX], b[EC2_TOKEN_MAX], c[EC2_TOKEN_MAX];
	const char *names[] = { "ghrctl-1-r5", "ghrctl-1-r6", "ghrctl-1-r7" };
	const char *swapped[] = { "ghrctl-1-r6", "ghrctl-1-r5", "ghrctl-1-r7" };
	const char *joined[] = { "ghrctl-1-r5\nghrctl-1-r6", "ghrctl-1-r7" };
	struct ec2_choice ch = { "m5.large", "subnet-0aaa", 1 }, o = ch;

	ec2_batch_token(1, &ch, names, 3, a);
	ec2_batch_token(1, &ch, names, 3, b);
	T_EQ_STR(a, b);
	T_EQ_INT(strlen(a), 47);
	T_TRUE(strncmp(a, "ghrctl-", 7) == 0);
	ec2_batch_token(2, &ch, names, 3, c);		/* scale set */
	T_TRUE(strcmp(a, c) != 0);
	ec2_batch_token(1, &ch, names, 2, c);		/* fewer runners */
	T_TRUE(strcmp(a, c) != 0);
	ec2_batch_token(1, &ch, swapped, 3, c);		/* order given */
	T_TRUE(strcmp(a, c) != 0);
	ec2_batch_token(1, &ch, joined, 2, c);		/* names kept apart */
	T_TRUE(strcmp(a, c) != 0);
	o.spot = 0;					/* market */
	ec2_batch_token(1, &o, names, 3, c);
	T_TRUE(strcmp(a, c) != 0);
	o = ch;
	o.type = "m6i.large";				/* type */
	ec2_batch_token(1, &o, names, 3, c);
	T_TRUE(strcmp(a, c) != 0);
	o = ch;
	o.subnet = "subnet-0bbb";			/* subnet */
	ec2_batch_token(1, &o, names, 3, c);
	T_TRUE(strcmp(a, c) != 0);
	o.subnet = NULL;
	ec2_batch_token(1, &o, names, 3, c);
	T_TRUE(strcmp(a, c) != 0);
}

/* Choices in order: spot before on-demand, type-major, subnets inside. */
static void
t_ec2_choices(void)
{
	struct ec2_launch	 l;
	struct ec2_choice	 c[EC2_CHOICES_MAX];

	memset(&l, 0, sizeof(l));
	T_EQ_INT(ec2_choices(&l, c, EC2_CHOICES_MAX), 1);
	T_TRUE(c[0].type == NULL && c[0].subnet == NULL && !c[0].spot);
	l.types[0] = "a";
	l.types[1] = "b";
	l.ntypes = 2;
	l.subnets[0] = "s1";
	l.subnets[1] = "s2";
	l.nsubnets = 2;
	l.spot = 1;
	T_EQ_INT(ec2_choices(&l, c, EC2_CHOICES_MAX), 8);
	T_TRUE(c[0].spot && strcmp(c[0].type, "a") == 0 &&
	    strcmp(c[0].subnet, "s1") == 0);
	T_TRUE(c[1].spot && strcmp(c[1].type, "a") == 0 &&
	    strcmp(c[1].subnet, "s2") == 0);
	T_TRUE(c[2].spot && strcmp(c[2].type, "b") == 0);
	T_TRUE(!c[4].spot && strcmp(c[4].type, "a") == 0 &&
	    strcmp(c[4].subnet, "s1") == 0);
	T_TRUE(!c[7].spot && strcmp(c[7].type, "b") == 0 &&
	    strcmp(c[7].subnet, "s2") == 0);
	T_EQ_INT(ec2_choices(&l, c, 3), 3);
	T_TRUE(ec2_capacity_code("InsufficientInstanceCapacity"));
	T_TRUE(!ec2_capacity_code("RequestLimitExceeded"));
	T_TRUE(ec2_spot_code("SpotMaxPriceTooLow"));
	T_TRUE(!ec2_spot_code("InsufficientInstanceCapacity"));
}

static int
has(const char *form, const char *kv)
{
	size_t	 n = strlen(kv);
	const char *p;

	for (p = form; (p = strstr(p, kv)) != NULL; p++)
		if ((p == form || p[-1] == '&') && (p[n] == '&' ||
		    p[n] == '\0'))
			return 1;
	return 0;
}

static void
t_ec2_form(void)
{
	struct ec2_launch	 l;
	struct buf		 f = BUF_INIT(1u << 20);
	const struct ec2_tag	 tags[] = { { "ghrctl:runner", "r 1" } };
	struct ec2_choice	 ch = { "m5.large", "subnet-0aaa", 1 };
	struct ec2_choice	 none = { NULL, NULL, 0 };

	memset(&l, 0, sizeof(l));
	l.template_name = "ghr-runner";
	l.template_version = "$Default";
	l.groups[0] = "sg-1";
	l.groups[1] = "sg-2";
	l.ngroups = 2;
	l.profile = "arn:aws:iam::1:instance-profile/x";
	l.spot_price = "0.05";
	T_OK(ec2_run_form(&l, &ch, 25, tags, 1,
	    "#!/bin/sh\necho hi >/tmp/x\n", "tok-1", &f));
	T_TRUE(has(f.p, "LaunchTemplate.LaunchTemplateName=ghr-runner"));
	T_TRUE(has(f.p, "LaunchTemplate.Version=%24Default"));
	T_TRUE(has(f.p, "InstanceType=m5.large"));
	/* A batch: MinCount=1 (a partial launch is taken), MaxCount=N. */
	T_TRUE(has(f.p, "MinCount=1") && has(f.p, "MaxCount=25"));
	T_TRUE(has(f.p, "ClientToken=tok-1"));
	T_TRUE(has(f.p, "SubnetId=subnet-0aaa"));
	T_TRUE(has(f.p, "SecurityGroupId.2=sg-2"));
	T_TRUE(has(f.p, "IamInstanceProfile.Arn=arn%3Aaws%3Aiam%3A%3A1%3A"
	    "instance-profile%2Fx"));
	T_TRUE(has(f.p, "InstanceMarketOptions.MarketType=spot"));
	T_TRUE(has(f.p, "InstanceMarketOptions.SpotOptions.MaxPrice=0.05"));
	T_TRUE(has(f.p, "MetadataOptions.HttpTokens=required"));
	T_TRUE(has(f.p, "InstanceInitiatedShutdownBehavior=terminate"));
	T_TRUE(has(f.p, "TagSpecification.1.ResourceType=instance"));
	T_TRUE(has(f.p, "TagSpecification.2.ResourceType=volume"));
	T_TRUE(has(f.p, "TagSpecification.1.Tag.1.Key=ghrctl%3Arunner"));
	T_TRUE(has(f.p, "TagSpecification.2.Tag.1.Value=r%201"));
	/* '+', '/' and '=' of base64 are percent-encoded (RFC 3986 section 2.2) */
	T_TRUE(has(f.p, "UserData=IyEvYmluL3NoCmVjaG8gaGkgPi90bXAveAo%3D"));
	T_TRUE(strstr(f.p, "TagSpecifications") == NULL);
	T_TRUE(strstr(f.p, "DryRun") == NULL);
	buf_reset(&f);
	l.dry_run = 1;
	l.spot_price = NULL;
	l.profile = "runner";
	T_OK(ec2_run_form(&l, &none, 1, NULL, 0, NULL, "t", &f));
	T_TRUE(has(f.p, "DryRun=true"));
	T_TRUE(has(f.p, "MaxCount=1"));
	T_TRUE(has(f.p, "IamInstanceProfile.Name=runner"));
	T_TRUE(strstr(f.p, "InstanceMarketOptions") == NULL);
	T_TRUE(strstr(f.p, "InstanceType") == NULL);
	T_TRUE(strstr(f.p, "UserData") == NULL);
	buf_release(&f);
}

static char *
slurp(const char *name, size_t *len)
{
	char	 path[512], *p;
	FILE	*fp;
	long	 n;

	snprintf(path, sizeof(path), "%s/ec2/%s", t_vectors_dir(), name);
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	p = malloc((size_t)n + 1);
	*len = fread(p, 1, (size_t)n, fp);
	p[*len] = '\0';
	fclose(fp);
	return p;
}

static void
t_ec2_parse(void)
{
	struct xml_doc		 d = XML_DOC_INIT;
	struct ec2_instances	 v = EC2_INSTANCES_INIT;
	char			 next[64];
	char			*t;
	size_t			 len;

	T_TRUE((t = slurp("describe-page.xml", &len)) != NULL);
	if (t == NULL)
		return;
	T_OK(xml_parse(t, len, &d));
	T_OK(ec2_parse_instances(&d, &v, next, sizeof(next)));
	T_EQ_INT(v.n, 2);
	T_EQ_STR(next, "page-2");
	T_EQ_STR(v.v[0].id, "i-1234567890abcdef0");
	T_EQ_STR(v.v[0].state, "running");	/* not stateReason's code */
	T_EQ_STR(v.v[0].runner, "ghrctl-1-r5");
	T_EQ_STR(v.v[0].scale_set, "1");
	T_EQ_STR(v.v[0].client_token, "ghrctl-abc");
	T_EQ_STR(v.v[0].subnet, "subnet-0aaa");
	T_EQ_INT(v.v[0].spot, 1);
	T_EQ_INT(v.v[0].launch_time, 1795419793);
	T_EQ_STR(v.v[1].state, "pending");
	T_EQ_STR(v.v[1].runner, "");
	T_EQ_INT(v.v[1].spot, 0);
	T_TRUE(ec2_state_live(v.v[1].state));
	ec2_instances_release(&v);
	xml_doc_release(&d);
	free(t);
	T_TRUE((t = slurp("run.xml", &len)) != NULL);
	if (t == NULL)
		return;
	T_OK(xml_parse(t, len, &d));
	T_OK(ec2_parse_instances(&d, &v, next, sizeof(next)));
	T_EQ_INT(v.n, 1);
	T_EQ_STR(next, "");
	T_EQ_STR(v.v[0].id, "i-0abc");
	T_EQ_STR(v.v[0].runner, "ghrctl-1-s00");
	ec2_instances_release(&v);
	xml_doc_release(&d);
	free(t);
	/* amiLaunchIndex: instance k of a batch is its k-th runner. */
	t = "<R><instancesSet><item><instanceId>i-1</instanceId>"
	    "<amiLaunchIndex>3</amiLaunchIndex></item><item><instanceId>i-2"
	    "</instanceId><amiLaunchIndex>x</amiLaunchIndex></item><item>"
	    "<instanceId>i-3</instanceId></item></instancesSet></R>";
	T_OK(xml_parse(t, strlen(t), &d));
	T_OK(ec2_parse_instances(&d, &v, NULL, 0));
	T_EQ_INT(v.n, 3);
	T_EQ_INT(v.v[0].launch_index, 3);
	T_EQ_INT(v.v[1].launch_index, -1);
	T_EQ_INT(v.v[2].launch_index, -1);
	ec2_instances_release(&v);
	xml_doc_release(&d);
	t = "<R><instancesSet><item><imageId>x</imageId></item>"
	    "</instancesSet></R>";
	T_OK(xml_parse(t, strlen(t), &d));
	T_ERR(ec2_parse_instances(&d, &v, NULL, 0), ERR_PROTO);
	ec2_instances_release(&v);
	xml_doc_release(&d);
}

static void
t_ec2_misc(void)
{
	char		 buf[64];
	const char	*v[EC2_MAX_OPTIONS];
	struct buf	 out = BUF_INIT(4096);

	T_EQ_INT(ec2_split(" m5.large, ,m6i.large ,", buf, sizeof(buf), v,
	    EC2_MAX_OPTIONS), 2);
	T_EQ_STR(v[0], "m5.large");
	T_EQ_STR(v[1], "m6i.large");
	T_EQ_INT(ec2_split(NULL, buf, sizeof(buf), v, EC2_MAX_OPTIONS), 0);
	T_TRUE(!ec2_state_live("stopped") && ec2_state_live("running"));
	T_OK(userdata_render("a {{RUNNER_NAME}} {{SIGNING_KEY}} {{X}} "
	    "{{SCALE_SET_ID}}/{{SCALE_SET_NAME}}", "J", "n", "7", "set", &out));
	T_EQ_STR(out.p, "a n J {{X}} 7/set");
	buf_release(&out);
	/* No secret in user data (issue 14): the runner's JIT config is
	 * delivered sealed; the template starts ghrctl boot instead. */
	T_TRUE(strstr(userdata_default_template(), "--jitconfig") == NULL);
	T_TRUE(strstr(userdata_default_template(), "JIT_CONFIG") == NULL);
	T_TRUE(strstr(userdata_default_template(), "ghrctl boot") != NULL);
	buf_reset(&out);
	T_ERR(userdata_render("x '{{JIT_CONFIG}}'", "K", "n", "7", "set",
	    &out), ERR_CONFIG);
}
