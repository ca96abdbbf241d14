#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The session of Documentation/livepatch/callbacks.rst: which callbacks of
# livepatch-callbacks-demo.ko run, in which order, when the patch and its
# target modules come and go, and a pre_patch callback refusing a module.
# Run as root on the patched kernel; see lib.sh for the exit status.
# shellcheck disable=SC2016 # commands are shown and run as the page has them
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

PATCH=livepatch_callbacks_demo
MOD=livepatch_callbacks_mod
BUSY=livepatch_callbacks_busymod
begin callbacks livepatch-callbacks-demo livepatch-callbacks-mod \
	livepatch-callbacks-busymod

run 'cd /lib/modules/$(uname -r)/kernel/samples/livepatch'
run 'insmod livepatch-callbacks-mod.ko'
track $MOD
run 'insmod livepatch-callbacks-demo.ko'
track $PATCH
wait_settled $PATCH
# Not every line of the patch module: the taint notice of the module loader
# names it too, but only for the first livepatch module since boot.
expect "dmesg | grep -E 'livepatch_callbacks_demo: (pre|post)_patch:'" \
"livepatch_callbacks_demo: pre_patch: vmlinux
livepatch_callbacks_demo: pre_patch: livepatch_callbacks_mod [live]
livepatch_callbacks_demo: post_patch: vmlinux
livepatch_callbacks_demo: post_patch: livepatch_callbacks_mod [live]"

run 'insmod livepatch-callbacks-busymod.ko'
track $BUSY
# rmmod would cancel the work item if it had not run yet.
wait_log 'busymod_work_func: patched'
expect "dmesg | grep 'busymod_work_func: patched'" \
	'livepatch_callbacks_demo: busymod_work_func: patched version, returning at once'
run 'rmmod livepatch_callbacks_busymod'
untrack $BUSY
expect "dmesg | grep 'livepatch_callbacks_demo: .*busymod \['" \
"livepatch_callbacks_demo: pre_patch: livepatch_callbacks_busymod [coming]
livepatch_callbacks_demo: post_patch: livepatch_callbacks_busymod [coming]
livepatch_callbacks_demo: pre_unpatch: livepatch_callbacks_busymod [going]
livepatch_callbacks_demo: post_unpatch: livepatch_callbacks_busymod [going]"

run 'echo -19 > /sys/module/livepatch_callbacks_demo/parameters/pre_patch_ret'
ON_EXIT='echo 0 > /sys/module/livepatch_callbacks_demo/parameters/pre_patch_ret'
expect_error 'insmod livepatch-callbacks-busymod.ko' 'No such device'
expect_match "dmesg | grep 'refusing to load'" \
	"livepatch: patch 'livepatch_callbacks_demo' failed for module 'livepatch_callbacks_busymod', refusing to load module 'livepatch_callbacks_busymod'"
run 'echo 0 > /sys/module/livepatch_callbacks_demo/parameters/pre_patch_ret'
ON_EXIT=

run 'echo 0 > /sys/kernel/livepatch/livepatch_callbacks_demo/enabled'
wait_released $PATCH
expect "dmesg | grep -e 'unpatch: vmlinux' -e 'unpatch: livepatch_callbacks_mod'" \
"livepatch_callbacks_demo: pre_unpatch: vmlinux
livepatch_callbacks_demo: pre_unpatch: livepatch_callbacks_mod [live]
livepatch_callbacks_demo: post_unpatch: vmlinux
livepatch_callbacks_demo: post_unpatch: livepatch_callbacks_mod [live]"
run 'rmmod livepatch_callbacks_demo livepatch_callbacks_mod'
untrack $PATCH
untrack $MOD
finish
