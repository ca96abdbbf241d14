// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch of test-sysfs-lock.sh: replaces /proc/cmdline, and its
 * post_patch and post_unpatch callbacks sleep for "delay_ms" (writable at
 * run time) after logging that they do.  The core runs them while it
 * holds its mutex, just before it frees what a transition left over, so
 * a test can have sysfs readers arrive exactly then.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>

static unsigned int delay_ms;
module_param(delay_ms, uint, 0644);
MODULE_PARM_DESC(delay_ms, "how long post_patch and post_unpatch sleep (ms)");

static int test_lp_slow_cb_cmdline_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": this has been live patched\n");
	return 0;
}

static void test_lp_slow_cb_sleep(const char *callback)
{
	unsigned int ms = READ_ONCE(delay_ms);

	if (!ms)
		return;
	pr_info("%s sleeps %u ms\n", callback, ms);
	msleep(ms);
	pr_info("%s woke up\n", callback);
}

static void test_lp_slow_cb_post_patch(struct klp_object *obj)
{
	test_lp_slow_cb_sleep("post_patch");
}

static void test_lp_slow_cb_post_unpatch(struct klp_object *obj)
{
	test_lp_slow_cb_sleep("post_unpatch");
}

static struct klp_func test_lp_slow_cb_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = test_lp_slow_cb_cmdline_show },
	{ }
};

static struct klp_object test_lp_slow_cb_objs[] = {
	{
		/* name == NULL: vmlinux */
		.funcs = test_lp_slow_cb_funcs,
		.callbacks = {
			.post_patch = test_lp_slow_cb_post_patch,
			.post_unpatch = test_lp_slow_cb_post_unpatch,
		},
	},
	{ }
};

static struct klp_patch test_lp_slow_cb_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_slow_cb_objs,
};

static int __init test_lp_slow_cb_init(void)
{
	return klp_enable_patch(&test_lp_slow_cb_patch);
}

static void __exit test_lp_slow_cb_exit(void)
{
}

module_init(test_lp_slow_cb_init);
module_exit(test_lp_slow_cb_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: callbacks that sleep while the core holds its mutex");
