# SPDX-License-Identifier: GPL-2.0-only
#
# Job "run": the demo. Loads samples/livepatch/livepatch-sample.ko, which
# replaces cmdline_proc_show(), and shows /proc/cmdline before, during and
# after the patch, with the sysfs interface in between.

set -euo pipefail
# shellcheck source=harness/initramfs/lib.sh
. /harness/lib.sh

SYSFS=/sys/kernel/livepatch/livepatch_sample
fail() { echo "run: $*"; result run FAIL "$*"; exit 1; }
transition_done() { [[ ! -e "$SYSFS/transition" || "$(cat "$SYSFS/transition")" == 0 ]]; }

step "cat /proc/cmdline  (unpatched)"
before=$(cat /proc/cmdline)
echo "$before"

ko=$(modinfo -n livepatch-sample 2>/dev/null || find /lib/modules -name 'livepatch-sample.ko*' | head -n1)
[[ -n "$ko" ]] || fail "livepatch-sample.ko not found (CONFIG_SAMPLE_LIVEPATCH=m?)"
step "insmod $ko"
insmod "$ko" || fail "insmod failed"

step "wait until $SYSFS/transition reads 0"
wait_for 30 [ -e "$SYSFS/transition" ] || fail "$SYSFS did not appear"
wait_for 30 transition_done || fail "transition did not finish in 30 s"
echo "transition: $(cat "$SYSFS/transition")"

step "cat /proc/cmdline  (patched)"
patched=$(cat /proc/cmdline)
echo "$patched"

step "the sysfs interface: $SYSFS"
(cd "$SYSFS" && find . -mindepth 1 | sort | while read -r f; do
	mode=$(stat -c %A "$f")
	if [[ -d "$f" ]]; then
		printf '%s  %s/\n' "$mode" "${f#./}"
	elif [[ "$mode" == ?r* ]]; then
		printf '%s  %-32s %s\n' "$mode" "${f#./}" "$(tr '\n' ' ' <"$f")"
	else
		printf '%s  %-32s (write-only)\n' "$mode" "${f#./}"
	fi
done)

step "echo 0 > $SYSFS/enabled"
echo 0 > "$SYSFS/enabled"
step "wait until the transition back finishes"
wait_for 30 transition_done || fail "reverse transition did not finish in 30 s"
wait_for 30 [ ! -e "$SYSFS" ] || echo "(note: $SYSFS still present after disable)"

step "cat /proc/cmdline  (unpatched again)"
after=$(cat /proc/cmdline)
echo "$after"

step "rmmod livepatch_sample"
wait_for 30 [ "$(cat /sys/module/livepatch_sample/refcnt)" == 0 ] || fail "module still referenced"
rmmod livepatch_sample || fail "rmmod failed"
[[ ! -e /sys/module/livepatch_sample ]] || fail "module still loaded"

step "verdict"
[[ "$patched" == "this has been live patched" ]] || fail "patched /proc/cmdline reads '$patched'"
[[ "$before" == "$after" ]] || fail "/proc/cmdline differs after disable: '$after'"
[[ "$before" != "$patched" ]] || fail "/proc/cmdline never changed"
echo "before == after, and patched == 'this has been live patched'"
result run PASS
