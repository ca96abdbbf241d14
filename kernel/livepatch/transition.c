// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Consistency model: decides when each task may run the code of the
 * target state and finishes the transition once the last task has
 * switched.  Redirection itself lives in patch.c; the patch lifecycle
 * around a transition lives in core.c.
 *
 * A task switches when it holds no function being changed on its stack
 * (checked while it cannot run), on its way out to user space, in
 * cond_resched(), when an idle CPU goes round its loop, or when forced.
 * Every switch is counted, and the switch that brings the count of
 * pending tasks to zero queues the completion at once.  A rescan with
 * back-off remains as the fallback for what the count cannot see.
 */
#define pr_fmt(fmt) "livepatch: " fmt

#include <linux/cpu.h>
#include <linux/jiffies.h>
#include <linux/livepatch.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/static_call.h>
#include <linux/workqueue.h>
#include <trace/events/sched.h>

#include "core.h"
#include "patch.h"
#include "trace.h"
#include "transition.h"

#define KLP_MAX_STACK_ENTRIES	100

/*
 * First fallback rescan, and the ceiling of its doubling back-off.  The
 * first rescans come quickly because a kthread that was running during
 * the first scan and then went to sleep has no event of its own: only a
 * stack check switches it.  A rescan skips every task already switched,
 * so it costs little.
 */
#define KLP_RESCAN_MIN_MS	1
#define KLP_RESCAN_MAX_MS	1000
/*
 * Stragglers get a fake signal (user tasks) or a wake-up (kthreads) once
 * a transition is livepatch.signal_after_ms old, and again each time as
 * much has passed.  The default is 6.12's 15 s: a fake signal makes
 * interruptible waits such as epoll_wait() return EINTR, and no program
 * should see that sooner or more often than on 6.12.  Lowering it is an
 * administrator's choice, a boot or sysfs parameter so that it works
 * under lockdown too; the line that tools read, "signaling remaining
 * tasks", is logged at most once per 15 s whatever the setting.
 */
#define KLP_SIGNAL_DEFAULT_MS	15000
#define KLP_SIGNAL_MIN_MS	100
#define KLP_SIGNAL_MAX_MS	3600000
/* A transition this old is reported in the log, then once a minute. */
#define KLP_REPORT_AFTER_MS	15000
#define KLP_REPORT_EVERY_MS	60000
#define KLP_REPORT_MAX_TASKS	8

/**
 * struct klp_range - code a task must not be inside of to switch
 * @start:	first byte of the function
 * @end:	first byte after it
 * @name:	the function's name, for reports
 */
struct klp_range {
	unsigned long start;
	unsigned long end;
	const char *name;
};

/* The patch in transition and its target; written under klp_mutex. */
struct klp_patch *klp_transition_patch;

/*
 * Target state, or KLP_TRANSITION_IDLE.  Tasks switching themselves read
 * it without klp_mutex, after seeing their TIF_PATCH_PENDING set; the
 * smp_wmb() in klp_reverse_transition() orders a new value before flags
 * are set again.
 */
static int klp_target_state = KLP_TRANSITION_IDLE;

/**
 * struct klp_ranges - every range of the transition, as one allocation
 * @nr:		number of entries in @r
 * @r:		the ranges
 */
struct klp_ranges {
	unsigned int nr;
	struct klp_range r[];
};

/*
 * The code no pending task may be inside of, for every object of the
 * transition patch that is patched right now.  Rebuilt under klp_mutex
 * when a transition starts or reverses and whenever a module of the
 * patch comes or goes during it, so a stack check always covers what is
 * patched at that moment.  Read by the rescan and debugfs (klp_mutex)
 * and by tasks checking themselves in cond_resched() with preemption
 * disabled: a new array is published with smp_store_release(), which
 * klp_check_task() pairs with an acquire load, and the old one is freed
 * only after klp_synchronize_transition().  NULL during a transition
 * means the array could not be allocated: no stack check passes then,
 * and the next rescan tries again.
 */
static struct klp_ranges *klp_ranges;

/*
 * Tasks with TIF_PATCH_PENDING set.  Raised where a flag is set, lowered
 * where one is cleared; the decrement that reaches zero queues the
 * completion.  Only a hint: the rescan alone decides that a transition
 * is complete, so a count that is off costs time, never safety.  A fork
 * that fails after klp_copy_process() leaves it one too high; the rescan
 * then puts it right (klp_recount_pending()).
 */
static atomic_t klp_pending_count = ATOMIC_INIT(0);

/*
 * Switches made outside klp_mutex, for klp_recount_pending(): such a
 * switch raises the first before it clears a flag and the second once it
 * has lowered the count.  Equal before a recount and the first unchanged
 * after it means no such switch ran during it.
 */
static atomic_t klp_switches_begun = ATOMIC_INIT(0);
static atomic_t klp_switches_ended = ATOMIC_INIT(0);

/* Transition timing for back-off, signals and reports; klp_mutex. */
static u64 klp_start_ns;
static bool klp_was_forced;
static unsigned long klp_start_jiffies;
static unsigned long klp_rescan_delay;
static unsigned long klp_next_report;
static unsigned long klp_next_signal;
static unsigned long klp_next_signal_log;

/* Written through the parameter at any time, read once per rescan. */
static unsigned int klp_signal_after_ms = KLP_SIGNAL_DEFAULT_MS;

static int klp_signal_after_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int ret;

	ret = kstrtouint(val, 0, &ms);
	if (ret)
		return ret;
	if (ms < KLP_SIGNAL_MIN_MS || ms > KLP_SIGNAL_MAX_MS)
		return -EINVAL;
	WRITE_ONCE(klp_signal_after_ms, ms);
	return 0;
}

