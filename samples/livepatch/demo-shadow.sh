#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Walk through the shadow variable samples: the leaky
# livepatch-shadow-mod.ko, livepatch-shadow-fix1.ko that plugs the leak
# with an SV_LEAK shadow variable, and the cumulative
# livepatch-shadow-fix2.ko that replaces fix1 and adds an SV_COUNTER one.
# Each phase runs for a few seconds so that dummies are allocated and
# expire under it; the whole demo takes about half a minute.
#
# Run it as root on the patched kernel, e.g. inside the test VM:
#
#   sh demo-shadow.sh
#
# Exits 0 when every step behaved as described, 1 otherwise, 4 when it
# cannot run here.  See demo-lib.sh for DEMO_MODDIR and DEMO_TIMEOUT.
set -eu
# shellcheck source-path=SCRIPTDIR source=demo-lib.sh
. "$(dirname "$0")/demo-lib.sh"

MOD=livepatch_shadow_mod
FIX1=livepatch_shadow_fix1
FIX2=livepatch_shadow_fix2
# Longer than a dummy lives (6 s) plus a scan period (2 s).
PHASE=9

# run_for SECONDS: let the module work, then show what it logged.
run_for() {
	note "letting $MOD run for $1 seconds"
	sleep "$1"
	demo_log_flush
}

demo_begin demo-shadow

say "load the leaky module: every dummy leaks a buffer"
demo_load livepatch-shadow-mod "$MOD"
run_for 4
expect_log "dummies are allocated with a leak" "buffer .* leaked"

say "enable fix1: new dummies keep their buffer in a shadow variable"
demo_load livepatch-shadow-fix1 "$FIX1"
demo_wait_transition "$FIX1"
run_for "$PHASE"
expect_log "fix1 attaches SV_LEAK" "kept in a shadow variable"
expect_log "old dummies stay leaked" "stays leaked"
expect_log "new dummies free their buffer" "no leak"

say "enable fix2, which replaces fix1 and counts checks per dummy"
demo_load livepatch-shadow-fix2 "$FIX2"
demo_wait_transition "$FIX2"
demo_wait_gone "$FIX1"
demo_unload "$FIX1"
run_for "$PHASE"
expect_log "fix2 reports its counter" "checked [0-9]* times"
expect_log "fix2 frees the buffers fix1 kept" "no leak"

say "disable fix2: its post_unpatch frees what live dummies still hold"
demo_disable "$FIX2"
expect_log "the remaining buffers are freed" "no leak"
demo_unload "$FIX2"

say "remove the module"
demo_unload "$MOD"

demo_end
