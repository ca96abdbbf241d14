#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The per-task consistency model.  A task sleeping inside a function being
# replaced holds the transition up until it leaves; a task sleeping
# anywhere else, a CPU-bound kthread and a storm of short-lived processes
# do not, and none of them notices.  A held-up transition can be reversed,
# or forced; forcing an unpatching transition pins the patch module for
# good.  test_lp_cm replaces test_lp_target's busy and spin functions.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_target
CM=test_lp_cm
CF=test_lp_cm_force
ORIGINAL="test_lp_target: original"
SPIN=$LP_PROC/spin

lp_begin 79 "$T" "$CM" "$CF"

tmp=$(mktemp -d)
out=$tmp/reader

lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"

busy() { lp_read "$LP_PROC/busy"; }

# park: close the gate and wait for a reader to sleep behind it.
park() {
	if ! lp_gate_close || ! lp_park_reader "$out"; then
		lp_bail "no reader parked at the busy gate"
	fi
	reader=$LP_BG
}

# release: open the gate; LP_READ is what the parked reader read.
release() {
	lp_gate_open
	lp_reader_result "$reader" "$out"
}

log_enable() {
	printf '%s\n' "livepatch: enabling patch '$1'" \
		"D livepatch: '$1': initializing patching transition" \
		"livepatch: '$1': starting patching transition"
}

log_disable() {
	printf '%s\n' "D livepatch: '$1': initializing unpatching transition" \
		"livepatch: '$1': starting unpatching transition"
}

log_done() {
	printf '%s\n' "D livepatch: '$1': completing $2 transition" \
		"livepatch: '$1': $2 complete"
}

# --- a task in the old function holds up patching ---
park
lp_mark_log
lp_ok "load $CM while a task sleeps in the old function" lp_insmod "$CM"
lp_ok "the patching transition waits for that task" lp_holds 3 lp_in_transition "$CM"
release
lp_eq "the task leaves the old function with its result" "$ORIGINAL" "$LP_READ"
lp_ok "the transition completes once the task left" lp_wait_transition "$CM"
lp_eq "new callers get the new function" "$CM: patched" "$(busy)"
lp_check_log "kernel log of a held-up patching transition" \
	"$(log_enable "$CM"; log_done "$CM" patching)"

# --- a task in the new function holds up unpatching ---
park
lp_mark_log
lp_write_ok "disable $CM while a task sleeps in the new function" \
	"$LP_SYSFS/$CM/enabled" 0
lp_ok "the unpatching transition waits for that task" lp_holds 3 lp_in_transition "$CM"
release
lp_eq "the task leaves the new function with its result" "$CM: patched" "$LP_READ"
lp_ok "the transition completes once the task left" lp_wait_transition "$CM"
lp_ok "the disabled patch goes away" lp_wait_gone "$CM"
lp_eq "callers get the old function again" "$ORIGINAL" "$(busy)"
lp_check_log "kernel log of a held-up unpatching transition" \
	"$(log_disable "$CM"; log_done "$CM" unpatching)"
lp_ok "remove $CM" lp_unload_disabled "$CM"

# --- a CPU-bound kthread switches without being signalled ---
# Nudges come after 15 s by default, longer than these transitions last:
# from here on they come after 100 ms, so a transition that completed
# only thanks to a nudge shows it in the log.
lp_ok "nudges come after 100 ms from here on" lp_nudge_set 100
spin_is() {
	[[ "$(lp_read "$SPIN")" =~ ^running\ $1\ [1-9] ]]
}
lp_write_ok "start the spinning kthread" "$SPIN" start
lp_ok "the kthread runs the old function" lp_poll "$LP_TIMEOUT" spin_is original
lp_mark_log
lp_ok "load $CM while the kthread spins" lp_insmod "$CM"
lp_ok "the patching transition completes" lp_wait_transition "$CM"
lp_ok "the kthread runs the new function" lp_poll "$LP_TIMEOUT" spin_is patched
lp_check_log "kernel log: no signals, nothing forced" \
	"$(log_enable "$CM"; log_done "$CM" patching)"
lp_mark_log
lp_write_ok "disable $CM while the kthread spins" "$LP_SYSFS/$CM/enabled" 0
lp_ok "the unpatching transition completes" lp_wait_transition "$CM"
lp_ok "the kthread runs the old function again" lp_poll "$LP_TIMEOUT" spin_is original
lp_check_log "kernel log: no signals, nothing forced" \
	"$(log_disable "$CM"; log_done "$CM" unpatching)"
