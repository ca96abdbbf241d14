#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-w1.sh [ours|pristine] [normal|debug]
#
# Compiles the core (kernel/livepatch/) and the samples (samples/livepatch/)
# with W=1 in the tree and configuration build.sh last built
# (build/src-ours, build/obj-ours[-debug]: what test.sh boots, even if
# the work tree has changed since), and fails on any compiler warning.
# Each .c file that the last build compiled is compiled again to assembly
# (make DIR/FILE.s), so every warning shows on every run while the objects
# of the kernel build stay as they are. Under the build lock. Picked up
# by test.sh; exits 4 (skipped) for the pristine flavour.

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

FLAVOUR="${1:-ours}" VARIANT="${2:-normal}"
check_flavour "$FLAVOUR" "$VARIANT"
if [[ "$FLAVOUR" != ours ]]; then
	info "SKIP: W=1 checks our code, not the $FLAVOUR kernel"
	exit 4
fi
SRC=$(srcdir ours)
OBJ=$(objdir ours "$VARIANT")
DIRS=(kernel/livepatch samples/livepatch)

# kbuild_targets SUFFIX: DIR/FILE.SUFFIX for every DIR/FILE.c of DIRS that
# the last build compiled into DIR/FILE.o.
kbuild_targets() {
	local d c
	for d in "${DIRS[@]}"; do
		for c in "$SRC/$d"/*.c; do
			[[ -f "$c" ]] || continue
			c=${c#"$SRC"/}
			[[ -f "$OBJ/${c%.c}.o" ]] && printf '%s\n' "${c%.c}.$1"
		done
	done
}

locked_w1() {
	local f targets out
	# What was built is what is checked (and what test.sh boots).
	if f=$(src_ours_stale "${KLP_OUR_CODE[@]}"); then
		info "note: checking build/src-ours as last built; the work tree has changed since ($f)"
	fi
	[[ -f "$OBJ/vmlinux" ]] || { printf 'FAIL %s is not built: run make build\n' "$OBJ"; return 1; }
	mapfile -t targets < <(kbuild_targets s)
	((${#targets[@]})) || { printf 'FAIL nothing of %s was built in %s\n' "${DIRS[*]}" "$OBJ"; return 1; }
	step "make W=1: ${#targets[@]} files of ${DIRS[*]} (O=${OBJ#"$KLP_ROOT"/})"
	for f in "${targets[@]}"; do
		rm -f "$OBJ/$f"
	done
	out=$(make -C "$SRC" O="$OBJ" -j"$KLP_JOBS" W=1 "${targets[@]}" 2>&1) || {
		printf '%s\n' "$out" | sed 's/^/    /'
		printf 'FAIL make W=1 failed\n'
		return 1
	}
	for f in "${targets[@]}"; do
		rm -f "$OBJ/$f"
	done
	# A MODVERSIONS kernel (distro) rebuilds genksyms, whose bison grammar
	# warns about its own conflicts under W=1: host tool, not our code.
	out=$(grep -v '/scripts/genksyms/parse\.y: ' <<<"$out")
	if grep -qE 'warning:|error:' <<<"$out"; then
		# The warning lines and the context the compiler gives with them.
		grep -E '^[^ ].*: (warning|error|note):|^ +[0-9]* *\|' <<<"$out" | sed 's/^/    /'
		info "$(grep -cE 'warning:' <<<"$out") warning(s)"
		return 1
	fi
	info "no warnings"
}

with_build_lock locked_w1
