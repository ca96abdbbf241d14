#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-cleanroom.sh [flavour] [variant]
#
# The team's clean-room comparison with upstream 6.12's livepatch:
# ../shared/tools/cleanroom-check --strict on this work tree. Exits 4
# (skipped) when the tool is not there, as outside the team's machines.
# Picked up by test.sh; the arguments are accepted and ignored.

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

TOOL="${KLP_CLEANROOM_CHECK:-$KLP_ROOT/../shared/tools/cleanroom-check}"
if [[ ! -x "$TOOL" ]]; then
	info "SKIP: no $TOOL"
	exit 4
fi
step "cleanroom-check --strict"
"$TOOL" --strict "$KLP_ROOT"
