// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest: a valid patch in a module that lacks the livepatch
 * modinfo tag.  klp_enable_patch() must refuse it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int test_lp_unmarked_cmdline_show(struct seq_file *m, void *v)
{
	seq_puts(m, "test_lp_unmarked: patched cmdline\n");
	return 0;
}

static struct klp_func test_lp_unmarked_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = test_lp_unmarked_cmdline_show,
	},
	{ }
};

static struct klp_object test_lp_unmarked_objs[] = {
	{
		.funcs = test_lp_unmarked_funcs,
	},
	{ }
};

static struct klp_patch test_lp_unmarked_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_unmarked_objs,
};

static int __init test_lp_unmarked_init(void)
{
	return klp_enable_patch(&test_lp_unmarked_patch);
}

static void __exit test_lp_unmarked_exit(void)
{
}

module_init(test_lp_unmarked_init);
module_exit(test_lp_unmarked_exit);
MODULE_LICENSE("GPL");
/* No MODULE_INFO(livepatch, "Y") on purpose. */
MODULE_DESCRIPTION("Livepatch selftest: a patch in a module not marked as livepatch");
