// SPDX-License-Identifier: GPL-2.0-only
/*
 * Atomic-replace livepatch of test-callbacks.sh.  It carries the callbacks
 * of test_lp_cb.h for two of test_lp_cb_demo's objects, vmlinux and
 * test_lp_cb_mod_a, and drops the other two: once it replaced
 * test_lp_cb_demo, test_lp_cb_mod_b and test_lp_target run their original
 * code and have no callbacks any more.  With "replace=0" it stacks on
 * test_lp_cb_demo instead.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "test_lp_cb.h"

static bool replace = true;
module_param(replace, bool, 0444);
MODULE_PARM_DESC(replace, "register as an atomic-replace patch (default yes)");

static struct klp_func test_lp_cb_repl_vmlinux_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = test_lp_cb_cmdline_show },
	{ }
};

static struct klp_func test_lp_cb_repl_mod_a_funcs[] = {
	{ .old_name = "test_lp_cb_probe", .new_func = test_lp_cb_probe_new },
	{ }
};

static struct klp_object test_lp_cb_repl_objs[] = {
	{
		/* name == NULL: vmlinux */
		.funcs = test_lp_cb_repl_vmlinux_funcs,
		.callbacks = TEST_LP_CB_CALLBACKS,
	},
	{
		.name = "test_lp_cb_mod_a",
		.funcs = test_lp_cb_repl_mod_a_funcs,
		.callbacks = TEST_LP_CB_CALLBACKS,
	},
	{ }
};

static struct klp_patch test_lp_cb_repl_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_cb_repl_objs,
};

static int __init test_lp_cb_repl_init(void)
{
	test_lp_cb_repl_patch.replace = replace;
	return klp_enable_patch(&test_lp_cb_repl_patch);
}

static void __exit test_lp_cb_repl_exit(void)
{
}

module_init(test_lp_cb_repl_init);
module_exit(test_lp_cb_repl_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: an atomic replace with callbacks");
