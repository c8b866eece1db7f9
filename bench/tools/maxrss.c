/*
 * SPDX-License-Identifier: ISC
 *
 * maxrss [-t] CMD [ARGS...]: run CMD and print its peak resident set size
 * in KiB on stderr; with -t, the same line also carries CMD's user and
 * system CPU time in seconds (from wait4(2)): "KIB UTIME STIME".  The child is stopped at its exit (ptrace PTRACE_O_TRACEEXIT),
 * while its memory still exists, and VmHWM is read from /proc/PID/status:
 * wait4's ru_maxrss reads 0 for a process as short-lived as
 * `ghrctl --version`, because the kernel folds the RSS counters in lazily.
 * CMD's stdout is discarded.
 */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static long
hwm(pid_t pid)
{
	char	 path[64], line[256];
	long	 kb = -1;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			sscanf(line + 6, "%ld", &kb);
	fclose(f);
	return kb;
}

int
main(int argc, char *argv[])
{
	struct rusage	 ru;
	pid_t		 pid;
	int		 st, fd, cpu = 0;
	long		 kb = -1;

	if (argc > 1 && strcmp(argv[1], "-t") == 0) {
		cpu = 1;
		argc--;
		argv++;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: maxrss [-t] cmd [args...]\n");
		return 2;
	}
	memset(&ru, 0, sizeof(ru));
	if ((pid = fork()) == -1)
		return 2;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			dup2(fd, 1);
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) == -1 || !WIFSTOPPED(st))
		return 2;
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_TRACEEXIT);
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	for (;;) {
		if (wait4(pid, &st, 0, &ru) == -1)
			return 2;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		if (WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)))
			kb = hwm(pid);
		ptrace(PTRACE_CONT, pid, NULL, WIFSTOPPED(st) &&
		    WSTOPSIG(st) != SIGTRAP ? (void *)(long)WSTOPSIG(st) : NULL);
	}
	if (cpu)
		fprintf(stderr, "%ld %ld.%06ld %ld.%06ld\n", kb,
		    (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
		    (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
	else
		fprintf(stderr, "%ld\n", kb);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
