// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Function redirection: one ftrace_ops per patched function, a stack of
 * klp_func entries on it, and the ftrace handler that sends every call
 * to the entry the calling task may use.  When a task may use the new
 * code is decided in transition.c.  Once no transition needs the
 * handler, a site may hand its function to a direct call instead (see
 * "Direct mode" below).
 */
#define pr_fmt(fmt) "livepatch: " fmt

#include <linux/bug.h>
#include <linux/ftrace.h>
#include <linux/list.h>
#include <linux/livepatch.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

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

	/* Empty once a transition removed the last entry: see klp_reap(). */
	func = list_first_or_null_rcu(&site->func_stack, struct klp_func,
				      stack_node);
	if (unlikely(!func))
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
 * Unhooking later.
 *
 * Detaching a handler from ftrace waits for grace periods, and so does
 * unregistering a direct ops.  When a transition removes the last entry
 * of a site, none of that is needed for the transition to be over: with
 * its stack empty the handler leaves every call alone, which is the
 * unpatched function, and klp_complete_transition() waits for handlers
 * still holding the removed entry anyway.  So klp_site_retire() only
 * moves the site to klp_retired_sites, and klp_reap() detaches and frees
 * it later, outside klp_mutex:
 *
 *  - when the patch that removed the entry is freed, right after the
 *    transition (klp_free_patch_finish()), before its sysfs directory
 *    and its module reference go: once they are gone, no ftrace user of
 *    the core is left on a function the patch alone had patched.  Every
 *    transition that retires a site frees a patch: the one disabled, the
 *    one whose enabling failed, or the ones an atomic replace replaced
 *    (a nop is only made for a function of one of those);
 *  - when a module goes away (klp_module_going()), or fails to load
 *    (klp_module_coming()), after klp_mutex is dropped but before the
 *    loader frees the module: an ftrace filter must not outlive the code
 *    at its address.
 *
 * A function patched again before its retired site is reaped takes that
 * site back, handler and all (klp_site_revive()): ftrace lets only one
 * IPMODIFY user change its calls, and a revived site needs no ftrace
 * call at all.  Removing a last entry outside a transition (a module
 * coming or going, a patch that failed to apply) retires the site too.
 *
 * Nothing waits for a detach under klp_mutex, because of what a detach
 * waits for.  For a DYNAMIC ops, ftrace_shutdown() waits for an RCU-tasks
 * grace period, and it does so holding ftrace_lock.  With real Tasks RCU
 * (CONFIG_TASKS_RCU, which PREEMPTION selects: every PREEMPT_DYNAMIC
 * distribution kernel) that grace period needs a voluntary switch of
 * every task that was running; a kthread that loops in the kernel and
 * only calls cond_resched() is preempted there and never switches
 * voluntarily, so it holds the grace period off for as long as it loops.
 * If klp_reap() unregistered straight away, every ftrace user on the
 * system, module loading included (ftrace_module_init()), would wait on
 * ftrace_lock for that kthread.  So klp_reap_all() first waits for a
 * grace period of its own, holding nothing, and the retired sites stay
 * revivable meanwhile; ftrace's own wait then normally ends at once.  A
 * kthread that starts such a loop right between the two still stalls
 * ftrace, as it would for any other ftrace user that unregisters, and
 * whoever needs that detach done waits with it: the patch being freed,
 * the module going, a re-patch of the same function (klp_reap_wait(),
 * under klp_mutex).  Direct mode is the exception: its switches wait
 * under klp_mutex, which is why it is off by default with Tasks RCU
 * (see klp_direct_on).
 *
 * The lists are guarded by klp_reap_lock, a spinlock because adding to
 * them must not wait; klp_reap_mutex is held while what was taken off
 * them is detached, so whoever needs that done can wait for it.
 * Lock order: klp_mutex, klp_reap_mutex, klp_reap_lock.
 */
static LIST_HEAD(klp_retired_sites);
static DEFINE_SPINLOCK(klp_reap_lock);
static DEFINE_MUTEX(klp_reap_mutex);

/* Direct ops, see below; they are reaped with the sites. */
static void klp_direct_collect(unsigned long ip, struct list_head *list);
static void klp_direct_reap(struct list_head *list);
static bool klp_direct_pending(void);

