#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The transition hooks: the cond_resched() hook, through which a
# CPU-bound kthread switches, and the probe that accounts for reaped
# tasks.  Arming or disarming them patches every cond_resched() call site,
# which on a busy machine takes long, so they are armed when a transition
# starts and disarmed only once none has run for
# livepatch.hooks_linger_ms.  The klp_hooks tracepoint reports each change.
#
# - Bad values of the parameter are refused.
# - With a short linger they are disarmed soon after the last transition.
# - With a long one, a patch and its removal arm them once, and nothing
#   disarms them in between.
# - A transition that starts while a disarm is under way (test_lp_delay
#   holds it open for a second) waits for it and arms them again: the
#   spinning kthread of test_lp_target, which only calls cond_resched(),
#   still switches.
# test_lp_cm replaces test_lp_target's busy and spin functions.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_target
CM=test_lp_cm
D=test_lp_delay
EVENTS=$LP_EVENTS
SPIN=$LP_PROC/spin
ORIGINAL="test_lp_target: original"

lp_begin 30 "$T" "$CM" "$D"

[[ -d "$EVENTS/klp_hooks" ]] || lp_skip_all "no $EVENTS/klp_hooks (tracefs not mounted?)"

tmp=$(mktemp -d)
out=$tmp/reader

lp_ok "$LP_LINGER is there" test -w "$LP_LINGER"
lp_eq "hooks_linger_ms defaults to 10 s" 10000 "$(lp_read "$LP_LINGER")"
for v in 3600001 soon -1 ""; do
	lp_write_err "hooks_linger_ms refuses '$v'" "$LP_LINGER" "$v" "Invalid argument"
done
lp_eq "and is unchanged" 10000 "$(lp_read "$LP_LINGER")"

lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
echo >"$LP_TRACING/trace"
echo 1 >"$EVENTS/enable" || lp_bail "cannot enable the livepatch tracepoints"

# events: the hook changes and the transitions of $CM in the trace, in
# order, one per line: "armed", "disarmed", "start patching", ...
events() {
	sed -nE -e 's/.*klp_hooks: (armed|disarmed) .*/\1/p' \
		-e "s/.*klp_transition_(start|end): patch=$CM direction=([a-z]+).*/\\1 \\2/p" \
		"$LP_TRACING/trace"
}

last_is_disarmed() {
	[[ "$(events | tail -n 1)" == disarmed ]]
}

# cycle: patch with $CM and remove it again.
cycle() {
	lp_insmod "$CM" && lp_enabled_settled "$CM" && lp_disable_unload "$CM"
}

# --- a short linger: disarmed soon after the last transition ---
lp_ok "hooks_linger_ms takes 300" lp_linger_set 300
lp_ok "patch and unpatch with a 300 ms linger" cycle
lp_ok "the hooks are disarmed after the last transition" \
	lp_poll "$LP_TIMEOUT" last_is_disarmed

# --- a long linger: two transitions, one arming, no disarming ---
echo >"$LP_TRACING/trace"
lp_ok "hooks_linger_ms takes 60000" lp_linger_set 60000
lp_ok "patch and unpatch with a 60 s linger" cycle
sleep 1
lp_diag "$(grep -o 'klp_hooks: .*' "$LP_TRACING/trace")"
lp_eq "armed once, before the first transition, and not disarmed" \
	"armed
start patching
end patching
start unpatching
end unpatching" "$(events)"

# --- a transition starts while a disarm is under way ---
lp_write_ok "start the spinning kthread" "$SPIN" start
lp_insmod "$D" func=klp_hooks_set ms=1000 || lp_bail "cannot load $D: $LP_OUT"
delay_times=/sys/module/$D/parameters/times
spin_is() {
	[[ "$(lp_read "$SPIN")" =~ ^running\ $1\ [1-9] ]]
}
disarm_held() {
	[[ "$(lp_read "$delay_times")" == 0 ]]
}
# Hold the patching transition with a parked reader, so that the delay
# is set up before it ends and the disarm (linger 0) follows at once.
lp_ok "hooks_linger_ms takes 0" lp_linger_set 0
lp_gate_close || lp_bail "cannot close the gate"
lp_park_reader "$out" || lp_bail "no reader parked at the gate"
reader=$LP_BG
echo >"$LP_TRACING/trace"
lp_ok "load $CM while a task sleeps in the old function" lp_insmod "$CM"
lp_ok "the transition is held up" lp_holds 1 lp_in_transition "$CM"
lp_write "$delay_times" 1 || lp_bail "cannot arm $D: $LP_ERR"
lp_gate_open
lp_reader_result "$reader" "$out"
lp_ok "the patching transition completes" lp_wait_transition "$CM"
lp_ok "the kthread runs the new function" lp_poll "$LP_TIMEOUT" spin_is patched
lp_ok "the disarm is under way" lp_poll "$LP_TIMEOUT" disarm_held
lp_write_ok "disable $CM during the disarm" "$LP_SYSFS/$CM/enabled" 0
lp_ok "the unpatching transition completes" lp_wait_transition "$CM"
lp_ok "the kthread runs the old function again" lp_poll "$LP_TIMEOUT" spin_is original
# Before the last disarm: a vCPU kept busy makes each of its IPIs wait for
# the emulator's next round (one TCG thread), 100 ms apiece.
lp_write_ok "stop the kthread" "$SPIN" stop
lp_eq "callers get the old function" "$ORIGINAL" "$(lp_read "$LP_PROC/busy")"
lp_eq "the disarm was held open once" 1 "$(lp_read "/sys/module/$D/parameters/delayed")"
lp_ok "the hooks are disarmed again at once" lp_poll "$LP_TIMEOUT" last_is_disarmed
lp_eq "the disarm ended before the unpatching began, which armed them again" \
	"start patching
end patching
disarmed
armed
start unpatching
end unpatching
disarmed" "$(events)"
lp_ok "remove $CM" lp_unload_disabled "$CM"
lp_ok "remove $D" lp_rmmod "$D"

lp_events_off
rm -rf "$tmp"
lp_end
