/*
 * SPDX-License-Identifier: ISC
 *
 * abtime RUNS WARMUP CMD1 ... -- CMD2 ...: time two commands run in turn
 * (CMD1, CMD2, CMD1, CMD2, ...), so that a change in the machine's speed
 * during the measurement (a shared 2-CPU VM drifts by half within
 * minutes) reaches both alike, where hyperfine times all runs of one
 * command and then all of the other.  WARMUP rounds are run first and not
 * counted.  Each command's stdout and stderr go to /dev/null; a command
 * exiting non-zero stops abtime with status 1.  Prints, for each command,
 * one line: "mean median stddev min max" in seconds (wall time, from
 * fork to wait).
 */

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run argv once; its wall time in seconds, or -1 when it failed. */
static double
run(char **argv)
{
	double	 t0, t;
	pid_t	 pid;
	int	 st, fd;

	t0 = now();
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) == -1)
		return -1;
	t = now() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "abtime: %s exited with status %d\n", argv[0],
		    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return -1;
	}
	return t;
}

static int
cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
report(double *v, int n)
{
	double	 sum = 0, var = 0, mean, med;
	int	 i;

	for (i = 0; i < n; i++)
		sum += v[i];
	mean = sum / n;
	for (i = 0; i < n; i++)
		var += (v[i] - mean) * (v[i] - mean);
	qsort(v, (size_t)n, sizeof(*v), cmp);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%.6f %.6f %.6f %.6f %.6f\n", mean, med,
	    n > 1 ? sqrt(var / (n - 1)) : 0.0, v[0], v[n - 1]);
}

int
main(int argc, char *argv[])
{
	char	**a, **b, **cmd[2];
	double	*ta, *tb, *t[2], s;
	int	 runs, warm, i, k, w;

	if (argc < 6 || (runs = atoi(argv[1])) < 1 || (warm = atoi(argv[2]))
	    < 0) {
		fprintf(stderr, "usage: abtime RUNS WARMUP CMD1 ... -- CMD2 "
		    "...\n");
		return 2;
	}
	a = argv + 3;
	for (k = 3; k < argc && strcmp(argv[k], "--") != 0; k++)
		;
	if (k >= argc - 1 || k == 3) {
		fprintf(stderr, "abtime: two commands, split by --\n");
		return 2;
	}
	argv[k] = NULL;
	b = argv + k + 1;
	ta = calloc((size_t)runs, sizeof(*ta));
	tb = calloc((size_t)runs, sizeof(*tb));
	if (ta == NULL || tb == NULL)
		return 1;
	cmd[0] = a;
	cmd[1] = b;
	t[0] = ta;
	t[1] = tb;
	for (i = -warm; i < runs; i++) {
		/* Alternate which goes first, so neither always follows. */
		for (k = 0; k < 2; k++) {
			w = (k + (i & 1)) & 1;
			if ((s = run(cmd[w])) < 0)
				return 1;
			if (i >= 0)
				t[w][i] = s;
		}
	}
	report(ta, runs);
	report(tb, runs);
	return 0;
}
