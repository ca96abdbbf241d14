#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Allocation failures on the paths that install a patch.  For each
# scenario below, the N-th slab allocation of one system call is made to
# fail (/proc/thread-self/fail-nth with failslab, through lp_fail_nth),
# for N = 1, 2, ... until the call no longer reaches an N-th allocation.
# Every attempt must either succeed completely (the patch or module
# then works and is removed again) or fail cleanly: nothing loaded,
# nothing left in sysfs or ftrace, every output as before, and whatever
# was installed before the attempt untouched.  Where kmemleak is built
# in, nothing may leak either.
#
#   enable    insmod test_lp_basic (module loader and klp_enable_patch)
#   replace   insmod test_lp_stress_a, an atomic replace, over
#             test_lp_fault_cb (dynamic objects and nop functions)
#   coming    insmod test_lp_target while test_lp_basic is enabled
#             (klp_module_coming and, on a later failure, going)
#   held      insmod test_lp_cm while a task sleeps in the function it
#             replaces: whatever fails, the transition must not complete
#             while that task is inside the old function
#   disable   the write of 0 to test_lp_basic's "enabled"
#   shadow    insmod test_lp_fault_shadow, whose init uses the shadow
#             variable API and checks what it got
#
# Then, without injected faults, a pre_patch callback that fails for the
# first, second or third of three objects (test_lp_fault_cb): the enable
# fails and post_unpatch runs exactly for the objects whose pre_patch
# succeeded; and the same callback refusing a module that loads later.
#
# Only the task running lp_fail_nth sees a fault: failslab's probability
# stays 0, ignore-gfp-wait is N so that GFP_KERNEL allocations can fail,
# and verbose is 0 so that failslab prints nothing; the settings are
# restored at exit.  lp_fail_nth loads modules with init_module(2), whose
# copy of the image does not warn when it fails.
#
# LP_FAULTS_SECONDS (default 180) is shared by the six sweeps.  A sweep
# that would not try every site in its share tries the last ones (the
# core's) one by one for half of it and samples the rest, and says so (a
# debug kernel under TCG reaches three times the sites at a tenth of the
# pace).

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_target
MT=test_lp_mod_target
B=test_lp_basic
SA=test_lp_stress_a
CB=test_lp_fault_cb
CM=test_lp_cm
SH=test_lp_fault_shadow
PLAIN=$LP_PROC/plain
F1=/proc/test_lp_mod/f1
FAILSLAB=/sys/kernel/debug/failslab
HELPER=$LP_DIR/lp_fail_nth
# More than any call here reaches: injects nothing, counts the sites.
NO_FAULT=1000000
# Time for each of the six sweeps.
SWEEP_SECONDS=$((${LP_FAULTS_SECONDS:-180} / 6))
ORIGINAL="test_lp_target: original"
F1_ORIGINAL="$MT: f1 original"
SPLAT='WARNING:|BUG:|Oops|Call Trace|circular locking|recursive locking|inconsistent lock state'
SPLAT+='|suspicious RCU usage|unreferenced object|KASAN:|UBSAN:|general protection|kernel BUG'
SPLAT+='|soft lockup|hard LOCKUP|blocked for more than|rcu: INFO|list_(add|del) corruption'
SPLAT+='|refcount_t:|ODEBUG:'

[[ -d "$FAILSLAB" ]] ||
	lp_skip_all "no $FAILSLAB (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)"
[[ -e /proc/thread-self/fail-nth ]] || lp_skip_all "no /proc/thread-self/fail-nth"
[[ -x "$HELPER" ]] || lp_skip_all "helper $HELPER not built"

lp_begin 42 "$T" "$MT" "$B" "$SA" "$CB" "$CM" "$SH"

tmp=$(mktemp -d)
orig_cmdline=$(lp_read /proc/cmdline)
orig_version=$(lp_read /proc/version)
injected_total=0

# --- failslab ------------------------------------------------------------------
#
# Only fail-nth injects: probability 0 keeps every other task out of it.
# ignore-gfp-wait=N lets GFP_KERNEL allocations fail, verbose=0 keeps
# failslab from printing a stack trace for each failure.

