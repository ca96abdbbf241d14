#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# build.sh [ours|pristine] [normal|debug|distro]
# build.sh --sources [ours|pristine]
#
# Builds a bzImage, its modules and the livepatch selftests for one flavour:
#   pristine  upstream 6.12 as shipped (build/base), the baseline;
#   ours      build/base with our files overlaid at our paths (build/src-ours).
# Out-of-tree into build/obj-<flavour>[-debug|-distro]; results staged
# for the initramfs in build/stage-<flavour>[-debug|-distro]. Incremental
# on re-runs. --sources only prepares the source tree (unpacks build/base
# and, for ours, brings build/src-ours in sync with the work tree) for
# another build of it (harness/distro-full-build.sh).

# Read the whole script before running any of it: it may be edited while
# it runs (a shared work tree), and bash reads scripts as it goes.
# shellcheck disable=SC2317 # functions run indirectly, e.g. under the lock
{
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

SOURCES_ONLY=0
if [[ "${1:-}" == --sources ]]; then
	SOURCES_ONLY=1
	shift
fi
FLAVOUR="${1:-ours}"
VARIANT="${2:-normal}"
check_flavour "$FLAVOUR" "$VARIANT"
TAG=$(klp_tag "$FLAVOUR" "$VARIANT")
SRC=$(srcdir "$FLAVOUR")
OBJ=$(objdir "$FLAVOUR" "$VARIANT")
STAGE=$(stagedir "$FLAVOUR" "$VARIANT")
VIEW="$KLP_BUILD/view-ours"
mkdir -p "$KLP_LOGS"
BUILD_LOG="$KLP_LOGS/build-$TAG.log"

# The base config and what is merged on top of it. distro: Debian's
# cloud-amd64 config as the package ships it, trimmed of what the VM
# cannot use (harness/config/distro-trim.config says what and why;
# harness/check-distro-config.sh checks that nothing livepatch depends on
# drifted from Debian's value).
if [[ "$VARIANT" == distro ]]; then
	BASE_CONFIG=debian
	FRAGMENTS=("$KLP_HARNESS/config/distro-trim.config")
	[[ -f "$KLP_DISTRO_DEBIAN" ]] ||
		die "no $KLP_DISTRO_DEBIAN: the distro kernel needs Debian's package linux-config-6.12 (make deps)"
else
	BASE_CONFIG=tinyconfig
	FRAGMENTS=("$KLP_HARNESS/config/livepatch.config")
	[[ "$VARIANT" == debug ]] && FRAGMENTS+=("$KLP_HARNESS/config/debug.config")
fi

# Options the harness cannot work without; checked after every configure.
REQUIRED_CONFIG=(CONFIG_LIVEPATCH=y CONFIG_HAVE_RELIABLE_STACKTRACE=y CONFIG_DYNAMIC_FTRACE=y
		 CONFIG_MODULES=y CONFIG_SAMPLE_LIVEPATCH=m CONFIG_DYNAMIC_DEBUG=y)

# Build artifacts that the rsync --delete of a selftest mirror must keep.
PROTECT_ARTIFACTS=(--filter='P *.o' --filter='P *.ko' --filter='P *.mod' --filter='P *.mod.c'
		   --filter='P .*.cmd' --filter='P modules.order' --filter='P Module.symvers'
		   --filter='P .*.d' --filter='P .tmp_*')

# --- build/view-ours: our git files at our paths ---------------------------

make_view() {
	rm -rf "$VIEW"
	mkdir -p "$VIEW"
	our_files | rsync -a --from0 --files-from=- "$KLP_ROOT/" "$VIEW/"
	info "our files: $(find "$VIEW" -type f | wc -l)"
}

# --- build/src-ours: base with our paths replaced --------------------------

# Replace upstream's LIVE PATCHING entry with MAINTAINERS.livepatch, if any.
splice_maintainers() {
	local out="$SRC/.MAINTAINERS.new"
	maintainers_spliced "$KLP_BASE/MAINTAINERS" >"$out" || die "no LIVE PATCHING section in MAINTAINERS"
	if cmp -s "$out" "$SRC/MAINTAINERS"; then
		rm -f "$out"
	else
		mv "$out" "$SRC/MAINTAINERS"
		info "MAINTAINERS updated"
	fi
}

sync_ours() {
	step "sync our files into build/src-ours"
	if [[ ! -f "$SRC/.klp-linked" ]]; then
		# Hard links: instant and small. Safe because rsync and mv below
		# replace files instead of writing into them, and kbuild never
		# writes into the source tree of an O= build.
		info "creating build/src-ours (hard-linked copy of build/base)"
		rm -rf "$SRC" "$SRC.tmp"
		cp -al "$KLP_BASE" "$SRC.tmp"
		touch "$SRC.tmp/.klp-linked"
		mv "$SRC.tmp" "$SRC"
	fi
	local d f changes
	changes=$(
		for d in "${KLP_OUR_DIRS[@]}"; do
			mkdir -p "$VIEW/$d" "$SRC/$d"
			rsync -rlp --checksum --delete --out-format="%i $d/%n" "$VIEW/$d/" "$SRC/$d/"
		done
		for f in "${KLP_OUR_FILES[@]}"; do
			if [[ -f "$VIEW/$f" ]]; then
				mkdir -p "$(dirname "$SRC/$f")"
				rsync -lp --checksum --out-format="%i $f" "$VIEW/$f" "$SRC/$f"
			elif [[ -e "$SRC/$f" ]]; then
				rm -f "$SRC/$f"
				printf '*deleting   %s\n' "$f"
			fi
		done
	)
	if [[ -n "$changes" ]]; then
		printf '%s\n' "$changes" | sed 's/^/    /'
	else
		info "no changes"
	fi
	splice_maintainers
}

# --- configure -------------------------------------------------------------

kmake() {
	make -C "$SRC" O="$OBJ" "$@"
}

# base_config: write the base config to $OBJ/.config.
base_config() {
	if [[ "$BASE_CONFIG" == debian ]]; then
		debian_config >"$OBJ/.config.base" ||
			die "cannot read $KLP_DISTRO_DEBIAN"
		mv "$OBJ/.config.base" "$OBJ/.config"
	else
		kmake -s tinyconfig >/dev/null
	fi
}

configure() {
	local hash
	hash=$( { [[ "$BASE_CONFIG" != debian ]] || debian_config; cat "${FRAGMENTS[@]}"; } |
		sha256sum | cut -d' ' -f1)
	if [[ -f "$OBJ/.config" && "$(cat "$OBJ/.klp-config-hash" 2>/dev/null)" == "$hash" ]]; then
		step "config: up to date ($OBJ/.config)"
	else
		local t0=$SECONDS
		step "config: ${BASE_CONFIG/debian/${KLP_DISTRO_DEBIAN##*/}} + ${FRAGMENTS[*]##*/}"
		mkdir -p "$OBJ"
		base_config
		(cd "$SRC" && scripts/kconfig/merge_config.sh -m -O "$OBJ" "$OBJ/.config" "${FRAGMENTS[@]}") >/dev/null
		kmake -s olddefconfig
		printf '%s\n' "$hash" >"$OBJ/.klp-config-hash"
		report_config_drift
		info "configured in $(elapsed "$t0")"
	fi
	local want bad=0
	for want in "${REQUIRED_CONFIG[@]}"; do
		if ! grep -qx "$want" "$OBJ/.config"; then
			printf 'ERROR: %s missing from %s/.config\n' "$want" "$OBJ" >&2
			bad=1
		fi
	done
	if ((bad)); then
		rm -f "$OBJ/.klp-config-hash"
		die "kernel config lacks what livepatch needs (see above)"
	fi
}

# Say which requested options Kconfig did not honour (dependencies unmet).
report_config_drift() {
	local line sym
	cat "${FRAGMENTS[@]}" | while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$OBJ/.config" || info "note: requested $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$OBJ/.config" || echo unset)" ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			grep -qx "$sym=.*" "$OBJ/.config" && info "note: requested $sym off, got: $(grep "^$sym=" "$OBJ/.config")" ;;
		esac
	done || true
}

# --- compile ---------------------------------------------------------------

# run_logged NAME CMD...: run CMD with full output in the build log; show
# warnings and errors live, and the log tail if it fails. Returns CMD's rc.
run_logged() {
	local name="$1"; shift
	local rc
	printf '\n===== %s: %s\n' "$name" "$*" >>"$BUILD_LOG"
	set +e
	if [[ "${KLP_VERBOSE:-0}" == 1 ]]; then
		"$@" 2>&1 | tee -a "$BUILD_LOG"; rc=${PIPESTATUS[0]}
	else
		"$@" >>"$BUILD_LOG" 2>&1 &
		local pid=$!
		tail -n0 -F --pid="$pid" "$BUILD_LOG" 2>/dev/null |
			grep --line-buffered -iE '(warning|error)[: ]|^make.*\*\*\*|undefined|No such file' | sed 's/^/    /'
		wait "$pid"; rc=$?
	fi
	set -e
	if ((rc)); then
		printf '    ---- last lines of %s ----\n' "${BUILD_LOG#"$KLP_ROOT"/}"
		tail -n 25 "$BUILD_LOG" | sed 's/^/    /'
		printf 'ERROR: %s failed (rc=%s); full log: %s\n' "$name" "$rc" "$BUILD_LOG" >&2
	fi
	return "$rc"
}

compile_kernel() {
	local t0=$SECONDS
	step "make bzImage modules (O=${OBJ#"$KLP_ROOT"/}, -j$KLP_JOBS)"
	rm -f "$STAGE/bzImage" "$STAGE/release"
	run_logged "kernel" kmake -j"$KLP_JOBS" bzImage modules || exit 1
	info "kernel $(kernel_release "$OBJ") built in $(elapsed "$t0")"

	step "modules_install into ${STAGE#"$KLP_ROOT"/}/modroot"
	rm -rf "$STAGE/modroot"
	mkdir -p "$STAGE"
	# Uncompressed even where the config compresses modules (distro:
	# MODULE_COMPRESS_ALL, .ko.xz): the initramfs is packed as it is,
	# and the documented examples load modules by their .ko name.
	run_logged "modules_install" kmake INSTALL_MOD_PATH="$STAGE/modroot" INSTALL_MOD_STRIP=1 \
		CONFIG_MODULE_COMPRESS_ALL= modules_install || exit 1
	cp "$OBJ/arch/x86/boot/bzImage" "$STAGE/bzImage"
	kernel_release "$OBJ" >"$STAGE/release"
}

# ksft_mirror DEST LIVEPATCH_SRC: a minimal selftests tree (framework from
# base, livepatch/ from LIVEPATCH_SRC) in which the test modules are built.
ksft_mirror() {
	local dest="$1" lp="$2" st="tools/testing/selftests"
	mkdir -p "$dest/scripts" "$dest/$st/kselftest" "$dest/$st/livepatch"
	rsync -lp --checksum "$KLP_BASE/scripts/subarch.include" "$dest/scripts/"
	rsync -rlp --checksum --exclude='/*/' "$KLP_BASE/$st/" "$dest/$st/"
	rsync -rlp --checksum --delete "$KLP_BASE/$st/kselftest/" "$dest/$st/kselftest/"
	rsync -rlp --checksum --delete "${PROTECT_ARTIFACTS[@]}" "$lp/" "$dest/$st/livepatch/"
	# A module whose source went away must not be installed from a stale .ko.
	find "$dest/$st/livepatch" -name '*.ko' -delete
}

# ksft_build NAME LIVEPATCH_SRC INSTALL_PATH: build one livepatch selftest
# suite the kselftest way against our kernel and install it.
ksft_build() {
	local name="$1" lp="$2" inst="$3"
	local dest="$KLP_BUILD/ksft/$TAG/$name-src" out="$KLP_BUILD/ksft/$TAG/$name-out"
	local t0=$SECONDS
	step "selftests '$name': build and install into ${inst#"$KLP_ROOT"/}"
	ksft_mirror "$dest" "$lp"
	rm -rf "$inst"
	mkdir -p "$out"
	if ! run_logged "selftests $name" make -C "$dest/tools/testing/selftests" TARGETS=livepatch \
		O="$OBJ" KDIR="$OBJ" BUILD="$out" KSFT_INSTALL_PATH="$inst" install; then
		rm -rf "$inst"
		printf '%s\n' "$name" >>"$STAGE/failed-suites"
		return 0
	fi
	local n
	n=$(find "$inst/livepatch" -name '*.ko' 2>/dev/null | wc -l)
	((n > 0)) || warn "selftests '$name': no test modules installed"
	sign_modules "$inst/livepatch"
	info "$n test modules, $(find "$inst/livepatch" -maxdepth 1 -name 'test-*.sh' | wc -l) scripts, in $(elapsed "$t0")"
}

# sign_modules DIR: sign every .ko below DIR with the kernel's own key,
# when the kernel checks signatures (distro: MODULE_SIG). kselftest builds
# the test modules outside the kernel build, which signs only its own at
# modules_install; unsigned, they would taint the kernel, and under
# lockdown=integrity they would not load at all.
sign_modules() {
	grep -qx 'CONFIG_MODULE_SIG=y' "$OBJ/.config" || return 0
	local key="$OBJ/certs/signing_key.pem" cert="$OBJ/certs/signing_key.x509" hash ko n=0
	[[ -f "$key" && -f "$cert" ]] || die "MODULE_SIG=y but no $key: the kernel build made no signing key"
	hash=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"$/\1/p' "$OBJ/.config")
	while IFS= read -r -d '' ko; do
		"$OBJ/scripts/sign-file" "$hash" "$key" "$cert" "$ko" || die "cannot sign $ko"
		n=$((n + 1))
	done < <(find "$1" -name '*.ko' -print0)
	info "signed $n modules ($hash)"
}

# A suite that fails to build is listed in $STAGE/failed-suites; the others
# are still built and build.sh exits with 3 at the end.
build_suites() {
	rm -f "$STAGE/failed-suites"
	# Upstream's unchanged suite: the conformance baseline.
	ksft_build conformance "$KLP_BASE/tools/testing/selftests/livepatch" "$STAGE/conformance"
	# Our suite, from the repo, if there is one yet.
	if [[ -f "$VIEW/tools/testing/selftests/livepatch/Makefile" ]]; then
		ksft_build selftests "$VIEW/tools/testing/selftests/livepatch" "$STAGE/selftests"
	else
		step "selftests 'selftests': none in the repo yet (tools/testing/selftests/livepatch/Makefile)"
		rm -rf "$STAGE/selftests"
	fi
}

# The pages of Documentation/livepatch and their examples/ scripts, which
# the selftest test-docs.sh runs in the VM (as /docs/livepatch).
stage_docs() {
	local docs="$VIEW/Documentation/livepatch"
	rm -rf "$STAGE/docs"
	if [[ -d "$docs" ]]; then
		mkdir -p "$STAGE/docs"
		rsync -a "$docs/" "$STAGE/docs/livepatch/"
		info "docs: $(find "$STAGE/docs/livepatch" -maxdepth 1 -name '*.rst' | wc -l) pages," \
		     "$(find "$STAGE/docs/livepatch/examples" -name '*.sh' 2>/dev/null | wc -l) example scripts"
	fi
}

prepare_sources() {
	ensure_base
	make_view
	if [[ "$FLAVOUR" == ours ]]; then
		sync_ours
	fi
}

locked_build() {
	: >"$BUILD_LOG"
	prepare_sources
	configure
	compile_kernel
	build_suites
	stage_docs
}

if ((SOURCES_ONLY)); then
	with_build_lock prepare_sources
	step "sources of $FLAVOUR ready: ${SRC#"$KLP_ROOT"/}"
	exit
fi

T0=$SECONDS
step "build $TAG (log: ${BUILD_LOG#"$KLP_ROOT"/})"
with_build_lock locked_build
if [[ -s "$STAGE/failed-suites" ]]; then
	step "build $TAG: kernel ok, but these selftest suites failed to build: $(tr '\n' ' ' <"$STAGE/failed-suites")"
	exit 3
fi
step "build $TAG done in $(elapsed "$T0"): ${STAGE#"$KLP_ROOT"/}/bzImage"
exit
}
