#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fake signals.  A task that sleeps interruptibly inside a function being
# changed holds a transition up; the core eventually sends it a fake
# signal, which ends interruptible waits such as epoll_wait() with EINTR.
# By default that happens after 15 s, as in 6.12, so a program that waits
# 10 s there sees no EINTR and the transition simply waits for it.  An
# administrator who wants faster transitions lowers
# livepatch.signal_after_ms (a module parameter, so it also works under
# lockdown); then the same wait ends with EINTR at once.  Bad values are
# refused.  /proc/test_lp/wait sleeps 10 s interruptibly; test_lp_nudge
# replaces its function with one that does the same.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_target
P=test_lp_nudge
PARAM=/sys/module/livepatch/parameters/signal_after_ms
FAST_MS=300

lp_begin 21 "$T" "$P"

tmp=$(mktemp -d)
out=$tmp/waiter

lp_ok "$PARAM is there" test -w "$PARAM"
lp_eq "signal_after_ms defaults to 6.12's 15 s" 15000 "$(lp_read "$PARAM")"
for v in 0 99 3600001 soon -1; do
	lp_write_err "signal_after_ms refuses '$v'" "$PARAM" "$v" "Invalid argument"
done
lp_eq "and is unchanged" 15000 "$(lp_read "$PARAM")"

lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"

# in_wait PID: PID sleeps in the wait function or its replacement.
in_wait() {
	grep -q "wait_show" "/proc/$1/stack" 2>/dev/null
}

# start_waiter: one read(2) of /proc/test_lp/wait, asleep (pid in
# waiter); unlike cat, lp_fail_nth does not retry a read that fails with
# EINTR, as a program using epoll_wait() would see it.  The first line of
# its output is "<errno> 0 <ret> <strerror>", what it read follows.
start_waiter() {
	lp_bg "$LP_DIR/lp_fail_nth" 0 read "$LP_PROC/wait" >"$out" 2>&1
	waiter=$LP_BG
	t0=$SECONDS
	lp_poll "$LP_TIMEOUT" in_wait "$waiter" || lp_bail "the waiter did not start waiting"
}

# --- default: no signal within 10 s; the transition waits ---
start_waiter
lp_mark_log
lp_ok "load $P while a task waits in the function" lp_insmod "$P"
lp_ok "the waiter holds the transition" lp_holds 2 lp_in_transition "$P"
lp_reader_result "$waiter" "$out"
took=$((SECONDS - t0))
lp_eq "the 10 s wait ends normally, without EINTR" \
	"$(printf '0 0 23 Success\n%s' "$T: waited")" "$LP_READ"
lp_ok "it took its full time (${took} s)" test "$took" -ge 9
lp_not "no 'signaling remaining tasks' in the log" \
	grep -q "livepatch: signaling remaining tasks" <(lp_log)
lp_ok "the transition completes once it woke" lp_enabled_settled "$P"

# --- opt-in: a fast nudge, for the unpatching transition ---
lp_write_ok "signal_after_ms takes $FAST_MS" "$PARAM" "$FAST_MS"
start_waiter
lp_mark_log
lp_write_ok "disable $P while a task waits in its function" "$LP_SYSFS/$P/enabled" 0
lp_reader_result "$waiter" "$out"
took=$((SECONDS - t0))
lp_match "the wait ends with EINTR" "(^|: )4 0 -1 Interrupted system call" "$LP_READ"
lp_ok "within 5 s (${took} s)" test "$took" -lt 5
lp_log_has "the core logged that it signalled" "livepatch: signaling remaining tasks"
lp_ok "the transition completes" lp_wait_transition "$P"
lp_write "$PARAM" 15000
lp_ok "$P can be removed" lp_unload_disabled "$P"
rm -rf "$tmp"
lp_end
