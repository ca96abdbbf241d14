// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * First fix for livepatch-shadow-mod: stops the leak in dummy_alloc()
 * without changing struct dummy.  The replacement dummy_alloc() hangs
 * the buffer's address off each new dummy as an SV_LEAK shadow variable;
 * the replacement dummy_free() frees the buffer with the dummy.  The code
 * is in livepatch-shadow-fix.h, which livepatch-shadow-fix2 shares.
 *
 * When the patch is disabled, its post_unpatch callback frees the buffers
 * of the dummies still alive, so nothing is left behind for the original
 * code, which knows nothing about shadow variables.
 *
 *   insmod livepatch-shadow-mod.ko
 *   insmod livepatch-shadow-fix1.ko
 *   dmesg | tail    # "buffer ... kept in a shadow variable", "no leak"
 *   echo 0 > /sys/kernel/livepatch/livepatch_shadow_fix1/enabled
 *   rmmod livepatch_shadow_fix1 livepatch_shadow_mod
 *
 * demo-shadow.sh runs the whole story, fix2 included.
 */
#define pr_fmt(fmt) "livepatch_shadow_fix1: " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>

#include "livepatch-shadow-fix.h"

static void fix1_dummy_free(struct dummy *d)
{
	shadow_fix_release_leak(d);
	kfree(d);
}

/*
 * Every task runs the original functions again, so no new SV_LEAK
 * variable can appear: free the ones left on live dummies.  This also
 * runs when livepatch_shadow_mod goes away, after its exit has freed
 * every dummy, and then finds nothing.  It does not run when fix2
 * replaces this patch: fix2 carries the same fix and takes the shadow
 * variables over.
 */
static void fix1_post_unpatch(struct klp_object *obj)
{
	klp_shadow_free_all(SV_LEAK, shadow_fix_leak_dtor);
}

static struct klp_func fix1_funcs[] = {
	{ .old_name = "dummy_alloc", .new_func = shadow_fix_dummy_alloc },
	{ .old_name = "dummy_free", .new_func = fix1_dummy_free },
	{ }
};

static struct klp_object fix1_objs[] = {
	{
		.name		= "livepatch_shadow_mod",
		.funcs		= fix1_funcs,
		.callbacks	= { .post_unpatch = fix1_post_unpatch },
	},
	{ }
};

static struct klp_patch fix1_patch = {
	.mod	= THIS_MODULE,
	.objs	= fix1_objs,
};

static int __init fix1_init(void)
{
	return klp_enable_patch(&fix1_patch);
}

/*
 * Nothing to free: the shadow variables went in fix1_post_unpatch(), or
 * belong to fix2 if it replaced this patch.
 */
static void __exit fix1_exit(void)
{
}

module_init(fix1_init);
module_exit(fix1_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Shadow variable sample: fix a leak with a shadow pointer");
MODULE_INFO(livepatch, "Y");
