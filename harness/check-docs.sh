#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-docs.sh [flavour] [variant]
#
# Host-side check of Documentation/livepatch/ (picked up by test.sh; the
# arguments are accepted and ignored, the pages do not depend on them):
#
#   - every page starts with the SPDX line and is listed in index.rst;
#   - every page renders with docutils' rst2html without a single warning.
#     Sphinx-only directives (kernel-doc, toctree, only) are unknown to
#     plain docutils, so their blocks are cut out first;
#   - every kernel-doc directive resolves: the file exists and each name
#     it lists has a kernel-doc comment (needs scripts/kernel-doc from the
#     unpacked tree, build/base, or KLP_KERNEL_DOC);
#   - every example script is executable and shellcheck-clean, and
#     examples/NAME.sh shows exactly the commands of NAME.rst's sessions
#     (the "    # command" lines of its literal blocks), in the same order.
#     The selftest test-docs.sh runs the scripts and compares what they
#     print with the pages.
#
# Prints one line per problem and exits 1 if there was any.

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

DOCS="$KLP_ROOT/Documentation/livepatch"
KERNEL_DOC="${KLP_KERNEL_DOC:-$KLP_BASE/scripts/kernel-doc}"
problems=0

problem() {
	printf 'FAIL %s\n' "$*"
	problems=$((problems + 1))
}

# strip_sphinx FILE: the page with the blocks of Sphinx-only directives
# blanked out: the directive line, then every blank or indented line up
# to the next line that starts in column 1.  Blanking rather than
# deleting keeps docutils' line numbers those of the page.
strip_sphinx() {
	awk '
		/^\.\. (kernel-doc|toctree|only)::/ { skip = 1; print ""; next }
		skip && (/^[ \t]/ || /^$/) { print ""; next }
		{ skip = 0; print }
	' "$1"
}

[[ -d "$DOCS" ]] || die "no $DOCS"
command -v rst2html >/dev/null || die "rst2html not found; run harness/deps.sh (python3-docutils)"

step "docs: SPDX line and index"
for page in "$DOCS"/*.rst; do
	name=$(basename "$page" .rst)
	[[ "$(head -n1 "$page")" == ".. SPDX-License-Identifier: GPL-2.0" ]] ||
		problem "$name.rst: line 1 is not the SPDX line"
	[[ "$name" == index ]] && continue
	grep -qx "   $name" "$DOCS/index.rst" ||
		problem "$name.rst: not listed in the toctree of index.rst"
done

step "docs: rst2html --halt=warning"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for page in "$DOCS"/*.rst; do
	name=$(basename "$page")
	strip_sphinx "$page" >"$tmp/$name"
	if rst2html --halt=warning --report=warning --no-raw --no-file-insertion \
		"$tmp/$name" >/dev/null 2>"$tmp/$name.err"; then
		info "$name: clean"
	else
		problem "$name: docutils reports:"
		sed "s|$tmp/||; s/^/    /" "$tmp/$name.err"
	fi
done

step "docs: kernel-doc directives"
if [[ -x "$KERNEL_DOC" ]]; then
	# Each directive: ".. kernel-doc:: FILE", then one option line.
	while read -r page file option names; do
		if [[ ! -f "$KLP_ROOT/$file" ]]; then
			problem "$page: kernel-doc source $file is not in this repo"
			continue
		fi
		case "$option" in
		:functions:|:identifiers:)
			for n in $names; do
				"$KERNEL_DOC" -rst -function "$n" "$KLP_ROOT/$file" 2>/dev/null |
					grep -q "^\.\. c:[a-z]*:: .*\b$n\b" ||
					problem "$page: $file has no kernel-doc for $n"
			done ;;
		:export:)
			"$KERNEL_DOC" -rst -export "$KLP_ROOT/$file" 2>/dev/null |
				grep -q '^\.\. c:function::' ||
				problem "$page: $file exports nothing documented" ;;
		:doc:)
			[[ -n "$("$KERNEL_DOC" -rst -function "$names" "$KLP_ROOT/$file" 2>/dev/null)" ]] ||
				problem "$page: $file has no DOC: section '$names'" ;;
		esac
	done < <(awk '
		FNR == 1 { page = FILENAME; sub(".*/", "", page) }
		/^\.\. kernel-doc::/ { file = $3; getline; opt = $1; $1 = "";
				       sub(/^ +/, ""); print page, file, opt, $0 }
	' "$DOCS"/*.rst)
	info "kernel-doc directives checked with $KERNEL_DOC"
