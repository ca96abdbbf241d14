#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The sample live patches of samples/livepatch, as installed with the
# kernel's modules: each is loaded, its effect checked, then disabled and
# removed.  livepatch-sample changes /proc/cmdline; livepatch-callbacks-demo
# logs each callback for vmlinux and its two target modules, refuses a
# module through pre_patch_ret and waits for busymod's sleeping work item;
# livepatch-shadow-fix1 and -fix2 stop livepatch-shadow-mod's leak, and the
# log shows every buffer they kept in a shadow variable freed exactly once.
# With kmemleak the shadow samples run in an order in which nothing leaks
# (the module's leak is on purpose), and kmemleak confirms it.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

SAMPLES=${LP_SAMPLES:-/lib/modules/$(uname -r)/kernel/samples/livepatch}
SAMPLE=livepatch_sample
CB=livepatch_callbacks_demo
CB_MOD=livepatch_callbacks_mod
CB_BUSY=livepatch_callbacks_busymod
SH_MOD=livepatch_shadow_mod
FIX1=livepatch_shadow_fix1
FIX2=livepatch_shadow_fix2
ALL_SAMPLES=("$SAMPLE" "$CB" "$CB_MOD" "$CB_BUSY" "$SH_MOD" "$FIX1" "$FIX2")
BUSY_SECS=8
KMEMLEAK=/sys/kernel/debug/kmemleak

# sample_file MOD: the installed file of sample module MOD, which may be
# compressed; false if there is none.
sample_file() {
	local f
	for f in "$SAMPLES/${1//_/-}".ko{,.xz,.zst,.gz}; do
		[[ -f "$f" ]] && printf '%s\n' "$f" && return 0
	done
	return 1
}

for m in "${ALL_SAMPLES[@]}"; do
	sample_file "$m" >/dev/null || lp_skip_all "no sample ${m//_/-}.ko in $SAMPLES"
done

# The shadow variable part depends on the kernel, see shadow_story_*().
SHADOW_LEAKY_CHECKS=20
SHADOW_CLEAN_CHECKS=18
if [[ -w "$KMEMLEAK" ]]; then
	lp_begin $((43 + SHADOW_CLEAN_CHECKS))
else
	lp_begin $((43 + SHADOW_LEAKY_CHECKS))
fi

# samples_cleanup: disable the sample patches still enabled, then remove
# every sample module, patches first.
samples_cleanup() {
	local m
	for m in "$SAMPLE" "$CB" "$FIX1" "$FIX2"; do
		[[ -d "$LP_SYSFS/$m" ]] || continue
		lp_wait_transition "$m"
		[[ "$(lp_attr "$m" enabled)" == 1 ]] && lp_write "$LP_SYSFS/$m/enabled" 0
		lp_wait_gone "$m" || lp_diag "cleanup: $m still in $LP_SYSFS"
	done
	for m in "$SAMPLE" "$CB" "$FIX1" "$FIX2" "$CB_MOD" "$CB_BUSY" "$SH_MOD"; do
		lp_mod_loaded "$m" && ! rmmod "$m" 2>/dev/null &&
			lp_diag "cleanup: cannot remove $m"
	done
	return 0
}
trap 'samples_cleanup; lp_cleanup' EXIT

for m in "${ALL_SAMPLES[@]}"; do
	lp_mod_loaded "$m" && lp_bail "sample $m is loaded already"
done

tmp=$(mktemp -d)
cmdline=$(cat /proc/cmdline)

# --- helpers ------------------------------------------------------------------

# load MOD [PARAM...]: insmod the sample module MOD (underscores).
load() {
	local m="$1"
	shift
	lp_run insmod "$(sample_file "$m")" "$@"
}

# smp_log: the kernel log since the mark, only the lines of the core and
# of the samples, without taint notices and the lines of work items,
# whose place in the log is not fixed.
smp_log() {
	lp_log | grep -E '^(livepatch|livepatch_[a-z_]+): ' |
		grep -Ev 'taint|module verification failed|busymod_work_func'
}

