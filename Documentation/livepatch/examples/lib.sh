# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shellcheck disable=SC2016 # tests in single quotes are evaluated later
#
# Sourced, after "set -eu", by the scripts in this directory (bash, the
# shell the pages show; this file itself is plain POSIX sh).  Each script
# replays the shell session of the page it is named after: it prints every
# command the way the page shows it ("# command"), runs that very command,
# and checks what the page says it prints.  Waits are bounded.  Whatever
# the outcome, the modules a script loaded are disabled and removed again.
#
# Inside a script, "dmesg" means the kernel log of this run only, so that
# the pages' "dmesg | grep ..." commands do not see earlier runs.
#
# Environment: KLP_DOC_TIMEOUT, seconds for each bounded wait (default 30).
# Exit status: 0 the page is right, 1 it is not, 4 it cannot run here.

LP=/sys/kernel/livepatch
SAMPLES=/lib/modules/$(uname -r)/kernel/samples/livepatch
TIMEOUT=${KLP_DOC_TIMEOUT:-30}

EXAMPLE=
MARK=
TRACKED=		# modules this run loaded, newest first
ON_EXIT=		# extra cleanup command, e.g. switching debug output off

fail() {
	printf 'FAIL %s: %s\n' "$EXAMPLE" "$*"
	exit 1
}

skip() {
	printf 'SKIP %s: %s\n' "$EXAMPLE" "$*"
	exit 4
}

ok() {
	printf '    ok: %s\n' "$*"
}

nap() {
	sleep 0.1 2>/dev/null || sleep 1
}

# The kernel log since this run's mark.
dmesg() {
	command dmesg | sed -n "\\|$MARK|,\$p" | sed 1d
}

# Drop the "[   12.345678] " timestamp dmesg puts in front of each line.
notime() {
	sed 's/^\[[^]]*\] //'
}

# run COMMAND: show it as the page does, then run it in this shell.
run() {
	printf '# %s\n' "$1"
	eval "$1"
}

# expect COMMAND OUTPUT: run COMMAND; its output, without dmesg
# timestamps, must be OUTPUT exactly (lines separated by newlines).
expect() {
	printf '# %s\n' "$1"
	got=$(eval "$1" | notime) || fail "'$1' failed"
	[ -z "$got" ] || printf '%s\n' "$got"
	[ "$got" = "$2" ] || fail "'$1' printed the above; the page says:
$2"
}

# expect_set COMMAND WORDS: like expect, but compares the set of words,
# for ls, whose layout depends on the terminal.
expect_set() {
	printf '# %s\n' "$1"
	got=$(eval "$1" | tr -s ' \t' '\n' | sort | tr '\n' ' ')
	printf '%s\n' "$got"
	# shellcheck disable=SC2086 # split the words on purpose
	want=$(printf '%s\n' $2 | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "'$1' does not list: $2"
}

# expect_match COMMAND REGEX...: run COMMAND; for each extended REGEX, a
# line of its output must match.
expect_match() {
	cmd=$1
	shift
	printf '# %s\n' "$cmd"
	got=$(eval "$cmd") || fail "'$cmd' failed"
	printf '%s\n' "$got"
	for re in "$@"; do
		printf '%s\n' "$got" | grep -Eq -- "$re" ||
			fail "no line of '$cmd' matches '$re'"
	done
}

# check_log REGEX: a kernel message of this run matches the extended
# REGEX.  For what a page says in prose rather than shows as a command.
check_log() {
	dmesg | grep -Eq -- "$1" || fail "no kernel message matches '$1'"
	ok "kernel log: $1"
}

# expect_error COMMAND TEXT: COMMAND must fail with TEXT in its message.
expect_error() {
	printf '# %s\n' "$1"
	if err=$(eval "$1" 2>&1); then
		fail "'$1' succeeded; the page says it fails with '$2'"
	fi
	printf '%s\n' "$err"
	case $err in
	*"$2"*) ;;
	*) fail "'$1' failed, but not with '$2'" ;;
	esac
}

# wait_until WHAT TEST: bounded wait until the shell test TEST succeeds.
# TEST is evaluated here, so it must not use positional parameters.
wait_until() {
	waited=0
	until eval "$2"; do
		waited=$((waited + 1))
		[ "$waited" -lt $((TIMEOUT * 10)) ] || fail "timed out waiting for $1"
		nap
	done
}

# wait_log REGEX [SECONDS]: bounded wait for a kernel message of this run.
wait_log() {
	wait_re=$1
	old=$TIMEOUT
	TIMEOUT=${2:-$TIMEOUT}
	wait_until "a kernel message matching '$wait_re'" \
		'dmesg | grep -Eq -- "$wait_re"'
	TIMEOUT=$old
}

# wait_settled PATCH: bounded wait for PATCH's transition to end.
wait_settled() {
	wait_patch=$1
	wait_until "the transition of $wait_patch to end" \
		'[ "$(cat "$LP/$wait_patch/transition" 2>/dev/null || echo 0)" = 0 ]'
}

# wait_released PATCH: bounded wait until a disabled or replaced patch is
# freed: its directory is gone and its module no longer in use.
wait_released() {
	wait_patch=$1
	wait_until "$LP/$wait_patch to go away" '[ ! -e "$LP/$wait_patch" ]'
	wait_until "module $wait_patch to be unused" \
		'[ "$(cat "/sys/module/$wait_patch/refcnt" 2>/dev/null || echo 0)" = 0 ]'
}

# track MODULE / untrack MODULE: keep the list of modules to clean up.
track() {
	TRACKED="$1 $TRACKED"
}

untrack() {
	new=
	for m in $TRACKED; do
		[ "$m" = "$1" ] || new="$new $m"
	done
	TRACKED=$new
}

# Undo whatever this run left behind, newest module first.
cleanup() {
	rc=$?
	[ -z "$ON_EXIT" ] || eval "$ON_EXIT" || true
	for m in $TRACKED; do
		[ -d "/sys/module/$m" ] || continue
		if [ -e "$LP/$m/enabled" ]; then
			if [ "$(cat "$LP/$m/enabled")" = 1 ]; then
				echo 0 >"$LP/$m/enabled" 2>/dev/null || true
			fi
			(wait_released "$m") >/dev/null 2>&1 || true
		fi
		(wait_until "rmmod $m" "rmmod $m 2>/dev/null") >/dev/null 2>&1 ||
			printf 'cleanup: cannot remove %s\n' "$m"
	done
	exit "$rc"
}

# begin NAME MODULE-FILE...: check that the session can run here, with no
# other patch loaded, and mark the kernel log.
begin() {
	EXAMPLE=$1
	shift
	[ "$(id -u)" = 0 ] || skip "must run as root"
	[ -d "$LP" ] || skip "no $LP: kernel without CONFIG_LIVEPATCH"
	for f in "$@"; do
		[ -e "$SAMPLES/$f.ko" ] || skip "no $SAMPLES/$f.ko"
		m=$(printf '%s' "$f" | tr - _)
		[ ! -d "/sys/module/$m" ] || skip "$m is loaded already"
	done
	[ -z "$(ls "$LP")" ] || skip "other patches are loaded: $(ls "$LP")"
	MARK="klp-doc-example: $EXAMPLE $$ $(date +%s)"
	echo "$MARK" >/dev/kmsg
	trap cleanup EXIT
	trap 'exit 1' INT TERM
	printf '%s: replaying the session of Documentation/livepatch/%s.rst\n' \
		"$EXAMPLE" "$EXAMPLE"
}

finish() {
	printf 'PASS %s\n' "$EXAMPLE"
	exit 0
}
