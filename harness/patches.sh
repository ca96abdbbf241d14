#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# patches.sh [--rev REV | --worktree] [--out DIR] [--build-each] [--no-checkpatch]
#                                                           ("make patches")
#
# Writes our files as of commit REV (default HEAD; uncommitted changes are
# not part of a series) as a patch series against pristine 6.12:
# build/patches/0000-cover-letter.patch, 0001-*.patch ... and "series".
# --worktree takes our files from the work tree instead (tracked plus
# untracked, as build.sh does), to check changes before they are
# committed; --out DIR writes the patches to DIR, with the scratch
# repository in DIR.git and the checkpatch reports in build/logs/
# named after DIR (check-checkpatch.sh uses both).
#
# build/series/ is a scratch git repository whose first commit ("base")
# holds the pristine versions of only the paths the series touches (our
# paths of lib.sh, and MAINTAINERS). Each entry of the series below then
# takes its paths from REV in one commit, and "git format-patch
# --cover-letter" writes the series. The LIVE PATCHING entry grows with the
# series: the first commit replaces upstream's entry with
# MAINTAINERS.livepatch restricted to the F: lines that cover what the
# series has changed so far, and each later commit adds the F: lines of
# the paths it brings in, so that every patch which adds or deletes files
# also updates MAINTAINERS; after the last commit the entry is exactly
# MAINTAINERS.livepatch, spliced in as build.sh does. Then:
#
#   - the last commit must hold exactly REV's files (same blobs and modes);
#   - "git am" of the patches onto "base" must give the same tree;
#   - scripts/checkpatch.pl --strict runs on each patch, from build/base
#     with --root; the verdict is per patch, full output in build/logs/.
#     Any ERROR or WARNING fails, "does MAINTAINERS need updating?" too;
#   - scripts/get_maintainer.pl, run on each patch with the MAINTAINERS
#     the series ends with, must name the LIVE PATCHING entry and every
#     M:, R: and L: line of MAINTAINERS.livepatch;
#   - with --build-each: for i in 1..N, pristine 6.12 plus patches 1..i
#     must build (bzImage, modules, and the selftest modules against that
#     kernel) with the configuration of build/obj-ours. Incremental, in
#     build/series-tree and build/obj-series, under the build lock; the
#     first patch costs a full kernel build, the others a minute or two.
#
# Exits non-zero if any of that fails; the patches are written anyway.

# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

REV=HEAD BUILD_EACH=0 CHECKPATCH=1 WORKTREE=0 OUT="$KLP_BUILD/patches"
while (($#)); do
	case "$1" in
	--rev) REV="$2"; shift ;;
	--worktree) WORKTREE=1 ;;
	--out) OUT=$(realpath -m "$2"); shift ;;
	--build-each) BUILD_EACH=1 ;;
	--no-checkpatch) CHECKPATCH=0 ;;
	-h|--help) sed -n '3,40p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done

if [[ "$OUT" == "$KLP_BUILD/patches" ]]; then
	SERIES="$KLP_BUILD/series"
else
	SERIES="$OUT.git"
fi
# Reports: build/logs/patches-checkpatch-0001.txt, or <DIR>-checkpatch-...
REPORTS="$KLP_LOGS/$(basename "$OUT")"
FRAG="$KLP_ROOT/MAINTAINERS.livepatch"
# The changes that --build-each last built, patch by patch, successfully.
BUILT_STAMP="$KLP_BUILD/series-built.sha256"
# Everything a patch of the series may touch.
TOUCHED=("${KLP_OUR_DIRS[@]}" "${KLP_OUR_FILES[@]}" MAINTAINERS)
failures=()

sgit() { git -C "$SERIES" "$@"; }
rgit() { git -C "$KLP_ROOT" "$@"; }

# --- the series: paths and commit messages ---------------------------------
#
# One entry per patch, in order: the paths it takes from REV and a
# function printing its message (subject, blank line, body; the
# Signed-off-by: is added). Every one of our paths must be in exactly one
# entry; MAINTAINERS is in none, every patch updates it (add_entry).

SERIES_PATHS=(
	"include/linux/livepatch.h include/linux/livepatch_sched.h arch/x86/include/asm/livepatch.h"
	"kernel/livepatch"
	"samples/livepatch"
	"tools/testing/selftests/livepatch"
	"Documentation/livepatch Documentation/ABI/testing/sysfs-kernel-livepatch"
)