FS_ATTRS=(probability interval times space verbose task-filter ignore-gfp-wait cache-filter)
declare -A FS_SAVED=()

failslab_setup() {
	local a
	for a in "${FS_ATTRS[@]}"; do
		FS_SAVED[$a]=$(cat "$FAILSLAB/$a")
	done
	echo 0 >"$FAILSLAB/probability"
	echo 0 >"$FAILSLAB/verbose"
	echo N >"$FAILSLAB/ignore-gfp-wait"
	echo N >"$FAILSLAB/cache-filter"
}

failslab_restore() {
	local a
	for a in "${!FS_SAVED[@]}"; do
		echo "${FS_SAVED[$a]}" >"$FAILSLAB/$a" 2>/dev/null
	done
	FS_SAVED=()
}

cleanup() {
	failslab_restore
	lp_cleanup
}
trap cleanup EXIT

failslab_setup
# Only what this run leaks, if kmemleak is built in.
lp_kmemleak_clear

# The kernel log of the whole run, which may be more than the ring holds.
if dmesg --help 2>/dev/null | grep -q -- --follow-new; then
	lp_bg dmesg --follow-new --notime >"$tmp/kmsg" 2>/dev/null
	kernel_log() { cat "$tmp/kmsg"; }
else
	lp_mark_log
	RUN_MARK=$LP_MARK
	kernel_log() { local LP_MARK=$RUN_MARK; lp_log; }
fi

# --- fast checks ---------------------------------------------------------------
#
# A sweep makes hundreds of attempts, so the checks after each one use
# bash builtins only: the one fork and exec per attempt is lp_fail_nth.

mkfifo "$tmp/nap"
exec {NAP}<>"$tmp/nap"

# nap: 20 ms, without a fork (a timed read from a FIFO nobody writes).
nap() {
	read -r -t 0.02 -u "$NAP" _
	return 0
}

# get FILE: its first line in GOT, "<unreadable>" if there is none.
get() {
	GOT=""
	read -r GOT 2>/dev/null <"$1"
	[[ -n "$GOT" ]] || GOT="<unreadable>"
}

WHY=""		# what the last failed check found

# is WHAT FILE WANT: FILE reads WANT; otherwise WHY says what it read.
is() {
	get "$2"
	[[ "$GOT" == "$3" ]] && return 0
	WHY="$1: want '$3', got '$GOT'"
	return 1
}

# holds WHAT CMD...: CMD succeeds; otherwise WHY says WHAT.
holds() {
	local what="$1"
	shift
	"$@" && return 0
	WHY=$what
	return 1
}

# until_ok WHAT CMD...: retry CMD every 20 ms for up to LP_TIMEOUT s;
# otherwise WHY says WHAT.
until_ok() {
	local what="$1" deadline=$((SECONDS + LP_TIMEOUT))
	shift
	until "$@"; do
		if ((SECONDS >= deadline)); then
			WHY="$what after ${LP_TIMEOUT}s"
			return 1
		fi
		nap
	done
}

mod_loaded() {
	local name rest
	while read -r name rest; do
		[[ "$name" == "$1" ]] && return 0
	done </proc/modules
	return 1
}

# ftraced_any FUNC...: one of them has an ftrace user.
ftraced_any() {
	local name rest f
	[[ -r "$LP_TRACING/enabled_functions" ]] || return 1
	while read -r name rest; do
		for f in "$@"; do
			[[ "$name" == "$f" ]] && return 0
		done
	done <"$LP_TRACING/enabled_functions"
	return 1
}

# not_ftraced FUNC...: none of them has an ftrace user.
not_ftraced() {
	ftraced_any "$@" || return 0
	WHY="an ftrace user is left on one of: $*"
	return 1
}

not_loaded() {
	mod_loaded "$1" || return 0
	WHY="$1 is loaded"
	return 1
}

gone() {
	[[ ! -e "$LP_SYSFS/$1" ]]
}

# gone_clean MOD: MOD is not loaded and left nothing in sysfs.
gone_clean() {
	not_loaded "$1" && holds "$LP_SYSFS/$1 is still there" gone "$1"
}

