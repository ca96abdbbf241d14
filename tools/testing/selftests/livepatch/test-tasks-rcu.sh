#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A kthread that never sleeps.  test_lp_target's spinning kthread loops in
# the kernel and calls only cond_resched(), so it never switches
# voluntarily.  On a kernel with Tasks RCU (PREEMPTION, so every
# PREEMPT_DYNAMIC distribution kernel) that holds off every RCU-tasks
# grace period for as long as it spins, and ftrace waits for one, holding
# ftrace_lock, whenever an ops like ours is unregistered.  The
# transitions must still complete, and nothing may wait for that grace
# period under klp_mutex or ftrace_lock: while the kthread spins, other
# patches load and finish their transitions, the spinning function is
# patched again, and a patched module goes away while a patch is
# disabled.  What does wait for the kthread (unhooking the functions
# whose last patch went, and with it the patch's sysfs directory and a
# module's unload) is done once it stops.  Without Tasks RCU nothing
# waits at all.
#
# A quiet spell comes before the first disable, so that sites go direct
# where direct mode is on; the run is repeated with direct mode on where
# it is built.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_target
CM=test_lp_cm
CF=test_lp_cm_again
B=test_lp_basic
MT=test_lp_mod_target
MP=test_lp_mod_patch
SPIN=$LP_PROC/spin
PER_RUN=25

lp_begin $((PER_RUN * 2)) "$T" "$CM" "$CF" "$B" "$MT" "$MP"

lp_have_enabled_functions || lp_skip_all "no $LP_TRACING/enabled_functions (tracefs not mounted?)"

spin_is() {
	[[ "$(lp_read "$SPIN")" =~ ^running\ $1\ [1-9] ]]
}

# within SECS CMD...: run CMD in the background and give it SECS to
# finish; true if it did, and succeeded.  A CMD still running is left
# alone (lp_cleanup reaps it, after stopping the kthread).
within() {
	local secs=$1 i
	shift
	lp_bg "$@"
	for ((i = 0; i < secs * 10; i++)); do
		if ! kill -0 "$LP_BG" 2>/dev/null; then
			wait "$LP_BG"
			return
		fi
		sleep 0.1
	done
	return 1
}

load() { insmod "$LP_MODS/$1.ko"; }

log_has() { lp_log | grep -qF -- "$1"; }

# disable PATCH...: each write returns within LP_TIMEOUT.
disable() {
	local p
	for p; do
		within "$LP_TIMEOUT" lp_write "$LP_SYSFS/$p/enabled" 0 || return
	done
}

unload_all() {
	local m
	for m; do
		lp_unload_disabled "$m" || return
	done
}

# run NAME: the whole sequence, checks prefixed with NAME.
run() {
	local r=$1 gone_pid

	lp_mark_log
	lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
	lp_insmod "$MT" || lp_bail "cannot load $MT: $LP_OUT"
	lp_write_ok "$r: start the spinning kthread" "$SPIN" start
	lp_ok "$r: the kthread runs the old function" lp_poll "$LP_TIMEOUT" spin_is original
	lp_ok "$r: load $CM while the kthread spins" lp_insmod "$CM"
	lp_ok "$r: $CM's patching transition completes" lp_wait_transition "$CM"
	lp_ok "$r: the kthread runs the new function" lp_poll "$LP_TIMEOUT" spin_is patched
	lp_ok "$r: load $MP" lp_insmod "$MP"
	lp_ok "$r: $MP's patching transition completes" lp_wait_transition "$MP"
	sleep 2

	lp_ok "$r: disable $CM while the kthread spins: the write returns" \
		disable "$CM"
	lp_ok "$r: $CM's unpatching transition completes" lp_wait_transition "$CM"
	lp_ok "$r: the kthread runs the old function again" \
		lp_poll "$LP_TIMEOUT" spin_is original
	lp_ok "$r: $B loads meanwhile (nothing holds klp_mutex or ftrace_lock)" \
		within "$LP_TIMEOUT" load "$B"
	lp_ok "$r: $B's patching transition completes" lp_wait_transition "$B"
	lp_ok "$r: $CF patches the spinning function again" \
		within "$LP_TIMEOUT" load "$CF"
	lp_ok "$r: $CF's patching transition completes" lp_wait_transition "$CF"
	lp_ok "$r: the kthread runs $CF's function" lp_poll "$LP_TIMEOUT" spin_is patched

	# The module's functions are unhooked before it goes, which may wait
	# for the kthread; klp_mutex is free meanwhile.
	lp_bg rmmod "$MT"
	gone_pid=$LP_BG
	lp_ok "$r: $MT starts going: $MP is reverted on it" \
		lp_poll "$LP_TIMEOUT" log_has "reverting patch '$MP' on unloading module '$MT'"
	lp_ok "$r: disable $CF while $MT goes: the write returns" \
		disable "$CF"
	lp_ok "$r: $CF's unpatching transition completes" lp_wait_transition "$CF"
	lp_ok "$r: disable $B and $MP: the writes return" disable "$B" "$MP"

	lp_write_ok "$r: stop the kthread" "$SPIN" stop
	lp_ok "$r: $MT is gone" wait "$gone_pid"
	lp_ok "$r: every patch goes and can be removed" \
		unload_all "$CM" "$CF" "$B" "$MP"
	lp_check_not_ftraced "$r: no ftrace user is left on the spinning function" \
		test_lp_spin_step
	lp_ok "$r: remove $T" lp_rmmod "$T"
	lp_ok "$r: no splat in the kernel log" lp_no_splat
}

run "default"
if lp_locked_down; then
	why="the kernel is locked down: debugfs cannot be written"
elif ! lp_direct_set 1 2>/dev/null; then
	why="direct mode is not built here"
fi
if [[ -z "${why:-}" ]]; then
	run "direct on"
else
	for ((i = 1; i <= PER_RUN; i++)); do
		lp_skip "direct on: check $i" "$why"
	done
fi

lp_end
