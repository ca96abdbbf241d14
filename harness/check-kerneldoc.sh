#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-kerneldoc.sh [flavour] [variant]
#
# scripts/kernel-doc -none -Wall on the core and its headers: every
# kernel-doc comment must parse and describe every parameter, member and
# return value. Fails on any warning. Picked up by test.sh; the arguments
# are accepted and ignored.

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

KERNEL_DOC="${KLP_KERNEL_DOC:-$KLP_BASE/scripts/kernel-doc}"
[[ -x "$KERNEL_DOC" ]] || die "no $KERNEL_DOC; unpack the tree first (make build)"
cd "$KLP_ROOT"
mapfile -t files < <(our_files | tr '\0' '\n' |
	grep -E '^(kernel/livepatch/.*\.[ch]|include/linux/livepatch.*\.h|arch/x86/include/asm/livepatch\.h)$')
((${#files[@]})) || die "no core files found"

step "kernel-doc -none -Wall: ${#files[@]} files"
out=$("$KERNEL_DOC" -none -Wall "${files[@]}" 2>&1) || true
if [[ -n "$out" ]]; then
	printf '%s\n' "$out" | sed 's/^/    /'
	info "$(printf '%s\n' "$out" | wc -l) warning line(s)"
	exit 1
fi
info "clean"
