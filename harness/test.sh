#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# test.sh [--flavour ours|pristine] [--variant normal|debug]
#         [--suite all|selftests|conformance] [--no-build]
#
# What "make test" runs: build the kernel and initramfs, run the host-side
# checks (harness/check-*.sh), boot the VM for our selftests and for
# upstream's conformance suite, and print one line per test:
#   PASS|FAIL|SKIP <name> [detail]
# then exactly "N passed, N failed". Exits non-zero if anything failed,
# including a build failure, a VM timeout, a job that never finished or a
# kernel splat in the log (reported as the test "kernel-log/<job>").

# Read the whole script before running any of it: it may be edited while
# it runs (a shared work tree), and bash reads scripts as it goes.
# shellcheck disable=SC2317 # functions run indirectly, e.g. under the lock
{
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

FLAVOUR=ours VARIANT=normal SUITE=all BUILD=1
while (($#)); do
	case "$1" in
	--flavour) FLAVOUR="$2"; shift ;;
	--variant) VARIANT="$2"; shift ;;
	--suite) SUITE="$2"; shift ;;
	--no-build) BUILD=0 ;;
	-h|--help) sed -n '3,13p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
check_flavour "$FLAVOUR" "$VARIANT"
case "$SUITE" in all|selftests|conformance) ;; *) die "--suite all|selftests|conformance" ;; esac
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

if ((BUILD)); then
	rc=0
	"$KLP_HARNESS/build.sh" "$FLAVOUR" "$VARIANT" || rc=$?
	if ((rc == 3)); then
		# The kernel built; a selftest suite did not. Test what we have.
		while read -r suite; do
			[[ "$SUITE" == all || "$SUITE" == "$suite" ]] || continue
			record FAIL "build/$suite" "see build/logs/build-$TAG.log"
		done <"$STAGE/failed-suites"
	elif ((rc)); then
		record FAIL "build/$TAG" "see build/logs/build-$TAG.log"
		summary
		exit 1
	fi
	if ! "$KLP_HARNESS/mkinitramfs.sh" "$FLAVOUR" "$VARIANT"; then
		record FAIL "initramfs/$TAG"
		summary
		exit 1
	fi
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

# vm_job JOB EXPECTED...: boot one job, collect its results; every EXPECTED
# test that did not report is a failure ("not run").
vm_job() {
	local job="$1"; shift
	local log="$KLP_LOGS/$job-$TAG-$RUN_ID.log" rc=0 name verdict detail fails
	fails=$(grep -c '^FAIL ' "$RESULTS" || true)
	KLP_VM_LOG="$log" "$KLP_HARNESS/vm.sh" "$TAG" "$job" "${VM_ARGS[@]}" || rc=$?
	while read -r _ name verdict detail; do
		record "$verdict" "$name" "$detail"
	done < <(grep -a '^@@KLP-RESULT ' "$log" || true)
	for name in "$@"; do
		grep -q " $name " "$RESULTS" || record FAIL "$name" "not run (see ${log#"$KLP_ROOT"/})"
	done
	if ((rc == 2)); then
		record FAIL "vm/$job" "timed out or never finished (see ${log#"$KLP_ROOT"/})"
	fi
	if [[ -f "$log.splat" ]]; then
		record FAIL "kernel-log/$job" "$(wc -l <"$log.splat") suspicious line(s), see ${log#"$KLP_ROOT"/}.splat"
	fi
	if ((rc == 1)) && [[ "$(grep -c '^FAIL ' "$RESULTS" || true)" == "$fails" ]]; then
		record FAIL "vm/$job" "job failed without a failing test (see ${log#"$KLP_ROOT"/})"
	fi
}

# Per-script limit inside the VM; debug kernels under TCG are much slower.
if [[ "$VARIANT" == debug ]]; then
	VM_ARGS=("timeout=${KLP_SCRIPT_TIMEOUT:-1800}")
else
	VM_ARGS=("timeout=${KLP_SCRIPT_TIMEOUT:-600}")
fi
if [[ "$SUITE" != conformance ]]; then
	expected=()
	if [[ -d "$STAGE/selftests/livepatch" ]]; then
		for t in "$STAGE"/selftests/livepatch/test-*.sh; do
			[[ -x "$t" ]] && expected+=("selftests/${t##*/}")
		done
	fi
	if ((${#expected[@]} == 0)); then
		step "selftests: our suite has no test-*.sh yet; nothing to boot for"
	else
		vm_job test "${expected[@]}"
	fi
fi
if [[ "$SUITE" != selftests ]]; then
	vm_job conformance "${CONFORMANCE[@]/#/conformance/}"
fi

summary
exit
}
