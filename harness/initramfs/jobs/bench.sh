# SPDX-License-Identifier: GPL-2.0-only
#
# Job "bench": runs every /harness/bench/*.sh with the job arguments, one
# @@KLP-RESULT line each. "make bench" (harness/bench/run.sh) puts
# vm-bench.sh, the bench modules and programs there by appending them to
# the initramfs; mkinitramfs.sh copies harness/bench/vm/, if any.

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
