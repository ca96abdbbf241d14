#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# test.sh [--flavour ours|pristine] [--variant normal|debug|distro]
#         [--suite all|selftests|conformance] [--no-build]
#         [--debug-subset GLOB...] [--boot-variants 'PARAM...']
#         [--boot-subset GLOB...]
#
# What "make test" runs: build the kernel and initramfs, run the host-side
# checks (harness/check-*.sh), boot the VM for our selftests and for
# upstream's conformance suite, and print one line per test:
#   PASS|FAIL|SKIP <name> [detail]
# then exactly "N passed, N failed". Exits non-zero if anything failed,
# including a build failure, a VM timeout, a job that never finished or a
# kernel splat in the log (reported as the test "kernel-log/<job>").
#
# --debug-subset 'GLOB...' (normal variant only): afterwards, also build the
# debug kernel (lockdep, KASAN, kmemleak, ...) and run there the selftest
# scripts matching any of the space-separated GLOBs and the whole
# conformance suite; their results are named debug/<test>. This is the
# part of "make debug-test" that fits into "make test".
#
# --boot-variants 'PARAM...': afterwards, boot the same kernel once per
# space-separated kernel parameter (e.g. preempt=full, lockdown=integrity;
# a comma joins several into one boot) and run the selftest scripts
# matching --boot-subset 'GLOB...' there, then the conformance suite;
# results are named <PARAM>/<test>. Three items of a boot are no kernel
# parameters: qemu-cpu=MODEL boots qemu's CPU model MODEL (KLP_CPU of
# vm.sh), subset=GLOB+GLOB... replaces --boot-subset for that boot, and
# name=NAME names its results NAME/<test>.

# Read the whole script before running any of it: it may be edited while
# it runs (a shared work tree), and bash reads scripts as it goes.
# shellcheck disable=SC2317 # functions run indirectly, e.g. under the lock
{
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

FLAVOUR=ours VARIANT=normal SUITE=all BUILD=1 DEBUG_SUBSET='' BOOT_VARIANTS='' BOOT_SUBSET=''
while (($#)); do
	case "$1" in
	--flavour) FLAVOUR="$2"; shift ;;
	--variant) VARIANT="$2"; shift ;;
	--suite) SUITE="$2"; shift ;;
	--no-build) BUILD=0 ;;
	--debug-subset) DEBUG_SUBSET="$2"; shift ;;
	--boot-variants) BOOT_VARIANTS="$2"; shift ;;
	--boot-subset) BOOT_SUBSET="$2"; shift ;;
	-h|--help) sed -n '3,27p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
check_flavour "$FLAVOUR" "$VARIANT"
case "$SUITE" in all|selftests|conformance) ;; *) die "--suite all|selftests|conformance" ;; esac
[[ -z "$DEBUG_SUBSET" || "$VARIANT" != debug ]] || die "--debug-subset does not go with --variant debug"
[[ -z "$BOOT_VARIANTS" || -n "$BOOT_SUBSET" ]] || die "--boot-variants needs --boot-subset"
TAG=$(klp_tag "$FLAVOUR" "$VARIANT")
STAGE=$(stagedir "$FLAVOUR" "$VARIANT")
RUN_ID="$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$KLP_LOGS"
RESULTS="$KLP_LOGS/results-$TAG-$RUN_ID.txt"
: >"$RESULTS"

CONFORMANCE=(test-livepatch.sh test-callbacks.sh test-shadow-vars.sh test-state.sh
	     test-syscall.sh test-sysfs.sh test-ftrace.sh)

# record VERDICT NAME [DETAIL]: one test outcome.
record() {
	printf '%s %s %s\n' "$1" "$2" "${3:-}" >>"$RESULTS"
}

summary() {
	local pass fail skip
	pass=$(grep -c '^PASS ' "$RESULTS" || true)
	fail=$(grep -c '^FAIL ' "$RESULTS" || true)
	skip=$(grep -c '^SKIP ' "$RESULTS" || true)
	echo
	step "results ($TAG; ${RESULTS#"$KLP_ROOT"/})"
	sed 's/ *$//' "$RESULTS"
	((skip == 0)) || printf '%s skipped\n' "$skip"
	printf '%s passed, %s failed\n' "$pass" "$fail"
	((fail == 0 && pass > 0))
}

# --- build -----------------------------------------------------------------

