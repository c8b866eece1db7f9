/*
 * SPDX-License-Identifier: ISC
 *
 * The user-data template of a runner instance (see userdata.h): the
 * built-in template, reading a template file, and rendering one.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ec2.h"
#include "userdata.h"

static const char default_tmpl[] =
	"#!/bin/sh\n"
	"# ghrctl runner bootstrap (cloud-init user data).  Before the launch\n"
	"# ghrctl fills in the placeholders RUNNER_NAME, SCALE_SET_ID,\n"
	"# SCALE_SET_NAME and JIT_CONFIG (each in double braces).  The JIT\n"
	"# config registers exactly one ephemeral runner and works once; it is\n"
	"# readable through IMDS and ec2:DescribeInstanceAttribute.  The instance\n"
	"# powers off when the runner exits, and InstanceInitiatedShutdownBehavior\n"
	"# =terminate ends it.\n"
	"set -u\n"
	"RUNNER_DIR=${RUNNER_DIR:-/opt/actions-runner}\n"
	"RUNNER_USER=${RUNNER_USER:-runner}\n"
	"trap 'shutdown -h now' EXIT\n"
	"exec >>/var/log/ghrctl-runner.log 2>&1\n"
	"echo \"ghrctl: runner {{RUNNER_NAME}} of scale set {{SCALE_SET_NAME}} ({{SCALE_SET_ID}})\"\n"
	"if [ ! -x \"$RUNNER_DIR/run.sh\" ]; then\n"
	"\techo \"ghrctl: $RUNNER_DIR/run.sh missing: bake the actions runner into the AMI\"\n"
	"\texit 1\n"
	"fi\n"
	"id \"$RUNNER_USER\" >/dev/null 2>&1 || useradd -m \"$RUNNER_USER\"\n"
	"chown -R \"$RUNNER_USER\" \"$RUNNER_DIR\"\n"
	"umask 077\n"
	"printf '%s' '{{JIT_CONFIG}}' >\"$RUNNER_DIR/.jitconfig\"\n"
	"chown \"$RUNNER_USER\" \"$RUNNER_DIR/.jitconfig\"\n"
	"cd \"$RUNNER_DIR\" || exit 1\n"
	"su \"$RUNNER_USER\" -c './run.sh --jitconfig \"$(cat .jitconfig)\"'\n"
	"rm -f \"$RUNNER_DIR/.jitconfig\"\n";

/* see userdata.h */
const char *
userdata_default_template(void)
{
	return default_tmpl;
}

/* see userdata.h */
const struct error *
userdata_read(const char *path, char **out)
{
	struct buf	 b = BUF_INIT(EC2_USER_DATA_MAX + 1);
	const struct error *e = NULL;
	char		 tmp[4096];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_fmt(ERR_CONFIG, "cannot read user-data template "
		    "'%s': %s", path, strerror(errno));
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			e = error_fmt(ERR_CONFIG, "cannot read user-data "
			    "template '%s': %s", path, strerror(errno));
			break;
		}
		if ((e = buf_add(&b, tmp, (size_t)n)) != NULL) {
			e = error_fmt(ERR_CONFIG, "user-data template '%s' is "
			    "larger than EC2's %u bytes", path,
			    EC2_USER_DATA_MAX);
			break;
		}
	}
	close(fd);
	if (e == NULL && (e = buf_addc(&b, '\0')) == NULL)
		*out = buf_detach(&b, NULL);
	buf_release(&b);
	return e;
}

/* see userdata.h */
const struct error *
userdata_render(const char *tmpl, const char *jit, const char *name,
    const char *set_id, const char *set_name, struct buf *out)
{
	static const char *const keys[] = {
		"{{JIT_CONFIG}}", "{{RUNNER_NAME}}", "{{SCALE_SET_ID}}",
		"{{SCALE_SET_NAME}}", NULL
	};
	const char		*vals[4];
	const struct error	*e;
	const char		*p = tmpl, *q;
	size_t			 k, n;

	vals[0] = jit;
	vals[1] = name;
	vals[2] = set_id;
	vals[3] = set_name;
	while ((q = strstr(p, "{{")) != NULL) {
		if ((e = buf_add(out, p, (size_t)(q - p))) != NULL)
			return e;
		for (k = 0; keys[k] != NULL; k++) {
			n = strlen(keys[k]);
			if (strncmp(q, keys[k], n) == 0)
				break;
		}
		if (keys[k] == NULL) {
			if ((e = buf_add(out, "{{", 2)) != NULL)
				return e;
			p = q + 2;
			continue;
		}
		if ((e = buf_adds(out, vals[k])) != NULL)
			return e;
		p = q + n;
	}
	if ((e = buf_adds(out, p)) != NULL)
		return e;
	return buf_addc(out, '\0');
}
