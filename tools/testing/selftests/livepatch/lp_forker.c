// SPDX-License-Identifier: GPL-2.0-only
/*
 * lp_forker: fork(2) in a tight loop and do nothing else, until a fork
 * fails or COUNT forks are done (test-pending.sh).
 *
 *   lp_forker COUNT
 *
 * The children exit at once and the kernel reaps them (SIGCHLD is
 * ignored), so the loop makes no other system call and the task spends
 * nearly all its time inside fork().  Prints "<forks> <errno> <strerror>"
 * when it stops; a SIGKILL during a fork ends it without a word.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long count, n;
	int err = 0;

	count = argc == 2 ? strtol(argv[1], NULL, 0) : 0;
	if (count <= 0) {
		fprintf(stderr, "usage: %s COUNT\n", argv[0]);
		return 2;
	}
	signal(SIGCHLD, SIG_IGN);
	for (n = 0; n < count; n++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0) {
			err = errno;
			break;
		}
	}
	printf("%ld %d %s\n", n, err, strerror(err));
	return err ? 1 : 0;
}
