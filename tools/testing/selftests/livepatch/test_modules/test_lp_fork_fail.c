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

static void notrace test_lp_fork_kill(unsigned long ip, unsigned long parent_ip,
				      struct ftrace_ops *ops,
				      struct ftrace_regs *fregs)
{
	if (current->tgid != READ_ONCE(victim) || !klp_patch_pending(current))
		return;
	if (READ_ONCE(shots) <= 0)
		return;
	WRITE_ONCE(shots, shots - 1);
	send_sig(SIGKILL, current, 1);
	WRITE_ONCE(fired, fired + 1);
}

static struct ftrace_ops test_lp_fork_ops = {
	.func = test_lp_fork_kill,
};

static int __init test_lp_fork_fail_init(void)
{
	char name[] = "klp_copy_process";

	return test_lp_hook_start(&test_lp_fork_ops, name);
}

static void __exit test_lp_fork_fail_exit(void)
{
	test_lp_hook_stop(&test_lp_fork_ops);
}

module_init(test_lp_fork_fail_init);
module_exit(test_lp_fork_fail_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: a fork that fails after the child was counted");
