// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A target module that keeps a kworker inside a function the
 * livepatch-callbacks-demo patch replaces.  Right after loading, a work
 * item runs busymod_work_func(), which sleeps for sleep_secs seconds.  A
 * task cannot switch to new code while the old function is on its stack,
 * so a patch enabled meanwhile stays in transition until the sleep ends.
 *
 *   insmod livepatch-callbacks-busymod.ko sleep_secs=10
 *   insmod livepatch-callbacks-demo.ko
 *   cat /sys/kernel/livepatch/livepatch_callbacks_demo/transition  # 1
 *   ... about ten seconds later it reads 0 and post_patch has run
 *
 * demo-callbacks.sh walks through this and the rest of the demo.
 */
#define pr_fmt(fmt) "livepatch_callbacks_busymod: " fmt

#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/workqueue.h>

static int sleep_secs;
module_param(sleep_secs, int, 0644);
MODULE_PARM_DESC(sleep_secs, "seconds busymod_work_func() sleeps (default 0)");

/*
 * The demo patch looks this function up by name, so the name is part of
 * the sample.  It runs once, from the system workqueue, shortly after the
 * module is loaded.
 */
static noinline void busymod_work_func(struct work_struct *work)
{
	pr_info("%s: sleeping for %d seconds\n", __func__, sleep_secs);
	if (sleep_secs > 0)
		msleep(sleep_secs * MSEC_PER_SEC);
	pr_info("%s: woke up, returning\n", __func__);
}

static DECLARE_DELAYED_WORK(busymod_work, busymod_work_func);

static int __init busymod_init(void)
{
	pr_info("loaded, queueing the work item\n");
	schedule_delayed_work(&busymod_work, 0);
	return 0;
}

/* rmmod waits for a sleeping work item rather than freeing its code. */
static void __exit busymod_exit(void)
{
	cancel_delayed_work_sync(&busymod_work);
	pr_info("unloading\n");
}

module_init(busymod_init);
module_exit(busymod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Live patch callbacks sample: a target that stalls a transition");
