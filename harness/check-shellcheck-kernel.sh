#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-shellcheck-kernel.sh [flavour] [variant]
#
# Runs shellcheck on the shell scripts the series ships: the selftests
# (tools/testing/selftests/livepatch/) and the sample demos
# (samples/livepatch/). Each directory is checked from inside, with -x, so
# that the files they source are followed. The harness's own scripts are
# check-shellcheck.sh's, the documentation examples check-docs.sh's.
# Picked up by test.sh; the arguments are accepted and ignored.

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

command -v shellcheck >/dev/null || die "shellcheck not installed; run harness/deps.sh"
rc=0
for dir in tools/testing/selftests/livepatch samples/livepatch; do
	mapfile -t scripts < <(our_files | tr '\0' '\n' | grep -E "^$dir/[^/]*\.sh$" | sed "s|^$dir/||")
	((${#scripts[@]})) || continue
	step "shellcheck -x: ${#scripts[@]} scripts in $dir"
	if (cd "$KLP_ROOT/$dir" && shellcheck -x "${scripts[@]}"); then
		info "clean"
	else
		rc=1
	fi
done
exit "$rc"
