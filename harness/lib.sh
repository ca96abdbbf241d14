# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash disable=SC2034
#
# Common variables and helpers for the harness scripts. Sourced, never run.
# Every script that sources this runs with "set -euo pipefail" and prints
# each step as "==> step" so a person can follow along.

set -euo pipefail

KLP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KLP_HARNESS="$KLP_ROOT/harness"
# Everything generated lives below build/ (git-ignored). KLP_BUILD_DIR
# lets a machine keep it elsewhere, e.g. as a cache shared by clones.
KLP_BUILD="${KLP_BUILD_DIR:-$KLP_ROOT/build}"
KLP_TARBALL="${KLP_TARBALL:-/usr/src/linux-source-6.12.tar.xz}"
KLP_BASE="$KLP_BUILD/base"
KLP_LOGS="$KLP_BUILD/logs"
KLP_JOBS="${KLP_JOBS:-$(nproc)}"

# The paths we own. Upstream's files there are replaced by ours in the
# "ours" flavour; keep in sync with STYLE.md section 15.
KLP_OUR_DIRS=(
	kernel/livepatch
	samples/livepatch
	tools/testing/selftests/livepatch
	Documentation/livepatch
)
KLP_OUR_FILES=(
	include/linux/livepatch.h
	include/linux/livepatch_sched.h
	arch/x86/include/asm/livepatch.h
	Documentation/ABI/testing/sysfs-kernel-livepatch
)
# Prefixes of our files that the kernel build compiles (W=1, sparse).
KLP_OUR_CODE=(kernel/livepatch/ samples/livepatch/ include/linux/livepatch arch/x86/include/asm/livepatch.h)

step() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf 'WARNING(harness): %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# check_flavour FLAVOUR VARIANT: validate the two build axes. Variants:
# normal (tinyconfig + harness/config/livepatch.config), debug (that +
# debug.config) and distro (Debian's cloud-amd64 config +
# distro-trim.config, see build.sh).
check_flavour() {
	case "$1" in ours|pristine) ;; *) die "flavour must be ours or pristine, not '$1'" ;; esac
	case "$2" in normal|debug|distro) ;; *) die "variant must be normal, debug or distro, not '$2'" ;; esac
}

# tag FLAVOUR VARIANT: the name used for per-build directories.
klp_tag() {
	if [[ "$2" == normal ]]; then
		printf '%s\n' "$1"
	else
		printf '%s-%s\n' "$1" "$2"
	fi
}

# Debian's configuration of its cloud kernel, the base of the distro
# variant (package linux-config-6.12, installed by harness/deps.sh).
KLP_DISTRO_DEBIAN="${KLP_DISTRO_DEBIAN:-/usr/src/linux-config-6.12/config.amd64_none_cloud-amd64.xz}"

# debian_config: print that config (the file may be .xz or plain).
debian_config() {
	if [[ "$KLP_DISTRO_DEBIAN" == *.xz ]]; then
		xzcat "$KLP_DISTRO_DEBIAN"
	else
		cat "$KLP_DISTRO_DEBIAN"
	fi
}

objdir()   { printf '%s/obj-%s\n' "$KLP_BUILD" "$(klp_tag "$1" "$2")"; }
stagedir() { printf '%s/stage-%s\n' "$KLP_BUILD" "$(klp_tag "$1" "$2")"; }
initrd()   { printf '%s/initramfs-%s.cpio\n' "$KLP_BUILD" "$(klp_tag "$1" "$2")"; }

srcdir() {
	if [[ "$1" == pristine ]]; then
		printf '%s\n' "$KLP_BASE"
	else
		printf '%s/src-ours\n' "$KLP_BUILD"
	fi
}

# kernel_release OBJDIR: the release string of a configured+built tree.
kernel_release() {
	local f="$1/include/config/kernel.release"
	[[ -s "$f" ]] || die "no kernel release in $1; build first (harness/build.sh)"
	cat "$f"
}

# with_build_lock CMD...: run CMD while holding the build lock, so that
# two kernel builds never compete for the two cores of this machine.
with_build_lock() {
	mkdir -p "$KLP_BUILD"
	local lock="$KLP_BUILD/.build.lock"
	(
		if ! flock -n 9; then
			info "waiting for another build to finish ($lock)"
			flock 9
		fi
		"$@"
	) 9>"$lock"
}

