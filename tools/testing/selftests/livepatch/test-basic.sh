#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The life of one live patch: enable, look at it through its output and
# sysfs, try to remove its module while it is live, unload and reload the
# module it patches, disable it, remove it.  test_lp_basic replaces one
# vmlinux function (/proc/cmdline) and one test_lp_target function
# (/proc/test_lp/plain).

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

P=test_lp_basic
T=test_lp_target
PLAIN=$LP_PROC/plain

lp_begin 37 "$T" "$P"

cmdline=$(cat /proc/cmdline)

# --- setup: the target module, unpatched ---
lp_ok "load $T" lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
lp_eq "$PLAIN shows the original before patching" \
	"test_lp_target: original" "$(lp_read "$PLAIN")"

# --- enable ---
lp_mark_log
lp_ok "load $P" lp_insmod "$P" || lp_bail "cannot load $P: $LP_OUT"
lp_ok "patching transition completes" lp_wait_transition "$P"
lp_eq "enabled reads 1" 1 "$(lp_attr "$P" enabled)"
lp_eq "transition reads 0" 0 "$(lp_attr "$P" transition)"
lp_eq "replace reads 0 (not an atomic-replace patch)" 0 "$(lp_attr "$P" replace)"
lp_eq "one object directory per object, named after it" "$T vmlinux" \
	"$(lp_subdirs "$LP_SYSFS/$P")"
lp_ok "function directory vmlinux/cmdline_proc_show,1" \
	test -d "$LP_SYSFS/$P/vmlinux/cmdline_proc_show,1"
lp_ok "function directory $T/test_lp_plain_show,1" \
	test -d "$LP_SYSFS/$P/$T/test_lp_plain_show,1"
lp_eq "vmlinux/patched reads 1" 1 "$(lp_attr "$P" vmlinux/patched)"
lp_eq "$T/patched reads 1" 1 "$(lp_attr "$P" "$T/patched")"
lp_eq "/proc/cmdline runs the new vmlinux function" \
	"test_lp_basic: patched cmdline" "$(lp_read /proc/cmdline)"
lp_eq "$PLAIN runs the new module function" \
	"test_lp_basic: patched" "$(lp_read "$PLAIN")"
lp_check_ftraced "cmdline_proc_show has an ftrace user" cmdline_proc_show
lp_check_log "kernel log of enabling" "\
livepatch: enabling patch '$P'
D livepatch: '$P': initializing patching transition
livepatch: '$P': starting patching transition
D livepatch: '$P': completing patching transition
livepatch: '$P': patching complete"

# --- an enabled patch pins its module ---
lp_eq "the enabled patch holds one reference on $P" 1 "$(lp_mod_refcnt "$P")"
if lp_rmmod "$P"; then
	lp_fail "rmmod $P is refused while the patch is enabled" "rmmod succeeded"
else
	lp_match "rmmod $P is refused while the patch is enabled" "is in use" "$LP_OUT"
fi
lp_eq "the patch still works after the refused rmmod" \
	"test_lp_basic: patched cmdline" "$(lp_read /proc/cmdline)"

# --- the patched module goes away and comes back ---
lp_mark_log
lp_ok "rmmod $T is allowed while it is patched" lp_rmmod "$T"
lp_check_log "kernel log of $T going" "\
livepatch: reverting patch '$P' on unloading module '$T'"
lp_eq "$T/patched reads 0 while $T is gone" 0 "$(lp_attr "$P" "$T/patched")"
lp_eq "the vmlinux part stays patched" \
	"test_lp_basic: patched cmdline" "$(lp_read /proc/cmdline)"

lp_mark_log
lp_ok "reload $T while the patch is enabled" lp_insmod "$T"
lp_check_log "kernel log of $T coming" "\
livepatch: applying patch '$P' to loading module '$T'"
lp_eq "$PLAIN is patched as soon as $T is back" \
	"test_lp_basic: patched" "$(lp_read "$PLAIN")"
lp_eq "$T/patched reads 1 again" 1 "$(lp_attr "$P" "$T/patched")"

# --- disable ---
lp_mark_log
lp_write_ok "write 0 to enabled" "$LP_SYSFS/$P/enabled" 0
lp_ok "unpatching transition completes" lp_wait_transition "$P"
lp_eq "/proc/cmdline is back to the original" "$cmdline" "$(lp_read /proc/cmdline)"
lp_eq "$PLAIN is back to the original" \
	"test_lp_target: original" "$(lp_read "$PLAIN")"
lp_ok "the patch's sysfs directory goes away" lp_wait_gone "$P"
lp_check_log "kernel log of disabling" "\
D livepatch: '$P': initializing unpatching transition
livepatch: '$P': starting unpatching transition
D livepatch: '$P': completing unpatching transition
livepatch: '$P': unpatching complete"
lp_check_not_ftraced "no ftrace user is left on cmdline_proc_show" cmdline_proc_show

# --- cleanup: the module can go now ---
lp_ok "the reference on $P is dropped" lp_wait_unref "$P"
lp_ok "rmmod $P succeeds once the patch is disabled" lp_rmmod "$P"
lp_not "$P is no longer loaded" lp_mod_loaded "$P"

lp_end