/*
 * The last entry of @site goes: the handler stays until klp_reap().  A
 * handler may still hold @func; the caller waits for that before @func
 * can go (a transition in klp_synchronize_transition(), the others with
 * the detach itself, which comes first).  Context: klp_mutex held.
 */
static void klp_site_retire(struct klp_site *site, struct klp_func *func)
{
	list_del_rcu(&func->stack_node);
	list_del(&site->sites);
	spin_lock(&klp_reap_lock);
	list_add_tail(&site->sites, &klp_retired_sites);
	spin_unlock(&klp_reap_lock);
}

/*
 * Take back the retired site of the function at @ip, if it is still
 * waiting for klp_reap(): its handler is attached with an empty stack.
 * Context: klp_mutex held.
 */
static struct klp_site *klp_site_revive(unsigned long ip)
{
	struct klp_site *site, *found = NULL;

	spin_lock(&klp_reap_lock);
	list_for_each_entry(site, &klp_retired_sites, sites) {
		if (site->ip == ip) {
			list_del(&site->sites);
			found = site;
			break;
		}
	}
	spin_unlock(&klp_reap_lock);
	return found;
}

/*
 * Wait for the detaches that klp_reap() already took off the lists:
 * those are in ftrace's hands and cannot be revived.
 */
static void klp_reap_wait(void)
{
	mutex_lock(&klp_reap_mutex);
	mutex_unlock(&klp_reap_mutex);
}

/*
 * Detach and free the retired sites and unregister the released direct
 * ops: those of the function at @ip, or all of them for 0.  Returns once
 * none of those is attached, including any another klp_reap() had taken
 * meanwhile.
 *
 * Context: may sleep; klp_mutex may be held.
 */
static void klp_reap(unsigned long ip)
{
	struct klp_site *site, *tmp;
	LIST_HEAD(sites);
	LIST_HEAD(ops);

	mutex_lock(&klp_reap_mutex);
	spin_lock(&klp_reap_lock);
	list_for_each_entry_safe(site, tmp, &klp_retired_sites, sites) {
		if (!ip || site->ip == ip)
			list_move_tail(&site->sites, &sites);
	}
	klp_direct_collect(ip, &ops);
	spin_unlock(&klp_reap_lock);

	list_for_each_entry_safe(site, tmp, &sites, sites) {
		list_del(&site->sites);
		if (klp_site_detach(site))
			kfree(site);
	}
	klp_direct_reap(&ops);
	mutex_unlock(&klp_reap_mutex);
}

/*
 * Before a detach: an RCU-tasks grace period of our own, waited for with
 * no lock held, so that ftrace's wait under ftrace_lock normally ends at
 * once (see "Unhooking later").
 */
static void klp_tasks_rcu_prewait(void)
{
	if (IS_ENABLED(CONFIG_TASKS_RCU))
		synchronize_rcu_tasks();
}

/* Whether anything waits for klp_reap(). */
static bool klp_reap_pending(void)
{
	bool pending;

	spin_lock(&klp_reap_lock);
	pending = !list_empty(&klp_retired_sites) || klp_direct_pending();
	spin_unlock(&klp_reap_lock);
	return pending;
}

/**
 * klp_reap_all() - detach everything retired or released, and wait
 *
 * The RCU-tasks grace period that each detach needs is waited for here
 * first, with no lock held (see "Unhooking later").
 *
 * Context: may sleep; klp_mutex must not be held.
 */
void klp_reap_all(void)
{
	lockdep_assert_not_held(&klp_mutex);
	if (klp_reap_pending())
		klp_tasks_rcu_prewait();
	/* Also waits for what another klp_reap() took meanwhile. */
	klp_reap(0);
}

