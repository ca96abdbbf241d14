#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The session of Documentation/livepatch/module-elf-format.rst: a livepatch
# module taints the kernel with K.  Run as root on the patched kernel; see
# lib.sh for the exit status.
# shellcheck disable=SC2016 # commands are shown and run as the page has them
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

begin module-elf-format livepatch-sample

run 'insmod /lib/modules/$(uname -r)/kernel/samples/livepatch/livepatch-sample.ko'
track livepatch_sample
expect 'cat /sys/module/livepatch_sample/taint' K
wait_settled livepatch_sample
run 'echo 0 > /sys/kernel/livepatch/livepatch_sample/enabled'
wait_released livepatch_sample
run 'rmmod livepatch_sample'
untrack livepatch_sample
finish
