#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# When the per-object callbacks of a livepatch run, in which order, and
# which of them run when something fails or a transition turns back.
# test_lp_cb_demo has four objects, each with all four callbacks logging
# one line: vmlinux, the target modules test_lp_cb_mod_a and _b, which log
# their own init and exit, and test_lp_target, whose busy gate holds a
# transition up.  test_lp_cb_repl replaces it atomically, carrying only
# the vmlinux and test_lp_cb_mod_a objects (or, with replace=0, stacks on
# it).  Every phase compares the whole kernel log of the core and of these
# modules, in order.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

P=test_lp_cb_demo
R=test_lp_cb_repl
A=test_lp_cb_mod_a
B=test_lp_cb_mod_b
T=test_lp_target
EDOM="Numerical argument out of domain"

lp_begin 132 "$A" "$B" "$P" "$R" "$T"

tmp=$(mktemp -d)
out=$tmp/reader
cmdline=$(cat /proc/cmdline)

# --- helpers ------------------------------------------------------------------

# cb_log: the kernel log since the mark, only lines of the core and of the
# test_lp_cb_* modules.  The one-time taint notices of a first module load
# are not part of any sequence.
cb_log() {
	lp_log | grep -E '^(livepatch|test_lp_cb_[a-z_]+): ' |
		grep -Ev 'taint|module verification failed'
}

# cb_check_log DESC EXPECTED: cb_log is exactly EXPECTED.  A "D " line is
# a pr_debug message of the core, dropped without dynamic debug.
cb_check_log() {
	local want got
	if lp_have_dyndbg; then
		want=$(awk '{ sub(/^D /, "") } 1' <<<"$2")
	else
		want=$(grep -v '^D ' <<<"$2")
	fi
	got=$(cb_log)
	if [[ "$want" == "$got" ]]; then
		lp_pass "$1"
	else
		lp_fail "$1" "kernel log since the mark, wanted:" "$want" "got:" "$got"
	fi
}

# cbs PATCH CALLBACK OBJ...: the line each callback logs; OBJ is vmlinux
# or "module [state]".
cbs() {
	local patch="$1" cb="$2" o
	shift 2
	for o in "$@"; do
		printf '%s: %s %s\n' "$patch" "$cb" "$o"
	done
}

enabling() {
	printf '%s\n' "livepatch: enabling patch '$1'" \
		"D livepatch: '$1': initializing patching transition"
}

disabling() {
	printf '%s\n' "D livepatch: '$1': initializing unpatching transition"
}

starting() {
	printf '%s\n' "livepatch: '$1': starting $2 transition"
}

completing() {
	printf '%s\n' "D livepatch: '$1': completing $2 transition"
}

complete() {
	printf '%s\n' "livepatch: '$1': $2 complete"
}

# failed_enable PATCH BAD [OK...]: the log of enabling PATCH when the
# pre_patch of object BAD fails with -EDOM after those of the objects OK
# succeeded.  The core gives up and runs the post_unpatch of exactly OK.
failed_enable() {
	local patch="$1" bad="$2"
	shift 2
	enabling "$patch"
	cbs "$patch" pre_patch "$@"
	printf '%s\n' "$patch: pre_patch $bad -> -33" \
		"livepatch: pre-patch callback failed for object '${bad%% *}'" \
		"livepatch: failed to enable patch '$patch'" \
		"D livepatch: '$patch': canceling patching transition, going to unpatch"
	completing "$patch" unpatching
	cbs "$patch" post_unpatch "$@"
	complete "$patch" unpatching
}

# probe MOD: what test_lp_cb_probe() of MOD returns now: "original" or
# the name of the patch whose replacement ran.
probe() {
	local now init
	read -r now init <"/proc/$1" || return
	echo "$now"
}

# probe_at_init MOD: what it returned while MOD's init ran.
probe_at_init() {
	local now init
	read -r now init <"/proc/$1" || return
	echo "$init"
}

# load_quiet MOD [PARAM...]: load a module whose log is not under test.
load_quiet() {
	lp_insmod "$@" || lp_bail "cannot load $1: $LP_OUT"
}