# smp_check_log DESC EXPECTED: smp_log is exactly EXPECTED; "D " lines
# are the core's pr_debug messages, dropped without dynamic debug.
smp_check_log() {
	local want got
	if lp_have_dyndbg; then
		want=$(awk '{ sub(/^D /, "") } 1' <<<"$2")
	else
		want=$(grep -v '^D ' <<<"$2")
	fi
	got=$(smp_log)
	if [[ "$want" == "$got" ]]; then
		lp_pass "$1"
	else
		lp_fail "$1" "kernel log since the mark, wanted:" "$want" "got:" "$got"
	fi
}

enable_log() {
	local p="$1"
	shift
	printf '%s\n' "livepatch: enabling patch '$p'" \
		"D livepatch: '$p': initializing patching transition"
	printf '%s\n' "$@" | grep -v '^$'
	printf '%s\n' "livepatch: '$p': starting patching transition" \
		"D livepatch: '$p': completing patching transition"
}

disable_log() {
	local p="$1"
	shift
	printf '%s\n' "D livepatch: '$p': initializing unpatching transition"
	printf '%s\n' "$@" | grep -v '^$'
	printf '%s\n' "livepatch: '$p': starting unpatching transition" \
		"D livepatch: '$p': completing unpatching transition"
}

# cb CALLBACK OBJ...: the lines livepatch-callbacks-demo logs.
cb() {
	local c="$1" o
	shift
	for o in "$@"; do
		printf '%s\n' "$CB: $c: $o"
	done
}

# log_count ERE: lines since the mark matching ERE.
log_count() {
	lp_log | grep -cE -- "$1"
}

log_has() {
	lp_log | grep -qE -- "$1"
}

# wait_log ERE [SECONDS]: until a line since the mark matches ERE.
wait_log() {
	lp_poll "${2:-$LP_TIMEOUT}" log_has "$1"
}

# --- livepatch-sample -----------------------------------------------------------

lp_mark_log
lp_ok "load livepatch-sample" load "$SAMPLE"
lp_ok "its transition completes" lp_enabled_settled "$SAMPLE"
lp_eq "/proc/cmdline is patched" "this has been live patched" "$(lp_read /proc/cmdline)"
smp_check_log "kernel log of enabling it" \
	"$(enable_log "$SAMPLE" ""; echo "livepatch: '$SAMPLE': patching complete")"
lp_mark_log
lp_write_ok "disable it" "$LP_SYSFS/$SAMPLE/enabled" 0
lp_ok "it goes away" lp_wait_gone "$SAMPLE"
lp_eq "/proc/cmdline is the original again" "$cmdline" "$(lp_read /proc/cmdline)"
smp_check_log "kernel log of disabling it" \
	"$(disable_log "$SAMPLE" ""; echo "livepatch: '$SAMPLE': unpatching complete")"
lp_ok "remove it" lp_unload_disabled "$SAMPLE"
lp_check_not_ftraced "no ftrace user is left on cmdline_proc_show" cmdline_proc_show

# --- livepatch-callbacks-demo -------------------------------------------------------

lp_mark_log
lp_ok "load livepatch-callbacks-mod" load "$CB_MOD"
lp_ok "load livepatch-callbacks-demo" load "$CB"
lp_ok "its transition completes" lp_enabled_settled "$CB"
smp_check_log "callbacks of vmlinux and of the module loaded before, in order" \
	"$(echo "$CB_MOD: loaded"
	enable_log "$CB" "$(cb pre_patch vmlinux "$CB_MOD [live]")"
	cb post_patch vmlinux "$CB_MOD [live]"
	echo "livepatch: '$CB': patching complete")"

lp_mark_log
lp_ok "load livepatch-callbacks-busymod while the patch is enabled" load "$CB_BUSY"
smp_check_log "its pre_patch and post_patch run while it is coming, before its init" \
	"$(echo "livepatch: applying patch '$CB' to loading module '$CB_BUSY'"
	cb pre_patch "$CB_BUSY [coming]"
	cb post_patch "$CB_BUSY [coming]"
	echo "$CB_BUSY: loaded, queueing the work item")"