no_transition() {
	get "$LP_SYSFS/$1/transition"
	[[ "$GOT" == 0 || ! -d "$LP_SYSFS/$1" ]]
}

settled() {
	until_ok "$1 still in transition" no_transition "$1"
}

# enabled_settled PATCH: enabled, not in transition.
enabled_settled() {
	settled "$1" && is "$1/enabled" "$LP_SYSFS/$1/enabled" 1
}

unreferenced() {
	get "/sys/module/$1/refcnt"
	[[ "$GOT" == 0 ]]
}

# unload_disabled PATCH: once the core let go of it, remove its module.
unload_disabled() {
	until_ok "$1 still in sysfs" gone "$1" &&
		until_ok "$1 still referenced" unreferenced "$1" &&
		holds "cannot remove $1: $LP_OUT" lp_rmmod "$1"
}

# disable_unload PATCH: disable it, wait, remove its module.
disable_unload() {
	settled "$1" || return 1
	{ echo 0 >"$LP_SYSFS/$1/enabled"; } 2>/dev/null || { WHY="cannot disable $1"; return 1; }
	settled "$1" && unload_disabled "$1"
}

# cleanup_patch MOD: disable and remove MOD whatever state it is in.
cleanup_patch() {
	if lp_mod_loaded "$1"; then
		lp_wait_transition "$1"
		[[ "$(lp_attr "$1" enabled)" == 1 ]] && lp_write "$LP_SYSFS/$1/enabled" 0
		lp_wait_transition "$1"
		lp_unload_disabled "$1" || { WHY="cannot remove $1: $LP_OUT"; return 1; }
	fi
	return 0
}

# in_transition_for PATCH SECONDS: still in transition all that time.
in_transition_for() {
	local end=$((SECONDS + $2))
	while ((SECONDS <= end)); do
		get "$LP_SYSFS/$1/transition"
		[[ "$GOT" == 1 ]] || return 1
		nap
	done
}

# --- one sweep -------------------------------------------------------------------

# inject NTH ARGS...: run lp_fail_nth; INJ_ERR, INJ_LEFT, INJ_MSG.
inject() {
	local out ret
	out=$("$HELPER" "$@" 2>&1)
	if ! read -r INJ_ERR INJ_LEFT ret INJ_MSG <<<"$out" ||
	   [[ ! "$INJ_ERR$INJ_LEFT" =~ ^[0-9]+$ || ! "$ret" =~ ^-?[0-9]+$ ]]; then
		INJ_ERR=-1 INJ_LEFT=-1 INJ_MSG="lp_fail_nth: $out"
	fi
}

# attempt NAME NTH: one setup, attempt and check; a problem goes into
# PROBLEMS and SW_BAD.  Returns 1 when the sweep cannot go on.
attempt() {
	local name="$1" nth="$2"
	WHY=""
	if ! "${name}_setup"; then
		PROBLEMS+=("N=$nth: setup failed: $WHY")
		SW_BAD=$((SW_BAD + 1))
		return 1
	fi
	"${name}_try" "$nth"
	if ((INJ_ERR < 0)); then
		PROBLEMS+=("N=$nth: $INJ_MSG")
		SW_BAD=$((SW_BAD + 1))
		return 1
	fi
	((INJ_LEFT == 0)) && SW_POINTS=$((SW_POINTS + 1))
	if ((INJ_ERR == 0)); then
		SW_OK=$((SW_OK + 1))
		"${name}_ok" && WHY=""
	else
		SW_FAILED=$((SW_FAILED + 1))
		if ((INJ_LEFT > 0)); then
			WHY="failed with no fault injected: $INJ_MSG"
		else
			"${name}_failed" && WHY=""
		fi
	fi
	[[ -z "$WHY" ]] && return 0
	SW_BAD=$((SW_BAD + 1))
	PROBLEMS+=("N=$nth ($INJ_MSG): $WHY")
	WHY=""
	"${name}_reset" && return 0
	PROBLEMS+=("cannot get back to the starting point: $WHY")
	return 1
}

