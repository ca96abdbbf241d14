// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest for test-stress.sh: one of two atomic-replace
 * patches (test_lp_stress_a and _b, built from this file) that the test
 * alternates, each replacing the other.  Both change /proc/cmdline, the
 * plain function of test_lp_target and the step its spinning kthread
 * calls.  Every new function names the module it is in, so a reader can
 * tell which patch answered and spot anything that is neither.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "test_lp.h"

static int test_lp_stress_cmdline_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": patched cmdline\n");
	return 0;
}

static int test_lp_stress_plain_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": patched\n");
	return 0;
}

static int test_lp_stress_spin_step(struct test_lp_spin *spin)
{
	return TEST_LP_PATCHED;
}

static struct klp_func test_lp_stress_vmlinux_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = test_lp_stress_cmdline_show,
	},
	{ }
};

static struct klp_func test_lp_stress_target_funcs[] = {
	{
		.old_name = "test_lp_plain_show",
		.new_func = test_lp_stress_plain_show,
	},
	{
		.old_name = "test_lp_spin_step",
		.new_func = test_lp_stress_spin_step,
	},
	{ }
};

static struct klp_object test_lp_stress_objs[] = {
	{
		/* name == NULL: vmlinux */
		.funcs = test_lp_stress_vmlinux_funcs,
	},
	{
		.name = "test_lp_target",
		.funcs = test_lp_stress_target_funcs,
	},
	{ }
};

static struct klp_patch test_lp_stress_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_stress_objs,
	.replace = true,
};

static int __init test_lp_stress_init(void)
{
	return klp_enable_patch(&test_lp_stress_patch);
}

static void __exit test_lp_stress_exit(void)
{
}

module_init(test_lp_stress_init);
module_exit(test_lp_stress_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: atomic-replace patch of /proc/cmdline and test_lp_target, for stress cycles");
