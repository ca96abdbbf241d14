/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal interface of core.c: the patch list and the mutex that guards
 * all livepatch state, the iterators over it, and the callback helpers
 * shared by core.c and transition.c.
 */
#ifndef _LIVEPATCH_CORE_H
#define _LIVEPATCH_CORE_H

#include <linux/livepatch.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>

/*
 * klp_mutex serialises every change to patches, objects, funcs, the
 * func_stacks and the transition state.  Code that runs without it says
 * what it relies on instead: the ftrace handler (RCU, patch.c), the task
 * switching hooks (TIF_PATCH_PENDING ordering, transition.c) and the
 * shadow variable API (its own spinlock, shadow.c).
 *
 * Rule for sysfs and debugfs callbacks: removing a file waits until its
 * readers and writers have returned (kernfs_drain()), so no callback may
 * sleep on klp_mutex if its file can be removed while the mutex is held.
 * Object and function directories are removed under klp_mutex (freeing a
 * patch, the nops after a replace): their callbacks take it only with
 * mutex_trylock() and restart the system call when it is busy.  The
 * patch directory is removed without it (klp_free_patch_finish()) and
 * the debugfs files never are, so their callbacks may sleep on it.
 */
extern struct mutex klp_mutex;

/* Registered patches in order of registration; guarded by klp_mutex. */
extern struct list_head klp_patches;

#define klp_assert_locked()	lockdep_assert_held(&klp_mutex)

#define klp_for_each_patch(patch) \
	list_for_each_entry(patch, &klp_patches, list)

#define klp_for_each_patch_safe(patch, tmp_patch) \
	list_for_each_entry_safe(patch, tmp_patch, &klp_patches, list)

/* Called by transition.c once every task has reached the target state. */
void klp_retire_replaced(struct klp_patch *new_patch);
void klp_free_nops(struct klp_patch *patch);
void klp_release_unused(struct klp_patch *patch);

/* An object with a name stands for that module; without, for vmlinux. */
static inline bool klp_is_module(struct klp_object *obj)
{
	return obj->name;
}

/*
 * Can @obj be patched now?  vmlinux always can; a module object is bound
 * to its module (obj->mod) from the module's COMING notification until
 * its GOING one, under klp_mutex.
 */
static inline bool klp_is_object_loaded(struct klp_object *obj)
{
	if (klp_is_module(obj))
		return obj->mod;
	return true;
}

/*
 * The callbacks.  post_unpatch_enabled remembers that pre_patch ran and
 * succeeded, so that a later unpatch (or a reversed transition) runs the
 * unpatch side only for objects whose patch side ran.
 */
static inline int klp_run_pre_patch(struct klp_object *obj)
{
	int ret = 0;

	if (obj->callbacks.pre_patch)
		ret = obj->callbacks.pre_patch(obj);
	obj->callbacks.post_unpatch_enabled = !ret;
	return ret;
}

static inline void klp_run_post_patch(struct klp_object *obj)
{
	if (obj->callbacks.post_patch)
		obj->callbacks.post_patch(obj);
}

static inline void klp_run_pre_unpatch(struct klp_object *obj)
{
	if (obj->callbacks.pre_unpatch)
		obj->callbacks.pre_unpatch(obj);
}

static inline void klp_run_post_unpatch(struct klp_object *obj)
{
	if (obj->callbacks.post_unpatch_enabled && obj->callbacks.post_unpatch)
		obj->callbacks.post_unpatch(obj);
	obj->callbacks.post_unpatch_enabled = false;
}

#endif /* _LIVEPATCH_CORE_H */
