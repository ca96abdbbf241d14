// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Function redirection: one ftrace_ops per patched function, a stack of
 * klp_func entries on it, and the ftrace handler that sends every call
 * to the entry the calling task may use.  When a task may use the new
 * code is decided in transition.c.
 */
#define pr_fmt(fmt) "livepatch: " fmt

#include <linux/bug.h>
#include <linux/ftrace.h>
#include <linux/list.h>
#include <linux/livepatch.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>

#ifdef CONFIG_X86
#include <asm/livepatch.h>
#endif

#include "core.h"
#include "patch.h"
#include "transition.h"

#ifndef klp_arch_set_pc
/* Architectures without an asm/livepatch.h hook use the ftrace helper. */
static __always_inline void klp_arch_set_pc(struct ftrace_regs *fregs,
					    unsigned long pc)
{
	ftrace_regs_set_instruction_pointer(fregs, pc);
}
#endif

/*
 * How a site's handler is attached.  DYNAMIC: the ops is allocated, so
 * unregistering waits until no CPU can be running the handler.  IPMODIFY:
 * the handler changes where the call continues, which ftrace grants one
 * user per function.  PERMANENT: turning ftrace off with the sysctl must
 * fail rather than silently unpatch.  SAVE_REGS: without ftrace_regs the
 * handler needs the full pt_regs to set the instruction pointer.
 */
#ifdef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
#define KLP_FOPS_REGS	0
#else
#define KLP_FOPS_REGS	FTRACE_OPS_FL_SAVE_REGS
#endif
#define KLP_FOPS_FLAGS	(FTRACE_OPS_FL_PERMANENT | FTRACE_OPS_FL_IPMODIFY | \
			 FTRACE_OPS_FL_DYNAMIC | KLP_FOPS_REGS)

/* Every site in use; guarded by klp_mutex, never read by the handler. */
static LIST_HEAD(klp_sites);

/*
 * klp_ftrace_handler() - redirect a call of a patched function
 *
 * This is the RCU reader of site->func_stack: preemption stays disabled
 * from the first load of the stack to the last use of the entry, and
 * writers wait for such sections with klp_synchronize_transition() (see
 * transition.c) or with the grace periods of unregister_ftrace_function()
 * before they free anything the handler may hold.
 *
 * It needs no ftrace recursion guard: everything it calls is inline or
 * notrace, so it cannot re-enter a traced function.  Skipping the guard
 * keeps two per-call atomics off the patched fast path.
 *
 * Outside a transition the newest entry wins, with no further checks.
 * While the top entry is in transition, a task that has not switched yet
 * (patch_state UNPATCHED) keeps the entry below it, or the original code
 * when there is none.
 */
static void notrace klp_ftrace_handler(unsigned long ip,
				       unsigned long parent_ip,
				       struct ftrace_ops *fops,
				       struct ftrace_regs *fregs)
{
	struct klp_site *site = container_of(fops, struct klp_site, fops);
	struct klp_func *func;

	preempt_disable_notrace();

	func = list_first_or_null_rcu(&site->func_stack, struct klp_func,
				      stack_node);
	if (WARN_ON_ONCE(!func))
		goto out;

	if (unlikely(func->transition)) {
		/*
		 * Order the read of func->transition before the read of
		 * current->patch_state.  Pairs with the smp_wmb() in
		 * klp_init_transition(), which publishes every task's
		 * initial patch_state before any func->transition, and
		 * with the one in klp_complete_transition(), which clears
		 * func->transition before patch_state goes back to IDLE.
		 */
		smp_rmb();
		if (current->patch_state == KLP_TRANSITION_UNPATCHED) {
			func = list_entry_rcu(func->stack_node.next,
					      struct klp_func, stack_node);
			if (&func->stack_node == &site->func_stack)
				goto out;
		}
	}

	/* A nop entry stands for the original code. */
	if (!func->nop)
		klp_arch_set_pc(fregs, (unsigned long)func->new_func);
out:
	preempt_enable_notrace();
}

/**
 * klp_site_find() - find the site of a patched function
 * @old_func:	address of the function
 *
 * Context: klp_mutex held.
 * Return: the site, or NULL when no patch applies to @old_func.
 */
struct klp_site *klp_site_find(void *old_func)
{
	struct klp_site *site;

	klp_assert_locked();
	list_for_each_entry(site, &klp_sites, sites)
		if (site->old_func == old_func)
			return site;
	return NULL;
}

/* Where ftrace can hook the old function of @func; 0 after saying why. */
static unsigned long klp_hook_ip(struct klp_func *func)
{
	unsigned long ip = ftrace_location((unsigned long)func->old_func);

	if (!ip)
		pr_err("failed to find location for function '%s'\n",
		       func->old_name);
	return ip;
}

/* Filter the site's ops on its function, then start the handler. */
static int klp_site_attach(struct klp_site *site, const char *name)
{
	int err = ftrace_set_filter_ip(&site->fops, site->ip, 0, 0);

	if (err) {
		pr_err("failed to set ftrace filter for function '%s' (%d)\n",
		       name, err);
		return err;
	}
	err = register_ftrace_function(&site->fops);
	if (err) {
		pr_err("failed to register ftrace handler for function '%s' (%d)\n",
		       name, err);
		ftrace_free_filter(&site->fops);
	}
	return err;
}