# unload_all MOD...: remove modules whose log is not under test.
unload_all() {
	local m
	for m in "$@"; do
		lp_mod_loaded "$m" || continue
		lp_rmmod "$m" || lp_bail "cannot remove $m: $LP_OUT"
	done
}

# enable_settled PATCH [PARAM...]: load a patch and wait for its transition.
enable_settled() {
	load_quiet "$@"
	lp_enabled_settled "$1" || lp_bail "$1 did not settle enabled"
}

# park: close the busy gate, wait for a reader to sleep behind it.
park() {
	if ! lp_gate_close || ! lp_park_reader "$out"; then
		lp_bail "no reader parked at the busy gate"
	fi
	reader=$LP_BG
}

# release: open the gate; LP_READ is what the parked reader read.
release() {
	lp_gate_open
	lp_reader_result "$reader" "$out"
}

# --- 1. targets loaded before the patch is enabled ------------------------------

load_quiet "$A"
load_quiet "$B"
lp_eq "$A runs its own probe before any patch" original "$(probe "$A")"

lp_mark_log
lp_ok "enable $P with both targets loaded" lp_insmod "$P"
lp_ok "the patching transition completes" lp_wait_transition "$P"
cb_check_log "pre_patch of each object before the transition, post_patch after it" \
	"$(enabling "$P"
	cbs "$P" pre_patch vmlinux "$A [live]" "$B [live]"
	starting "$P" patching
	completing "$P" patching
	cbs "$P" post_patch vmlinux "$A [live]" "$B [live]"
	complete "$P" patching)"
lp_eq "/proc/cmdline runs $P's function" "$P: cmdline" "$(lp_read /proc/cmdline)"
lp_eq "$A runs $P's probe" "$P" "$(probe "$A")"
lp_eq "$B runs $P's probe" "$P" "$(probe "$B")"

lp_mark_log
lp_write_ok "disable $P" "$LP_SYSFS/$P/enabled" 0
lp_ok "the patch goes away" lp_wait_gone "$P"
cb_check_log "pre_unpatch of each object before the transition, post_unpatch after it" \
	"$(disabling "$P"
	cbs "$P" pre_unpatch vmlinux "$A [live]" "$B [live]"
	starting "$P" unpatching
	completing "$P" unpatching
	cbs "$P" post_unpatch vmlinux "$A [live]" "$B [live]"
	complete "$P" unpatching)"
lp_eq "$A runs its own probe again" original "$(probe "$A")"
lp_eq "/proc/cmdline is the original again" "$cmdline" "$(lp_read /proc/cmdline)"

lp_ok "remove $P" lp_unload_disabled "$P"
lp_mark_log
unload_all "$A" "$B"
cb_check_log "targets removed after the patch: only their exit lines" \
	"$(printf '%s\n' "$A: exit" "$B: exit")"

# --- 2. targets loaded after the patch, and removed in between ------------------

lp_mark_log
lp_ok "enable $P with no target loaded" lp_insmod "$P"
lp_ok "the patching transition completes" lp_wait_transition "$P"
cb_check_log "only the vmlinux callbacks run" \
	"$(enabling "$P"
	cbs "$P" pre_patch vmlinux
	starting "$P" patching
	completing "$P" patching
	cbs "$P" post_patch vmlinux
	complete "$P" patching)"
lp_eq "$P/$A/patched reads 0 while $A is not loaded" 0 "$(lp_attr "$P" "$A/patched")"

lp_mark_log
lp_ok "load $A while $P is enabled" lp_insmod "$A"
cb_check_log "$A: pre_patch and post_patch run while it is coming, before its init" \
	"$(printf '%s\n' "livepatch: applying patch '$P' to loading module '$A'"
	cbs "$P" pre_patch "$A [coming]"
	cbs "$P" post_patch "$A [coming]"
	echo "$A: init")"
lp_eq "$A's init already ran $P's probe" "$P" "$(probe_at_init "$A")"
lp_eq "$P/$A/patched reads 1" 1 "$(lp_attr "$P" "$A/patched")"

lp_mark_log
lp_ok "load $B while $P is enabled" lp_insmod "$B"
cb_check_log "$B: the same, for the second module object" \
	"$(printf '%s\n' "livepatch: applying patch '$P' to loading module '$B'"
	cbs "$P" pre_patch "$B [coming]"
	cbs "$P" post_patch "$B [coming]"
	echo "$B: init")"