lp_ok "its work item runs the replacement" \
	wait_log "^$CB: busymod_work_func: patched version, returning at once$"
lp_eq "the original work function never ran" 0 \
	"$(log_count "^$CB_BUSY: busymod_work_func")"

lp_mark_log
lp_ok "remove livepatch-callbacks-busymod while the patch is enabled" lp_rmmod "$CB_BUSY"
smp_check_log "its exit first, then pre_unpatch and post_unpatch while it is going" \
	"$(echo "$CB_BUSY: unloading"
	cb pre_unpatch "$CB_BUSY [going]"
	echo "livepatch: reverting patch '$CB' on unloading module '$CB_BUSY'"
	cb post_unpatch "$CB_BUSY [going]")"

lp_write_ok "set pre_patch_ret to -19" "/sys/module/$CB/parameters/pre_patch_ret" -19
lp_mark_log
if load "$CB_BUSY"; then
	lp_fail "pre_patch refuses livepatch-callbacks-busymod" "insmod succeeded"
else
	lp_match "pre_patch refuses livepatch-callbacks-busymod with ENODEV" \
		"No such device" "$LP_OUT"
fi
smp_check_log "the refusal is logged by the callback and the core; no init ran" \
	"$(echo "livepatch: applying patch '$CB' to loading module '$CB_BUSY'"
	cb pre_patch "$CB_BUSY [coming]"
	echo "$CB: pre_patch: refusing with -19, as pre_patch_ret asks"
	echo "livepatch: pre-patch callback failed for object '$CB_BUSY'"
	echo "livepatch: patch '$CB' failed for module '$CB_BUSY'," \
		"refusing to load module '$CB_BUSY'")"
lp_not "livepatch-callbacks-busymod is not loaded" lp_mod_loaded "$CB_BUSY"
lp_write_ok "set pre_patch_ret back to 0" "/sys/module/$CB/parameters/pre_patch_ret" 0

lp_mark_log
lp_write_ok "disable livepatch-callbacks-demo" "$LP_SYSFS/$CB/enabled" 0
lp_ok "it goes away" lp_wait_gone "$CB"
smp_check_log "unpatch callbacks of vmlinux and of the module still loaded" \
	"$(disable_log "$CB" "$(cb pre_unpatch vmlinux "$CB_MOD [live]")"
	cb post_unpatch vmlinux "$CB_MOD [live]"
	echo "livepatch: '$CB': unpatching complete")"
lp_ok "remove livepatch-callbacks-demo" lp_unload_disabled "$CB"
lp_mark_log
lp_ok "remove livepatch-callbacks-mod" lp_rmmod "$CB_MOD"
smp_check_log "without the patch, the module goes without callbacks" "$CB_MOD: unloading"

# A kworker sleeps in busymod_work_func() for BUSY_SECS seconds.
lp_mark_log
lp_ok "load livepatch-callbacks-busymod with sleep_secs=$BUSY_SECS" \
	load "$CB_BUSY" "sleep_secs=$BUSY_SECS"
lp_ok "its work item sleeps in the function the demo replaces" \
	wait_log "^$CB_BUSY: busymod_work_func: sleeping for $BUSY_SECS seconds$"
lp_mark_log
lp_ok "load livepatch-callbacks-demo while it sleeps" load "$CB"
lp_ok "the patching transition waits for the sleeping work item" \
	lp_holds 2 lp_in_transition "$CB"
smp_check_log "pre_patch ran, no post_patch while the transition waits" \
	"$(enable_log "$CB" "$(cb pre_patch vmlinux "$CB_BUSY [live]")" | sed '$d')"
lp_ok "the transition completes once the work item returned" \
	lp_poll $((BUSY_SECS + LP_TIMEOUT)) lp_transition_done "$CB"
smp_check_log "then post_patch runs" \
	"$(enable_log "$CB" "$(cb pre_patch vmlinux "$CB_BUSY [live]")"
	cb post_patch vmlinux "$CB_BUSY [live]"
	echo "livepatch: '$CB': patching complete")"
