/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_EC2_H
#define GHRCTL_EC2_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"
#include "buf.h"
#include "error.h"
#include "xml.h"

/*
 * The EC2 actions ghrctl uses, over the EC2 Query protocol (Version
 * 2016-11-15, signing name "ec2", endpoint https://ec2.<region>.<suffix>
 * or AWS_ENDPOINT_URL_EC2): RunInstances, DescribeInstances,
 * TerminateInstances, CreateTags, each with DryRun.  Wire names
 * (TagSpecification.N, Filter.N, InstanceId.N, ResourceId.N, ...) are
 * those of the Amazon EC2 API Reference (RunInstances, DescribeInstances,
 * TerminateInstances, CreateTags); tests/fake/aws.py checks every request
 * against botocore's model.
 *
 * Tag scheme of every instance (and its volumes) ghrctl launches:
 *   ghrctl:managed    "true"
 *   ghrctl:scale-set  the scale set id (decimal)
 *   ghrctl:runner     the runner name (its JIT config's name)
 *   Name              the runner name
 *
 * Idempotency: runners are launched in batches, one RunInstances with
 * MinCount=1 and MaxCount=N per launch choice (instance type, subnet,
 * market), under a ClientToken made by ec2_batch_token() from (scale set
 * id, the batch's sorted runner names, the choice) and with an explicit
 * SubnetId (zonal idempotency), so a retried request (timeout, 5xx, crash
 * and replay) returns the instances of the first one instead of starting
 * others (Amazon EC2 API Reference, "Ensuring idempotency in Amazon EC2
 * API requests").  A reused token with other parameters is
 * IdempotentParameterMismatch: ec2_run_batch() then finds every instance
 * launched with the token through the client-token filter.
 * TagSpecifications give every instance of a call the same tags, so the
 * ghrctl:runner and Name tags are written per instance after the launch
 * (ec2_create_tags()).
 */

#define EC2_ID_MAX		64
#define EC2_TOKEN_MAX		65	/* 64 ASCII characters + NUL */
#define EC2_NAME_MAX		128
#define EC2_MAX_OPTIONS		16	/* instance types, subnets, groups */
#define EC2_MAX_TAGS		16
#define EC2_TERMINATE_BATCH	100	/* ids per TerminateInstances */
#define EC2_PAGE_SIZE		500	/* DescribeInstances MaxResults */
#define EC2_MAX_PAGES		1000
#define EC2_USER_DATA_MAX	(16u << 10)	/* raw, before base64 */
#define EC2_BATCH_MAX		100	/* runners per RunInstances */

#define EC2_TAG_MANAGED		"ghrctl:managed"
#define EC2_TAG_SCALE_SET	"ghrctl:scale-set"
#define EC2_TAG_RUNNER		"ghrctl:runner"
/* Warm pools (pool.h): the pool state, when it was set, the launch config. */
#define EC2_TAG_POOL		"ghrctl:pool"
#define EC2_TAG_POOL_SINCE	"ghrctl:pool-since"
#define EC2_TAG_POOL_CONFIG	"ghrctl:pool-config"
#define EC2_TAG_POOL_NAME	"ghrctl:pool-name"

struct ec2_tag {
	const char	*key;
	const char	*value;
};

/*
 * What to launch.  Either a launch template (id or name, optional
 * version: a number, "$Latest" or "$Default") or an AMI; explicit fields
 * override the template's.  Instance types and subnets are tried in
 * order (type-major); with spot, every spot option is tried before the
 * on-demand ones (fallback on capacity errors).  All pointers borrowed.
 */
struct ec2_launch {
	const char	*template_id;
	const char	*template_name;
	const char	*template_version;
	const char	*ami;
	const char	*types[EC2_MAX_OPTIONS];	/* NULL-padded */
	size_t		 ntypes;
	const char	*subnets[EC2_MAX_OPTIONS];
	size_t		 nsubnets;
	const char	*groups[EC2_MAX_OPTIONS];	/* security groups */
	size_t		 ngroups;
	const char	*key_name;
	const char	*profile;	/* instance profile name, or "arn:..." */
	int		 spot;		/* try spot first */
	const char	*spot_price;	/* MaxPrice or NULL (on-demand cap) */
	int		 dry_run;	/* DryRun=true: nothing is launched */
	int		 stop_on_shutdown;	/* pool instances: "stop" */
};

