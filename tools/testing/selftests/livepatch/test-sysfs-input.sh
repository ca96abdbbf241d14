#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Bad and borderline input to a patch's sysfs files.  "enabled" takes what
# kstrtobool() takes and refuses, with EINVAL, anything else and any
# request for the state the patch is already in; "transition" and
# "replace" are read-only; "force" is write-only and only means something
# during a transition.  Every refused write must leave the patch as it was.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

P=test_lp_basic
CM=test_lp_cm
T=test_lp_target
PATCHED_CMDLINE="test_lp_basic: patched cmdline"

lp_begin 58 "$T" "$P" "$CM"

# basic_is_live: test_lp_basic enabled, not in transition, in effect,
# and holding its module.  Says what differs.
basic_is_live() {
	local got
	got="enabled=$(lp_attr "$P" enabled) transition=$(lp_attr "$P" transition)"
	got+=" cmdline='$(lp_read /proc/cmdline)' refcnt=$(lp_mod_refcnt "$P")"
	[[ "$got" == "enabled=1 transition=0 cmdline='$PATCHED_CMDLINE' refcnt=1" ]] && return 0
	echo "$got"
	return 1
}

check_live() {
	local why
	if why=$(basic_is_live); then
		lp_pass "$1"
	else
		lp_fail "$1" "$why"
	fi
}

load_basic() {
	lp_insmod "$P" && lp_wait_transition "$P"
}

cmdline=$(cat /proc/cmdline)
lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
load_basic || lp_bail "cannot enable $P: $LP_OUT"

# --- file modes ---
lp_eq "enabled is mode 644" 644 "$(stat -c %a "$LP_SYSFS/$P/enabled")"
lp_eq "transition is mode 444" 444 "$(stat -c %a "$LP_SYSFS/$P/transition")"
lp_eq "force is mode 200" 200 "$(stat -c %a "$LP_SYSFS/$P/force")"
lp_eq "replace is mode 444" 444 "$(stat -c %a "$LP_SYSFS/$P/replace")"

# --- enabled: input kstrtobool() refuses, and requests for the same state ---
for v in garbage 2 -1 o "" 1 on yes True; do
	case "$v" in
	1|on|yes|True) what="a request for the current state" ;;
	*) what="bad input" ;;
	esac
	lp_write_err "enabled refuses $what, '$v', with EINVAL" \
		"$LP_SYSFS/$P/enabled" "$v" "Invalid argument"
	check_live "the patch is unchanged after writing '$v'"
done
# More than a page: sysfs itself may refuse it (E2BIG) if it comes in one
# write(2); otherwise the first page reaches kstrtobool() as garbage.
long=$(printf 'x%.0s' {1..5000})
if lp_write "$LP_SYSFS/$P/enabled" "$long"; then
	lp_fail "enabled refuses 5000 characters" "the write succeeded"
else
	lp_match "enabled refuses 5000 characters" \
		"^(Invalid argument|Argument list too long)$" "$LP_ERR"
fi
check_live "the patch is unchanged after writing 5000 characters"

# --- read-only and write-only files ---
lp_write_err "transition cannot be written" "$LP_SYSFS/$P/transition" 0 "Permission denied"
lp_write_err "replace cannot be written" "$LP_SYSFS/$P/replace" 1 "Permission denied"
lp_write_err "an object's patched cannot be written" "$LP_SYSFS/$P/vmlinux/patched" 0 \
	"Permission denied"
lp_not "force cannot be read" cat "$LP_SYSFS/$P/force"
lp_write_err "force refuses 1 outside a transition with EINVAL" "$LP_SYSFS/$P/force" 1 \
	"Invalid argument"
lp_write_err "force refuses garbage with EINVAL" "$LP_SYSFS/$P/force" maybe "Invalid argument"
lp_write_ok "force accepts 0, which asks for nothing (as 6.12)" "$LP_SYSFS/$P/force" 0
check_live "the patch is unchanged after the writes to other files"

