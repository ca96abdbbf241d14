#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Many transitions under load.  While reader processes call patched
# functions in a loop, a walker reads every sysfs and debugfs file of the
# core, a fork storm runs and a kthread spins in a patched function, the
# test
#   1. enables and disables test_lp_basic over and over, on top of the
#      atomic-replace patch test_lp_stress_b, unloading and reloading
#      test_lp_target between cycles and under the enabled patches;
#   2. alternates test_lp_stress_a and _b, each replacing the other,
#      reloading test_lp_target now and then.
# Every read must return the output of a version that may legitimately
# run at that moment, every transition must complete within LP_TIMEOUT,
# and once everything is unloaded, slab memory must be back where it was.
#
# The functions the readers call keep an ftrace user throughout the
# cycles (test_lp_stress_b underneath test_lp_basic), so ftrace never
# rewrites their call sites while the readers run: under QEMU TCG a vCPU
# executing a call site that text_poke_bp() rewrites can run a stale int3
# and oops (seen once in about 1500 rewrites of /proc/cmdline's function).
# A module's functions are patched and unpatched before and after its
# files exist, so the reloads of test_lp_target are safe as well.
#
# The kthread naps for a jiffy now and then, as kthreads doing real work
# do.  One that never sleeps holds off every RCU-tasks grace period on a
# kernel with Tasks RCU, so no ftrace user, the core included, can detach
# anything until it stops, and a patch's directory stays until then:
# test-tasks-rcu.sh checks that case, and that nothing else waits.
#
# LP_STRESS_CYCLES (default 200) is the number of cycles, half of them
# enable/disable and half replace.  LP_STRESS_SECONDS (default 150) caps
# the time the cycles may take, half of it per phase: a slow (debug, or
# busy) machine runs fewer cycles, and says so.  Fewer than
# LP_STRESS_MIN_CYCLES (default: all of them) in all is a failure, so a
# run cut short by its budget cannot pass as the documented one; the
# harness lowers it for the debug kernel.  The full run is
# LP_STRESS_CYCLES=1000 LP_STRESS_SECONDS=0 (no cap).
#
# Slab usage is the sum of active objects times object size in
# /proc/slabinfo, after dropping caches and shrinking every cache, with
# the pools of debug objects and kmemleak left out.  It may end up to
# LP_STRESS_SLAB_SLACK KiB (default 512) above where it started: per-CPU
# caches, RCU-delayed frees and the page cache's radix tree nodes make up
# that noise (about 100-200 KiB measured).  A leak of a few KiB per cycle
# shows above it; kmemleak, when built in, is asked as well.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_target
B=test_lp_basic
SA=test_lp_stress_a
SB=test_lp_stress_b
PLAIN=$LP_PROC/plain
SPIN=$LP_PROC/spin
CYCLES=${LP_STRESS_CYCLES:-200}
BUDGET=${LP_STRESS_SECONDS:-150}
MIN_CYCLES=${LP_STRESS_MIN_CYCLES:-$CYCLES}
SLACK_KB=${LP_STRESS_SLAB_SLACK:-512}
READERS=2
# No background loop outlives this, whatever happens to the script.
LOOP_LIMIT=$((${BUDGET:-0} > 0 ? BUDGET + 120 : CYCLES * 3 + 120))
ABSENT="<absent>"
SPLAT='WARNING:|BUG:|Oops|Call Trace|circular locking|recursive locking|inconsistent lock state'
SPLAT+='|suspicious RCU usage|unreferenced object|KASAN:|UBSAN:|general protection|kernel BUG'
SPLAT+='|soft lockup|hard LOCKUP|blocked for more than|rcu: INFO|list_(add|del) corruption'
SPLAT+='|refcount_t:|ODEBUG:'

lp_begin 27 "$T" "$B" "$SA" "$SB"
if [[ ! "$CYCLES" =~ ^[0-9]+$ ]] || ((CYCLES < 2)) || [[ ! "$BUDGET" =~ ^[0-9]+$ ]]; then
	lp_bail "LP_STRESS_CYCLES must be a number >= 2, LP_STRESS_SECONDS a number"
