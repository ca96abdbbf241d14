#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# klp relocations.  test_lp_reloc replaces a function of
# test_lp_reloc_target with one that reads a static variable and calls a
# static function of that module, and calls cmdline_proc_show(), which
# vmlinux does not export; klp-rela.py turned those references into klp
# relocations at build time.  The new function must work whether the
# target loads before or after the patch, and after the target was
# unloaded and reloaded under it (the relocations are cleared and written
# again).  Then five modules with one malformed relocation each: every one
# must fail to load with a message that names the culprit and leave
# nothing behind.  Where the kernel randomizes its base (KASLR, as
# distribution kernels do), it must run elsewhere than it was linked, so
# that the relocations are written against addresses no build knew.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

RT=test_lp_reloc_target
R=test_lp_reloc
BAD_MODS=(test_lp_reloc_bad_sec test_lp_reloc_bad_shn test_lp_reloc_bad_sym
	  test_lp_reloc_bad_pos test_lp_reloc_bad_obj)
PLAIN=/proc/test_lp_reloc/plain
RELOADS=2

lp_begin $((1 + 6 + 7 + RELOADS * 6 + 10 + ${#BAD_MODS[@]} * 5 + 8 + 4)) \
	"$RT" "$R" "${BAD_MODS[@]}"

ORIG="$RT: original"
CMDLINE=$(lp_read /proc/cmdline)
SECRET=$((RANDOM % 9000 + 1000))

# patched SECRET: what the new function shows with test_lp_reloc_target
# loaded as secret=SECRET.
patched() {
	printf '%s\n%s\n%s\n' "$R: patched, secret $1" "$RT: secret $1" "$CMDLINE"
}

# check_klp_line DESC WORD...: a line of the core since the mark contains
# every WORD; what a message says matters here, not how it is worded.
check_klp_line() {
	local desc="$1" line w ok
	shift
	while IFS= read -r line; do
		ok=1
		for w in "$@"; do
			[[ "$line" == *"$w"* ]] || ok=0
		done
		if ((ok)); then
			lp_pass "$desc"
			return 0
		fi
	done < <(lp_klp_log)
	lp_fail "$desc" "no livepatch: line with all of: $*" "$(lp_klp_log)"
}

# no_arch_complaint DESC: since the mark, the architecture's relocation
# code had nothing to say: the core never asked it to write a location
# twice, or to clear one it did not write.
no_arch_complaint() {
	lp_not "$1" grep -q "Invalid relocation target" <(lp_log)
}

# converted MOD: klp-rela.py gave MOD's .ko a klp relocation section.
converted() {
	grep -qaF .klp.rela. "$LP_MODS/$1.ko"
}

gone() {
	! lp_mod_loaded "$1" && lp_gone "$1"
}

# Where the kernel was linked to run, and where it runs.
phys=$(zcat /proc/config.gz 2>/dev/null | sed -n 's/^CONFIG_PHYSICAL_START=//p')
linked=$(printf '%x' $((0xffffffff80000000 + ${phys:-0x1000000})))
text=$(awk '$3 == "_text" { print $1; exit }' /proc/kallsyms)
if zcat /proc/config.gz 2>/dev/null | grep -qx 'CONFIG_RANDOMIZE_BASE=y' &&
   ! grep -qw nokaslr /proc/cmdline; then
	# Zeros: kallsyms hides addresses from us; that proves nothing.
	moved() { [[ "$text" =~ [1-9a-f] && "$text" != "$linked" ]]; }
	lp_ok "KASLR: the kernel runs at a random base (_text at $text)" moved
else
	lp_eq "no KASLR: the kernel runs where it was linked" "$linked" "$text"
fi

# --- setup: the modules were post-processed ---
for m in "$R" "${BAD_MODS[@]}"; do
	lp_ok "$m.ko has klp relocation sections" converted "$m" ||
		lp_bail "$m.ko was not converted by klp-rela.py"
done

# --- the target first, then the patch ---
lp_ok "load $RT secret=$SECRET" lp_insmod "$RT" "secret=$SECRET" ||
	lp_bail "cannot load $RT: $LP_OUT"
lp_mark_log
lp_ok "load $R: its vmlinux relocations resolve" lp_insmod "$R" ||
	lp_bail "cannot load $R: $LP_OUT"
lp_ok "$R's patching transition completes" lp_wait_transition "$R"
lp_check_log "kernel log of enabling $R: no relocation error" "\
livepatch: enabling patch '$R'
D livepatch: '$R': initializing patching transition
livepatch: '$R': starting patching transition
D livepatch: '$R': completing patching transition
livepatch: '$R': patching complete"
lp_eq "the new function reaches the static variable and function and cmdline_proc_show()" \
	"$(patched "$SECRET")" "$(lp_read "$PLAIN")"
lp_eq "$R/$RT/patched reads 1" 1 "$(lp_attr "$R" "$RT/patched")"
lp_eq "/proc/cmdline itself is not patched" "$CMDLINE" "$(lp_read /proc/cmdline)"

# --- the target goes and comes back: relocations cleared and redone ---
for ((i = 1; i <= RELOADS; i++)); do
	d="reload $i/$RELOADS"
	s=$((SECRET + i))
	lp_mark_log
	lp_ok "$d: rmmod $RT under $R" lp_rmmod "$RT" || lp_bail "cannot remove $RT: $LP_OUT"
	lp_eq "$d: $R/$RT/patched reads 0" 0 "$(lp_attr "$R" "$RT/patched")"
	lp_ok "$d: load $RT secret=$s" lp_insmod "$RT" "secret=$s" ||
		lp_bail "cannot load $RT: $LP_OUT"
	lp_check_log "$d: kernel log: reverted, applied again, no relocation error" "\
livepatch: reverting patch '$R' on unloading module '$RT'
livepatch: applying patch '$R' to loading module '$RT'"
	lp_eq "$d: the new function reaches the new instance of $RT" \
		"$(patched "$s")" "$(lp_read "$PLAIN")"
	no_arch_complaint "$d: relocations cleared and written again cleanly"
done

# --- the patch first, then the target ---
lp_ok "disable and remove $R" lp_disable_unload "$R"
lp_eq "$PLAIN runs the original" "$ORIG" "$(lp_read "$PLAIN")"
lp_ok "rmmod $RT" lp_rmmod "$RT"
lp_ok "load $R while $RT is absent" lp_insmod "$R" || lp_bail "cannot load $R: $LP_OUT"
lp_ok "$R's patching transition completes" lp_wait_transition "$R"
lp_mark_log
lp_ok "load $RT secret=$SECRET under $R" lp_insmod "$RT" "secret=$SECRET" ||
	lp_bail "cannot load $RT: $LP_OUT"
lp_check_log "kernel log of $RT coming: no relocation error" "\
livepatch: applying patch '$R' to loading module '$RT'"
lp_eq "the new function works in a target loaded after it" \
	"$(patched "$SECRET")" "$(lp_read "$PLAIN")"
no_arch_complaint "relocations written cleanly into a live patch module"
lp_ok "disable and remove $R" lp_disable_unload "$R"

# --- malformed relocations: refused, nothing left ---
# bad MOD WORD...: MOD fails to load with EINVAL and a core message with
# every WORD; no trace of it stays and the target is not patched.
bad() {
	local m="$1"
	shift
	lp_mark_log
	if lp_insmod "$m"; then
		lp_fail "$m: refused" "insmod succeeded"
		lp_disable_unload "$m"
	else
		lp_match "$m: refused with EINVAL" "Invalid (parameters|argument)" "$LP_OUT"
	fi
	check_klp_line "$m: the core names $*" "$@"
	lp_ok "$m: not loaded, no sysfs directory" gone "$m"
	lp_eq "$m: $PLAIN runs the original" "$ORIG" "$(lp_read "$PLAIN")"
	no_arch_complaint "$m: no relocation was undone that was never done"
}

bad test_lp_reloc_bad_sec "'.klp.rela..text'"
bad test_lp_reloc_bad_shn "'.klp.sym.vmlinux.cmdline_proc_show,0'"
bad test_lp_reloc_bad_sym "'test_lp_reloc_no_such_func'"
bad test_lp_reloc_bad_pos "'test_lp_reloc_secret_show'" "'$RT'"
bad test_lp_reloc_bad_obj "'.klp.sym.vmlinux.cmdline_proc_show,0'" "'$RT'"

# --- a bad position found only when the target loads refuses the target ---
P=test_lp_reloc_bad_pos
lp_ok "rmmod $RT" lp_rmmod "$RT"
lp_ok "$P loads while $RT is absent" lp_insmod "$P" || lp_bail "cannot load $P: $LP_OUT"
lp_ok "$P's patching transition completes" lp_wait_transition "$P"
lp_mark_log
lp_not "loading $RT under $P fails" lp_insmod "$RT"
lp_log_has "the core says it refused $RT" \
	"livepatch: patch '$P' failed for module '$RT', refusing to load module '$RT'"
no_arch_complaint "no relocation was undone that was never done"
lp_eq "$P stays enabled and not in transition" "1 0" \
	"$(lp_attr "$P" enabled) $(lp_attr "$P" transition)"
lp_ok "disable and remove $P" lp_disable_unload "$P"

# --- after all that, the good patch still works ---
lp_ok "load $RT secret=$SECRET" lp_insmod "$RT" "secret=$SECRET"
lp_ok "load $R" lp_insmod "$R"
lp_ok "$R's patching transition completes" lp_wait_transition "$R"
lp_eq "the new function works" "$(patched "$SECRET")" "$(lp_read "$PLAIN")"

lp_end
