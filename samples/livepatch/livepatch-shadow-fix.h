/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The leak fix, shared by livepatch-shadow-fix1 and, since a cumulative
 * patch must carry every change of the patch it replaces, by
 * livepatch-shadow-fix2.  Each fix includes this once, after defining its
 * pr_fmt, and names these functions in its own klp_func table.
 *
 * The pointer that dummy_alloc() used to drop lives in an SV_LEAK shadow
 * variable of the dummy, from the moment the dummy exists until
 * dummy_free(), or until the fix is unpatched and frees them all.
 */
#ifndef _SAMPLES_LIVEPATCH_SHADOW_FIX_H
#define _SAMPLES_LIVEPATCH_SHADOW_FIX_H

#include <linux/jiffies.h>
#include <linux/livepatch.h>
#include <linux/printk.h>
#include <linux/slab.h>

#include "livepatch-shadow.h"

/*
 * Fills in the shadow variable before klp_shadow_alloc() makes it
 * visible: a reader never sees it without the pointer.
 */
static inline int shadow_fix_leak_ctor(void *obj, void *shadow_data,
				       void *ctor_data)
{
	void **slot = shadow_data;

	*slot = ctor_data;
	return 0;
}

/* Runs under the shadow variable lock: free the buffer, nothing else. */
static inline void shadow_fix_leak_dtor(void *obj, void *shadow_data)
{
	void **slot = shadow_data;

	pr_info("dummy %p: freeing its buffer %p, no leak\n", obj, *slot);
	kfree(*slot);
}

/* Replaces dummy_alloc(): the same work, but the buffer is kept. */
static inline struct dummy *shadow_fix_dummy_alloc(void)
{
	struct dummy *d;
	void *buf;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	d->jiffies_expire = jiffies +
		msecs_to_jiffies(SHADOW_EXPIRE_SECS * MSEC_PER_SEC);

	buf = kzalloc(sizeof(int), GFP_KERNEL);
	if (!buf)
		goto err_free_dummy;

	if (!klp_shadow_alloc(d, SV_LEAK, sizeof(buf), GFP_KERNEL,
			      shadow_fix_leak_ctor, buf))
		goto err_free_buf;

	pr_info("dummy %p: allocated, expires at jiffies %lu, buffer %p kept in a shadow variable\n",
		d, d->jiffies_expire, buf);
	return d;

err_free_buf:
	kfree(buf);
err_free_dummy:
	kfree(d);
	return NULL;
}

/*
 * The dummy_free() half of the fix.  A dummy allocated before any fix
 * was enabled has no shadow variable; its buffer is gone for good.
 */
static inline void shadow_fix_release_leak(struct dummy *d)
{
	if (!klp_shadow_get(d, SV_LEAK)) {
		pr_info("dummy %p: allocated before the fix, its buffer stays leaked\n",
			d);
		return;
	}
	klp_shadow_free(d, SV_LEAK, shadow_fix_leak_dtor);
}

#endif /* _SAMPLES_LIVEPATCH_SHADOW_FIX_H */