msg_1() {
	cat <<'EOF'
livepatch: document the interface in the public headers

The next patch replaces the live patching core, but livepatch modules
built for 6.12, and the scheduler, fork, entry and module loader code
that calls into the core, must build and work unchanged. The headers
are that contract, and they do not say which fields a patch author
sets and which belong to the core, nor what livepatch_sched.h is for.
x86 has no asm/livepatch.h, so the core has nowhere to take the one
architecture-specific step, the redirection of a call, from.

Rewrite the comments of livepatch.h and livepatch_sched.h as kernel-doc
that marks every field as set by the author or owned by the core and
says in which context each hook runs. The declarations stay as they
are: every structure keeps its members, their types and their order,
and the iterator macros only gain parentheses around their arguments.
Add arch/x86/include/asm/livepatch.h with klp_arch_set_pc(), which
points the ftrace-saved instruction pointer at the new function; it
refuses to build without HAVE_DYNAMIC_FTRACE_WITH_ARGS.

Replace the LIVE PATCHING entry of MAINTAINERS with the one of the new
core: its maintainers (a placeholder until the series has a home), no
reviewer and no tree, and K: \bklp_ so that changes elsewhere in the
kernel that call into the core, through klp_ functions such as the
scheduler's and the module loader's, reach the list. The entry covers
what the series has written so far, here the three headers, and each
later patch adds the paths it rewrites; until then 6.12's
kernel/livepatch/, samples, selftests and documentation are in no
entry. kernel/module/livepatch.c and the powerpc asm/livepatch.h, which
the series neither touches nor maintains, leave the entry.

With only this patch applied, 6.12's own core, the livepatch samples
and the 6.12 selftest modules build unchanged.
EOF
}

msg_2() {
	cat <<'EOF'
livepatch: replace the core with a clean-room implementation

On 6.12 a patching transition is re-checked once a second, so even on
an idle machine a patch stays "in transition", with old and new code
both in use, for about a second. Tasks that hold a transition up are
nudged only after 15 seconds, and which tasks they are is visible only
through dynamic debug.

Replace kernel/livepatch/ with a core written from the 6.12 interface
alone: the structures and calls of include/linux/livepatch.h, the sysfs
ABI, the hooks that sched, fork, entry and the module loader call, and
the kernel log lines that tools and the 6.12 selftests match.

- patch.c: one ftrace_ops per patched function and a newest-first stack
  of klp_func entries, read by the handler with preemption disabled;
  the handler calls only notrace code, so it needs no recursion lock.
- transition.c: the per-task consistency model. The core counts the
  tasks that still have to switch, and whichever path switches the last
  one queues the completion at once. A rescan backing off from 20 ms to
  1 s remains as a fallback, stragglers are nudged after 500 ms, and a
  transition held up for 15 s names its blockers in the log.
- core.c: validation with a message for each refusal, kallsyms lookup
  with old_sympos, klp relocations, the sysfs tree (with stack_order and
  per-function active and transition files), enable, disable, reverse,
  force, atomic replace with nop entries, module coming and going.
- shadow.c: shadow variables in an RCU hash table with a lock of their
  own; they never take klp_mutex.
- state.c: klp_state lookup and the compatibility check at enable.
- debugfs.c, trace.h: /sys/kernel/debug/livepatch/transition lists what
  a running transition waits for, and "livepatch" trace events record
  patches, transitions and each task switch with its path.

Add kernel/livepatch/ to the LIVE PATCHING entry.

Documentation/livepatch/differences.rst, later in this series, lists
every difference visible from user space. On an idle 2-vCPU QEMU (TCG)
guest, livepatch-sample reaches "patching complete" about 60 ms after
"enabling patch".
EOF
}

msg_3() {
	cat <<'EOF'
samples/livepatch: rewrite the samples, each headed by how to run it

The samples are where a patch author starts, and they have to run on
the new core. Their comments say what each one patches but not what to
type or what to expect, and nothing checks that they still behave as
described.

Rewrite the seven sample modules, keeping their names and parameters:
livepatch-sample (cmdline_proc_show()), the callbacks demo with its two
target modules, and the leaky shadow module with its two fixes, the
second of them a cumulative patch that replaces the first; the fix both
carry lives in livepatch-shadow-fix.h. Each source starts with the
commands that run it and what they show. demo-sample.sh,
demo-callbacks.sh and demo-shadow.sh, with demo-lib.sh, replay those
sessions as root and exit non-zero when a step does not behave as
described. Add samples/livepatch/ to the LIVE PATCHING entry.
EOF
}

msg_4() {
	cat <<'EOF'
selftests/livepatch: replace the tests with a behaviour-level suite

The 6.12 scripts compare the kernel log with 6.12's wording line by
line, so a second implementation fails them on phrasing, and several
behaviours are not reached at all: bad input to the sysfs files,
malformed patches, reversing or forcing a transition that a task holds
up, and removing a patch from the middle of a stack.

Replace them with a suite built on what user space can observe.
functions.sh reports through ktap_helpers.sh, one described line per
check, polls sysfs with a time limit, marks the kernel log so that each
check sees only its own lines, and removes on exit whatever a failed
test left loaded. test_modules/ holds the target modules, which expose
patchable functions under /proc, and the patches the scripts load.
Add tools/testing/selftests/livepatch/ to the LIVE PATCHING entry.
EOF
	echo
	echo "The scripts:"
	echo
	local f
	for f in "$SERIES"/tools/testing/selftests/livepatch/test-*.sh; do
		[[ -e "$f" ]] || continue
		printf '%s: %s\n' "${f##*/}" "$(script_summary "$f")"
	done | bullets
}

