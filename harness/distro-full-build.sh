#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# distro-full-build.sh [--jobs N] [--only ours|pristine] [--resume]
#                                                  ("make distro-full-build")
#
# Builds Debian's whole cloud-amd64 configuration (linux-config-6.12, with
# nothing trimmed; harness/config/distro-full.config only fills in what
# Debian's own build would, and turns the livepatch samples on) twice:
# upstream 6.12 (build/base) and ours (build/src-ours). Each build is
# vmlinux, then every module that uses livepatch's symbols: the samples
# in samples/livepatch and the selftest modules of that tree. Then it
# compares the warnings of the two builds (compiler, linker, objtool,
# modpost, BTF) and fails on any that ours has and upstream has not.
#
# --only F rebuilds tree F alone and compares it with the other tree's
# warnings of an earlier run. --jobs N (default: all CPUs) is make's -j;
# the compile runs at nice 19 and holds the build lock only while the
# sources are prepared, so that with --jobs 1 it can run beside a VM.
#
# --resume goes on with an object directory and log that an interrupted
# run left, instead of starting afresh: each file is still compiled once,
# and its warnings are in the log.
#
# Each build starts from an empty object directory, so that every file
# is compiled and says its warnings: build/obj-full-<flavour>, logs in
# build/logs/full-<flavour>.log, the warnings in
# build/full/warnings-<flavour>.txt and the new ones in
# build/full/new-warnings.txt. The source trees are only read. Not part
# of "make test": it takes long (see README.md).
#
# Errors, each one line naming the cause: Debian's config missing, too
# little disk for the two object directories (KLP_FULL_NEED_GB, default
# 30 GiB), a line of the fragment that olddefconfig overrode, a build
# that ran out of disk (its object directory is then removed) or failed.
#
# KLP_FULL_FRAGMENT replaces the fragment (harness/check-full-build.sh
# gives it one that cannot hold).
#
# Exit: 0 no new warning; 1 new warnings or an error.

# Read the whole script before running any of it: it may be edited while
# it runs (a shared work tree), and bash reads scripts as it goes.
{
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

JOBS=$KLP_JOBS ONLY="" RESUME=0
while (($#)); do
	case "$1" in
	--jobs) (($# >= 2)) || die "--jobs needs a number"; JOBS=$2; shift ;;
	--resume) RESUME=1 ;;
	--only) (($# >= 2)) || die "--only needs ours or pristine"; ONLY=$2; shift ;;
	-h|--help) sed -n '4,40p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number, not '$JOBS'"

FRAGMENT="${KLP_FULL_FRAGMENT:-$KLP_HARNESS/config/distro-full.config}"
OUT="$KLP_BUILD/full"
NEED_GB=${KLP_FULL_NEED_GB:-30}
FLAVOURS=(pristine ours)
case "$ONLY" in
"") ;;
ours|pristine)
	other=pristine
	[[ "$ONLY" == pristine ]] && other=ours
	[[ -f "$OUT/warnings-$other.txt" ]] ||
		die "--only $ONLY needs the warnings of $other from an earlier run (${OUT#"$KLP_ROOT"/}/warnings-$other.txt)"
	FLAVOURS=("$ONLY") ;;
*) die "--only takes ours or pristine, not '$ONLY'" ;;
esac

[[ -f "$KLP_DISTRO_DEBIAN" ]] ||
	die "no $KLP_DISTRO_DEBIAN: the full build needs Debian's package linux-config-6.12 (make deps)"

# free_gb: GiB free on the file system of build/.
free_gb() {
	mkdir -p "$KLP_BUILD"
	df -P --block-size=1G "$KLP_BUILD" | awk 'NR == 2 { print $4 }'
}

# used_gb: GiB the object directories of an earlier run take, which this
# run frees first.
used_gb() {
	local f kb=0
	for f in "${FLAVOURS[@]}"; do
		[[ -d "$KLP_BUILD/obj-full-$f" ]] &&
			kb=$((kb + $(du -sk "$KLP_BUILD/obj-full-$f" | cut -f1)))
	done
	printf '%s\n' $((kb / 1024 / 1024))
}

avail=$(($(free_gb) + $(used_gb)))
((avail >= NEED_GB)) ||
	die "not enough disk for the full build: ${avail} GiB free in ${KLP_BUILD#"$KLP_ROOT"/}, it needs about ${NEED_GB} GiB"

# The files of each tree that use livepatch's symbols, as single targets.
# Continued lines are joined first.
sample_targets() {
	sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$1/samples/livepatch/Makefile" |
		sed -nE 's/^obj-\$\(CONFIG_SAMPLE_LIVEPATCH\)[[:space:]]*\+=//p' |
		tr -s ' \t' '\n' | sed -n 's#^\(.*\)\.o$#samples/livepatch/\1.ko#p'
}

