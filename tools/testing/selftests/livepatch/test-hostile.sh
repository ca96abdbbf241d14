#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Hostile writes to every sysfs file of a patch.  Each file gets random
# bytes (1, 7, 100, 4095, 4096 and 5000 of them), an empty write,
# whitespace, "1\n" and "0x1", each in a single write(2), first while the
# patch is idle (test_lp_basic), then while its patching transition is
# held up by a task sleeping in the old function (test_lp_cm).
#
# What the kernel must answer follows from the file and the input:
#   - read-only files refuse the open for writing: EACCES, also for root;
#   - "enabled" and "force" see at most the first 4096 bytes of a write
#     (sysfs truncates to a page and reports a short write; it never
#     returns E2BIG), parsed like kstrtobool(): the first character, or
#     two for "on"/"of".  Anything else is EINVAL, and so is a request for
#     the state the patch is already in and a true "force" outside a
#     transition; a false "force" is accepted and does nothing, as in
#     6.12.  A write of zero bytes is a no-op.
#   - a valid "enabled=0" disables the idle patch or reverses the held-up
#     transition; a valid "force=1" completes the held-up transition.
# After every write the patch must be in the state that follows: the
# script predicts it, checks it, and reloads the patch when it went away.
# In between, a user other than root (uid 1000, via util-linux setpriv)
# must be able to write none of the files, nor read "force", and change
# nothing.
#
# Last, several writers hammer "enabled" with 0, 1 and garbage while one
# task sleeps in the old function and another in the new one, so that
# the transition is held up in both directions, and a reader reads the
# attributes meanwhile: every write must succeed or fail with EINVAL,
# every value read must make sense, the patch must stay in transition
# with both tasks inside, and once they leave, the transition must
# complete in the direction last written.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_target
B=test_lp_basic
CM=test_lp_cm
HELPER=$LP_DIR/lp_fail_nth
ORIGINAL="test_lp_target: original"
ROUNDS=3
WRITERS=4
MIN_WRITES=3
SPLAT='WARNING:|BUG:|Oops|Call Trace|circular locking|recursive locking|inconsistent lock state'
SPLAT+='|suspicious RCU usage|unreferenced object|KASAN:|UBSAN:|general protection|kernel BUG'
SPLAT+='|soft lockup|hard LOCKUP|blocked for more than|rcu: INFO|list_(add|del) corruption'
SPLAT+='|refcount_t:|ODEBUG:'

# What the sysfs ABI (Documentation/ABI/testing/sysfs-kernel-livepatch)
# says each patch has, below its directory.
B_FILES="enabled
force
replace
stack_order
test_lp_target/patched
test_lp_target/test_lp_plain_show,1/active
test_lp_target/test_lp_plain_show,1/transition
transition
vmlinux/cmdline_proc_show,1/active
vmlinux/cmdline_proc_show,1/transition
vmlinux/patched"
CM_FILES="enabled
force
replace
stack_order
test_lp_target/patched
test_lp_target/test_lp_busy_show,1/active
test_lp_target/test_lp_busy_show,1/transition
test_lp_target/test_lp_spin_step,1/active
test_lp_target/test_lp_spin_step,1/transition
transition"

[[ -x "$HELPER" ]] || lp_skip_all "helper $HELPER not built"

lp_begin 53 "$T" "$B" "$CM"

tmp=$(mktemp -d)
chmod 755 "$tmp"	# uid 1000 reads the inputs too
orig_cmdline=$(lp_read /proc/cmdline)
writes=0

if dmesg --help 2>/dev/null | grep -q -- --follow-new; then
	lp_bg dmesg --follow-new --notime >"$tmp/kmsg" 2>/dev/null
	kernel_log() { cat "$tmp/kmsg"; }
else
	lp_mark_log
	RUN_MARK=$LP_MARK
	kernel_log() { local LP_MARK=$RUN_MARK; lp_log; }
fi