/*
 * Direct mode.
 *
 * Outside a transition every caller of a patched function goes to the
 * top entry of its func_stack, so all the handler does is constant work
 * behind a trampoline that saves and restores registers.  When the core
 * has been quiet for KLP_SETTLE_DELAY, klp_settle_fn() gives such a site
 * a direct-call ftrace_ops instead: the fentry site calls a small stub
 * (klp_arch_slot()) that goes on to the top entry's new_func, with
 * no trampoline and no handler in between.
 *
 * Whatever would change the stub's answer first brings the site back to
 * handler mode with klp_site_use_handler(): pushing or popping an entry,
 * and a transition that sets the transition flags of entries already on
 * the stack (klp_leave_direct()).  No task switches, and no entry
 * changes, while a site is direct.
 *
 * Each switch attaches the new ops before it detaches the old one, so
 * the function is never left unpatched.  While both are attached, ftrace
 * calls the handler and then enters the stub, whose target wins; that
 * is the right target, as no transition is running.  Ftrace lets one
 * IPMODIFY user own a function and asks a direct ops (through ops_func)
 * whether it may share the function with one.  Ours agrees only with its
 * own handler, during its own switch, so other IPMODIFY users are
 * refused as the handler refuses them (a passthrough ops, below, agrees
 * with anyone: it no longer changes where a call goes).
 *
 * Leaving direct mode must be quick, as a transition waits for it, but
 * unregistering an ftrace_ops waits for grace periods (both ops are
 * DYNAMIC).  So the handler comes back first, the direct ops is pointed
 * at ftrace_stub_direct_tramp, which simply returns where the handler
 * decided (klp_site_release_direct()), and klp_reap() unregisters it
 * outside klp_mutex; the grace periods of that unregistration are also
 * what makes freeing the stub safe.  Going direct detaches the handler
 * in klp_settle_fn() too, after klp_mutex is dropped: its grace periods
 * hold up only what needs that site, which waits in klp_wait_detach().
 *
 * register_ftrace_direct() sets the ops flags itself; PERMANENT is added
 * once it returns, while the handler's PERMANENT ops is still attached,
 * so turning ftrace off keeps failing all along.
 *
 * A site with another direct user (a BPF trampoline, say) cannot become
 * direct and stays in handler mode; while a site is direct, such a user
 * cannot attach.  Writing 0 to /sys/kernel/debug/livepatch/direct brings
 * every site back to handler mode and keeps it there.
 */
#if defined(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS) && defined(klp_arch_slot)

/* How long the core must be quiet before sites become direct. */
#define KLP_SETTLE_DELAY	HZ

/**
 * struct klp_direct - the direct-call attachment of a site
 * @ops:	direct ftrace_ops filtered on the site's ip
 * @stub:	the stub, slot @slot of the arch code's (klp_arch_slot())
 * @slot:	its number, a bit in klp_slots_used
 * @addr:	where @ops sends calls now: @stub, or once the site has let
 *		go of it ftrace_stub_direct_tramp, which returns to whatever
 *		address the other ftrace users left, so that @ops no longer
 *		changes where a call goes (see klp_direct_passthrough())
 * @ip:		the function's ftrace location, the filter of @ops
 * @reap:	entry in klp_reap_list once the site has let go of it
 */
struct klp_direct {
	struct ftrace_ops ops;
	void *stub;
	unsigned int slot;
	unsigned long ip;
	unsigned long addr;
	struct list_head reap;
};

/*
 * Whether sites may become direct; klp_mutex.
 *
 * Going direct detaches the handler, and leaving it again waits under
 * klp_mutex for that detach and for the passthrough switch, each of
 * which waits for an RCU-tasks grace period that a kthread looping on
 * cond_resched() can hold off for good (see "Unhooking later").  An idle
 * optimisation must not start such a wait, so with Tasks RCU direct mode
 * is off by default; an administrator may switch it on (debugfs
 * "direct") knowing that.  Without Tasks RCU the wait is an ordinary RCU
 * grace period, which cond_resched() ends.
 */
static bool klp_direct_on = !IS_ENABLED(CONFIG_TASKS_RCU);

/*
 * The direct ops now switching, and the task switching it, for
 * klp_direct_ops_func().  Written under klp_mutex around the
 * registration; read by whatever task registers an IPMODIFY ops.
 */
static struct klp_direct *klp_switching;
static struct task_struct *klp_switcher;

/*
 * Direct ops that no site uses any more, each in passthrough, waiting
 * for klp_reap() to unregister and free it outside klp_mutex; guarded by
 * klp_reap_lock, as klp_retired_sites.
 */