# build_variant VARIANT PREFIX: build the kernel, test modules and
# initramfs of VARIANT; false (after recording why) if there is nothing to
# boot. A selftest suite that failed to build is recorded and the rest
# tested.
build_variant() {
	local variant="$1" prefix="$2" tag stage rc=0 suite
	tag=$(klp_tag "$FLAVOUR" "$variant")
	stage=$(stagedir "$FLAVOUR" "$variant")
	"$KLP_HARNESS/build.sh" "$FLAVOUR" "$variant" || rc=$?
	if ((rc == 3)); then
		# The kernel built; a selftest suite did not. Test what we have.
		while read -r suite; do
			[[ "$SUITE" == all || "$SUITE" == "$suite" ]] || continue
			record FAIL "${prefix}build/$suite" "see build/logs/build-$tag.log"
		done <"$stage/failed-suites"
	elif ((rc)); then
		record FAIL "${prefix}build/$tag" "see build/logs/build-$tag.log"
		return 1
	fi
	if ! "$KLP_HARNESS/mkinitramfs.sh" "$FLAVOUR" "$variant"; then
		record FAIL "${prefix}initramfs/$tag"
		return 1
	fi
}

if ((BUILD)) && ! build_variant "$VARIANT" ""; then
	summary
	exit 1
fi

# --- host-side checks ------------------------------------------------------

if [[ "$SUITE" != conformance ]]; then
	for check in "$KLP_HARNESS"/check-*.sh; do
		[[ -x "$check" ]] || continue
		name="check/$(basename "$check" .sh)"
		step "$name"
		rc=0
		"$check" "$FLAVOUR" "$VARIANT" || rc=$?
		case "$rc" in
		0) record PASS "$name" ;;
		4) record SKIP "$name" ;;
		*) record FAIL "$name" "rc=$rc" ;;
		esac
	done
fi

# --- VM jobs ---------------------------------------------------------------

# vm_job JOB EXPECTED...: boot one job on kernel $VM_TAG, collect its
# results, named $PREFIX<name>; every EXPECTED test that did not report is
# a failure ("not run").
VM_TAG=$TAG PREFIX=
vm_job() {
	local job="$1"; shift
	local log="$KLP_LOGS/$job-$VM_TAG${LOG_SUFFIX:-}-$RUN_ID.log" rc=0 name verdict detail fails
	fails=$(grep -c '^FAIL ' "$RESULTS" || true)
	KLP_VM_LOG="$log" "$KLP_HARNESS/vm.sh" "$VM_TAG" "$job" "${VM_ARGS[@]}" || rc=$?
	while read -r _ name verdict detail; do
		record "$verdict" "$PREFIX$name" "$detail"
	done < <(grep -a '^@@KLP-RESULT ' "$log" || true)
	for name in "$@"; do
		grep -q " $PREFIX$name " "$RESULTS" ||
			record FAIL "$PREFIX$name" "not run (see ${log#"$KLP_ROOT"/})"
	done
	if ((rc == 2)); then
		record FAIL "${PREFIX}vm/$job" "timed out or never finished (see ${log#"$KLP_ROOT"/})"
	fi
	if [[ -f "$log.splat" ]]; then
		record FAIL "${PREFIX}kernel-log/$job" "$(wc -l <"$log.splat") suspicious line(s), see ${log#"$KLP_ROOT"/}.splat"
	fi
	if ((rc == 1)) && [[ "$(grep -c '^FAIL ' "$RESULTS" || true)" == "$fails" ]]; then
		record FAIL "${PREFIX}vm/$job" "job failed without a failing test (see ${log#"$KLP_ROOT"/})"
	fi
}