else
	info "no $KERNEL_DOC (unpack the tree with harness/build.sh first); skipped"
fi

step "docs: example scripts"
for script in "$DOCS"/examples/*.sh; do
	[[ -e "$script" ]] || continue
	name="examples/$(basename "$script")"
	[[ "$name" == examples/lib.sh || -x "$script" ]] || problem "$name: not executable"
	if command -v shellcheck >/dev/null; then
		(cd "$DOCS/examples" && shellcheck -x "$(basename "$script")") ||
			problem "$name: shellcheck"
	fi
done

# shown_commands SCRIPT: the first argument of every run, expect,
# expect_set, expect_match and expect_error call of an example script,
# one per line: the command it shows as "# command" and runs.
shown_commands() {
	python3 - "$1" <<'PY'
import re, shlex, sys
calls = ("run", "expect", "expect_set", "expect_match", "expect_error")
text = open(sys.argv[1]).read().replace("\\\n", "")
lines = text.split("\n")
i = 0
while i < len(lines):
    m = re.match(r"^\s*(%s)\s+(.*)$" % "|".join(calls), lines[i])
    i += 1
    if not m:
        continue
    call = m.group(2)
    # An argument may span lines: read on until the quotes close.
    while True:
        try:
            args = shlex.split(call, comments=True)
            break
        except ValueError:
            if i >= len(lines):
                sys.exit("%s: unterminated quote in %s call" % (sys.argv[1], m.group(1)))
            call += "\n" + lines[i]
            i += 1
    print(args[0] if args else "")
PY
}

# page_commands PAGE: the commands of a page's shell sessions, the lines
# of its literal blocks that start with "# ", without the prompt.
page_commands() {
	sed -n 's/^    # //p' "$1"
}

step "docs: sessions of the pages against examples/*.sh"
for script in "$DOCS"/examples/*.sh; do
	name=$(basename "$script" .sh)
	[[ -e "$script" && "$name" != lib ]] || continue
	page="$DOCS/$name.rst"
	if [[ ! -f "$page" ]]; then
		problem "examples/$name.sh: no page $name.rst"
		continue
	fi
	grep -q "Documentation/livepatch/examples/$name.sh" "$page" ||
		problem "$name.rst: does not name examples/$name.sh"
	if ! shown_commands "$script" >"$tmp/$name.sh.cmds"; then
		problem "examples/$name.sh: cannot list its commands"
		continue
	fi
	page_commands "$page" >"$tmp/$name.rst.cmds"
	if [[ ! -s "$tmp/$name.rst.cmds" ]]; then
		problem "$name.rst: no session (no '    # command' line) for examples/$name.sh"
	elif diff -u --label "$name.rst" --label "examples/$name.sh" \
		"$tmp/$name.rst.cmds" "$tmp/$name.sh.cmds" >"$tmp/$name.diff"; then
		info "$name.rst: $(wc -l <"$tmp/$name.rst.cmds") commands, as in examples/$name.sh"
	else
		problem "$name.rst and examples/$name.sh show different commands:"
		sed '1,2d; s/^/    /' "$tmp/$name.diff"
	fi
done

if ((problems)); then
	printf 'docs: %d problem(s)\n' "$problems"
	exit 1
fi
step "docs: all clean"
