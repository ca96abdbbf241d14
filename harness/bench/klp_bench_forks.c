// SPDX-License-Identifier: GPL-2.0-only
/*
 * klp_bench_forks
 *
 * Fork probe for the livepatch benchmark (harness/bench), linked
 * statically on the host.  Forks in a loop, a child that exits at once,
 * and times each fork() in the parent, until SIGUSR1 or SIGTERM.  Then
 * prints one line:
 *   forks COUNT max_us MAX p99_us P99 median_us MEDIAN
 * fork() takes tasklist_lock for writing, with interrupts off, so a
 * walk of every task that holds it for reading shows up here as the
 * slowest fork.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES	(1 << 20)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	long long *lat, t0, t1;
	long n = 0;
	pid_t pid;

	lat = malloc(MAX_SAMPLES * sizeof(*lat));
	if (!lat) {
		perror("klp_bench_forks: malloc");
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!stop && n < MAX_SAMPLES) {
		t0 = now_ns();
		pid = fork();
		if (pid == 0)
			_exit(0);
		t1 = now_ns();
		if (pid < 0) {
			perror("klp_bench_forks: fork");
			return 1;
		}
		lat[n++] = t1 - t0;
		while (waitpid(pid, NULL, 0) < 0 && !stop)
			;
	}
	/* A signal between fork() and waitpid() may leave one child. */
	while (waitpid(-1, NULL, 0) > 0)
		;
	if (!n) {
		fprintf(stderr, "klp_bench_forks: no fork timed\n");
		return 1;
	}
	qsort(lat, n, sizeof(*lat), cmp_ll);
	printf("forks %ld max_us %lld p99_us %lld median_us %lld\n", n,
	       lat[n - 1] / 1000, lat[n - 1 - n / 100] / 1000, lat[n / 2] / 1000);
	return 0;
}
