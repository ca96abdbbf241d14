/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the two livepatches of test-callbacks.sh, test_lp_cb_demo and
 * test_lp_cb_repl, have in common: all four callbacks, each logging one
 * line "<callback> <object>" (plus " [<module state>]" for a module), the
 * "fail_pre_patch" parameter, and the replacements they both install.
 * Include once, from the livepatch's only source file, after pr_fmt.
 */
#ifndef _TEST_LP_CB_H
#define _TEST_LP_CB_H

#include <linux/errno.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/string.h>

/*
 * The object whose pre_patch callback fails with -EDOM, an errno nothing
 * else on the load path returns; empty for none.  Writable at run time,
 * so a test can refuse a module that loads while the patch is enabled.
 */
static char fail_pre_patch[MODULE_NAME_LEN];
module_param_string(fail_pre_patch, fail_pre_patch, sizeof(fail_pre_patch), 0644);
MODULE_PARM_DESC(fail_pre_patch, "object (vmlinux or a module name) whose pre_patch fails with -EDOM");

static const char *test_lp_cb_obj_name(const struct klp_object *obj)
{
	return obj->name ? obj->name : "vmlinux";
}

static const char *test_lp_cb_mod_state(const struct klp_object *obj)
{
	if (!obj->name)
		return "";
	if (!obj->mod)
		return " [not loaded]";
	switch (obj->mod->state) {
	case MODULE_STATE_LIVE:
		return " [live]";
	case MODULE_STATE_COMING:
		return " [coming]";
	case MODULE_STATE_GOING:
		return " [going]";
	case MODULE_STATE_UNFORMED:
		return " [unformed]";
	}
	return " [?]";
}

static void test_lp_cb_log(const char *callback, const struct klp_object *obj)
{
	pr_info("%s %s%s\n", callback, test_lp_cb_obj_name(obj),
		test_lp_cb_mod_state(obj));
}

static int test_lp_cb_pre_patch(struct klp_object *obj)
{
	if (!sysfs_streq(fail_pre_patch, test_lp_cb_obj_name(obj))) {
		test_lp_cb_log("pre_patch", obj);
		return 0;
	}
	pr_info("pre_patch %s%s -> %d\n", test_lp_cb_obj_name(obj),
		test_lp_cb_mod_state(obj), -EDOM);
	return -EDOM;
}

static void test_lp_cb_post_patch(struct klp_object *obj)
{
	test_lp_cb_log("post_patch", obj);
}

static void test_lp_cb_pre_unpatch(struct klp_object *obj)
{
	test_lp_cb_log("pre_unpatch", obj);
}

static void test_lp_cb_post_unpatch(struct klp_object *obj)
{
	test_lp_cb_log("post_unpatch", obj);
}

#define TEST_LP_CB_CALLBACKS {					\
	.pre_patch	= test_lp_cb_pre_patch,			\
	.post_patch	= test_lp_cb_post_patch,		\
	.pre_unpatch	= test_lp_cb_pre_unpatch,		\
	.post_unpatch	= test_lp_cb_post_unpatch,		\
}

/* Replaces cmdline_proc_show(): /proc/cmdline names the live patch. */
static int test_lp_cb_cmdline_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": cmdline\n");
	return 0;
}

/* Replaces test_lp_cb_probe() of test_lp_cb_mod_a and _b. */
static const char *test_lp_cb_probe_new(void)
{
	return KBUILD_MODNAME;
}

#endif /* _TEST_LP_CB_H */