# selftests_of STAGE [GLOB...]: the selftest scripts staged in STAGE
# (matching any GLOB, if given), one name per line.
selftests_of() {
	local stage="$1" t g; shift
	[[ -d "$stage/selftests/livepatch" ]] || return 0
	for t in "$stage"/selftests/livepatch/test-*.sh; do
		[[ -x "$t" ]] || continue
		(($# == 0)) && { echo "selftests/${t##*/}"; continue; }
		for g in "$@"; do
			# shellcheck disable=SC2053 # $g is a glob on purpose
			if [[ "${t##*/}" == $g ]]; then
				echo "selftests/${t##*/}"
				break
			fi
		done
	done
}

# On the debug kernel test-stress.sh runs fewer cycles within its time
# budget; it fails below this many (it fails below all 200 elsewhere).
# The distro kernel runs on one TCG thread and gets through about 160.
DEBUG_APPEND="${KLP_APPEND:+$KLP_APPEND }LP_STRESS_MIN_CYCLES=20"
DISTRO_APPEND="${KLP_APPEND:+$KLP_APPEND }LP_STRESS_MIN_CYCLES=100"

# Per-script limit inside the VM; debug kernels under TCG are much slower,
# and distro kernels run on one TCG thread (harness/vm.sh).
BASE_APPEND="${KLP_APPEND:-}"
if [[ "$VARIANT" == debug ]]; then
	export KLP_APPEND="$DEBUG_APPEND"
	VM_ARGS=("timeout=${KLP_SCRIPT_TIMEOUT:-1800}")
elif [[ "$VARIANT" == distro ]]; then
	export KLP_APPEND="$DISTRO_APPEND"
	VM_ARGS=("timeout=${KLP_SCRIPT_TIMEOUT:-900}")
else
	VM_ARGS=("timeout=${KLP_SCRIPT_TIMEOUT:-600}")
fi
if [[ "$SUITE" != conformance ]]; then
	mapfile -t expected < <(selftests_of "$STAGE")
	if ((${#expected[@]} == 0)); then
		step "selftests: our suite has no test-*.sh yet; nothing to boot for"
	else
		vm_job test "${expected[@]}"
	fi
fi
if [[ "$SUITE" != selftests ]]; then
	vm_job conformance "${CONFORMANCE[@]/#/conformance/}"
fi

# --- the same kernel, booted with other parameters, on a subset -------------

if [[ -n "$BOOT_VARIANTS" ]]; then
	read -r -a boots <<<"$BOOT_VARIANTS"
	base_args=("${VM_ARGS[@]}")
	for boot in "${boots[@]}"; do
		params=() KLP_CPU="" name=$boot subset=$BOOT_SUBSET
		IFS=, read -r -a items <<<"$boot"
		for item in "${items[@]}"; do
			case "$item" in
			qemu-cpu=*) KLP_CPU=${item#qemu-cpu=} ;;
			subset=*) subset=${item#subset=}; subset=${subset//+/ } ;;
			name=*) name=${item#name=} ;;
			*) params+=("$item") ;;
			esac
		done
		step "boot variant $name (${KLP_CPU:+qemu -cpu $KLP_CPU, }${params[*]}): selftests matching '$subset', conformance"
		read -r -a globs <<<"$subset"
		mapfile -t expected < <(selftests_of "$STAGE" "${globs[@]}")
		PREFIX="$name/" LOG_SUFFIX="-${name//[^A-Za-z0-9]/_}"
		export KLP_CPU
		export KLP_APPEND="${BASE_APPEND:+$BASE_APPEND }${params[*]}"
		if [[ "$SUITE" != conformance ]] && ((${#expected[@]})); then
			VM_ARGS=("${base_args[@]}" "${globs[@]/#/only=}")
			vm_job test "${expected[@]}"
		fi
		VM_ARGS=("${base_args[@]}")
		if [[ "$SUITE" != selftests && "$boot" == *lockdown=* ]]; then
			# Upstream's scripts switch dynamic debug on through
			# debugfs, which lockdown forbids: they fail on any
			# core there, upstream's included.
			for t in "${CONFORMANCE[@]}"; do
				record SKIP "${PREFIX}conformance/$t" \
					"upstream's script writes debugfs, which lockdown forbids"
			done
		elif [[ "$SUITE" != selftests ]]; then
			vm_job conformance "${CONFORMANCE[@]/#/conformance/}"
		fi
	done
	PREFIX='' LOG_SUFFIX='' KLP_CPU=''
	export KLP_APPEND="$BASE_APPEND"
fi

# --- the debug kernel, on a subset -----------------------------------------

if [[ -n "$DEBUG_SUBSET" ]]; then
	step "debug kernel: selftests matching '$DEBUG_SUBSET', conformance"
	if ((!BUILD)) || build_variant debug debug/; then
		VM_TAG=$(klp_tag "$FLAVOUR" debug) PREFIX=debug/
		VM_ARGS=("timeout=${KLP_SCRIPT_TIMEOUT:-1800}")
		export KLP_APPEND="$DEBUG_APPEND"
		read -r -a globs <<<"$DEBUG_SUBSET"
		mapfile -t expected < <(selftests_of "$(stagedir "$FLAVOUR" debug)" "${globs[@]}")
		if [[ "$SUITE" != conformance ]] && ((${#expected[@]})); then
			VM_ARGS+=("${globs[@]/#/only=}")
			vm_job test "${expected[@]}"
			VM_ARGS=("${VM_ARGS[0]}")
		fi
		if [[ "$SUITE" != selftests ]]; then
			vm_job conformance "${CONFORMANCE[@]/#/conformance/}"
		fi
	fi
fi

summary
exit
}
