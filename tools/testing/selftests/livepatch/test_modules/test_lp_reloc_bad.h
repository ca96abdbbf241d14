/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The whole of each test_lp_reloc_bad_* module: a patch of
 * test_lp_reloc_target whose new function calls test_lp_reloc_ext_bad().
 * The modules differ only in the klp relocation klp-rela.py makes of that
 * call (test_lp_reloc.mk), each with a different defect the module loader
 * or the livepatch core must refuse.  Included once, by each module's only
 * source file.
 */
#ifndef _TEST_LP_RELOC_BAD_H
#define _TEST_LP_RELOC_BAD_H

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "test_lp_reloc.h"

static int test_lp_reloc_bad_plain_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": patched\n");
	return test_lp_reloc_ext_bad(m, v);
}

static struct klp_func test_lp_reloc_bad_funcs[] = {
	{
		.old_name = "test_lp_reloc_plain_show",
		.new_func = test_lp_reloc_bad_plain_show,
	},
	{ }
};

static struct klp_object test_lp_reloc_bad_objs[] = {
	{
		.name = "test_lp_reloc_target",
		.funcs = test_lp_reloc_bad_funcs,
	},
	{ }
};

static struct klp_patch test_lp_reloc_bad_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_reloc_bad_objs,
};

static int __init test_lp_reloc_bad_init(void)
{
	return klp_enable_patch(&test_lp_reloc_bad_patch);
}

static void __exit test_lp_reloc_bad_exit(void)
{
}

module_init(test_lp_reloc_bad_init);
module_exit(test_lp_reloc_bad_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");

#endif /* _TEST_LP_RELOC_BAD_H */