# --- the inputs -------------------------------------------------------------------

INPUTS=()
for n in 1 7 100 4095 4096 5000; do
	head -c "$n" /dev/urandom >"$tmp/random-$n"
	INPUTS+=("random-$n")
done
: >"$tmp/empty"
printf ' \t \n' >"$tmp/whitespace"
printf '1\n' >"$tmp/one"
printf '0x1' >"$tmp/hex-one"
printf '0\n' >"$tmp/zero"
INPUTS+=(empty whitespace one hex-one)
chmod 644 "$tmp"/*

# describe INPUT: its size and first bytes, for diagnostics.
describe() {
	printf '%s (%s bytes: %s)' "$1" "$(stat -c %s "$tmp/$1")" \
		"$(od -An -tx1 -N8 "$tmp/$1" | tr -s ' ')"
}

# kbool INPUT: what kstrtobool() makes of it, as sysfs passes it on:
# 1, 0, or "" for EINVAL.
kbool() {
	local b0 b1
	read -r b0 b1 < <(od -An -tu1 -N2 "$tmp/$1")
	case "$b0" in
	121|89|116|84|49) echo 1 ;;	# y Y t T 1
	110|78|102|70|48) echo 0 ;;	# n N f F 0
	111|79)				# o O
		case "$b1" in
		110|78) echo 1 ;;	# n N
		102|70) echo 0 ;;	# f F
		esac ;;
	esac
}

# What predict() needs of each input, worked out once.
declare -A SIZE=() KBOOL=()
for input in "${INPUTS[@]}" zero; do
	SIZE[$input]=$(stat -c %s "$tmp/$input")
	KBOOL[$input]=$(kbool "$input")
done

# --- one write ---------------------------------------------------------------------

# hwrite [RUNAS...] FILE INPUT: one write(2) of INPUT to FILE; RESULT is
# "ok <bytes taken>", "open: <errno text>" or "<errno text>".
hwrite() {
	local file input out err ret msg
	file=${*: -2:1}
	input=${*: -1}
	out=$("${@:1:$#-2}" "$HELPER" 0 write "$file" <"$tmp/$input" 2>&1)
	writes=$((writes + 1))
	if read -r err _ ret msg <<<"$out" && [[ "$err" =~ ^[0-9]+$ ]]; then
		if ((err == 0)); then
			RESULT="ok $ret"
		else
			RESULT=$msg
		fi
	else
		RESULT="open: ${out##*: }"
	fi
}

# predict PHASE ATTR INPUT: the expected RESULT in WANT and what the
# write does to the patch in EFFECT (none, disable, reverse, force).
# PHASE is idle (enabled, no transition) or held (patching transition).
predict() {
	local phase="$1" attr="$2" input="$3" size v
	EFFECT=none
	case "$attr" in
	enabled|force) ;;
	*)
		WANT="open: Permission denied"
		return ;;
	esac
	size=${SIZE[$input]}
	if ((size == 0)); then
		WANT="ok 0"
		return
	fi
	((size > 4096)) && size=4096
	v=${KBOOL[$input]}
	WANT="Invalid argument"
	if [[ "$attr" == enabled && "$v" == 0 ]]; then
		WANT="ok $size"
		[[ "$phase" == idle ]] && EFFECT=disable || EFFECT=reverse
	elif [[ "$attr" == force && "$v" == 1 && "$phase" == held ]]; then
		WANT="ok $size"
		EFFECT=force
	elif [[ "$attr" == force && "$v" == 0 ]]; then
		WANT="ok $size"
	fi
}

# --- the two starting points -----------------------------------------------------
#
# Checked after each of some 200 writes, with bash builtins only: on a
# debug kernel every fork and exec counts.

# get FILE: its first line, "<unreadable>" if there is none, in GOT.
get() {
	GOT=""
	read -r GOT 2>/dev/null <"$1"
	[[ -n "$GOT" ]] || GOT="<unreadable>"
}

# idle_ok: test_lp_basic enabled and in force, no transition.
idle_ok() {
	local got want
	want="enabled=1 transition=0 cmdline='$B: patched cmdline' plain='$B: patched'"
	get "$LP_SYSFS/$B/enabled"
	got="enabled=$GOT"
	get "$LP_SYSFS/$B/transition"
	got+=" transition=$GOT"
	get /proc/cmdline
	got+=" cmdline='$GOT'"
	get "$LP_PROC/plain"
	got+=" plain='$GOT'"
	[[ "$got" == "$want" ]] && return 0
	WHY=$got
	return 1
}

idle_setup() {
	lp_insmod "$B" && lp_enabled_settled "$B" && idle_ok
}

parked() {
	local state n
	read -r state n 2>/dev/null <"$LP_GATE"
	[[ "$state" == closed && "${n:-0}" -ge 1 ]]
}

# held_ok: test_lp_cm enabled, its patching transition held up by the
# reader still parked in the old function.
held_ok() {
	local got
	get "$LP_SYSFS/$CM/enabled"
	got="enabled=$GOT"
	get "$LP_SYSFS/$CM/transition"
	got+=" transition=$GOT"
	parked && got+=" parked" || got+=" reader gone: $(lp_read "$LP_GATE")"
	[[ "$got" == "enabled=1 transition=1 parked" ]] && return 0
	WHY=$got
	return 1
}

# park: close the gate and park a reader behind it (pid in READER).
park() {
	if ! lp_gate_close || ! lp_park_reader "$tmp/reader"; then
		lp_bail "no reader parked at the busy gate"
	fi
	READER=$LP_BG
}

held_setup() {
	lp_insmod "$CM" && held_ok
}

# after_effect PHASE EFFECT: check the patch after a write and bring it
# back to the starting point of PHASE.  WHY says what was wrong.
after_effect() {
	local phase="$1" effect="$2" p=$B
	[[ "$phase" == held ]] && p=$CM
	WHY=""
	case "$effect" in
	none)
		"${phase}_ok" && return 0
		WHY="unexpected state: $WHY" ;;
	disable|reverse)
		if ! lp_wait_transition "$p" || ! lp_wait_gone "$p"; then
			WHY="the patch did not go away: enabled=$(lp_attr "$p" enabled)"
			WHY+=" transition=$(lp_attr "$p" transition)"
		elif [[ "$phase" == idle && "$(lp_read /proc/cmdline)" != "$orig_cmdline" ]]; then
			WHY="disabled, but /proc/cmdline reads '$(lp_read /proc/cmdline)'"
		elif [[ "$phase" == held ]] && ! parked; then
			WHY="the reversal let the reader go"
		fi ;;
	force)
		if ! lp_wait_transition "$p" || [[ "$(lp_attr "$p" enabled)" != 1 ]]; then
			WHY="the forced transition did not end enabled"
		fi
		lp_write "$LP_SYSFS/$p/enabled" 0 && lp_wait_transition "$p" && lp_wait_gone "$p" ||
			WHY+=" cannot disable the forced patch"
		;;
	esac
	# Back to the starting point, whatever happened.
	local why=$WHY
	if ! "${phase}_ok"; then
		if ! cleanup_patch "$p" || ! "${phase}_setup"; then
			lp_bail "cannot set up $p again: $LP_OUT $WHY"
		fi
	fi
	WHY=$why
	[[ -z "$WHY" ]]
}

# cleanup_patch MOD: disable and remove MOD whatever state it is in.
cleanup_patch() {
	lp_mod_loaded "$1" || return 0
	lp_wait_transition "$1"
	[[ "$(lp_attr "$1" enabled)" == 1 ]] && lp_write "$LP_SYSFS/$1/enabled" 0
	lp_wait_transition "$1"
	lp_unload_disabled "$1"
}

# hammer_file PHASE ATTR: every input to one file, one check.
hammer_file() {
	local phase="$1" attr="$2" p=$B input bad=() effects=0 desc
	[[ "$phase" == held ]] && p=$CM
	desc="$phase: $attr: ${#INPUTS[@]} inputs answered as predicted"
	for input in "${INPUTS[@]}"; do
		predict "$phase" "$attr" "$input"
		hwrite "$LP_SYSFS/$p/$attr" "$input"
		if [[ "$RESULT" != "$WANT" ]]; then
			bad+=("$(describe "$input"): want '$WANT', got '$RESULT'")
			EFFECT=unknown
		fi
		[[ "$EFFECT" == none ]] || effects=$((effects + 1))
		after_effect "$phase" "$EFFECT" || bad+=("after $(describe "$input"): $WHY")
	done
	if ((${#bad[@]} == 0)); then
		lp_pass "$desc ($effects took effect)"
	else
		lp_fail "$desc" "${bad[@]}"
	fi
}

# files PATCH: the patch's sysfs files, relative to its directory.
files() {
	(cd "$LP_SYSFS/$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
}

# === idle =========================================================================

lp_ok "load $T" lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
lp_ok "enable $B" idle_setup || lp_bail "cannot enable $B: $LP_OUT $WHY"
lp_eq "$B has the files the ABI lists" "$B_FILES" "$(files "$B")"
while read -r attr; do
	hammer_file idle "$attr"
done <<<"$B_FILES"
lp_ok "after all that, $B is enabled and in force" idle_ok

# --- someone other than root -------------------------------------------------------

if setpriv --help 2>&1 | grep -q -- --reuid; then
	RUNAS=(setpriv --reuid=1000 --regid=1000 --clear-groups)
	bad=()
	n=0
	while read -r attr; do
		for input in zero one random-7; do
			hwrite "${RUNAS[@]}" "$LP_SYSFS/$B/$attr" "$input"
			n=$((n + 1))
			[[ "$RESULT" == "open: Permission denied" ]] ||
				bad+=("$attr, $(describe "$input"): '$RESULT'")
		done
	done <<<"$B_FILES"
	if ((${#bad[@]} == 0)); then
		lp_pass "uid 1000 cannot open any of them for writing: EACCES, $n tries"
	else
		lp_fail "uid 1000 cannot open any of them for writing: EACCES, $n tries" "${bad[@]}"
	fi
	if out=$("${RUNAS[@]}" cat "$LP_SYSFS/$B/force" 2>&1); then
		lp_fail "uid 1000 cannot read force" "read '$out'"
	else
		lp_match "uid 1000 cannot read force" "Permission denied" "$out"
	fi
	lp_ok "uid 1000 changed nothing" idle_ok
else
	for d in "uid 1000 cannot open any of them for writing" "uid 1000 cannot read force" \
		 "uid 1000 changed nothing"; do
		lp_skip "$d" "no setpriv with --reuid (util-linux)"
	done
fi
lp_ok "disable and remove $B" lp_disable_unload "$B"

# === held =========================================================================

park
lp_ok "enable $CM while a task sleeps in the old function" held_setup ||
	lp_bail "cannot hold up $CM's transition: $LP_OUT $WHY"
lp_eq "$CM has the files the ABI lists" "$CM_FILES" "$(files "$CM")"
while read -r attr; do
	hammer_file held "$attr"
done <<<"$CM_FILES"
lp_ok "after all that, $CM is still held up in its patching transition" held_ok

# === concurrent writers during held-up transitions ===================================
#
# A second reader, started once the script's shell has switched, sleeps in
# the new function.  With one task in each, neither the patching nor the
# unpatching transition can complete, so the writers can reverse it back
# and forth for as long as they like; the patch must never go away meanwhile.

# writer: wait for the start file, then hammer CM/enabled for 3 s; leaves
# "writes ok einval other", the odd results, and "<start> <end>" of each
# write (EPOCHREALTIME) in times.PID, from which overlaps() tells whether
# writers really were inside enabled at the same time.  lp_fail_nth writes
# without O_CREAT, so a file that went away would show as ENOENT rather
# than as EACCES from the create.
writer() {
	local f="$LP_SYSFS/$CM/enabled" end v out err t0
	local n=0 ok=0 inval=0 other=0
	while [[ ! -e "$tmp/go" ]]; do
		sleep 0.01
	done
	end=$((SECONDS + 3))
	while ((SECONDS < end)); do
		case $((RANDOM % 10)) in
		[0-3]) v=1 ;;
		[4-7]) v=0 ;;
		8) v=x ;;
		*) v=$'\x01\x7f 1' ;;
		esac
		n=$((n + 1))
		t0=$EPOCHREALTIME
		out=$("$HELPER" 0 write "$f" "$v" 2>&1)
		echo "$t0 $EPOCHREALTIME" >>"$tmp/times.$BASHPID"
		read -r err _ <<<"$out"
		case "$err" in
		0) ok=$((ok + 1)) ;;
		22) inval=$((inval + 1)) ;;
		*)
			other=$((other + 1))
			echo "'$v': $out" >>"$tmp/odd.$BASHPID" ;;
		esac
	done
	echo "$n $ok $inval $other" >"$tmp/writer.$BASHPID"
}

# attr_reader: read the attributes until the writers stop; every value
# read must be 0 or 1 (stack_order a positive number).  Leaves "reads odd".
attr_reader() {
	local d="$LP_SYSFS/$CM" v f n=0 odd=0
	while [[ ! -e "$tmp/stop" ]]; do
		for f in enabled transition stack_order test_lp_target/patched \
			 "test_lp_target/test_lp_busy_show,1/active" \
			 "test_lp_target/test_lp_busy_show,1/transition"; do
			v=""
			read -r v 2>/dev/null <"$d/$f"
			n=$((n + 1))
			[[ "$v" == 0 || "$v" == 1 ]] && continue
			[[ "$f" == stack_order && "$v" =~ ^[1-9][0-9]*$ ]] && continue
			odd=$((odd + 1))
			echo "$f: '$v'" >>"$tmp/odd.$BASHPID"
		done
	done
	echo "$n $odd" >"$tmp/reader.$BASHPID"
}

# overlaps: how many writes began while another writer's write was still
# in progress.
overlaps() {
	local f
	for f in "$tmp"/times.*; do
		sed "s/\$/ ${f##*.}/" "$f"
	done | sort -n | awk '
		$1 < max && $3 != who { n++ }
		$2 > max { max = $2; who = $3 }
		END { print n + 0 }'
}

gate_holds() {
	local state n
	read -r state n 2>/dev/null <"$LP_GATE"
	[[ "$state" == closed && "${n:-0}" == "$1" ]]
}

total_hammer=0
for ((round = 1; round <= ROUNDS; round++)); do
	if ((round > 1)); then
		park
		held_setup || lp_bail "round $round: cannot hold up $CM's transition: $WHY"
	fi
	# The shell switches on its way back from the insmod it waited for.
	lp_bg lp_cat_busy "$tmp/reader2"
	READER2=$LP_BG
	lp_poll "$LP_TIMEOUT" gate_holds 2 || lp_bail "round $round: no second reader parked"

	rm -f "$tmp"/odd.* "$tmp"/writer.* "$tmp"/reader.* "$tmp"/times.* \
		"$tmp/stop" "$tmp/go"
	pids=()
	for ((i = 0; i < WRITERS; i++)); do
		lp_bg writer
		pids+=("$LP_BG")
	done
	lp_bg attr_reader
	rpid=$LP_BG
	touch "$tmp/go"
	for pid in "${pids[@]}"; do
		wait "$pid"
	done
	touch "$tmp/stop"
	wait "$rpid"
	sum=(0 0 0 0)
	fewest=-1
	for pid in "${pids[@]}"; do
		read -r -a c <"$tmp/writer.$pid" || c=(0 0 0 1)
		for i in 0 1 2 3; do
			sum[i]=$((sum[i] + c[i]))
		done
		((fewest < 0 || c[0] < fewest)) && fewest=${c[0]}
	done
	overlap=$(overlaps)
	read -r rn rodd <"$tmp/reader.$rpid" || { rn=0 rodd=1; }
	total_hammer=$((total_hammer + sum[0]))
	writes=$((writes + sum[0]))
	lp_diag "round $round: ${sum[0]} writes: ${sum[1]} ok, ${sum[2]} EINVAL," \
		"${sum[3]} other; $rn attribute reads"
	what="round $round: every writer wrote $MIN_WRITES times or more, writes overlapped"
	if ((fewest >= MIN_WRITES && overlap > 0)); then
		lp_pass "$what ($overlap)"
	else
		lp_fail "$what" "fewest writes by one writer: $fewest, overlapping writes: $overlap"
	fi
	if ((sum[3] == 0 && rodd == 0 && sum[1] > 0)); then
		lp_pass "round $round: every write succeeded or got EINVAL, every read 0 or 1"
	else
		lp_fail "round $round: every write succeeded or got EINVAL, every read 0 or 1" \
			"$(cat "$tmp"/odd.* 2>/dev/null | head -n 10)"
	fi

	# Both tasks still inside: still in transition, in either direction.
	last=$(lp_attr "$CM" enabled)
	state="enabled=$last transition=$(lp_attr "$CM" transition) gate='$(lp_read "$LP_GATE")'"
	if [[ "$last" =~ ^[01]$ && "$state" == *"transition=1 gate='closed 2'" ]]; then
		lp_pass "round $round: the transition is still held up, both tasks inside ($state)"
	else
		lp_fail "round $round: the transition is still held up, both tasks inside" "$state"
	fi

	# Let them go: the transition completes in the direction last written.
	lp_gate_open
	lp_reader_result "$READER" "$tmp/reader"
	r1=$LP_READ
	lp_reader_result "$READER2" "$tmp/reader2"
	r2=$LP_READ
	if [[ "$last" == 1 ]]; then
		want="$ORIGINAL|$CM: patched|enabled, $CM: patched"
		lp_enabled_settled "$CM" && st=enabled || st="enabled=$(lp_attr "$CM" enabled)"
		got="$r1|$r2|$st, $(lp_read "$LP_PROC/busy")"
		lp_eq "round $round: both tasks left; enabled, as last written, and in force" \
			"$want" "$got"
		lp_ok "round $round: disable and remove $CM" lp_disable_unload "$CM"
	else
		want="$ORIGINAL|$CM: patched|gone, $ORIGINAL"
		lp_wait_gone "$CM"
		lp_gone "$CM" && st=gone || st="enabled=$(lp_attr "$CM" enabled)"
		got="$r1|$r2|$st, $(lp_read "$LP_PROC/busy")"
		lp_eq "round $round: both tasks left; disabled, as last written, and gone" \
			"$want" "$got"
		lp_ok "round $round: remove $CM" lp_unload_disabled "$CM"
	fi
	lp_check_not_ftraced "round $round: test_lp_busy_show has no ftrace user left" \
		test_lp_busy_show
done

# === the end ======================================================================

lp_eq "nothing left in $LP_SYSFS" "" "$(lp_subdirs "$LP_SYSFS")"
lp_ok "remove $T" lp_rmmod "$T"
splats=$(kernel_log | grep -cE "$SPLAT")
if ((splats == 0)); then
	lp_pass "no kernel splat during the run"
else
	lp_fail "no kernel splat during the run" \
		"$(kernel_log | grep -E -B2 -A12 "$SPLAT" | head -n 60)"
fi
lp_diag "figures: inputs tried=$writes (of which $total_hammer by concurrent writers)" \
	"splats=$splats"
rm -rf "$tmp"
lp_end
