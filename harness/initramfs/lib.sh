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

# On our own core, a skip in our own suite is a failure: a feature that
# vanished (direct mode, the debugfs view, a tracefs file) must not pass
# as "skipped".  These skips are allowed, each for its reason; they are
# matched, as extended regexes, against "<variant>: <skipped test>".
SKIP_ALLOWED=(
	# kmemleak is only on the debug kernel.
	'^(normal|distro)(/lockdown)?: kmemleak finds no( shadow variable)? leak'
	# Lockdown (integrity and up) forbids writing debugfs, so the direct
	# mode switch cannot be reached (Documentation/livepatch/livepatch.rst).
	'^[a-z]+/lockdown: direct on: '
	# Only a kernel that tracks call depth (retbleed=stuff) can count
	# a call's accounting; test-stub-trace.sh requires that it does
	# when booted so.
	': call depth is balanced through '
	# test-faults samples the injection sites within its time budget
	# (LP_FAULTS_SECONDS) and says so with a skip when it ran out.
	': [a-z]+: every injection site tried$'
)
read -r KLP_FLAVOUR KLP_VARIANT </etc/klp-flavour 2>/dev/null || true
# The lockdown mode in force, empty when none or when the kernel has no
# lockdown LSM (no such file: sed fails, which must not end a caller
# that runs under "set -e").
KLP_LOCKDOWN=$(sed -nE 's/.*\[(integrity|confidentiality)\].*/\1/p' \
	/sys/kernel/security/lockdown 2>/dev/null || true)

# skips_not_allowed FILE: the skipped tests of a KTAP output FILE that
# SKIP_ALLOWED does not cover, one per line.
skips_not_allowed() {
	local desc re ok
	while IFS= read -r desc; do
		ok=0
		for re in "${SKIP_ALLOWED[@]}"; do
			[[ "$KLP_VARIANT${KLP_LOCKDOWN:+/lockdown}: $desc" =~ $re ]] &&
				{ ok=1; break; }
		done
		((ok)) || printf '%s\n' "$desc"
	done < <(sed -nE 's/^ *ok [0-9]+ (.*) # *SKIP.*$/\1/p' "$1")
}

# run_script NAME DIR SCRIPT TIMEOUT: run one selftest script with DIR as
# cwd under a time limit; decide from its exit code and KTAP output.
#   0 = PASS (unless it printed "not ok"), 4 = SKIP, 124 = timeout, else FAIL;
#   on our core, a skip of our own suite's outside SKIP_ALLOWED is a FAIL.
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
	local nok nnok leaks skips
	if [[ "$name" == selftests/* && "$KLP_FLAVOUR" == ours ]]; then
		if [[ "$verdict" == SKIP && -n "$KLP_LOCKDOWN" ]] &&
		   grep -q '# SKIP.*locked down' "$out"; then
			detail="$detail (skipped: the kernel is locked down)"
		elif [[ "$verdict" == SKIP ]]; then
			verdict=FAIL; detail="$detail (skipped as a whole on our core)"
		fi
		skips=$(skips_not_allowed "$out")
		if [[ -n "$skips" ]]; then
			verdict=FAIL
			detail="$detail (skipped on our core: $(paste -sd';' <<<"$skips"))"
		fi
	fi
	nok=$(grep -Ec '^ *ok [0-9]+' "$out" || true)
	nnok=$(grep -Ec '^ *not ok [0-9]+' "$out" || true)
	((nok + nnok == 0)) || detail="$detail ktap: $nok ok, $nnok not ok"
	rm -f "$out"
	if leaks=$(kmemleak_check "$name"); then
		detail="$detail kmemleak: 0"
	elif [[ -n "$leaks" ]]; then
		verdict=FAIL
		detail="$detail kmemleak: $leaks leak(s)"
	else
		detail="$detail kmemleak: n/a"
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
	# the script freed (or lost) age.  It reports an object only once a
	# scan finds its contents unchanged since the scan before, so one
	# scan would blame a leak on the next script: scan twice.
	sleep 6
	echo scan >"$KMEMLEAK"
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
