#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The pending count.  The core counts the tasks a transition still waits
# for, and the switch that brings the count to zero completes the
# transition at once; a count that is off leaves completion to the
# fallback rescans, up to a second apart.  debugfs shows the count
# (pending_count) next to the tasks it waits for, so the two can be
# compared.  Two ways the count or the rescans used to go wrong:
#
# - A fork that fails after the child was given its parent's state
#   (klp_copy_process()) left the child counted for good.  test_lp_fork_fail
#   makes exactly that happen: it sends SIGKILL to the forking task from
#   klp_copy_process(), so copy_process() gives up right after.  The count
#   must come back to the number of tasks listed.
# - A rescan queued by one transition, up to a second away, held back the
#   first rescan of the next one.  A forced completion with the count
#   off left such a rescan behind; the next transition must still
#   rescan within milliseconds, which the workqueue trace shows.
#
# test_lp_cm replaces test_lp_target's busy function, so a reader parked
# at the closed gate holds a patching transition up.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_target
P=test_lp_cm
F=test_lp_fork_fail
FP=/sys/module/$F/parameters
DBG=/sys/kernel/debug/livepatch/transition
ATTEMPTS=30
STALE_MAX_MS=250

lp_begin 17 "$T" "$P" "$F"

tmp=$(mktemp -d)

lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
lp_insmod "$F" || lp_bail "cannot load $F: $LP_OUT"
[[ -r "$DBG" ]] || lp_bail "no $DBG"

# count_and_tasks: the transition's pending_count and the number of tasks
# debugfs lists for it (the lines after the column header).
count_and_tasks() {
	awk '/^pending_count:/ { count = $2 }
	     tasks { n++ }
	     /^pid / { tasks = 1 }
	     END { printf "%s %d\n", count, n }' "$DBG"
}

# count_true: the two agree.
count_true() {
	local count n
	read -r count n < <(count_and_tasks)
	[[ -n "$count" && "$count" == "$n" ]]
}

fired() { lp_read "$FP/fired"; }

fired_more_than() {
	(($(fired) > $1))
}

# --- a fork that fails after its child was counted ---------------------------
# Each attempt parks a reader, starts a task that does nothing but fork,
# and loads the patch.  The forking task is pending when the transition
# marks it inside fork() before klp_copy_process(); only then does the
# callback fire.  test_lp_fork_fail holds the fork, running, at
# sched_cgroup_fork() until the transition has marked it, as the many
# cond_resched() points earlier in fork() would switch it.  If it was
# marked elsewhere anyway, or the hold timed out, the attempt is undone
# and tried again.
# start_with_failed_fork: park a reader (pid in reader) and load the patch
# so that a fork fails with its child counted; forked is the attempt that
# made it happen, 0 if none did.
start_with_failed_fork() {
	local i before forker

	forked=0
	for ((i = 1; i <= ATTEMPTS; i++)); do
		lp_gate_close
		lp_park_reader "$tmp/reader" || lp_bail "the reader did not park"
		reader=$LP_BG
		lp_bg "$LP_DIR/lp_forker" 1000000 >"$tmp/forker" 2>&1
		forker=$LP_BG
		lp_write "$FP/victim" "$forker"
		lp_write "$FP/shots" 1
		before=$(fired)
		lp_insmod "$P" || lp_bail "cannot load $P: $LP_OUT"
		lp_poll 2 fired_more_than "$before" && forked=$i
		lp_write "$FP/shots" 0
		kill "$forker" 2>/dev/null
		wait "$forker" 2>/dev/null
		((forked)) && return 0
		lp_gate_open
		lp_reader_result "$reader" "$tmp/reader"
		lp_wait_transition "$P" || lp_bail "the attempt's transition did not complete"
		lp_disable_unload "$P" || lp_bail "cannot remove $P after attempt $i"
	done
	return 1
}

start_with_failed_fork
lp_ok "a fork failed after klp_copy_process() counted its child (attempt $forked of $ATTEMPTS)" \
	test "$forked" -gt 0