msg_5() {
	cat <<'EOF'
docs: livepatch: rewrite the documentation for the new core

The pages under Documentation/livepatch/ describe 6.12's core, and the
new one differs from it where users look: when a transition ends, when
stragglers are nudged, what "force" accepts, which sysfs files exist,
and the debugfs view and trace events, which 6.12 does not have.

Replace them with pages written from the new core, task first.
livepatch.rst opens with a five-command session on livepatch-sample.ko,
then covers the patch structures, the lifecycle, redirection, the
consistency model and its limits. sysfs.rst is the administrator's
guide: reading the tree, finding what blocks a transition, reversing,
forcing, and what forcing pins. callbacks, cumulative-patches,
shadow-vars, system-state, module-elf-format, reliable-stacktrace and
observability cover the rest; differences.rst lists every deliberate
difference from 6.12, and api.rst pulls in the kernel-doc of the
headers and the core. The sysfs ABI file describes the new files.

Every shell session shown in the pages is also a script under
examples/ that replays the commands as shown and checks their output.
Add Documentation/livepatch/ and the ABI file to the LIVE PATCHING
entry, which now covers every path of the new core.
EOF
}


# script_summary FILE: the first sentences (6 words or more) of the
# comment block at the top of a script, after the SPDX line.
script_summary() {
	awk 'NR > 2 && /^#( |$)/ { sub(/^# ?/, ""); if ($0 == "" && t != "") exit; t = t " " $0; next }
	     NR > 2 { exit }
	     END { print t }' "$1" |
	python3 -c '
import re, sys
text = " ".join(sys.stdin.read().split())
out = []
for s in re.split(r"(?<![ (][0-9]\.)(?<=\S\.)\s+", text):
    out.append(s)
    if len(" ".join(out).split()) >= 6:
        break
print(" ".join(out))'
}

# bullets: "NAME: TEXT" lines on stdin as "- NAME: TEXT" list items
# wrapped at 72 columns.
bullets() {
	python3 -c '
import sys, textwrap
for line in sys.stdin:
    line = line.strip()
    if line:
        print(textwrap.fill(line, 72, initial_indent="- ", subsequent_indent="  ",
                            break_on_hyphens=False, break_long_words=False))'
}

# --- MAINTAINERS helpers ---------------------------------------------------

# entry_f FILE: the F: patterns of the LIVE PATCHING entry of a
# MAINTAINERS file (or of a fragment that is just the entry).
entry_f() {
	awk '$0 == "LIVE PATCHING" { in_e = 1; next } in_e && /^$/ { exit }
	     in_e && /^F:\t/ { sub(/^F:\t/, ""); print }' "$1"
}

