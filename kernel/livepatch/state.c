// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * System states: how patches tell each other what they changed beyond
 * code.  Lookups for the patch author, and the check at enable time that
 * a new patch can take over the states already set up.  Registration and
 * the transition itself are left to core.c and transition.c.
 */
#define pr_fmt(fmt) "livepatch: " fmt

#include <linux/bug.h>
#include <linux/export.h>
#include <linux/livepatch.h>

#include "core.h"
#include "state.h"
#include "transition.h"

/* Walk @patch's states; the author ends the array with an entry of id 0. */
#define klp_for_each_state(patch, state)				\
	for ((state) = (patch)->states; (state) && (state)->id; (state)++)

/**
 * klp_get_state() - find a system state in a given patch
 * @patch:	the patch whose states to search
 * @id:		the state identifier, as chosen by the patch authors
 *
 * Meant for the patch's own callbacks and replacement code, to learn
 * whether @patch declares the state and to reach its version and data.
 *
 * Context: Any context.  Only reads the array the author supplied, so no
 * lock is taken or needed.
 * Return: the matching entry of @patch->states, or NULL if there is none.
 */
struct klp_state *klp_get_state(struct klp_patch *patch, unsigned long id)
{
	struct klp_state *state, *found = NULL;

	klp_for_each_state(patch, state) {
		if (state->id == id) {
			found = state;
			break;
		}
	}
	return found;
}
EXPORT_SYMBOL_GPL(klp_get_state);

/**
 * klp_get_prev_state() - find a system state set up by an earlier patch
 * @id:		the state identifier, as chosen by the patch authors
 *
 * Looks at the patches registered before the one in transition, that is
 * the patches the transition builds on or falls back to.  When several of
 * them carry @id (non-replacing patches can), the most recently registered
 * one wins, since it holds the newest view of that state.  Lets a callback
 * of the incoming patch take over data set up by its predecessors, or one
 * of the outgoing patch hand it back.
 *
 * Only meaningful while a transition runs; calling it otherwise is a bug,
 * reported once with a warning.
 *
 * Context: Process context.  Meant for the (un)patch callbacks, which
 * run with klp_mutex held and so see a stable list of patches.  As in
 * 6.12 it does not insist on the mutex: a patch may also call it from
 * its own code while its transition runs, when no patch can be added or
 * freed, since both wait for the transition to end.
 * Return: the state entry of the newest earlier patch declaring @id; NULL
 * if no earlier patch declares it or no transition is running.
 */
struct klp_state *klp_get_prev_state(unsigned long id)
{
	struct klp_state *newest = NULL;
	struct klp_patch *patch;

	if (WARN_ON_ONCE(!READ_ONCE(klp_transition_patch)))
		return NULL;

	/*
	 * klp_patches is in registration order: the patches before the one in
	 * transition are the earlier ones, and the last hit is the newest.
	 */
	klp_for_each_patch(patch) {
		if (patch == klp_transition_patch)
			break;
		newest = klp_get_state(patch, id) ?: newest;
	}
	return newest;
}
EXPORT_SYMBOL_GPL(klp_get_prev_state);

/**
 * klp_is_patch_compatible() - may @patch be enabled on top of the others?
 * @patch:	the patch about to be enabled, not yet running
 *
 * Every state some registered patch set up must survive enabling @patch:
 *
 * - A replacing patch disables all others, so it must declare each of
 *   their states itself, or nobody would own it afterwards.
 * - Any patch, replacing or not, that declares a state already set up must
 *   do so at a version no lower than the registered one: an older version
 *   may not understand the data a newer patch left behind.
 *
 * A non-replacing patch may leave states it does not declare alone.
 *
 * Context: Process context with klp_mutex held.
 * Return: true if enabling @patch keeps every existing state supported.
 */
bool klp_is_patch_compatible(struct klp_patch *patch)
{
	struct klp_state *old_state, *new_state;
	struct klp_patch *old_patch;

	klp_assert_locked();

	klp_for_each_patch(old_patch) {
		if (old_patch == patch)
			continue;
		klp_for_each_state(old_patch, old_state) {
			new_state = klp_get_state(patch, old_state->id);
			if (!new_state && patch->replace)
				return false;
			if (new_state && new_state->version < old_state->version)
				return false;
		}
	}
	return true;
}
