#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-sparse.sh [ours|pristine] [normal|debug]
#
# sparse (make C=2) on the core (kernel/livepatch/) and the samples
# (samples/livepatch/) in the tree and configuration build.sh last built
# (build/src-ours, build/obj-ours[-debug]: what test.sh boots, even if
# the work tree has changed since). C=2 checks every file, built or not;
# objects are only rebuilt if out of date, as the next build would. Fails
# on any sparse warning or error located in those directories or in our
# headers. Under the build lock. Picked up by test.sh; exits 4 (skipped)
# for the pristine flavour.

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

FLAVOUR="${1:-ours}" VARIANT="${2:-normal}"
check_flavour "$FLAVOUR" "$VARIANT"
if [[ "$FLAVOUR" != ours ]]; then
	info "SKIP: sparse checks our code, not the $FLAVOUR kernel"
	exit 4
fi
command -v sparse >/dev/null || die "sparse not installed; run harness/deps.sh"
SRC=$(srcdir ours)
OBJ=$(objdir ours "$VARIANT")
DIRS=(kernel/livepatch/ samples/livepatch/)
# Where a report counts as ours: the directories and our headers.
OURS_RE='^(\.\./)*(kernel/livepatch/|samples/livepatch/|include/linux/livepatch|arch/x86/include/asm/livepatch)'

locked_sparse() {
	local f out ours others
	# What was built is what is checked (and what test.sh boots).
	if f=$(src_ours_stale "${KLP_OUR_CODE[@]}"); then
		info "note: checking build/src-ours as last built; the work tree has changed since ($f)"
	fi
	[[ -f "$OBJ/vmlinux" ]] || { printf 'FAIL %s is not built: run make build\n' "$OBJ"; return 1; }
	step "make C=2 (sparse $(sparse --version)): ${DIRS[*]} (O=${OBJ#"$KLP_ROOT"/})"
	out=$(make -C "$SRC" O="$OBJ" -j"$KLP_JOBS" C=2 CHECK=sparse "${DIRS[@]}" 2>&1) || {
		printf '%s\n' "$out" | sed 's/^/    /'
		printf 'FAIL make C=2 failed\n'
		return 1
	}
	# sparse prints "file:line:col: warning|error: text" with paths
	# relative to the object directory's view of the source tree.
	out=$(grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' <<<"$out" | sed "s|^$SRC/||" | sort -u || true)
	ours=$(grep -E "$OURS_RE" <<<"$out" || true)
	others=$(grep -vE "$OURS_RE" <<<"$out" || true)
	if [[ -n "$others" ]]; then
		info "outside our files (not counted):"
		printf '%s\n' "$others" | sed 's/^/      /'
	fi
	if [[ -n "$ours" ]]; then
		printf '%s\n' "$ours" | sed 's/^/    /'
		info "$(printf '%s\n' "$ours" | wc -l) report(s) in our files"
		return 1
	fi
	info "no reports in our files"
}

with_build_lock locked_sparse
