# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers shared by the livepatch selftests, sourced by every test-*.sh.
# They print KTAP through ../kselftest/ktap_helpers.sh, load and unload the
# test modules while keeping their error text, poll sysfs with a time
# limit, read back only the kernel log a test produced, and leave nothing
# behind: lp_begin installs a trap that disables and unloads every test
# patch and module still present when the script ends.
#
# Conventions: helpers are named lp_*; globals LP_*.  A check never stops
# the script; a failed precondition does, through lp_bail.  Every check
# returns 0 when it passed and 1 when it failed or was skipped, so a script
# can write "lp_ok ... || lp_bail ...".

LP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# From the kernel tree: tools/testing/selftests/kselftest/ktap_helpers.sh.
# shellcheck source=/dev/null
. "$LP_DIR/../kselftest/ktap_helpers.sh"

LP_SYSFS=/sys/kernel/livepatch
LP_MODS=${LP_MODS:-$LP_DIR/test_modules}
LP_PROC=/proc/test_lp
LP_TRACING=/sys/kernel/tracing
LP_DYNDBG=/proc/dynamic_debug/control
LP_KMEMLEAK=/sys/kernel/debug/kmemleak
# Upper bound for any wait on the kernel.  A transition that nothing holds
# up ends within a retry or two, even in a slow debug VM.  Waiting longer
# than 6.12's 15 s before it signals tasks is fine: the tests that expect
# no signals check the kernel log for them.
LP_TIMEOUT=${LP_TIMEOUT:-20}

# shellcheck disable=SC2034 # LP_OUT and LP_RC are for the test scripts
LP_OUT=""	# output of the last lp_run
LP_RC=0		# exit status of the last lp_run
LP_ERR=""	# errno text of the last failed lp_write, e.g. "Invalid argument"
LP_MARK=""	# kernel log marker written by lp_mark_log
LP_PIDS=()	# background jobs to kill at exit
LP_DYNDBG_SET=0	# we enabled livepatch pr_debug and must turn it off again

# --- KTAP ------------------------------------------------------------------

# lp_diag TEXT...: a KTAP diagnostic line for each line of each TEXT.
lp_diag() {
	local text line
	for text in "$@"; do
		while IFS= read -r line; do
			printf '#   %s\n' "$line"
		done <<<"$text"
	done
}

lp_pass() { ktap_test_pass "$1"; }

# lp_fail DESC [DIAG...]: a failed check, with what went wrong.
lp_fail() {
	local desc="$1"
	shift
	ktap_test_fail "$desc"
	lp_diag "$@"
	return 1
}

# lp_ok DESC CMD...: passes when CMD succeeds.
lp_ok() {
	local desc="$1"
	shift
	if "$@"; then
		lp_pass "$desc"
	else
		lp_fail "$desc" "command failed: $*"
	fi
}

# lp_not DESC CMD...: passes when CMD fails.
lp_not() {
	local desc="$1"
	shift
	if "$@"; then
		lp_fail "$desc" "command succeeded: $*"
	else
		lp_pass "$desc"
	fi
}

# lp_eq DESC WANT GOT: passes when the two strings are equal.
lp_eq() {
	if [[ "$2" == "$3" ]]; then
		lp_pass "$1"
	else
		lp_fail "$1" "want: '$2'" "got:  '$3'"
	fi
}

# lp_match DESC REGEX TEXT: passes when TEXT matches the extended REGEX.
lp_match() {
	if grep -Eq -- "$2" <<<"$3"; then
		lp_pass "$1"
	else
		lp_fail "$1" "no match for /$2/ in:" "$3"
	fi
}

# lp_skip DESC REASON
lp_skip() {
	ktap_test_skip "$1"
	lp_diag "skipped: $2"
	return 1
}

# lp_bail REASON: a precondition failed, the remaining checks cannot run.
lp_bail() {
	ktap_exit_fail_msg "$*"
}