/* An instance as DescribeInstances/RunInstances reports it. */
struct ec2_instance {
	char	 id[EC2_ID_MAX];
	char	 type[EC2_NAME_MAX];
	char	 state[24];		/* instanceState/name */
	int64_t	 launch_time;		/* unix seconds, 0 when unknown */
	char	 subnet[EC2_ID_MAX];
	char	 client_token[EC2_TOKEN_MAX];
	char	 runner[EC2_NAME_MAX];	/* tag ghrctl:runner */
	char	 scale_set[32];		/* tag ghrctl:scale-set */
	char	 pool[32];		/* tag ghrctl:pool, "" when none */
	int	 spot;			/* instanceLifecycle = spot */
	int	 launch_index;		/* amiLaunchIndex, -1 when absent */
	int64_t	 pool_since;		/* tag ghrctl:pool-since, 0 if none */
	char	 pool_config[24];	/* tag ghrctl:pool-config */
	char	 pool_name[EC2_NAME_MAX];	/* tag ghrctl:pool-name */
};

struct ec2_instances {
	struct ec2_instance	*v;
	size_t			 n;
	size_t			 cap;
};

#define EC2_INSTANCES_INIT	{ NULL, 0, 0 }

void	ec2_instances_release(struct ec2_instances *);
/* Append a copy of in to v. */
void	ec2_instances_add(struct ec2_instances *v, const struct ec2_instance *in);
/* 1 for "pending" and "running": the instances MAX_RUNNERS counts. */
int	ec2_state_live(const char *state);

/*
 * Permission check without side effects (for `ghrctl doctor` and
 * `scale --dry-run`): DryRun=true RunInstances with the first launch
 * option of l, and DryRun DescribeInstances.  EC2 answers DryRunOperation
 * when allowed.  Returns NULL when both are allowed; else the first
 * refusal (ERR_PERM for UnauthorizedOperation, ERR_FAIL for a bad
 * parameter such as an unknown AMI, ERR_UNAVAIL ...).  *checked (may be
 * NULL) receives how many actions were checked.
 */
const struct error	*ec2_check_permissions(struct aws *,
			    const struct ec2_launch *l, size_t *checked);

/*
 * A launch choice: instance type (NULL: the template's), subnet (NULL:
 * the template's), market.  ec2_choices() lists those of l in the order
 * they are tried: every spot choice (when l->spot) before the on-demand
 * ones, type-major; at most EC2_MAX_OPTIONS * EC2_MAX_OPTIONS * 2.
 */
struct ec2_choice {
	const char	*type;
	const char	*subnet;
	int		 spot;
};

#define EC2_CHOICES_MAX	(EC2_MAX_OPTIONS * EC2_MAX_OPTIONS * 2)

size_t			 ec2_choices(const struct ec2_launch *l,
			    struct ec2_choice *out, size_t max);

/*
 * The ClientToken of one batch (pure): "ghrctl-" and 40 hex digits of
 * SHA-256 of the scale set id, the choice (type, subnet, market) and the
 * n runner names, each after its length, in the order given (callers
 * sort them).
 * The same inputs always give the same token.
 */
void			 ec2_batch_token(int64_t scale_set_id,
			    const struct ec2_choice *c, const char *const *names,
			    size_t n, char out[EC2_TOKEN_MAX]);

/*
 * The RunInstances parameters (pure; appended to form, already
 * percent-encoded) for one choice and count instances, with MinCount=1,
 * MaxCount=count, MetadataOptions.HttpTokens=required,
 * MetadataOptions.InstanceMetadataTags=enabled (ghrctl boot reads its
 * runner and its sealed JIT config from its tags),
 * InstanceInitiatedShutdownBehavior=terminate (stop with
 * l->stop_on_shutdown: pool instances stop themselves), the tags on instance and
 * volume, UserData (base64 of user_data, may be NULL) and ClientToken.
 */
const struct error	*ec2_run_form(const struct ec2_launch *,
			    const struct ec2_choice *c, unsigned int count,
			    const struct ec2_tag *tags, size_t ntags,
			    const char *user_data, const char *client_token,
			    struct buf *form);

/* 1 when code means "no capacity here": try the next choice. */
int			 ec2_capacity_code(const char *code);
/* 1 when after code no further spot choice is worth a try. */
int			 ec2_spot_code(const char *code);

