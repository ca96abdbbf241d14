#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-cleanroom.sh [flavour] [variant]
#
# The team's clean-room comparison with upstream 6.12's livepatch:
# ../shared/tools/cleanroom-check --strict on this work tree: passes when
# nothing but the interface headers shares runs with upstream. Exits 4
# (skipped) when the tool is not there, as outside the team's machines.
# Picked up by test.sh; the arguments are accepted and ignored.

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

TOOL="${KLP_CLEANROOM_CHECK:-$KLP_ROOT/../shared/tools/cleanroom-check}"
if [[ ! -x "$TOOL" ]]; then
	info "SKIP: no $TOOL"
	exit 4
fi
# The public headers are the interface other kernel code and patch
# modules compile against: their prototypes, struct layouts and one-line
# inlines must match upstream's, and the tool cannot tell them from
# copied bodies. Runs there are shown for review and accepted; a run in
# any other file fails the check. KLP_CLEANROOM_STRICT=1 accepts none.
INTERFACE=(include/linux/livepatch.h include/linux/livepatch_sched.h)
step "cleanroom-check --strict"
out=$("$TOOL" --strict "$KLP_ROOT" 2>&1) && { printf '%s\n' "$out"; exit 0; }
printf '%s\n' "$out"
[[ "${KLP_CLEANROOM_STRICT:-0}" == 1 ]] && exit 1
mapfile -t files < <(grep -o 'ours/[^: ]*' <<<"$out" | sort -u)
((${#files[@]})) || { info "FAIL: the tool failed without naming a file"; exit 1; }
bad=0
for f in "${files[@]}"; do
	f=${f#ours/}
	if [[ " ${INTERFACE[*]} " != *" $f "* ]]; then
		info "FAIL: $f shares code or prose with upstream; rewrite it"
		bad=1
	fi
done
((bad)) && exit 1
info "only the interface headers share runs with upstream: ${files[*]#ours/}"
exit 0
