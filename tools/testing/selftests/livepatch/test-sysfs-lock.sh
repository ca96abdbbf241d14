#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Sysfs readers against the core's mutex.  Removing a sysfs file waits for
# its readers, and the core removes object and function directories while
# it holds klp_mutex; a reader that waits for the mutex there never
# returns, and nor does anything that needs the mutex after it, such as
# every module load.  test_lp_slow_cb's post_unpatch callback sleeps with
# the mutex held, right before the core frees the patch: every file of the
# patch is read then, one reader at a time, and each must return; then the
# same with all of them at once, and a module loads afterwards.  Last,
# readers walk the whole tree throughout enable/disable cycles.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

P=test_lp_slow_cb
T=test_lp_target
DELAY_MS=1500
CYCLES=20
FUNC_DIR=$LP_SYSFS/$P/vmlinux/cmdline_proc_show,1
FILES=(active transition)

lp_begin $(((${#FILES[@]} + 1) * 4 + 3)) "$P" "$T"

set_delay() {
	echo "$1" >"/sys/module/$P/parameters/delay_ms"
}

# sleeping: the post_unpatch callback has started its sleep.
sleeping() {
	lp_log | grep -qF "$P: post_unpatch sleeps"
}

# exited PID: PID is no longer running.
exited() {
	! kill -0 "$1" 2>/dev/null
}

# read_during_free DESC FILE...: disable the patch with a sleeping
# post_unpatch, read every FILE while the core holds its mutex, and check
# that each reader returns and the patch is freed.  A reader that never
# returns means the core is stuck for good: stop there.
read_during_free() {
	local desc="$1" f pids=() pid stuck=0
	shift
	lp_insmod "$P" || lp_bail "cannot load $P: $LP_OUT"
	lp_enabled_settled "$P" || lp_bail "$P did not settle"
	set_delay "$DELAY_MS"
	lp_mark_log
	lp_bg lp_write "$LP_SYSFS/$P/enabled" 0
	lp_poll "$LP_TIMEOUT" sleeping || lp_bail "post_unpatch did not start sleeping"
	for f in "$@"; do
		lp_bg cat "$f" >/dev/null 2>&1
		pids+=("$LP_BG")
	done
	for pid in "${pids[@]}"; do
		lp_poll 10 exited "$pid" || stuck=$((stuck + 1))
	done
	if ((stuck)); then
		lp_fail "$desc: every reader returns" \
			"$stuck of ${#pids[@]} reader(s) still blocked after 10 s:" \
			"$(for pid in "${pids[@]}"; do cat "/proc/$pid/stack" 2>/dev/null; done)"
		lp_bail "the core is stuck behind a sysfs reader"
	fi
	lp_pass "$desc: every reader returns"
	lp_ok "$desc: the patch is freed" lp_wait_gone "$P"
	lp_ok "$desc: and can be removed" lp_unload_disabled "$P"
	set_delay 0 2>/dev/null
	lp_ok "$desc: no splat" lp_no_splat
}

for f in "${FILES[@]}"; do
	read_during_free "$f alone" "$FUNC_DIR/$f"
done
read_during_free "every file at once" \
	"${FILES[@]/#/$FUNC_DIR/}" "$LP_SYSFS/$P/vmlinux/patched" \
	"$LP_SYSFS/$P/enabled" "$LP_SYSFS/$P/transition" "$LP_SYSFS/$P/stack_order"

# A module load needs the mutex too.
lp_ok "a module loads afterwards" timeout 20 insmod "$LP_MODS/$T.ko"
lp_rmmod "$T"

# Readers of every file of every patch throughout enable/disable cycles.
walk() {
	while :; do
		grep -r . "$LP_SYSFS" >/dev/null 2>&1
	done
}
lp_bg walk
w1=$LP_BG
lp_bg walk
w2=$LP_BG
done_cycles=0
for ((i = 0; i < CYCLES; i++)); do
	if ! lp_insmod "$P" || ! lp_enabled_settled "$P" || ! lp_disable_unload "$P"; then
		break
	fi
	done_cycles=$((done_cycles + 1))
done
kill "$w1" "$w2" 2>/dev/null
wait "$w1" "$w2" 2>/dev/null
lp_eq "$CYCLES enable/disable cycles under two tree walkers" "$CYCLES" "$done_cycles"
lp_ok "a module loads after the cycles" timeout 20 insmod "$LP_MODS/$T.ko"
lp_rmmod "$T"
lp_end
