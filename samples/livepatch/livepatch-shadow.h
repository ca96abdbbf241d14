/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What livepatch-shadow-mod and its two fixes must agree on: the layout
 * of a dummy, the shadow variable ids and the timing.  A fix replaces
 * functions of the module, so it has to see the same struct the module
 * was built with; keeping it here makes that impossible to get wrong.
 */
#ifndef _SAMPLES_LIVEPATCH_SHADOW_H
#define _SAMPLES_LIVEPATCH_SHADOW_H

#include <linux/list.h>

/*
 * One object of the leaky module.  A fix may not add fields (existing
 * dummies would be too small), which is why the fixes keep their extra
 * data in shadow variables keyed by the dummy's address.
 */
struct dummy {
	struct list_head list;		/* on the module's dummy list */
	unsigned long jiffies_expire;	/* free it after this time */
};

/* Shadow variable ids: one per kind of data hung off a dummy. */
#define SV_LEAK		1	/* void *: the buffer dummy_alloc() leaked */
#define SV_COUNTER	2	/* int: how often dummy_check() saw it */

/* The module allocates a dummy each tick and scans for expired ones. */
#define SHADOW_TICK_MS		1000
#define SHADOW_SCAN_TICKS	2	/* scan every second tick */
#define SHADOW_EXPIRE_SECS	6

#endif /* _SAMPLES_LIVEPATCH_SHADOW_H */
