/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_SCALER_IMPL_H
#define GHRCTL_SCALER_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "scaler.h"

/* What the scaler's own files share (scaler*.c only). */

/*
 * Remove runner id through the service the runners came from: 0 removed
 * (or already gone), 1 busy (refused), -1 another failure (*ep).
 */
int			 scaler_source_remove(struct scaler *, int64_t id,
			    const struct error **ep);

/* The id of the runner called name; *found 0 when there is none. */
const struct error	*scaler_source_find(struct scaler *, const char *name,
			    int64_t *id, int *found);

/*
 * Launch n runners for statistics (DryRun: check permissions only); the
 * new instance ids are appended to *ids.  The first failure is returned,
 * the others logged.
 */
const struct error	*scaler_launch_new(struct scaler *,
			    struct scaler_obs *, unsigned int n, char ***ids,
			    size_t *nids);

/* Free the launch workers and their clients. */
void			 scaler_workers_free(struct scaler *);

#endif