# sweep NAME: an attempt without a fault tells how many injection sites
# the call reaches (SW_SITES); then N goes from there down to 1, the
# livepatch core's sites first, as they come last in a module load.  For
# each N: NAME_setup; NAME_try N; then NAME_ok after a success or
# NAME_failed after a failure, which check and undo; after a problem,
# NAME_reset restores the starting point; an N whose fault was absorbed
# is tried twice.  Once half of SWEEP_SECONDS
# is gone, N steps down by more than one if that is what it takes to
# sample the rest of the range in time.  Counts go to SW_TRIED,
# SW_POINTS (faults injected), SW_OK, SW_FAILED and SW_BAD.
sweep() {
	local name="$1" nth step can t0=$SECONDS deadline=$((SECONDS + SWEEP_SECONDS))
	PROBLEMS=()
	SW_POINTS=0 SW_OK=0 SW_FAILED=0 SW_BAD=0 SW_SITES=0 SW_TRIED=0
	if attempt "$name" "$NO_FAULT"; then
		SW_SITES=$((NO_FAULT - INJ_LEFT))
		nth=$SW_SITES
		while ((nth >= 1 && SECONDS < deadline)); do
			attempt "$name" "$nth" || break
			# The same N may land one site off the next time (vmalloc's
			# per-CPU preload comes and goes): after a success, where
			# the fault was absorbed, try once more.
			if ((INJ_ERR == 0 && INJ_LEFT == 0)); then
				attempt "$name" "$nth" || break
			fi
			SW_TRIED=$((SW_TRIED + 1))
			# Every site for the first half of the time, then as many
			# as the time left allows at the pace so far.
			step=1
			if ((SECONDS - t0 > SWEEP_SECONDS / 2)); then
				can=$(((deadline - SECONDS) * SW_TRIED / (SECONDS - t0 + 1)))
				step=$(((nth - 1 + can - 1) / (can > 0 ? can : 1)))
			fi
			nth=$((nth - (step > 1 ? step : 1)))
		done
	fi
	injected_total=$((injected_total + SW_POINTS))
	SW_DIAG="$name: $SW_SITES sites, $SW_TRIED tried, $SW_POINTS faults injected"
	SW_DIAG+=" in $((SECONDS - t0))s: $SW_FAILED attempts failed, $SW_OK succeeded"
}

# report NAME WHAT: the checks every sweep ends with.
report() {
	lp_diag "$SW_DIAG"
	if ((SW_SITES == 0)); then
		lp_fail "$1: every injection site tried" "no attempt without a fault succeeded"
	elif ((SW_TRIED == SW_SITES)); then
		lp_pass "$1: every injection site tried"
	else
		local sampled="$SW_TRIED of $SW_SITES sampled in ${SWEEP_SECONDS}s"
		lp_skip "$1: every injection site tried" "$sampled (LP_FAULTS_SECONDS / 6)"
	fi
	if ((SW_BAD == 0)); then
		lp_pass "$1: $2"
	else
		lp_fail "$1: $2" "$SW_BAD problems, the first ones:" \
			"$(printf '%s\n' "${PROBLEMS[@]:0:8}")"
	fi
}

# ===================================================================================
# enable: insmod test_lp_basic

lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"

enable_setup() {
	gone_clean "$B"
}

enable_try() {
	inject "$1" insmod "$LP_MODS/$B.ko"
}

basic_unpatched() {
	is "cmdline" /proc/cmdline "$orig_cmdline" &&
		is "plain" "$PLAIN" "$ORIGINAL" &&
		not_ftraced cmdline_proc_show test_lp_plain_show
}

enable_ok() {
	enabled_settled "$B" &&
		is "cmdline" /proc/cmdline "test_lp_basic: patched cmdline" &&
		is "plain" "$PLAIN" "test_lp_basic: patched" &&
		disable_unload "$B" && basic_unpatched
}

enable_failed() {
	gone_clean "$B" && basic_unpatched &&
		is "$T refcnt" "/sys/module/$T/refcnt" 0
}

enable_reset() {
	cleanup_patch "$B"
}

sweep enable
report enable "every attempt succeeded fully or failed leaving nothing behind"

# ===================================================================================
# replace: insmod test_lp_stress_a over test_lp_fault_cb

lp_insmod "$MT" || lp_bail "cannot load $MT: $LP_OUT"

