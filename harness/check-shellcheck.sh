#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-shellcheck.sh: the harness's shell scripts are shellcheck-clean.
# Run by harness/test.sh with the host-side checks; skips without shellcheck.

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

command -v shellcheck >/dev/null || { warn "shellcheck not installed; skipping"; exit 0; }
cd "$KLP_ROOT"

# Host scripts run by bash; /init runs under busybox sh; the in-VM jobs
# are bash scripts without a shebang (init runs them with bash).
mapfile -t host < <(git ls-files --cached --others --exclude-standard -- \
	'harness/*.sh' ':!harness/initramfs/*' ':!harness/bench/vm-*.sh' .ci/run)
mapfile -t vm < <(git ls-files --cached --others --exclude-standard -- \
	'harness/initramfs/*.sh' 'harness/bench/vm-*.sh')

step "shellcheck: ${#host[@]} host scripts, ${#vm[@]} VM scripts, /init"
rc=0
shellcheck -x "${host[@]}" || rc=1
((${#vm[@]} == 0)) || shellcheck -x -s bash "${vm[@]}" || rc=1
shellcheck -s sh harness/initramfs/init || rc=1
((rc == 0)) && info "clean"
exit "$rc"