fi
[[ -r /proc/slabinfo ]] || lp_bail "no /proc/slabinfo (CONFIG_SLUB_DEBUG)"
# The core's debug messages would only flood the log, a few per cycle.
[[ -w "$LP_DYNDBG" ]] && echo 'file kernel/livepatch/* -p' >"$LP_DYNDBG"

tmp=$(mktemp -d)
orig_cmdline=$(lp_read /proc/cmdline)
orig_plain="test_lp_target: original"

# --- the kernel log, tapped for the whole run --------------------------------

# The ring buffer may wrap during a long run, so follow it from now on.
if dmesg --help 2>/dev/null | grep -q -- --follow-new; then
	lp_bg dmesg --follow-new --notime >"$tmp/kmsg" 2>/dev/null
else
	lp_mark_log
fi

kernel_log() {
	if [[ -n "$LP_MARK" ]]; then
		lp_log
	else
		cat "$tmp/kmsg"
	fi
}

# --- slab usage --------------------------------------------------------------

# Debug kernels keep pools of their own in slab, refilled to a high
# watermark whenever they run low: those caches are not counted.
SLAB_NOT_OURS='^(debug_objects_cache|kmemleak_object|kmemleak_scan_area)$'

slab_bytes() {
	awk -v skip="$SLAB_NOT_OURS" 'NR > 2 && $1 !~ skip { s += $2 * $4 }
		END { printf "%d\n", s }' /proc/slabinfo
}

