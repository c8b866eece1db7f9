/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_USERDATA_H
#define GHRCTL_USERDATA_H

#include "buf.h"
#include "error.h"

/*
 * The user data a runner instance boots with: a shell script rendered
 * from a template with the placeholders {{SIGNING_KEY}} (ghrctl's public
 * signing key, for `ghrctl boot`), {{RUNNER_NAME}} (the launch's
 * ClientToken: a batch of runners shares one user data), {{SCALE_SET_ID}}
 * and {{SCALE_SET_NAME}}.  No secret goes in: a template that still has
 * {{JIT_CONFIG}} is ERR_CONFIG.  Rendering is pure (no I/O),
 * so it is unit-tested and fuzzed alone.
 */

/* Render tmpl into out (NUL-terminated); ERR_PROTO when out's ceiling is passed. */
const struct error	*userdata_render(const char *tmpl, const char *signing_key,
			    const char *name, const char *set_id,
			    const char *set_name, struct buf *out);

/* The built-in template (= contrib/user-data.sh.tmpl). */
const char		*userdata_default_template(void);

/*
 * Read the template file path into *out (malloc'd, NUL-terminated).
 * ERR_CONFIG when it cannot be read or is larger than EC2's user-data
 * limit.
 */
const struct error	*userdata_read(const char *path, char **out);

#endif
