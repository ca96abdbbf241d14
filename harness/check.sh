#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check.sh [--no-build] [ours|pristine] [normal|debug]      ("make check")
#
# All static checks, without booting anything: every harness/check-*.sh
# (checkpatch, kernel-doc, W=1, sparse, shellcheck, docs, cleanroom, ...),
# the same scripts that "make test" runs as its host-side checks, and
# harness/bench/selftest-report.sh (report.py's verdict rules). W=1 and
# sparse need build/src-ours in sync with the work tree and a built
# build/obj-ours, so harness/build.sh runs first when it is not
# (--no-build: never). Prints one line per check,
#   PASS|FAIL|SKIP check/<name> [detail]
# then "N passed, N failed", and exits non-zero if any check failed.
# A check exits 0 for PASS, 4 for SKIP and anything else for FAIL.

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

BUILD=1
args=()
while (($#)); do
	case "$1" in
	--no-build) BUILD=0 ;;
	-h|--help) sed -n '3,15p' "$0"; exit 0 ;;
	-*) die "unknown argument '$1' (see --help)" ;;
	*) args+=("$1") ;;
	esac
	shift
done
FLAVOUR="${args[0]:-ours}" VARIANT="${args[1]:-normal}"
check_flavour "$FLAVOUR" "$VARIANT"

T0=$SECONDS
results=()

if ((BUILD)) && [[ "$FLAVOUR" == ours ]]; then
	if stale=$(src_ours_stale "${KLP_OUR_CODE[@]}") || [[ ! -f "$(objdir ours "$VARIANT")/vmlinux" ]]; then
		step "check: ${stale:-build/obj-ours} is not built yet; harness/build.sh ours $VARIANT first"
		rc=0
		"$KLP_HARNESS/build.sh" ours "$VARIANT" || rc=$?
		# 3: the kernel built, a selftest suite did not; not a static check.
		((rc == 0 || rc == 3)) || results+=("FAIL check/build rc=$rc (see build/logs/build-$(klp_tag ours "$VARIANT").log)")
	fi
fi

for check in "$KLP_HARNESS"/check-*.sh "$KLP_HARNESS/bench/selftest-report.sh"; do
	[[ -x "$check" ]] || continue
	name="check/$(basename "$check" .sh)"
	[[ "$check" != */bench/* ]] || name="check/bench-$(basename "$check" .sh)"
	t0=$SECONDS
	echo
	rc=0
	"$check" "$FLAVOUR" "$VARIANT" || rc=$?
	case "$rc" in
	0) results+=("PASS $name ($(elapsed "$t0"))") ;;
	4) results+=("SKIP $name") ;;
	*) results+=("FAIL $name rc=$rc ($(elapsed "$t0"))") ;;
	esac
done

echo
step "check: results ($(elapsed "$T0"))"
printf '%s\n' "${results[@]}"
pass=$(printf '%s\n' "${results[@]}" | grep -c '^PASS ' || true)
fail=$(printf '%s\n' "${results[@]}" | grep -c '^FAIL ' || true)
skip=$(printf '%s\n' "${results[@]}" | grep -c '^SKIP ' || true)
((skip == 0)) || printf '%s skipped\n' "$skip"
printf '%s passed, %s failed\n' "$pass" "$fail"
((fail == 0))
