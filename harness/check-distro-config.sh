#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-distro-config.sh [flavour] [variant]
#
# Host-side check of the "distro" kernel config: Debian's cloud-amd64
# config (package linux-config-6.12) with harness/config/distro-trim.config
# merged on top, then "make olddefconfig". Fails when
#
#   - an option that harness/config/distro-keep.list matches has drifted
#     from Debian's value ("CONFIG_X: debian=y distro=n"): the trim took
#     something that shapes how livepatch's code is built, not just a
#     driver; or a line of that list matches no option at all;
#   - a line of the fragment did not survive olddefconfig ("cannot be
#     set"): a dependency or a select overrode it, so the fragment says
#     something the kernel is not.
#
# The config checked is build/obj-<flavour>-distro/.config when that
# exists (what was built), else one made in a temporary O= directory
# from build/base. The variant argument is ignored: distro is a variant
# of its own. Picked up by test.sh. Exits 0 (pass), 1 (fail) or 4
# (skipped: neither a built config nor build/base to make one).
#
# Environment: KLP_DISTRO_TRIM (another fragment, e.g. a copy with a
# mistake, to see the check fail; always configures afresh),
# KLP_DISTRO_DEBIAN (Debian's config, .xz or plain).

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

FLAVOUR="${1:-ours}"
DEBIAN="$KLP_DISTRO_DEBIAN"
TRIM="${KLP_DISTRO_TRIM:-$KLP_HARNESS/config/distro-trim.config}"
KEEP="$KLP_HARNESS/config/distro-keep.list"
OBJ=$(objdir "$FLAVOUR" distro)
problems=0

problem() {
	printf 'FAIL %s\n' "$*"
	problems=$((problems + 1))
}

[[ -f "$DEBIAN" ]] || die "no $DEBIAN: install Debian's package linux-config-6.12"
[[ -f "$TRIM" ]] || die "no fragment $TRIM"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

debian_config >"$tmp/debian.config"

if [[ -z "${KLP_DISTRO_TRIM:-}" && -f "$OBJ/.config" ]]; then
	CONFIG="$OBJ/.config"
	step "distro config: ${CONFIG#"$KLP_ROOT"/} (built)"
else
	if [[ ! -f "$KLP_BASE/.klp-unpacked" ]]; then
		info "SKIP: no ${OBJ#"$KLP_ROOT"/}/.config and no build/base to make one (harness/build.sh unpacks it)"
		exit 4
	fi
	step "distro config: Debian's + ${TRIM#"$KLP_ROOT"/}, olddefconfig in a temporary O= directory"
	mkdir -p "$tmp/obj"
	cp "$tmp/debian.config" "$tmp/obj/.config"
	(cd "$KLP_BASE" && scripts/kconfig/merge_config.sh -m -O "$tmp/obj" "$tmp/obj/.config" "$TRIM") >/dev/null
	make -C "$KLP_BASE" O="$tmp/obj" -s olddefconfig >/dev/null
	CONFIG="$tmp/obj/.config"
fi

# load_config FILE ARRAY: ARRAY[NAME]=value for each option FILE
# mentions, without CONFIG_; "n" for "# CONFIG_NAME is not set".
# shellcheck disable=SC2034 # "into" is a nameref to the caller's array
load_config() {
	local -n into="$2"
	local name value
	while read -r name value; do
		into["$name"]=$value
	done < <(sed -nE 's/^CONFIG_([A-Za-z0-9_]+)=(.*)$/\1 \2/p
			 s/^# CONFIG_([A-Za-z0-9_]+) is not set$/\1 n/p' "$1")
}
declare -A deb=() ours=()
load_config "$tmp/debian.config" deb
load_config "$CONFIG" ours
printf '%s\n' "${!deb[@]}" "${!ours[@]}" | sort -u >"$tmp/names"

step "distro config: the fragment's lines hold after olddefconfig"
nlines=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		name=${line%%=*}; name=${name#CONFIG_}; want=${line#*=} ;;
	"# CONFIG_"*" is not set")
		name=${line#"# CONFIG_"}; name=${name%" is not set"}; want=n
		# A typo would pass unnoticed: the option must exist.
		[[ -n "${deb[$name]:-}" ]] ||
			problem "CONFIG_$name: not an option of Debian's config (misspelt?)" ;;
	*) continue ;;
	esac
	nlines=$((nlines + 1))
	got=${ours[$name]:-n}
	[[ "$got" == "$want" ]] || problem "CONFIG_$name: cannot be set to $want (distro=$got)"
done <"$TRIM"
info "$nlines lines checked"

step "distro config: options in ${KEEP#"$KLP_ROOT"/} keep Debian's values"
: >"$tmp/kept"
: >"$tmp/exceptions"
lineno=0
while IFS= read -r line; do
	lineno=$((lineno + 1))
	pat=${line%%#*}
	pat=${pat//[[:space:]]/}
	[[ -n "$pat" ]] || continue
	if [[ "$pat" == '!'* ]]; then
		pat=${pat#!}
		grep -qxF -- "$pat" "$tmp/names" ||
			problem "distro-keep.list:$lineno: exception $pat is no option of either config"
		printf '%s\n' "$pat" >>"$tmp/exceptions"
	elif ! grep -Ex -- "$pat" "$tmp/names" >>"$tmp/kept"; then
		problem "distro-keep.list:$lineno: '$pat' matches no option (renamed?)"
	fi
done <"$KEEP"
nkept=0
while IFS= read -r name; do
	nkept=$((nkept + 1))
	d=${deb[$name]:-n} o=${ours[$name]:-n}
	[[ "$d" == "$o" ]] || problem "CONFIG_$name: debian=$d distro=$o"
done < <(sort -u "$tmp/kept" | grep -vxF -f "$tmp/exceptions")
info "$nkept options compared, $(wc -l <"$tmp/exceptions") exceptions"

# count ARRAY VALUE: how many options of ARRAY have VALUE.
count() {
	local -n from="$1"
	local v n=0
	for v in "${from[@]}"; do
		[[ "$v" == "$2" ]] && n=$((n + 1))
	done
	printf '%s\n' "$n"
}
info "y+m options: Debian $(($(count deb y) + $(count deb m))) ($(count deb m) m)," \
     "distro $(($(count ours y) + $(count ours m))) ($(count ours m) m)"

if ((problems)); then
	printf 'distro config: %d problem(s)\n' "$problems"
	exit 1
fi
step "distro config: clean"
