#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# System states handed on between cumulative patches.  test_lp_state_1 to
# _4 are one patch under four names: with state TEST_LP_STATE_ID
# declared (parameter version=N), its pre_patch takes the state's data
# over from the newest earlier patch through klp_get_prev_state(), or sets
# it up, and its post_unpatch hands the data back to an earlier patch or
# frees it when none is left (see test_lp_state_1.c).  /proc/cmdline shows
# the patch in force and the data it sees.  Checked: who sets up, takes
# over and frees the data, exactly once each; that an older version or a
# replacing patch without the state is refused with nothing changed; that
# a reverted takeover gives the data back.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

P1=test_lp_state_1
P2=test_lp_state_2
P3=test_lp_state_3
P4=test_lp_state_4
T=test_lp_target

lp_begin 69 "$T" "$P1" "$P2" "$P3" "$P4"

tmp=$(mktemp -d)
out=$tmp/reader
cmdline=$(cat /proc/cmdline)

# --- helpers ------------------------------------------------------------------

# st_log: the kernel log since the mark, only lines of the core and of the
# test_lp_state_* modules, without the one-time taint notices.
st_log() {
	lp_log | grep -E '^(livepatch|test_lp_state_[0-9]+): ' |
		grep -Ev 'taint|module verification failed'
}

# st_check_log DESC EXPECTED: st_log is exactly EXPECTED; "D " lines are
# the core's pr_debug messages, dropped without dynamic debug.
st_check_log() {
	local want got
	if lp_have_dyndbg; then
		want=$(awk '{ sub(/^D /, "") } 1' <<<"$2")
	else
		want=$(grep -v '^D ' <<<"$2")
	fi
	got=$(st_log)
	if [[ "$want" == "$got" ]]; then
		lp_pass "$1"
	else
		lp_fail "$1" "kernel log since the mark, wanted:" "$want" "got:" "$got"
	fi
}

# enable_log PATCH LINE...: the log of enabling PATCH, whose pre_patch
# logs LINE...
enable_log() {
	local p="$1"
	shift
	printf '%s\n' "livepatch: enabling patch '$p'" \
		"D livepatch: '$p': initializing patching transition"
	printf '%s\n' "$@" | sed -e "s/^/$p: /"
	printf '%s\n' "livepatch: '$p': starting patching transition" \
		"D livepatch: '$p': completing patching transition" \
		"livepatch: '$p': patching complete"
}

# disable_log PATCH LINE...: the log of disabling PATCH, whose
# post_unpatch logs LINE...
disable_log() {
	local p="$1"
	shift
	printf '%s\n' "D livepatch: '$p': initializing unpatching transition" \
		"livepatch: '$p': starting unpatching transition" \
		"D livepatch: '$p': completing unpatching transition"
	printf '%s\n' "$@" | sed -e "s/^/$p: /"
	printf '%s\n' "livepatch: '$p': unpatching complete"
}

incompatible() {
	echo "livepatch: Livepatch patch ($1) is not compatible" \
		"with the already installed livepatches."
}

# refused DESC MOD PARAM...: loading MOD is refused with -EINVAL, logs only
# the core's incompatibility error, and changes nothing: the patches in
# force, /proc/cmdline and their module references stay as they were.
refused() {
	local desc="$1" mod="$2" before refs
	shift 2
	before=$(lp_read /proc/cmdline)
	refs=$(lp_mod_refcnt "$P3")
	lp_mark_log
	if lp_insmod "$mod" "$@"; then
		lp_fail "$desc: refused" "insmod succeeded"
	else
		lp_match "$desc: refused with EINVAL" "Invalid (argument|parameters)" "$LP_OUT"
	fi
	st_check_log "$desc: only the core's error is logged, no callback ran" \
		"$(incompatible "$mod")"
	lp_check_klp_line "$desc: the error is logged at error level" err \
		"Livepatch patch ($mod) is not compatible"
	lp_ok "$desc: nothing of $mod stays" lp_mod_gone "$mod"
	lp_eq "$desc: the patch in force and its data are unchanged" \
		"$before" "$(lp_read /proc/cmdline)"
	lp_eq "$desc: $P3 is still enabled, with one module reference" \
		"1 $refs" "$(lp_attr "$P3" enabled) $(lp_mod_refcnt "$P3")"
}

# --- 1. the first patch sets the state up -------------------------------------------

lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
lp_mark_log
lp_ok "enable $P1 with state version 1" lp_insmod "$P1" version=1
lp_ok "its transition completes" lp_enabled_settled "$P1"
st_check_log "$P1's pre_patch finds no earlier state and sets the data up" \
	"$(enable_log "$P1" "pre_patch: setting up the state data, v1")"
lp_eq "$P1 sees its data" "$P1: state v1, data v1 of $P1, 0 handovers" \
	"$(lp_read /proc/cmdline)"

# --- 2. a replacement with the same version takes over ------------------------------

lp_mark_log
lp_ok "enable $P2, replacing, with state version 1" lp_insmod "$P2" version=1
lp_ok "its transition completes" lp_enabled_settled "$P2"
lp_ok "the replaced $P1 goes away" lp_wait_gone "$P1"
st_check_log "$P2 takes over $P1's data; $P1's callbacks do not run" \
	"$(enable_log "$P2" "pre_patch: taking over the state data of $P1, v1, handover 1")"
lp_eq "$P2 sees the data $P1 set up" "$P2: state v1, data v1 of $P1, 1 handovers" \
	"$(lp_read /proc/cmdline)"
lp_mark_log
lp_ok "remove $P1's module" lp_unload_disabled "$P1"
st_check_log "nothing is freed when $P1 goes" ""
lp_eq "the data outlives $P1's module" "$P2: state v1, data v1 of $P1, 1 handovers" \
	"$(lp_read /proc/cmdline)"

