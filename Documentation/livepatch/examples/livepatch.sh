#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The five-command session that opens Documentation/livepatch/livepatch.rst:
# livepatch-sample.ko patches /proc/cmdline, is disabled and removed.
# Run as root on the patched kernel; see lib.sh for the exit status.
# shellcheck disable=SC2016 # commands are shown and run as the page has them
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

begin livepatch livepatch-sample
boot_cmdline=$(cat /proc/cmdline)

run 'insmod /lib/modules/$(uname -r)/kernel/samples/livepatch/livepatch-sample.ko'
track livepatch_sample
# No wait here: the shell switched on its way back to user space, and
# cat inherits that, whether or not the transition is over.
expect 'cat /proc/cmdline' 'this has been live patched'
wait_settled livepatch_sample
expect 'cat /sys/kernel/livepatch/livepatch_sample/transition' 0
check_log "livepatch: enabling patch 'livepatch_sample'"
check_log "livepatch: 'livepatch_sample': starting patching transition"
check_log "livepatch: 'livepatch_sample': patching complete"
run 'echo 0 > /sys/kernel/livepatch/livepatch_sample/enabled'
wait_released livepatch_sample
run 'rmmod livepatch_sample'
untrack livepatch_sample

[ "$(cat /proc/cmdline)" = "$boot_cmdline" ] ||
	fail "/proc/cmdline is not the boot command line again"
ok "/proc/cmdline shows the boot command line again"
finish