static LIST_HEAD(klp_reap_list);

/* Unregisters the released direct ops soon after their release. */
static void klp_reap_fn(struct work_struct *work)
{
	klp_reap_all();
}

static DECLARE_WORK(klp_reap_work, klp_reap_fn);

/*
 * Held by klp_settle_fn() from the moment a site became direct, under
 * klp_mutex, until its handler is detached, without klp_mutex: that
 * detach waits for grace periods, which nothing else that needs
 * klp_mutex (a module load, a sysfs write) should wait for.  Whoever
 * needs a direct site's handler state settled takes it briefly
 * (klp_wait_detach()).  Lock order: klp_mutex, klp_detach_mutex.
 */
static DEFINE_MUTEX(klp_detach_mutex);

/* A direct site's handler is detached once this returns; klp_mutex held. */
static void klp_wait_detach(void)
{
	klp_assert_locked();
	mutex_lock(&klp_detach_mutex);
	mutex_unlock(&klp_detach_mutex);
}

/* jiffies of the last change klp_settle_later() was told of. */
static unsigned long klp_last_change;

static void klp_settle_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(klp_settle_work, klp_settle_fn);

/* Whether @d only passes calls on; read by any task through ops_func. */
static bool klp_direct_passthrough(struct klp_direct *d)
{
	return READ_ONCE(d->addr) == (unsigned long)ftrace_stub_direct_tramp;
}

static int klp_direct_ops_func(struct ftrace_ops *ops, enum ftrace_ops_cmd cmd)
{
	struct klp_direct *d = container_of(ops, struct klp_direct, ops);

	switch (cmd) {
	case FTRACE_OPS_CMD_ENABLE_SHARE_IPMODIFY_SELF:
	case FTRACE_OPS_CMD_ENABLE_SHARE_IPMODIFY_PEER:
		if (klp_direct_passthrough(d))
			return 0;
		if (READ_ONCE(klp_switcher) == current &&
		    READ_ONCE(klp_switching) == d)
			return 0;
		return -EBUSY;
	default:
		return 0;
	}
}

static void klp_switch_begin(struct klp_direct *d)
{
	WRITE_ONCE(klp_switcher, current);
	WRITE_ONCE(klp_switching, d);
}

static void klp_switch_end(void)
{
	WRITE_ONCE(klp_switching, NULL);
	WRITE_ONCE(klp_switcher, NULL);
}

KLP_ARCH_DIRECT_SLOTS();

/*
 * Slots in use.  A bit is set when a site takes its slot, under
 * klp_mutex, and cleared when the ops that called it is freed, with or
 * without klp_mutex, once ftrace's grace periods guarantee that no CPU
 * is on its way to the slot: atomic bit operations, no lock.
 */
static DECLARE_BITMAP(klp_slots_used, KLP_ARCH_SLOTS);

/* The slots are usable: checked once, at the first use. */
static int klp_slots_ok = 1;

static void klp_direct_free(struct klp_direct *d)
{
	if (d->stub)
		clear_bit(d->slot, klp_slots_used);
	kfree(d);
}

/* A free slot, or -ENOSPC when all are taken (the site stays in handler mode). */
static int klp_slot_get(void)
{
	unsigned int i;

	if (klp_slots_ok > 0) {
		klp_slots_ok = klp_arch_slot_check() ? -1 : 0;
		if (klp_slots_ok)
			pr_warn("direct-call stubs are not laid out as expected; direct mode stays off\n");
	}
	if (klp_slots_ok)
		return -EINVAL;
	do {
		i = find_first_zero_bit(klp_slots_used, KLP_ARCH_SLOTS);
		if (i >= KLP_ARCH_SLOTS)
			return -ENOSPC;
	} while (test_and_set_bit(i, klp_slots_used));
	return i;
}

