#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh [--quick] [--no-build] [--boots N] [--only SECTION]...  ("make bench")
#
# Compares our livepatch core with upstream's in one run: builds both
# kernels from the same config (harness/build.sh ours|pristine), builds
# the bench modules (harness/bench/modules/) against each and the thread
# and fork programs once, boots each kernel the same way with the "bench"
# job, which runs vm-bench.sh, and reads its @@BENCH lines from the serial
# logs.
# Prints one table of medians [min..max] and ratios, and writes
# build/bench/results.txt and build/bench/transition.png.
#
#   --quick        few samples per figure (checks the plumbing; not results)
#   --no-build     use the kernels already staged in build/stage-*
#   --boots N      boot each kernel N times (default 2). Pair I is boot I of
#                  each, one right after the other; odd pairs boot ours
#                  first, even ones upstream: ours, pristine, pristine,
#                  ours, ... A target is met only if it holds in every pair
#                  and over all boots pooled (report.py); with N=1 it is at
#                  most "unconfirmed".
#   --only S       run only section S of vm-bench.sh (repeatable): calls
#                  idle spinner mem shadow threads settle forks
#   --print-order  print the boot order for --boots N and exit
#
# Holds the build lock (harness/lib.sh) while it copies the kernels and
# builds the modules against them; not while the VMs run. The host's load
# average before and after each VM and the boot order are printed with
# the results.
#
# Environment: KLP_BENCH_TIMEOUT (s per VM, default 1200), KLP_BENCH_TSC_KHZ
# (guest TSC rate, default: the host's, measured by tsc_khz.c).

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/../lib.sh"

BENCH_SRC="$KLP_HARNESS/bench"
OUT="$KLP_BUILD/bench"
FLAVOURS=(ours pristine)
QUICK=0 BUILD=1 BOOTS=2 PRINT_ORDER=0
VM_ARGS=()
while (($#)); do
	case "$1" in
	--quick) QUICK=1; VM_ARGS+=(quick) ;;
	--no-build) BUILD=0 ;;
	--boots) (($# >= 2)) || die "--boots needs a number"; BOOTS=$2; shift ;;
	--only) VM_ARGS+=("only=$2"); shift ;;
	--print-order) PRINT_ORDER=1 ;;
	-h|--help) sed -n '4,34p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
[[ "$BOOTS" =~ ^[1-9][0-9]?$ ]] || die "--boots takes a number from 1 to 99"

# The boot order, as FLAVOUR#I: pair I is boot I of each kernel, one
# right after the other, ours first in odd pairs and upstream first in even
# ones, so that a host getting slower or faster over the run favours
# neither kernel.
ORDER=()
for ((b = 1; b <= BOOTS; b++)); do
	if ((b % 2)); then
		ORDER+=("ours#$b" "pristine#$b")
	else
		ORDER+=("pristine#$b" "ours#$b")
	fi
done

if ((PRINT_ORDER)); then
	echo "${ORDER[*]}"
	exit 0
fi

T0=$SECONDS
RUN_ID=$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT/logs"

# --- kernels -----------------------------------------------------------------

if ((BUILD)); then
	for f in "${FLAVOURS[@]}"; do
		rc=0
		"$KLP_HARNESS/build.sh" "$f" normal || rc=$?
		# 3: the kernel is fine, a selftest suite did not build.
		((rc == 0 || rc == 3)) || die "bench: building the $f kernel failed"
	done
fi

# --- the thread program, once --------------------------------------------------

step "bench: klp_bench_threads and klp_bench_forks (static, host gcc)"
mkdir -p "$OUT/bin"
gcc -static -O2 -pthread -Wall -o "$OUT/bin/klp_bench_threads" "$BENCH_SRC/klp_bench_threads.c" ||
	die "bench: building klp_bench_threads failed"
gcc -static -O2 -Wall -o "$OUT/bin/klp_bench_forks" "$BENCH_SRC/klp_bench_forks.c" ||
	die "bench: building klp_bench_forks failed"

# --- per flavour: a private copy of the kernel, the modules, an initramfs --------

# snapshot FLAVOUR: copy the staged kernel and build the bench modules
# against its tree (under the build lock, see snapshot_all).
# shellcheck disable=SC2317 # reached through with_build_lock snapshot_all
snapshot() {
	local f="$1" vmdir="$OUT/vm-$1" mods="$OUT/modules-$1" obj stage
	obj=$(objdir "$f" normal)
	stage=$(stagedir "$f" normal)
	[[ -s "$stage/bzImage" && -s "$stage/release" ]] || die "bench: nothing staged for $f; build it first"
	rm -rf "$vmdir"
	mkdir -p "$vmdir/stage-$f"
	cp -a "$stage/bzImage" "$stage/release" "$stage/modroot" "$vmdir/stage-$f/"

	step "bench: modules for $f (KDIR=${obj#"$KLP_ROOT"/})"
	mkdir -p "$mods"
	rsync -a --delete --filter='P *.o' --filter='P .*.cmd' "$BENCH_SRC/modules/" "$mods/"
	if ! make -C "$obj" M="$mods" modules >"$OUT/logs/modules-$f.log" 2>&1; then
		tail -n 20 "$OUT/logs/modules-$f.log" | sed 's/^/    /'
		die "bench: the bench modules do not build against $f (log: $OUT/logs/modules-$f.log)"
	fi
	grep -iE 'warning|error' "$OUT/logs/modules-$f.log" | sed 's/^/    /' || true
}

