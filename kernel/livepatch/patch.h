/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal interface of patch.c: function redirection through ftrace. */
#ifndef _LIVEPATCH_PATCH_H
#define _LIVEPATCH_PATCH_H

#include <linux/ftrace.h>
#include <linux/list.h>
#include <linux/livepatch.h>

/**
 * struct klp_ops - redirection state of one patched function
 * @node:	entry in klp_ops_list; guarded by klp_mutex
 * @func_stack:	klp_func entries patching this function, newest first.
 *		Writers hold klp_mutex and use the _rcu list helpers; the
 *		ftrace handler reads it with preemption disabled.
 * @fops:	the ftrace_ops registered on the old function
 *
 * One exists for each old function that at least one patch replaces;
 * it is freed when its func_stack becomes empty.
 */
struct klp_ops {
	struct list_head node;
	struct list_head func_stack;
	struct ftrace_ops fops;
};

struct klp_ops *klp_find_ops(void *old_func);

int klp_patch_object(struct klp_object *obj);
void klp_unpatch_object(struct klp_object *obj);
void klp_unpatch_objects(struct klp_patch *patch);
void klp_unpatch_objects_dynamic(struct klp_patch *patch);

#endif /* _LIVEPATCH_PATCH_H */
