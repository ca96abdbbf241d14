#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vm.sh <flavour>[-debug|-distro] <job> [args...]
#
# Boots build/stage-<tag>/bzImage with build/initramfs-<tag>.cpio in qemu
# (TCG, 2 CPUs) and runs one job of harness/initramfs/jobs/ inside. The
# serial console goes to stdout and to build/logs/<job>-<tag>-<time>.log.
# Every job but "shell" runs under a time limit, and its log is scanned for
# kernel splats afterwards.
#
# Environment: KLP_VM_TIMEOUT (s, default 900; 7200 for debug),
# KLP_VM_LOG (log path), KLP_APPEND (extra kernel parameters),
# KLP_VARIANT=debug|distro (same as the suffix), KLP_TCG_THREAD (see
# below), KLP_CPU (qemu's CPU model, default max; e.g. Skylake-Client-v4,
# on which the kernel can choose call-depth tracking).
#
# Exit: 0 job ended with rc=0 and a clean log; 1 job failed or log has a
# splat; 2 the VM timed out or the job never reached its end marker.

# Read the whole script before running any of it: it may be edited while
# it runs (a shared work tree), and bash reads scripts as it goes.
# shellcheck disable=SC2317 # functions run indirectly, e.g. under the lock
{
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

usage() { die "usage: harness/vm.sh <ours|pristine>[-debug|-distro] <run|test|conformance|shell|bench> [args...]"; }
(($# >= 2)) || usage
FLAVOUR="$1" JOB="$2"
shift 2
VARIANT="${KLP_VARIANT:-normal}"
case "$FLAVOUR" in
*-debug|*-distro) VARIANT=${FLAVOUR##*-} FLAVOUR=${FLAVOUR%-*} ;;
esac
check_flavour "$FLAVOUR" "$VARIANT"
[[ -f "$KLP_HARNESS/initramfs/jobs/$JOB.sh" ]] || die "no job '$JOB' in harness/initramfs/jobs/"
TAG=$(klp_tag "$FLAVOUR" "$VARIANT")
STAGE=$(stagedir "$FLAVOUR" "$VARIANT")
KERNEL="$STAGE/bzImage"
INITRD=$(initrd "$FLAVOUR" "$VARIANT")
[[ -f "$KERNEL" ]] || die "no $KERNEL; run harness/build.sh $FLAVOUR $VARIANT"
[[ -f "$INITRD" ]] || die "no $INITRD; run harness/mkinitramfs.sh $FLAVOUR $VARIANT"

MEM=2G
LIMIT="${KLP_VM_TIMEOUT:-900}"
if [[ "$VARIANT" == debug ]]; then
	MEM=4G
	LIMIT="${KLP_VM_TIMEOUT:-7200}"
fi

mkdir -p "$KLP_LOGS"
LOG="${KLP_VM_LOG:-$KLP_LOGS/$JOB-$TAG-$(date +%Y%m%d-%H%M%S).log}"
ln -sfn "$(basename "$LOG")" "$KLP_LOGS/$JOB-$TAG-latest.log" 2>/dev/null || true

ARGS=$(IFS=,; printf '%s' "$*")
[[ "$ARGS" != *' '* ]] || die "job arguments must not contain spaces: '$ARGS'"
# panic=-1 + -no-reboot: a panic ends qemu at once. oops=panic: an oops
# ends the run instead of leaving a half-dead kernel. devkmsg=on: the
# selftests log through /dev/kmsg, which is rate limited otherwise.
APPEND="console=ttyS0 tsc=reliable panic=-1 oops=panic printk.devkmsg=on"
APPEND+=" klp.job=$JOB${ARGS:+ klp.args=$ARGS}${KLP_APPEND:+ $KLP_APPEND}"

# QEMU 7.2 (Debian 12) with multi-threaded TCG can keep running a stale
# translation of a function that ftrace patched while the other vCPU was
# executing it: the int3 of text_poke_bp() is hit after the patch is done,
# and nothing claims it ("Oops: int3" in __do_sys_getpid).  Upstream's
# test-syscall.sh triggers it within a few runs in one boot (the 2nd to
# the 5th here), with upstream's core as with ours, debug kernel or not:
#   KLP_TCG_THREAD=multi harness/vm.sh pristine repeat \
#	script=conformance/test-syscall.sh n=10
# One TCG thread for both vCPUs never did, in 27 runs; upstream's suite
# runs that way.  On the debug kernel our own scripts hit it too, once
# direct mode had the core patch hot functions more often: "Oops: int3"
# at test_lp_spin_step+0x5, the function a kthread calls in a tight
# loop, while test-consistency.sh disabled the patch of it.  So every
# job on the debug kernel runs on one thread.  So does every job on the
# distro kernel: with PREEMPT_DYNAMIC, static calls are text patched at
# every transition too, and a kernel of Debian's options hit the same
# stale translations within a minute, on both cores ("Oops: int3" at
# irqentry_exit+0x2b).  On the normal kernel our scripts keep a thread
# per vCPU, for real parallelism in their races.
# KLP_TCG_THREAD=single|multi overrides.
TCG_THREAD=${KLP_TCG_THREAD:-}
if [[ -z "$TCG_THREAD" ]]; then
	TCG_THREAD=multi
	[[ "$JOB" != conformance && "$VARIANT" == normal ]] || TCG_THREAD=single
fi
[[ "$TCG_THREAD" == single || "$TCG_THREAD" == multi ]] ||
	die "KLP_TCG_THREAD must be single or multi, not '$TCG_THREAD'"
QEMU=(qemu-system-x86_64 -machine pc -accel "tcg,thread=$TCG_THREAD" -cpu "${KLP_CPU:-max}" -smp "2,sockets=2" -m "$MEM"
      -no-reboot -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND")

step "vm: $TAG job=$JOB${ARGS:+ args=$ARGS} (log: ${LOG#"$KLP_ROOT"/})"
info "${QEMU[*]}"

if [[ "$JOB" == shell ]]; then
	info "interactive: Ctrl-A X quits qemu"
	"${QEMU[@]}" -nographic | tee "$LOG"
	exit 0
fi

info "time limit ${LIMIT}s"
# A boot can fail before any of our code runs when the host is very busy:
# TCG then misses the timer checks ("IO-APIC + timer doesn't work" panic,
# or an early interrupt on a descriptor not set up yet, which KASAN
# reports). /init prints @@KLP-BOOT-RETRY when the kernel log holds a
# splat that does not involve livepatch; a panic before /init shows as a
# log without "Run /init". Either way the VM is booted again (at most
# KLP_VM_BOOTS times, default 3) and the failed log kept as LOG.bootN.
boots=${KLP_VM_BOOTS:-3}
for ((boot = 1; ; boot++)); do
	# --foreground keeps qemu in our process group, so that Ctrl-C or a
	# kill of the caller's group stops it too.
	T0=$SECONDS
	set +e
	timeout --foreground -k 10 "$LIMIT" "${QEMU[@]}" -display none -monitor none -serial stdio </dev/null 2>&1 | tee "$LOG"
	rc=${PIPESTATUS[0]}
	set -e
	info "qemu exited with $rc after $(elapsed "$T0")"

	CLEAN="$LOG.txt"
	tr -d '\r' <"$LOG" >"$CLEAN"
	mv "$CLEAN" "$LOG"

	((boot < boots && rc == 0)) || break
	if grep -a -q '^@@KLP-BOOT-RETRY' "$LOG"; then
		why=$(grep -a -m1 '^@@KLP-BOOT-RETRY' "$LOG")
	elif ! grep -a -q 'Run /init as init process' "$LOG" &&
	     ! grep -a -q -E 'klp_|livepatch' "$LOG"; then
		why="the kernel stopped before /init: $(grep -a -m1 -E 'Kernel panic|BUG:' "$LOG" || echo '?')"
	else
		break
	fi
	mv "$LOG" "$LOG.boot$boot"
	printf 'WARNING: boot %s failed before the job, booting again (%s; log %s)\n' \
		"$boot" "$why" "$LOG.boot$boot"
done

status=0
if ((rc == 124 || rc == 137)); then
	printf 'ERROR: VM timed out after %ss (job %s, log %s)\n' "$LIMIT" "$JOB" "$LOG"
	status=2
elif ((rc != 0)); then
	printf 'ERROR: qemu failed with exit code %s\n' "$rc"
	status=2
fi

end=$(grep -a -o '@@KLP-JOB-END rc=[0-9]*' "$LOG" | tail -n1 || true)
if [[ -z "$end" ]]; then
	printf 'ERROR: job %s never reached its end marker (crash, panic or hang?)\n' "$JOB"
	status=2
elif [[ "$end" != '@@KLP-JOB-END rc=0' ]]; then
	printf 'ERROR: job %s ended with %s\n' "$JOB" "${end#@@KLP-JOB-END }"
	((status)) || status=1
fi

npass=$(grep -a -c '^@@KLP-RESULT [^ ]* PASS' "$LOG" || true)
nfail=$(grep -a -c '^@@KLP-RESULT [^ ]* FAIL' "$LOG" || true)
nskip=$(grep -a -c '^@@KLP-RESULT [^ ]* SKIP' "$LOG" || true)
info "job results: $npass pass, $nfail fail, $nskip skip"
if ((nfail)); then
	grep -a '^@@KLP-RESULT [^ ]* FAIL' "$LOG" | sed 's/^@@KLP-RESULT /    /'
	((status)) || status=1
fi

# Kernel splats, whatever the job thought of itself.
SPLAT='WARNING:|BUG:|Oops|Call Trace|possible circular locking|possible recursive locking'
SPLAT+='|inconsistent lock state|lockdep is turned off|suspicious RCU usage|unreferenced object'
SPLAT+='|kmemleak: [0-9]+ new suspected|KASAN:|UBSAN:|general protection|Kernel panic|kernel BUG'
SPLAT+='|soft lockup|hard LOCKUP|blocked for more than|rcu: INFO|self-detected stall'
SPLAT+='|list_add corruption|list_del corruption|refcount_t:|ODEBUG:|double fault|stack-protector'
# A failed allocation dumps its stack too ("vmalloc error:", "page
# allocation failure:"); when a test injects faults that is expected, and
# the failure itself is what the test checks. Such a report's Call Trace
# is excused; anything else in it is not.
if awk -v pat="$SPLAT" '
	/vmalloc error:|page allocation failure:/ { alloc = 1 }
	$0 ~ pat && !/@@KLP-RESULT/ {
		if (alloc && /Call Trace/) { alloc = 0; next }
		print NR ":" $0; found = 1
	}
	END { exit !found }' "$LOG" >"$LOG.splat"; then
	printf 'ERROR: kernel log has %s suspicious line(s):\n' "$(wc -l <"$LOG.splat")"
	head -n 40 "$LOG.splat" | sed 's/^/    /'
	((status)) || status=1
else
	rm -f "$LOG.splat"
fi

if ((status == 0)); then
	step "vm: job $JOB ok (log: ${LOG#"$KLP_ROOT"/})"
else
	step "vm: job $JOB FAILED (status $status, log: ${LOG#"$KLP_ROOT"/})"
fi
exit "$status"
}
