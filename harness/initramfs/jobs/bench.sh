# SPDX-License-Identifier: GPL-2.0-only
#
# Job "bench": runs every /harness/bench/*.sh (harness/bench/vm/ in the
# repo) with the job arguments; each reports its own @@KLP-RESULT lines.

set -euo pipefail
# shellcheck source=harness/initramfs/lib.sh
. /harness/lib.sh

n=0
for b in /harness/bench/*.sh; do
	[[ -f "$b" ]] || continue
	step "bench ${b##*/}"
	if bash "$b" "$@"; then
		result "bench/${b##*/}" PASS
	else
		result "bench/${b##*/}" FAIL "rc=$?"
	fi
	n=$((n + 1))
done
((n)) || echo "bench: no benchmarks in /harness/bench yet"