# f_covers PATTERN PATH: whether an F: pattern covers PATH, as
# get_maintainer.pl reads it for our simple patterns (directories with a
# trailing slash, file names, shell globs).
f_covers() {
	local p="$1" f="$2"
	case "$p" in
	*/) [[ "$f" == "$p"* ]] ;;
	*) # shellcheck disable=SC2053
	   [[ "$f" == $p || "$f" == "$p"/* ]] ;;
	esac
}

# covered_by PATTERNS_FILE PATH: print the first pattern covering PATH.
covered_by() {
	local p
	while IFS= read -r p; do
		if f_covers "$p" "$2"; then
			printf '%s\n' "$p"
			return 0
		fi
	done <"$1"
	return 1
}

# maint_set_f FILE PATTERN...: make the PATTERNs, in the order of
# MAINTAINERS.livepatch, the F: lines of the LIVE PATCHING entry of
# MAINTAINERS file FILE.
maint_set_f() {
	local file="$1"; shift
	local merged
	merged=$(entry_f "$FRAG" | grep -Fx -f <(printf '%s\n' "$@") | sed 's/^/F:\t/')
	awk -v merged="$merged" '
		$0 == "LIVE PATCHING" { in_e = 1 }
		in_e && /^$/ { in_e = 0 }
		in_e && /^F:\t/ { if (!done) { print merged; done = 1 }; next }
		{ print }
	' "$file" >"$file.new"
	mv "$file.new" "$file"
}

# --- build/series: base commit and one commit per entry --------------------

commit_env() {
	GIT_AUTHOR_NAME="$NAME" GIT_AUTHOR_EMAIL="$EMAIL" GIT_AUTHOR_DATE="$DATE" \
	GIT_COMMITTER_NAME="$NAME" GIT_COMMITTER_EMAIL="$EMAIL" GIT_COMMITTER_DATE="$DATE" \
		"$@"
}

make_base() {
	step "series: base commit (pristine 6.12, touched paths only) in ${SERIES#"$KLP_ROOT"/}"
	rm -rf "$SERIES"
	mkdir -p "$SERIES"
	sgit init -q
	sgit config user.name "$NAME"
	sgit config user.email "$EMAIL"
	sgit config core.autocrlf false
	local p
	for p in "${TOUCHED[@]}"; do
		[[ -e "$KLP_BASE/$p" ]] || continue
		mkdir -p "$SERIES/$(dirname "$p")"
		cp -a "$KLP_BASE/$p" "$SERIES/$p"
	done
	sgit add -A -f
	commit_env sgit commit -q -m "Linux 6.12 (Debian linux-source-6.12): the paths of the livepatch series"
	sgit tag base
	info "$(sgit ls-files | wc -l) pristine files"
}

# check_series_paths: every path we own is in exactly one entry.
check_series_paths() {
	local p e n ours=("${KLP_OUR_DIRS[@]}" "${KLP_OUR_FILES[@]}")
	for p in "${ours[@]}"; do
		n=0
		for e in "${SERIES_PATHS[@]}"; do
			[[ " $e " == *" $p "* ]] && n=$((n + 1))
		done
		((n == 1)) || die "path $p is in $n entries of SERIES_PATHS (must be 1)"
	done
	for e in "${SERIES_PATHS[@]}"; do
		for p in $e; do
			[[ " ${ours[*]} " == *" $p "* ]] || die "SERIES_PATHS has $p, which is not one of our paths"
		done
	done
}

# maintainers_at K: write the MAINTAINERS of commit K of the series:
# pristine, with the LIVE PATCHING entry replaced by MAINTAINERS.livepatch
# restricted to the F: lines that cover a file the series has changed,
# added or deleted so far (the files staged in build/series). Pristine as
# is while there is none; the whole entry from the last commit on.
maintainers_at() {
	local k="$1" f pat keep=()
	entry_f "$FRAG" >"$TMP/final"
	while IFS= read -r f; do
		[[ "$f" == MAINTAINERS ]] && continue
		if pat=$(covered_by "$TMP/final" "$f"); then
			[[ " ${keep[*]} " == *" $pat "* ]] || keep+=("$pat")
		else
			warn "$f is not covered by any F: line of MAINTAINERS.livepatch"
		fi
	done < <(sgit diff --cached --no-renames --name-only base)
	if ((k < ${#SERIES_PATHS[@]} && ${#keep[@]} == 0)); then
		sgit show base:MAINTAINERS >"$SERIES/MAINTAINERS"
		return
	fi
	maintainers_spliced "$KLP_BASE/MAINTAINERS" >"$SERIES/MAINTAINERS" ||
		die "no LIVE PATCHING entry in build/base/MAINTAINERS"
	((k < ${#SERIES_PATHS[@]})) && maint_set_f "$SERIES/MAINTAINERS" "${keep[@]}"
	return 0
}

# add_entry K: commit entry K of the series.
add_entry() {
	local k="$1" p msg
	for p in ${SERIES_PATHS[k - 1]}; do
		rm -rf "${SERIES:?}/$p"
		if ((WORKTREE)); then
			our_files | { grep -z -E "^$p(/|\$)" || true; } |
				rsync -a --from0 --files-from=- "$KLP_ROOT/" "$SERIES/"
		elif [[ -n "$(rgit ls-tree "$REV_ID" -- "$p")" ]]; then
			rgit archive --format=tar "$REV_ID" -- "$p" | tar -x -C "$SERIES"
		fi
	done
	sgit add -A -f
	maintainers_at "$k"
	sgit add MAINTAINERS
	if sgit diff --cached --quiet; then
		warn "series entry $k (${SERIES_PATHS[k - 1]}) changes nothing; skipped"
		return 0
	fi
	msg=$("msg_$k")
	printf '%s\n\nSigned-off-by: %s <%s>\n' "$msg" "$NAME" "$EMAIL" >"$TMP/msg"
	commit_env sgit commit -q -F "$TMP/msg"
	info "$(sgit log -1 --format=%s): $(sgit diff --shortstat HEAD~1 HEAD)"
}

# worktree_ls_tree: our files in the work tree, as "git ls-tree -r" lists
# them (mode, type, blob, path), sorted the way git sorts paths.
worktree_ls_tree() {
	local f mode
	while IFS= read -r -d '' f; do
		mode=100644
		[[ -x "$KLP_ROOT/$f" ]] && mode=100755
		printf '%s blob %s\t%s\n' "$mode" "$(rgit hash-object -- "$f")" "$f"
	done < <(our_files) | LC_ALL=C sort -t$'\t' -k2
}

# verify_tree: the last commit holds exactly REV's files (or the work
# tree's, with --worktree).
verify_tree() {
	local paths=("${KLP_OUR_DIRS[@]}" "${KLP_OUR_FILES[@]}")
	if ((WORKTREE)); then
		worktree_ls_tree >"$TMP/want.tree"
	else
		rgit ls-tree -r "$REV_ID" -- "${paths[@]}" >"$TMP/want.tree"
	fi
	if diff "$TMP/want.tree" <(sgit ls-tree -r HEAD -- "${paths[@]}") >"$TMP/tree.diff" &&
	   maintainers_spliced "$KLP_BASE/MAINTAINERS" | cmp -s - "$SERIES/MAINTAINERS"; then
		info "the series ends with exactly the files of $REV_SHORT"
	else
		sed 's/^/    /' "$TMP/tree.diff"
		failures+=("the series does not end with the files of $REV_SHORT")
	fi
}

# --- cover letter ----------------------------------------------------------

cover_subject() { echo "livepatch: a clean-room live patching core for 6.12"; }

cover_body() {
	local conf_pass=0 conf_fail=0
	if [[ -n "$RESULTS" ]]; then
		conf_pass=$(grep -c '^PASS conformance/' "$RESULTS" || true)
		conf_fail=$(grep -c '^FAIL conformance/' "$RESULTS" || true)
	fi
	cat <<'EOF'
This series replaces the live patching core of Linux 6.12 with one
written from its interface alone: the structures and calls of
include/linux/livepatch.h, the sysfs ABI, the hooks that sched, fork,
entry and the module loader call, and the log lines that tools and the
6.12 selftests match. Livepatch modules built for 6.12 load and behave
alike.

Where it differs visibly (Documentation/livepatch/differences.rst):

- A transition ends as soon as the last task switches, instead of at
  the next once-a-second check; the rescan remains as a fallback.
- Tasks holding a transition up are nudged after 500 ms instead of
  15 s, and after 15 s the log names them and why they block.
- "force" accepts only 1, and completes the transition before the write
  returns.
- New sysfs files: <patch>/stack_order, and active and transition in
  each function directory; a debugfs view of the running transition
  and "livepatch" trace events.
- klp_enable_patch() refuses more malformed patches, each with a
  message; the ftrace handler takes no recursion lock.

The first patch documents the headers, with no declaration
change, so that 6.12's core still builds on it, and puts the new
LIVE PATCHING entry into MAINTAINERS; the second replaces the core;
samples, selftests and documentation follow, each adding its paths to
the entry.
EOF
	echo
	if [[ "$(cat "$BUILT_STAMP" 2>/dev/null)" == "$(series_hash)" ]]; then
		printf 'Each patch builds on its own (x86_64; checked by harness/patches.sh\n'
		printf -- '--build-each on %s).\n' "$(date -u -r "$BUILT_STAMP" '+%Y-%m-%d')"
	else
		printf 'Each patch is meant to build on its own; harness/patches.sh\n'
		printf -- '--build-each checks it (not run on this version yet).\n'
	fi
	echo
	echo "Testing"
	echo "-------"
	echo
	if [[ -n "$RESULTS" ]]; then
		local pass fail
		pass=$(grep -c '^PASS ' "$RESULTS" || true)
		fail=$(grep -c '^FAIL ' "$RESULTS" || true)
		printf 'The latest "make test" on this machine (%s; our\n' \
			"$(date -u -r "$RESULTS" '+%Y-%m-%d %H:%M UTC')"
		printf 'selftests and the 6.12 suite, unchanged, in a 2-vCPU QEMU guest):\n'
		printf '%s passed, %s failed' "$pass" "$fail"
		if ((conf_pass && !conf_fail)); then
			printf "; all %s scripts of the 6.12 suite pass.\n" "$conf_pass"
		else
			printf '.\n'
		fi
		if ((fail)); then
			echo
			awk '$1 == "FAIL" { d = ""; for (i = 3; i <= NF && $i !~ /^\(see/; i++) d = d " " $i
					    print "  " $1 " " $2 d }' "$RESULTS"
		fi
	else
		echo 'See "make test": our selftests and the 6.12 suite, unchanged.'
	fi
	echo
	echo "Measurements"
	echo "------------"
	echo
	bench_summary
	cat <<'EOF'

Known limits
------------

- Built and tested on x86_64 only, in QEMU; other architectures with
  live patching are not built.
- The 6.12 selftest scripts are replaced by the new suite, not kept
  next to it; the harness still runs them, unchanged, against this
  core as a conformance check.
- The general limits stay as in 6.12: only traceable functions, one
  instruction-pointer-modifying ftrace user per function, no structure
  layout changes, a function a task never leaves blocks every
  transition that changes it, and after "force" the patch module can
  never be removed (Documentation/livepatch/livepatch.rst, "Limits").
EOF
	echo
	if ((WORKTREE)); then
		printf 'Generated by harness/patches.sh from the work tree at commit %s.\n' "${REV_ID:0:12}"
	else
		printf 'Generated by harness/patches.sh from commit %s.\n' "${REV_ID:0:12}"
	fi
}

# bench_summary: the figures of build/bench/results.txt that have both
# medians, one per line; or why there are none.
bench_summary() {
	local res="$KLP_BUILD/bench/results.txt"
	if [[ ! -s "$res" ]]; then
		echo 'See "make bench" (no results on this machine yet).'
		return
	fi
	if grep -q '^QUICK MODE' "$res"; then
		echo 'See "make bench": only a quick run (a plumbing check, not results)'
		echo 'has been made on this machine so far.'
		return
	fi
	printf 'From "make bench" (%s), ours against pristine 6.12\n' \
		"$(date -u -r "$res" '+%Y-%m-%d %H:%M UTC')"
	printf 'with the same configuration and guest: median, and ratio ours/6.12:\n\n'
	python3 - "$res" <<'PY'
import re, sys, textwrap
lines = open(sys.argv[1]).read().splitlines()
# The table: a header line, a line of dashes giving the column widths.
for i, l in enumerate(lines):
    if re.match(r"^\s*-{5,}( +-{3,})+\s*$", l):
        cols = [(m.start(), m.end()) for m in re.finditer(r"-+", l)]
        rows = lines[i + 1:]
        break
else:
    print("  (no table found in results.txt)")
    sys.exit(0)
def cut(l, k):
    a = cols[k][0]
    b = cols[k + 1][0] if k + 1 < len(cols) else len(l)
    return l[a:b].strip()
for l in rows:
    if not l.strip() or l.lstrip().startswith("--"):
        if l.lstrip().startswith("--"):
            print(textwrap.fill(l.strip().lstrip("- ").strip(), 72,
                                initial_indent="  ", subsequent_indent="     "))
        continue
    if len(l) < cols[4][0]:
        continue
    fig, unit, ours, up, ratio = (cut(l, k) for k in range(5))
    verdict = cut(l, 6) if len(cols) > 6 else ""
    if ours == "-" or up == "-":
        continue
    med = lambda x: x.split()[0]
    extra = f" [{verdict}]" if verdict else ""
    print(f"    {fig}: {med(ours)} vs {med(up)} {unit}, {ratio}{extra}")
PY
}

# series_hash: identifies the changes of the series, whatever the messages.
series_hash() {
	local c
	for c in $(sgit rev-list --reverse "base..HEAD"); do
		sgit diff "$c~1" "$c"
	done | sha256sum | cut -d' ' -f1
}

# write_patches: format-patch the series into $OUT, and the series file.
write_patches() {
	rm -rf "$OUT"
	mkdir -p "$OUT"
	sgit config "branch.$BRANCH.description" "$(cover_subject)"$'\n\n'"$(cover_body)"
	sgit format-patch -q --cover-letter --cover-from-description=subject --no-renames --break-rewrites \
		-o "$OUT" "base..$BRANCH"
	mapfile -t PATCHES < <(find "$OUT" -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | sort)
	printf '%s\n' "${PATCHES[@]##*/}" >"$OUT/series"
}

