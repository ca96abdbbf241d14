#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Stack traces through a direct-call stub.  Once a site is direct, its
# fentry call leads to a small stub that sends the call on to the new
# function.  A stack trace taken while a CPU is in the stub (perf, an
# NMI, KASAN, kmemleak) must go on through the caller like any other,
# without a warning.  test_lp_stub_target calls its function in a tight
# loop while an hrtimer on the same CPU takes a stack trace whenever it
# interrupted the stub; every such trace must reach the loop function.
#
# With call-depth tracking (retbleed=stuff, on Skylake), ftrace calls a
# direct target without the call thunk that counts a call, so the stub
# must count it itself, or every return above it finds the count one
# short and refills the return stack buffer for nothing.  The depth file
# of test_lp_stub_target tells whether one call of the function left the
# count as it found it, unpatched, through the handler and through the
# stub.  Where the kernel does not track call depth those checks skip;
# booted with retbleed=stuff, it must track it.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_stub_target
P=test_lp_stub_patch
CTL=/proc/test_lp_stub/ctl
DEPTH=/proc/test_lp_stub/depth
RETBLEED=/sys/devices/system/cpu/vulnerabilities/retbleed
SITES=/sys/kernel/debug/livepatch/sites
DIRECT=/sys/kernel/debug/livepatch/direct
RUN_MS=3000

lp_begin 13 "$T" "$P"

[[ -r "$SITES" && -w "$DIRECT" ]] || lp_bail "no $SITES (debugfs not mounted?)"
# Off by default on a kernel with Tasks RCU (see differences.rst).
lp_direct_set 1 || lp_bail "direct mode cannot be switched on"

site_direct() {
	grep -q "^direct 1 test_lp_stub_fn \[$T\]" "$SITES"
}

# depth_balanced HOW: one call of test_lp_stub_fn(), reached HOW, counts
# as many calls as returns; a skip where call depth is not tracked.
depth_balanced() {
	local got
	got=$(lp_read "$DEPTH")
	if [[ "$got" == untracked ]]; then
		lp_skip "call depth is balanced through $1" \
			"the kernel does not track call depth ($(cat "$RETBLEED" 2>/dev/null))"
		return 0
	fi
	lp_eq "call depth is balanced through $1" balanced "$got"
}

lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
stuffing=0 tracked=0
grep -q Stuffing "$RETBLEED" 2>/dev/null && stuffing=1
[[ "$(lp_read "$DEPTH")" == untracked ]] || tracked=1
lp_diag "retbleed: $(cat "$RETBLEED" 2>&1)"
if grep -qw 'retbleed=stuff' /proc/cmdline; then
	lp_eq "retbleed=stuff: the kernel stuffs and tracks call depth" \
		"stuffing 1 tracked 1" "stuffing $stuffing tracked $tracked"
else
	lp_eq "call depth is tracked exactly when the kernel stuffs" \
		"tracked $stuffing" "tracked $tracked"
fi
depth_balanced "the unpatched function"
lp_mark_log
lp_direct_set 0
lp_ok "load $P" lp_insmod "$P"
lp_ok "$P is enabled" lp_enabled_settled "$P"
depth_balanced "the ftrace handler"
lp_direct_set 1
lp_ok "test_lp_stub_fn's site goes direct" lp_poll "$LP_TIMEOUT" site_direct
depth_balanced "the direct-call stub"
lp_write_ok "sample the loop for $RUN_MS ms" "$CTL" "run $RUN_MS"
read -r _ hits _ through _ calls _ new < <(lp_read "$CTL")
lp_diag "$(lp_read "$CTL" | head -n 1)"
lp_ok "every call ran the new function (${new:-?} of ${calls:-?})" \
	test "${calls:-0}" -gt 0 -a "${new:-0}" = "${calls:-0}"
lp_ok "some interrupts landed in the stub (${hits:-0})" test "${hits:-0}" -gt 0
if [[ "${through:-0}" != "${hits:-0}" ]]; then
	lp_diag "the first trace from the stub:"
	while read -r line; do lp_diag "  $line"; done < <(lp_read "$CTL" | tail -n +2)
fi
lp_eq "every trace from the stub went on to the loop function" "${hits:-0}" "${through:-x}"
lp_ok "no warning from the unwinder" lp_no_splat
lp_ok "$P can be disabled and removed" lp_disable_unload "$P"
lp_rmmod "$T" || lp_bail "cannot remove $T"
lp_end