static struct klp_direct *klp_direct_alloc(void *target)
{
	struct klp_direct *d;
	int slot, err;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	slot = klp_slot_get();
	if (slot < 0) {
		kfree(d);
		return ERR_PTR(slot);
	}
	d->slot = slot;
	d->stub = klp_arch_slot(slot);
	/* Nothing can reach the slot before register_ftrace_direct(). */
	err = klp_arch_slot_set(d->stub, (unsigned long)target);
	if (err) {
		klp_direct_free(d);
		return ERR_PTR(err);
	}
	d->addr = (unsigned long)d->stub;
	d->ops.ops_func = klp_direct_ops_func;
	return d;
}

/* Unregister @d, which no site uses; false when ftrace may still use it. */
static bool klp_direct_unregister(struct klp_direct *d)
{
	if (WARN_ON_ONCE(unregister_ftrace_direct(&d->ops, d->addr, true)))
		return false;
	klp_direct_free(d);
	return true;
}

/* Unregister @site's direct ops now, waiting for the grace periods. */
static void klp_site_drop_direct(struct klp_site *site)
{
	struct klp_direct *d = site->direct;

	site->direct = NULL;
	klp_direct_unregister(d);
}

/*
 * Take @site's direct ops away from it without a grace period: point the
 * ops at ftrace_stub_direct_tramp, which returns to whatever address the
 * other users of the function left (the handler's choice, or the
 * function itself when none is left), and leave the ops to klp_reap().
 * The stub is freed only after the grace periods of that
 * unregistration, so a CPU still on its way to the stub is safe.
 * When the ops cannot be repointed, it is unregistered here instead.
 *
 * Context: klp_mutex held; may sleep.
 */
static void klp_site_release_direct(struct klp_site *site)
{
	struct klp_direct *d = site->direct;
	unsigned long pass = (unsigned long)ftrace_stub_direct_tramp;
	int err;

	site->direct = NULL;
	klp_switch_begin(d);
	err = modify_ftrace_direct(&d->ops, pass);
	klp_switch_end();
	if (err) {
		klp_direct_unregister(d);
		return;
	}
	WRITE_ONCE(d->addr, pass);
	spin_lock(&klp_reap_lock);
	list_add_tail(&d->reap, &klp_reap_list);
	spin_unlock(&klp_reap_lock);
	queue_work(system_wq, &klp_reap_work);
}

/*
 * Handler mode to direct mode, up to the handler's detach, which the
 * caller does outside klp_mutex (klp_settle_fn()).  Context: klp_mutex
 * and klp_detach_mutex held, no transition.
 */
static int klp_site_go_direct(struct klp_site *site)
{
	struct klp_direct *d = klp_direct_alloc(klp_site_top(site)->new_func);
	int err;

	if (IS_ERR(d))
		return PTR_ERR(d);
	d->ip = site->ip;
	err = ftrace_set_filter_ip(&d->ops, site->ip, 0, 0);
	if (err)
		goto free;

	klp_switch_begin(d);
	err = register_ftrace_direct(&d->ops, (unsigned long)d->stub);
	klp_switch_end();
	if (err) {
		ftrace_free_filter(&d->ops);
		goto free;
	}
	/*
	 * Not under ftrace_lock, which is ftrace's own: nothing else writes
	 * the flags of a registered direct ops, and ftrace_enabled is
	 * refused meanwhile anyway, as the handler is still PERMANENT.
	 */
	d->ops.flags |= FTRACE_OPS_FL_PERMANENT;
	site->direct = d;
	/* The caller detaches the handler, keeping its filter. */
	return 0;
free:
	klp_direct_free(d);
	return err;
}

/*
 * Direct mode to handler mode, before the site's answer changes.  The
 * handler's registration allocates nothing (its filter was kept).  It
 * fails with -EBUSY when another IPMODIFY user has taken the function
 * meanwhile: ftrace asks a direct ops before an IPMODIFY ops is
 * registered, but not when an IPMODIFY ops already registered adds the
 * function to its filter, which is what kprobes with a post_handler do
 * once one exists.  The caller then fails with the system unchanged, and
 * can go on once that user has gone.
 *
 * Context: klp_mutex held; may sleep.
 */
