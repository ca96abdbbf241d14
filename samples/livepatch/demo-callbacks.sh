#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Walk through livepatch-callbacks-demo.ko and its two target modules:
#
#   1. which callbacks run, and in what order, when a patch is enabled
#      and disabled with a target module loaded, and when a target module
#      comes and goes while the patch is enabled;
#   2. a pre_patch callback refusing a module (pre_patch_ret);
#   3. a transition that waits for a task sleeping in a function being
#      patched (livepatch-callbacks-busymod.ko, sleep_secs).
#
# Run it as root on the patched kernel, e.g. inside the test VM:
#
#   sh demo-callbacks.sh            # busymod sleeps DEMO_SLEEP=10 seconds
#
# Exits 0 when every step behaved as described, 1 otherwise, 4 when it
# cannot run here.  See demo-lib.sh for DEMO_MODDIR and DEMO_TIMEOUT.
set -eu
# shellcheck source-path=SCRIPTDIR source=demo-lib.sh
. "$(dirname "$0")/demo-lib.sh"

PATCH=livepatch_callbacks_demo
MOD=livepatch_callbacks_mod
BUSY=livepatch_callbacks_busymod
DEMO_SLEEP=${DEMO_SLEEP:-10}

demo_begin demo-callbacks

say "load a target module first, then the patch"
demo_load livepatch-callbacks-mod "$MOD"
demo_load livepatch-callbacks-demo "$PATCH"
demo_wait_transition "$PATCH"
expect_log "pre_patch ran for vmlinux" "pre_patch: vmlinux"
expect_log "post_patch ran for the loaded module" "post_patch: $MOD \[live\]"

say "load another target while the patch is enabled: it is patched on load"
demo_load livepatch-callbacks-busymod "$BUSY"
expect_log "pre_patch ran from the module loader" "pre_patch: $BUSY \[coming\]"
expect_log "post_patch ran from the module loader" "post_patch: $BUSY \[coming\]"
demo_wait_log "busymod_work_func: patched version"
expect_log "its work item ran the replacement" "busymod_work_func: patched version"

say "remove that target while the patch is enabled"
demo_unload "$BUSY"
expect_log "pre_unpatch ran as the module went" "pre_unpatch: $BUSY \[going\]"
expect_log "post_unpatch ran as the module went" "post_unpatch: $BUSY \[going\]"

say "make pre_patch return -ENODEV (-19): the next target is refused"
echo -19 > "/sys/module/$PATCH/parameters/pre_patch_ret"
if demo_load livepatch-callbacks-busymod "$BUSY"; then
	unexpected "$BUSY loaded although pre_patch refused it"
else
	note "as expected, loading $BUSY failed"
fi
echo 0 > "/sys/module/$PATCH/parameters/pre_patch_ret"
expect_log "pre_patch said why" "pre_patch: refusing with -19"

say "disable the patch and remove everything"
demo_disable "$PATCH"
expect_log "pre_unpatch ran for the loaded module" "pre_unpatch: $MOD \[live\]"
expect_log "post_unpatch ran for vmlinux" "post_unpatch: vmlinux"
demo_unload "$PATCH"
demo_unload "$MOD"

say "load busymod with sleep_secs=$DEMO_SLEEP, wait until its work sleeps"
demo_load livepatch-callbacks-busymod "$BUSY" "sleep_secs=$DEMO_SLEEP"
demo_wait_log "busymod_work_func: sleeping"
expect_log "the work item is asleep" "busymod_work_func: sleeping"

say "enable the patch: the transition waits for the sleeping kworker"
demo_load livepatch-callbacks-demo "$PATCH"
expect "transition right after loading" 1 \
	"$(cat "$KLP_SYSFS/$PATCH/transition")"
demo_wait_transition "$PATCH" $((DEMO_SLEEP + DEMO_TIMEOUT))
expect_log "the transition ended after the sleep" "post_patch: $BUSY \[live\]"

say "disable the patch and remove everything"
demo_disable "$PATCH"
demo_unload "$PATCH"
demo_unload "$BUSY"

demo_end
