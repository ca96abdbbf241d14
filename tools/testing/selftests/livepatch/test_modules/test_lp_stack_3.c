// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest for stacking: one of three patches (test_lp_stack_1,
 * _2 and _3, none of them an atomic replace) that all replace
 * test_lp_mod_f1_show() of test_lp_mod_target.  Each new function names its
 * module, so /proc/test_lp_mod/f1 shows which patch is on top.
 * test_lp_stack_2 also replaces test_lp_mod_f2_show().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int test_lp_stack_f1_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": f1\n");
	return 0;
}

static struct klp_func test_lp_stack_funcs[] = {
	{
		.old_name = "test_lp_mod_f1_show",
		.new_func = test_lp_stack_f1_show,
	},
	{ }
};

static struct klp_object test_lp_stack_objs[] = {
	{
		.name = "test_lp_mod_target",
		.funcs = test_lp_stack_funcs,
	},
	{ }
};

static struct klp_patch test_lp_stack_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_stack_objs,
};

static int __init test_lp_stack_init(void)
{
	return klp_enable_patch(&test_lp_stack_patch);
}

static void __exit test_lp_stack_exit(void)
{
}

module_init(test_lp_stack_init);
module_exit(test_lp_stack_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: stacked patch 3 of 3, replaces f1 of test_lp_mod_target");
