# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers for the jobs run inside the VM (/harness/lib.sh there).
# Result lines have a fixed shape that harness/test.sh parses:
#   @@KLP-RESULT <name> PASS|FAIL|SKIP [free text]

step() { printf '\n==> %s\n' "$*"; }

# result NAME PASS|FAIL|SKIP [DETAIL...]
result() {
	local name="$1" verdict="$2"; shift 2
	printf '@@KLP-RESULT %s %s %s\n' "$name" "$verdict" "$*"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local limit=$(($1 * 10)) i=0; shift
	until "$@"; do
		((i++ < limit)) || return 1
		sleep 0.1
	done
}

# now: seconds since boot with centiseconds, for durations.
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# run_script NAME DIR SCRIPT TIMEOUT: run one selftest script with DIR as
# cwd under a time limit; decide from its exit code and KTAP output.
#   0 = PASS (unless it printed "not ok"), 4 = SKIP, 124 = timeout, else FAIL.
run_script() {
	local name="$1" dir="$2" script="$3" limit="$4"
	local out=/tmp/klp-out.$$ rc t0 verdict detail
	step "$name (limit ${limit}s)"
	t0=$(now)
	set +e
	(cd "$dir" && timeout -k 10 "$limit" "./$script") 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	set -e
	detail="rc=$rc $(since "$t0")"
	case "$rc" in
	0)
		if grep -Eq '^not ok [0-9]+' "$out" && ! grep -Eq '^not ok [0-9]+.*# *(SKIP|TODO)' "$out"; then
			verdict=FAIL; detail="$detail (KTAP: not ok)"
		else
			verdict=PASS
		fi ;;
	4) verdict=SKIP ;;
	124|137) verdict=FAIL; detail="$detail (timed out after ${limit}s)" ;;
	*) verdict=FAIL ;;
	esac
	local nok nnok leaks
	nok=$(grep -Ec '^ *ok [0-9]+' "$out" || true)
	nnok=$(grep -Ec '^ *not ok [0-9]+' "$out" || true)
	((nok + nnok == 0)) || detail="$detail ktap: $nok ok, $nnok not ok"
	rm -f "$out"
	if leaks=$(kmemleak_check "$name"); then
		detail="$detail kmemleak: 0"
	elif [[ -n "$leaks" ]]; then
		verdict=FAIL
		detail="$detail kmemleak: $leaks leak(s)"
	fi
	result "$name" "$verdict" "$detail"
}

# kmemleak_check NAME: on a kernel with kmemleak, scan for what leaked
# since the last check (the previous script), print the count and the
# reports, forget them, and succeed only if there were none.  Without
# kmemleak, fail and print nothing.
KMEMLEAK=/sys/kernel/debug/kmemleak
kmemleak_check() {
	local n
	[[ -w "$KMEMLEAK" ]] || return 1
	# kmemleak reports only objects older than 5 s: let the last ones
	# the script freed (or lost) age.
	sleep 6
	echo scan >"$KMEMLEAK"
	n=$(grep -c '^unreferenced object' "$KMEMLEAK" || true)
	echo "$n"
	if ((n)); then
		echo "kmemleak after $1:" >&2
		head -n 200 "$KMEMLEAK" >&2
	fi
	echo clear >"$KMEMLEAK"
	((n == 0))
}