# lp_kmemleak_clear: forget what kmemleak has reported so far, so that
# lp_kmemleak_scan counts only what leaks after this.  Nothing without
# kmemleak.
lp_kmemleak_clear() {
	[[ ! -w "$LP_KMEMLEAK" ]] || echo clear >"$LP_KMEMLEAK"
}

# lp_kmemleak_scan [LINES]: one KTAP result, "kmemleak finds no leak",
# for what leaked since lp_kmemleak_clear; a failure shows
# the first LINES (default 40) of the report.  Skipped without kmemleak.
# Sets LP_LEAKS to the number of unreferenced objects.
LP_LEAKS=0
lp_kmemleak_scan() {
	LP_LEAKS=0
	if [[ ! -w "$LP_KMEMLEAK" ]]; then
		lp_skip "kmemleak finds no leak" "no $LP_KMEMLEAK"
		return 0
	fi
	# kmemleak reports only objects a few seconds old.
	sleep 6
	echo scan >"$LP_KMEMLEAK"
	LP_LEAKS=$(grep -c '^unreferenced object' "$LP_KMEMLEAK")
	if ((LP_LEAKS == 0)); then
		lp_pass "kmemleak finds no leak"
	else
		lp_fail "kmemleak finds no leak" "$(head -n "${1:-40}" "$LP_KMEMLEAK")"
	fi
}

# --- setup and teardown -----------------------------------------------------

# lp_skip_all REASON: nothing to test here; kselftest's exit code for skip.
lp_skip_all() {
	ktap_print_header
	ktap_skip_all "$*"
	exit "$KSFT_SKIP"
}

# lp_require_mods MOD...: skip the script unless these test modules exist.
lp_require_mods() {
	local m
	for m in "$@"; do
		[[ -f "$LP_MODS/$m.ko" ]] || lp_skip_all "test module $m.ko not built"
	done
}

# lp_begin PLAN MOD...: preconditions, KTAP header and plan, exit trap,
# livepatch debug messages on.  PLAN is the number of checks the script
# makes; MOD... the test modules it needs.
lp_begin() {
	local plan="$1"
	shift
	[[ $(id -u) -eq 0 ]] || lp_skip_all "must run as root"
	[[ -d "$LP_SYSFS" ]] || lp_skip_all "no $LP_SYSFS: kernel without CONFIG_LIVEPATCH"
	[[ -d /sys/module ]] || lp_skip_all "no /sys/module: kernel without module support"
	lp_require_mods "$@"
	ktap_print_header
	ktap_set_plan "$plan"
	trap lp_cleanup EXIT
	trap 'exit 130' INT TERM
	lp_leftovers_gone || lp_diag "test modules from an earlier run are still loaded"
	lp_dyndbg_on
}

# lp_end: restore the system, then report the totals and exit.
lp_end() {
	lp_cleanup
	ktap_finished
}

# lp_dyndbg_on: print the core's pr_debug lifecycle messages, which the
# tests compare.  The per-task report of klp_try_switch_task() stays off:
# how many times a task is retried is not deterministic.
lp_dyndbg_on() {
	[[ -w "$LP_DYNDBG" ]] || return 0
	echo 'file kernel/livepatch/* +p' >"$LP_DYNDBG" 2>/dev/null || return 0
	echo 'func klp_try_switch_task -p' >"$LP_DYNDBG" 2>/dev/null
	LP_DYNDBG_SET=1
}

lp_have_dyndbg() { [[ -w "$LP_DYNDBG" ]]; }

# Test modules currently loaded, the target module last.
lp_loaded_test_mods() {
	local name rest target=""
	while read -r name rest; do
		case "$name" in
		test_lp_target) target=$name ;;
		# Pinned for the rest of the boot by test-consistency.sh's
		# forced unpatching, by design: not a leftover.
		test_lp_cm_force) ;;
		test_lp_*) printf '%s\n' "$name" ;;
		esac
	done </proc/modules
	[[ -z "$target" ]] || printf '%s\n' "$target"
}

