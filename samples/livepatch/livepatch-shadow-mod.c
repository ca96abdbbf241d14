// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The buggy target of the shadow variable samples.  Once a second a work
 * item allocates a "dummy" and puts it on a list; every other second it
 * frees the dummies that have expired, six seconds after their birth.
 * The bug: dummy_alloc() also allocates a small buffer and forgets its
 * address, so every dummy leaks a few bytes.
 *
 * struct dummy has no room for the missing pointer, and a live patch
 * cannot grow a structure that already exists.  livepatch-shadow-fix1
 * therefore keeps the pointer in a shadow variable attached to each new
 * dummy and frees it with the dummy; livepatch-shadow-fix2 replaces fix1
 * and adds a second shadow variable, a per-dummy counter.
 *
 *   insmod livepatch-shadow-mod.ko
 *   insmod livepatch-shadow-fix1.ko    # new dummies no longer leak
 *   insmod livepatch-shadow-fix2.ko    # takes over from fix1
 *   rmmod livepatch_shadow_fix1
 *   echo 0 > /sys/kernel/livepatch/livepatch_shadow_fix2/enabled
 *   rmmod livepatch_shadow_fix2 livepatch_shadow_mod
 *
 * Watch dmesg along the way, or run demo-shadow.sh, which does this with
 * pauses long enough to see dummies come and go under each version.
 */
#define pr_fmt(fmt) "livepatch_shadow_mod: " fmt

#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kmemleak.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "livepatch-shadow.h"

/*
 * Only shadow_tick() and, once the work is cancelled, the exit path use
 * these, so they need no lock: the work item never runs concurrently
 * with itself.
 */
static LIST_HEAD(dummy_list);
static unsigned int shadow_ticks;

/*
 * The fixes replace dummy_alloc(), dummy_free() and dummy_check() by
 * name.  __noipa keeps each one a real, out-of-line function with the
 * prototype written here: no inlining, no clone with a changed signature
 * that the callers would jump to instead.
 */
static noinline __noipa struct dummy *dummy_alloc(void)
{
	struct dummy *d;
	void *buf;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	d->jiffies_expire = jiffies +
		msecs_to_jiffies(SHADOW_EXPIRE_SECS * MSEC_PER_SEC);

	/* The bug: buf is needed as long as d lives, but goes nowhere. */
	buf = kzalloc(sizeof(int), GFP_KERNEL);
	if (!buf) {
		kfree(d);
		return NULL;
	}

	/*
	 * The leak is what the demo is about; tell kmemleak so, which keeps
	 * its reports about real leaks on a kernel that runs the demo.
	 */
	kmemleak_not_leak(buf);
	pr_info("dummy %p: allocated, expires at jiffies %lu, buffer %p leaked\n",
		d, d->jiffies_expire, buf);
	return d;
}

static noinline __noipa void dummy_free(struct dummy *d)
{
	pr_info("dummy %p: freed, expired at jiffies %lu\n",
		d, d->jiffies_expire);
	kfree(d);
}

static noinline __noipa bool dummy_check(struct dummy *d, unsigned long now)
{
	return time_after(now, d->jiffies_expire);
}

/* Frees the dummies that dummy_check() says have had their time. */
static void shadow_scan(void)
{
	unsigned long now = jiffies;
	struct dummy *d, *tmp;

	list_for_each_entry_safe(d, tmp, &dummy_list, list) {
		if (!dummy_check(d, now))
			continue;
		list_del(&d->list);
		dummy_free(d);
	}
}

static void shadow_tick(struct work_struct *work);
static DECLARE_DELAYED_WORK(shadow_work, shadow_tick);

static void shadow_tick(struct work_struct *work)
{
	struct dummy *d;

	d = dummy_alloc();
	if (d)
		list_add_tail(&d->list, &dummy_list);

	if (++shadow_ticks % SHADOW_SCAN_TICKS == 0)
		shadow_scan();

	schedule_delayed_work(&shadow_work, msecs_to_jiffies(SHADOW_TICK_MS));
}

static int __init shadow_mod_init(void)
{
	schedule_delayed_work(&shadow_work, msecs_to_jiffies(SHADOW_TICK_MS));
	return 0;
}

/*
 * The dummies still alive go through dummy_free() too, so a fix that is
 * enabled at this point releases what it attached to them.
 */
static void __exit shadow_mod_exit(void)
{
	struct dummy *d, *tmp;

	cancel_delayed_work_sync(&shadow_work);
	list_for_each_entry_safe(d, tmp, &dummy_list, list) {
		list_del(&d->list);
		dummy_free(d);
	}
}

module_init(shadow_mod_init);
module_exit(shadow_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Shadow variable sample: a module that leaks memory");