# elapsed START: seconds since START (from $SECONDS).
elapsed() { printf '%ss' "$((SECONDS - $1))"; }

# our_files: our files, NUL-separated: tracked plus untracked-but-not-
# ignored, as in the work tree (what build.sh overlays on build/base).
our_files() {
	local f
	git -C "$KLP_ROOT" ls-files -z --cached --others --exclude-standard -- \
		"${KLP_OUR_DIRS[@]}" "${KLP_OUR_FILES[@]}" |
	while IFS= read -r -d '' f; do
		[[ -f "$KLP_ROOT/$f" ]] && printf '%s\0' "$f"
	done
}

# src_ours_stale [PREFIX...]: print the first of our files (starting with
# one of the PREFIXes, if any) whose copy in build/src-ours differs from
# the work tree; false when build/src-ours is in sync.
src_ours_stale() {
	local src f p match
	src=$(srcdir ours)
	while IFS= read -r -d '' f; do
		match=$(($# == 0))
		for p in "$@"; do
			[[ "$f" == "$p"* ]] && match=1
		done
		((match)) || continue
		if ! cmp -s "$KLP_ROOT/$f" "$src/$f"; then
			printf '%s\n' "$f"
			return 0
		fi
	done < <(our_files)
	return 1
}

# checkpatch_cwd: a directory to run checkpatch.pl in. It writes a cache
# (.checkpatch-camelcase.*) into its working directory, which must be
# neither the work tree nor build/base; the links make the repo-relative
# paths of our files valid there.
checkpatch_cwd() {
	local d="$KLP_BUILD/checkpatch" top
	mkdir -p "$d"
	for top in kernel include arch samples tools Documentation; do
		[[ -L "$d/$top" ]] || ln -sfn "$KLP_ROOT/$top" "$d/$top"
	done
	printf '%s\n' "$d"
}

# ensure_base: unpack $KLP_TARBALL into build/base, once.
ensure_base() {
	[[ -f "$KLP_BASE/.klp-unpacked" ]] && return 0
	local t0=$SECONDS
	step "unpack $KLP_TARBALL into build/base (once)"
	[[ -f "$KLP_TARBALL" ]] || die "$KLP_TARBALL not found; run harness/deps.sh"
	rm -rf "$KLP_BASE" "$KLP_BASE.tmp"
	mkdir -p "$KLP_BASE.tmp"
	tar -xJf "$KLP_TARBALL" -C "$KLP_BASE.tmp" --strip-components=1
	touch "$KLP_BASE.tmp/.klp-unpacked"
	mv "$KLP_BASE.tmp" "$KLP_BASE"
	info "unpacked in $(elapsed "$t0")"
}

# maintainers_spliced FILE: print MAINTAINERS file FILE with its LIVE
# PATCHING entry replaced by MAINTAINERS.livepatch (FILE as is when there
# is no MAINTAINERS.livepatch). Returns 3 if FILE has no such entry.
maintainers_spliced() {
	local frag="$KLP_ROOT/MAINTAINERS.livepatch"
	if [[ ! -f "$frag" ]]; then
		cat "$1"
		return
	fi
	awk -v frag="$frag" '
		skip && /^$/ { skip = 0 }
		skip { next }
		$0 == "LIVE PATCHING" {
			while ((getline l < frag) > 0) {
				if (l == "") blanks++
				else { for (; blanks; blanks--) print ""; print l }
			}
			skip = 1; found = 1; next
		}
		{ print }
		END { if (!found) exit 3 }
	' "$1"
}

# config_unheld FRAGMENT CONFIG: for each line of config fragment FRAGMENT
# that the .config CONFIG does not hold (olddefconfig overrode it: a
# dependency or a select), print "CONFIG_X=want (got: value)".
config_unheld() {
	local line name want got
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) name=${line%%=*}; want=${line#*=} ;;
		"# CONFIG_"*" is not set") name=${line#"# "}; name=${name%" is not set"}; want=n ;;
		*) continue ;;
		esac
		got=$(sed -n "s/^$name=//p" "$2")
		[[ "$got" == "$want" || ( -z "$got" && "$want" == n ) ]] ||
			printf '%s=%s (got: %s)\n' "$name" "$want" "${got:-n}"
	done <"$1"
}
