#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Direct mode: once no transition has run for a second, a patched function
# is reached by a direct call from its fentry site to a stub, not through
# the ftrace handler.  The debugfs file "sites" tells which; enabled_functions
# shows the direct call.  Checked here: patched code keeps running in both
# modes; stacking a patch, disabling the top one and a transition held up by
# a sleeping task all go back to the handler; ftrace_enabled still cannot
# be turned off; the function tracer shares a direct site; the "direct"
# switch turns the mode off and on and refuses garbage; disabling a direct
# patch leaves no ftrace user behind; unloading the patched module while
# its sites are direct leaves nothing behind.
#
# test_lp_stack_1 and _2 replace f1 of test_lp_mod_target; test_lp_cm
# replaces test_lp_target's busy function.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_mod_target
S1=test_lp_stack_1
S2=test_lp_stack_2
BT=test_lp_target
CM=test_lp_cm
F1=test_lp_mod_f1_show
BUSY=test_lp_busy_show
PROC=/proc/test_lp_mod
SITES=/sys/kernel/debug/livepatch/sites
DIRECT=/sys/kernel/debug/livepatch/direct
EF=$LP_TRACING/enabled_functions

lp_begin 60 "$T" "$S1" "$S2" "$BT" "$CM"

[[ -r "$SITES" && -w "$DIRECT" ]] || lp_skip_all "no $SITES (debugfs not mounted?)"
lp_locked_down && lp_skip_all "the kernel is locked down: $DIRECT cannot be written"
# Off by default on a kernel with Tasks RCU (see differences.rst).
lp_direct_set 1 || lp_skip_all "direct mode is not built on this architecture"
[[ -r "$EF" ]] || lp_skip_all "no $EF (tracefs not mounted?)"

# site FUNC: "<mode> <entries>" of FUNC in the sites file, or "none".
# A line reads "<mode> <entries> <function> [<module>]".
site() {
	local mode depth fn
	while read -r mode depth fn _; do
		[[ "$fn" == "$1" ]] && { echo "$mode $depth"; return; }
	done <"$SITES"
	echo none
}

site_is() { [[ "$(site "$1")" == "$2" ]]; }

# wait_site DESC FUNC WANT: FUNC's site reaches WANT within the timeout.
wait_site() {
	if lp_poll "$LP_TIMEOUT" site_is "$2" "$3"; then
		lp_pass "$1"
	else
		lp_fail "$1" "site of $2: '$(site "$2")', want '$3'"
	fi
}

# ef_direct FUNC: ftrace's record of FUNC shows a direct call (on the
# line after the function's).
ef_direct() { grep -A1 "^$1[ 	]" "$EF" | grep -q 'direct-->'; }

lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
lp_insmod "$S1" || lp_bail "cannot load $S1: $LP_OUT"
lp_ok "$S1 is enabled" lp_enabled_settled "$S1"
wait_site "f1 becomes direct after a quiet second" "$F1" "direct 1"
lp_eq "f1 runs $S1 through the stub" "$S1: f1" "$(lp_read "$PROC/f1")"
lp_ok "ftrace's record of f1 shows the direct call" ef_direct "$F1"

# PERMANENT must hold in direct mode too.
if lp_write /proc/sys/kernel/ftrace_enabled 0; then
	lp_fail "ftrace_enabled cannot be turned off under a direct site" "it was"
	lp_write /proc/sys/kernel/ftrace_enabled 1
else
	lp_eq "ftrace_enabled cannot be turned off under a direct site" \
		"Device or resource busy" "$LP_ERR"
fi
lp_eq "f1 still runs $S1" "$S1: f1" "$(lp_read "$PROC/f1")"

# The function tracer on the same function: ftrace calls both.
echo >"$LP_TRACING/trace"
lp_write_ok "trace f1 only" "$LP_TRACING/set_ftrace_filter" "$F1"
lp_write_ok "start the function tracer" "$LP_TRACING/current_tracer" function
lp_eq "f1 runs $S1 while traced" "$S1: f1" "$(lp_read "$PROC/f1")"
lp_match "the tracer saw the call of f1" "$F1" "$(cat "$LP_TRACING/trace")"
lp_eq "the site stays direct under the tracer" "direct 1" "$(site "$F1")"
lp_write_ok "stop the function tracer" "$LP_TRACING/current_tracer" nop
lp_write "$LP_TRACING/set_ftrace_filter" ""
lp_eq "f1 runs $S1 after tracing" "$S1: f1" "$(lp_read "$PROC/f1")"

