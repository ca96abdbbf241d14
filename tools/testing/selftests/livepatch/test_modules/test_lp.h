/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the target module test_lp_target shares with the livepatches that
 * replace its functions.  State reaches a patchable function through
 * seq_file::private, so a replacement needs no symbol of the target and
 * the livepatch module does not depend on it.
 */
#ifndef _TEST_LP_H
#define _TEST_LP_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/jiffies.h>
#include <linux/wait.h>

/* What a patchable function reports, so user space can tell which ran. */
#define TEST_LP_ORIGINAL	1
#define TEST_LP_PATCHED		2

/**
 * struct test_lp_gate - keeps readers of /proc/test_lp/busy in the function
 *	that a livepatch wants to replace
 * @wq:		readers sleep here until @open is set
 * @open:	readers may leave; set and cleared through /proc/test_lp/busy_ctl
 * @inside:	readers currently waiting, so a test knows when one is parked
 */
struct test_lp_gate {
	wait_queue_head_t wq;
	bool open;
	atomic_t inside;
};

/*
 * Park the caller until the gate opens.  Always inlined, so the sleeping
 * frame is the caller's, i.e. the function under test.  The wait is
 * killable rather than interruptible: a transition's fake signal must not
 * let the reader out early, and a killable sleep is exempt from the
 * hung-task detector.
 */
static __always_inline int test_lp_gate_pass(struct test_lp_gate *gate)
{
	int ret;

	atomic_inc(&gate->inside);
	/* Pairs with smp_store_release() in test_lp_gate_set(). */
	ret = wait_event_killable(gate->wq, smp_load_acquire(&gate->open));
	atomic_dec(&gate->inside);
	return ret;
}

/* How long a read of /proc/test_lp/wait sleeps when nothing wakes it. */
#define TEST_LP_WAIT_MS		10000

/*
 * Sleep interruptibly for TEST_LP_WAIT_MS, the way epoll_wait() or a
 * socket receive with a timeout does: anything that makes a signal
 * pending, a transition's fake signal included, ends the wait with
 * -EINTR, which such calls pass to the program.  Inlined, so the
 * sleeping frame is the caller's.
 */
static __always_inline int test_lp_wait_interruptible(void)
{
	static DECLARE_WAIT_QUEUE_HEAD(wq);
	long left;

	left = wait_event_interruptible_timeout(wq, false,
						msecs_to_jiffies(TEST_LP_WAIT_MS));
	return left < 0 ? -EINTR : 0;
}

/**
 * struct test_lp_spin - a CPU-bound kthread calling a patchable function
 * @step:	called on every iteration through this pointer, so the call
 *		always reaches the symbol a livepatch redirects
 * @version:	what the last call of @step returned
 * @loops:	iterations done since the kthread started
 */
struct test_lp_spin {
	int (*step)(struct test_lp_spin *spin);
	int version;
	unsigned long loops;
};

/*
 * The second half of a read of /proc/test_lp/relay, installed by
 * test_lp_mid_target with test_lp_relay_set(): waits at @gate and
 * returns TEST_LP_ORIGINAL or TEST_LP_PATCHED, or -EINTR.
 */
typedef int test_lp_relay_fn(struct test_lp_gate *gate);

void test_lp_relay_set(test_lp_relay_fn *fn);

#endif /* _TEST_LP_H */