static const struct kernel_param_ops klp_signal_after_ops = {
	.set = klp_signal_after_set,
	.get = param_get_uint,
};

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "livepatch."
module_param_cb(signal_after_ms, &klp_signal_after_ops, &klp_signal_after_ms, 0644);
MODULE_PARM_DESC(signal_after_ms,
		 "age of a transition, and interval, at which tasks that still have to switch are signalled (ms, 100-3600000, default 15000)");

static unsigned long klp_signal_interval(void)
{
	return msecs_to_jiffies(READ_ONCE(klp_signal_after_ms));
}

/* Blocked tasks seen by the last rescan, for the log report; klp_mutex. */
static struct {
	pid_t pid;
	char comm[TASK_COMM_LEN];
	struct klp_blocker b;
} klp_report[KLP_REPORT_MAX_TASKS];
static unsigned int klp_report_nr;

/*
 * The hooks that only a transition needs: the cond_resched() hook and the
 * reaped-task probe.  Arming or disarming the first patches every
 * cond_resched() call site in the kernel and in modules, one text_poke
 * and three rounds of IPIs per site when PREEMPT_DYNAMIC uses static
 * calls; on a busy machine that takes long (tens of seconds under TCG).
 * So they are armed when a transition starts and stay armed until none
 * has run for livepatch.hooks_linger_ms: back-to-back transitions pay
 * once, and no transition waits for the disarming.
 *
 * klp_hooks_mutex nests inside klp_mutex and protects everything below
 * up to klp_free_probe_gp_set; the disarm work takes it alone, so a long
 * disarm holds up only the next transition's start, never an end.
 */
static DEFINE_MUTEX(klp_hooks_mutex);
static bool klp_hooks_armed;
/* A transition runs and needs them: the disarm work leaves them alone. */
static bool klp_hooks_in_use;
/* The reaped-task probe could be registered when they were armed. */
static bool klp_free_probe;
/*
 * RCU grace-period cookie taken when the probe was last unregistered: a
 * probe call that began before that may still run until a grace period
 * has passed (tracepoint probes run with preemption disabled), and must
 * not decrement the count of the next transition.
 */
static unsigned long klp_free_probe_gp;
static bool klp_free_probe_gp_set;

#define KLP_HOOKS_LINGER_DEFAULT_MS	10000
#define KLP_HOOKS_LINGER_MAX_MS		3600000
/* Written through the parameter at any time, read when a transition ends. */
static unsigned int klp_hooks_linger_ms = KLP_HOOKS_LINGER_DEFAULT_MS;

static int klp_hooks_linger_set(const char *val,
				const struct kernel_param *kp)
{
	unsigned int ms;
	int ret;

	ret = kstrtouint(val, 0, &ms);
	if (ret)
		return ret;
	if (ms > KLP_HOOKS_LINGER_MAX_MS)
		return -EINVAL;
	WRITE_ONCE(klp_hooks_linger_ms, ms);
	return 0;
}

static const struct kernel_param_ops klp_hooks_linger_ops = {
	.set = klp_hooks_linger_set,
	.get = param_get_uint,
};

module_param_cb(hooks_linger_ms, &klp_hooks_linger_ops, &klp_hooks_linger_ms, 0644);
MODULE_PARM_DESC(hooks_linger_ms,
		 "how long the cond_resched() hook stays armed after a transition (ms, 0-3600000, default 10000)");

static void klp_hooks_disarm_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(klp_hooks_disarm_work, klp_hooks_disarm_fn);

/* Stack buffer for the check; used with interrupts or preemption off. */
static DEFINE_PER_CPU(unsigned long[KLP_MAX_STACK_ENTRIES], klp_stack_buf);

static void klp_transition_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(klp_transition_work, klp_transition_work_fn);

static const char *klp_state_name(int state)
{
	return state == KLP_TRANSITION_PATCHED ? "patching" : "unpatching";
}

static const char *klp_patch_name(void)
{
	return klp_transition_patch->mod->name;
}

static void klp_sync_noop(struct work_struct *work)
{
}

/*
 * Wait until no CPU is inside a preemption-disabled section that began
 * before this call: the ftrace handler, klp_update_patch_state() and
 * __klp_sched_try_switch().  This is the grace period of those readers.
 * A plain synchronize_rcu() would not do, because patched functions may
 * run where RCU is not watching (idle entry, early exception code), and
 * scheduling a work item on every CPU makes each of them pass through
 * the scheduler.
 */
static void klp_synchronize_transition(void)
{
	schedule_on_each_cpu(klp_sync_noop);
}

/* The cond_resched() hook is armed only while a transition runs. */
#if defined(CONFIG_PREEMPT_DYNAMIC) && defined(CONFIG_HAVE_PREEMPT_DYNAMIC_CALL)
static void klp_cond_resched_arm(bool on)
{
	if (on)
		sched_dynamic_klp_enable();
	else
		sched_dynamic_klp_disable();
}
#else
/* Every module's cond_resched() tests it, GPL or not: plain export. */
struct static_key_false klp_sched_try_switch_key = STATIC_KEY_FALSE_INIT;
EXPORT_SYMBOL(klp_sched_try_switch_key);

static void klp_cond_resched_arm(bool on)
{
	if (on)
		static_branch_enable(&klp_sched_try_switch_key);
	else
		static_branch_disable(&klp_sched_try_switch_key);
}
#endif

/*
 * A task just cleared its own TIF_PATCH_PENDING (or had it cleared for
 * it).  When it was the last one, complete the transition right away
 * instead of waiting for the next rescan.  Callable from any context
 * that may queue work, including the idle loop.
 *
 * The work is unbound: the last task to switch is often one of many busy
 * tasks on a crowded CPU, and a per-CPU worker queued there would wait
 * behind all of them (seconds with 1,000 busy threads on one CPU).
 */