# Stacking on a direct site, then disabling the top patch.
lp_ok "stack $S2 on the direct site" lp_insmod "$S2"
lp_ok "$S2 is enabled" lp_enabled_settled "$S2"
lp_eq "f1 runs $S2" "$S2: f1" "$(lp_read "$PROC/f1")"
wait_site "f1 is direct again, two entries deep" "$F1" "direct 2"
lp_eq "f1 runs $S2 through the new stub" "$S2: f1" "$(lp_read "$PROC/f1")"
lp_write_ok "disable $S2, the top of a direct site" "$LP_SYSFS/$S2/enabled" 0
lp_ok "the unpatching completes" lp_wait_transition "$S2"
lp_eq "f1 runs $S1 again" "$S1: f1" "$(lp_read "$PROC/f1")"
lp_ok "$S2 can be removed" lp_unload_disabled "$S2"
wait_site "f1 is direct with one entry" "$F1" "direct 1"
lp_eq "f1 runs $S1 through the stub" "$S1: f1" "$(lp_read "$PROC/f1")"

# The switch.
lp_write_err "garbage to direct is refused" "$DIRECT" maybe "Invalid argument"
lp_eq "direct still reads 1" 1 "$(lp_read "$DIRECT")"
lp_write_ok "turn direct mode off" "$DIRECT" 0
lp_eq "direct reads 0" 0 "$(lp_read "$DIRECT")"
lp_eq "f1 is back in handler mode at once" "handler 1" "$(site "$F1")"
lp_not "ftrace's record of f1 shows no direct call" ef_direct "$F1"
lp_eq "f1 runs $S1 through the handler" "$S1: f1" "$(lp_read "$PROC/f1")"
lp_not "f1 stays in handler mode while direct is off" \
	lp_poll 2 site_is "$F1" "direct 1"
lp_write_ok "turn direct mode on" "$DIRECT" 1
wait_site "f1 becomes direct again" "$F1" "direct 1"

# Disabling a direct patch unhooks the function as without direct mode:
# once the patch is freed, no ftrace user is left on it (test-unhook.sh).
lp_write_ok "disable $S1 while f1 is direct" "$LP_SYSFS/$S1/enabled" 0
lp_ok "the unpatching completes" lp_wait_transition "$S1"
lp_eq "f1 runs the original again" "$T: f1 original" "$(lp_read "$PROC/f1")"
lp_ok "the patch's directory goes away" lp_wait_gone "$S1"
lp_check_not_ftraced "no ftrace user is left on f1 once it has" "$F1"
lp_ok "$S1 can be removed" lp_unload_disabled "$S1"
lp_ok "load $S1 again" lp_insmod "$S1"
lp_ok "$S1 is enabled" lp_enabled_settled "$S1"

# A transition held up by a task asleep in the replacement: the site
# leaves direct mode before the transition starts, the direct ops it let
# go of leaves ftrace while the transition still runs, and the site does
# not go direct again until the transition is over.
lp_insmod "$BT" || lp_bail "cannot load $BT: $LP_OUT"
lp_insmod "$CM" || lp_bail "cannot load $CM: $LP_OUT"
lp_ok "$CM is enabled" lp_enabled_settled "$CM"
wait_site "the busy function becomes direct" "$BUSY" "direct 1"
lp_gate_close || lp_bail "cannot close the gate"
out=$(mktemp)
lp_park_reader "$out" || lp_bail "no reader parked at the gate"
reader=$LP_BG
lp_write_ok "disable $CM while a task sleeps in its function" "$LP_SYSFS/$CM/enabled" 0
lp_ok "the transition is held up" lp_holds 2 lp_in_transition "$CM"
lp_eq "the busy function stays in handler mode during the transition" \
	"handler 1" "$(site "$BUSY")"
lp_not "the released direct ops is gone from ftrace meanwhile" ef_direct "$BUSY"
lp_gate_open
lp_reader_result "$reader" "$out"
rm -f "$out"
lp_ok "the transition completes" lp_wait_transition "$CM"
lp_ok "remove $CM" lp_unload_disabled "$CM"
lp_eq "the busy function has no site left" none "$(site "$BUSY")"
lp_ok "remove $BT" lp_rmmod "$BT"

# The patched module goes away under two stacked entries on a direct site.
lp_ok "stack $S2 again" lp_insmod "$S2"
lp_ok "$S2 is enabled" lp_enabled_settled "$S2"
wait_site "f1 is direct, two entries deep" "$F1" "direct 2"
lp_ok "remove $T under its direct site" lp_rmmod "$T"
lp_eq "f1 has no site left" none "$(site "$F1")"
lp_ok "disable and remove $S2" lp_disable_unload "$S2"
lp_ok "disable and remove $S1" lp_disable_unload "$S1"
lp_eq "no site is left" "" "$(cat "$SITES")"
lp_end
