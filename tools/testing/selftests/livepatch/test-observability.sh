#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Observability: while a task holds a transition up, the debugfs view
# names it with the function on its stack, the per-function sysfs files
# show which entry is live, and the livepatch tracepoints report the
# enable, the start and end of the transition and each task switch with
# its path.  test_lp_cm replaces test_lp_target's busy function.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_target
CM=test_lp_cm
DBG=/sys/kernel/debug/livepatch/transition
EVENTS=$LP_EVENTS
FUNC_DIR=$LP_SYSFS/$CM/$T/test_lp_busy_show,1

lp_begin 23 "$T" "$CM"

[[ -r "$DBG" ]] || lp_skip_all "no $DBG (debugfs not mounted?)"
[[ -d "$EVENTS" ]] || lp_skip_all "no $EVENTS (tracefs not mounted?)"

tmp=$(mktemp -d)
out=$tmp/reader

lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"

lp_eq "no transition: the debugfs view says so" "no transition" "$(lp_read "$DBG")"

echo >"$LP_TRACING/trace"
lp_write_ok "enable the livepatch tracepoints" "$EVENTS/enable" 1

# A reader sleeps inside test_lp_busy_show(), so patching must wait for it.
lp_gate_close || lp_bail "cannot close the gate"
lp_park_reader "$out" || lp_bail "no reader parked at the gate"
reader=$LP_BG

lp_ok "load $CM while a task sleeps in the old function" lp_insmod "$CM"
lp_ok "the transition is held up" lp_holds 2 lp_in_transition "$CM"

view=$(lp_read "$DBG")
lp_diag "$view"
lp_match "the view names the patch" "^patch: $CM$" "$view"
lp_match "the view gives the direction" "^direction: patching$" "$view"
lp_match "the blocked reader is listed with the function on its stack" \
	"^[0-9]+ +cat +[0-9]+ +test_lp_busy_show on its stack$" "$view"
lp_eq "only the blocked reader is left" 1 \
	"$(grep -cE '^[0-9]+ ' <<<"$view")"

lp_eq "func transition file reads 1 during the transition" 1 \
	"$(lp_read "$FUNC_DIR/transition")"
lp_eq "the new entry is already on top of its stack" 1 \
	"$(lp_read "$FUNC_DIR/active")"

lp_gate_open
lp_reader_result "$reader" "$out"
lp_ok "the transition completes once the reader left" lp_wait_transition "$CM"
lp_eq "the debugfs view is empty again" "no transition" "$(lp_read "$DBG")"
lp_eq "func transition file reads 0 afterwards" 0 \
	"$(lp_read "$FUNC_DIR/transition")"

trace=$(cat "$LP_TRACING/trace")
lp_match "klp_patch_enable fired" "klp_patch_enable: patch=$CM" "$trace"
lp_match "klp_transition_start fired with the direction" \
	"klp_transition_start: patch=$CM direction=patching pending_tasks=[0-9]+" "$trace"
lp_match "the reader switched through a stack check or on its way out" \
	"klp_task_switch: pid=[0-9]+ comm=cat direction=patching path=(stack_check|exit_to_user)" \
	"$trace"
lp_match "idle tasks switch in the idle loop or by a stack check" \
	"klp_task_switch: pid=0 comm=swapper/[0-9]+ direction=patching path=(idle|stack_check)" \
	"$trace"
lp_match "klp_transition_end fired, not forced" \
	"klp_transition_end: patch=$CM direction=patching duration_ns=[0-9]+ forced=0" "$trace"

echo >"$LP_TRACING/trace"
lp_ok "disable $CM" lp_write "$LP_SYSFS/$CM/enabled" 0
lp_ok "the unpatching completes" lp_wait_transition "$CM"
trace=$(cat "$LP_TRACING/trace")
lp_match "klp_patch_disable fired" "klp_patch_disable: patch=$CM" "$trace"
lp_match "klp_transition_end fired for unpatching" \
	"klp_transition_end: patch=$CM direction=unpatching" "$trace"

lp_events_off
lp_ok "$CM can be removed" lp_unload_disabled "$CM"
rm -rf "$tmp"
lp_end