static void klp_note_switched(void)
{
	/*
	 * Exactly zero: a count that went wrong low must not turn every
	 * later switch into a rescan; the fallback rescan covers it.
	 */
	if (atomic_dec_return(&klp_pending_count) == 0)
		mod_delayed_work(system_unbound_wq, &klp_transition_work, 0);
}

/*
 * Switch @task without checking it: the caller knows it cannot be
 * running any function of the transition, or an admin forced it.
 */
static void klp_count_switch_begin(void)
{
	atomic_inc(&klp_switches_begun);
	/* Before the flag is cleared; pairs with klp_recount_pending(). */
	smp_mb__after_atomic();
}

static void klp_count_switch_end(void)
{
	/* After the count went down; pairs with klp_recount_pending(). */
	smp_mb__before_atomic();
	atomic_inc(&klp_switches_ended);
}

static void klp_switch_now(struct task_struct *task, int path)
{
	int target;

	if (!klp_patch_pending(task))
		return;
	klp_count_switch_begin();
	if (test_and_clear_tsk_thread_flag(task, TIF_PATCH_PENDING)) {
		target = READ_ONCE(klp_target_state);
		task->patch_state = target;
		trace_klp_task_switch(task, target, path);
		klp_note_switched();
	}
	klp_count_switch_end();
}

/* ---- which code a task must not be in -------------------------------- */

/*
 * Patching: the code a task runs now is the entry below @func on its
 * stack, or the original function.  Unpatching: it is @func itself
 * (for a nop entry, new_func is the original function).
 */
static void klp_func_range(struct klp_func *func, struct klp_range *r)
{
	struct klp_site *site = klp_site_find(func->old_func);
	struct klp_func *below = site ? klp_site_below(site, func) : NULL;

	r->name = func->old_name;
	if (klp_target_state == KLP_TRANSITION_UNPATCHED) {
		r->start = (unsigned long)func->new_func;
		r->end = r->start + func->new_size;
	} else if (!below) {
		r->start = (unsigned long)func->old_func;
		r->end = r->start + func->old_size;
	} else {
		r->start = (unsigned long)below->new_func;
		r->end = r->start + below->new_size;
	}
}

/*
 * Build the ranges of every object of the transition patch that is
 * patched now, or return NULL if they cannot be allocated.  Until they
 * can, every stack check fails, and tasks switch only on their way to
 * user space, in the idle loop or when forced: passing the check without
 * the ranges could switch a task inside a function being changed.
 * Not inlined: test-midload.sh makes this one allocation fail.
 */
static noinline struct klp_ranges *klp_alloc_ranges(void)
{
	struct klp_ranges *ranges;
	struct klp_object *obj;
	struct klp_func *func;
	unsigned int nr = 0, n = 0;

	klp_assert_locked();
	klp_for_each_object(klp_transition_patch, obj)
		if (obj->patched)
			klp_for_each_func(obj, func)
				nr++;

	ranges = kzalloc(struct_size(ranges, r, nr), GFP_KERNEL);
	if (!ranges)
		return NULL;
	/* klp_mutex keeps the count; the bound is for the array's sake. */
	klp_for_each_object(klp_transition_patch, obj)
		if (obj->patched)
			klp_for_each_func(obj, func)
				if (!WARN_ON_ONCE(n >= nr))
					klp_func_range(func, &ranges->r[n++]);
	ranges->nr = n;
	return ranges;
}

/*
 * Replace klp_ranges with ranges for what is patched now.  @readers:
 * tasks may be checking themselves against the old array (some have
 * TIF_PATCH_PENDING set), so it is freed only after they are done.
 */
static void klp_set_ranges(bool readers)
{
	struct klp_ranges *old = klp_ranges;

	klp_assert_locked();
	/* Pairs with the smp_load_acquire() in klp_check_task(). */
	smp_store_release(&klp_ranges, klp_alloc_ranges());
	if (old && readers)
		klp_synchronize_transition();
	kfree(old);
}

/**
 * klp_transition_objects_changed() - a module of the transition came or went
 *
 * Called after klp_module_coming() or klp_module_going() changed which
 * objects are patched while a transition runs: from now on the stack
 * check covers exactly those.  A module's code cannot run before its
 * COMING notification returns, so no task can be inside a function of a
 * coming module before its ranges are in place.
 *
 * Context: klp_mutex held; may sleep.
 */
void klp_transition_objects_changed(void)
{
	klp_assert_locked();
	if (klp_transition_patch)
		klp_set_ranges(true);
}

static const char *klp_stack_hit(const struct klp_ranges *ranges,
				 const unsigned long *entries, int nr)
{
	const struct klp_range *r;
	int e;

	for (e = 0; e < nr; e++)
		for (r = ranges->r; r < ranges->r + ranges->nr; r++)
			if (entries[e] >= r->start && entries[e] < r->end)
				return r->name;
	return NULL;
}

/*
 * Runs through task_call_func(): @task is current or cannot start running
 * until this returns, so its stack is stable.  0 means no function of
 * the transition is on it.
 */
