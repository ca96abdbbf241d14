#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A module that loads while a transition runs is patched at once, and
# from then on the stack check must cover its functions too: a task that
# has not switched yet may be asleep in one of them.  A read of
# /proc/test_lp/relay first waits in test_lp_relay_wait() (test_lp_target)
# at the busy gate, then, with no switching point in between, in
# test_lp_mid_f() (test_lp_mid_target) at the relay gate.  test_lp_mid_patch
# replaces both.  The reader holds the transition up at the first gate,
# test_lp_mid_target loads, the first gate opens and the reader goes to
# sleep in the module's function: the transition must keep waiting for
# it, in either direction, and the debugfs view must name it.  Last, the
# same with the stack check's memory failing to allocate until the module
# has loaded (failslab on that one allocation): the check that finally
# runs must cover the new module, and KASAN must stay silent.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_target
M=test_lp_mid_target
P=test_lp_mid_patch
RELAY=$LP_PROC/relay
RELAY_GATE=$LP_PROC/relay_ctl
DEBUGFS=/sys/kernel/debug/livepatch/transition
FAILSLAB=/sys/kernel/debug/failslab
HOLD=3

lp_begin $((2 * 11 + 6)) "$T" "$M" "$P"

tmp=$(mktemp -d)
out=$tmp/reader

lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"

relay_parked() { (($(lp_gate_inside "$RELAY_GATE") > 0)); }

# park_relay: close both gates and start a reader at the first (LP_BG).
park_relay() {
	lp_gate_close && lp_write "$RELAY_GATE" close || return 1
	lp_bg cat "$RELAY" >"$out" 2>&1
	reader=$LP_BG
	lp_poll "$LP_TIMEOUT" lp_gate_inside_more 0
}

# blocker_listed NAME: the debugfs view lists the reader inside NAME.
blocker_listed() {
	if ! grep -Eq "^${reader}[[:space:]].*$1" "$DEBUGFS" 2>/dev/null; then
		lp_diag "reader $reader, $DEBUGFS:" "$(cat "$DEBUGFS" 2>&1)"
		return 1
	fi
}

# midload DIRECTION: the whole sequence for "patching" or "unpatching".
# Before it, the patch is loaded (unpatching) or not (patching).
midload() {
	local d="$1" want
	park_relay || lp_bail "$d: no reader parked at the busy gate"
	if [[ "$d" == patching ]]; then
		lp_insmod "$P" || lp_bail "cannot load $P: $LP_OUT"
		want="wait original then original"
	else
		lp_write "$LP_SYSFS/$P/enabled" 0 || lp_bail "cannot disable $P: $LP_ERR"
		want="wait patched then patched"
	fi
	lp_ok "$d: the reader at the first gate holds the transition" \
		lp_holds 1 lp_in_transition "$P"
	lp_mark_log
	lp_ok "$d: load $M during the transition" lp_insmod "$M"
	lp_log_has "$d: $M is patched as it loads" \
		"livepatch: applying patch '$P' to loading module '$M'"
	lp_gate_open
	lp_ok "$d: the reader moves on into $M's function" \
		lp_poll "$LP_TIMEOUT" relay_parked
	lp_ok "$d: the transition keeps waiting for it there" \
		lp_holds "$HOLD" lp_in_transition "$P"
	lp_ok "$d: the debugfs view names it inside test_lp_mid_f" \
		blocker_listed test_lp_mid_f
	lp_write "$RELAY_GATE" open
	lp_reader_result "$reader" "$out"
	lp_eq "$d: the reader ran one version throughout" "$want" "$LP_READ"
	lp_ok "$d: the transition completes once it has left" \
		lp_wait_transition "$P"
	if [[ "$d" == unpatching ]]; then
		lp_ok "$d: $P is freed" lp_wait_gone "$P"
		lp_ok "$d: $P can be removed" lp_unload_disabled "$P"
	else
		lp_eq "$d: $P is enabled" 1 "$(lp_attr "$P" enabled)"
		lp_ok "$d: and disabled again" lp_disable_unload "$P"
	fi
	lp_ok "$d: $M can be removed" lp_rmmod "$M"
}

midload patching
if ! lp_insmod "$P" || ! lp_enabled_settled "$P"; then
	lp_bail "cannot enable $P: $LP_OUT"
fi
midload unpatching

# --- the stack check's memory cannot be allocated until the module came ---
# failslab's stack filter fails only allocations made from the function
# that allocates the ranges, whoever calls it.
ranges_fn() {
	sort /proc/kallsyms | awk '
		found { print $1; exit }
		$3 ~ /^klp_alloc_ranges(\.|$)/ { printf "%s ", $1; found = 1 }'
}
failslab_set() {
	echo "$1" >"$FAILSLAB/probability"
}
range=$(ranges_fn)
if [[ ! -w "$FAILSLAB/require-start" || -z "$range" ]]; then
	lp_fail "failslab's stack filter and klp_alloc_ranges are there" \
		"$FAILSLAB/require-start: $(stat -c %A "$FAILSLAB/require-start" 2>&1)" \
		"klp_alloc_ranges: '${range}'"
	lp_bail "cannot run the allocation-failure case"
fi
read -r start end <<<"$range"
FS_KNOBS=(probability times task-filter ignore-gfp-wait verbose require-start require-end)
saved=$(cd "$FAILSLAB" && cat "${FS_KNOBS[@]}" | tr '\n' ' ')
restore_failslab() {
	local v
	read -r -a v <<<"$saved"
	failslab_set 0
	echo "${v[1]}" >"$FAILSLAB/times"
	echo "${v[2]}" >"$FAILSLAB/task-filter"
	echo "${v[3]}" >"$FAILSLAB/ignore-gfp-wait"
	echo "${v[4]}" >"$FAILSLAB/verbose"
	echo "${v[5]}" >"$FAILSLAB/require-start"
	echo "${v[6]}" >"$FAILSLAB/require-end"
}
echo -1 >"$FAILSLAB/times"
echo N >"$FAILSLAB/task-filter"
echo N >"$FAILSLAB/ignore-gfp-wait"
echo 0 >"$FAILSLAB/verbose"
echo "0x$start" >"$FAILSLAB/require-start"
echo "0x$end" >"$FAILSLAB/require-end"

park_relay || lp_bail "no reader parked at the busy gate"
failslab_set 100
lp_mark_log
lp_insmod "$P" || { restore_failslab; lp_bail "cannot load $P: $LP_OUT"; }
lp_ok "no ranges: the transition is held" lp_holds 1 lp_in_transition "$P"
lp_ok "no ranges: load $M during the transition" lp_insmod "$M"
lp_gate_open
lp_poll "$LP_TIMEOUT" relay_parked
failslab_set 0
lp_ok "ranges allocated at last: the reader in $M's function holds the transition" \
	lp_holds "$HOLD" lp_in_transition "$P"
restore_failslab
lp_write "$RELAY_GATE" open
lp_reader_result "$reader" "$out"
lp_eq "no ranges: the reader ran one version throughout" \
	"wait original then original" "$LP_READ"
lp_ok "no ranges: the transition completes" lp_enabled_settled "$P"
lp_ok "no ranges: no KASAN report or other splat" lp_no_splat
lp_disable_unload "$P"
lp_rmmod "$M"
lp_end
