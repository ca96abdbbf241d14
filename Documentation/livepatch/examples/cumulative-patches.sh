#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The session of Documentation/livepatch/cumulative-patches.rst: two
# stacked patches, then livepatch-shadow-fix2.ko replacing both of them
# atomically.  Run as root on the patched kernel; see lib.sh for the exit
# status.
# shellcheck disable=SC2016 # commands are shown and run as the page has them
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

MOD=livepatch_shadow_mod
FIX1=livepatch_shadow_fix1
FIX2=livepatch_shadow_fix2
SAMPLE=livepatch_sample
begin cumulative-patches livepatch-shadow-mod livepatch-shadow-fix1 \
	livepatch-shadow-fix2 livepatch-sample
boot_cmdline=$(cat /proc/cmdline)

run 'cd /lib/modules/$(uname -r)/kernel/samples/livepatch'
run 'insmod livepatch-shadow-mod.ko'
track $MOD
run 'insmod livepatch-shadow-fix1.ko'
track $FIX1
wait_settled $FIX1
run 'insmod livepatch-sample.ko'
track $SAMPLE
wait_settled $SAMPLE
expect 'cat /sys/kernel/livepatch/livepatch_shadow_fix1/stack_order' 1
expect 'cat /sys/kernel/livepatch/livepatch_sample/stack_order' 2
expect 'cat /proc/cmdline' 'this has been live patched'
run 'insmod livepatch-shadow-fix2.ko'
track $FIX2
expect 'cat /sys/kernel/livepatch/livepatch_shadow_fix2/replace' 1
# The replaced patches go once the replacing transition is complete.
wait_settled $FIX2
wait_released $FIX1
wait_released $SAMPLE
expect 'ls /sys/kernel/livepatch' livepatch_shadow_fix2
expect 'cat /sys/kernel/livepatch/livepatch_shadow_fix2/stack_order' 1
expect 'cat /proc/cmdline' "$boot_cmdline"
run 'rmmod livepatch_shadow_fix1 livepatch_sample'
untrack $FIX1
untrack $SAMPLE
run 'echo 0 > /sys/kernel/livepatch/livepatch_shadow_fix2/enabled'
wait_released $FIX2
run 'rmmod livepatch_shadow_fix2 livepatch_shadow_mod'
untrack $FIX2
untrack $MOD
finish