static int klp_check_task(struct task_struct *task, void *arg)
{
	unsigned long *entries = this_cpu_ptr(klp_stack_buf);
	struct klp_blocker *b = arg;
	const struct klp_ranges *ranges;
	int nr;

	/* Pairs with the smp_store_release() in klp_set_ranges(). */
	ranges = smp_load_acquire(&klp_ranges);
	if (unlikely(!ranges)) {
		b->why = "no memory for the stack check";
		return -ENOMEM;
	}

	if (task_curr(task) && task != current) {
		b->why = "running";
		b->cpu = task_cpu(task);
		return -EBUSY;
	}

	nr = stack_trace_save_tsk_reliable(task, entries,
					   KLP_MAX_STACK_ENTRIES);
	if (nr < 0) {
		b->why = "unreliable stack";
		return nr;
	}
	b->func = klp_stack_hit(ranges, entries, nr);
	return b->func ? -EADDRINUSE : 0;
}

/*
 * The same, and switch @task when it is clean.  Return: 1 when this call
 * switched @task, 0 when it had switched already, or why it cannot.
 */
static int klp_check_and_switch(struct task_struct *task, void *arg)
{
	int ret;

	if (!klp_patch_pending(task))
		return 0;
	ret = klp_check_task(task, arg);
	if (ret)
		return ret;
	/* Only this caller's switch is counted: test and clear. */
	if (!test_and_clear_tsk_thread_flag(task, TIF_PATCH_PENDING))
		return 0;
	task->patch_state = klp_target_state;
	trace_klp_task_switch(task, klp_target_state,
			      task == current ? KLP_SWITCH_SCHED :
						KLP_SWITCH_STACK);
	return 1;
}

/**
 * klp_describe_task() - why is @task still pending?  Changes nothing.
 * @task:	a task of the running transition
 * @b:		filled in with the reason
 *
 * Context: klp_mutex held, which keeps the transition and its ranges.
 * Return: 0 when @task has switched or would switch at the next rescan,
 * otherwise the reason as a negative errno (see klp_check_task()).
 */
int klp_describe_task(struct task_struct *task, struct klp_blocker *b)
{
	klp_assert_locked();
	if (!klp_patch_pending(task))
		return 0;
	if (!klp_have_reliable_stack()) {
		b->why = "no reliable stack traces";
		return -EOPNOTSUPP;
	}
	return task_call_func(task, klp_check_task, b);
}

/**
 * klp_transition_info() - summary of the running transition
 * @target:	set to the target state
 * @start_ns:	set to the ktime_get_ns() value when it started
 *
 * Context: klp_mutex held.
 * Return: the number of tasks the counter believes pending.
 */
int klp_transition_info(int *target, u64 *start_ns)
{
	klp_assert_locked();
	*target = klp_target_state;
	*start_ns = klp_start_ns;
	return atomic_read(&klp_pending_count);
}

/*
 * klp_try_switch_task() - check @task's stack and switch it if it is clean
 *
 * The pr_debug() lines stay in this function: test tools switch on every
 * livepatch debug message except the ones printed here.
 *
 * Return: 1 when this call switched @task, 0 when it was not pending
 * (any more), negative when it cannot switch now.  The caller counts a
 * switch of its own, outside the locks task_call_func() holds.
 */
static int klp_try_switch_task(struct task_struct *task,
			       struct klp_blocker *b)
{
	int ret;

	if (!klp_patch_pending(task))
		return 0;
	if (!klp_have_reliable_stack())
		return -EOPNOTSUPP;

	ret = task_call_func(task, klp_check_and_switch, b);
	switch (ret) {
	case 0:
	case 1:
		return ret;
	case -EBUSY:
		pr_debug("'%s': pid %d (%s) is running on cpu %d\n",
			 klp_patch_name(), task->pid, task->comm, b->cpu);
		break;
	case -EADDRINUSE:
		pr_debug("'%s': pid %d (%s) is inside %s\n",
			 klp_patch_name(), task->pid, task->comm, b->func);
		break;
	default:
		pr_debug("'%s': pid %d (%s) has an unreliable stack (%d)\n",
			 klp_patch_name(), task->pid, task->comm, ret);
		break;
	}
	return ret;
}

/* ---- hooks called by the rest of the kernel -------------------------- */

/**
 * klp_update_patch_state() - switch @task to the target state
 * @task:	current task on its way to user space or round the idle
 *		loop, or any task when an admin forces the transition
 *
 * Called where @task cannot be inside a function being changed.
 *
 * Context: any; disables preemption so that klp_reverse_transition()
 * can wait for it with klp_synchronize_transition().
 */
void klp_update_patch_state(struct task_struct *task)
{
	preempt_disable_notrace();
	/*
	 * The atomic test_and_clear orders the read of klp_target_state
	 * after the read of the flag; pairs with the smp_wmb() in
	 * klp_reverse_transition().
	 */
	klp_switch_now(task, is_idle_task(task) ? KLP_SWITCH_IDLE :
						  KLP_SWITCH_USER);
	preempt_enable_notrace();
}

/**
 * __klp_sched_try_switch() - let a task in cond_resched() switch itself
 *
 * A CPU-bound kthread may never leave the kernel nor sleep; this lets it
 * switch when its own stack is clean.
 *
 * Context: process context, may be called with preemption enabled.
 */
void __klp_sched_try_switch(void)
{
	struct klp_blocker b = { };

	if (likely(!klp_patch_pending(current)))
		return;

	/* Keeps klp_reverse_transition() and the ranges away meanwhile. */
	preempt_disable();
	if (klp_patch_pending(current)) {
		/*
		 * Read the flag before klp_target_state and klp_ranges;
		 * pairs with the smp_wmb() in klp_reverse_transition() and
		 * klp_start_transition().
		 */
		smp_rmb();
		klp_count_switch_begin();
		if (klp_try_switch_task(current, &b) > 0)
			klp_note_switched();
		klp_count_switch_end();
	}
	preempt_enable();
}
EXPORT_SYMBOL(__klp_sched_try_switch);