((forked)) || lp_bail "the failing fork never happened"
lp_ok "the transition still waits for the parked reader" lp_in_transition "$P"
lp_ok "the pending count comes back to the tasks it waits for" lp_poll 10 count_true
read -r count n < <(count_and_tasks)
lp_diag "debugfs: pending_count $count, $n task(s) listed"
lp_gate_open
lp_reader_result "$reader" "$tmp/reader"
lp_match "the reader, inside the original all along, read it" "$T: original" "$LP_READ"
lp_ok "the transition completes" lp_wait_transition "$P"

# --- a rescan left over from a forced transition ------------------------------
EVS="$LP_TRACING/events/livepatch/klp_transition_start
     $LP_TRACING/events/workqueue/workqueue_execute_start"
set_events() {
	local ev
	for ev in $EVS; do
		echo "$1" >"$ev/enable" || return 1
	done
}

# rescans: how many times the transition work has run, per the trace.
rescans() {
	grep -c "function klp_transition_work_fn" "$LP_TRACING/trace"
}

rescans_more_than() {
	(($(rescans) > $1))
}

lp_ok "$P can be disabled and removed" lp_disable_unload "$P"
# The forced transition also starts with a failed fork: on a core that
# neither corrects the count nor drops the stale rescan, the forced
# switches then never bring the count to zero, which would have queued
# the work at once, and the rescan a second away survives.
start_with_failed_fork
lp_ok "load $P, a reader inside the function, and a fork failed (attempt $forked)" \
	test "$forked" -gt 0
((forked)) || lp_bail "the failing fork never happened"
lp_ok "the reader holds the transition up" lp_holds 3 lp_in_transition "$P"
# This shell has switched, so a reader it starts now runs the new
# function: it will hold up the unpatching transition below.
lp_park_reader "$tmp/reader2" || lp_bail "the second reader did not park"
reader2=$LP_BG
echo 0 >"$LP_TRACING/tracing_on"
echo >"$LP_TRACING/trace"
set_events 1 || lp_bail "cannot enable the trace events"
echo 1 >"$LP_TRACING/tracing_on"
# Force right after a rescan, when the next one is about a second away,
# and start the next transition at once.
n=$(rescans)
lp_poll 3 rescans_more_than "$n" || lp_bail "no rescan seen in 3 s"
lp_write_ok "force the patching transition" "$LP_SYSFS/$P/force" 1
lp_write_ok "disable $P right after: the next transition" "$LP_SYSFS/$P/enabled" 0
lp_ok "the second reader holds that one up" lp_in_transition "$P"
lp_poll 3 rescans_more_than "$((n + 1))"
set_events 0
echo 0 >"$LP_TRACING/tracing_on"
# From the start of the unpatching transition to the first rescan after it.
gap=$(awk -v patch="$P" '
	{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) ts = $i + 0 }
	/klp_transition_start:/ && $0 ~ "patch=" patch " direction=unpatching" { start = ts }
	start && /function klp_transition_work_fn/ && ts > start {
		printf "%d", (ts - start) * 1000; exit
	}' "$LP_TRACING/trace")
echo 1 >"$LP_TRACING/tracing_on"
echo >"$LP_TRACING/trace"
lp_ok "its first rescan ran within $STALE_MAX_MS ms of its start (${gap:-no rescan} ms)" \
	test "${gap:-999999}" -lt "$STALE_MAX_MS"
lp_gate_open
lp_reader_result "$reader" "$tmp/reader"
lp_match "the forced reader read the original version" "$T: original" "$LP_READ"
lp_reader_result "$reader2" "$tmp/reader2"
lp_match "the second reader read the new one" "$P: patched" "$LP_READ"
lp_ok "the unpatching transition completes" lp_wait_transition "$P"

lp_ok "$P can be removed" lp_unload_disabled "$P"
lp_ok "$F can be removed" lp_rmmod "$F"
rm -rf "$tmp"
lp_end
