#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-full-build.sh [flavour] [variant]
#
# Host-side check of harness/distro-full-build.sh's errors: each bad
# input or fault must stop it with one line on stderr naming the cause,
# a non-zero exit, and the source trees and the work tree as they were.
#
#   - Debian's config missing (KLP_DISTRO_DEBIAN pointing nowhere);
#   - too little disk (KLP_FULL_NEED_GB above what is free);
#   - a fragment line that olddefconfig overrides (KLP_FULL_FRAGMENT);
#   - the disk filling up during the build: the build directory is a
#     64 MiB tmpfs (needs root), and the object directory must be gone
#     afterwards.
#
# The runs use a build directory of their own, whose base and src-ours
# are links to build/base and build/src-ours, so no earlier full build is
# touched. Arguments are ignored. Picked up by test.sh and check.sh.
# Exits 0 (pass), 1 (fail) or 4 (skipped: build/base or build/src-ours
# not there yet).

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

FULL="$KLP_HARNESS/distro-full-build.sh"
SRC_OURS=$(srcdir ours)
problems=0

if [[ ! -f "$KLP_BASE/.klp-unpacked" || ! -f "$SRC_OURS/.klp-linked" ]]; then
	info "SKIP: build/base and build/src-ours are made by harness/build.sh first"
	exit 4
fi

tmp=$(mktemp -d)
mounted=""
cleanup() {
	[[ -z "$mounted" ]] || umount "$mounted" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# A build directory whose sources are the real ones.
builddir() {
	mkdir -p "$1"
	ln -sfn "$KLP_BASE" "$1/base"
	ln -sfn "$SRC_OURS" "$1/src-ours"
}

# fingerprint: what must not change (the work tree's status, the newest
# file of each source tree).
fingerprint() {
	git -C "$KLP_ROOT" status --porcelain
	find "$KLP_BASE" "$SRC_OURS" -newer "$tmp/stamp" -print -quit 2>/dev/null
}

# expect NAME PATTERN ENV...: run the full build with ENV; it must fail
# with exactly one line on stderr, matching PATTERN.
expect() {
	local name="$1" pat="$2" rc=0 before after
	shift 2
	before=$(fingerprint)
	env "$@" "$FULL" --jobs "$KLP_JOBS" >"$tmp/out" 2>"$tmp/err" || rc=$?
	after=$(fingerprint)
	if ((rc == 0)); then
		printf 'FAIL %s: exit 0\n' "$name"
		problems=$((problems + 1))
	elif [[ $(wc -l <"$tmp/err") != 1 ]] || ! grep -Eq "^ERROR: $pat" "$tmp/err"; then
		printf 'FAIL %s: stderr is not one line matching "%s":\n' "$name" "$pat"
		sed 's/^/    /' "$tmp/err"
		problems=$((problems + 1))
	elif [[ "$before" != "$after" ]]; then
		printf 'FAIL %s: the work tree or a source tree changed:\n' "$name"
		diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed 's/^/    /'
		problems=$((problems + 1))
	else
		info "ok $name: $(cat "$tmp/err")"
	fi
}

touch "$tmp/stamp"
builddir "$tmp/b1"

step "full build: missing config, too little disk, a fragment that cannot hold"
expect "no Debian config" "no /nonexistent/config.xz: .*linux-config-6\.12" \
	KLP_BUILD_DIR="$tmp/b1" KLP_DISTRO_DEBIAN=/nonexistent/config.xz
expect "too little disk" "not enough disk for the full build: [0-9]+ GiB free" \
	KLP_BUILD_DIR="$tmp/b1" KLP_FULL_NEED_GB=1000000
# SAMPLE_LIVEPATCH depends on "m": it cannot be y.
printf 'CONFIG_SAMPLES=y\nCONFIG_SAMPLE_LIVEPATCH=y\n' >"$tmp/bad.config"
expect "fragment overridden" "the full configuration cannot have CONFIG_SAMPLE_LIVEPATCH=y \(got: m\)" \
	KLP_BUILD_DIR="$tmp/b1" KLP_FULL_FRAGMENT="$tmp/bad.config"

step "full build: the disk fills up during the build"
if [[ $(id -u) -ne 0 ]]; then
	info "not root: no tmpfs, this case is not run"
else
	mkdir -p "$tmp/b2"
	if mount -t tmpfs -o size=64m tmpfs "$tmp/b2"; then
		mounted="$tmp/b2"
		builddir "$tmp/b2"
		expect "disk full" "the full build of pristine ran out of disk in .* \(.* free once its object directory is removed\)" \
			KLP_BUILD_DIR="$tmp/b2" KLP_FULL_NEED_GB=0
		if [[ -e "$tmp/b2/obj-full-pristine" ]]; then
			printf 'FAIL disk full: the object directory was left\n'
			problems=$((problems + 1))
		fi
	else
		printf 'FAIL disk full: cannot mount a tmpfs\n'
		problems=$((problems + 1))
	fi
fi

if ((problems)); then
	printf 'full build errors: %d problem(s)\n' "$problems"
	exit 1
fi
step "full build errors: each one line, nothing changed"