/**
 * klp_copy_process() - a new task starts in its parent's patch state
 * @child:	the task being forked by current
 *
 * Context: called by copy_process() with tasklist_lock held for writing,
 * which keeps the walks that set or clear flags (they hold it for
 * reading) from missing @child or seeing it half set up; the walks under
 * RCU see @child only once it is on the task list ("Walking the tasks").
 */
void klp_copy_process(struct task_struct *child)
{
	child->patch_state = current->patch_state;
	if (klp_patch_pending(current)) {
		atomic_inc(&klp_pending_count);
		set_tsk_thread_flag(child, TIF_PATCH_PENDING);
	} else {
		clear_tsk_thread_flag(child, TIF_PATCH_PENDING);
	}
}

/*
 * A reaped task never runs again; if it still had TIF_PATCH_PENDING its
 * count would otherwise stay behind.  Called from the RCU callback that
 * frees the task.
 */
static void klp_task_freed(void *data, struct task_struct *task)
{
	klp_switch_now(task, KLP_SWITCH_REAPED);
}

/* noinline: test-hooks.sh holds a disarm open with an ftrace hook here. */
static noinline void klp_hooks_set(bool on)
{
	u64 start = ktime_get_ns();

	lockdep_assert_held(&klp_hooks_mutex);
	klp_hooks_armed = on;
	/*
	 * The probe only speeds completion up when pending tasks are reaped;
	 * without it (registering allocates, and may fail) the rescans,
	 * which walk the live tasks, still see the end.
	 */
	if (IS_ENABLED(CONFIG_TRACEPOINTS)) {
		if (on) {
			if (klp_free_probe_gp_set)
				cond_synchronize_rcu(klp_free_probe_gp);
			klp_free_probe =
				!register_trace_sched_process_free(klp_task_freed,
								   NULL);
		} else if (klp_free_probe) {
			unregister_trace_sched_process_free(klp_task_freed,
							    NULL);
			klp_free_probe_gp = get_state_synchronize_rcu();
			klp_free_probe_gp_set = true;
		}
	}
	klp_cond_resched_arm(on);
	trace_klp_hooks(on, ktime_get_ns() - start);
}

/*
 * A transition starts: arm the hooks unless they still are.  Waits for a
 * disarm that is under way.  Before the pending count is reset, so that
 * no probe call of an earlier transition lowers the new count.
 */
static void klp_hooks_get(void)
{
	klp_assert_locked();
	/* A disarm already running is waited for below. */
	cancel_delayed_work(&klp_hooks_disarm_work);
	mutex_lock(&klp_hooks_mutex);
	klp_hooks_in_use = true;
	if (!klp_hooks_armed)
		klp_hooks_set(true);
	mutex_unlock(&klp_hooks_mutex);
}

/* A transition ended: disarm the hooks once none has run for a while. */
static void klp_hooks_put(void)
{
	klp_assert_locked();
	mutex_lock(&klp_hooks_mutex);
	klp_hooks_in_use = false;
	mutex_unlock(&klp_hooks_mutex);
	mod_delayed_work(system_wq, &klp_hooks_disarm_work,
			 msecs_to_jiffies(READ_ONCE(klp_hooks_linger_ms)));
}

static void klp_hooks_disarm_fn(struct work_struct *work)
{
	mutex_lock(&klp_hooks_mutex);
	if (klp_hooks_armed && !klp_hooks_in_use)
		klp_hooks_set(false);
	mutex_unlock(&klp_hooks_mutex);
}

/* ---- the transition -------------------------------------------------- */

/*
 * Walking the tasks.
 *
 * The walks that set or clear state for every task (below) are a few
 * instructions per task and hold tasklist_lock for reading, so that no
 * fork runs during them: a child forked in the middle could otherwise
 * inherit its parent's new flag and be marked by the walk again.
 *
 * The walks that do real work per task, a stack check in
 * klp_switch_tasks(), a nudge in klp_kick_stragglers(), a description in
 * debugfs, run under rcu_read_lock() instead: with thousands of tasks,
 * holding tasklist_lock across them would stall every fork() and exit()
 * on the system, with interrupts off, for as long.  Tasks may then come
 * and go during the walk:
 *
 * - An exiting task is unlinked with list_del_rcu() and its task_struct
 *   stays valid until a grace period after that, so the walk goes on
 *   past it.  Once unhashed it is not checked, as in 6.12; if it was
 *   pending, the reaped-task probe accounts for it.
 * - A task forked during the walk is pending only if its parent was
 *   pending at the fork (klp_copy_process(), under tasklist_lock), and
 *   it is added at the tail of the task list and of its thread group.
 *   If the walk had not reached the parent yet, it reaches the child
 *   later.  If it had, the parent was either left pending, and so
 *   counted, or switched, and then forks only switched children.  So a
 *   walk that counts no pending task saw every task that could be
 *   pending, and the transition may complete.  That conclusion reads a
 *   parent's flag and then the list beyond it: klp_switch_tasks() orders
 *   those reads with smp_rmb(), pairing with the full barrier of the
 *   test_and_clear that cleared the flag after the fork.
 */

/*
 * Call @fn on every task: those on the task list, under tasklist_lock
 * (see above), then the idle tasks, which are not on that list.
 */
static void klp_for_every_task(void (*fn)(struct task_struct *task))
{
	struct task_struct *g, *task;
	unsigned int cpu;

	read_lock(&tasklist_lock);
	for_each_process_thread(g, task)
		fn(task);
	read_unlock(&tasklist_lock);

	for_each_possible_cpu(cpu)
		fn(idle_task(cpu));
}

