#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mkinitramfs.sh [ours|pristine] [normal|debug]
#
# Packs build/initramfs-<tag>.cpio (uncompressed newc) from what build.sh
# staged: busybox for the basics, the host's bash, kmod, coreutils, dmesg,
# sysctl and friends (the selftests compare their exact messages), the
# kernel's modules, both selftest suites, Documentation/livepatch with its
# example scripts and the jobs in harness/initramfs/.

# Read the whole script before running any of it: it may be edited while
# it runs (a shared work tree), and bash reads scripts as it goes.
# shellcheck disable=SC2317 # functions run indirectly, e.g. under the lock
{
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

FLAVOUR="${1:-ours}"
VARIANT="${2:-normal}"
check_flavour "$FLAVOUR" "$VARIANT"
TAG=$(klp_tag "$FLAVOUR" "$VARIANT")
STAGE=$(stagedir "$FLAVOUR" "$VARIANT")
OUT=$(initrd "$FLAVOUR" "$VARIANT")
ROOT="$KLP_BUILD/initramfs-root-$TAG"

[[ -s "$STAGE/release" ]] || die "nothing staged in $STAGE; run harness/build.sh $FLAVOUR $VARIANT"
RELEASE=$(cat "$STAGE/release")

# Host programs copied in, by the name the scripts call them. Shared
# libraries follow via ldd. Busybox provides everything else.
HOST_TOOLS=(
	bash
	insmod rmmod modprobe modinfo lsmod depmod
	dmesg taskset setpriv
	sysctl ps pgrep pkill
	grep sed awk diff find xargs getconf
)

T0=$SECONDS
step "initramfs $TAG: userland"
rm -rf "$ROOT"
mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/lib,usr/lib64,dev,proc,sys,tmp,run,root,etc,var/log,mnt}
ln -s usr/bin "$ROOT/bin"
ln -s usr/sbin "$ROOT/sbin"
ln -s usr/lib "$ROOT/lib"
ln -s usr/lib64 "$ROOT/lib64"

BUSYBOX=$(command -v busybox) || die "busybox not found (package busybox-static)"
cp "$(readlink -f "$BUSYBOX")" "$ROOT/usr/bin/busybox"
while IFS= read -r applet; do
	case "$applet" in
	bin/*|sbin/*) applet="usr/$applet" ;;
	esac
	[[ -e "$ROOT/$applet" ]] || ln -s /usr/bin/busybox "$ROOT/$applet"
done < <("$BUSYBOX" --list-full)

# install_tool PATH NAME: copy the program behind PATH, reachable as NAME.
install_tool() {
	local real base name="$2"
	real=$(readlink -f "$1")
	base=$(basename "$real")
	rm -f "$ROOT/usr/bin/$name" "$ROOT/usr/sbin/$name"
	[[ -f "$ROOT/usr/bin/$base" && ! -L "$ROOT/usr/bin/$base" ]] || {
		rm -f "$ROOT/usr/bin/$base"
		cp "$real" "$ROOT/usr/bin/$base"
	}
	[[ "$base" == "$name" ]] || ln -s "$base" "$ROOT/usr/bin/$name"
}

HOST_PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
for tool in "${HOST_TOOLS[@]}"; do
	p=$(PATH="$HOST_PATH" command -v "$tool") || die "host tool '$tool' not found; run harness/deps.sh"
	install_tool "$p" "$tool"
done
# All of coreutils: date --rfc-3339, stat --format, timeout, id, ... with
# the exact GNU behaviour the scripts were written against.
if command -v dpkg-query >/dev/null && dpkg-query -L coreutils >/dev/null 2>&1; then
	while IFS= read -r p; do
		[[ -f "$p" && -x "$p" ]] && install_tool "$p" "$(basename "$p")"
	done < <(dpkg-query -L coreutils | grep -E '^(/usr)?/s?bin/[^/]+$')
else
	for tool in date stat timeout sleep id seq tr cat ls env nproc readlink; do
		install_tool "$(command -v "$tool")" "$tool"
	done
fi

step "initramfs $TAG: modules for $RELEASE"
rsync -a "$STAGE/modroot/lib/modules/" "$ROOT/usr/lib/modules/"
# The selftests only check that a build directory exists.
rm -f "$ROOT/usr/lib/modules/$RELEASE/build" "$ROOT/usr/lib/modules/$RELEASE/source"
mkdir -p "$ROOT/usr/lib/modules/$RELEASE/build"
depmod -b "$ROOT" "$RELEASE"

step "initramfs $TAG: selftests and harness jobs"
for suite in selftests conformance; do
	if [[ -d "$STAGE/$suite" ]]; then
		rsync -a "$STAGE/$suite/" "$ROOT/$suite/"
		info "/$suite: $(find "$ROOT/$suite/livepatch" -maxdepth 1 -name 'test-*.sh' | wc -l) scripts," \
		     "$(find "$ROOT/$suite" -name '*.ko' | wc -l) modules"
	else
		info "/$suite: none"
	fi
done
# The pages and examples of Documentation/livepatch, for test-docs.sh
# (LP_DOCS, set by /init).
if [[ -d "$STAGE/docs/livepatch" ]]; then
	rsync -a "$STAGE/docs/" "$ROOT/docs/"
	info "/docs/livepatch: $(find "$ROOT/docs/livepatch/examples" -name '*.sh' 2>/dev/null | wc -l) example scripts"
else
	info "/docs/livepatch: none staged"
fi
mkdir -p "$ROOT/harness"
rsync -a "$KLP_HARNESS/initramfs/jobs" "$KLP_HARNESS/initramfs/lib.sh" "$ROOT/harness/"
# In-VM benchmark scripts: harness/bench/vm/*.sh -> /harness/bench/*.sh.
if [[ -d "$KLP_HARNESS/bench/vm" ]]; then
	rsync -a "$KLP_HARNESS/bench/vm/" "$ROOT/harness/bench/"
fi
install -m 755 "$KLP_HARNESS/initramfs/init" "$ROOT/init"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\n' >"$ROOT/etc/group"
printf 'klp-vm\n' >"$ROOT/etc/hostname"
cat >"$ROOT/etc/profile" <<'PROFILE'
export PATH=/usr/local/bin:/usr/bin:/usr/sbin
PS1='klp-vm:\w# '
PROFILE
printf '%s %s\n' "$FLAVOUR" "$VARIANT" >"$ROOT/etc/klp-flavour"

step "initramfs $TAG: shared libraries"
# copy_lib PATH: copy a library and keep the path it was found at.
copy_lib() {
	local p="$1"
	[[ -e "$ROOT$p" ]] && return 0
	mkdir -p "$(dirname "$ROOT$p")"
	cp -L "$p" "$ROOT$p"
}
while IFS= read -r -d '' f; do
	[[ "$(head -c4 "$f" | tr -d '\0')" == $'\x7fELF' ]] || continue
	while IFS= read -r lib; do
		copy_lib "$lib"
	done < <(ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\//{print $1}')
done < <(find "$ROOT/usr/bin" "$ROOT/selftests" "$ROOT/conformance" -type f -perm -u+x -print0 2>/dev/null)
info "$(find "$ROOT/usr/lib" "$ROOT/usr/lib64" -name '*.so*' | wc -l) libraries"

step "initramfs $TAG: pack ${OUT#"$KLP_ROOT"/}"
(cd "$ROOT" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
info "$(du -h "$OUT" | cut -f1) in $(elapsed "$T0")"
exit
}
