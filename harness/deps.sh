#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install what the harness needs on a Debian 12 machine, only when missing.
# Prints which package failed, if any, and exits non-zero then.

# Read the whole script before running any of it: it may be edited while
# it runs (a shared work tree), and bash reads scripts as it goes.
# shellcheck disable=SC2317 # functions run indirectly, e.g. under the lock
{
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

# Debian packages the harness uses: kernel build, VM, initramfs userland.
PACKAGES=(
	build-essential bc bison flex libelf-dev libssl-dev dwarves kmod cpio rsync
	xz-utils gzip zstd openssl python3 linux-source-6.12 linux-config-6.12
	qemu-system-x86 busybox-static
	bash coreutils util-linux procps grep sed gawk diffutils findutils libc-bin
	git shellcheck sparse python3-docutils gnuplot-nox
)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if ((${#missing[@]} == 0)); then
	step "deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi

step "deps: installing ${missing[*]}"
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null || die "not root and no sudo: install ${missing[*]} by hand"
	SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q || die "apt-get update failed"

failed=()
# One call first (fast path); on failure retry one by one to name the culprit.
if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
	for p in "${missing[@]}"; do
		"${SUDO[@]}" apt-get install -y -q --no-install-recommends "$p" || failed+=("$p")
	done
fi

if ((${#failed[@]})); then
	die "deps: failed to install package(s): ${failed[*]}"
fi
[[ -f "$KLP_TARBALL" ]] || die "deps: $KLP_TARBALL missing after installing linux-source-6.12"
[[ -f "$KLP_DISTRO_DEBIAN" ]] || die "deps: $KLP_DISTRO_DEBIAN missing after installing linux-config-6.12"
step "deps: done"
exit
}
