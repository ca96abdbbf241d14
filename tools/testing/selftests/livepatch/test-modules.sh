#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Patched modules that come and go.  test_lp_mod_patch replaces f1 of
# test_lp_mod_target and test_lp_mod_probe(), which the target's init
# calls.  Patch first and module later: the module is patched before its
# init runs.  The module unloaded and reloaded five times under the patch:
# reverted on each unload, patched again on each load.  Module first and
# patch later.  Last, test_lp_mod_bad, which patches /proc/version and a
# function the module lacks: it works while the module is absent, the core
# refuses the module when it comes, and the patch stays as it was.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_mod_target
P=test_lp_mod_patch
BAD=test_lp_mod_bad
MISSING=test_lp_mod_no_such_func
PROC=/proc/test_lp_mod
RELOADS=5

lp_begin $((9 + RELOADS * 7 + 1 + 15 + 18)) "$T" "$P" "$BAD"

# shows: what f1 and the target's init saw, one line each.
shows() {
	printf '%s\n%s\n' "$(lp_read "$PROC/f1")" "$(lp_read "$PROC/init")"
}

# want F1 INIT: shows as it should be.
want() {
	printf '%s\n%s\n' "$1" "$T: init saw $2"
}

# check_klp_line DESC WORD...: a line of the core since the mark contains
# every WORD; what a message says matters here, not how it is worded.
check_klp_line() {
	local desc="$1" line w ok
	shift
	while IFS= read -r line; do
		ok=1
		for w in "$@"; do
			[[ "$line" == *"$w"* ]] || ok=0
		done
		if ((ok)); then
			lp_pass "$desc"
			return 0
		fi
	done < <(lp_klp_log)
	lp_fail "$desc" "no livepatch: line with all of: $*" "$(lp_klp_log)"
}

target_absent() {
	! lp_mod_loaded "$T" && [[ ! -e "$PROC" ]]
}

# --- setup: no test_lp_mod_target yet ---
if lp_mod_loaded "$T"; then
	lp_rmmod "$T" || lp_bail "$T is loaded and cannot be removed: $LP_OUT"
fi
VERSION=$(lp_read /proc/version)

# --- patch first, module later ---
lp_ok "load $P while $T is absent" lp_insmod "$P" || lp_bail "cannot load $P: $LP_OUT"
lp_ok "$P's patching transition completes" lp_wait_transition "$P"
lp_eq "$P/$T/patched reads 0 while $T is absent" 0 "$(lp_attr "$P" "$T/patched")"
lp_mark_log
lp_ok "load $T under $P" lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
lp_check_log "kernel log of $T coming" "\
livepatch: applying patch '$P' to loading module '$T'"
lp_eq "$T's init already ran the patched probe" "$T: init saw patched" \
	"$(lp_read "$PROC/init")"
lp_eq "f1 runs $P" "$P: f1" "$(lp_read "$PROC/f1")"
lp_eq "$P/$T/patched reads 1" 1 "$(lp_attr "$P" "$T/patched")"
lp_check_ftraced "f1 has an ftrace user" test_lp_mod_f1_show

# --- the patched module goes and comes back, several times ---
for ((i = 1; i <= RELOADS; i++)); do
	d="reload $i/$RELOADS"
	lp_mark_log
	lp_ok "$d: rmmod $T under $P" lp_rmmod "$T" || lp_bail "cannot remove $T: $LP_OUT"
	lp_check_log "$d: kernel log of $T going" "\
livepatch: reverting patch '$P' on unloading module '$T'"
	lp_eq "$d: $P/$T/patched reads 0" 0 "$(lp_attr "$P" "$T/patched")"
	lp_mark_log
	lp_ok "$d: load $T" lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
	lp_check_log "$d: kernel log of $T coming" "\
livepatch: applying patch '$P' to loading module '$T'"
	lp_eq "$d: f1 and init run $P" "$(want "$P: f1" patched)" "$(shows)"
	lp_eq "$d: $P/$T/patched reads 1" 1 "$(lp_attr "$P" "$T/patched")"
