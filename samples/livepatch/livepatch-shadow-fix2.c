// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Second fix for livepatch-shadow-mod, cumulative: it carries the leak
 * fix of livepatch-shadow-fix1 (from livepatch-shadow-fix.h) and adds a
 * second shadow variable, SV_COUNTER, that counts how often
 * dummy_check() looked at a dummy.  dummy_free() reports the count.
 *
 * The patch sets .replace, so enabling it atomically replaces fix1, whose
 * callbacks then do not run.  The SV_LEAK variables fix1 attached stay
 * where they are, and the fix2 dummy_free() frees them like its own.
 *
 *   insmod livepatch-shadow-mod.ko
 *   insmod livepatch-shadow-fix1.ko
 *   insmod livepatch-shadow-fix2.ko    # fix1 disabled once this is done
 *   rmmod livepatch_shadow_fix1
 *   dmesg | tail    # "checked N times", "no leak"
 *   echo 0 > /sys/kernel/livepatch/livepatch_shadow_fix2/enabled
 *   rmmod livepatch_shadow_fix2 livepatch_shadow_mod
 *
 * demo-shadow.sh runs these steps and waits where needed.
 */
#define pr_fmt(fmt) "livepatch_shadow_fix2: " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>

#include "livepatch-shadow-fix.h"

/*
 * Same verdict as the original; counting on the side.  The counter is
 * created, zeroed, on the first look; if that allocation fails the dummy
 * just goes uncounted.  Only the module's work item calls this, so the
 * increment needs no lock.
 */
static bool fix2_dummy_check(struct dummy *d, unsigned long now)
{
	int *checks;

	checks = klp_shadow_get_or_alloc(d, SV_COUNTER, sizeof(*checks),
					 GFP_KERNEL, NULL, NULL);
	if (checks)
		(*checks)++;

	return time_after(now, d->jiffies_expire);
}

static void fix2_dummy_free(struct dummy *d)
{
	int *checks = klp_shadow_get(d, SV_COUNTER);

	if (checks)
		pr_info("dummy %p: checked %d times before it expired\n",
			d, *checks);
	klp_shadow_free(d, SV_COUNTER, NULL);
	shadow_fix_release_leak(d);
	kfree(d);
}

/* As in fix1, with the counters to free as well. */
static void fix2_post_unpatch(struct klp_object *obj)
{
	klp_shadow_free_all(SV_COUNTER, NULL);
	klp_shadow_free_all(SV_LEAK, shadow_fix_leak_dtor);
}

static struct klp_func fix2_funcs[] = {
	{ .old_name = "dummy_alloc", .new_func = shadow_fix_dummy_alloc },
	{ .old_name = "dummy_check", .new_func = fix2_dummy_check },
	{ .old_name = "dummy_free", .new_func = fix2_dummy_free },
	{ }
};

static struct klp_object fix2_objs[] = {
	{
		.name		= "livepatch_shadow_mod",
		.funcs		= fix2_funcs,
		.callbacks	= { .post_unpatch = fix2_post_unpatch },
	},
	{ }
};

static struct klp_patch fix2_patch = {
	.mod		= THIS_MODULE,
	.objs		= fix2_objs,
	.replace	= true,
};

static int __init fix2_init(void)
{
	return klp_enable_patch(&fix2_patch);
}

/* fix2_post_unpatch() has already freed both kinds of shadow variable. */
static void __exit fix2_exit(void)
{
}

module_init(fix2_init);
module_exit(fix2_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Shadow variable sample: cumulative fix adding a shadow counter");
MODULE_INFO(livepatch, "Y");
