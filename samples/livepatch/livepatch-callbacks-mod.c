// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A target module with nothing in it to patch.  livepatch-callbacks-demo
 * names it as an object anyway, so loading and removing this module shows
 * the demo's callbacks running for a module that comes and goes while a
 * patch is active.  See livepatch-callbacks-demo.c or run
 * demo-callbacks.sh:
 *
 *   insmod livepatch-callbacks-demo.ko
 *   insmod livepatch-callbacks-mod.ko    # pre_patch + post_patch for it
 *   rmmod livepatch_callbacks_mod        # pre_unpatch + post_unpatch
 */
#define pr_fmt(fmt) "livepatch_callbacks_mod: " fmt

#include <linux/kernel.h>
#include <linux/module.h>

static int __init callbacks_mod_init(void)
{
	pr_info("loaded\n");
	return 0;
}

static void __exit callbacks_mod_exit(void)
{
	pr_info("unloading\n");
}

module_init(callbacks_mod_init);
module_exit(callbacks_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Live patch callbacks sample: a plain target module");