# --- 3. a replacement with a higher version takes over and upgrades -------------------

lp_mark_log
lp_ok "enable $P3, replacing, with state version 2" lp_insmod "$P3" version=2
lp_ok "its transition completes" lp_enabled_settled "$P3"
lp_ok "the replaced $P2 goes away" lp_wait_gone "$P2"
st_check_log "$P3 takes over and upgrades the data" \
	"$(enable_log "$P3" "pre_patch: taking over the state data of $P1, v1, handover 2" \
		"pre_patch: upgrading the state data to v2")"
lp_eq "$P3 sees the upgraded data" "$P3: state v2, data v2 of $P1, 2 handovers" \
	"$(lp_read /proc/cmdline)"
lp_ok "remove $P2's module" lp_unload_disabled "$P2"

# --- 4. what must be refused ------------------------------------------------------------

refused "version 1 replacing version 2" "$P1" version=1
refused "version 1 added on top of version 2" "$P1" version=1 replace=0
refused "a replacement that drops the state" "$P4" version=0

# --- 5. a patch on top that does not touch the state ------------------------------------

lp_mark_log
lp_ok "enable $P4 without the state, not replacing" lp_insmod "$P4" version=0 replace=0
lp_ok "its transition completes" lp_enabled_settled "$P4"
st_check_log "$P4's pre_patch has no state to look at" \
	"$(enable_log "$P4" "pre_patch: no state")"
lp_eq "$P3 stays enabled below it" 1 "$(lp_attr "$P3" enabled)"
lp_eq "/proc/cmdline runs the top patch" "$P4: no state" "$(lp_read /proc/cmdline)"
lp_mark_log
lp_ok "disable $P4" lp_disable_unload "$P4"
st_check_log "$P4's post_unpatch has no state to hand back" \
	"$(disable_log "$P4" "post_unpatch: no state")"
lp_eq "$P3's data is untouched" "$P3: state v2, data v2 of $P1, 2 handovers" \
	"$(lp_read /proc/cmdline)"

# --- 6. a takeover that is reverted hands the data back --------------------------------

if ! lp_gate_close || ! lp_park_reader "$out"; then
	lp_bail "no reader parked at the busy gate"
fi
reader=$LP_BG
lp_mark_log
lp_ok "enable $P2 (version 2, replacing) while a task sleeps in $P3's busy function" \
	lp_insmod "$P2" version=2
lp_ok "the patching transition waits for that task" lp_holds 2 lp_in_transition "$P2"
lp_eq "$P2's own code calls klp_get_prev_state() during its transition" \
	"$P2: state v2, data v2 of $P1, 3 handovers, previous v2" "$(lp_read /proc/cmdline)"
st_check_log "$P2's pre_patch took the data over before the transition" \
	"$(printf '%s\n' "livepatch: enabling patch '$P2'" \
		"D livepatch: '$P2': initializing patching transition" \
		"$P2: pre_patch: taking over the state data of $P1, v2, handover 3" \
		"livepatch: '$P2': starting patching transition")"
lp_mark_log
lp_write_ok "write 0 to $P2's enabled during the transition" "$LP_SYSFS/$P2/enabled" 0
lp_ok "the reversed transition completes" lp_wait_transition "$P2"
lp_ok "the reverted $P2 goes away" lp_wait_gone "$P2"
st_check_log "$P2's post_unpatch finds $P3's state and hands the data back" \
	"$(printf '%s\n' "D livepatch: '$P2': reversing transition from patching to unpatching"
	disable_log "$P2" "post_unpatch: handing the state data back, v2" | sed 1d)"
lp_gate_open
lp_reader_result "$reader" "$out"
lp_eq "the task leaves $P3's function with its result" "$P3: patched" "$LP_READ"
lp_eq "$P3 is in force with its data back" "$P3: state v2, data v2 of $P1, 3 handovers" \
	"$(lp_read /proc/cmdline)"
lp_eq "$P3 is still enabled" 1 "$(lp_attr "$P3" enabled)"
lp_ok "remove $P2's module" lp_unload_disabled "$P2"

# --- 7. the last patch with the state frees it ------------------------------------------

lp_mark_log
lp_write_ok "disable $P3" "$LP_SYSFS/$P3/enabled" 0
lp_ok "the patch goes away" lp_wait_gone "$P3"
st_check_log "$P3's post_unpatch frees the data, once" \
	"$(disable_log "$P3" "post_unpatch: freeing the state data of $P1, v2, after 3 handovers")"
lp_eq "/proc/cmdline is the original" "$cmdline" "$(lp_read /proc/cmdline)"
lp_ok "remove $P3's module" lp_unload_disabled "$P3"

# --- 8. nothing lingers: a new version 2 patch starts afresh ------------------------------

lp_mark_log
lp_ok "enable $P3 with state version 2 on its own" lp_insmod "$P3" version=2
lp_ok "its transition completes" lp_enabled_settled "$P3"
st_check_log "no earlier state: $P3 sets up new data" \
	"$(enable_log "$P3" "pre_patch: setting up the state data, v2")"
lp_eq "$P3 sees its own data" "$P3: state v2, data v2 of $P3, 0 handovers" \
	"$(lp_read /proc/cmdline)"
lp_mark_log
lp_ok "disable and remove $P3" lp_disable_unload "$P3"
st_check_log "$P3 frees its data" \
	"$(disable_log "$P3" "post_unpatch: freeing the state data of $P3, v2, after 0 handovers")"

lp_ok "remove $T" lp_rmmod "$T"
lp_not "none of this script's modules is left" \
	grep -Eq "^(test_lp_state_[0-9]+|$T) " /proc/modules

rm -rf "$tmp"
lp_end