cb_in_force() {
	enabled_settled "$CB" &&
		is "version" /proc/version "$CB: patched version" &&
		is "plain" "$PLAIN" "$CB: patched" &&
		is "f1" "$F1" "$CB: f1"
}

replace_setup() {
	gone_clean "$SA" || return 1
	if ! mod_loaded "$CB"; then
		holds "cannot load $CB: $LP_OUT" lp_insmod "$CB" || return 1
	fi
	cb_in_force
}

replace_try() {
	inject "$1" insmod "$LP_MODS/$SA.ko"
}

replace_ok() {
	enabled_settled "$SA" &&
		until_ok "replaced $CB is still in sysfs" gone "$CB" &&
		is "cmdline" /proc/cmdline "$SA: patched cmdline" &&
		is "plain" "$PLAIN" "$SA: patched" &&
		is "version (a nop now)" /proc/version "$orig_version" &&
		is "f1 (a nop now)" "$F1" "$F1_ORIGINAL" &&
		not_ftraced version_proc_show test_lp_mod_f1_show &&
		disable_unload "$SA" && unload_disabled "$CB"
}

replace_failed() {
	gone_clean "$SA" && cb_in_force && not_ftraced cmdline_proc_show test_lp_spin_step
}

replace_reset() {
	cleanup_patch "$SA" && cleanup_patch "$CB"
}

sweep replace
report replace "the replaced patch stayed intact whenever the replace failed"
replace_reset
lp_eq "nothing left in $LP_SYSFS after the replace sweep" "" "$(lp_subdirs "$LP_SYSFS")"

# ===================================================================================
# coming: insmod test_lp_target while test_lp_basic is enabled

lp_rmmod "$T" || lp_bail "cannot remove $T: $LP_OUT"
if ! lp_insmod "$B" || ! lp_enabled_settled "$B"; then
	lp_bail "cannot enable $B: $LP_OUT"
fi

basic_intact() {
	enabled_settled "$B" &&
		is "cmdline" /proc/cmdline "test_lp_basic: patched cmdline" &&
		is "vmlinux/patched" "$LP_SYSFS/$B/vmlinux/patched" 1
}

coming_setup() {
	not_loaded "$T" && basic_intact
}

coming_try() {
	inject "$1" insmod "$LP_MODS/$T.ko"
}

coming_ok() {
	is "plain" "$PLAIN" "test_lp_basic: patched" &&
		is "$T/patched" "$LP_SYSFS/$B/$T/patched" 1 &&
		holds "cannot remove $T: $LP_OUT" lp_rmmod "$T" &&
		is "$T/patched after rmmod" "$LP_SYSFS/$B/$T/patched" 0 &&
		basic_intact
}

no_proc_dir() {
	[[ ! -e "$LP_PROC" ]] || { WHY="$LP_PROC is left"; return 1; }
}

coming_failed() {
	not_loaded "$T" && no_proc_dir &&
		is "$T/patched" "$LP_SYSFS/$B/$T/patched" 0 &&
		basic_intact &&
		not_ftraced test_lp_plain_show
}

coming_reset() {
	if lp_mod_loaded "$T" && ! lp_rmmod "$T"; then
		WHY="cannot remove $T: $LP_OUT"
		return 1
	fi
	basic_intact && return 0
	cleanup_patch "$B" && lp_insmod "$B" && lp_enabled_settled "$B"
}

sweep coming
report coming "the enabled patch stayed intact whatever happened to the module"
lp_ok "disable and remove $B" lp_disable_unload "$B"

# ===================================================================================
# held: insmod test_lp_cm while a reader sleeps in test_lp_busy_show()

lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
lp_gate_close || lp_bail "cannot close the busy gate"
lp_park_reader "$tmp/reader" || lp_bail "no reader parked at the busy gate"
reader=$LP_BG

parked() {
	local state n
	read -r state n 2>/dev/null <"$LP_GATE"
	[[ "$state" == closed && "${n:-0}" -ge 1 ]]
}

held_setup() {
	gone_clean "$CM" && holds "the reader left the gate" parked
}

held_try() {
	inject "$1" insmod "$LP_MODS/$CM.ko"
}

