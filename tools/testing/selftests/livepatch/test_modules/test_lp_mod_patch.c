// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest for modules that come and go: replaces f1 of
 * test_lp_mod_target and test_lp_mod_probe(), which the target calls from
 * its init, so /proc/test_lp_mod/init tells whether the patch was in force
 * before the module's own code first ran.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int test_lp_mod_patch_f1_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": f1\n");
	return 0;
}

static const char *test_lp_mod_patch_probe(void)
{
	return "patched";
}

static struct klp_func test_lp_mod_patch_funcs[] = {
	{
		.old_name = "test_lp_mod_f1_show",
		.new_func = test_lp_mod_patch_f1_show,
	},
	{
		.old_name = "test_lp_mod_probe",
		.new_func = test_lp_mod_patch_probe,
	},
	{ }
};

static struct klp_object test_lp_mod_patch_objs[] = {
	{
		.name = "test_lp_mod_target",
		.funcs = test_lp_mod_patch_funcs,
	},
	{ }
};

static struct klp_patch test_lp_mod_patch_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_mod_patch_objs,
};

static int __init test_lp_mod_patch_init(void)
{
	return klp_enable_patch(&test_lp_mod_patch_patch);
}

static void __exit test_lp_mod_patch_exit(void)
{
}

module_init(test_lp_mod_patch_init);
module_exit(test_lp_mod_patch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: patch test_lp_mod_target, including what its init calls");