woke=$(lp_log | grep -nE "^$CB_BUSY: busymod_work_func: woke up, returning$" | cut -d: -f1)
done_at=$(lp_log | grep -nF "livepatch: '$CB': patching complete" | cut -d: -f1)
lp_ok "the work item returned before the transition completed" \
	test "${woke:-999999}" -lt "${done_at:-0}"
lp_ok "disable and remove livepatch-callbacks-demo" lp_disable_unload "$CB"
lp_ok "remove livepatch-callbacks-busymod" lp_rmmod "$CB_BUSY"

# --- livepatch-shadow-mod, -fix1, -fix2 ----------------------------------------------

# kept_freed_once: in the log since the mark saved in SHADOW_MARK, every
# buffer a fix kept in a shadow variable for a dummy is freed once, for
# that same dummy and after it was kept, and no other buffer is freed.  A
# dummy's address may be reused once it was freed; a dummy that has a
# buffer kept must not be reported as leaked.
kept_freed_once() {
	local LP_MARK=$SHADOW_MARK
	lp_log | awk -v f1="$FIX1: " -v f2="$FIX2: " '
		index($0, f1) != 1 && index($0, f2) != 1 { next }
		{ d = $3; sub(/:$/, "", d) }
		/ buffer [0-9a-f]+ kept in a shadow variable$/ {
			if (d in kept) { print "kept twice: " $0; bad = 1 }
			kept[d] = $(NF - 5)
			n++
		}
		/: freeing its buffer [0-9a-f]+, no leak$/ {
			b = $7; sub(/,$/, "", b)
			if (!(d in kept) || kept[d] != b) { print "freed unknown: " $0; bad = 1 }
			delete kept[d]
		}
		/: allocated before the fix, its buffer stays leaked$/ && (d in kept) {
			print "kept but called leaked: " $0; bad = 1
		}
		END {
			for (d in kept) { print "never freed: dummy " d; bad = 1 }
			print n + 0 " buffers kept"
			exit bad
		}'
}

# kept_check: the verdict of kept_freed_once as one check.
kept_check() {
	local kept
	if kept=$(kept_freed_once); then
		lp_pass "every buffer kept in a shadow variable was freed exactly once"
		lp_diag "$kept"
	else
		lp_fail "every buffer kept in a shadow variable was freed exactly once" "$kept"
	fi
}

# The samples' story: the module leaks, fix1 stops the leak for new
# dummies, fix2 takes over, and once it is disabled the module leaks again.
# Lines are "<module>: dummy <p>: ...", each printed by the code that ran;
# SH_ALLOC is the start of the line for a new dummy (extended regexes).
SH_DUMMY='dummy [0-9a-f]+:'
SH_ALLOC="$SH_DUMMY allocated, expires at jiffies [0-9]+, buffer [0-9a-f]+"
shadow_story_leaky() {
	lp_mark_log
	lp_ok "load livepatch-shadow-mod" load "$SH_MOD"
	lp_ok "it allocates dummies and leaks their buffers" \
		wait_log "^$SH_MOD: $SH_ALLOC leaked$"

	lp_mark_log
	SHADOW_MARK=$LP_MARK
	lp_ok "load livepatch-shadow-fix1" load "$FIX1"
	lp_ok "its transition completes" lp_enabled_settled "$FIX1"
	lp_mark_log
	lp_ok "new dummies keep their buffer in a shadow variable" \
		wait_log "^$FIX1: $SH_ALLOC kept in a shadow variable$"
	lp_ok "dummies from before the fix are freed with their buffer still leaked" \
		wait_log "^$FIX1: $SH_DUMMY allocated before the fix, its buffer stays leaked$"
	lp_ok "dummies from after the fix free their buffer when they expire" \
		wait_log "^$FIX1: dummy [0-9a-f]+: freeing its buffer [0-9a-f]+, no leak$"
	lp_eq "no new dummy leaks its buffer any more" 0 "$(log_count "^$SH_MOD: .* leaked$")"

	lp_ok "load livepatch-shadow-fix2, which replaces fix1" load "$FIX2"
	lp_ok "its transition completes" lp_enabled_settled "$FIX2"
	lp_ok "fix1 goes away" lp_wait_gone "$FIX1"
	lp_ok "remove livepatch-shadow-fix1" lp_unload_disabled "$FIX1"
	lp_ok "fix2 counts how often each dummy was checked" \
		wait_log "^$FIX2: dummy [0-9a-f]+: checked [1-9][0-9]* times before it expired$"
	lp_ok "fix2 frees the buffers it finds in shadow variables" \
		wait_log "^$FIX2: dummy [0-9a-f]+: freeing its buffer [0-9a-f]+, no leak$"

	lp_write_ok "disable livepatch-shadow-fix2" "$LP_SYSFS/$FIX2/enabled" 0
	lp_ok "it goes away" lp_wait_gone "$FIX2"
	kept_check
	lp_mark_log
	lp_ok "with the original code back, new dummies leak again" \
		wait_log "^$SH_MOD: $SH_ALLOC leaked$"
	lp_ok "remove livepatch-shadow-fix2" lp_unload_disabled "$FIX2"
	lp_ok "remove livepatch-shadow-mod" lp_rmmod "$SH_MOD"
}