lp_leftovers_gone() {
	[[ -z "$(lp_loaded_test_mods)" ]]
}

# lp_cleanup: the exit trap.  Releases everything a test may have held,
# turns off every test patch and unloads every test module it can.  A
# module pinned by a forced transition cannot go and is left alone.
lp_cleanup() {
	local pid p m f
	trap - EXIT INT TERM
	[[ -w "$LP_PROC/busy_ctl" ]] && echo open >"$LP_PROC/busy_ctl" 2>/dev/null
	[[ -w "$LP_PROC/relay_ctl" ]] && echo open >"$LP_PROC/relay_ctl" 2>/dev/null
	[[ -w "$LP_PROC/spin" ]] && echo stop >"$LP_PROC/spin" 2>/dev/null
	for pid in "${LP_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	LP_PIDS=()
	for p in "$LP_SYSFS"/test_lp_*; do
		[[ -d "$p" ]] || continue
		m=${p##*/}
		lp_wait_transition "$m" 2>/dev/null
		[[ "$(lp_attr "$m" enabled)" == 1 ]] && lp_write "$LP_SYSFS/$m/enabled" 0
		lp_wait_gone "$m" || lp_diag "cleanup: $m still in $LP_SYSFS"
	done
	while read -r m; do
		[[ -n "$m" ]] || continue
		if ! rmmod "$m" >/dev/null 2>&1; then
			lp_diag "cleanup: cannot remove $m (refcnt $(lp_mod_refcnt "$m"))"
		fi
	done < <(lp_loaded_test_mods)
	if ((LP_DYNDBG_SET)); then
		echo 'file kernel/livepatch/* -p' >"$LP_DYNDBG" 2>/dev/null
		LP_DYNDBG_SET=0
	fi
	for f in "${!LP_SAVED[@]}"; do
		echo "${LP_SAVED[$f]}" >"$f" 2>/dev/null
	done
	LP_SAVED=()
	return 0
}

# lp_set_saved FILE VALUE: write VALUE to the setting FILE; the value
# FILE had before the first such write is written back at exit.
declare -A LP_SAVED=()
lp_set_saved() {
	[[ -v "LP_SAVED[$1]" ]] || LP_SAVED[$1]=$(cat "$1" 2>/dev/null)
	lp_write "$1" "$2"
}

# lp_saved FILE: the value FILE had before lp_set_saved first wrote it.
lp_saved() { printf '%s\n' "${LP_SAVED[$1]}"; }

# lp_nudge_set MS: stragglers get their fake signal after MS (the core's
# livepatch.signal_after_ms), until exit.
LP_NUDGE=/sys/module/livepatch/parameters/signal_after_ms
lp_nudge_set() { lp_set_saved "$LP_NUDGE" "$1"; }

# lp_linger_set MS: the transition hooks stay armed MS after a transition
# (the core's livepatch.hooks_linger_ms), until exit.
LP_LINGER=/sys/module/livepatch/parameters/hooks_linger_ms
lp_linger_set() { lp_set_saved "$LP_LINGER" "$1"; }

# lp_events_off: every livepatch trace event off, the trace buffer empty.
LP_EVENTS=$LP_TRACING/events/livepatch
lp_events_off() {
	echo 0 >"$LP_EVENTS/enable" 2>/dev/null
	echo >"$LP_TRACING/trace" 2>/dev/null
}

# lp_locked_down: the kernel is in lockdown (integrity or above), which
# forbids writing debugfs.
lp_locked_down() {
	grep -Eq '\[(integrity|confidentiality)\]' /sys/kernel/security/lockdown 2>/dev/null
}

# lp_direct_set 0|1: direct mode off or on (debugfs "direct"), until
# exit.  Fails where direct mode is not built.
LP_DIRECT=/sys/kernel/debug/livepatch/direct
lp_direct_set() { lp_set_saved "$LP_DIRECT" "$1"; }

# lp_bg CMD...: run CMD in the background; killed at exit if still there.
# The pid is in LP_BG.
lp_bg() {
	"$@" &
	LP_BG=$!
	LP_PIDS+=("$LP_BG")
}

# --- running commands -------------------------------------------------------

# lp_run CMD...: run CMD, keep its output in LP_OUT and status in LP_RC.
lp_run() {
	# shellcheck disable=SC2034 # read by the test scripts
	LP_OUT=$("$@" 2>&1)
	LP_RC=$?
	return "$LP_RC"
}

# lp_insmod MOD [PARAM...]: load a test module.
lp_insmod() {
	local m="$1"
	shift
	lp_run insmod "$LP_MODS/$m.ko" "$@"
}

# lp_rmmod MOD
lp_rmmod() {
	lp_run rmmod "$1"
}

lp_mod_loaded() {
	grep -q "^$1 " /proc/modules
}

# lp_mod_gone MOD: MOD is not loaded and has no patch in sysfs.
lp_mod_gone() {
	! lp_mod_loaded "$1" && lp_gone "$1"
}

lp_mod_refcnt() {
	cat "/sys/module/$1/refcnt" 2>/dev/null || echo none
}

# lp_write FILE VALUE: write VALUE and a newline like echo does, in one
# write(2).  On failure LP_ERR holds the errno text.
lp_write() {
	local msg
	LP_ERR=""
	if msg=$( { printf '%s\n' "$2" >"$1"; } 2>&1 ); then
		return 0
	fi
	LP_ERR=${msg##*: }
	return 1
}

# lp_read FILE: its contents, or "<unreadable>".
lp_read() {
	cat "$1" 2>/dev/null || echo "<unreadable>"
}

# lp_attr PATCH ATTR: a patch's sysfs attribute, "<unreadable>" if absent.
lp_attr() {
	lp_read "$LP_SYSFS/$1/$2"
}

# lp_write_ok DESC FILE VALUE: writing VALUE to FILE must succeed.
lp_write_ok() {
	if lp_write "$2" "$3"; then
		lp_pass "$1"
	else
		lp_fail "$1" "write of '$3' to $2 failed: $LP_ERR"
	fi
}

# lp_write_err DESC FILE VALUE ERR: writing VALUE to FILE must fail with
# errno text ERR.
lp_write_err() {
	local desc="$1" file="$2" value="$3" want="$4"
	if lp_write "$file" "$value"; then
		lp_fail "$desc" "write of '${value:0:40}' to $file succeeded"
	else
		lp_eq "$desc" "$want" "$LP_ERR"
	fi
}

# --- waiting ----------------------------------------------------------------

# lp_poll SECONDS CMD...: retry CMD every 0.1 s until it succeeds or
# SECONDS have passed.
lp_poll() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# lp_holds SECONDS CMD...: CMD keeps succeeding for SECONDS.
lp_holds() {
	local deadline=$((SECONDS + $1))
	shift
	while ((SECONDS < deadline)); do
		"$@" || return 1
		sleep 0.1
	done
}

lp_transition_done() {
	[[ ! -d "$LP_SYSFS/$1" || "$(lp_attr "$1" transition)" == 0 ]]
}

lp_in_transition() {
	[[ "$(lp_attr "$1" transition)" == 1 ]]
}

lp_gone() {
	[[ ! -e "$LP_SYSFS/$1" ]]
}

# lp_wait_transition PATCH: until PATCH is not in transition (or gone).
# On a timeout, the core's own view of the transition (which tasks block it
# and why) goes to the log, so that a failure names its cause.
lp_wait_transition() {
	local view
	lp_poll "$LP_TIMEOUT" lp_transition_done "$1" && return 0
	view=$(timeout 5 head -n 40 /sys/kernel/debug/livepatch/transition 2>&1) ||
		view="$view (no view within 5 s: klp_mutex is held?)"
	lp_diag "transition of $1 still running after ${LP_TIMEOUT}s:" "$view"
	return 1
}

# lp_wait_gone PATCH: until the core has dropped PATCH's sysfs directory.
lp_wait_gone() {
	lp_poll "$LP_TIMEOUT" lp_gone "$1"
}

lp_unref() {
	[[ "$(lp_mod_refcnt "$1")" == 0 ]]
}

# lp_wait_unref MOD: until nothing holds a reference on MOD.
lp_wait_unref() {
	lp_poll "$LP_TIMEOUT" lp_unref "$1"
}

# lp_subdirs DIR: names of DIR's subdirectories, space separated.
lp_subdirs() {
	local d names=()
	for d in "$1"/*/; do
		[[ -d "$d" ]] || continue
		d=${d%/}
		names+=("${d##*/}")
	done
	echo "${names[*]}"
}

# lp_enabled_settled PATCH: PATCH finished its transition and is enabled.
lp_enabled_settled() {
	lp_wait_transition "$1" && [[ "$(lp_attr "$1" enabled)" == 1 ]]
}

# lp_unload_disabled MOD: once the core let go of MOD's disabled patch,
# remove MOD.
lp_unload_disabled() {
	lp_wait_gone "$1" && lp_wait_unref "$1" && lp_rmmod "$1"
}

# lp_disable_unload MOD: disable MOD's patch and remove MOD.
lp_disable_unload() {
	lp_wait_transition "$1" && lp_write "$LP_SYSFS/$1/enabled" 0 &&
		lp_wait_transition "$1" && lp_unload_disabled "$1"
}

# --- kernel log -------------------------------------------------------------

# lp_mark_log: write a unique line to the kernel log; lp_log returns what
# was logged after it.
lp_mark_log() {
	LP_MARK="lp-selftest: ${0##*/} $$ $(date +%s.%N) mark"
	echo "$LP_MARK" >/dev/kmsg
}

# lp_log_leveled: "LEVEL MESSAGE" for each kernel log line since the last
# lp_mark_log, LEVEL being dmesg's name for it (err, warn, notice, ...), or
# "?" when dmesg cannot tell (not util-linux).
lp_log_leveled() {
	if dmesg -x >/dev/null 2>&1; then
		# "kern  :warn  : [   50.301386] livepatch: ..."
		dmesg -x | sed -e 's/^[a-z]* *:\([a-z]*\) *: *\[[^]]*\] \{0,1\}/\1 /'
	else
		dmesg | sed -e 's/^\[[^]]*\] \{0,1\}/? /'
	fi | awk -v mark="$LP_MARK" '
		seen { print }
		substr($0, index($0, " ") + 1) == mark { seen = 1 }'
}

# lp_log: kernel log lines since the last lp_mark_log, without timestamps.
lp_log() {
	lp_log_leveled | cut -d' ' -f2-
}

# lp_klp_log: the core's lines ("livepatch: ...") since the mark.
lp_klp_log() {
	lp_log | grep '^livepatch: '
}

# lp_check_log DESC EXPECTED [IGNORE]: the core's lines since the mark are
# exactly EXPECTED, one per line, once lines matching the extended regex
# IGNORE are left out.  A line of EXPECTED starting with "D " is a
# pr_debug message: compared without the prefix, or dropped if dynamic
# debug is not available.
lp_check_log() {
	local desc="$1" ignore="${3:-}" want got
	if lp_have_dyndbg; then
		want=$(awk '{ sub(/^D /, "") } 1' <<<"$2")
	else
		want=$(grep -v '^D ' <<<"$2")
	fi
	got=$(lp_klp_log)
	[[ -z "$ignore" ]] || got=$(grep -Ev -- "$ignore" <<<"$got")
	if [[ "$want" == "$got" ]]; then
		lp_pass "$desc"
	else
		lp_fail "$desc" "kernel log since the mark, wanted:" "$want" "got:" "$got"
	fi
}

# lp_check_klp_line DESC LEVEL STRING...: one of the core's lines since the
# mark, logged at LEVEL (e.g. err, warn), contains every STRING.
lp_check_klp_line() {
	local desc="$1" level="$2" lvl msg s
	shift 2
	while read -r lvl msg; do
		[[ "$msg" == "livepatch: "* ]] || continue
		[[ "$lvl" == "$level" || "$lvl" == "?" ]] || continue
		for s in "$@"; do
			[[ "$msg" == *"$s"* ]] || continue 2
		done
		lp_pass "$desc"
		return 0
	done < <(lp_log_leveled)
	lp_fail "$desc" "no $level line of the core with all of: $*" \
		"log since mark:" "$(lp_log_leveled)"
}

# lp_log_has DESC FIXED_STRING: some line since the mark contains it.
lp_log_has() {
	local log
	log=$(lp_log)
	if grep -qF -- "$2" <<<"$log"; then
		lp_pass "$1"
	else
		lp_fail "$1" "not in the kernel log: $2" "log since mark:" "$log"
	fi
}

# --- ftrace -----------------------------------------------------------------

# lp_no_splat: no warning, KASAN or lockdep report, nor hung task, in the
# kernel log since the mark.
lp_no_splat() {
	! lp_log | grep -Eq 'WARNING:|BUG:|KASAN|possible circular locking|blocked for more than'
}

lp_have_enabled_functions() {
	[[ -r "$LP_TRACING/enabled_functions" ]]
}

# lp_ftraced FUNC: FUNC has an ftrace user (e.g. a live patch).
lp_ftraced() {
	grep -q "^$1[ 	]" "$LP_TRACING/enabled_functions"
}

# lp_check_not_ftraced DESC FUNC: no ftrace user is left on FUNC.
lp_check_not_ftraced() {
	if ! lp_have_enabled_functions; then
		lp_skip "$1" "no $LP_TRACING/enabled_functions"
	elif lp_ftraced "$2"; then
		lp_fail "$1" "$(grep "^$2[ 	]" "$LP_TRACING/enabled_functions")"
	else
		lp_pass "$1"
	fi
}

# lp_check_ftraced DESC FUNC: FUNC has an ftrace user.
lp_check_ftraced() {
	if ! lp_have_enabled_functions; then
		lp_skip "$1" "no $LP_TRACING/enabled_functions"
	else
		lp_ok "$1" lp_ftraced "$2"
	fi
}

# --- test_lp_target's busy gate ----------------------------------------------
#
# Readers of /proc/test_lp/busy sleep inside test_lp_busy_show(), or in the
# replacement a patch installed, for as long as the gate is closed.  That
# is how a test holds up a transition on purpose.

LP_GATE=$LP_PROC/busy_ctl

lp_gate_close() { lp_write "$LP_GATE" close; }
lp_gate_open() { lp_write "$LP_GATE" open; }

# lp_gate_inside [CTL]: how many readers wait at the gate whose control
# file is CTL (default: the busy gate).
lp_gate_inside() {
	local n
	read -r _ n <"${1:-$LP_GATE}" || return 1
	echo "${n:-0}"
}

lp_gate_inside_more() {
	(($(lp_gate_inside "$LP_GATE") > $1))
}

# lp_cat_busy FILE: one read of /proc/test_lp/busy into FILE.
lp_cat_busy() {
	cat "$LP_PROC/busy" >"$1" 2>&1
}

# lp_park_reader FILE: start a reader in the background (pid in LP_BG)
# and wait until it sleeps at the closed gate.
lp_park_reader() {
	local before
	before=$(lp_gate_inside "$LP_GATE") || return 1
	lp_bg lp_cat_busy "$1"
	lp_poll "$LP_TIMEOUT" lp_gate_inside_more "$before"
}

# lp_reader_result PID FILE: wait for a parked reader; LP_READ is what it
# read, or why it failed.  Not in a subshell: the reader is our child.
lp_reader_result() {
	local rc=0
	wait "$1" || rc=$?
	LP_READ=$(cat "$2")
	((rc == 0)) || LP_READ="reader failed (exit $rc): $LP_READ"
}