lp_eq "$B's init already ran $P's probe" "$P" "$(probe_at_init "$B")"

lp_mark_log
lp_ok "remove $A while $P is enabled" lp_rmmod "$A"
cb_check_log "$A: its exit first, then pre_unpatch and post_unpatch while it is going" \
	"$(echo "$A: exit"
	cbs "$P" pre_unpatch "$A [going]"
	echo "livepatch: reverting patch '$P' on unloading module '$A'"
	cbs "$P" post_unpatch "$A [going]")"
lp_eq "$P/$A/patched reads 0 again" 0 "$(lp_attr "$P" "$A/patched")"
lp_eq "$P stays enabled" 1 "$(lp_attr "$P" enabled)"
lp_eq "$B is still patched" "$P" "$(probe "$B")"

lp_mark_log
lp_ok "load $A again" lp_insmod "$A"
cb_check_log "$A: its callbacks run again on the second load" \
	"$(printf '%s\n' "livepatch: applying patch '$P' to loading module '$A'"
	cbs "$P" pre_patch "$A [coming]"
	cbs "$P" post_patch "$A [coming]"
	echo "$A: init")"

lp_mark_log
lp_write_ok "disable $P" "$LP_SYSFS/$P/enabled" 0
lp_ok "the patch goes away" lp_wait_gone "$P"
cb_check_log "disable: unpatch callbacks of vmlinux and both modules, now live" \
	"$(disabling "$P"
	cbs "$P" pre_unpatch vmlinux "$A [live]" "$B [live]"
	starting "$P" unpatching
	completing "$P" unpatching
	cbs "$P" post_unpatch vmlinux "$A [live]" "$B [live]"
	complete "$P" unpatching)"
lp_ok "remove $P" lp_unload_disabled "$P"

# --- 3. pre_patch of vmlinux fails ------------------------------------------------

lp_mark_log
if lp_insmod "$P" fail_pre_patch=vmlinux; then
	lp_fail "enabling with a failing vmlinux pre_patch is refused" "insmod succeeded"
else
	lp_match "enabling with a failing vmlinux pre_patch is refused with its errno" \
		"$EDOM" "$LP_OUT"
fi
cb_check_log "nothing runs after the failed pre_patch, no post_unpatch either" \
	"$(failed_enable "$P" vmlinux)"
lp_check_klp_line "the failure is a warning naming the object" warn \
	"pre-patch callback failed for object 'vmlinux'"
lp_ok "$P is not loaded" lp_mod_gone "$P"
lp_eq "/proc/cmdline is the original" "$cmdline" "$(lp_read /proc/cmdline)"
lp_eq "$A runs its own probe" original "$(probe "$A")"
lp_check_not_ftraced "no ftrace user is left on cmdline_proc_show" cmdline_proc_show

# --- 4. pre_patch of a module object fails during enable ----------------------------

lp_mark_log
if lp_insmod "$P" fail_pre_patch="$B"; then
	lp_fail "enabling with a failing $B pre_patch is refused" "insmod succeeded"
else
	lp_match "enabling with a failing $B pre_patch is refused with its errno" \
		"$EDOM" "$LP_OUT"
fi
cb_check_log "post_unpatch runs for the objects whose pre_patch ran, and only those" \
	"$(failed_enable "$P" "$B [live]" vmlinux "$A [live]")"
lp_ok "$P is not loaded" lp_mod_gone "$P"
lp_eq "$A, patched before $B failed, runs its own probe again" \
	original "$(probe "$A")"
lp_eq "/proc/cmdline is the original" "$cmdline" "$(lp_read /proc/cmdline)"

# --- 5. pre_patch of a module object fails when the module loads --------------------

unload_all "$B"
enable_settled "$P"
lp_write_ok "make $P's pre_patch fail for $B from now on" \
	"/sys/module/$P/parameters/fail_pre_patch" "$B"
lp_mark_log
if lp_insmod "$B"; then
	lp_fail "loading $B is refused" "insmod succeeded"
else
	lp_match "loading $B is refused with the callback's errno" "$EDOM" "$LP_OUT"