/*
 * For a DYNAMIC ops, unregister_ftrace_function() returns only once no
 * CPU can still run the handler or its trampoline, so the site may be
 * freed right after this, unless it returns false: then ftrace may still
 * use the ops and the site must be leaked.
 *
 * The filter is dropped with ftrace_free_filter(), which cannot fail:
 * removing the ip with ftrace_set_filter_ip() allocates a new hash, and
 * when that allocation failed the old hash was lost with the site.
 */
static bool klp_site_detach(struct klp_site *site)
{
	if (WARN_ON_ONCE(unregister_ftrace_function(&site->fops)))
		return false;
	ftrace_free_filter(&site->fops);
	return true;
}

/*
 * First entry for a function: a new site with @func alone on its stack.
 * The entry goes on before the handler is attached, so the handler never
 * finds the stack empty.
 */
static int klp_site_create(struct klp_func *func)
{
	unsigned long ip = klp_hook_ip(func);
	struct klp_site *site;
	int err;

	if (!ip)
		return -EINVAL;
	site = kzalloc(sizeof(*site), GFP_KERNEL);
	if (!site)
		return -ENOMEM;

	site->old_func = func->old_func;
	site->ip = ip;
	site->fops.func = klp_ftrace_handler;
	site->fops.flags = KLP_FOPS_FLAGS;
	INIT_LIST_HEAD(&site->func_stack);
	list_add_rcu(&func->stack_node, &site->func_stack);

	err = klp_site_attach(site, func->old_name);
	if (err) {
		kfree(site);
		return err;
	}
	list_add(&site->sites, &klp_sites);
	return 0;
}

/* Last entry gone: the function runs unhooked again. */
static void klp_site_destroy(struct klp_site *site)
{
	list_del(&site->sites);
	if (klp_site_detach(site))
		kfree(site);
}

static int klp_patch_func(struct klp_func *func)
{
	struct klp_site *site;
	int err;

	if (WARN_ON_ONCE(!func->old_func || func->patched))
		return -EINVAL;

	site = klp_site_find(func->old_func);
	if (!site) {
		err = klp_site_create(func);
		if (err)
			return err;
	} else {
		/*
		 * Publishes the fully set up entry (transition flag
		 * included) to handlers already running on this function.
		 */
		list_add_rcu(&func->stack_node, &site->func_stack);
	}
	func->patched = true;
	return 0;
}

static void klp_unpatch_func(struct klp_func *func)
{
	struct klp_site *site;

	if (WARN_ON_ONCE(!func->patched))
		return;
	site = klp_site_find(func->old_func);
	if (WARN_ON_ONCE(!site))
		return;

	/*
	 * With other entries left, a handler may still hold @func; it stays
	 * allocated until its patch is freed, after
	 * klp_synchronize_transition().
	 */
	if (list_is_singular(&site->func_stack))
		klp_site_destroy(site);
	else
		list_del_rcu(&func->stack_node);
	func->patched = false;
}

static void klp_unpatch_funcs(struct klp_object *obj, bool nops_only)
{
	struct klp_func *func;

	klp_for_each_func(obj, func) {
		if (func->patched && (!nops_only || func->nop))
			klp_unpatch_func(func);
	}
	if (!nops_only)
		obj->patched = false;
}

/**
 * klp_unpatch_object() - remove all entries of @obj from their func_stacks
 * @obj:	a patched object
 *
 * Context: klp_mutex held; may sleep.
 */
void klp_unpatch_object(struct klp_object *obj)
{
	klp_assert_locked();
	klp_unpatch_funcs(obj, false);
}

/**
 * klp_patch_object() - put all entries of a loaded object on their stacks
 * @obj:	the object, whose old functions have been resolved
 *
 * On failure the object is left unpatched.
 *
 * Context: klp_mutex held; may sleep.
 * Return: 0 or a negative errno from ftrace.
 */
int klp_patch_object(struct klp_object *obj)
{
	struct klp_func *func;
	int ret;

	klp_assert_locked();
	if (WARN_ON_ONCE(obj->patched))
		return -EINVAL;

	klp_for_each_func(obj, func) {
		ret = klp_patch_func(func);
		if (ret) {
			klp_unpatch_funcs(obj, false);
			return ret;
		}
	}
	obj->patched = true;
	return 0;
}

static void klp_unpatch_patch(struct klp_patch *patch, bool nops_only)
{
	struct klp_object *obj;

	klp_assert_locked();
	klp_for_each_object(patch, obj) {
		if (obj->patched)
			klp_unpatch_funcs(obj, nops_only);
	}
}

/**
 * klp_unpatch_objects() - remove every entry of @patch from the stacks
 * @patch:	the patch
 *
 * Context: klp_mutex held; may sleep.
 */
void klp_unpatch_objects(struct klp_patch *patch)
{
	klp_unpatch_patch(patch, false);
}

/**
 * klp_unpatch_objects_dynamic() - remove only the nop entries of @patch
 * @patch:	an atomic-replace patch whose transition has completed
 *
 * Context: klp_mutex held; may sleep.
 */
void klp_unpatch_objects_dynamic(struct klp_patch *patch)
{
	klp_unpatch_patch(patch, true);
}