/* Start @task in the state opposite to the target: it has not switched. */
static void klp_task_init_state(struct task_struct *task)
{
	WARN_ON_ONCE(task->patch_state != KLP_TRANSITION_IDLE);
	task->patch_state = !klp_target_state;
}

static void klp_task_mark_pending(struct task_struct *task)
{
	if (task->patch_state == klp_target_state)
		return;
	atomic_inc(&klp_pending_count);
	set_tsk_thread_flag(task, TIF_PATCH_PENDING);
}

static void klp_task_unmark(struct task_struct *task)
{
	clear_tsk_thread_flag(task, TIF_PATCH_PENDING);
}

static void klp_task_reset_state(struct task_struct *task)
{
	WARN_ON_ONCE(klp_patch_pending(task));
	task->patch_state = KLP_TRANSITION_IDLE;
}

static void klp_task_force(struct task_struct *task)
{
	klp_switch_now(task, KLP_SWITCH_FORCE);
}

static void klp_set_transition_flags(struct klp_patch *patch, bool on)
{
	struct klp_object *obj;
	struct klp_func *func;

	klp_for_each_object(patch, obj)
		klp_for_each_func(obj, func)
			func->transition = on;
}

/**
 * klp_init_transition() - prepare every task and function for a transition
 * @patch:	the patch to apply or remove
 * @state:	KLP_TRANSITION_PATCHED or KLP_TRANSITION_UNPATCHED
 *
 * Context: klp_mutex held.
 */
void klp_init_transition(struct klp_patch *patch, int state)
{
	klp_assert_locked();
	WARN_ON_ONCE(klp_target_state != KLP_TRANSITION_IDLE);

	klp_transition_patch = patch;
	pr_debug("'%s': initializing %s transition\n", klp_patch_name(),
		 klp_state_name(state));
	/* Without pending flags, nothing reads the target yet. */
	klp_target_state = state;
	klp_for_every_task(klp_task_init_state);

	/*
	 * Every patch_state before any func->transition: a handler that
	 * sees the flag must find a real state.  Pairs with the smp_rmb()
	 * in klp_ftrace_handler().  The entries reach the func_stacks
	 * later through list_add_rcu(), which publishes the flag with them.
	 */
	smp_wmb();
	klp_set_transition_flags(patch, true);
}

/**
 * klp_start_transition() - mark every task that has to switch
 *
 * From here on tasks switch on their own; klp_try_complete_transition()
 * switches the ones it can and notices the end.
 *
 * Context: klp_mutex held.
 */
void klp_start_transition(void)
{
	klp_assert_locked();
	if (WARN_ON_ONCE(klp_target_state == KLP_TRANSITION_IDLE))
		return;

	pr_notice("'%s': starting %s transition\n", klp_patch_name(),
		  klp_state_name(klp_target_state));

	/* No task is pending yet, so nobody reads the old array. */
	klp_set_ranges(false);
	klp_start_ns = ktime_get_ns();
	klp_was_forced = false;
	klp_start_jiffies = jiffies;
	klp_next_signal = klp_start_jiffies + klp_signal_interval();
	klp_next_signal_log = klp_start_jiffies;
	klp_next_report = klp_start_jiffies +
			  msecs_to_jiffies(KLP_REPORT_AFTER_MS);
	klp_rescan_delay = msecs_to_jiffies(KLP_RESCAN_MIN_MS) ?: 1;
	/*
	 * The probe calls of the last transition are over before its count
	 * is reset: klp_hooks_get() waited for them if the probe was
	 * unregistered since.  If it stayed registered, a task reaped with
	 * an old flag may still lower the new count; the rescan corrects
	 * that (klp_recount_pending()).
	 */
	klp_hooks_get();
	atomic_set(&klp_pending_count, 0);

	/*
	 * The func_stacks (patch.c) and klp_ranges must be visible before
	 * any pending flag: a task that sees its flag may switch itself
	 * and use them at once.  Pairs with the smp_rmb() in
	 * __klp_sched_try_switch() and the atomic test_and_clear in
	 * klp_update_patch_state().
	 */
	smp_wmb();
	klp_for_every_task(klp_task_mark_pending);

	trace_klp_transition_start(klp_patch_name(), klp_target_state,
				   atomic_read(&klp_pending_count));
}

/*
 * Stragglers: a user task gets a fake signal, so it passes through the
 * exit-to-user path (and switches there) without seeing any signal; a
 * sleeping kthread is woken so it can reach cond_resched() or a clean
 * stack.  Nothing is printed here; see klp_report_blockers().
 */
static void klp_kick_stragglers(void)
{
	struct task_struct *g, *task;

	if (time_after_eq(jiffies, klp_next_signal_log)) {
		pr_notice("signaling remaining tasks\n");
		klp_next_signal_log = jiffies +
				      msecs_to_jiffies(KLP_SIGNAL_DEFAULT_MS);
	}

	/* A task missed as it forks or exits is nudged next time. */
	rcu_read_lock();
	for_each_process_thread(g, task) {
		/* A running task gets where it switches on its own. */
		if (!klp_patch_pending(task) || task_curr(task))
			continue;
		if (task->flags & PF_KTHREAD)
			wake_up_state(task, TASK_INTERRUPTIBLE);
		else
			set_notify_signal(task);
	}
	rcu_read_unlock();
}

static void klp_note_blocker(struct task_struct *task, struct klp_blocker *b)
{
	if (klp_report_nr >= KLP_REPORT_MAX_TASKS)
		return;
	klp_report[klp_report_nr].pid = task->pid;
	get_task_comm(klp_report[klp_report_nr].comm, task);
	klp_report[klp_report_nr].b = *b;
	klp_report_nr++;
}

