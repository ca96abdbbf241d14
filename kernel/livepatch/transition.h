/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal interface of transition.c, the per-task consistency model. */
#ifndef _LIVEPATCH_TRANSITION_H
#define _LIVEPATCH_TRANSITION_H

#include <linux/livepatch.h>

/**
 * struct klp_blocker - why a task could not switch
 * @why:	"running", "unreliable stack", ... or NULL
 * @func:	the function of the transition found on its stack, or NULL
 * @cpu:	the CPU a running task was on
 */
struct klp_blocker {
	const char *why;
	const char *func;
	int cpu;
};

/* The patch whose transition is running, or NULL; guarded by klp_mutex. */
extern struct klp_patch *klp_transition_patch;

void klp_init_transition(struct klp_patch *patch, int state);
void klp_cancel_transition(void);
void klp_start_transition(void);
bool klp_try_complete_transition(void);
void klp_reverse_transition(void);
void klp_force_transition(void);
void klp_transition_objects_changed(void);

/* For debugfs.c: a read-only view of the running transition. */
int klp_describe_task(struct task_struct *task, struct klp_blocker *b);
int klp_transition_info(int *target, u64 *start_ns);

#endif /* _LIVEPATCH_TRANSITION_H */