static int klp_site_use_handler(struct klp_site *site)
{
	int err;

	if (!site->direct)
		return 0;
	klp_wait_detach();
	klp_switch_begin(site->direct);
	err = register_ftrace_function(&site->fops);
	klp_switch_end();
	if (err) {
		pr_err("failed to restore the ftrace handler for function '%ps' (%d)%s\n",
		       site->old_func, err,
		       err == -EBUSY ? ": another ftrace user modifies its calls" : "");
		return err;
	}
	klp_site_release_direct(site);
	return 0;
}

static bool klp_site_may_go_direct(struct klp_site *site)
{
	struct klp_func *top = klp_site_top(site);

	return !site->direct && !site->no_direct && !top->nop &&
	       !top->transition;
}

/* Take the released direct ops of @ip (0: all) for klp_direct_reap(). */
static void klp_direct_collect(unsigned long ip, struct list_head *list)
{
	struct klp_direct *d, *tmp;

	lockdep_assert_held(&klp_reap_lock);
	list_for_each_entry_safe(d, tmp, &klp_reap_list, reap) {
		if (!ip || d->ip == ip)
			list_move_tail(&d->reap, list);
	}
}

/* Whether released direct ops wait for klp_reap(); klp_reap_lock. */
static bool klp_direct_pending(void)
{
	lockdep_assert_held(&klp_reap_lock);
	return !list_empty(&klp_reap_list);
}

/* Unregister and free what klp_direct_collect() took. */
static void klp_direct_reap(struct list_head *list)
{
	struct klp_direct *d, *tmp;

	list_for_each_entry_safe(d, tmp, list, reap)
		klp_direct_unregister(d);
}

/*
 * Whether the core has been quiet for KLP_SETTLE_DELAY; if not, run
 * again when it will have been.  Every change that releases a direct ops
 * also moves klp_last_change (or starts a transition) before klp_mutex
 * is dropped, so under klp_mutex a quiet core has nothing left to reap.
 */
static bool klp_quiet_or_requeue(void)
{
	unsigned long quiet_at = READ_ONCE(klp_last_change) + KLP_SETTLE_DELAY;

	if (!time_before(jiffies, quiet_at))
		return true;
	mod_delayed_work(system_wq, &klp_settle_work, quiet_at - jiffies);
	return false;
}

/*
 * First unregister the direct ops released since the last run, outside
 * klp_mutex, as each waits for grace periods.  Then, once the core has
 * been quiet for KLP_SETTLE_DELAY, make the sites direct one at a time,
 * dropping klp_mutex in between: detaching a handler waits for grace
 * periods too, and a transition that wants to start should not wait for
 * all of them.  Quiet is checked again each time, under klp_mutex.
 */
static void klp_settle_fn(struct work_struct *work)
{
	struct klp_site *site, *detach;
	bool again;
	int err;

	klp_reap_all();
	do {
		again = false;
		detach = NULL;
		/* The detach below waits under ftrace_lock. */
		if (READ_ONCE(klp_direct_on))
			klp_tasks_rcu_prewait();
		mutex_lock(&klp_mutex);
		if (!klp_direct_on || klp_transition_patch ||
		    !klp_quiet_or_requeue())
			goto unlock;
		list_for_each_entry(site, &klp_sites, sites) {
			if (!klp_site_may_go_direct(site))
				continue;
			mutex_lock(&klp_detach_mutex);
			err = klp_site_go_direct(site);
			if (err) {
				pr_debug("function '%ps' stays in handler mode (%d)\n",
					 site->old_func, err);
				site->no_direct = true;
				mutex_unlock(&klp_detach_mutex);
			} else {
				detach = site;
			}
			again = true;
			break;
		}
unlock:
		mutex_unlock(&klp_mutex);
		/*
		 * Both the handler and the direct ops are attached, which is
		 * correct (the stub's target wins) but slow.  Detach the
		 * handler now; whoever wants the site meanwhile waits in
		 * klp_wait_detach(), so the site stays as it is until then.
		 */
		if (detach) {
			WARN_ON_ONCE(unregister_ftrace_function(&detach->fops));
			mutex_unlock(&klp_detach_mutex);
		}
		cond_resched();
	} while (again);
}

/**
 * klp_settle_later() - let sites become direct after a quiet spell
 *
 * Called whenever a site changed or a transition ended; each call
 * restarts the wait for KLP_SETTLE_DELAY of quiet.
 */
