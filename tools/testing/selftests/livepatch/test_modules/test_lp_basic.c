// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest: the simplest patch, one function in vmlinux (behind
 * /proc/cmdline) and one in test_lp_target (behind /proc/test_lp/plain).
 * Each replacement prints a fixed line that names this module.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int test_lp_basic_cmdline_show(struct seq_file *m, void *v)
{
	seq_puts(m, "test_lp_basic: patched cmdline\n");
	return 0;
}

static int test_lp_basic_plain_show(struct seq_file *m, void *v)
{
	seq_puts(m, "test_lp_basic: patched\n");
	return 0;
}

static struct klp_func test_lp_basic_vmlinux_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = test_lp_basic_cmdline_show,
	},
	{ }
};

static struct klp_func test_lp_basic_target_funcs[] = {
	{
		.old_name = "test_lp_plain_show",
		.new_func = test_lp_basic_plain_show,
	},
	{ }
};

static struct klp_object test_lp_basic_objs[] = {
	{
		/* name == NULL: vmlinux */
		.funcs = test_lp_basic_vmlinux_funcs,
	},
	{
		.name = "test_lp_target",
		.funcs = test_lp_basic_target_funcs,
	},
	{ }
};

static struct klp_patch test_lp_basic_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_basic_objs,
};

static int __init test_lp_basic_init(void)
{
	return klp_enable_patch(&test_lp_basic_patch);
}

static void __exit test_lp_basic_exit(void)
{
}

module_init(test_lp_basic_init);
module_exit(test_lp_basic_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: patch /proc/cmdline and /proc/test_lp/plain");
