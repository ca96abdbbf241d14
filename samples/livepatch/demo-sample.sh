#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Walk through livepatch-sample.ko: patch cmdline_proc_show(), read
# /proc/cmdline, unpatch, read it again, remove the module.  Run it as
# root on the patched kernel, e.g. inside the test VM:
#
#   sh demo-sample.sh
#
# Exits 0 when every step behaved as described, 1 otherwise, 4 when it
# cannot run here.  See demo-lib.sh for DEMO_MODDIR and DEMO_TIMEOUT.
set -eu
# shellcheck source-path=SCRIPTDIR source=demo-lib.sh
. "$(dirname "$0")/demo-lib.sh"

PATCH=livepatch_sample

demo_begin demo-sample

say "before patching, /proc/cmdline shows the boot command line"
boot_cmdline=$(cat /proc/cmdline)
note "$boot_cmdline"

say "load the patch; the core starts a patching transition"
demo_load livepatch-sample "$PATCH"
demo_wait_transition "$PATCH"
expect "$KLP_SYSFS/$PATCH/enabled" 1 "$(cat "$KLP_SYSFS/$PATCH/enabled")"
expect "/proc/cmdline" "this has been live patched" "$(cat /proc/cmdline)"

say "disable the patch; the original function is back"
demo_disable "$PATCH"
expect "/proc/cmdline" "$boot_cmdline" "$(cat /proc/cmdline)"

say "remove the module"
demo_unload "$PATCH"

demo_end
