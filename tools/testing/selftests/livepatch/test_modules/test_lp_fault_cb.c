// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest for test-faults.sh: a patch of three objects,
 * vmlinux (/proc/version), test_lp_target (/proc/test_lp/plain) and
 * test_lp_mod_target (/proc/test_lp_mod/f1), each with all four
 * callbacks.  "fail_obj=N" makes the pre_patch callback of the N-th
 * object (1-3, 0 for none) fail; it can be changed at run time through
 * /sys/module/test_lp_fault_cb/parameters/fail_obj.  Every callback
 * prints one line, "test_lp_fault_cb: <callback> <object>", so the test
 * can see which of them ran, and in which order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>

static int fail_obj;
module_param(fail_obj, int, 0644);
MODULE_PARM_DESC(fail_obj, "object (1-3) whose pre_patch callback fails, 0 for none");

static int test_lp_fault_cb_version_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": patched version\n");
	return 0;
}

static int test_lp_fault_cb_plain_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": patched\n");
	return 0;
}

static int test_lp_fault_cb_f1_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": f1\n");
	return 0;
}

static struct klp_func test_lp_fault_cb_vmlinux_funcs[] = {
	{
		.old_name = "version_proc_show",
		.new_func = test_lp_fault_cb_version_show,
	},
	{ }
};

static struct klp_func test_lp_fault_cb_target_funcs[] = {
	{
		.old_name = "test_lp_plain_show",
		.new_func = test_lp_fault_cb_plain_show,
	},
	{ }
};

static struct klp_func test_lp_fault_cb_mod_funcs[] = {
	{
		.old_name = "test_lp_mod_f1_show",
		.new_func = test_lp_fault_cb_f1_show,
	},
	{ }
};

static int test_lp_fault_cb_pre_patch(struct klp_object *obj);
static void test_lp_fault_cb_post_patch(struct klp_object *obj);
static void test_lp_fault_cb_pre_unpatch(struct klp_object *obj);
static void test_lp_fault_cb_post_unpatch(struct klp_object *obj);

#define TEST_LP_FAULT_CB_CALLBACKS {				\
	.pre_patch = test_lp_fault_cb_pre_patch,		\
	.post_patch = test_lp_fault_cb_post_patch,		\
	.pre_unpatch = test_lp_fault_cb_pre_unpatch,		\
	.post_unpatch = test_lp_fault_cb_post_unpatch,		\
}

static struct klp_object test_lp_fault_cb_objs[] = {
	{
		/* name == NULL: vmlinux */
		.funcs = test_lp_fault_cb_vmlinux_funcs,
		.callbacks = TEST_LP_FAULT_CB_CALLBACKS,
	},
	{
		.name = "test_lp_target",
		.funcs = test_lp_fault_cb_target_funcs,
		.callbacks = TEST_LP_FAULT_CB_CALLBACKS,
	},
	{
		.name = "test_lp_mod_target",
		.funcs = test_lp_fault_cb_mod_funcs,
		.callbacks = TEST_LP_FAULT_CB_CALLBACKS,
	},
	{ }
};

/* Position of @obj in test_lp_fault_cb_objs[], counting from 1. */
static int test_lp_fault_cb_index(struct klp_object *obj)
{
	return obj - test_lp_fault_cb_objs + 1;
}

static const char *test_lp_fault_cb_name(struct klp_object *obj)
{
	return obj->name ?: "vmlinux";
}

static int test_lp_fault_cb_pre_patch(struct klp_object *obj)
{
	if (test_lp_fault_cb_index(obj) == READ_ONCE(fail_obj)) {
		pr_info("pre_patch %s failing\n", test_lp_fault_cb_name(obj));
		return -ECANCELED;
	}
	pr_info("pre_patch %s\n", test_lp_fault_cb_name(obj));
	return 0;
}

static void test_lp_fault_cb_post_patch(struct klp_object *obj)
{
	pr_info("post_patch %s\n", test_lp_fault_cb_name(obj));
}

static void test_lp_fault_cb_pre_unpatch(struct klp_object *obj)
{
	pr_info("pre_unpatch %s\n", test_lp_fault_cb_name(obj));
}

static void test_lp_fault_cb_post_unpatch(struct klp_object *obj)
{
	pr_info("post_unpatch %s\n", test_lp_fault_cb_name(obj));
}

static struct klp_patch test_lp_fault_cb_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_fault_cb_objs,
};

static int __init test_lp_fault_cb_init(void)
{
	return klp_enable_patch(&test_lp_fault_cb_patch);
}

static void __exit test_lp_fault_cb_exit(void)
{
}

module_init(test_lp_fault_cb_init);
module_exit(test_lp_fault_cb_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: three objects whose pre_patch callback can be made to fail");
