/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_CMD_POLL_H
#define GHRCTL_CMD_POLL_H

#include "cmd.h"
#include "scaler.h"

/*
 * `scale` with the Actions Service (cmd_scale.c calls it): lock the scale
 * set's state, open the scaler, take the message session (the one kept in
 * the state file, else a new one).  Holding it, read the messages waiting
 * (each poll cut by GHRCTL_READ_DEADLINE), acquire their jobs and launch
 * for what acquirejobs returned, ack; then one scaler pass (statistics,
 * drift correction, scale-down) printed in fmt.  Only the session holder
 * launches: when another ghrctl holds the session (409), one line says
 * so and the pass retires idle runners and cleans up, launching nothing.
 * close_session (--close-session): end the session after the pass.
 */
const struct error	*poll_scale(struct ctx *, struct scaler_opts *,
			    enum out_fmt, int close_session);

#endif
