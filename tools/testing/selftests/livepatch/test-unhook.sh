#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Unhooking a function after its last patch goes.  The transition that
# removes the last entry of a function completes without waiting for
# ftrace: the handler stays attached, finds nothing to do, and is detached
# when the patch is freed.  Checked here: the original code runs as soon
# as the transition is over; by the time the patch's sysfs directory is
# gone, no ftrace user is left on the function; patching the function
# again right after the transition works, the old handler being detached
# or not yet; the patched module can go right after the transition, and
# comes back unhooked.
#
# test_lp_stack_1 and _2 replace f1 of test_lp_mod_target; test_lp_delay
# holds the work that frees a patch.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_mod_target
S1=test_lp_stack_1
S2=test_lp_stack_2
D=test_lp_delay
F1=test_lp_mod_f1_show
PROC=/proc/test_lp_mod
ROUNDS=5

lp_begin $((9 + ROUNDS * 5 + 9)) "$T" "$S1" "$S2" "$D"

unload_both() {
	lp_unload_disabled "$S1" && lp_disable_unload "$S2"
}

lp_have_enabled_functions || lp_skip_all "no $LP_TRACING/enabled_functions (tracefs not mounted?)"
lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
ORIG=$(lp_read "$PROC/f1")

# Disable, then look at each step.
lp_ok "load $S1" lp_insmod "$S1"
lp_ok "$S1 is enabled" lp_enabled_settled "$S1"
lp_eq "f1 runs $S1" "$S1: f1" "$(lp_read "$PROC/f1")"
lp_write_ok "disable $S1" "$LP_SYSFS/$S1/enabled" 0
lp_ok "the unpatching completes" lp_wait_transition "$S1"
lp_eq "f1 runs the original once the transition is over" "$ORIG" "$(lp_read "$PROC/f1")"
lp_ok "the patch's directory goes away" lp_wait_gone "$S1"
lp_check_not_ftraced "no ftrace user is left on f1 once it has" "$F1"
lp_ok "$S1 can be removed" lp_unload_disabled "$S1"

# Patch f1 again right after the transition that unpatched it: S2 comes
# while S1's patch is being freed and f1's handler detached.  Left alone,
# the free is over before the shell gets there, so in odd rounds
# test_lp_delay holds the work that frees S1's patch for a second.  Which
# of the two orders happened is recorded per round: S2 came early when
# f1 still had S1's handler, or S1's directory was still there, when it
# was loaded.  Every delayed round must have been early.
lp_insmod "$D" func=klp_free_patch_work_fn ms=1000 ||
	lp_bail "cannot load $D: $LP_OUT"
early=0
for ((i = 1; i <= ROUNDS; i++)); do
	r="round $i/$ROUNDS"
	lp_write "/sys/module/$D/parameters/times" $((i % 2))
	if ! lp_insmod "$S1" || ! lp_enabled_settled "$S1" ||
	   ! lp_write "$LP_SYSFS/$S1/enabled" 0 || ! lp_wait_transition "$S1"; then
		lp_bail "$r: cannot enable and disable $S1: $LP_OUT $LP_ERR"
	fi
	if lp_ftraced "$F1" || ! lp_gone "$S1"; then
		early=$((early + 1))
	fi
	lp_ok "$r: load $S2 right after $S1's unpatching" lp_insmod "$S2"
	lp_ok "$r: $S2 is enabled" lp_enabled_settled "$S2"
	lp_eq "$r: f1 runs $S2" "$S2: f1" "$(lp_read "$PROC/f1")"
	lp_check_ftraced "$r: f1 is hooked" "$F1"
	lp_ok "$r: disable and remove both" unload_both
done
delayed=$(lp_read "/sys/module/$D/parameters/delayed")
lp_ok "$S2 came before $S1 was freed, f1 unhooked: $early of $ROUNDS rounds, $delayed delayed" \
	test "$early" -ge $(((ROUNDS + 1) / 2)) -a "$delayed" -eq $(((ROUNDS + 1) / 2))
lp_rmmod "$D" || lp_bail "cannot remove $D: $LP_OUT"
lp_check_not_ftraced "no ftrace user is left on f1 after the rounds" "$F1"

# The patched module goes right after the transition that unpatched it.
lp_ok "load $S1 again" lp_insmod "$S1"
lp_ok "$S1 is enabled again" lp_enabled_settled "$S1"
lp_write_ok "disable $S1 again" "$LP_SYSFS/$S1/enabled" 0
lp_ok "the unpatching completes again" lp_wait_transition "$S1"
lp_ok "remove $T at once" lp_rmmod "$T"
lp_insmod "$T" || lp_bail "cannot load $T again: $LP_OUT"
lp_check_not_ftraced "f1 comes back without an ftrace user" "$F1"
lp_eq "and runs the original" "$ORIG" "$(lp_read "$PROC/f1")"
lp_unload_disabled "$S1" || lp_bail "cannot remove $S1: $LP_OUT"
lp_end
