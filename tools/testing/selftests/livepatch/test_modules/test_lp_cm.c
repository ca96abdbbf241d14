// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest for the consistency model.  Replaces two functions of
 * test_lp_target: test_lp_busy_show(), in which readers of /proc/test_lp/busy
 * sleep, and test_lp_spin_step(), which a CPU-bound kthread calls in a loop.
 * The new busy function sleeps at the same gate, so a reader can hold up
 * the unpatching transition as well as the patching one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "test_lp.h"

static int test_lp_cm_busy_show(struct seq_file *m, void *v)
{
	struct test_lp_gate *gate = m->private;

	if (test_lp_gate_pass(gate))
		return -EINTR;
	seq_puts(m, KBUILD_MODNAME ": patched\n");
	return 0;
}

static int test_lp_cm_spin_step(struct test_lp_spin *spin)
{
	return TEST_LP_PATCHED;
}

static struct klp_func test_lp_cm_funcs[] = {
	{
		.old_name = "test_lp_busy_show",
		.new_func = test_lp_cm_busy_show,
	},
	{
		.old_name = "test_lp_spin_step",
		.new_func = test_lp_cm_spin_step,
	},
	{ }
};

static struct klp_object test_lp_cm_objs[] = {
	{
		.name = "test_lp_target",
		.funcs = test_lp_cm_funcs,
	},
	{ }
};

static struct klp_patch test_lp_cm_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_cm_objs,
};

static int __init test_lp_cm_init(void)
{
	return klp_enable_patch(&test_lp_cm_patch);
}

static void __exit test_lp_cm_exit(void)
{
}

module_init(test_lp_cm_init);
module_exit(test_lp_cm_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: functions that hold up a transition");
