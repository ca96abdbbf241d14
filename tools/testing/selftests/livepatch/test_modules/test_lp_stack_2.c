// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest for stacking: the middle one of three patches that
 * all replace test_lp_mod_f1_show() of test_lp_mod_target.  This one also
 * replaces test_lp_mod_f2_show(), which no other of the three touches, so
 * it stays the active entry for f2 while patch 3 is on top of f1.
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

static int test_lp_stack_f2_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": f2\n");
	return 0;
}

static struct klp_func test_lp_stack_funcs[] = {
	{
		.old_name = "test_lp_mod_f1_show",
		.new_func = test_lp_stack_f1_show,
	},
	{
		.old_name = "test_lp_mod_f2_show",
		.new_func = test_lp_stack_f2_show,
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
MODULE_DESCRIPTION("Livepatch selftest: stacked patch 2 of 3, replaces f1 and f2 of test_lp_mod_target");
