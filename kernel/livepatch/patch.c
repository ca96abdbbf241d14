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

/* All klp_ops in use; guarded by klp_mutex, never read by the handler. */
static LIST_HEAD(klp_ops_list);

/*
 * klp_ftrace_handler() - redirect a call of a patched function
 *
 * This is the RCU reader of ops->func_stack: preemption stays disabled
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
	struct klp_ops *ops = container_of(fops, struct klp_ops, fops);
	struct klp_func *func;

	preempt_disable_notrace();

	func = list_first_or_null_rcu(&ops->func_stack, struct klp_func,
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
			if (&func->stack_node == &ops->func_stack)
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
 * klp_find_ops() - find the redirection state of an old function
 * @old_func:	address of the patched function
 *
 * Context: klp_mutex held.
 * Return: the klp_ops, or NULL when @old_func is not patched.
 */
struct klp_ops *klp_find_ops(void *old_func)
{
	struct klp_ops *ops;
	struct klp_func *top;

	klp_assert_locked();

	list_for_each_entry(ops, &klp_ops_list, node) {
		top = list_first_entry(&ops->func_stack, struct klp_func,
				       stack_node);
		if (top->old_func == old_func)
			return ops;
	}
	return NULL;
}

static unsigned long klp_ftrace_location(struct klp_func *func)
{
	return ftrace_location((unsigned long)func->old_func);
}

/*
 * First patch of a function: allocate its klp_ops with @func as the only
 * entry, then attach the ftrace handler.  The entry goes in before the
 * ops is registered so the handler never sees an empty stack.
 */
static int klp_ops_create(struct klp_func *func)
{
	unsigned long ip = klp_ftrace_location(func);
	struct klp_ops *ops;
	int ret;

	if (!ip) {
		pr_err("failed to find location for function '%s'\n",
		       func->old_name);
		return -EINVAL;
	}

	ops = kzalloc(sizeof(*ops), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;

	ops->fops.func = klp_ftrace_handler;
	ops->fops.flags = FTRACE_OPS_FL_DYNAMIC |
#ifndef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
			  FTRACE_OPS_FL_SAVE_REGS |
#endif
			  FTRACE_OPS_FL_IPMODIFY |
			  FTRACE_OPS_FL_PERMANENT;
	INIT_LIST_HEAD(&ops->func_stack);
	list_add_rcu(&func->stack_node, &ops->func_stack);

	ret = ftrace_set_filter_ip(&ops->fops, ip, 0, 0);
	if (ret) {
		pr_err("failed to set ftrace filter for function '%s' (%d)\n",
		       func->old_name, ret);
		goto err_free_ops;
	}

	ret = register_ftrace_function(&ops->fops);
	if (ret) {
		pr_err("failed to register ftrace handler for function '%s' (%d)\n",
		       func->old_name, ret);
		goto err_clear_filter;
	}

	list_add(&ops->node, &klp_ops_list);
	return 0;

err_clear_filter:
	ftrace_set_filter_ip(&ops->fops, ip, 1, 0);
err_free_ops:
	kfree(ops);
	return ret;
}

/*
 * Last entry gone: detach the handler, then free the ops.  For a DYNAMIC
 * ops, unregister_ftrace_function() returns only once no CPU can still
 * run the handler or its trampoline, so the kfree() cannot race with it.
 */
static void klp_ops_destroy(struct klp_ops *ops, struct klp_func *func)
{
	WARN_ON_ONCE(unregister_ftrace_function(&ops->fops));
	ftrace_set_filter_ip(&ops->fops, klp_ftrace_location(func), 1, 0);
	list_del(&ops->node);
	kfree(ops);
}

static int klp_patch_func(struct klp_func *func)
{
	struct klp_ops *ops;
	int ret;

	if (WARN_ON_ONCE(!func->old_func || func->patched))
		return -EINVAL;

	ops = klp_find_ops(func->old_func);
	if (ops) {
		/*
		 * Publishes the fully set up entry (transition flag
		 * included) to handlers already running on this function.
		 */
		list_add_rcu(&func->stack_node, &ops->func_stack);
	} else {
		ret = klp_ops_create(func);
		if (ret)
			return ret;
	}

	func->patched = true;
	return 0;
}

static void klp_unpatch_func(struct klp_func *func)
{
	struct klp_ops *ops;

	if (WARN_ON_ONCE(!func->patched))
		return;
	ops = klp_find_ops(func->old_func);
	if (WARN_ON_ONCE(!ops))
		return;

	if (list_is_singular(&ops->func_stack)) {
		klp_ops_destroy(ops, func);
	} else {
		/*
		 * A handler may still hold @func; it stays allocated until
		 * its patch is freed, after klp_synchronize_transition().
		 */
		list_del_rcu(&func->stack_node);
	}
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
