/*
 * SPDX-License-Identifier: ISC
 *
 * SIGINT/SIGTERM/SIGHUP as a stop request for long-running commands; see
 * sig.h.
 */

#include <signal.h>
#include <string.h>
#include <time.h>

#include "sig.h"

volatile sig_atomic_t	 sig_stop;
volatile sig_atomic_t	 sig_winch;

static void
on_winch(int signo)
{
	(void)signo;
	sig_winch = 1;
}

static void
on_stop(int signo)
{
	(void)signo;
	/* Atomic: other threads read it (sig_stopping()). */
	__atomic_store_n(&sig_stop, 1, __ATOMIC_SEQ_CST);
}

/* see sig.h */
void
sig_stop_install(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: waits see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A resized terminal must not cut a wait short. */
	sa.sa_handler = on_winch;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, NULL);
}

/* see sig.h */
int
sig_stopping(void)
{
	return __atomic_load_n(&sig_stop, __ATOMIC_SEQ_CST) != 0;
}

/* see sig.h */
void
sig_nap(long long ms)
{
	struct timespec	 ts, rem;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	/* A signal ends nanosleep with EINTR; only a stop request ends us. */
	while (!sig_stop && nanosleep(&ts, &rem) == -1)
		ts = rem;
}