done
lp_eq "$P is still enabled and not in transition" "1 0" \
	"$(lp_attr "$P" enabled) $(lp_attr "$P" transition)"

# --- module first, patch later ---
lp_ok "disable $P" lp_write "$LP_SYSFS/$P/enabled" 0
lp_ok "$P's sysfs directory goes away" lp_wait_gone "$P"
lp_ok "rmmod $P" lp_unload_disabled "$P"
lp_eq "f1 runs the original again" "$T: f1 original" "$(lp_read "$PROC/f1")"
lp_ok "rmmod $T" lp_rmmod "$T"
lp_ok "load $T without a patch" lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
lp_eq "$T's init ran the original probe" "$(want "$T: f1 original" original)" "$(shows)"
lp_mark_log
lp_ok "load $P while $T is loaded" lp_insmod "$P" || lp_bail "cannot load $P: $LP_OUT"
lp_ok "$P's patching transition completes" lp_wait_transition "$P"
lp_check_log "kernel log of enabling $P over a loaded $T" "\
livepatch: enabling patch '$P'
D livepatch: '$P': initializing patching transition
livepatch: '$P': starting patching transition
D livepatch: '$P': completing patching transition
livepatch: '$P': patching complete"
lp_eq "f1 runs $P" "$P: f1" "$(lp_read "$PROC/f1")"
lp_eq "what init saw does not change" "$T: init saw original" "$(lp_read "$PROC/init")"
lp_eq "$P/$T/patched reads 1" 1 "$(lp_attr "$P" "$T/patched")"
lp_ok "disable and remove $P" lp_disable_unload "$P"
lp_eq "f1 runs the original again" "$T: f1 original" "$(lp_read "$PROC/f1")"

# --- a patch that cannot be applied to the module refuses the module ---
lp_ok "rmmod $T" lp_rmmod "$T"
lp_ok "load $BAD while $T is absent" lp_insmod "$BAD" || lp_bail "cannot load $BAD: $LP_OUT"
lp_ok "$BAD's patching transition completes" lp_wait_transition "$BAD"
lp_eq "/proc/version runs $BAD" "$BAD: version" "$(lp_read /proc/version)"
lp_eq "$BAD/$T/patched reads 0" 0 "$(lp_attr "$BAD" "$T/patched")"
lp_ok "$BAD has a directory for $MISSING" test -d "$LP_SYSFS/$BAD/$T/$MISSING,1"
lp_mark_log
if lp_insmod "$T"; then
	lp_fail "loading $T under $BAD fails" "insmod succeeded"
else
	lp_pass "loading $T under $BAD fails"
	lp_diag "insmod: $LP_OUT"
fi
lp_log_has "the core says it refused $T" \
	"livepatch: patch '$BAD' failed for module '$T', refusing to load module '$T'"
check_klp_line "the core's error names $MISSING" "'$MISSING'"
lp_ok "$T is not loaded, $PROC does not exist" target_absent
lp_eq "$BAD stays enabled and not in transition" "1 0" \
	"$(lp_attr "$BAD" enabled) $(lp_attr "$BAD" transition)"
lp_eq "/proc/version still runs $BAD" "$BAD: version" "$(lp_read /proc/version)"
lp_eq "$BAD/$T/patched still reads 0" 0 "$(lp_attr "$BAD" "$T/patched")"
lp_check_ftraced "version_proc_show still has an ftrace user" version_proc_show
lp_not "a second load of $T is refused too" lp_insmod "$T"
lp_ok "disable and remove $BAD" lp_disable_unload "$BAD"
lp_ok "$T loads once $BAD is gone" lp_insmod "$T"
lp_eq "f1 and /proc/version run the original" \
	"$T: f1 original $VERSION" "$(lp_read "$PROC/f1") $(lp_read /proc/version)"

lp_end
