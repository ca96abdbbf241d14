# SPDX-License-Identifier: GPL-2.0-only
#
# Job "repeat": run one script N times in the same boot, for hunting
# flakes and state that leaks from one run into the next.  Arguments:
# "script=selftests/test-foo.sh" or "script=conformance/test-foo.sh"
# (required), "n=N" (default 10), "timeout=N" per run (default 600 s).
# Each run is its own result, NAME#i.

set -euo pipefail
# shellcheck source=harness/initramfs/lib.sh
. /harness/lib.sh

script='' n=10 limit=600
for a in "$@"; do
	case "$a" in
	script=*) script=${a#script=} ;;
	n=*) n=${a#n=} ;;
	timeout=*) limit=${a#timeout=} ;;
	*) echo "repeat: unknown argument '$a'" ;;
	esac
done

case "$script" in
selftests/*) dir=/selftests/livepatch ;;
conformance/*) dir=/conformance/livepatch ;;
*) result "repeat" FAIL "script=selftests/NAME or script=conformance/NAME is required"
   exit 1 ;;
esac
name=${script#*/}
if [[ ! -x "$dir/$name" || "$name" == */* ]]; then
	result "$script" FAIL "missing from $dir"
	exit 1
fi
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { result "repeat" FAIL "n=$n is not a count"; exit 1; }

for ((i = 1; i <= n; i++)); do
	run_script "$script#$i" "$dir" "$name" "$limit"
done
step "repeat: $script run $n times"