void klp_settle_later(void)
{
	WRITE_ONCE(klp_last_change, jiffies);
	/* A run already queued, sooner, waits out the rest itself. */
	if (READ_ONCE(klp_direct_on))
		queue_delayed_work(system_wq, &klp_settle_work, KLP_SETTLE_DELAY);
}

/**
 * klp_direct_set() - allow or forbid direct mode
 * @on:		false brings every site back to handler mode now
 *
 * Context: may sleep; takes klp_mutex.
 * Return: 0, or the first error of a site that could not leave direct
 * mode (the others did; the ones that failed stay direct, though direct
 * mode reads off).
 */
int klp_direct_set(bool on)
{
	struct klp_site *site;
	int ret = 0, err;

	mutex_lock(&klp_mutex);
	WRITE_ONCE(klp_direct_on, on);
	list_for_each_entry(site, &klp_sites, sites) {
		if (on) {
			/* A fresh start for sites that failed before. */
			site->no_direct = false;
			continue;
		}
		err = klp_site_use_handler(site);
		if (err && !ret)
			ret = err;
	}
	mutex_unlock(&klp_mutex);
	if (on) {
		klp_settle_later();
	} else {
		/* Gone from ftrace too before the write returns. */
		cancel_delayed_work_sync(&klp_settle_work);
		klp_reap_all();
	}
	return ret;
}

/**
 * klp_direct_get() - whether sites may become direct
 *
 * Return: the value last given to klp_direct_set(); at boot, true unless
 * the kernel has Tasks RCU (see klp_direct_on).
 */
bool klp_direct_get(void)
{
	return READ_ONCE(klp_direct_on);
}

#else /* no direct calls */

static void klp_wait_detach(void)
{
}

static int klp_site_use_handler(struct klp_site *site)
{
	return 0;
}

static void klp_site_drop_direct(struct klp_site *site)
{
}

static void klp_direct_collect(unsigned long ip, struct list_head *list)
{
}

static void klp_direct_reap(struct list_head *list)
{
}

static bool klp_direct_pending(void)
{
	return false;
}

void klp_settle_later(void)
{
}

int klp_direct_set(bool on)
{
	return on ? -EOPNOTSUPP : 0;
}

bool klp_direct_get(void)
{
	return false;
}

#endif /* direct calls */

/**
 * klp_leave_direct() - bring every site of @patch back to handler mode
 * @patch:	an enabled patch about to be disabled
 *
 * A disabling transition sets the transition flags of entries already on
 * their stacks, which only the handler reads.
 *
 * Context: klp_mutex held; may sleep.
 * Return: 0, or an error with the patch unchanged (some sites may have
 * left direct mode, which changes nothing but the cost of a call).
 */
int klp_leave_direct(struct klp_patch *patch)
{
	struct klp_object *obj;
	struct klp_func *func;
	struct klp_site *site;
	int err;

	klp_assert_locked();
	klp_for_each_object(patch, obj) {
		klp_for_each_func(obj, func) {
			if (!func->patched)
				continue;
			site = klp_site_find(func->old_func);
			if (WARN_ON_ONCE(!site))
				continue;
			err = klp_site_use_handler(site);
			if (err) {
				/* The sites that did leave may go back. */
				klp_settle_later();
				return err;
			}
		}
	}
	return 0;
}

/**
 * klp_sites_show() - one line per patched function: how calls reach it
 * @m:		the seq_file of /sys/kernel/debug/livepatch/sites
 * @unused:	seq_file private data
 *
 * Each line is "<handler|direct> <entries on the stack> <function>", the
 * function as %ps prints it ("name [module]" for a module's function).
 *
 * Context: takes klp_mutex.
 * Return: 0.
 */
