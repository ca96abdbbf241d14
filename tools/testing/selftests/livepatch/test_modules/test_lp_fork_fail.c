// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault injection for test-pending.sh: makes a fork() fail after
 * klp_copy_process() has given the child its parent's patch state, as a
 * SIGKILL that arrives during the fork does.  An ftrace callback on
 * klp_copy_process() sends SIGKILL to the forking task; copy_process()
 * then sees fatal_signal_pending() under tasklist_lock and gives up,
 * with the child already counted as pending.
 *
 * Only the process whose tgid is in "victim", only while it has
 * TIF_PATCH_PENDING, and only "shots" times; "fired" counts the kills.
 *
 * The victim must be marked pending inside fork() and still be pending
 * at klp_copy_process(), and every cond_resched() or might_sleep() on the
 * way switches it (PREEMPT_VOLUNTARY has many in fork).  So a second
 * callback, on sched_cgroup_fork(), after which fork() has no such point
 * before klp_copy_process(), holds a victim that is not pending yet
 * there, running, until a transition marks it (or for HOLD_SECONDS): a
 * running task cannot be switched by the transition.  "held" counts the
 * forks it held that left pending.
 * klp_copy_process() runs under tasklist_lock held for writing, so the
 * callback never runs twice at once and plain integers do.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/sched/signal.h>

#include "test_lp_hook.h"

static int victim;
module_param(victim, int, 0644);
MODULE_PARM_DESC(victim, "tgid of the process whose pending forks fail");

static int shots;
module_param(shots, int, 0644);
MODULE_PARM_DESC(shots, "how many more forks to make fail");

static int fired;
module_param(fired, int, 0444);
MODULE_PARM_DESC(fired, "forks made to fail so far");

/* current is the victim and a shot is left. */
static bool notrace test_lp_fork_armed(void)
{
	return current->tgid == READ_ONCE(victim) && READ_ONCE(shots) > 0;
}

static void notrace test_lp_fork_kill(unsigned long ip, unsigned long parent_ip,
				      struct ftrace_ops *ops,
				      struct ftrace_regs *fregs)
{
	if (!test_lp_fork_armed() || !klp_patch_pending(current))
		return;
	WRITE_ONCE(shots, shots - 1);
	send_sig(SIGKILL, current, 1);
	WRITE_ONCE(fired, fired + 1);
}

static struct ftrace_ops test_lp_fork_ops = {
	.func = test_lp_fork_kill,
};

#define HOLD_SECONDS	5

static int held;
module_param(held, int, 0444);
MODULE_PARM_DESC(held, "forks held in sched_cgroup_fork() until they were pending");

/*
 * Busy, not asleep and not through cond_resched(): either would let the
 * transition switch the victim.  Preemption stays enabled, so RCU and
 * the other CPU's work go on.
 */
static void notrace test_lp_fork_hold(unsigned long ip, unsigned long parent_ip,
				      struct ftrace_ops *ops,
				      struct ftrace_regs *fregs)
{
	unsigned long deadline = jiffies + HOLD_SECONDS * HZ;

	if (!test_lp_fork_armed())
		return;
	while (!klp_patch_pending(current) && time_before(jiffies, deadline))
		cpu_relax();
	if (klp_patch_pending(current))
		WRITE_ONCE(held, held + 1);
}

static struct ftrace_ops test_lp_hold_ops = {
	.func = test_lp_fork_hold,
};

static int __init test_lp_fork_fail_init(void)
{
	char name[] = "klp_copy_process";
	char hold[] = "sched_cgroup_fork";
	int ret;

	ret = test_lp_hook_start(&test_lp_fork_ops, name);
	if (ret)
		return ret;
	ret = test_lp_hook_start(&test_lp_hold_ops, hold);
	if (ret)
		test_lp_hook_stop(&test_lp_fork_ops);
	return ret;
}

static void __exit test_lp_fork_fail_exit(void)
{
	test_lp_hook_stop(&test_lp_hold_ops);
	test_lp_hook_stop(&test_lp_fork_ops);
}

module_init(test_lp_fork_fail_init);
module_exit(test_lp_fork_fail_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: a fork that fails after the child was counted");