fi
cb_check_log "$B: pre_patch fails before its init, no other callback runs" \
	"$(printf '%s\n' "livepatch: applying patch '$P' to loading module '$B'" \
		"$P: pre_patch $B [coming] -> -33" \
		"livepatch: pre-patch callback failed for object '$B'" \
		"livepatch: patch '$P' failed for module '$B', refusing to load module '$B'")"
lp_not "$B is not loaded" lp_mod_loaded "$B"
lp_eq "$P stays enabled" 1 "$(lp_attr "$P" enabled)"
lp_eq "$P/$B/patched reads 0" 0 "$(lp_attr "$P" "$B/patched")"
lp_eq "$A stays patched" "$P" "$(probe "$A")"
lp_eq "/proc/cmdline stays patched" "$P: cmdline" "$(lp_read /proc/cmdline)"
lp_write_ok "let $P's pre_patch succeed again" "/sys/module/$P/parameters/fail_pre_patch" ""
lp_mark_log
lp_ok "$B loads now" lp_insmod "$B"
cb_check_log "$B: the refused load left nothing behind, the callbacks run as usual" \
	"$(printf '%s\n' "livepatch: applying patch '$P' to loading module '$B'"
	cbs "$P" pre_patch "$B [coming]"
	cbs "$P" post_patch "$B [coming]"
	echo "$B: init")"
lp_ok "disable and remove $P" lp_disable_unload "$P"

# --- 6. a held-up patching transition: modules come and go, reversal ----------------

unload_all "$B"
load_quiet "$T"
park
lp_mark_log
lp_ok "enable $P while a task sleeps in $T's busy function" lp_insmod "$P"
lp_ok "the patching transition waits for that task" lp_holds 2 lp_in_transition "$P"
cb_check_log "pre_patch of each loaded object ran, no post_patch while pending" \
	"$(enabling "$P"
	cbs "$P" pre_patch vmlinux "$A [live]" "$T [live]"
	starting "$P" patching)"

lp_mark_log
lp_ok "load $B during the transition" lp_insmod "$B"
lp_ok "the transition is still pending" lp_in_transition "$P"
cb_check_log "$B: pre_patch at load; its post_patch waits for the transition" \
	"$(printf '%s\n' "livepatch: applying patch '$P' to loading module '$B'"
	cbs "$P" pre_patch "$B [coming]"
	echo "$B: init")"

lp_mark_log
lp_ok "remove $A during the transition" lp_rmmod "$A"
lp_ok "the transition is still pending" lp_in_transition "$P"
cb_check_log "$A: no pre_unpatch for a module of the transition, post_unpatch as it goes" \
	"$(echo "$A: exit"
	echo "livepatch: reverting patch '$P' on unloading module '$A'"
	cbs "$P" post_unpatch "$A [going]")"

lp_mark_log
lp_write_ok "write 0 to enabled during the transition" "$LP_SYSFS/$P/enabled" 0
lp_ok "the reversed transition completes with the task still inside" lp_wait_transition "$P"
lp_ok "the reverted patch goes away" lp_wait_gone "$P"
cb_check_log "reversal: post_unpatch of the objects whose pre_patch ran, no pre_unpatch" \
	"$(echo "D livepatch: '$P': reversing transition from patching to unpatching"
	starting "$P" unpatching
	completing "$P" unpatching
	cbs "$P" post_unpatch vmlinux "$B [live]" "$T [live]"
	complete "$P" unpatching)"
release
lp_eq "the task leaves the old function with its result" "$T: original" "$LP_READ"
lp_eq "$B runs its own probe" original "$(probe "$B")"
lp_ok "remove $P" lp_unload_disabled "$P"

# --- 7. a held-up unpatching transition: a module comes, reversal to patching --------

unload_all "$B"
load_quiet "$A"
enable_settled "$P"
park
lp_mark_log
lp_write_ok "disable $P while a task sleeps in its busy function" "$LP_SYSFS/$P/enabled" 0
lp_ok "the unpatching transition waits for that task" lp_holds 2 lp_in_transition "$P"
cb_check_log "pre_unpatch of each object ran, no post_unpatch while pending" \
	"$(disabling "$P"
	cbs "$P" pre_unpatch vmlinux "$A [live]" "$T [live]"
	starting "$P" unpatching)"
