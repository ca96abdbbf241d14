// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch of test-midload.sh: replaces both halves of a read of
 * /proc/test_lp/relay, test_lp_relay_wait() of test_lp_target and
 * test_lp_mid_f() of test_lp_mid_target, a module the test loads while
 * this patch's transition runs.  Each replacement waits at the same gate
 * as the function it replaces and reports TEST_LP_PATCHED.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>

#include "test_lp.h"

static int test_lp_mid_patch_wait(struct test_lp_gate *gate)
{
	if (test_lp_gate_pass(gate))
		return -EINTR;
	return TEST_LP_PATCHED;
}

static struct klp_func test_lp_mid_patch_target_funcs[] = {
	{ .old_name = "test_lp_relay_wait", .new_func = test_lp_mid_patch_wait },
	{ }
};

/*
 * Its own code, so a task's stack tells which of the two it is in: the
 * call count keeps the compiler from folding it into the one above.
 */
static atomic_t test_lp_mid_patch_f_calls = ATOMIC_INIT(0);

static int test_lp_mid_patch_f(struct test_lp_gate *gate)
{
	atomic_inc(&test_lp_mid_patch_f_calls);
	if (test_lp_gate_pass(gate))
		return -EINTR;
	return TEST_LP_PATCHED;
}

static struct klp_func test_lp_mid_patch_mid_funcs[] = {
	{ .old_name = "test_lp_mid_f", .new_func = test_lp_mid_patch_f },
	{ }
};

static struct klp_object test_lp_mid_patch_objs[] = {
	{
		.name = "test_lp_target",
		.funcs = test_lp_mid_patch_target_funcs,
	},
	{
		.name = "test_lp_mid_target",
		.funcs = test_lp_mid_patch_mid_funcs,
	},
	{ }
};

static struct klp_patch test_lp_mid_patch_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_mid_patch_objs,
};

static int __init test_lp_mid_patch_init(void)
{
	return klp_enable_patch(&test_lp_mid_patch_patch);
}

static void __exit test_lp_mid_patch_exit(void)
{
}

module_init(test_lp_mid_patch_init);
module_exit(test_lp_mid_patch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: both halves of the relay path, one in a module loaded mid-transition");
