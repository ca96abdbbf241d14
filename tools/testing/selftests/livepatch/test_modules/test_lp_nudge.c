// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch of test-nudge.sh: replaces the function behind
 * /proc/test_lp/wait with one that sleeps the same interruptible way, so
 * a reader there holds up the transition in either direction until it
 * wakes, or a fake signal ends its read with EINTR.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "test_lp.h"

static int test_lp_nudge_wait_show(struct seq_file *m, void *v)
{
	int ret = test_lp_wait_interruptible();

	if (ret)
		return ret;
	seq_puts(m, KBUILD_MODNAME ": waited\n");
	return 0;
}

static struct klp_func test_lp_nudge_funcs[] = {
	{ .old_name = "test_lp_wait_show", .new_func = test_lp_nudge_wait_show },
	{ }
};

static struct klp_object test_lp_nudge_objs[] = {
	{
		.name = "test_lp_target",
		.funcs = test_lp_nudge_funcs,
	},
	{ }
};

static struct klp_patch test_lp_nudge_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_nudge_objs,
};

static int __init test_lp_nudge_init(void)
{
	return klp_enable_patch(&test_lp_nudge_patch);
}

static void __exit test_lp_nudge_exit(void)
{
}

module_init(test_lp_nudge_init);
module_exit(test_lp_nudge_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: an interruptible sleep in a patched function");