lp_mark_log
lp_ok "load $B during the transition" lp_insmod "$B"
cb_check_log "$B: pre_patch at load, like any module of a registered patch" \
	"$(printf '%s\n' "livepatch: applying patch '$P' to loading module '$B'"
	cbs "$P" pre_patch "$B [coming]"
	echo "$B: init")"
lp_mark_log
lp_write_ok "write 1 to enabled during the transition" "$LP_SYSFS/$P/enabled" 1
lp_ok "the reversed transition completes" lp_wait_transition "$P"
cb_check_log "reversal: post_patch of each object, no pre_patch" \
	"$(echo "D livepatch: '$P': reversing transition from unpatching to patching"
	starting "$P" patching
	completing "$P" patching
	cbs "$P" post_patch vmlinux "$A [live]" "$B [live]" "$T [live]"
	complete "$P" patching)"
lp_eq "$P is enabled" 1 "$(lp_attr "$P" enabled)"
release
lp_eq "the task leaves the new function with its result" "$P: patched" "$LP_READ"
lp_eq "$A runs $P's probe" "$P" "$(probe "$A")"
lp_eq "$B runs $P's probe" "$P" "$(probe "$B")"
lp_ok "disable and remove $P" lp_disable_unload "$P"
unload_all "$T"

# --- 8. atomic replace ------------------------------------------------------------------

enable_settled "$P"
lp_mark_log
if lp_insmod "$R" fail_pre_patch="$A"; then
	lp_fail "a replacement whose pre_patch fails is refused" "insmod succeeded"
else
	lp_match "a replacement whose pre_patch fails is refused with its errno" \
		"$EDOM" "$LP_OUT"
fi
cb_check_log "the failed replacement runs only its own callbacks, $P's none" \
	"$(failed_enable "$R" "$A [live]" vmlinux)"
lp_eq "$P stays enabled" 1 "$(lp_attr "$P" enabled)"
lp_eq "/proc/cmdline still runs $P's function" "$P: cmdline" "$(lp_read /proc/cmdline)"
lp_eq "$A still runs $P's probe" "$P" "$(probe "$A")"
lp_eq "$B still runs $P's probe" "$P" "$(probe "$B")"

lp_mark_log
lp_ok "enable $R, which replaces $P" lp_insmod "$R"
lp_ok "the patching transition completes" lp_wait_transition "$R"
lp_ok "the replaced patch goes away" lp_wait_gone "$P"
cb_check_log "only $R's patch callbacks run, none of $P's" \
	"$(enabling "$R"
	cbs "$R" pre_patch vmlinux "$A [live]"
	starting "$R" patching
	completing "$R" patching
	cbs "$R" post_patch vmlinux "$A [live]"
	complete "$R" patching)"
lp_eq "/proc/cmdline runs $R's function" "$R: cmdline" "$(lp_read /proc/cmdline)"
lp_eq "$A runs $R's probe" "$R" "$(probe "$A")"
lp_eq "$B, which $R does not patch, runs its own probe" original "$(probe "$B")"

lp_mark_log
lp_ok "remove the replaced $P" lp_unload_disabled "$P"
lp_ok "remove $B" lp_rmmod "$B"
lp_ok "load $B again" lp_insmod "$B"
cb_check_log "$P's module and $B come and go without any callback" \
	"$(printf '%s\n' "$B: exit" "$B: init")"
lp_eq "$B runs its own probe from init on" original "$(probe_at_init "$B")"

lp_mark_log
lp_write_ok "disable $R" "$LP_SYSFS/$R/enabled" 0
lp_ok "the patch goes away" lp_wait_gone "$R"
cb_check_log "disable $R: its unpatch callbacks for its two objects" \
	"$(disabling "$R"
	cbs "$R" pre_unpatch vmlinux "$A [live]"
	starting "$R" unpatching
	completing "$R" unpatching
	cbs "$R" post_unpatch vmlinux "$A [live]"
	complete "$R" unpatching)"
lp_eq "/proc/cmdline is the original" "$cmdline" "$(lp_read /proc/cmdline)"
lp_ok "remove $R" lp_unload_disabled "$R"