/* Switch every task that can be switched; return how many remain. */
static unsigned int klp_switch_tasks(void)
{
	struct task_struct *g, *task;
	unsigned int cpu, pending = 0;
	struct klp_blocker b;
	int ret;

	klp_report_nr = 0;
	/* Under RCU, not tasklist_lock: see "Walking the tasks". */
	rcu_read_lock();
	for_each_process_thread(g, task) {
		memset(&b, 0, sizeof(b));
		ret = klp_try_switch_task(task, &b);
		/* This task's flag before the tasks after it. */
		smp_rmb();
		if (ret > 0)
			atomic_dec(&klp_pending_count);
		if (ret >= 0)
			continue;
		klp_note_blocker(task, &b);
		pending++;
	}
	rcu_read_unlock();

	/* Idle tasks are not on the task list. */
	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		task = idle_task(cpu);
		memset(&b, 0, sizeof(b));
		if (!klp_patch_pending(task))
			continue;
		if (!cpu_online(cpu)) {
			/* An offline CPU runs no kernel code at all. */
			klp_switch_now(task, KLP_SWITCH_IDLE);
			continue;
		}
		ret = klp_try_switch_task(task, &b);
		if (ret > 0)
			atomic_dec(&klp_pending_count);
		if (ret >= 0)
			continue;
		/* It switches itself after its next loop. */
		wake_up_if_idle(cpu);
		klp_note_blocker(task, &b);
		pending++;
	}
	cpus_read_unlock();

	return pending;
}

static void klp_report_blockers(unsigned int pending)
{
	unsigned int i;

	if (time_before(jiffies, klp_next_report))
		return;
	klp_next_report = jiffies + msecs_to_jiffies(KLP_REPORT_EVERY_MS);

	pr_notice("'%s': %s transition waits for %u task(s) after %u s\n",
		  klp_patch_name(), klp_state_name(klp_target_state), pending,
		  jiffies_to_msecs(jiffies - klp_start_jiffies) / 1000);
	for (i = 0; i < klp_report_nr; i++) {
		struct klp_blocker *b = &klp_report[i].b;

		pr_notice("'%s':   pid %d (%s): %s%s\n", klp_patch_name(),
			  klp_report[i].pid, klp_report[i].comm,
			  b->func ? "inside " : "",
			  b->func ? b->func : (b->why ? b->why : "pending"));
	}
}

/*
 * Correct the pending count when it has drifted from the flags, so that
 * the last switch completes the transition again instead of the fallback
 * rescans.  A fork that fails after klp_copy_process() counted its child
 * leaves the count one too high, and nothing else takes that back: the
 * child was never on the task list, and no hook of ours sees it freed.
 *
 * Exact or nothing: tasklist_lock keeps forks, and so klp_copy_process(),
 * out during the recount, and the begun/ended pair shows whether a switch
 * outside klp_mutex ran meanwhile; if one did, the next rescan tries
 * again.  Each task costs a flag test, as in the walks that mark them.
 *
 * Context: klp_mutex held, so the rescan's own switches are not running.
 */
static void klp_recount_pending(void)
{
	struct task_struct *g, *task;
	int begun, flagged = 0, drift;
	unsigned int cpu;

	read_lock(&tasklist_lock);
	begun = atomic_read(&klp_switches_begun);
	/* Every switch begun so far has ended, and the flags after that. */
	if (atomic_read_acquire(&klp_switches_ended) != begun)
		goto out;
	for_each_process_thread(g, task)
		flagged += klp_patch_pending(task);
	for_each_possible_cpu(cpu)
		flagged += klp_patch_pending(idle_task(cpu));
	drift = atomic_read(&klp_pending_count) - flagged;
	/*
	 * The flags and the count before the check: a switch that cleared
	 * a flag or lowered the count read above had raised begun already.
	 */
	smp_rmb();
	if (atomic_read(&klp_switches_begun) != begun || !drift)
		goto out;

	pr_debug("'%s': pending count was off by %d, corrected\n",
		 klp_patch_name(), drift);
	if (atomic_sub_return(drift, &klp_pending_count) == 0)
		mod_delayed_work(system_unbound_wq, &klp_transition_work, 0);
out:
	read_unlock(&tasklist_lock);
}

/* Fallback: rescan later, each time waiting twice as long. */
static void klp_schedule_rescan(unsigned int pending)
{
	if (time_after_eq(jiffies, klp_next_signal)) {
		klp_kick_stragglers();
		klp_next_signal = jiffies + klp_signal_interval();
	}
	klp_report_blockers(pending);

	/* Does not push back an immediate run already queued by a switch. */
	queue_delayed_work(system_unbound_wq, &klp_transition_work,
			   klp_rescan_delay);
	klp_rescan_delay = min(klp_rescan_delay * 2,
			       msecs_to_jiffies(KLP_RESCAN_MAX_MS));
}

static void klp_run_post_callbacks(struct klp_patch *patch)
{
	struct klp_object *obj;

	klp_for_each_object(patch, obj) {
		if (!klp_is_object_loaded(obj))
			continue;
		if (klp_target_state == KLP_TRANSITION_PATCHED)
			klp_run_post_patch(obj);
		else
			klp_run_post_unpatch(obj);
	}
}

/*
 * Every task is in the target state: drop what the old state needed,
 * run the post callbacks and go idle.  The grace periods below are what
 * make it safe to forget the old entries.
 */
