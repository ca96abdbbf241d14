// SPDX-License-Identifier: GPL-2.0-only
/*
 * klp_bench_threads N sleep|busy
 *
 * Load for the livepatch benchmark (harness/bench), linked statically on
 * the host.  Starts N threads, prints "ready N" once all of them are in
 * place, then waits to be killed.
 *   sleep  every thread blocks in read() on a pipe nobody writes to;
 *   busy   every thread calls getppid() in a loop, so it is always
 *          running, runnable or just back from a syscall.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int pipe_fds[2];
static pthread_barrier_t start_line;
static atomic_long nr_started;

static void *sleep_thread(void *unused)
{
	char c;

	atomic_fetch_add(&nr_started, 1);
	for (;;) {
		if (read(pipe_fds[0], &c, 1) < 0 && errno != EINTR)
			break;
	}
	return NULL;
}

static void *busy_thread(void *unused)
{
	/* Wait for the others: spinning now would starve thread creation. */
	pthread_barrier_wait(&start_line);
	atomic_fetch_add(&nr_started, 1);
	for (;;)
		syscall(SYS_getppid);
	return NULL;
}

int main(int argc, char **argv)
{
	void *(*fn)(void *);
	pthread_attr_t attr;
	pthread_t tid;
	long n, i;
	int err;

	if (argc != 3 || (n = strtol(argv[1], NULL, 0)) <= 0) {
		fprintf(stderr, "usage: %s N sleep|busy\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[2], "sleep")) {
		fn = sleep_thread;
	} else if (!strcmp(argv[2], "busy")) {
		fn = busy_thread;
	} else {
		fprintf(stderr, "%s: mode must be sleep or busy\n", argv[0]);
		return 2;
	}
	if (pipe(pipe_fds) || pthread_barrier_init(&start_line, NULL, n + 1)) {
		perror("klp_bench_threads: setup");
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < n; i++) {
		err = pthread_create(&tid, &attr, fn, NULL);
		if (err) {
			fprintf(stderr, "klp_bench_threads: thread %ld of %ld: %s\n",
				i + 1, n, strerror(err));
			return 1;
		}
	}
	if (fn == busy_thread)
		pthread_barrier_wait(&start_line);
	while (atomic_load(&nr_started) < n)
		usleep(1000);
	/* The last ones may still be on their way into read(). */
	usleep(200 * 1000);
	printf("ready %ld\n", n);
	fflush(stdout);
	for (;;)
		pause();
}