# --- 9. two patches on one module: the order between them ---------------------------

unload_all "$B"
enable_settled "$P"
enable_settled "$R" replace=0
lp_eq "$R, loaded with replace=0, leaves $P enabled below it" 1 "$(lp_attr "$P" enabled)"
lp_eq "$A runs the top patch's probe" "$R" "$(probe "$A")"

lp_mark_log
lp_ok "remove $A under both patches" lp_rmmod "$A"
cb_check_log "$A going: each patch reverts it in turn, in the order they were enabled" \
	"$(echo "$A: exit"
	cbs "$P" pre_unpatch "$A [going]"
	echo "livepatch: reverting patch '$P' on unloading module '$A'"
	cbs "$P" post_unpatch "$A [going]"
	cbs "$R" pre_unpatch "$A [going]"
	echo "livepatch: reverting patch '$R' on unloading module '$A'"
	cbs "$R" post_unpatch "$A [going]")"

lp_mark_log
lp_ok "load $A under both patches" lp_insmod "$A"
cb_check_log "$A coming: each patch applies itself in turn, in the same order, before init" \
	"$(echo "livepatch: applying patch '$P' to loading module '$A'"
	cbs "$P" pre_patch "$A [coming]"
	cbs "$P" post_patch "$A [coming]"
	echo "livepatch: applying patch '$R' to loading module '$A'"
	cbs "$R" pre_patch "$A [coming]"
	cbs "$R" post_patch "$A [coming]"
	echo "$A: init")"
lp_eq "$A's init already ran the top patch's probe" "$R" "$(probe_at_init "$A")"

unload_all "$A"
lp_write_ok "make $R's pre_patch fail for $A" "/sys/module/$R/parameters/fail_pre_patch" "$A"
lp_mark_log
if lp_insmod "$A"; then
	lp_fail "the second patch refuses $A" "insmod succeeded"
else
	lp_match "the second patch refuses $A with its callback's errno" "$EDOM" "$LP_OUT"
fi
cb_check_log "the first patch, already applied to $A, is reverted with its callbacks" \
	"$(echo "livepatch: applying patch '$P' to loading module '$A'"
	cbs "$P" pre_patch "$A [coming]"
	cbs "$P" post_patch "$A [coming]"
	echo "livepatch: applying patch '$R' to loading module '$A'"
	echo "$R: pre_patch $A [coming] -> -33"
	echo "livepatch: pre-patch callback failed for object '$A'"
	echo "livepatch: patch '$R' failed for module '$A', refusing to load module '$A'"
	cbs "$P" pre_unpatch "$A [coming]"
	echo "livepatch: reverting patch '$P' on unloading module '$A'"
	cbs "$P" post_unpatch "$A [coming]")"
lp_not "$A is not loaded" lp_mod_loaded "$A"
lp_eq "both patches stay enabled" "1 1" "$(lp_attr "$P" enabled) $(lp_attr "$R" enabled)"
lp_eq "$P/$A/patched and $R/$A/patched read 0" "0 0" \
	"$(lp_attr "$P" "$A/patched") $(lp_attr "$R" "$A/patched")"

lp_write_ok "let $R's pre_patch succeed again" "/sys/module/$R/parameters/fail_pre_patch" ""
load_quiet "$A"
lp_mark_log
lp_ok "disable and remove $R" lp_disable_unload "$R"
cb_check_log "disabling the top patch runs only its own callbacks" \
	"$(disabling "$R"
	cbs "$R" pre_unpatch vmlinux "$A [live]"
	starting "$R" unpatching
	completing "$R" unpatching
	cbs "$R" post_unpatch vmlinux "$A [live]"
	complete "$R" unpatching)"
lp_eq "$A runs $P's probe again" "$P" "$(probe "$A")"
lp_ok "disable and remove $P" lp_disable_unload "$P"

lp_mark_log
unload_all "$A" "$B"
cb_check_log "the target removed last: only its exit line" "$A: exit"
lp_not "none of this script's modules is left" \
	grep -Eq "^(test_lp_cb_[a-z_]+|$T) " /proc/modules

rm -rf "$tmp"
lp_end
