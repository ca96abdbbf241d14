#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-checkpatch.sh [flavour] [variant]
#
# scripts/checkpatch.pl --strict on the patch series of our files as they
# are in the work tree (tracked plus untracked, what build.sh builds), the
# series "make patches" would send once they are committed:
# harness/patches.sh --worktree --out build/check-patches. Every file is
# checked as a patch, so long lines, trailing whitespace and the rest are
# WARNINGs and ERRORs as a reviewer's checkpatch.pl reports them.
#
# Fails on any ERROR or WARNING, "does MAINTAINERS need updating?"
# included (each patch that adds or deletes files updates the LIVE
# PATCHING entry), and on any other problem patches.sh finds (the series
# does not apply, does not end with the work tree's files, or
# get_maintainer.pl does not send a patch to the entry). CHECKs are
# counted, not fatal. If the series cannot be made at all, it says so and
# fails: nothing was checked. Full output: build/logs/check-checkpatch.log.
# Picked up by test.sh; the arguments are accepted and ignored.

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

OUT="$KLP_BUILD/check-patches"
LOG="$KLP_LOGS/check-checkpatch.log"
REPORTS="$KLP_LOGS/$(basename "$OUT")-checkpatch"
mkdir -p "$KLP_LOGS"

# One series at a time in build/check-patches.
exec 9>"$KLP_BUILD/check-patches.lock"
if ! flock -n 9; then
	info "waiting for another check-checkpatch.sh to finish"
	flock 9
fi
rm -rf "$OUT" "$OUT.git"
rm -f "$REPORTS"-*.txt

step "checkpatch --strict on the series of the work tree (harness/patches.sh --worktree)"
rc=0
"$KLP_HARNESS/patches.sh" --worktree --out "$OUT" >"$LOG" 2>&1 || rc=$?
if [[ ! -s "$OUT/series" ]]; then
	info "patches.sh said:"
	tail -n 30 "$LOG" | sed 's/^/      /'
	printf 'FAIL the patch series could not be made from the work tree (patches.sh exit status %s),\n' "$rc"
	printf '     so nothing was checked; full output: %s\n' "${LOG#"$KLP_ROOT"/}"
	exit 1
fi
# The verdicts, from the first verification on.
sed -n '/^==> verify:/,$p' "$LOG"

errors=0 warnings=0 checks=0 fpc=0 n=0
for report in "$REPORTS"-*.txt; do
	[[ -f "$report" ]] || continue
	n=$((n + 1))
	read -r e w c < <(sed -nE 's/^total: ([0-9]+) errors, ([0-9]+) warnings, ([0-9]+) checks.*/\1 \2 \3/p' \
		"$report" | tail -n1)
	errors=$((errors + ${e:-0})) warnings=$((warnings + ${w:-0})) checks=$((checks + ${c:-0}))
	grep -q '^WARNING:FILE_PATH_CHANGES:' "$report" && fpc=$((fpc + 1))
done
if ((n != $(wc -l <"$OUT/series"))); then
	printf 'FAIL checkpatch.pl reports for %s of the %s patches\n' "$n" "$(wc -l <"$OUT/series")"
	rc=1
fi
info "checkpatch.pl --strict over the $n patches: $errors errors, $warnings warnings" \
	"($fpc of them \"does MAINTAINERS need updating?\"), $checks checks"
exit "$rc"
