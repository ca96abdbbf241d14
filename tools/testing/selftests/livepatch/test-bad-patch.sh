#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Patches with one defect each (test_lp_bad defect=<name>).  A refused
# patch must fail its module load with EINVAL and a message naming what is
# wrong, and leave nothing behind: no sysfs directory, no ftrace user, no
# loaded module, every function unchanged.  The valid variants, a symbol
# picked by position and an object with callbacks only, must work, and so
# must a good patch loaded after all the bad ones.  Patches with empty
# arrays change nothing: 6.12 accepts them, generated patches use them as
# markers, and so they load with a warning.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

B=test_lp_bad
U=test_lp_unmarked
T=test_lp_target
DUP=test_lp_dup_show

lp_begin 127 "$T" "$B" "$U"

# outputs: what every patchable file shows now.
outputs() {
	local f
	for f in /proc/cmdline "$LP_PROC/plain" "$LP_PROC/dup_a" "$LP_PROC/dup_b"; do
		printf '%s: %s\n' "$f" "$(lp_read "$f")"
	done
}

# check_unloaded DESC_PREFIX MOD: the module and its patch are gone.
check_unloaded() {
	lp_ok "$1: no $LP_SYSFS/$2 left" lp_gone "$2"
	lp_not "$1: $2 is not loaded" lp_mod_loaded "$2"
}

