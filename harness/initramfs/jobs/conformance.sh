# SPDX-License-Identifier: GPL-2.0-only
#
# Job "conformance": upstream 6.12's seven livepatch selftests, unchanged,
# against whichever core this kernel carries. Argument: "timeout=N".

set -euo pipefail
# shellcheck source=harness/initramfs/lib.sh
. /harness/lib.sh

limit=600
for a in "$@"; do
	case "$a" in
	timeout=*) limit=${a#timeout=} ;;
	*) echo "conformance: unknown argument '$a'" ;;
	esac
done

dir=/conformance/livepatch
SCRIPTS=(test-livepatch.sh test-callbacks.sh test-shadow-vars.sh test-state.sh
	 test-syscall.sh test-sysfs.sh test-ftrace.sh)
for s in "${SCRIPTS[@]}"; do
	if [[ -x "$dir/$s" ]]; then
		run_script "conformance/$s" "$dir" "$s" "$limit"
	else
		result "conformance/$s" FAIL "missing from $dir"
	fi
done
