// SPDX-License-Identifier: GPL-2.0-only
/*
 * lp_fail_nth: make the NTH fault-injection site this task reaches fail,
 * around exactly one system call (test-faults.sh), or just issue that call
 * (test-hostile.sh).
 *
 *   lp_fail_nth NTH insmod MODULE.ko [PARAMS]	init_module(2) of the file
 *   lp_fail_nth NTH write FILE [VALUE]		one write(2) of VALUE (no
 *						newline), or of all of stdin
 *   lp_fail_nth NTH read FILE			one read(2) of up to 4 KiB,
 *						never retried on EINTR
 *
 * NTH 0 injects nothing, which makes the write mode a way to issue one
 * write(2) of arbitrary bytes.  Prints "<errno> <left> <ret> <strerror>":
 * errno is 0 when the call succeeded; left is what remained of NTH
 * afterwards, so 0 means the fault was injected and a positive value means
 * the call reached fewer than NTH sites (with NTH 0, left is 0); ret is
 * what the call returned.  A read prints what it read on the next line.
 * Exits 0 when the call succeeded, 1 when it failed, 2 when the helper
 * itself could not run (the reason on stderr, e.g. the open of FILE).
 *
 * Everything that could allocate (reading the module, opening the files)
 * happens before /proc/thread-self/fail-nth is armed, and the counter is
 * read back through a descriptor opened beforehand, so only the one call
 * is exposed.  init_module(2) is used rather than finit_module(2) because
 * it copies the image with __GFP_NOWARN: a failure injected there must not
 * print an allocation-failure report.  Failslab must be set up by the
 * caller (ignore-gfp-wait=N, verbose=0), see
 * Documentation/fault-injection/fault-injection.rst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "lp_fail_nth: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* All of @fd, read to its end. */
static void *read_all(int fd, const char *what, size_t *len)
{
	size_t done = 0, size = 65536;
	char *buf = malloc(size);
	ssize_t n;

	for (;;) {
		if (!buf)
			die("malloc");
		n = read(fd, buf + done, size - done);
		if (n < 0)
			die(what);
		if (n == 0)
			break;
		done += n;
		if (done == size)
			buf = realloc(buf, size *= 2);
	}
	*len = done;
	return buf;
}

static void *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *buf;

	if (fd < 0)
		die(path);
	buf = read_all(fd, path, len);
	close(fd);
	return buf;
}

int main(int argc, char **argv)
{
	char nth[32], left[32] = "0";
	const char *params = "";
	bool insmod, rd;
	char rbuf[4096];
	size_t len = 0;
	void *data;
	int ctl, fd = -1, err = 0;
	long ret;

	if (argc < 4 || argc > 5 ||
	    (strcmp(argv[2], "insmod") && strcmp(argv[2], "write") &&
	     strcmp(argv[2], "read"))) {
		fprintf(stderr, "usage: lp_fail_nth NTH insmod MODULE.ko [PARAMS]\n"
				"       lp_fail_nth NTH write FILE [VALUE]\n"
				"       lp_fail_nth NTH read FILE\n");
		return 2;
	}
	snprintf(nth, sizeof(nth), "%lu", strtoul(argv[1], NULL, 10));
	insmod = !strcmp(argv[2], "insmod");
	rd = !strcmp(argv[2], "read");

	if (rd) {
		fd = open(argv[3], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die(argv[3]);
	} else if (insmod) {
		data = read_file(argv[3], &len);
		if (argc > 4)
			params = argv[4];
	} else {
		if (argc > 4) {
			data = argv[4];
			len = strlen(argv[4]);
		} else {
			data = read_all(STDIN_FILENO, "stdin", &len);
		}
		fd = open(argv[3], O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			die(argv[3]);
	}

	/* NTH 0: nothing to arm, and no need for fault injection at all. */
	ctl = -1;
	if (strcmp(nth, "0")) {
		ctl = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
		if (ctl < 0)
			die("/proc/thread-self/fail-nth");
		if (write(ctl, nth, strlen(nth)) < 0)
			die("arming fail-nth");
	}

	if (rd)
		ret = read(fd, rbuf, sizeof(rbuf) - 1);
	else if (insmod)
		ret = syscall(SYS_init_module, data, len, params);
	else
		ret = write(fd, data, len);
	if (ret < 0)
		err = errno;

	if (ctl >= 0) {
		if (pread(ctl, left, sizeof(left) - 1, 0) < 0)
			die("reading fail-nth");
		if (write(ctl, "0", 1) < 0)
			die("disarming fail-nth");
	}

	printf("%d %ld %ld %s\n", err, strtol(left, NULL, 10), ret, strerror(err));
	if (rd && ret >= 0)
		printf("%.*s", (int)ret, rbuf);
	return err ? 1 : 0;
}
