#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-checkpatch.sh [flavour] [variant]
#
# scripts/checkpatch.pl --strict -f on every .c and .h file of ours (as
# build.sh overlays them: tracked plus untracked files), with build/base
# as the kernel tree; scripts are shellcheck's (make patches still runs
# checkpatch on every file of the series). Fails on any ERROR or WARNING and prints them as
# "file:line: TYPE: message"; CHECKs are counted, not fatal, except the
# few that checkpatch only lowers to CHECK for -f (long lines, spelling,
# SPDX tag, ...): in the patch series (make patches) they are WARNINGs.
# Picked up by test.sh; the arguments are accepted and ignored.

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

CHECKPATCH="$KLP_BASE/scripts/checkpatch.pl"
[[ -x "$CHECKPATCH" ]] || die "no $CHECKPATCH; unpack the tree first (make build)"
# C sources and headers; shell scripts have check-shellcheck*.sh.
mapfile -t files < <(our_files | tr '\0' '\n' | grep -E '\.[ch]$')
((${#files[@]})) || die "no .c or .h files of ours"

step "checkpatch --strict -f: ${#files[@]} files"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Paths relative to the repo, as in the kernel tree: checkpatch applies
# some rules by path (include/, samples/, tools/). Not using git, it
# takes --root's dates for its cache, kept in checkpatch_cwd.
cd "$(checkpatch_cwd)"
printf '%s\n' "${files[@]}" |
	GIT_DIR=/nonexistent xargs -n 4 -P "$KLP_JOBS" "$CHECKPATCH" --strict -f --terse --show-types \
		--root="$KLP_BASE" --no-summary >"$out" 2>&1 || true

# The types checkpatch.pl reports as CHECK with -f and as WARNING in a patch.
sed -i -E 's/: CHECK:(TYPO_SPELLING|FSF_MAILING_ADDRESS|SPDX_LICENSE_TAG|LONG_LINE[A-Z_]*|AVOID_BUG|PREFER_FALLTHROUGH):/: WARNING:\1:/' "$out"
errors=$(grep -c ': ERROR:' "$out" || true)
warnings=$(grep -c ': WARNING:' "$out" || true)
checks=$(grep -c ': CHECK:' "$out" || true)
grep -E ': (ERROR|WARNING):' "$out" | sort -V | sed 's/^/    /' || true
if grep -vqE ': (ERROR|WARNING|CHECK):' "$out"; then
	info "checkpatch also said:"
	grep -vE ': (ERROR|WARNING|CHECK):' "$out" | sed 's/^/      /'
	errors=$((errors + 1))
fi
info "$errors errors, $warnings warnings, $checks checks (CHECKs: build/base/scripts/checkpatch.pl --strict -f FILE)"
((errors == 0 && warnings == 0))
