// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest for atomic replace: the patch that gets replaced.  It
 * changes f1 and f2 of test_lp_mod_target and version_proc_show() of
 * vmlinux (/proc/version).  "replace=0" loads it as a patch that is not
 * cumulative itself; test_lp_repl_b replaces it either way.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>

static bool replace = true;
module_param(replace, bool, 0444);
MODULE_PARM_DESC(replace, "register as an atomic-replace patch (default: yes)");

static int test_lp_repl_a_f1_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": f1\n");
	return 0;
}

static int test_lp_repl_a_f2_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": f2\n");
	return 0;
}

static int test_lp_repl_a_version_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": version\n");
	return 0;
}

static struct klp_func test_lp_repl_a_vmlinux_funcs[] = {
	{
		.old_name = "version_proc_show",
		.new_func = test_lp_repl_a_version_show,
	},
	{ }
};

static struct klp_func test_lp_repl_a_target_funcs[] = {
	{
		.old_name = "test_lp_mod_f1_show",
		.new_func = test_lp_repl_a_f1_show,
	},
	{
		.old_name = "test_lp_mod_f2_show",
		.new_func = test_lp_repl_a_f2_show,
	},
	{ }
};

static struct klp_object test_lp_repl_a_objs[] = {
	{
		/* name == NULL: vmlinux */
		.funcs = test_lp_repl_a_vmlinux_funcs,
	},
	{
		.name = "test_lp_mod_target",
		.funcs = test_lp_repl_a_target_funcs,
	},
	{ }
};

static struct klp_patch test_lp_repl_a_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_repl_a_objs,
};

static int __init test_lp_repl_a_init(void)
{
	test_lp_repl_a_patch.replace = replace;
	return klp_enable_patch(&test_lp_repl_a_patch);
}

static void __exit test_lp_repl_a_exit(void)
{
}

module_init(test_lp_repl_a_init);
module_exit(test_lp_repl_a_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: patch f1 and f2 of test_lp_mod_target and /proc/version");
