// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest for klp relocations.  Replaces test_lp_reloc_plain_show()
 * of test_lp_reloc_target with a function that reads a static variable and
 * calls a static function of that module, and calls cmdline_proc_show(),
 * which vmlinux does not export.  All three go through klp relocations
 * made by klp-rela.py: the module's when test_lp_reloc_target loads (or at
 * enable, if it is loaded), vmlinux's when this module loads.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "test_lp_reloc.h"

static int test_lp_reloc_plain_show(struct seq_file *m, void *v)
{
	seq_printf(m, KBUILD_MODNAME ": patched, secret %d\n",
		   test_lp_reloc_ext_secret);
	test_lp_reloc_ext_secret_show(m, v);
	return test_lp_reloc_ext_cmdline_show(m, v);
}

static struct klp_func test_lp_reloc_funcs[] = {
	{
		.old_name = "test_lp_reloc_plain_show",
		.new_func = test_lp_reloc_plain_show,
	},
	{ }
};

static struct klp_object test_lp_reloc_objs[] = {
	{
		.name = "test_lp_reloc_target",
		.funcs = test_lp_reloc_funcs,
	},
	{ }
};

static struct klp_patch test_lp_reloc_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_reloc_objs,
};

static int __init test_lp_reloc_init(void)
{
	return klp_enable_patch(&test_lp_reloc_patch);
}

static void __exit test_lp_reloc_exit(void)
{
}

module_init(test_lp_reloc_init);
module_exit(test_lp_reloc_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: a new function that reaches static and unexported symbols");
