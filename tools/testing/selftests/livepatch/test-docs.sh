#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The shell sessions of Documentation/livepatch still hold: every script
# of its examples/ directory replays the session of the page it is named
# after, and must exit 0, run the very commands the page shows, in the
# same order, print every output line the page shows for each of them,
# and leave no patch, sample module, trace event or debug message on.
#
# The pages are looked for in LP_DOCS (set by the harness; a missing
# directory then fails the test), else in the kernel tree this script is
# part of.  Outputs are compared after dropping timestamps and the task
# column of trace lines, turning every number and hashed pointer into N
# (except on a line that is just a number, such as a sysfs value), the
# comm and path of a task switch event into placeholders, and squeezing
# blanks; "..." in a page's output matches anything.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

SAMPLE_MODS='livepatch_sample livepatch_callbacks_demo livepatch_callbacks_busymod
	livepatch_callbacks_mod livepatch_shadow_fix1 livepatch_shadow_fix2 livepatch_shadow_mod'
CHECKS_PER_EXAMPLE=4
# Each example bounds its own waits; this bounds the example as a whole.
EXAMPLE_TIMEOUT=${LP_DOCS_TIMEOUT:-300}

if [[ -n "${LP_DOCS:-}" ]]; then
	DOCS=$LP_DOCS
	[[ -d "$DOCS/examples" ]] || {
		ktap_print_header
		ktap_exit_fail_msg "LP_DOCS=$LP_DOCS has no examples/ directory"
	}
else
	DOCS=$LP_DIR/../../../../Documentation/livepatch
	[[ -d "$DOCS/examples" ]] ||
		lp_skip_all "no Documentation/livepatch/examples next to this script; set LP_DOCS"
fi

examples=()
for f in "$DOCS"/examples/*.sh; do
	[[ -f "$f" && "${f##*/}" != lib.sh ]] && examples+=("$f")
done

