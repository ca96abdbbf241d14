#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The sessions of Documentation/livepatch/observability.rst: the debugfs
# view of a transition held up by a sleeping kworker, and the livepatch
# trace events of enabling and disabling livepatch-sample.ko.  Takes
# about ten seconds.  Run as root on the patched kernel; see lib.sh for
# the exit status.
# shellcheck disable=SC2016 # commands are shown and run as the page has them
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

DEBUGFS=/sys/kernel/debug/livepatch/transition
EVENTS=/sys/kernel/tracing/events/livepatch
PATCH=livepatch_callbacks_demo
BUSY=livepatch_callbacks_busymod
begin observability livepatch-sample livepatch-callbacks-demo \
	livepatch-callbacks-busymod
[ -r "$DEBUGFS" ] || skip "no $DEBUGFS (debugfs not mounted?)"
[ -d "$EVENTS" ] || skip "no $EVENTS (tracefs not mounted?)"

# --- What a transition waits for ---
expect 'cat /sys/kernel/debug/livepatch/transition' 'no transition'
run 'cd /lib/modules/$(uname -r)/kernel/samples/livepatch'
run 'insmod livepatch-callbacks-busymod.ko sleep_secs=10'
track $BUSY
wait_log 'busymod_work_func: sleeping for 10 seconds'
run 'insmod livepatch-callbacks-demo.ko'
track $PATCH
expect_match 'cat /sys/kernel/debug/livepatch/transition' \
	'^patch: livepatch_callbacks_demo$' \
	'^direction: patching$' \
	'^elapsed_ms: [0-9]+$' \
	'^pending_count: 1$' \
	'^pid +comm +pending_ms +reason$' \
	'^[0-9]+ +kworker/[^ ]+ +[0-9]+ +busymod_work_func on its stack$'
# The sleep ends, the kworker returns, the transition completes.
TIMEOUT=$((TIMEOUT + 10)) wait_settled $PATCH
expect 'cat /sys/kernel/debug/livepatch/transition' 'no transition'
run 'echo 0 > /sys/kernel/livepatch/livepatch_callbacks_demo/enabled'
wait_released $PATCH
run 'rmmod livepatch_callbacks_demo livepatch_callbacks_busymod'
untrack $PATCH
untrack $BUSY

# --- Trace events ---
ON_EXIT='echo 0 > /sys/kernel/tracing/events/livepatch/enable'
run 'echo > /sys/kernel/tracing/trace'
run 'echo 1 > /sys/kernel/tracing/events/livepatch/enable'
run 'insmod livepatch-sample.ko'
track livepatch_sample
wait_settled livepatch_sample
run 'echo 0 > /sys/kernel/livepatch/livepatch_sample/enabled'
wait_released livepatch_sample
run 'echo 0 > /sys/kernel/tracing/events/livepatch/enable'
ON_EXIT=
run 'rmmod livepatch_sample'
untrack livepatch_sample
S='patch=livepatch_sample direction'
expect_match 'grep -e klp_patch -e klp_transition /sys/kernel/tracing/trace' \
	'klp_patch_enable: patch=livepatch_sample$' \
	"klp_transition_start: $S=patching pending_tasks=[0-9]+\$" \
	"klp_transition_end: $S=patching duration_ns=[0-9]+ forced=0\$" \
	'klp_patch_disable: patch=livepatch_sample$' \
	"klp_transition_start: $S=unpatching pending_tasks=[0-9]+\$" \
	"klp_transition_end: $S=unpatching duration_ns=[0-9]+ forced=0\$"
# The six ways a task can switch.
PATHS='(exit_to_user|idle|stack_check|cond_resched|force|reaped)'
expect_match 'grep -m3 klp_task_switch /sys/kernel/tracing/trace' \
	"klp_task_switch: pid=[0-9]+ comm=.* direction=patching path=$PATHS\$"
grep klp_task_switch /sys/kernel/tracing/trace |
	grep -Ev "path=$PATHS\$" &&
	fail "a klp_task_switch event with an unknown path"
ok "every klp_task_switch event names one of the six paths"
finish
