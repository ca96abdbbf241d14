// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch of test-stub-trace.sh: replaces test_lp_stub_fn() of
 * test_lp_stub_target, so that once the core is quiet its fentry site
 * calls a direct-call stub.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>

static noinline int test_lp_stub_patch_fn(int x)
{
	barrier();
	return x + 2;
}

static struct klp_func test_lp_stub_patch_funcs[] = {
	{ .old_name = "test_lp_stub_fn", .new_func = test_lp_stub_patch_fn },
	{ }
};

static struct klp_object test_lp_stub_patch_objs[] = {
	{
		.name = "test_lp_stub_target",
		.funcs = test_lp_stub_patch_funcs,
	},
	{ }
};

static struct klp_patch test_lp_stub_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_stub_patch_objs,
};

static int __init test_lp_stub_patch_init(void)
{
	return klp_enable_patch(&test_lp_stub_patch);
}

static void __exit test_lp_stub_patch_exit(void)
{
}

module_init(test_lp_stub_patch_init);
module_exit(test_lp_stub_patch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: a patched function reached through a direct-call stub");