# While the reader sleeps in the old function, the patching transition
# cannot complete; reversing it can, with the reader still inside.
held_ok() {
	is "transition right after the load" "$LP_SYSFS/$CM/transition" 1 &&
		holds "the transition completed with a task in the old function" \
			in_transition_for "$CM" 1 &&
		holds "cannot reverse the transition" lp_write "$LP_SYSFS/$CM/enabled" 0 &&
		settled "$CM" && unload_disabled "$CM" &&
		not_ftraced test_lp_busy_show test_lp_spin_step
}

held_failed() {
	gone_clean "$CM" && holds "the reader left the gate" parked &&
		not_ftraced test_lp_busy_show test_lp_spin_step
}

held_reset() {
	cleanup_patch "$CM" && parked
}

sweep held
report held "no transition completed while a task slept in the old function"
lp_gate_open
lp_reader_result "$reader" "$tmp/reader"
lp_eq "the parked reader ran the original function" "$ORIGINAL" "$LP_READ"

# ===================================================================================
# disable: write 0 to test_lp_basic/enabled

disable_setup() {
	if ! mod_loaded "$B"; then
		holds "cannot load $B: $LP_OUT" lp_insmod "$B" || return 1
	fi
	enabled_settled "$B"
}

disable_try() {
	inject "$1" write "$LP_SYSFS/$B/enabled" 0
}

disable_ok() {
	settled "$B" && unload_disabled "$B" && basic_unpatched
}

disable_failed() {
	enabled_settled "$B" &&
		is "cmdline" /proc/cmdline "test_lp_basic: patched cmdline" &&
		disable_unload "$B"
}

disable_reset() {
	cleanup_patch "$B"
}

sweep disable
report disable "every write disabled the patch completely or left it as it was"
cleanup_patch "$B"

# ===================================================================================
# shadow: one run of test_lp_fault_shadow's allocations, in a write

shadow_nulls=0
lp_insmod "$SH" || lp_bail "cannot load $SH: $LP_OUT"
SH_RUN=/sys/module/$SH/parameters/run

shadow_setup() {
	lp_mod_loaded "$SH" || { WHY="$SH is not loaded"; return 1; }
}

shadow_try() {
	inject "$1" write "$SH_RUN" 1
}

shadow_ok() {
	local p=/sys/module/$SH/parameters n
	is "bad" "$p/bad" 0 || return 1
	get "$p/nulls"
	n=$GOT
	[[ "$n" =~ ^[0-9]+$ ]] || { WHY="nulls reads '$n'"; return 1; }
	shadow_nulls=$((shadow_nulls + n))
}

shadow_failed() {
	[[ "$INJ_MSG" != "Bad message" ]] || { WHY="the run found inconsistencies"; return 1; }
}

shadow_reset() {
	:
}

sweep shadow
report shadow "every shadow allocation that failed returned NULL and left nothing"
lp_diag "shadow: $shadow_nulls klp_shadow_*alloc() calls returned NULL"
lp_ok "failures reached the shadow variable allocations" test "$shadow_nulls" -gt 0
lp_ok "$SH can be removed" lp_rmmod "$SH"

failslab_restore
lp_diag "faults injected in all sweeps: $injected_total"

# ===================================================================================
# pre_patch failing for one of three objects (no injected faults)

# cb_log: test_lp_fault_cb's callback lines since the mark, one per line.
cb_log() {
	lp_log | sed -n "s/^$CB: //p"
}

nothing_patched() {
	lp_mod_gone "$CB" &&
		[[ "$(lp_read /proc/version)" == "$orig_version" ]] &&
		[[ "$(lp_read "$PLAIN")" == "$ORIGINAL" ]] &&
		[[ "$(lp_read "$F1")" == "$F1_ORIGINAL" ]] &&
		! ftraced_any version_proc_show test_lp_plain_show test_lp_mod_f1_show
}

if ! mod_loaded "$MT" && ! lp_insmod "$MT"; then
	lp_bail "cannot load $MT: $LP_OUT"
