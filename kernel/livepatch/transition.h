/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal interface of transition.c, the per-task consistency model. */
#ifndef _LIVEPATCH_TRANSITION_H
#define _LIVEPATCH_TRANSITION_H

#include <linux/livepatch.h>

/* The patch whose transition is running, or NULL; guarded by klp_mutex. */
extern struct klp_patch *klp_transition_patch;

void klp_init_transition(struct klp_patch *patch, int state);
void klp_cancel_transition(void);
void klp_start_transition(void);
bool klp_try_complete_transition(void);
void klp_reverse_transition(void);
void klp_force_transition(void);

#endif /* _LIVEPATCH_TRANSITION_H */