# build_one FLAVOUR: configure and build one tree; its full output goes
# to the log, warnings and errors also to the terminal.
build_one() {
	local f="$1" src obj log t0=$SECONDS rc=0 line mods
	src=$(srcdir "$f")
	obj="$KLP_BUILD/obj-full-$f"
	log="$KLP_LOGS/full-$f.log"
	mkdir -p "$KLP_LOGS" "$OUT"
	step "full build, $f: Debian's ${KLP_DISTRO_DEBIAN##*/} + ${FRAGMENT##*/} (log: ${log#"$KLP_ROOT"/})"
	"$KLP_HARNESS/build.sh" --sources "$f" >/dev/null || die "cannot prepare the sources of $f"
	if ((RESUME)) && [[ -f "$obj/.config" && -f "$log" ]]; then
		info "resuming in ${obj#"$KLP_ROOT"/}"
	else
		rm -rf "$obj"
		: >"$log"
	fi
	mkdir -p "$obj"
	debian_config >"$obj/.config.new" || die "cannot read $KLP_DISTRO_DEBIAN"
	mv "$obj/.config.new" "$obj/.config"
	# From the object directory: merge_config.sh makes its temporary
	# files in the current one, and the source tree is only read.
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$FRAGMENT") >/dev/null ||
		die "merge_config.sh failed for $f"
	make -C "$src" O="$obj" -s olddefconfig >/dev/null || die "olddefconfig failed for $f"
	line=$(config_unheld "$FRAGMENT" "$obj/.config" | head -n 1)
	[[ -z "$line" ]] || die "the full configuration cannot have $line"

	mapfile -t mods < <(sample_targets "$src")
	((${#mods[@]})) || die "no livepatch samples in $src/samples/livepatch/Makefile"
	{
		nice -n 19 make -C "$src" O="$obj" -j"$JOBS" vmlinux &&
		nice -n 19 make -C "$src" O="$obj" -j"$JOBS" "${mods[@]}" &&
		selftest_modules "$src" "$obj"
	} >>"$log" 2>&1 || rc=$?
	grep -iE '(^|[^a-z_])(warning|error)[: ]' "$log" | sed 's/^/    /' || true
	if ((rc)); then
		if grep -q 'No space left on device' "$log"; then
			rm -rf "$obj"
			die "the full build of $f ran out of disk in ${KLP_BUILD#"$KLP_ROOT"/} ($(df -P -h "$KLP_BUILD" | awk 'NR == 2 { print $4 }') free once its object directory is removed)"
		fi
		die "the full build of $f failed (rc=$rc): see ${log#"$KLP_ROOT"/}"
	fi
	warnings "$log" >"$OUT/warnings-$f.txt"
	info "$f: vmlinux, ${#mods[@]} samples and the selftest modules built in $(elapsed "$t0")," \
	     "$(wc -l <"$OUT/warnings-$f.txt") warning lines, $(du -sh "$obj" | cut -f1) of objects"
}

# selftest_modules SRC OBJ: the selftest modules of tree SRC, built
# against OBJ from a copy (kbuild writes an external module's objects
# next to its sources).
selftest_modules() {
	local copy="$2/klp-test-modules"
	rm -rf "$copy"
	cp -r "$1/tools/testing/selftests/livepatch/test_modules" "$copy"
	nice -n 19 make -C "$2" M="$copy" -j"$JOBS" modules
}

# warnings LOG: the warning lines of LOG with what differs between the
# two trees for no reason of their own (source and object directories)
# taken out, sorted and unique.
warnings() {
	grep -iE '(^|[^a-z_])warning[: ]' "$1" |
		sed -E 's#[^[:space:]:]*/(base|src-ours)/##g
			s#obj-full-(ours|pristine)#obj-full#g
			s#/klp-test-modules/#/test_modules/#g' |
		LC_ALL=C sort -u || true
}

T0=$SECONDS
for f in "${FLAVOURS[@]}"; do
	build_one "$f"
done

LC_ALL=C comm -13 "$OUT/warnings-pristine.txt" "$OUT/warnings-ours.txt" >"$OUT/new-warnings.txt"
n=$(wc -l <"$OUT/new-warnings.txt")
step "full build: ${FLAVOURS[*]} built in $(elapsed "$T0"), $n new warning lines"
if ((n)); then
	sed 's/^/    /' "$OUT/new-warnings.txt"
	printf 'ERROR: ours has %d warning lines that upstream has not (%s)\n' "$n" \
		"${OUT#"$KLP_ROOT"/}/new-warnings.txt" >&2
	exit 1
fi
step "full build: no new warnings"
exit 0
}