int klp_sites_show(struct seq_file *m, void *unused)
{
	struct klp_site *site;
	struct klp_func *func;
	int depth;

	mutex_lock(&klp_mutex);
	list_for_each_entry(site, &klp_sites, sites) {
		depth = 0;
		list_for_each_entry(func, &site->func_stack, stack_node)
			depth++;
		seq_printf(m, "%s %d %ps\n",
			   site->direct ? "direct" : "handler", depth,
			   site->old_func);
	}
	mutex_unlock(&klp_mutex);
	return 0;
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
 * First entry for a function: its retired site taken back, or a new site
 * with @func alone on its stack.  The entry goes on before the handler
 * is attached, so a new handler never finds the stack empty.
 */
static int klp_site_create(struct klp_func *func)
{
	unsigned long ip = klp_hook_ip(func);
	struct klp_site *site;
	int err;

	if (!ip)
		return -EINVAL;
	site = klp_site_revive(ip);
	if (site) {
		list_add_rcu(&func->stack_node, &site->func_stack);
		site->no_direct = false;
		list_add(&site->sites, &klp_sites);
		return 0;
	}
	site = kzalloc(sizeof(*site), GFP_KERNEL);
	if (!site)
		return -ENOMEM;

	site->old_func = func->old_func;
	site->ip = ip;
	site->fops.func = klp_ftrace_handler;
	site->fops.flags = KLP_FOPS_FLAGS;
	INIT_LIST_HEAD(&site->func_stack);
	list_add_rcu(&func->stack_node, &site->func_stack);

	/* A retired site of the function may be going: it goes first. */
	klp_reap_wait();
	err = klp_site_attach(site, func->old_name);
	if (err) {
		kfree(site);
		return err;
	}
	list_add(&site->sites, &klp_sites);
	return 0;
}

/*
 * Last entry of a direct site gone, which only a module going away does
 * (every transition left direct mode first): the direct ops goes at once
 * rather than through klp_reap_list, so nothing is left filtered on an
 * address the module frees.  No handler is attached, so none can still
 * hold @site.  This waits for grace periods under klp_mutex, which is
 * why direct mode is off by default with Tasks RCU (see klp_direct_on).
 */
static void klp_site_destroy_direct(struct klp_site *site)
{
	list_del(&site->sites);
	klp_wait_detach();
	klp_site_drop_direct(site);
	ftrace_free_filter(&site->fops);
	/*
	 * A direct ops the site released earlier may still be waiting for
	 * klp_reap(): the function is unhooked only once that is gone
	 * too, as it would be without direct mode.
	 */
	klp_reap(site->ip);
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
		err = klp_site_use_handler(site);
		if (err)
			return err;
		/*
		 * Publishes the fully set up entry (transition flag
		 * included) to handlers already running on this function.
		 */
		list_add_rcu(&func->stack_node, &site->func_stack);
		site->no_direct = false;
	}
	func->patched = true;
	klp_settle_later();
	return 0;
}

/*
 * Take @func off its stack; a site left empty is detached later
 * (klp_site_retire()).  A handler may still hold @func: a transition
 * waits for that before it completes, and the other callers have the
 * site detached before @func can go.
 */
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
	if (list_is_singular(&site->func_stack)) {
		if (site->direct)
			klp_site_destroy_direct(site);
		else
			klp_site_retire(site, func);
	} else {
		/*
		 * Only a module going away pops from a direct site (every
		 * transition left direct mode first).  If the handler cannot
		 * come back, the stub may keep calling @func's new_func for
		 * a moment: its patch is still enabled, so that code stays,
		 * and the module's other entries go in the same
		 * klp_module_going(), the last one with the site.
		 */
		klp_site_use_handler(site);
		list_del_rcu(&func->stack_node);
		site->no_direct = false;
		klp_settle_later();
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
 * For a module coming or going.  A function left without entries keeps
 * its handler, which leaves every call alone, until klp_reap_all(): the
 * caller runs that once klp_mutex is dropped, before the module goes.
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
 * On failure the object is left unpatched, and the functions it hooked
 * are unhooked by the caller's klp_reap_all(), as in klp_unpatch_object().
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
 * For a completing transition, which then waits for the handlers that may
 * still hold a removed entry (klp_synchronize_transition()).  A function
 * left without entries is unhooked later: see klp_reap().
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
 * As klp_unpatch_objects(): the nops may be freed only after the
 * transition waited for the handlers.
 *
 * Context: klp_mutex held; may sleep.
 */
void klp_unpatch_objects_dynamic(struct klp_patch *patch)
{
	klp_unpatch_patch(patch, true);
}
