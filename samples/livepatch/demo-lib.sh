# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Helpers shared by the demo-*.sh scripts, which source this file after
# "set -eu".  Sourcing it only defines variables and functions, so
# running it by mistake does nothing.
#
# Knobs, from the environment:
#   DEMO_MODDIR   where the sample .ko files are (default: where
#                 "make modules_install" puts them; modprobe is the
#                 fallback when a file is not there)
#   DEMO_TIMEOUT  seconds to wait for a transition or an unload (30)

KLP_SYSFS=/sys/kernel/livepatch
DEMO_MODDIR=${DEMO_MODDIR:-/lib/modules/$(uname -r)/kernel/samples/livepatch}
DEMO_TIMEOUT=${DEMO_TIMEOUT:-30}

DEMO_NAME=
DEMO_MARK=
DEMO_LOADED=		# modules this run loaded, newest first
DEMO_LOG_SHOWN=0	# kernel log lines since DEMO_MARK already printed
DEMO_STEP_FROM=0	# ... of which the current step's start
DEMO_UNEXPECTED=0

note() { printf '    %s\n' "$*"; }

# The kernel log from the start of this run, one message a line.
demo_log() {
	dmesg | sed -n "/$DEMO_MARK/,\$p" | sed 1d
}

# Print the kernel messages that appeared since the last call.
demo_log_flush() {
	log=$(demo_log)
	[ -n "$log" ] || return 0
	total=$(printf '%s\n' "$log" | wc -l)
	printf '%s\n' "$log" | sed -n "$((DEMO_LOG_SHOWN + 1)),\$s/^/    kernel: /p"
	DEMO_LOG_SHOWN=$total
}

# say TEXT: flush the previous step's kernel messages, start a new step.
say() {
	demo_log_flush
	DEMO_STEP_FROM=$DEMO_LOG_SHOWN
	printf '\n==> %s\n' "$*"
}

unexpected() {
	printf '    UNEXPECTED: %s\n' "$*"
	DEMO_UNEXPECTED=$((DEMO_UNEXPECTED + 1))
}

# expect WHAT WANTED GOT
expect() {
	if [ "$2" = "$3" ]; then
		note "as expected, $1: $3"
	else
		unexpected "$1: wanted '$2', got '$3'"
	fi
}

# expect_log WHAT PATTERN: a kernel message of the current step matches.
expect_log() {
	demo_log_flush
	if demo_log | sed -n "$((DEMO_STEP_FROM + 1)),\$p" | grep -q -- "$2"; then
		note "as expected, $1"
	else
		unexpected "$1: no kernel message matching '$2'"
	fi
}

demo_nap() {
	sleep 0.2 2>/dev/null || sleep 1
}

# demo_wait_log PATTERN: bounded wait for a kernel message of this run
# matching PATTERN, for things that happen in the background.  It does
# not complain on timeout; the expect_log that follows does.
demo_wait_log() {
	deadline=$(($(date +%s) + DEMO_TIMEOUT))
	until demo_log | grep -q -- "$1"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 0
		demo_nap
	done
}

# demo_load FILE MODNAME [PARAM=VALUE...]: load a sample module.
demo_load() {
	file=$1 mod=$2
	shift 2
	if [ -e "$DEMO_MODDIR/$file.ko" ]; then
		note "insmod $DEMO_MODDIR/$file.ko $*"
		insmod "$DEMO_MODDIR/$file.ko" "$@" || return
	else
		note "modprobe $mod $*"
		modprobe "$mod" "$@" || return
	fi
	DEMO_LOADED="$mod $DEMO_LOADED"
}

demo_loaded() {
	[ -d "/sys/module/$1" ]
}

# demo_wait_transition PATCH [SECONDS]: bounded wait for the current
# transition of PATCH to end; prints how long it took.
demo_wait_transition() {
	start=$(date +%s)
	deadline=$((start + ${2:-$DEMO_TIMEOUT}))
	said=$start
	while [ "$(cat "$KLP_SYSFS/$1/transition" 2>/dev/null || echo 0)" != 0 ]; do
		now=$(date +%s)
		if [ "$now" -ge "$deadline" ]; then
			unexpected "'$1' still in transition after $((now - start))s"
			return 1
		fi
		if [ "$now" -ge $((said + 2)) ]; then
			note "'$1': transition=1 for $((now - start))s now"
			said=$now
		fi
		demo_nap
	done
	note "'$1': transition=0 after $(($(date +%s) - start))s"
}

# demo_wait_gone PATCH: bounded wait for /sys/kernel/livepatch/PATCH to
# disappear, which happens once a disabled or replaced patch is freed.
demo_wait_gone() {
	deadline=$(($(date +%s) + DEMO_TIMEOUT))
	while [ -e "$KLP_SYSFS/$1" ]; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			unexpected "$KLP_SYSFS/$1 still there after ${DEMO_TIMEOUT}s"
			return 1
		fi
		demo_nap
	done
	note "$KLP_SYSFS/$1 is gone"
}

# demo_disable PATCH: unpatch and wait until the patch is freed.
demo_disable() {
	note "echo 0 > $KLP_SYSFS/$1/enabled"
	echo 0 > "$KLP_SYSFS/$1/enabled"
	demo_wait_transition "$1" && demo_wait_gone "$1"
}

# demo_unload MODNAME: rmmod, retrying for a moment because the core
# drops its module reference just after the sysfs directory goes.
demo_unload() {
	note "rmmod $1"
	deadline=$(($(date +%s) + DEMO_TIMEOUT))
	until rmmod "$1" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			rmmod "$1" || unexpected "cannot remove $1"
			return 1
		fi
		demo_nap
	done
}

# On any exit, undo what this run left behind, newest module first.
demo_cleanup() {
	for mod in $DEMO_LOADED; do
		demo_loaded "$mod" || continue
		if [ -e "$KLP_SYSFS/$mod/enabled" ]; then
			echo 0 > "$KLP_SYSFS/$mod/enabled" 2>/dev/null || true
			demo_wait_gone "$mod" || true
		fi
		demo_unload "$mod" || true
	done
}

# demo_begin NAME: check that the demo can run here and mark the log.
demo_begin() {
	DEMO_NAME=$1
	if [ "$(id -u)" -ne 0 ]; then
		echo "$DEMO_NAME: must run as root" >&2
		exit 4
	fi
	if [ ! -d "$KLP_SYSFS" ]; then
		echo "$DEMO_NAME: no $KLP_SYSFS; is CONFIG_LIVEPATCH enabled?" >&2
		exit 4
	fi
	DEMO_MARK="$DEMO_NAME: start of run $$ at $(date +%s)"
	echo "$DEMO_MARK" > /dev/kmsg
	trap demo_cleanup EXIT
	printf '%s: kernel messages of this run are shown as "kernel: ..."\n' \
		"$DEMO_NAME"
}

# demo_end: report and exit, non-zero if anything was unexpected.
demo_end() {
	demo_log_flush
	echo
	if [ "$DEMO_UNEXPECTED" -eq 0 ]; then
		echo "$DEMO_NAME: done, everything as expected"
		exit 0
	fi
	echo "$DEMO_NAME: done, $DEMO_UNEXPECTED unexpected result(s)"
	exit 1
}
