/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tracepoints of the live patching core (system "livepatch"): patch
 * enable and disable, transition start and end, and every task switch
 * with the path that switched it.  Off, each costs a patched-out jump.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM livepatch

#if !defined(_LIVEPATCH_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _LIVEPATCH_TRACE_H

#include <linux/tracepoint.h>

#ifndef _LIVEPATCH_TRACE_ONCE
#define _LIVEPATCH_TRACE_ONCE
/* How a task reached the target state. */
enum klp_switch_path {
	KLP_SWITCH_USER,	/* on its way out to user space */
	KLP_SWITCH_IDLE,	/* an idle task going round its loop */
	KLP_SWITCH_STACK,	/* its stack was checked while it slept */
	KLP_SWITCH_SCHED,	/* it checked its own stack in cond_resched() */
	KLP_SWITCH_FORCE,	/* an admin forced the transition */
	KLP_SWITCH_REAPED,	/* it exited and was reaped while pending */
};
#endif

TRACE_DEFINE_ENUM(KLP_SWITCH_USER);
TRACE_DEFINE_ENUM(KLP_SWITCH_IDLE);
TRACE_DEFINE_ENUM(KLP_SWITCH_STACK);
TRACE_DEFINE_ENUM(KLP_SWITCH_SCHED);
TRACE_DEFINE_ENUM(KLP_SWITCH_FORCE);
TRACE_DEFINE_ENUM(KLP_SWITCH_REAPED);

#define klp_show_path(p) __print_symbolic(p,			\
	{ KLP_SWITCH_USER,	"exit_to_user" },		\
	{ KLP_SWITCH_IDLE,	"idle" },			\
	{ KLP_SWITCH_STACK,	"stack_check" },		\
	{ KLP_SWITCH_SCHED,	"cond_resched" },		\
	{ KLP_SWITCH_FORCE,	"force" },			\
	{ KLP_SWITCH_REAPED,	"reaped" })

#define klp_show_target(t) ((t) ? "patching" : "unpatching")

DECLARE_EVENT_CLASS(klp_patch_event,
	TP_PROTO(const char *patch),
	TP_ARGS(patch),
	TP_STRUCT__entry(
		__string(patch, patch)
	),
	TP_fast_assign(
		__assign_str(patch);
	),
	TP_printk("patch=%s", __get_str(patch))
);

DEFINE_EVENT(klp_patch_event, klp_patch_enable,
	TP_PROTO(const char *patch),
	TP_ARGS(patch));

DEFINE_EVENT(klp_patch_event, klp_patch_disable,
	TP_PROTO(const char *patch),
	TP_ARGS(patch));

TRACE_EVENT(klp_transition_start,
	TP_PROTO(const char *patch, int target, unsigned int tasks),
	TP_ARGS(patch, target, tasks),
	TP_STRUCT__entry(
		__string(patch, patch)
		__field(int, target)
		__field(unsigned int, tasks)
	),
	TP_fast_assign(
		__assign_str(patch);
		__entry->target = target;
		__entry->tasks = tasks;
	),
	TP_printk("patch=%s direction=%s pending_tasks=%u",
		  __get_str(patch), klp_show_target(__entry->target),
		  __entry->tasks)
);

TRACE_EVENT(klp_transition_end,
	TP_PROTO(const char *patch, int target, u64 duration_ns, bool forced),
	TP_ARGS(patch, target, duration_ns, forced),
	TP_STRUCT__entry(
		__string(patch, patch)
		__field(int, target)
		__field(u64, duration_ns)
		__field(bool, forced)
	),
	TP_fast_assign(
		__assign_str(patch);
		__entry->target = target;
		__entry->duration_ns = duration_ns;
		__entry->forced = forced;
	),
	TP_printk("patch=%s direction=%s duration_ns=%llu forced=%d",
		  __get_str(patch), klp_show_target(__entry->target),
		  __entry->duration_ns, __entry->forced)
);

TRACE_EVENT(klp_hooks,
	TP_PROTO(bool armed, u64 duration_ns),
	TP_ARGS(armed, duration_ns),
	TP_STRUCT__entry(
		__field(bool, armed)
		__field(u64, duration_ns)
	),
	TP_fast_assign(
		__entry->armed = armed;
		__entry->duration_ns = duration_ns;
	),
	TP_printk("%s duration_ns=%llu",
		  __entry->armed ? "armed" : "disarmed", __entry->duration_ns)
);

TRACE_EVENT(klp_task_switch,
	TP_PROTO(struct task_struct *task, int target, int path),
	TP_ARGS(task, target, path),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__array(char, comm, TASK_COMM_LEN)
		__field(int, target)
		__field(int, path)
	),
	TP_fast_assign(
		__entry->pid = task->pid;
		memcpy(__entry->comm, task->comm, TASK_COMM_LEN);
		__entry->target = target;
		__entry->path = path;
	),
	TP_printk("pid=%d comm=%s direction=%s path=%s", __entry->pid,
		  __entry->comm, klp_show_target(__entry->target),
		  klp_show_path(__entry->path))
);

#endif /* _LIVEPATCH_TRACE_H */

#undef TRACE_INCLUDE_PATH
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE trace

#include <trace/define_trace.h>