# --- verification ----------------------------------------------------------

verify_am() {
	step "verify: git am of the series onto base"
	sgit checkout -q --detach base
	if commit_env sgit am -q "${PATCHES[@]}" >"$TMP/am.log" 2>&1 &&
	   [[ "$(sgit rev-parse 'HEAD^{tree}')" == "$(sgit rev-parse "$BRANCH^{tree}")" ]]; then
		info "applies cleanly; same tree as the series"
	else
		sed 's/^/    /' "$TMP/am.log"
		sgit am --abort >/dev/null 2>&1 || true
		failures+=("git am of the series")
	fi
	sgit checkout -q "$BRANCH"
}

# checkpatch_run N PATCH: run checkpatch on PATCH into report N.
checkpatch_run() {
	(cd "$(checkpatch_cwd)" && GIT_DIR=/nonexistent "$KLP_BASE/scripts/checkpatch.pl" --strict \
		--root="$KLP_BASE" --show-types "$2") >"$REPORTS-checkpatch-$1.txt" 2>&1 || true
}

# checkpatch_one N PATCH: print the verdict line of report N.
checkpatch_one() {
	local n="$1" patch="$2" report out errors warnings checks
	report="$REPORTS-checkpatch-$n.txt"
	out=$(grep -E '^total: ' "$report" | tail -n1)
	errors=$(sed -E 's/^total: ([0-9]+) errors.*/\1/' <<<"$out")
	warnings=$(sed -E 's/.* ([0-9]+) warnings.*/\1/' <<<"$out")
	checks=$(sed -E 's/.* ([0-9]+) checks.*/\1/' <<<"$out")
	[[ "$errors" =~ ^[0-9]+$ && "$warnings" =~ ^[0-9]+$ ]] || {
		failures+=("checkpatch did not run on $(basename "$patch")")
		return
	}
	printf '    %s: %s errors, %s warnings, %s checks\n' "$(basename "$patch")" "$errors" "$warnings" "$checks"
	# "TYPE: message" then "#N: FILE: path:line:": print "path:line: TYPE: message".
	awk '/^(ERROR|WARNING):/ { msg = $0; next }
	     msg != "" && /^#[0-9]+: FILE: / { f = $3; sub(/:$/, "", f); print "        " f ": " msg; msg = "" }
	     msg != "" && /^$/ { print "        " msg; msg = "" }' "$report"
	if ((errors || warnings)); then
		failures+=("checkpatch: $(basename "$patch"): $errors errors, $warnings warnings")
	fi
}