lp_write_ok "stop the kthread" "$SPIN" stop
lp_ok "remove $CM" lp_unload_disabled "$CM"

# --- tasks asleep elsewhere do not hold anything up, nor notice ---
# asleep PID...: every PID is in interruptible sleep.
asleep() {
	local pid state
	for pid; do
		read -r _ _ state _ <"/proc/$pid/stat" || return 1
		[[ "$state" == S ]] || return 1
	done
}

# switch_paths PID...: "PID path" of each PID's switch in the trace.
switch_paths() {
	local pid
	for pid; do
		echo "$pid $(sed -n "s/.*klp_task_switch: pid=$pid .* path=\([a-z_]*\).*/\1/p" \
			"$LP_TRACING/trace" | head -n 1)"
	done
}

mkfifo "$tmp/fifo"
exec 7<>"$tmp/fifo"
lp_bg head -n 1 "$tmp/fifo" >"$tmp/head"
head_pid=$LP_BG
lp_bg sleep 8
sleep_pid=$LP_BG
lp_ok "the pipe reader and the sleeper are asleep (state S)" \
	lp_poll "$LP_TIMEOUT" asleep "$head_pid" "$sleep_pid"
SWITCH_EV=$LP_TRACING/events/livepatch/klp_task_switch
echo 0 >"$LP_TRACING/tracing_on"
echo >"$LP_TRACING/trace"
echo 1 >"$SWITCH_EV/enable"
echo 1 >"$LP_TRACING/tracing_on"
lp_mark_log
lp_ok "load $CM while tasks sleep in read(2) and nanosleep(2)" lp_insmod "$CM"
lp_ok "the patching transition completes" lp_wait_transition "$CM"
echo 0 >"$SWITCH_EV/enable"
lp_not "no task was nudged" grep -q "signaling remaining tasks" <(lp_log)
# Had their stacks been judged wrongly, they would have switched only
# after a nudge, on their way out to user space.
lp_eq "both were switched by the stack check, still asleep" \
	"$head_pid stack_check
$sleep_pid stack_check" \
	"$(switch_paths "$head_pid" "$sleep_pid")"
echo >"$LP_TRACING/trace"
lp_ok "the sleeping task is still asleep" kill -0 "$sleep_pid"
echo "through the pipe" >&7
lp_ok "the reader of the pipe exits normally" wait "$head_pid"
lp_eq "the reader of the pipe got its line" "through the pipe" "$(cat "$tmp/head")"
lp_ok "the sleeping task exits normally" wait "$sleep_pid"
exec 7>&-
lp_ok "disable and remove $CM" lp_disable_unload "$CM"
lp_nudge_set "$(lp_saved "$LP_NUDGE")"

# --- reversing a held-up patching transition ---
park
lp_mark_log
lp_ok "load $CM while a task sleeps in the old function" lp_insmod "$CM"
lp_ok "the patching transition waits for that task" lp_holds 1 lp_in_transition "$CM"
lp_write_ok "write 0 to enabled during the transition" "$LP_SYSFS/$CM/enabled" 0
lp_ok "the reversed transition completes with the task still inside" \
	lp_wait_transition "$CM"
lp_ok "the reverted patch goes away" lp_wait_gone "$CM"
lp_check_log "kernel log of the reversal" "$(log_enable "$CM"
	echo "D livepatch: '$CM': reversing transition from patching to unpatching"
	echo "livepatch: '$CM': starting unpatching transition"
	log_done "$CM" unpatching)"
release
lp_eq "the task leaves the old function with its result" "$ORIGINAL" "$LP_READ"
lp_eq "callers get the old function" "$ORIGINAL" "$(busy)"
lp_ok "remove $CM" lp_unload_disabled "$CM"

# --- forcing a held-up patching transition ---
park
lp_mark_log
lp_ok "load $CM while a task sleeps in the old function" lp_insmod "$CM"
lp_ok "the patching transition waits for that task" lp_holds 1 lp_in_transition "$CM"
lp_write_ok "write 1 to force" "$LP_SYSFS/$CM/force" 1
lp_ok "the forced transition completes with the task still inside" \
	lp_wait_transition "$CM"