static void klp_complete_transition(void)
{
	struct klp_patch *patch = klp_transition_patch;
	bool patching = klp_target_state == KLP_TRANSITION_PATCHED;

	pr_debug("'%s': completing %s transition\n", klp_patch_name(),
		 klp_state_name(klp_target_state));

	if (patching && patch->replace)
		klp_retire_replaced(patch);

	if (!patching) {
		/*
		 * No handler may still hold a removed entry when its
		 * transition flag drops, or it would take new_func.
		 */
		klp_unpatch_objects(patch);
		klp_synchronize_transition();
	}
	klp_set_transition_flags(patch, false);
	if (patching) {
		/*
		 * No handler may still see transition set when the task
		 * states go back to IDLE below, or hold a nop entry.
		 */
		klp_synchronize_transition();
		if (patch->replace)
			klp_free_nops(patch);
	}

	klp_for_every_task(klp_task_reset_state);

	/* Both branches above waited for every reader of the ranges. */
	kfree(klp_ranges);
	klp_ranges = NULL;

	klp_run_post_callbacks(patch);
	pr_notice("'%s': %s complete\n", klp_patch_name(),
		  klp_state_name(klp_target_state));
	trace_klp_transition_end(klp_patch_name(), klp_target_state,
				 ktime_get_ns() - klp_start_ns, klp_was_forced);
	/* After the end is reported: the disarm may follow at once. */
	klp_hooks_put();

	/*
	 * A rescan still queued from this transition (up to a second away)
	 * would otherwise hold back the first, 1 ms rescan of the next one:
	 * queue_delayed_work() never brings a pending timer forward.
	 */
	cancel_delayed_work(&klp_transition_work);
	klp_target_state = KLP_TRANSITION_IDLE;
	klp_transition_patch = NULL;
	klp_settle_later();
}

/**
 * klp_cancel_transition() - undo a patching transition that never started
 *
 * For a failure in enable, after klp_init_transition() but before
 * klp_start_transition(): no task was marked, so unpatching is immediate.
 *
 * Context: klp_mutex held.
 */
void klp_cancel_transition(void)
{
	klp_assert_locked();
	if (WARN_ON_ONCE(klp_target_state != KLP_TRANSITION_PATCHED))
		return;

	pr_debug("'%s': canceling patching transition, going to unpatch\n",
		 klp_patch_name());
	klp_target_state = KLP_TRANSITION_UNPATCHED;
	klp_complete_transition();
}

/**
 * klp_try_complete_transition() - switch what can be switched, finish if done
 *
 * Context: klp_mutex held; may sleep.
 * Return: true when the transition completed (the patch may be queued
 * for freeing), false when a rescan has been scheduled.
 */
bool klp_try_complete_transition(void)
{
	struct klp_patch *patch = klp_transition_patch;
	unsigned int pending;

	klp_assert_locked();
	if (WARN_ON_ONCE(klp_target_state == KLP_TRANSITION_IDLE))
		return false;

	/* The ranges could not be allocated: try again. */
	if (unlikely(!klp_ranges))
		klp_set_ranges(false);

	pending = klp_switch_tasks();
	if (pending) {
		if (atomic_read(&klp_pending_count) != pending)
			klp_recount_pending();
		klp_schedule_rescan(pending);
		return false;
	}

	klp_complete_transition();

	klp_release_unused(patch);
	return true;
}

static void klp_transition_work_fn(struct work_struct *work)
{
	mutex_lock(&klp_mutex);
	if (klp_transition_patch)
		klp_try_complete_transition();
	mutex_unlock(&klp_mutex);
}

/**
 * klp_reverse_transition() - head back to the state the transition left
 *
 * Tasks that already switched become pending again; the others are done.
 *
 * Context: klp_mutex held; may sleep.
 */
void klp_reverse_transition(void)
{
	klp_assert_locked();
	pr_debug("'%s': reversing transition from %s\n", klp_patch_name(),
		 klp_target_state == KLP_TRANSITION_PATCHED ?
		 "patching to unpatching" : "unpatching to patching");

	/*
	 * Stop all switching first, and wait for tasks that are switching
	 * themselves right now, so none of them picks up the old target
	 * after the flags are set again.
	 */
	klp_for_every_task(klp_task_unmark);
	klp_synchronize_transition();

	klp_transition_patch->enabled = !klp_transition_patch->enabled;
	klp_target_state = !klp_target_state;

	/*
	 * The new target before any new pending flag.  Pairs with the
	 * smp_rmb() in __klp_sched_try_switch() and the test_and_clear in
	 * klp_update_patch_state().  klp_start_transition() has its own
	 * barrier before it sets the flags.
	 */
	smp_wmb();
	klp_start_transition();
	klp_try_complete_transition();
}

/**
 * klp_force_transition() - switch every remaining task without checking
 *
 * Tasks may still be running the code they leave, so that code must stay:
 * the patches it belongs to are marked forced and their modules are never
 * released.  When unpatching, that is the patch in transition; when an
 * atomic-replace patch is applied, it is every patch it replaces.
 *
 * Context: klp_mutex held; may sleep.
 */
void klp_force_transition(void)
{
	bool unpatching = klp_target_state == KLP_TRANSITION_UNPATCHED;
	bool replacing = !unpatching && klp_transition_patch->replace;
	struct klp_patch *patch;

	klp_assert_locked();
	pr_warn("'%s': forcing the %s transition; tasks still in replaced code keep running it%s\n",
		klp_patch_name(), klp_state_name(klp_target_state),
		unpatching ? ", so this module can no longer be removed" :
		replacing ?
		", so the modules of the replaced patches can no longer be removed" :
		"");

	klp_was_forced = true;
	klp_for_every_task(klp_task_force);

	/*
	 * Pin the code a forced task may still run: the patch being removed,
	 * or every patch an atomic replace leaves behind.
	 */
	klp_for_each_patch(patch) {
		if (patch == klp_transition_patch ? unpatching : replacing)
			patch->forced = true;
	}

	klp_try_complete_transition();
}