run_checkpatch() {
	step "verify: checkpatch.pl --strict on each patch (full output: ${REPORTS#"$KLP_ROOT"/}-checkpatch-*.txt)"
	local i=0
	# No report of an earlier, longer series is left behind.
	rm -f "$REPORTS"-checkpatch-*.txt
	# checkpatch.pl takes seconds per patch: run KLP_JOBS at a time.
	for patch in "${PATCHES[@]}"; do
		i=$((i + 1))
		while (($(jobs -rp | wc -l) >= KLP_JOBS)); do
			wait -n || true
		done
		checkpatch_run "$(printf '%04d' "$i")" "$patch" &
	done
	wait
	i=0
	for patch in "${PATCHES[@]}"; do
		checkpatch_one "$(printf '%04d' $((i + 1)))" "$patch"
		i=$((i + 1))
	done
}

# run_get_maintainer: each patch reaches the people and lists of
# MAINTAINERS.livepatch, as get_maintainer.pl finds them with the
# MAINTAINERS the series ends with (what the sender's tree has).
# get_maintainer.pl tries every K: pattern on every line of a patch,
# which takes seconds per thousand lines, so it reads the patch without
# the contents of its hunks: the entries it finds from the file names
# and the messages are a subset of those of the whole patch.
run_get_maintainer() {
	step "verify: get_maintainer.pl on each patch, with the MAINTAINERS of the last patch"
	local patch out sections want=() missing line
	sgit show "$BRANCH:MAINTAINERS" >"$TMP/maintainers.final"
	mapfile -t want < <(sed -nE 's/^[MRL]:\t(.*)$/\1/p' "$FRAG")
	local i=0
	# Still about a second per ten files: run KLP_JOBS at a time.
	for patch in "${PATCHES[@]}"; do
		i=$((i + 1))
		while (($(jobs -rp | wc -l) >= KLP_JOBS)); do
			wait -n || true
		done
		(
			awk '/^diff --git / { diff = 1 }
			     !diff || /^(diff --git |--- |\+\+\+ |@@ |(new|deleted) file mode )/' \
				"$patch" >"$TMP/gm-$i.patch" &&
			cd "$KLP_BASE" && GIT_DIR=/nonexistent perl scripts/get_maintainer.pl \
				--mpath "$TMP/maintainers.final" --no-git --no-git-fallback --no-rolestats \
				--subsystem "$TMP/gm-$i.patch" >"$TMP/gm-$i.out" 2>&1
		) || echo "exit status $?" >"$TMP/gm-$i.failed" &
	done
	wait
	i=0
	for patch in "${PATCHES[@]}"; do
		i=$((i + 1))
		out=$(cat "$TMP/gm-$i.out" 2>/dev/null || true)
		if [[ -e "$TMP/gm-$i.failed" ]]; then
			printf '    %s: get_maintainer.pl failed (%s):\n' "$(basename "$patch")" \
				"$(cat "$TMP/gm-$i.failed")"
			printf '        %s\n' "$out"
			failures+=("get_maintainer.pl on $(basename "$patch")")
			continue
		fi
		missing=()
		grep -qx 'LIVE PATCHING' <<<"$out" || missing+=("the LIVE PATCHING entry")
		for line in "${want[@]}"; do
			grep -qxF -- "$line" <<<"$out" || missing+=("$line")
		done
		sections=$(grep -v '@' <<<"$out" | grep -vx 'THE REST' | paste -sd, - | sed 's/,/, /g')
		if ((${#missing[@]})); then
			printf '    %s: %s; does not name: %s\n' "$(basename "$patch")" "${sections:-no entry}" \
				"$(printf '%s; ' "${missing[@]}")"
			failures+=("get_maintainer.pl: $(basename "$patch") misses the LIVE PATCHING entry")
		else
			printf '    %s: %s\n' "$(basename "$patch")" "$sections"
		fi
	done
}

# --- --build-each ----------------------------------------------------------

TREE="$KLP_BUILD/series-tree"
SOBJ="$KLP_BUILD/obj-series"
SKSFT="$KLP_BUILD/series-ksft"
EACH_LOG="$KLP_LOGS/patches-build-each.log"

# A hard-linked copy of build/base, except for the paths the series
# touches, which are real copies since patch(1) writes them.
series_tree() {
	local p
	if [[ ! -f "$TREE/.klp-series-tree" ]]; then
		info "creating ${TREE#"$KLP_ROOT"/} (hard-linked copy of build/base)"
		rm -rf "$TREE" "$TREE.tmp"
		cp -al "$KLP_BASE" "$TREE.tmp"
		for p in "${TOUCHED[@]}"; do
			rm -rf "${TREE:?}.tmp/$p"
			[[ -e "$KLP_BASE/$p" ]] && cp -a "$KLP_BASE/$p" "$TREE.tmp/$p"
		done
		touch "$TREE.tmp/.klp-series-tree"
		mv "$TREE.tmp" "$TREE"
	fi
	# Back to pristine. Only files whose content differs are rewritten
	# (with a new mtime, so make sees them); the rest keep theirs.
	for p in "${TOUCHED[@]}"; do
		if [[ -d "$KLP_BASE/$p" ]]; then
			mkdir -p "$TREE/$p"
			rsync -rlp --checksum --delete "$KLP_BASE/$p/" "$TREE/$p/"
		elif [[ -f "$KLP_BASE/$p" ]]; then
			rsync -lp --checksum "$KLP_BASE/$p" "$TREE/$p"
		else
			rm -rf "${TREE:?}/$p"
		fi
	done
}

series_config() {
	cp "$REF_CONFIG" "$SOBJ/.config"
	make -s -C "$TREE" O="$SOBJ" olddefconfig >>"$EACH_LOG" 2>&1
	local want
	for want in CONFIG_LIVEPATCH=y CONFIG_SAMPLE_LIVEPATCH=m CONFIG_MODULES=y; do
		grep -qx "$want" "$SOBJ/.config" || { echo "$want missing"; return 1; }
	done
}

build_one() {
	local i="$1" patch="$2" t0=$SECONDS rc=0 nmods warns
	printf '\n===== patch %s: %s\n' "$i" "$(basename "$patch")" >>"$EACH_LOG"
	if ! patch -p1 -s -N --no-backup-if-mismatch -d "$TREE" <"$patch" >>"$EACH_LOG" 2>&1; then
		printf '    %s: does not apply with patch -p1\n' "$(basename "$patch")"
		return 1
	fi
	series_config >>"$EACH_LOG" 2>&1 || { printf '    %s: configuration lacks livepatch\n' "$(basename "$patch")"; return 1; }
	local mark
	mark=$(wc -l <"$EACH_LOG")
	make -C "$TREE" O="$SOBJ" -j"$KLP_JOBS" bzImage modules >>"$EACH_LOG" 2>&1 || rc=$?
	if ((rc == 0)); then
		rm -rf "$SKSFT"
		cp -a "$TREE/tools/testing/selftests/livepatch/test_modules" "$SKSFT"
		make -C "$SOBJ" M="$SKSFT" -j"$KLP_JOBS" modules >>"$EACH_LOG" 2>&1 || rc=$?
	fi
	warns=$(tail -n +"$mark" "$EACH_LOG" | grep -c 'warning:' || true)
	nmods=$(find "$SKSFT" -name '*.ko' 2>/dev/null | wc -l)
	if ((rc)); then
		printf '    %s: BUILD FAILED after %s (see %s)\n' "$(basename "$patch")" "$(elapsed "$t0")" \
			"${EACH_LOG#"$KLP_ROOT"/}"
		tail -n +"$mark" "$EACH_LOG" | grep -E 'error|\*\*\*' | head -n 20 | sed 's/^/        /'
		return 1
	fi
	printf '    %s: bzImage, %s sample modules, %s selftest modules; %s compiler warnings; %s\n' \
		"$(basename "$patch")" "$(find "$SOBJ/samples/livepatch" -name '*.ko' | wc -l)" "$nmods" \
		"$warns" "$(elapsed "$t0")"
}

locked_build_each() {
	local t0=$SECONDS i=0 patch
	step "build each: pristine 6.12 + patches 1..i, for every i (log: ${EACH_LOG#"$KLP_ROOT"/})"
	: >"$EACH_LOG"
	series_tree
	mkdir -p "$SOBJ"
	for patch in "${PATCHES[@]}"; do
		i=$((i + 1))
		if ! build_one "$i" "$patch"; then
			# Runs in with_build_lock's subshell: report through a file.
			echo "build of pristine + patches 1..$i" >"$TMP/each.fail"
			return 0
		fi
	done
	info "every patch builds on its own; $(elapsed "$t0")"
}

# --- main ------------------------------------------------------------------

T0=$SECONDS
((WORKTREE)) && [[ "$REV" != HEAD ]] && die "--worktree and --rev exclude each other"
REV_ID=$(rgit rev-parse --verify "$REV^{commit}") || die "no commit $REV"
REV_SHORT=$(rgit log -1 --format='%h ("%s")' "$REV_ID")
((WORKTREE)) && REV_SHORT="the work tree (HEAD $REV_SHORT)"
DATE=$(rgit log -1 --format=%cI "$REV_ID")
NAME=$(rgit config user.name || rgit log -1 --format=%an "$REV_ID" || echo "Livepatch Team")
EMAIL=$(rgit config user.email || rgit log -1 --format=%ae "$REV_ID" || echo "klp@example.org")
[[ -f "$FRAG" ]] || die "no MAINTAINERS.livepatch"
# The latest "make test" results of our kernel, for the cover letter.
RESULTS=$(find "$KLP_LOGS" -maxdepth 1 -name 'results-ours-2*.txt' -printf '%T@ %p\n' 2>/dev/null |
	sort -rn | head -n1 | cut -d' ' -f2-)
step "patches: our files at $REV_SHORT against pristine 6.12 (Signed-off-by: $NAME <$EMAIL>)"
if ((!WORKTREE)) &&
   [[ -n "$(rgit status --porcelain -- "${KLP_OUR_DIRS[@]}" "${KLP_OUR_FILES[@]}" MAINTAINERS.livepatch)" ]]; then
	info "note: uncommitted changes in our paths are not in the series"
fi
ensure_base
check_series_paths
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

make_base
step "series: one commit per entry"
for ((k = 1; k <= ${#SERIES_PATHS[@]}; k++)); do
	add_entry "$k"
done
BRANCH=$(sgit symbolic-ref --short HEAD)
verify_tree

step "format-patch into ${OUT#"$KLP_ROOT"/}"
write_patches
info "$(find "$OUT" -type f | wc -l) files:"
find "$OUT" -type f -printf '%f\n' | sort | sed 's/^/      /'

verify_am
((CHECKPATCH)) && run_checkpatch
run_get_maintainer
if ((BUILD_EACH)); then
	REF_CONFIG="$(objdir ours normal)/.config"
	[[ -f "$REF_CONFIG" ]] || die "no $REF_CONFIG: run 'make build' first"
	cp "$REF_CONFIG" "$TMP/ref.config"
	REF_CONFIG="$TMP/ref.config"
	with_build_lock locked_build_each
	if [[ -f "$TMP/each.fail" ]]; then
		failures+=("$(cat "$TMP/each.fail")")
	else
		series_hash >"$BUILT_STAMP"
		info "cover letter updated: each patch builds"
		write_patches
	fi
fi

if ((${#failures[@]})); then
	step "patches: written to ${OUT#"$KLP_ROOT"/} in $(elapsed "$T0"), but:"
	printf '    FAIL %s\n' "${failures[@]}"
	exit 1
fi
step "patches: ${#PATCHES[@]} patches + cover letter in ${OUT#"$KLP_ROOT"/}, all checks passed, $(elapsed "$T0")"
