// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest for atomic replace: the replacing patch.  It changes
 * only f1 of test_lp_mod_target, differently from test_lp_repl_a, so once
 * it is in force f2 and /proc/version must run the original code again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int test_lp_repl_b_f1_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": f1\n");
	return 0;
}

static struct klp_func test_lp_repl_b_funcs[] = {
	{
		.old_name = "test_lp_mod_f1_show",
		.new_func = test_lp_repl_b_f1_show,
	},
	{ }
};

static struct klp_object test_lp_repl_b_objs[] = {
	{
		.name = "test_lp_mod_target",
		.funcs = test_lp_repl_b_funcs,
	},
	{ }
};

static struct klp_patch test_lp_repl_b_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_repl_b_objs,
	.replace = true,
};

static int __init test_lp_repl_b_init(void)
{
	return klp_enable_patch(&test_lp_repl_b_patch);
}

static void __exit test_lp_repl_b_exit(void)
{
}

module_init(test_lp_repl_b_init);
module_exit(test_lp_repl_b_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: atomic replace that keeps only a new f1 of test_lp_mod_target");
