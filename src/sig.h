/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_SIG_H
#define GHRCTL_SIG_H

#include <signal.h>

/*
 * The stop request of long-running commands (poll --follow, metric
 * --follow).  sig_stop_install() makes SIGINT, SIGTERM and SIGHUP (a
 * closed terminal, tmux or ssh; there is nothing to reload: the
 * configuration is read once) set sig_stop
 * (handlers without SA_RESTART, so sleeps and waits return early); the
 * transport's waits (net.c) give up with ERR_TEMP "interrupted" once it is
 * set, so a command blocked in a 50-second long poll stops at once and can
 * still close its session.  The flag is one of the two globals STYLE.md
 * allows (with the log level).
 */

extern volatile sig_atomic_t	 sig_stop;
/* Set by SIGWINCH (installed with the stop handlers): re-read the width. */
extern volatile sig_atomic_t	 sig_winch;

void	sig_stop_install(void);

/*
 * sig_stop read atomically: for threads other than the main one, which
 * takes the signals (a plain read there races with the handler's write).
 */
int	sig_stopping(void);

/* Sleep ms milliseconds, returning early when sig_stop is set. */
void	sig_nap(long long ms);

#endif
