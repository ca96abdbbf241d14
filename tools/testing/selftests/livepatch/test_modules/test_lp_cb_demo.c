// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch of test-callbacks.sh whose callbacks the test follows.  It has
 * four objects, in this order, each with all four callbacks (see
 * test_lp_cb.h): vmlinux (/proc/cmdline), the two target modules
 * test_lp_cb_mod_a and test_lp_cb_mod_b (test_lp_cb_probe()), and
 * test_lp_target, whose busy function it replaces with one that sleeps at
 * the same gate, so a reader there holds up a transition either way.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "test_lp.h"
#include "test_lp_cb.h"

static int test_lp_cb_demo_busy_show(struct seq_file *m, void *v)
{
	struct test_lp_gate *gate = m->private;

	if (test_lp_gate_pass(gate))
		return -EINTR;
	seq_puts(m, KBUILD_MODNAME ": patched\n");
	return 0;
}

static struct klp_func test_lp_cb_demo_vmlinux_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = test_lp_cb_cmdline_show },
	{ }
};

/* test_lp_cb_mod_a and _b: same function name, one object each. */
static struct klp_func test_lp_cb_demo_mod_a_funcs[] = {
	{ .old_name = "test_lp_cb_probe", .new_func = test_lp_cb_probe_new },
	{ }
};

static struct klp_func test_lp_cb_demo_mod_b_funcs[] = {
	{ .old_name = "test_lp_cb_probe", .new_func = test_lp_cb_probe_new },
	{ }
};

static struct klp_func test_lp_cb_demo_target_funcs[] = {
	{ .old_name = "test_lp_busy_show", .new_func = test_lp_cb_demo_busy_show },
	{ }
};

static struct klp_object test_lp_cb_demo_objs[] = {
	{
		/* name == NULL: vmlinux */
		.funcs = test_lp_cb_demo_vmlinux_funcs,
		.callbacks = TEST_LP_CB_CALLBACKS,
	},
	{
		.name = "test_lp_cb_mod_a",
		.funcs = test_lp_cb_demo_mod_a_funcs,
		.callbacks = TEST_LP_CB_CALLBACKS,
	},
	{
		.name = "test_lp_cb_mod_b",
		.funcs = test_lp_cb_demo_mod_b_funcs,
		.callbacks = TEST_LP_CB_CALLBACKS,
	},
	{
		.name = "test_lp_target",
		.funcs = test_lp_cb_demo_target_funcs,
		.callbacks = TEST_LP_CB_CALLBACKS,
	},
	{ }
};

static struct klp_patch test_lp_cb_demo_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_cb_demo_objs,
};

static int __init test_lp_cb_demo_init(void)
{
	return klp_enable_patch(&test_lp_cb_demo_patch);
}

static void __exit test_lp_cb_demo_exit(void)
{
}

module_init(test_lp_cb_demo_init);
module_exit(test_lp_cb_demo_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: callbacks of vmlinux and three module objects");