fi
objs=(vmlinux "$T" "$MT")
for fail in 1 2 3; do
	want=""
	for ((i = 1; i < fail; i++)); do
		want+="pre_patch ${objs[i - 1]}"$'\n'
	done
	want+="pre_patch ${objs[fail - 1]} failing"
	for ((i = 1; i < fail; i++)); do
		want+=$'\n'"post_unpatch ${objs[i - 1]}"
	done
	lp_mark_log
	if lp_insmod "$CB" fail_obj="$fail"; then
		lp_fail "enable fails when pre_patch of ${objs[fail - 1]} fails" "insmod succeeded"
	else
		lp_match "enable fails when pre_patch of ${objs[fail - 1]} fails" \
			"Operation canceled" "$LP_OUT"
	fi
	lp_eq "pre_patch of ${objs[fail - 1]} fails: post_unpatch only where pre_patch ran" \
		"$want" "$(cb_log)"
	lp_ok "nothing stays patched when pre_patch of ${objs[fail - 1]} fails" nothing_patched
done

# ... and when it refuses a module that loads later.
lp_rmmod "$MT" || lp_bail "cannot remove $MT: $LP_OUT"
lp_mark_log
lp_ok "enable $CB while $MT is not loaded" lp_insmod "$CB"
lp_ok "its transition completes" lp_enabled_settled "$CB"
lp_eq "callbacks of the enable" "pre_patch vmlinux
pre_patch $T
post_patch vmlinux
post_patch $T" "$(cb_log)"
lp_write "/sys/module/$CB/parameters/fail_obj" 3 || lp_bail "cannot set fail_obj: $LP_ERR"
lp_mark_log
if lp_insmod "$MT"; then
	lp_fail "$MT is refused when pre_patch of its object fails" "insmod succeeded"
else
	lp_match "$MT is refused when pre_patch of its object fails" "Operation canceled" "$LP_OUT"
fi
lp_eq "only the failing pre_patch ran" "pre_patch $MT failing" "$(cb_log)"
lp_not "$MT is not loaded" lp_mod_loaded "$MT"
lp_eq "$MT/patched reads 0" 0 "$(lp_attr "$CB" "$MT/patched")"
intact="$(lp_attr "$CB" enabled) $(lp_attr "$CB" transition)"
intact+=" $(lp_read /proc/version) $(lp_read "$PLAIN")"
lp_eq "the rest of $CB is intact" "1 0 $CB: patched version $CB: patched" "$intact"
lp_write "/sys/module/$CB/parameters/fail_obj" 0
lp_mark_log
lp_ok "$MT loads once pre_patch lets it" lp_insmod "$MT"
lp_eq "$MT runs the patched f1" "$CB: f1" "$(lp_read "$F1")"
lp_eq "callbacks of the late patching" "pre_patch $MT
post_patch $MT" "$(cb_log)"
lp_mark_log
lp_ok "disable and remove $CB" lp_disable_unload "$CB"
lp_eq "callbacks of the disable" "pre_unpatch vmlinux
pre_unpatch $T
pre_unpatch $MT
post_unpatch vmlinux
post_unpatch $T
post_unpatch $MT" "$(cb_log)"
lp_ok "nothing stays patched" nothing_patched

# ===================================================================================

# Error paths that forget to free something: ask kmemleak.
lp_kmemleak_scan 60
leaks=$LP_LEAKS

# Reports, not lines: a Call Trace counts only when nothing else does.
# The report of a failed allocation carries a Call Trace as well; faults
# injected into vmalloc() (KASAN's module shadow, for one) print them.
# Such a trace is expected here, any other is not.
splats=$(kernel_log | awk -v pat="$SPLAT" '
	/vmalloc error:|page allocation failure:/ { alloc = 1 }
	$0 ~ pat {
		if (!/Call Trace/) { other++; next }
		if (alloc) { alloc = 0; next }
		traces++
	}
	END { print other ? other : traces + 0 }')
if ((splats == 0)); then
	lp_pass "no kernel splat during the run"
else
	lp_fail "no kernel splat during the run" \
		"$(kernel_log | grep -E -B2 -A12 "$SPLAT" | head -n 60)"
fi
lp_diag "figures: faults injected=$injected_total splats=$splats leaks=$leaks"
rm -rf "$tmp"
failslab_restore
lp_end