lp_eq "the patch is enabled" 1 "$(lp_attr "$CM" enabled)"
lp_check_klp_line "a warning says the transition was forced" warn forc
lp_check_log "kernel log of the forced transition, besides that warning" \
	"$(log_enable "$CM"; log_done "$CM" patching)" "[Ff]orc(ing|ed) "
release
lp_eq "the forced task still ran the old function" "$ORIGINAL" "$LP_READ"
lp_eq "callers get the new function" "$CM: patched" "$(busy)"
# 6.12 pins only the modules of patches that were being removed (or
# replaced) when the transition was forced.
lp_ok "after a normal disable, $CM can be removed" lp_disable_unload "$CM"

# --- forcing a held-up unpatching transition pins the module ---
if lp_mod_loaded "$CF"; then
	for i in $(seq 11); do
		lp_skip "forced unpatching, step $i" "$CF is pinned by an earlier run"
	done
else
	lp_ok "load $CF" lp_insmod "$CF"
	lp_ok "its transition completes" lp_wait_transition "$CF"
	park
	lp_mark_log
	lp_write "$LP_SYSFS/$CF/enabled" 0
	lp_ok "disabling waits for the task in the new function" \
		lp_holds 1 lp_in_transition "$CF"
	lp_write_ok "write 1 to force" "$LP_SYSFS/$CF/force" 1
	lp_ok "the forced transition completes and the patch goes away" \
		lp_wait_gone "$CF"
	lp_check_klp_line "a warning says the transition was forced" warn forc
	lp_check_log "kernel log of the forced unpatching, besides that warning" \
		"$(log_disable "$CF"; log_done "$CF" unpatching)" "[Ff]orc(ing|ed) "
	release
	lp_eq "the forced task still ran the new function" "$CF: patched" "$LP_READ"
	lp_eq "callers get the old function" "$ORIGINAL" "$(busy)"
	lp_eq "$CF keeps a reference on itself" 1 "$(lp_mod_refcnt "$CF")"
	if lp_rmmod "$CF"; then
		lp_fail "rmmod $CF is refused for good" "rmmod succeeded"
	else
		lp_match "rmmod $CF is refused for good" "is in use" "$LP_OUT"
	fi
fi

# --- a fork storm during both transitions ---
# storm: fork and exec short-lived processes until told to stop (or for
# at most five minutes).
storm() {
	local end=$((SECONDS + 300)) n=0
	while [[ ! -e "$tmp/stop" ]] && ((SECONDS < end)); do
		/bin/true || return 1
		(:) || return 1
		n=$((n + 2))
	done
	echo "$n" >"$tmp/storm.$BASHPID"
}
lp_bg storm
storm1=$LP_BG
lp_bg storm
storm2=$LP_BG
park
lp_ok "load $CM during a fork storm" lp_insmod "$CM"
lp_ok "the patching transition waits for the parked task" \
	lp_holds 1 lp_in_transition "$CM"
release
lp_ok "the patching transition completes during the storm" lp_wait_transition "$CM"
lp_eq "callers get the new function" "$CM: patched" "$(busy)"
park
lp_write "$LP_SYSFS/$CM/enabled" 0
lp_ok "the unpatching transition waits for the parked task" \
	lp_holds 1 lp_in_transition "$CM"
release
lp_ok "the unpatching transition completes during the storm" lp_wait_transition "$CM"
lp_eq "callers get the old function" "$ORIGINAL" "$(busy)"
lp_ok "remove $CM" lp_unload_disabled "$CM"
second_cycle() {
	lp_insmod "$CM" && lp_enabled_settled "$CM" &&
		[[ "$(busy)" == "$CM: patched" ]] && lp_disable_unload "$CM" &&
		[[ "$(busy)" == "$ORIGINAL" ]]
}
lp_ok "a second enable and disable during the storm" second_cycle
lp_ok "the storms went on until then" kill -0 "$storm1" "$storm2"
touch "$tmp/stop"
lp_ok "the first storm ran to its end without a failure" wait "$storm1"
lp_ok "the second storm ran to its end without a failure" wait "$storm2"
forks=$(($(cat "$tmp/storm.$storm1" 2>/dev/null || echo 0) +
	 $(cat "$tmp/storm.$storm2" 2>/dev/null || echo 0)))
lp_diag "the storms started $forks processes"

rm -rf "$tmp"
lp_end