# --- enabled: each spelling of false disables ---
for v in n off F 0; do
	if lp_write "$LP_SYSFS/$P/enabled" "$v" && lp_wait_transition "$P" && lp_wait_gone "$P" &&
	   [[ "$(lp_read /proc/cmdline)" == "$cmdline" ]]; then
		lp_pass "writing '$v' to enabled disables the patch"
	else
		lp_fail "writing '$v' to enabled disables the patch" "error: '$LP_ERR'" \
			"enabled=$(lp_attr "$P" enabled) cmdline='$(lp_read /proc/cmdline)'"
	fi
	lp_wait_unref "$P" && lp_rmmod "$P"
	[[ "$v" == 0 ]] || load_basic || lp_bail "cannot enable $P again: $LP_OUT"
done

# --- enabled during transitions, held up by a reader at the busy gate ---
out=$(mktemp)
lp_gate_close || lp_bail "cannot close the busy gate"
lp_park_reader "$out" || lp_bail "no reader parked at the busy gate"
reader=$LP_BG
lp_ok "load $CM while a reader sleeps in the old function" lp_insmod "$CM"
lp_ok "$CM stays in its patching transition" lp_holds 1 lp_in_transition "$CM"
lp_eq "enabled reads 1 during the patching transition" 1 "$(lp_attr "$CM" enabled)"
lp_write_err "enabled refuses 1 during the patching transition" \
	"$LP_SYSFS/$CM/enabled" 1 "Invalid argument"
lp_write_err "enabled refuses garbage during the patching transition" \
	"$LP_SYSFS/$CM/enabled" x "Invalid argument"
lp_eq "still enabled and in transition" "1 1" \
	"$(lp_attr "$CM" enabled) $(lp_attr "$CM" transition)"
lp_gate_open
lp_reader_result "$reader" "$out"
lp_eq "the reader got the original" "test_lp_target: original" "$LP_READ"
lp_ok "the patching transition completes once the reader left" lp_wait_transition "$CM"

lp_gate_close
lp_park_reader "$out" || lp_bail "no reader parked at the busy gate"
reader=$LP_BG
lp_mark_log
lp_write_ok "write 0 while a reader sleeps in the new function" "$LP_SYSFS/$CM/enabled" 0
lp_ok "$CM stays in its unpatching transition" lp_holds 1 lp_in_transition "$CM"
lp_eq "enabled reads 0 during the unpatching transition" 0 "$(lp_attr "$CM" enabled)"
lp_write_err "enabled refuses 0 during the unpatching transition" \
	"$LP_SYSFS/$CM/enabled" 0 "Invalid argument"
lp_write_err "enabled refuses 'off' during the unpatching transition" \
	"$LP_SYSFS/$CM/enabled" off "Invalid argument"
lp_eq "still disabled and in transition" "0 1" \
	"$(lp_attr "$CM" enabled) $(lp_attr "$CM" transition)"
lp_write_ok "writing 'on' reverses the unpatching transition" "$LP_SYSFS/$CM/enabled" on
lp_ok "the reversed transition completes with the reader still inside" \
	lp_wait_transition "$CM"
lp_eq "enabled reads 1 after the reversal" 1 "$(lp_attr "$CM" enabled)"
lp_check_log "kernel log of the reversal" "\
D livepatch: '$CM': initializing unpatching transition
livepatch: '$CM': starting unpatching transition
D livepatch: '$CM': reversing transition from unpatching to patching
livepatch: '$CM': starting patching transition
D livepatch: '$CM': completing patching transition
livepatch: '$CM': patching complete"
lp_gate_open
lp_reader_result "$reader" "$out"
lp_eq "the reader got the new function's output" "$CM: patched" "$LP_READ"
rm -f "$out"

lp_write_ok "disable $CM" "$LP_SYSFS/$CM/enabled" 0
lp_ok "$CM goes away" lp_wait_gone "$CM"
lp_ok "remove $CM" lp_poll "$LP_TIMEOUT" lp_rmmod "$CM"

lp_end