# payload FLAVOUR: the initramfs with /harness/bench appended to it.
payload() {
	local f="$1" vmdir="$OUT/vm-$1" root="$OUT/vm-$1/payload"
	KLP_BUILD_DIR="$vmdir" "$KLP_HARNESS/mkinitramfs.sh" "$f" normal
	step "bench: append /harness/bench to the $f initramfs"
	rm -rf "$root"
	mkdir -p "$root/harness/bench/modules"
	install -m 644 "$BENCH_SRC/vm-bench.sh" "$root/harness/bench/"
	install -m 755 "$OUT/bin/klp_bench_threads" "$OUT/bin/klp_bench_forks" "$root/harness/bench/"
	install -m 644 "$OUT/modules-$f"/*.ko "$root/harness/bench/modules/"
	# The kernel unpacks concatenated newc archives one after the other.
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner=0:0 --quiet) >>"$vmdir/initramfs-$f.cpio"
}

# Copying the kernels and building the modules against their trees holds
# the build lock, so that nobody's build can mix two kernels into one run.
# The VMs run without it: holding it for their quarter of an hour would
# stall everyone's builds.
# shellcheck disable=SC2317 # called through with_build_lock
snapshot_all() {
	local f
	for f in "${FLAVOURS[@]}"; do
		snapshot "$f"
	done
}
with_build_lock snapshot_all
for f in "${FLAVOURS[@]}"; do
	payload "$f"
done

# --- boot each, the same way --------------------------------------------------------

# Under TCG the guest reads the host's TSC. A busy host can make the
# guest's PIT calibration fail, leaving it on a jiffies clocksource; giving
# the rate on the command line avoids that, for both kernels alike.
step "bench: host TSC rate"
gcc -O2 -Wall -o "$OUT/bin/tsc_khz" "$BENCH_SRC/tsc_khz.c" || die "bench: building tsc_khz failed"
TSC_KHZ="${KLP_BENCH_TSC_KHZ:-$("$OUT/bin/tsc_khz")}"
info "tsc_early_khz=$TSC_KHZ"

declare -A LOGS
for vm in "${ORDER[@]}"; do
	LOGS[$vm]="$OUT/logs/bench-${vm%#*}-$RUN_ID-boot${vm#*#}.log"
done
NOTES="$OUT/logs/notes-$RUN_ID.txt"
: >"$NOTES"
# Failures of run_vm, which may run in a subshell, come back as a file.
FAILED="$OUT/logs/failed-$RUN_ID"
rm -f "$FAILED"

# run_vm FLAVOUR#I: boot FLAVOUR for the Ith time with the bench job; only
# progress on the terminal, the whole console goes to the log.
run_vm() {
	local vm="$1" f="${1%#*}" b="${1#*#}" t=$SECONDS rc=0
	printf 'host load before the %s VM: %s\n' "$vm" "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$NOTES"
	KLP_BUILD_DIR="$OUT/vm-$f" KLP_VM_LOG="${LOGS[$vm]}" KLP_VM_TIMEOUT="${KLP_BENCH_TIMEOUT:-1200}" \
	KLP_APPEND="tsc_early_khz=$TSC_KHZ" \
		"$KLP_HARNESS/vm.sh" "$f" bench "${VM_ARGS[@]}" "boot=$b/$BOOTS" |
		grep -a --line-buffered -E '^(==>|@@BENCH-|ERROR|    )' || rc=${PIPESTATUS[0]}
	ln -sfn "$(basename "${LOGS[$vm]}")" "$OUT/logs/bench-$f-latest.log"
	printf 'host load after the %s VM: %s\n' "$vm" "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$NOTES"
	if ((rc)); then
		warn "bench: the $vm VM did not finish cleanly (status $rc); its figures may be incomplete"
		echo "$vm" >>"$FAILED"
	fi
	info "$vm: $(grep -a -c '^@@BENCH ' "${LOGS[$vm]}" || true) samples in $(elapsed "$t")"
}

step "bench: boot order ${ORDER[*]}"
for vm in "${ORDER[@]}"; do
	run_vm "$vm"
done
failed=0
[[ ! -s "$FAILED" ]] || failed=1

# --- the table -------------------------------------------------------------------

step "bench: results (ours vs upstream, run $RUN_ID)"
report_args=(--out "$OUT" --run "$RUN_ID" --notes "$NOTES" --tsc-khz "$TSC_KHZ" --order "${ORDER[*]}")
for ((b = 1; b <= BOOTS; b++)); do
	report_args+=(--ours "${LOGS[ours#$b]}" --upstream "${LOGS[pristine#$b]}")
done
if [[ -s "$FAILED" ]]; then
	while read -r vm; do
		report_args+=(--failed "$vm")
	done <"$FAILED"
fi
((QUICK)) && report_args+=(--quick)
python3 "$BENCH_SRC/report.py" "${report_args[@]}" || failed=1
step "bench: done in $(elapsed "$T0"): ${OUT#"$KLP_ROOT"/}/results.txt, ${OUT#"$KLP_ROOT"/}/transition.png"
exit "$failed"