# check_refused DEFECT FUNC [WORD...]: loading test_lp_bad with DEFECT fails
# with EINVAL before anything is enabled; neither test_lp_target nor FUNC
# keep a reference or an ftrace user.  With WORDs, the core logs an error
# that contains all of them (6.12's wording is not required, the facts are).
check_refused() {
	local defect="$1" func="$2" d="defect $1"
	shift 2
	lp_mark_log
	if lp_insmod "$B" "defect=$defect"; then
		lp_fail "$d: the module load fails" "insmod succeeded"
		lp_disable_unload "$B"
	else
		lp_match "$d: the module load fails" "Invalid (parameters|argument)" "$LP_OUT"
	fi
	lp_log_has "$d: klp_enable_patch() returns -EINVAL" \
		"$B: defect '$defect': klp_enable_patch() failed: -22"
	(($# == 0)) || lp_check_klp_line "$d: the core's error names $*" err "$@"
	lp_not "$d: refused before enabling anything" \
		grep -q "^livepatch: enabling patch '$B'" <(lp_log)
	check_unloaded "$d" "$B"
	lp_eq "$d: no reference left on $T" 0 "$(lp_mod_refcnt "$T")"
	lp_check_not_ftraced "$d: no ftrace user on $func" "$func"
	lp_eq "$d: no patchable function changed" "$orig" "$(outputs)"
}

# check_empty DEFECT WORD: a patch that would change nothing.  6.12
# accepts it and generated patches use such markers, so it loads, with a
# warning that contains WORD, enables, changes nothing and goes again.
check_empty() {
	local defect="$1" d="defect $1 (changes nothing)"
	lp_mark_log
	lp_ok "$d: loads" lp_insmod "$B" "defect=$defect"
	lp_check_klp_line "$d: the core warns that it changes nothing" warn \
		"'$B'" "$2" "changes nothing"
	lp_ok "$d: enabled after its transition" lp_enabled_settled "$B"
	lp_eq "$d: no patchable function changed" "$orig" "$(outputs)"
	lp_ok "$d: disables and unloads" lp_disable_unload "$B"
}

lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
orig=$(outputs)
lp_eq "$T has two local symbols named $DUP" 2 \
	"$(grep -c " $DUP	\[$T\]" /proc/kallsyms)"

# --- refused by the core ---
check_refused unknown_symbol cmdline_proc_show "'test_lp_no_such_function'"
check_refused ambiguous "$DUP" "'$DUP'" "'$T'"
check_refused sympos_beyond "$DUP" "'$DUP'" "'$T'" 3
check_refused sympos_unique test_lp_plain_show "'test_lp_plain_show'" "'$T'" 2
check_refused null_new_func cmdline_proc_show
check_refused null_old_name cmdline_proc_show
check_refused long_name cmdline_proc_show
check_refused long_objname test_lp_plain_show
check_refused null_funcs test_lp_plain_show
check_refused null_objs cmdline_proc_show

lp_mark_log
if lp_insmod "$U"; then
	lp_fail "a module without the livepatch modinfo tag cannot enable a patch"
	lp_disable_unload "$U"
else
	lp_match "a module without the livepatch modinfo tag cannot enable a patch" \
		"Invalid (parameters|argument)" "$LP_OUT"
fi
lp_log_has "unmarked module: the core says why" \
	"livepatch: module $U is not marked as a livepatch module"
check_unloaded "unmarked module" "$U"
lp_eq "unmarked module: no patchable function changed" "$orig" "$(outputs)"

# --- valid: a symbol chosen by position ---
d="defect sympos2 (valid)"
lp_ok "$d: loads" lp_insmod "$B" defect=sympos2
lp_ok "$d: transition completes" lp_wait_transition "$B"
lp_ok "$d: function directory is $DUP,2" test -d "$LP_SYSFS/$B/$T/$DUP,2"
lp_eq "$d: the second $DUP is replaced" "test_lp_bad: patched dup" \
	"$(lp_read "$LP_PROC/dup_b")"
lp_eq "$d: the first $DUP is not" "test_lp_target: dup a original" \
	"$(lp_read "$LP_PROC/dup_a")"
lp_write_ok "$d: disables" "$LP_SYSFS/$B/enabled" 0
lp_ok "$d: unloads" lp_unload_disabled "$B"

# --- valid: an object with callbacks and no functions (test-state in 6.12) ---
d="defect callbacks_only (valid)"
lp_mark_log
lp_ok "$d: loads" lp_insmod "$B" defect=callbacks_only
lp_ok "$d: enabled after its transition" lp_enabled_settled "$B"
lp_log_has "$d: its pre_patch callback ran" "$B: pre_patch callback for 'vmlinux'"
lp_ok "$d: disables and unloads" lp_disable_unload "$B"
lp_log_has "$d: its post_unpatch callback ran" "$B: post_unpatch callback for 'vmlinux'"

# --- patches that change nothing ---
check_empty empty_funcs "neither functions nor callbacks"
check_empty empty_objs "no objects"

# --- a defect found only when the patched module loads ---
d="ambiguous symbol in a module loaded later"
lp_rmmod "$T" || lp_bail "cannot remove $T: $LP_OUT"
lp_mark_log
lp_ok "$d: the patch loads while $T is absent" lp_insmod "$B" defect=ambiguous
lp_ok "$d: transition completes" lp_wait_transition "$B"
lp_eq "$d: $T/patched reads 0" 0 "$(lp_attr "$B" "$T/patched")"
lp_mark_log
if lp_insmod "$T"; then
	lp_fail "$d: loading $T fails" "insmod succeeded"
else
	lp_match "$d: loading $T fails" "Invalid (parameters|argument)" "$LP_OUT"
fi
lp_check_klp_line "$d: the core's error names the symbol and $T" err "'$DUP'" "'$T'"
lp_log_has "$d: the core says it refused $T" \
	"livepatch: patch '$B' failed for module '$T', refusing to load module '$T'"
lp_not "$d: $T is not loaded" lp_mod_loaded "$T"
lp_eq "$d: the patch stays enabled" "1 0" \
	"$(lp_attr "$B" enabled) $(lp_attr "$B" transition)"
lp_ok "$d: the patch disables and unloads" lp_disable_unload "$B"
lp_ok "$d: $T loads once the patch is gone" lp_insmod "$T"

# --- after all that, a good patch still works ---
d="defect none (valid)"
lp_ok "$d: loads" lp_insmod "$B" defect=none
lp_ok "$d: transition completes" lp_wait_transition "$B"
lp_eq "$d: /proc/cmdline is patched" "test_lp_bad: patched cmdline" "$(lp_read /proc/cmdline)"
lp_ok "$d: disables and unloads" lp_disable_unload "$B"
lp_eq "$d: every patchable function is back to the original" "$orig" "$(outputs)"

lp_end
