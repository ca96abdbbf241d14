#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The sessions of Documentation/livepatch/sysfs.rst: the files of a patch,
# redundant writes refused, then a transition held up by a sleeping
# kworker (livepatch-callbacks-busymod.ko): finding the blocker, reversing
# the transition, forcing it.  Takes about 40 seconds, the length of the
# kworker's sleep.  Run as root on the patched kernel; see lib.sh for the
# exit status.
# shellcheck disable=SC2016 # commands are shown and run as the page has them
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

PATCH=livepatch_callbacks_demo
BUSY=livepatch_callbacks_busymod
DYNDBG=/proc/dynamic_debug/control
begin sysfs livepatch-sample livepatch-callbacks-demo livepatch-callbacks-busymod

# --- Looking at a patch ---
run 'insmod /lib/modules/$(uname -r)/kernel/samples/livepatch/livepatch-sample.ko'
track livepatch_sample
wait_settled livepatch_sample
expect 'ls /sys/kernel/livepatch' livepatch_sample
run 'P=/sys/kernel/livepatch/livepatch_sample'
expect_set 'ls $P' 'enabled force replace stack_order transition vmlinux'
expect 'cat $P/enabled $P/transition $P/replace $P/stack_order' '1
0
0
1'
expect_set 'ls $P/vmlinux' 'cmdline_proc_show,1 patched'
expect 'cat $P/vmlinux/patched' 1
expect 'cat $P/vmlinux/cmdline_proc_show,1/active $P/vmlinux/cmdline_proc_show,1/transition' '1
0'
expect_error 'echo 1 > $P/enabled' 'Invalid argument'
expect_error 'echo 1 > $P/force' 'Invalid argument'
run 'echo 0 > $P/enabled'
wait_released livepatch_sample
expect 'ls /sys/kernel/livepatch' ''
run 'rmmod livepatch_sample'
untrack livepatch_sample

# --- When a transition does not finish ---
run 'cd /lib/modules/$(uname -r)/kernel/samples/livepatch'
run 'insmod livepatch-callbacks-busymod.ko sleep_secs=40'
track $BUSY
# The patch must arrive while the kworker sleeps in the old function.
wait_log 'busymod_work_func: sleeping for 40 seconds'
expect_match "dmesg | grep 'sleeping for'" \
	'livepatch_callbacks_busymod: busymod_work_func: sleeping for 40 seconds$'
run 'insmod livepatch-callbacks-demo.ko'
track $PATCH
run 'P=/sys/kernel/livepatch/livepatch_callbacks_demo'
expect 'cat $P/transition' 1
expect 'cat $P/livepatch_callbacks_busymod/busymod_work_func,1/transition' 1

# Finding the blocking tasks: the summary at 15 s, then dynamic debug,
# whose messages come at every pass of the transition, about once a second.
LPD="livepatch: 'livepatch_callbacks_demo':"
KWORKER='\(kworker/[^)]+\)'
wait_log 'signaling remaining tasks' $((15 + TIMEOUT))
wait_log 'after [0-9]+ s$'
wait_log ':   pid [0-9]+ '
expect_match "dmesg | grep -A2 'signaling remaining tasks'" \
	'livepatch: signaling remaining tasks$' \
	"$LPD patching transition waits for 1 task\\(s\\) after 1[5-9] s\$" \
	"$LPD   pid [0-9]+ $KWORKER: inside busymod_work_func\$"
ON_EXIT="echo 'func klp_try_switch_task -p' > $DYNDBG"
run "echo 'func klp_try_switch_task +p' > /proc/dynamic_debug/control"
wait_log 'is inside busymod_work_func'
expect_match "dmesg | grep 'is inside'" \
	"$LPD pid [0-9]+ $KWORKER is inside busymod_work_func\$"
run "echo 'func klp_try_switch_task -p' > /proc/dynamic_debug/control"
ON_EXIT=

# Reversing: nobody runs the new function yet, so the way back is quick.
run 'echo 0 > $P/enabled'
wait_released $PATCH
expect 'ls /sys/kernel/livepatch' ''
check_log "'livepatch_callbacks_demo': unpatching complete"
check_log 'post_unpatch: livepatch_callbacks_busymod \[live\]'
run 'rmmod livepatch_callbacks_demo'
untrack $PATCH

# Forcing: the kworker still sleeps, so the new transition waits again.
run 'insmod livepatch-callbacks-demo.ko'
track $PATCH
expect 'cat $P/transition' 1
run 'echo 1 > $P/force'
expect 'cat $P/transition' 0
# Nothing is pinned by forcing a plain patching transition, and the
# message does not claim it.
expect_match 'dmesg | grep forcing' \
	"$LPD forcing the patching transition; tasks still in replaced code keep running it\$"
run 'echo 0 > $P/enabled'
# A plain patching transition that was forced marks nothing: the module
# is released as usual.
wait_released $PATCH
run 'rmmod livepatch_callbacks_demo'
untrack $PATCH
run 'rmmod livepatch_callbacks_busymod'
untrack $BUSY
finish
