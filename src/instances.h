/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_INSTANCES_H
#define GHRCTL_INSTANCES_H

#include <stddef.h>

#include "config.h"
#include "journal.h"

/*
 * Shared by `instances list` and `status` (cmd_instances.c): the job
 * journal of the configured scale set (none when no scale set is
 * configured or it cannot be read: *v NULL, *n 0; free(*v)), and the
 * name of the newest job of runner in it ("" when none).
 */
void		 instances_journal(const struct config *,
		    struct journal_job **v, size_t *n);
const char	*instances_job(const struct journal_job *v, size_t n,
		    const char *runner);

#endif
