#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The session of Documentation/livepatch/shadow-vars.rst: the leak fix of
# livepatch-shadow-fix1.ko keeps each new dummy's buffer in a shadow
# variable and frees it with the dummy.  Takes about ten seconds.  Run as
# root on the patched kernel; see lib.sh for the exit status.
# shellcheck disable=SC2016 # commands are shown and run as the page has them
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

MOD=livepatch_shadow_mod
FIX1=livepatch_shadow_fix1
begin shadow-vars livepatch-shadow-mod livepatch-shadow-fix1

run 'cd /lib/modules/$(uname -r)/kernel/samples/livepatch'
run 'insmod livepatch-shadow-mod.ko'
track $MOD
run 'insmod livepatch-shadow-fix1.ko'
track $FIX1
wait_log 'kept in a shadow variable'
# The lines start with the dmesg timestamp.
T='^\[[^]]*\] livepatch_shadow_fix1: dummy [0-9a-f]+:'
expect_match "dmesg | grep 'kept in a shadow variable'" \
	"$T allocated, expires at jiffies [0-9]+, buffer [0-9a-f]+ kept in a shadow variable\$"
# The first dummy allocated under the fix expires six seconds later and
# is freed at the next scan, two seconds apart.
wait_log 'no leak' $((TIMEOUT + 10))
expect_match "dmesg | grep 'no leak'" \
	"$T freeing its buffer [0-9a-f]+, no leak\$"
run 'echo 0 > /sys/kernel/livepatch/livepatch_shadow_fix1/enabled'
wait_released $FIX1
run 'rmmod livepatch_shadow_fix1 livepatch_shadow_mod'
untrack $FIX1
untrack $MOD
finish