# The same fixes without any leak, for kernels with kmemleak, which would
# report the buffers the unpatched module leaks on purpose: fix1 is
# enabled before the module loads, so no dummy ever runs the original
# dummy_alloc(), and the module goes while fix2 still frees what it kept.
# kmemleak then confirms that nothing was lost.
shadow_story_clean() {
	local leaks
	lp_mark_log
	SHADOW_MARK=$LP_MARK
	lp_ok "load livepatch-shadow-fix1 before its target" load "$FIX1"
	lp_ok "its transition completes" lp_enabled_settled "$FIX1"
	lp_ok "load livepatch-shadow-mod" load "$SH_MOD"
	lp_ok "fix1 is applied to the module as it loads" \
		log_has "^livepatch: applying patch '$FIX1' to loading module '$SH_MOD'$"
	lp_ok "the first dummies keep their buffer in a shadow variable" \
		wait_log "^$FIX1: $SH_ALLOC kept in a shadow variable$"
	lp_ok "they free their buffer when they expire" \
		wait_log "^$FIX1: dummy [0-9a-f]+: freeing its buffer [0-9a-f]+, no leak$"

	lp_ok "load livepatch-shadow-fix2, which replaces fix1" load "$FIX2"
	lp_ok "its transition completes" lp_enabled_settled "$FIX2"
	lp_ok "fix1 goes away" lp_wait_gone "$FIX1"
	lp_ok "remove livepatch-shadow-fix1" lp_unload_disabled "$FIX1"
	lp_ok "fix2 counts how often each dummy was checked" \
		wait_log "^$FIX2: dummy [0-9a-f]+: checked [1-9][0-9]* times before it expired$"
	lp_ok "fix2 frees the buffers it finds in shadow variables" \
		wait_log "^$FIX2: dummy [0-9a-f]+: freeing its buffer [0-9a-f]+, no leak$"

	lp_ok "remove livepatch-shadow-mod while fix2 is enabled" lp_rmmod "$SH_MOD"
	kept_check
	lp_eq "no dummy ever leaked its buffer" 0 "$(log_count "leaked$")"
	lp_mark_log
	lp_ok "disable and remove livepatch-shadow-fix2" lp_disable_unload "$FIX2"
	lp_eq "its post_unpatch found no shadow variable left" 0 \
		"$(log_count "freeing its buffer")"
	echo scan >"$KMEMLEAK"
	leaks=$(cat "$KMEMLEAK")
	lp_eq "kmemleak finds nothing unreferenced" "" "$leaks"
}

if [[ -w "$KMEMLEAK" ]]; then
	shadow_story_clean
else
	shadow_story_leaky
fi

lp_not "no sample module is left" \
	grep -Eq "^livepatch_(sample|callbacks_[a-z]+|shadow_[a-z0-9]+) " /proc/modules
lp_eq "no sample patch is left in $LP_SYSFS" "" \
	"$(find "$LP_SYSFS" -mindepth 1 -maxdepth 1 -name 'livepatch_*')"

rm -rf "$tmp"
samples_cleanup
lp_end
