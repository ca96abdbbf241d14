/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal interface of patch.c: function redirection through ftrace. */
#ifndef _LIVEPATCH_PATCH_H
#define _LIVEPATCH_PATCH_H

#include <linux/ftrace.h>
#include <linux/list.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

/**
 * struct klp_site - one patched function and the handler attached to it
 * @fops:	ftrace_ops whose only filter entry is @ip
 * @old_func:	the patched function, the key klp_site_find() looks up
 * @ip:		its ftrace location, kept for detaching the handler
 * @func_stack:	klp_func entries (linked by stack_node) patching it, newest
 *		first.  Changed only under klp_mutex, with the _rcu list
 *		helpers; klp_ftrace_handler() reads it with preemption off.
 * @sites:	entry in the list of sites in use (klp_mutex), or once
 *		retired in the list of sites waiting to be detached
 *		(klp_reap_lock, see "Unhooking later" in patch.c)
 * @direct:	the direct-call attachment while the site is in direct mode
 *		(fops is then unregistered, or being unregistered while
 *		klp_settle_fn() holds klp_detach_mutex), else NULL; klp_mutex
 * @no_direct:	going direct failed; not retried until the stack changes;
 *		klp_mutex
 *
 * A site is created by the first entry that patches @old_func.  When a
 * transition removes the last one, the handler stays attached with
 * @func_stack empty, and so leaves calls alone, until the site is
 * detached and freed outside klp_mutex; other paths detach and free it
 * with the last entry.
 */
struct klp_site {
	struct ftrace_ops fops;
	void *old_func;
	unsigned long ip;
	struct list_head func_stack;
	struct list_head sites;
	struct klp_direct *direct;
	bool no_direct;
};

struct klp_site *klp_site_find(void *old_func);

/* The entry callers of the site's function reach outside a transition. */
static inline struct klp_func *klp_site_top(struct klp_site *site)
{
	return list_first_entry(&site->func_stack, struct klp_func, stack_node);
}

/* The entry @func hides, or NULL when below it is the original code. */
static inline struct klp_func *klp_site_below(struct klp_site *site,
					      struct klp_func *func)
{
	return list_is_last(&func->stack_node, &site->func_stack) ? NULL :
	       list_next_entry(func, stack_node);
}

int klp_patch_object(struct klp_object *obj);
void klp_unpatch_object(struct klp_object *obj);
void klp_unpatch_objects(struct klp_patch *patch);
void klp_unpatch_objects_dynamic(struct klp_patch *patch);

void klp_reap_all(void);

int klp_leave_direct(struct klp_patch *patch);
void klp_settle_later(void);
int klp_direct_set(bool on);
bool klp_direct_get(void);
int klp_sites_show(struct seq_file *m, void *unused);

#endif /* _LIVEPATCH_PATCH_H */