/*
 * One RunInstances of up to count instances (MinCount=1) with choice c
 * and ClientToken token: the instances EC2 launched (between 1 and count:
 * EC2 launches fewer when capacity is short) are appended to out in the
 * reply's order.  On IdempotentParameterMismatch (the token was used with
 * other parameters, e.g. by a run before a crash with another template)
 * every live instance launched with the token is looked up with the
 * client-token filter and appended instead; *reused (may be NULL) is 1
 * then.  Errors as aws_query_call(): the EC2 code in aws_last_code().
 * With l->dry_run, EC2's DryRunOperation is success and out stays empty.
 */
const struct error	*ec2_run_batch(struct aws *, const struct ec2_launch *l,
			    const struct ec2_choice *c, unsigned int count,
			    const struct ec2_tag *tags, size_t ntags,
			    const char *user_data, const char *token,
			    struct ec2_instances *out, int *reused);

/*
 * Parse a RunInstances or DescribeInstances reply (pure): every
 * instancesSet/item (under reservationSet/item for Describe) is appended
 * to out; *next (may be NULL; size EC2 token buffer of next_size)
 * receives nextToken or "".  ERR_PROTO on an instance without an id.
 */
const struct error	*ec2_parse_instances(const struct xml_doc *,
			    struct ec2_instances *out, char *next,
			    size_t next_size);

/*
 * Find the live instance (pending or running) of scale set scale_set_id
 * tagged ghrctl:runner = name (tagged after its launch; an untagged one
 * is the pending batch's to tag, see scaler_launch.c).  *found 0 when
 * there is none.
 */
const struct error	*ec2_find_runner(struct aws *, int64_t scale_set_id,
			    const char *name, struct ec2_instance *out,
			    int *found);

/* A DescribeInstances filter: name and up to EC2_MAX_OPTIONS values. */
struct ec2_filter {
	const char	*name;
	const char	*values[EC2_MAX_OPTIONS];
	size_t		 nvalues;
};

/*
 * DescribeInstances with filters, every page (MaxResults EC2_PAGE_SIZE,
 * NextToken until the reply has none), appended to out.
 */
const struct error	*ec2_describe(struct aws *, const struct ec2_filter *,
			    size_t nfilters, struct ec2_instances *out);

/*
 * The instances of scale set scale_set_id in every state EC2 still lists
 * (pending, running, stopping, stopped, and shutting-down and terminated
 * ones, so that an instance that died is seen to be gone): callers count
 * ec2_state_live() ones.
 */
const struct error	*ec2_describe_scale_set(struct aws *,
			    int64_t scale_set_id, struct ec2_instances *out);

/*
 * Terminate ids in batches of EC2_TERMINATE_BATCH (idempotent at EC2).
 * With dry_run, DryRunOperation is success.  *calls (may be NULL) is
 * incremented per request.
 */
const struct error	*ec2_terminate(struct aws *, const char *const *ids,
			    size_t n, int dry_run, unsigned int *calls);

/*
 * StartInstances and StopInstances of ids in batches of
 * EC2_TERMINATE_BATCH, as ec2_terminate().  EC2 refuses to start or
 * stop a one-time spot instance (UnsupportedOperation) and an instance
 * in a state it cannot leave that way (IncorrectInstanceState); the
 * batch then fails as a whole.
 */
const struct error	*ec2_start(struct aws *, const char *const *ids,
			    size_t n, unsigned int *calls);
const struct error	*ec2_stop(struct aws *, const char *const *ids,
			    size_t n, unsigned int *calls);

/* Add tags to resources (ResourceId.N, Tag.N.Key/Value). */
const struct error	*ec2_create_tags(struct aws *, const char *const *ids,
			    size_t n, const struct ec2_tag *tags, size_t ntags,
			    int dry_run);

/*
 * GetConsoleOutput with Latest=true (the current serial console buffer on
 * Nitro types; EC2 keeps the last 64 KB): the decoded text appended to
 * out, nothing when the instance wrote nothing yet.
 */
const struct error	*ec2_console_output(struct aws *, const char *id,
			    struct buf *out);

/* DeleteTags of the keys (any value) on one instance. */
const struct error	*ec2_delete_tags(struct aws *, const char *id,
			    const char *const *keys, size_t n);

/* Split a comma list into v (pointers into buf); returns the count. */
size_t			 ec2_split(const char *list, char *buf, size_t size,
			    const char **v, size_t max);

#endif
