# SPDX-License-Identifier: GPL-2.0-only
#
# Job "test": every executable test-*.sh of our suite in /selftests/livepatch,
# one result line each. Arguments: "conformance" to run upstream's suite
# afterwards; "timeout=N" for the per-script limit (default 600 s);
# "only=GLOB" to run only the scripts matching GLOB.

set -euo pipefail
# shellcheck source=harness/initramfs/lib.sh
. /harness/lib.sh

limit=600
with_conformance=0
only='test-*.sh'
for a in "$@"; do
	case "$a" in
	conformance) with_conformance=1 ;;
	timeout=*) limit=${a#timeout=} ;;
	only=*) only=${a#only=} ;;
	*) echo "test: unknown argument '$a'" ;;
	esac
done

dir=/selftests/livepatch
n=0
if [[ -d "$dir" ]]; then
	# shellcheck disable=SC2231 # $only is a glob on purpose
	for t in "$dir"/$only; do
		[[ -f "$t" && -x "$t" ]] || continue
		run_script "selftests/${t##*/}" "$dir" "${t##*/}" "$limit"
		n=$((n + 1))
	done
fi
step "our selftests: $n scripts run"

if ((with_conformance)); then
	bash /harness/jobs/conformance.sh "timeout=$limit"
fi
