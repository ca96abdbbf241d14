// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest: a patch that is fine for vmlinux (it replaces
 * version_proc_show(), behind /proc/version) but names a function that
 * test_lp_mod_target does not have.  While that module is absent the patch
 * loads and works; the core must then refuse to load the module.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int test_lp_mod_bad_version_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": version\n");
	return 0;
}

static int test_lp_mod_bad_missing_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": never runs\n");
	return 0;
}

static struct klp_func test_lp_mod_bad_vmlinux_funcs[] = {
	{
		.old_name = "version_proc_show",
		.new_func = test_lp_mod_bad_version_show,
	},
	{ }
};

static struct klp_func test_lp_mod_bad_target_funcs[] = {
	{
		.old_name = "test_lp_mod_no_such_func",
		.new_func = test_lp_mod_bad_missing_show,
	},
	{ }
};

static struct klp_object test_lp_mod_bad_objs[] = {
	{
		/* name == NULL: vmlinux */
		.funcs = test_lp_mod_bad_vmlinux_funcs,
	},
	{
		.name = "test_lp_mod_target",
		.funcs = test_lp_mod_bad_target_funcs,
	},
	{ }
};

static struct klp_patch test_lp_mod_bad_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_mod_bad_objs,
};

static int __init test_lp_mod_bad_init(void)
{
	return klp_enable_patch(&test_lp_mod_bad_patch);
}

static void __exit test_lp_mod_bad_exit(void)
{
}

module_init(test_lp_mod_bad_init);
module_exit(test_lp_mod_bad_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: patch /proc/version and a function test_lp_mod_target lacks");