[[ $(id -u) -eq 0 ]] || lp_skip_all "must run as root"
[[ -d "$LP_SYSFS" ]] || lp_skip_all "no $LP_SYSFS: kernel without CONFIG_LIVEPATCH"
ktap_print_header
((${#examples[@]})) || ktap_exit_fail_msg "no example scripts in $DOCS/examples"
ktap_set_plan $((${#examples[@]} * CHECKS_PER_EXAMPLE))
trap 'docs_cleanup; lp_cleanup' EXIT
trap 'exit 130' INT TERM
tmp=$(mktemp -d)

# --- transcripts -------------------------------------------------------------
#
# A transcript is one line per command ("C<tab>command") followed by one
# line per output line of it ("O<tab>normalized line").

# The comm and path of a task switch event depend on which task switched.
SWITCH_RE='^(klp_task_switch: .*) comm=.* (direction=[a-z]+) path=[a-z_]+$'

normalize() {
	sed -E -e 's/^[[:space:]]+//; s/[[:space:]]+$//' \
		-e 's/^\[ *[0-9]+\.[0-9]+\] //' \
		-e 's/^.+-[0-9]+ +\[[0-9]+\] [^ ]+ +[0-9]+\.[0-9]+: //' \
		-e 's/^.*: (echo: write error: )/\1/' \
		-e "s/$SWITCH_RE/\\1 comm=COMM \\2 path=PATH/" \
		-e '/^[0-9]+$/!s/\b[0-9a-f]*[0-9][0-9a-f]*\b/N/g' \
		-e 's/[[:space:]]+/ /g'
}

# page_transcript PAGE: the sessions of a .rst page.  A command is a
# "    # command" line; its output the indented lines right after it, up
# to the next command, blank line or unindented line.
page_transcript() {
	local line in_cmd=0
	while IFS= read -r line; do
		if [[ "$line" == "    # "* ]]; then
			printf 'C\t%s\n' "${line#    # }"
			in_cmd=1
		elif ((in_cmd)) && [[ "$line" == "    "* && -n "${line// /}" ]]; then
			printf 'O\t%s\n' "$(normalize <<<"$line")"
		else
			in_cmd=0
		fi
	done <"$1"
}

# run_transcript OUTPUT: the same from what an example printed: "# command"
# lines, the output after each, without the script's own notes.
run_transcript() {
	local line in_cmd=0
	while IFS= read -r line; do
		case "$line" in
		"# "*)
			printf 'C\t%s\n' "${line#\# }"
			in_cmd=1 ;;
		"    ok: "*|"PASS "*|"FAIL "*|"SKIP "*|"cleanup: "*) ;;
		*)
			((in_cmd)) && printf 'O\t%s\n' "$(normalize <<<"$line")" ;;
		esac
	done <"$1"
}

# missing_outputs PAGE_TRANSCRIPT RUN_TRANSCRIPT: print every output line
# of the page that the run did not print for the same command (the n-th
# command of one is the n-th of the other).
missing_outputs() {
	local -a want=() got=()
	local n=0 kind text
	while IFS=$'\t' read -r kind text; do
		if [[ "$kind" == C ]]; then
			n=$((n + 1))
			want[n]=""
		else
			want[n]+="$text"$'\n'
		fi
	done <"$1"
	n=0
	while IFS=$'\t' read -r kind text; do
		if [[ "$kind" == C ]]; then
			n=$((n + 1))
			got[n]=""
		else
			got[n]+="$text"$'\n'
		fi
	done <"$2"
	local k w g pat found cmds
	mapfile -t cmds < <(sed -n 's/^C\t//p' "$1")
	for ((k = 1; k <= ${#cmds[@]}; k++)); do
		while IFS= read -r w; do
			[[ -n "$w" ]] || continue
			# A glob of the line: escape it, then "..." matches anything.
			pat=${w//\\/\\\\}
			pat=${pat//\*/\\*}
			pat=${pat//\?/\\?}
			pat=${pat//\[/\\[}
			pat=${pat//.../*}
			found=0
			while IFS= read -r g; do
				# shellcheck disable=SC2053 # $pat is a glob on purpose
				if [[ "$g" == $pat ]]; then
					found=1
					break
				fi
			done <<<"${got[k]:-}"
			((found)) || printf '"%s" after "%s"\n' "$w" "${cmds[k - 1]}"
		done <<<"${want[k]:-}"
	done
}

# --- the state an example must leave ----------------------------------------

loaded_samples() {
	local m
	for m in $SAMPLE_MODS; do
		[[ -d "/sys/module/$m" ]] && printf '%s ' "$m"
	done
	return 0
}

# leftovers: what an example left switched on or loaded, empty if nothing.
leftovers() {
	local patches mods ev=$LP_TRACING/events/livepatch/enable
	patches=$(ls "$LP_SYSFS")
	[[ -z "$patches" ]] || printf 'patches: %s; ' "$(tr '\n' ' ' <<<"$patches")"
	mods=$(loaded_samples)
	[[ -z "$mods" ]] || printf 'sample modules: %s; ' "$mods"
	if [[ -r "$ev" && "$(cat "$ev")" != 0 ]]; then
		printf 'livepatch trace events: %s; ' "$(cat "$ev")"
	fi
	if [[ -r "$LP_DYNDBG" ]] &&
	   grep -E '\bklp_try_switch_task\b.* =[a-z]*p' "$LP_DYNDBG" >/dev/null; then
		printf 'pr_debug of klp_try_switch_task on; '
	fi
	return 0
}

# docs_cleanup: put back what an example left, so that the next one runs.
docs_cleanup() {
	local p m
	echo 0 >"$LP_TRACING/events/livepatch/enable" 2>/dev/null
	[[ -w "$LP_DYNDBG" ]] && echo 'func klp_try_switch_task -p' >"$LP_DYNDBG" 2>/dev/null
	for p in "$LP_SYSFS"/livepatch_*; do
		[[ -d "$p" ]] || continue
		m=${p##*/}
		lp_wait_transition "$m"
		[[ "$(lp_attr "$m" enabled)" == 1 ]] && lp_write "$LP_SYSFS/$m/enabled" 0
		lp_wait_gone "$m" || lp_diag "cleanup: $m still in $LP_SYSFS"
	done
	for m in $SAMPLE_MODS; do
		[[ -d "/sys/module/$m" ]] || continue
		lp_poll 60 rmmod "$m" 2>/dev/null || lp_diag "cleanup: cannot remove $m"
	done
	return 0
}

# --- the examples ----------------------------------------------------------

for script in "${examples[@]}"; do
	name=$(basename "$script" .sh)
	page=$DOCS/$name.rst
	out=$tmp/$name.out
	before=$(leftovers)
	if [[ -n "$before" ]]; then
		lp_diag "before $name.sh: $before cleaning up"
		docs_cleanup
	fi

	rc=0
	timeout -k 10 "$EXAMPLE_TIMEOUT" "$script" >"$out" 2>&1 </dev/null || rc=$?
	lp_diag "$name.sh exited with $rc; it printed:"
	lp_diag "$(cat "$out")"
	if ((rc == 4)); then
		for check in "exits 0" "shows the commands of $name.rst" \
			     "prints the outputs of $name.rst" "leaves nothing behind"; do
			lp_skip "$name.sh: $check" "$(grep '^SKIP ' "$out" || echo "exit status 4")"
		done
		continue
	fi

	lp_eq "$name.sh: exits 0 and reports PASS $name" "0 PASS $name" \
		"$rc $(tail -n1 "$out")"

	if [[ -f "$page" ]]; then
		page_transcript "$page" >"$tmp/$name.page"
		run_transcript "$out" >"$tmp/$name.run"
		grep '^C' "$tmp/$name.page" >"$tmp/$name.page-cmds"
		grep '^C' "$tmp/$name.run" >"$tmp/$name.run-cmds"
		if [[ -s "$tmp/$name.page-cmds" ]] &&
		   diff -u --label "$name.rst" --label "$name.sh" "$tmp/$name.page-cmds" \
			"$tmp/$name.run-cmds" >"$tmp/$name.diff"; then
			lp_pass "$name.sh: shows the commands of $name.rst"
			missing=$(missing_outputs "$tmp/$name.page" "$tmp/$name.run")
			if [[ -z "$missing" ]]; then
				lp_pass "$name.sh: prints the outputs of $name.rst"
			else
				lp_fail "$name.sh: prints the outputs of $name.rst" \
					"lines of the page that the run did not print" \
					"(normalized as the header says):" "$missing"
			fi
		elif [[ ! -s "$tmp/$name.page-cmds" ]]; then
			lp_fail "$name.sh: shows the commands of $name.rst" \
				"$name.rst shows no session ('    # command' lines)"
			lp_fail "$name.sh: prints the outputs of $name.rst" \
				"not compared: no session in the page"
		else
			lp_fail "$name.sh: shows the commands of $name.rst" \
				"$(sed 's/^\([-+ ]\)C\t/\1/' "$tmp/$name.diff")"
			lp_fail "$name.sh: prints the outputs of $name.rst" \
				"not compared: the commands differ"
		fi
	else
		lp_fail "$name.sh: shows the commands of $name.rst" "no $page"
		lp_fail "$name.sh: prints the outputs of $name.rst" "no $page"
	fi

	after=$(leftovers)
	if [[ -z "$after" ]]; then
		lp_pass "$name.sh: leaves nothing behind"
	else
		lp_fail "$name.sh: leaves nothing behind" "$after"
		docs_cleanup
	fi
done

rm -rf "$tmp"
lp_end
