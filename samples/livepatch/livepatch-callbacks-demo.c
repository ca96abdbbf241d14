// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shows when the four per-object callbacks run.  The patch has three
 * objects, each with all four callbacks: vmlinux and
 * livepatch_callbacks_mod, which have nothing to patch, and
 * livepatch_callbacks_busymod, whose busymod_work_func() it replaces.
 * Every callback logs one line naming itself, the object and, for a
 * module, the module's state, e.g.
 *
 *   livepatch_callbacks_demo: post_patch: livepatch_callbacks_mod [coming]
 *
 * Callbacks of a module object run when the patch is enabled or disabled
 * while the module is loaded, and when the module is loaded or removed
 * while the patch is enabled.  Try, as root:
 *
 *   insmod livepatch-callbacks-mod.ko
 *   insmod livepatch-callbacks-demo.ko   # vmlinux + mod [live]
 *   echo 0 > /sys/kernel/livepatch/livepatch_callbacks_demo/enabled
 *   rmmod livepatch_callbacks_demo livepatch_callbacks_mod
 *   dmesg | tail
 *
 * Load the modules in the other order to see the callbacks run from the
 * module loader ([coming], and [going] on rmmod).  A non-zero
 * pre_patch_ret, e.g. -19 written to
 * /sys/module/livepatch_callbacks_demo/parameters/pre_patch_ret while the
 * patch is enabled, makes pre_patch refuse the next target module, whose
 * insmod then fails with that error.  livepatch-callbacks-busymod.c shows
 * a transition waiting for a sleeping task.  demo-callbacks.sh runs all
 * of this.
 */
#define pr_fmt(fmt) "livepatch_callbacks_demo: " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/workqueue.h>

static int pre_patch_ret;
module_param(pre_patch_ret, int, 0644);
MODULE_PARM_DESC(pre_patch_ret, "value the pre_patch callback returns; non-zero refuses (default 0)");

static const char *demo_module_state(const struct module *mod)
{
	if (!mod)
		return "not loaded";

	switch (mod->state) {
	case MODULE_STATE_LIVE:
		return "live";
	case MODULE_STATE_COMING:
		return "coming";
	case MODULE_STATE_GOING:
		return "going";
	case MODULE_STATE_UNFORMED:
		return "unformed";
	}
	return "unknown";
}

/* One log line per callback: which callback, for which object. */
static void demo_report(const char *callback, const struct klp_object *obj)
{
	if (!obj->name)
		pr_info("%s: vmlinux\n", callback);
	else
		pr_info("%s: %s [%s]\n", callback, obj->name,
			demo_module_state(obj->mod));
}

static int demo_pre_patch(struct klp_object *obj)
{
	demo_report("pre_patch", obj);
	if (pre_patch_ret)
		pr_info("pre_patch: refusing with %d, as pre_patch_ret asks\n",
			pre_patch_ret);
	return pre_patch_ret;
}

static void demo_post_patch(struct klp_object *obj)
{
	demo_report("post_patch", obj);
}

static void demo_pre_unpatch(struct klp_object *obj)
{
	demo_report("pre_unpatch", obj);
}

static void demo_post_unpatch(struct klp_object *obj)
{
	demo_report("post_unpatch", obj);
}

/*
 * Stands in for busymod_work_func() in livepatch_callbacks_busymod.  It
 * only runs if that module queues its work again after the patch is
 * complete; the point of the sample is the wait for the old one.
 */
static void demo_busymod_work_func(struct work_struct *work)
{
	pr_info("busymod_work_func: patched version, returning at once\n");
}

#define DEMO_CALLBACKS {				\
	.pre_patch	= demo_pre_patch,		\
	.post_patch	= demo_post_patch,		\
	.pre_unpatch	= demo_pre_unpatch,		\
	.post_unpatch	= demo_post_unpatch,		\
}

/* An object may patch nothing and still get its callbacks. */
static struct klp_func demo_no_funcs[] = {
	{ }
};

static struct klp_func demo_busymod_funcs[] = {
	{ .old_name = "busymod_work_func", .new_func = demo_busymod_work_func },
	{ }
};

static struct klp_object demo_objs[] = {
	{	/* vmlinux */
		.funcs		= demo_no_funcs,
		.callbacks	= DEMO_CALLBACKS,
	},
	{
		.name		= "livepatch_callbacks_mod",
		.funcs		= demo_no_funcs,
		.callbacks	= DEMO_CALLBACKS,
	},
	{
		.name		= "livepatch_callbacks_busymod",
		.funcs		= demo_busymod_funcs,
		.callbacks	= DEMO_CALLBACKS,
	},
	{ }
};

static struct klp_patch demo_patch = {
	.mod	= THIS_MODULE,
	.objs	= demo_objs,
};

static int __init demo_init(void)
{
	return klp_enable_patch(&demo_patch);
}

/* The core holds the module until the patch is disabled and freed. */
static void __exit demo_exit(void)
{
}

module_init(demo_init);
module_exit(demo_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Live patch sample: when per-object (un)patch callbacks run");
MODULE_INFO(livepatch, "Y");
