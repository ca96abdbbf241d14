# SPDX-License-Identifier: GPL-2.0-only
#
# Job "test": every executable test-*.sh of our suite in /selftests/livepatch,
# one result line each. Arguments: "conformance" to run upstream's suite
# afterwards; "timeout=N" for the per-script limit (default 600 s);
# "only=GLOB" to run only the scripts matching GLOB (repeatable: the
# scripts matching any of them, each once).

set -euo pipefail
# shellcheck source=harness/initramfs/lib.sh
. /harness/lib.sh

limit=600
with_conformance=0
globs=()
for a in "$@"; do
	case "$a" in
	conformance) with_conformance=1 ;;
	timeout=*) limit=${a#timeout=} ;;
	only=*) globs+=("${a#only=}") ;;
	*) echo "test: unknown argument '$a'" ;;
	esac
done

dir=/selftests/livepatch
n=0
if [[ -d "$dir" ]]; then
	((${#globs[@]})) || globs=('test-*.sh')
	declare -A seen=()
	for g in "${globs[@]}"; do
		# shellcheck disable=SC2231 # $g is a glob on purpose
		for t in "$dir"/$g; do
			[[ -f "$t" && -x "$t" && -z "${seen[$t]:-}" ]] || continue
			seen[$t]=1
			run_script "selftests/${t##*/}" "$dir" "${t##*/}" "$limit"
			n=$((n + 1))
		done
	done
fi
step "our selftests: $n scripts run"

if ((with_conformance)); then
	bash /harness/jobs/conformance.sh "timeout=$limit"
fi
