#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Atomic replace.  test_lp_repl_a changes f1 and f2 of test_lp_mod_target
# and /proc/version (vmlinux); test_lp_repl_b, an atomic replace, changes
# only f1.  Once B's transition is done, f1 must run B and f2 and
# /proc/version the original code again (through the nop entries B got for
# them, which are dropped afterwards), and A must be gone: no sysfs
# directory, no reference on its module.  Disabling B restores everything.
# Three rounds: A an atomic replace itself, A an ordinary patch, and A
# replaced while test_lp_mod_target is not loaded.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_mod_target
A=test_lp_repl_a
B=test_lp_repl_b
F1=test_lp_mod_f1_show
F2=test_lp_mod_f2_show
PROC=/proc/test_lp_mod

lp_begin 68 "$T" "$A" "$B"

# outputs: what f1, f2 and /proc/version show now, one line each.
outputs() {
	printf 'f1: %s\nf2: %s\nversion: %s\n' "$(lp_read "$PROC/f1")" \
		"$(lp_read "$PROC/f2")" "$(lp_read /proc/version)"
}

# want F1 F2 VERSION: outputs as they should be.
want() {
	printf 'f1: %s\nf2: %s\nversion: %s\n' "$1" "$2" "$3"
}

# func_dirs PATCH: "<object>/<function,pos>" for each function directory.
func_dirs() {
	local d out=()
	for d in "$LP_SYSFS/$1"/*/*/; do
		[[ -d "$d" ]] || continue
		d=${d%/}
		out+=("${d#"$LP_SYSFS/$1/"}")
	done
	echo "${out[*]}"
}

# replace_round A_REPLACE [drop]: A (with replace=A_REPLACE) is enabled,
# then replaced by B; with "drop", test_lp_mod_target is unloaded before B
# comes and loaded again once A is gone.
replace_round() {
	local r="$1" drop="${2:-}" d
	d="A replace=$r${drop:+, $T absent}"

	# --- setup: A in force ---
	lp_ok "$d: load $A" lp_insmod "$A" "replace=$r" || lp_bail "cannot load $A: $LP_OUT"
	lp_ok "$d: $A's patching transition completes" lp_wait_transition "$A"
	lp_eq "$d: $A's replace reads $r" "$r" "$(lp_attr "$A" replace)"
	lp_eq "$d: f1, f2 and /proc/version run $A" \
		"$(want "$A: f1" "$A: f2" "$A: version")" "$(outputs)"
	if [[ -n "$drop" ]]; then
		lp_ok "$d: rmmod $T under $A" lp_rmmod "$T" || lp_bail "cannot remove $T: $LP_OUT"
	fi

	# --- act: B replaces A ---
	lp_mark_log
	lp_ok "$d: load $B" lp_insmod "$B" || lp_bail "cannot load $B: $LP_OUT"
	lp_ok "$d: $B's patching transition completes" lp_wait_transition "$B"
	lp_check_log "$d: kernel log of the replace" "\
livepatch: enabling patch '$B'
D livepatch: '$B': initializing patching transition
livepatch: '$B': starting patching transition
D livepatch: '$B': completing patching transition
livepatch: '$B': patching complete"
	lp_ok "$d: $A's sysfs directory goes away" lp_wait_gone "$A"
	lp_ok "$d: $A's module is released and can be removed" lp_unload_disabled "$A"
	if [[ -n "$drop" ]]; then
		lp_mark_log
		lp_ok "$d: load $T again" lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
		lp_check_log "$d: only $B is applied to $T" "\
livepatch: applying patch '$B' to loading module '$T'"
	fi

	# --- check: only B's own change is left ---
	lp_eq "$d: f1 runs $B, f2 and /proc/version the original" \
		"$(want "$B: f1" "$T: f2 original" "$VERSION")" "$(outputs)"
	lp_eq "$d: $B's enabled, transition, replace read 1 0 1" "1 0 1" \
		"$(lp_attr "$B" enabled) $(lp_attr "$B" transition) $(lp_attr "$B" replace)"
	lp_eq "$d: $B is the only patch: stack_order 1" 1 "$(lp_attr "$B" stack_order)"
	lp_eq "$d: $B's nops are gone, its own function is left" "$T/$F1,1" \
		"$(func_dirs "$B")"
	lp_check_not_ftraced "$d: f2 has no ftrace user" "$F2"
	lp_check_not_ftraced "$d: version_proc_show has no ftrace user" version_proc_show
	lp_check_ftraced "$d: f1 has an ftrace user" "$F1"

	# --- cleanup: disable B ---
	lp_ok "$d: disable $B" lp_write "$LP_SYSFS/$B/enabled" 0 ||
		lp_bail "cannot disable $B: $LP_ERR"
	lp_ok "$d: $B's sysfs directory goes away" lp_wait_gone "$B"
	lp_ok "$d: rmmod $B" lp_unload_disabled "$B"
	lp_eq "$d: f1, f2 and /proc/version run the original" "$ORIG" "$(outputs)"
	lp_check_not_ftraced "$d: f1 has no ftrace user" "$F1"
}

lp_ok "load $T" lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
VERSION=$(lp_read /proc/version)
ORIG=$(want "$T: f1 original" "$T: f2 original" "$VERSION")

replace_round 1
replace_round 0
replace_round 1 drop

lp_ok "rmmod $T" lp_rmmod "$T"

lp_end