# slab_settle: free what can be freed, then poll until the total stops
# moving (or 10 s); prints it.
slab_settle() {
	local f prev=-1 cur deadline=$((SECONDS + 10))
	while :; do
		echo 3 >/proc/sys/vm/drop_caches
		for f in /sys/kernel/slab/*/shrink; do
			echo 1 >"$f" 2>/dev/null
		done
		cur=$(slab_bytes)
		if ((prev >= 0 && (cur - prev < 16384 && prev - cur < 16384))) ||
		   ((SECONDS >= deadline)); then
			echo "$cur"
			return
		fi
		prev=$cur
		sleep 0.5
	done
}

# Object counts per cache, for saying where slab grew.
slab_objects() {
	awk 'NR > 2 { print $1, $2 * $4 }' /proc/slabinfo | sort
}

# --- background load ---------------------------------------------------------

# reader FILE ALLOWED...: read FILE until told to stop; every line must be
# one of ALLOWED ("<absent>" allows the file to be missing or unreadable
# while its module goes away).  Leaves "reads mismatches absent" in
# $tmp/reader.$BASHPID and the first mismatches in $tmp/bad.$BASHPID.
reader() {
	local file="$1" line n=0 bad=0 absent=0 a end=$((SECONDS + LOOP_LIMIT))
	local -A ok=()
	shift
	for a in "$@"; do
		ok[$a]=1
	done
	while [[ ! -e "$tmp/stop" ]] && ((SECONDS < end)); do
		if read -r line 2>/dev/null <"$file"; then
			n=$((n + 1))
			[[ -n "${ok[$line]:-}" ]] && continue
		elif [[ -n "${ok[$ABSENT]:-}" ]]; then
			# Missing, or being removed (procfs then fails reads).
			absent=$((absent + 1))
			continue
		else
			line="<failed read>"
		fi
		bad=$((bad + 1))
		((bad > 5)) || echo "$file: '$line'" >>"$tmp/bad.$BASHPID"
	done
	echo "$n $bad $absent" >"$tmp/reader.$BASHPID"
}

# walker: read every sysfs and debugfs file of the core, for every patch,
# object and function there is at the moment, until told to stop; files
# come and go with the patches, so failed reads are expected.  Readers of
# these files once deadlocked against the freeing of their own nodes.
# Leaves the number of files read in $tmp/walker.$BASHPID.
walker() {
	local n=0 f end=$((SECONDS + LOOP_LIMIT))
	while [[ ! -e "$tmp/stop" ]] && ((SECONDS < end)); do
		for f in "$LP_SYSFS"/*/* "$LP_SYSFS"/*/*/* "$LP_SYSFS"/*/*/*/* \
			 /sys/kernel/debug/livepatch/*; do
			[[ -f "$f" ]] || continue
			read -r _ 2>/dev/null <"$f" && n=$((n + 1))
		done
	done
	echo "$n" >"$tmp/walker.$BASHPID"
}

# storm: start short-lived processes until told to stop.
storm() {
	local n=0 end=$((SECONDS + LOOP_LIMIT))
	while [[ ! -e "$tmp/stop" ]] && ((SECONDS < end)); do
		/bin/true
		(:)
		n=$((n + 2))
	done
	echo "$n" >"$tmp/storm.$BASHPID"
}

# bg_phase FUNC ARGS...: a background reader of this phase, at a lower
# priority so that the cycles and the fork storm keep a steady pace.
PHASE_PIDS=()
bg_phase() {
	lp_bg bg_nice "$@"
	PHASE_PIDS+=("$LP_BG")
}

bg_nice() {
	renice -n 10 -p "$BASHPID" >/dev/null 2>&1
	"$@"
}

# start_load CMDLINE_ALLOWED PLAIN_ALLOWED: readers of both files, a
# fork storm, and the spinning kthread.  Each ALLOWED is a list
# separated by "|".
start_load() {
	local i cmd plain
	IFS='|' read -r -a cmd <<<"$1"
	IFS='|' read -r -a plain <<<"$2"
	rm -f "$tmp/stop"
	PHASE_PIDS=()
	for ((i = 0; i < READERS; i++)); do
		bg_phase reader /proc/cmdline "${cmd[@]}"
		bg_phase reader "$PLAIN" "${plain[@]}"
	done
	bg_phase walker
	lp_bg storm
	PHASE_PIDS+=("$LP_BG")
	lp_write "$SPIN" nap
}

# stop_load: stop the background load; adds its counters to READS, BAD,
# ABSENT_READS, FORKS and WALKS, and keeps the first mismatches in $tmp/bad.
stop_load() {
	local pid n b a
	touch "$tmp/stop"
	for pid in "${PHASE_PIDS[@]}"; do
		wait "$pid"
		if [[ -f "$tmp/reader.$pid" ]]; then
			read -r n b a <"$tmp/reader.$pid"
			READS=$((READS + n)) BAD=$((BAD + b)) ABSENT_READS=$((ABSENT_READS + a))
		elif [[ -f "$tmp/storm.$pid" ]]; then
			FORKS=$((FORKS + $(cat "$tmp/storm.$pid")))
		elif [[ -f "$tmp/walker.$pid" ]]; then
			WALKS=$((WALKS + $(cat "$tmp/walker.$pid")))
		else
			BAD=$((BAD + 1))
			echo "background job $pid left no counters" >>"$tmp/bad.$pid"
		fi
	done
	cat "$tmp"/bad.* 2>/dev/null | head -n 10 >"$tmp/bad"
	rm -f "$tmp"/bad.* "$tmp"/reader.* "$tmp"/storm.* "$tmp"/walker.*
	PHASE_PIDS=()
}

spin_restart() {
	lp_write "$SPIN" nap
}

# --- cycles ------------------------------------------------------------------
#
# The cycles read sysfs and /proc with bash builtins and wait with a timed
# read on a FIFO nobody writes to: under the background load every fork
# and exec costs, and the cycle count is what the run is about.

FAILED=""	# what went wrong in the first failed cycle
mkfifo "$tmp/nap"
exec {NAP}<>"$tmp/nap"

# get FILE: its first line in GOT, "<unreadable>" if there is none.
get() {
	GOT=""
	read -r GOT 2>/dev/null <"$1"
	[[ -n "$GOT" ]] || GOT="<unreadable>"
}

# is WHAT FILE WANT: FILE reads WANT; otherwise say what it read.
is() {
	get "$2"
	[[ "$GOT" == "$3" ]] && return 0
	FAILED="$1: want '$3', got '$GOT'"
	return 1
}

# until_ok WHAT CMD...: retry CMD every 20 ms for up to LP_TIMEOUT s.
until_ok() {
	local what="$1" deadline=$((SECONDS + LP_TIMEOUT))
	shift
	until "$@"; do
		if ((SECONDS >= deadline)); then
			FAILED="$what after ${LP_TIMEOUT}s"
			return 1
		fi
		read -r -t 0.02 -u "$NAP" _
	done
	return 0
}

no_transition() {
	get "$LP_SYSFS/$1/transition"
	[[ "$GOT" == 0 || ! -d "$LP_SYSFS/$1" ]]
}

gone() {
	[[ ! -e "$LP_SYSFS/$1" ]]
}

unreferenced() {
	get "/sys/module/$1/refcnt"
	[[ "$GOT" == 0 ]]
}

settled() {
	until_ok "$1: transition still running" no_transition "$1"
}

load() {
	lp_insmod "$1" && return 0
	FAILED="insmod $1: $LP_OUT"
	return 1
}

# unload MOD: once nothing holds MOD, remove it.
unload() {
	until_ok "$1 still referenced ($GOT)" unreferenced "$1" || return 1
	lp_rmmod "$1" && return 0
	FAILED="rmmod $1: $LP_OUT"
	return 1
}

disable() {
	{ echo 0 >"$LP_SYSFS/$1/enabled"; } 2>/dev/null && return 0
	FAILED="cannot disable $1"
	return 1
}

reload_target() {
	unload "$T" && load "$T" && spin_restart
}

# basic_cycle N: enable test_lp_basic on top of test_lp_stress_b, check,
# disable, remove.  Every
# fourth cycle test_lp_target goes and comes back under the enabled
# patch; every fourth (other) one, between cycles.
basic_cycle() {
	local n=$1
	load "$B" && settled "$B" || return 1
	is "enabled" "$LP_SYSFS/$B/enabled" 1 &&
		is "cmdline" /proc/cmdline "test_lp_basic: patched cmdline" &&
		is "plain" "$PLAIN" "test_lp_basic: patched" || return 1
	if ((n % 4 == 1)); then
		unload "$T" &&
			is "$T/patched with $T gone" "$LP_SYSFS/$B/$T/patched" 0 &&
			load "$T" && spin_restart &&
			is "$T/patched with $T back" "$LP_SYSFS/$B/$T/patched" 1 &&
			is "plain after the reload" "$PLAIN" "test_lp_basic: patched" || return 1
	fi
	disable "$B" && settled "$B" && until_ok "$B still in sysfs" gone "$B" &&
		is "cmdline after disable" /proc/cmdline "$SB: patched cmdline" &&
		is "plain after disable" "$PLAIN" "$SB: patched" &&
		unload "$B" || return 1
	if ((n % 4 == 3)); then
		reload_target || return 1
	fi
}

# replace_cycle N: the patch not in force replaces the one that is.
# Every eighth cycle test_lp_target goes and comes back.
replace_cycle() {
	local n=$1 new old
	if ((n % 2)); then
		new=$SA old=$SB
	else
		new=$SB old=$SA
	fi
	load "$new" && settled "$new" && until_ok "replaced $old still in sysfs" gone "$old" &&
		is "cmdline" /proc/cmdline "$new: patched cmdline" &&
		is "plain" "$PLAIN" "$new: patched" &&
		unload "$old" || return 1
	if ((n % 8 == 0)); then
		reload_target && is "plain after the reload" "$PLAIN" "$new: patched" || return 1
	fi
}

# run_cycles FUNC COUNT: run the cycles, stop at the first failure or
# when half the time budget is used up; sets DONE to the number of cycles
# that passed.
run_cycles() {
	local i end=$((SECONDS + BUDGET / 2))
	DONE=0
	for ((i = 1; i <= $2; i++)); do
		((BUDGET == 0 || SECONDS < end)) || break
		if ! "$1" "$i"; then
			FAILED=${FAILED:-"no reason recorded"}
			return 1
		fi
		DONE=$i
	done
}

# check_load DESC: the background load of a phase saw nothing wrong.
check_load() {
	if ((BAD == 0)); then
		lp_pass "$1"
	else
		lp_fail "$1" "$BAD unexpected results, the first ones:" "$(cat "$tmp/bad")"
	fi
}

# add_totals: add the counters of a phase to the totals.
add_totals() {
	TOTAL_READS=$((TOTAL_READS + READS))
	TOTAL_FORKS=$((TOTAL_FORKS + FORKS))
	TOTAL_BAD=$((TOTAL_BAD + BAD))
}

# --- setup ---------------------------------------------------------------------

lp_leftovers_gone || lp_bail "test modules are loaded already"
slab_start=$(slab_settle)
slab_objects >"$tmp/slab.start"
lp_kmemleak_clear
lp_ok "load $T" lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
t0=$SECONDS
TOTAL_READS=0 TOTAL_FORKS=0 TOTAL_BAD=0

# --- phase 1: enable and disable ---------------------------------------------

N1=$((CYCLES / 2))
READS=0 BAD=0 ABSENT_READS=0 FORKS=0 WALKS=0
if ! lp_ok "load $SB, to stay underneath" lp_insmod "$SB" || ! lp_enabled_settled "$SB"; then
	lp_bail "cannot enable $SB: $LP_OUT"
fi
start_load "$SB: patched cmdline|test_lp_basic: patched cmdline" \
	"$SB: patched|test_lp_basic: patched|$ABSENT"
FAILED=""
run_cycles basic_cycle "$N1"
stop_load
if [[ -z "$FAILED" ]] && ((DONE > 0)); then
	lp_pass "enable/disable cycles of $B, each transition done within ${LP_TIMEOUT}s"
else
	lp_fail "enable/disable cycles of $B, each transition done within ${LP_TIMEOUT}s" \
		"cycle $((DONE + 1)) failed: ${FAILED:-no time for a cycle}"
fi
DONE1=$DONE
lp_diag "phase 1: $DONE of $N1 cycles, $READS reads ($ABSENT_READS while $T was away)," \
	"$FORKS processes started, $BAD unexpected results"
check_load "every read during the enable/disable cycles saw the old or the new version"
lp_ok "the readers kept reading throughout" test "$READS" -gt "$DONE"
lp_ok "the sysfs and debugfs walker kept reading (${WALKS:-0} files)" test "${WALKS:-0}" -gt "$DONE"
add_totals
spin_is() {
	[[ "$(lp_read "$SPIN")" =~ ^running\ $1\ [1-9] ]]
}
lp_ok "the spinning kthread runs $SB's step" lp_poll "$LP_TIMEOUT" spin_is patched
lp_eq "only $SB is left in $LP_SYSFS" "$SB" "$(lp_subdirs "$LP_SYSFS")"

# --- phase 2: atomic replace back and forth ----------------------------------

N2=$((CYCLES - N1))
READS=0 BAD=0 ABSENT_READS=0 FORKS=0 WALKS=0
start_load "$SA: patched cmdline|$SB: patched cmdline" \
	"$SA: patched|$SB: patched|$ABSENT"
FAILED=""
run_cycles replace_cycle "$N2"
stop_load
if [[ -z "$FAILED" ]] && ((DONE > 0)); then
	lp_pass "atomic-replace cycles between $SA and $SB"
else
	lp_fail "atomic-replace cycles between $SA and $SB" \
		"cycle $((DONE + 1)) failed: ${FAILED:-no time for a cycle}"
fi
DONE2=$DONE
lp_diag "phase 2: $DONE of $N2 cycles, $READS reads ($ABSENT_READS while $T was away)," \
	"$FORKS processes started, $BAD unexpected results"
check_load "every read during the replace cycles saw one of the two patches"
lp_ok "the readers kept reading throughout" test "$READS" -gt "$DONE"
lp_ok "the sysfs and debugfs walker kept reading (${WALKS:-0} files)" test "${WALKS:-0}" -gt "$DONE"
add_totals
lp_ok "the spinning kthread runs a patched step" lp_poll "$LP_TIMEOUT" spin_is patched

# Whichever of the two is left goes the normal way.
last=$SA
lp_gone "$SB" || last=$SB
lp_eq "exactly one replace patch is left" "$last" "$(lp_subdirs "$LP_SYSFS")"
lp_ok "disable and remove $last" lp_disable_unload "$last"
lp_eq "/proc/cmdline is the original again" "$orig_cmdline" "$(lp_read /proc/cmdline)"
lp_eq "$PLAIN is the original again" "$orig_plain" "$(lp_read "$PLAIN")"
lp_ok "the kthread runs the original step again" lp_poll "$LP_TIMEOUT" spin_is original
lp_write "$SPIN" stop
lp_ok "remove $T" lp_rmmod "$T"
elapsed=$((SECONDS - t0))

# --- nothing left behind -------------------------------------------------------

lp_ok "no test module is left" lp_leftovers_gone
lp_eq "nothing left in $LP_SYSFS" "" "$(lp_subdirs "$LP_SYSFS")"
lp_check_not_ftraced "cmdline_proc_show has no ftrace user left" cmdline_proc_show
lp_ok "the fork storms started processes in both phases" test "$TOTAL_FORKS" -gt 0

slab_end=$(slab_settle)
slab_objects >"$tmp/slab.end"
grew=$(((slab_end - slab_start) / 1024))
lp_diag "slab: $((slab_start / 1024)) KiB before, $((slab_end / 1024)) KiB after ($grew KiB);" \
	"grew most (bytes): $(join "$tmp/slab.start" "$tmp/slab.end" |
		awk '$3 - $2 > 0 { print $1, $3 - $2 }' | sort -k2 -nr | head -n 5 | tr '\n' ' ')"
if ((grew <= SLACK_KB)); then
	lp_pass "slab usage is back within ${SLACK_KB} KiB of where it started"
	leaks=0
else
	lp_fail "slab usage is back within ${SLACK_KB} KiB of where it started" \
		"it grew by $grew KiB; the caches that grew most (bytes):" \
		"$(join "$tmp/slab.start" "$tmp/slab.end" |
			awk '$3 - $2 > 0 { print $1, $3 - $2 }' | sort -k2 -nr | head -n 8)"
	leaks=1
fi

lp_kmemleak_scan 40
leaks=$((leaks + LP_LEAKS))

splats=$(kernel_log | grep -cE "$SPLAT")
if ((splats == 0)); then
	lp_pass "no kernel splat during the run"
else
	lp_fail "no kernel splat during the run" "$(kernel_log | grep -E "$SPLAT" | head -n 20)"
fi

((DONE1 + DONE2 == CYCLES)) || lp_diag "the time budget of ${BUDGET}s cut the run short"
lp_ok "at least $MIN_CYCLES of $CYCLES cycles ran ($((DONE1 + DONE2)))" \
	test "$((DONE1 + DONE2))" -ge "$MIN_CYCLES"
lp_diag "figures: cycles=$((DONE1 + DONE2)) of $CYCLES" \
	"($DONE1 enable/disable, $DONE2 replace) in ${elapsed}s," \
	"reads=$TOTAL_READS mismatches=$TOTAL_BAD processes=$TOTAL_FORKS" \
	"splats=$splats leaks=$leaks slab_delta_kib=$grew"
rm -rf "$tmp"
lp_end
