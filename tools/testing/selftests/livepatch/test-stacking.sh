#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Stacked patches.  test_lp_stack_1, _2 and _3, none of them an atomic
# replace, all replace f1 of test_lp_mod_target; _2 also replaces f2.  They
# are enabled in that order and then disabled in three orders: middle
# first, bottom first, top first.  After every step f1 must run the newest
# patch still enabled, stack_order must number the patches left 1, 2, ...
# in the order they were registered, only the newest entry of a function
# reads "active" 1, and every transition file reads 0.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

T=test_lp_mod_target
S1=test_lp_stack_1
S2=test_lp_stack_2
S3=test_lp_stack_3
F1=test_lp_mod_f1_show
F2=test_lp_mod_f2_show
PROC=/proc/test_lp_mod

# Disable orders, by patch number: middle first, bottom first, top first.
ORDERS=("2 3 1" "1 3 2" "3 2 1")

# Checks made by check_state, enable and disable.
STATE_CHECKS=7
ENABLE_CHECKS=$((2 + STATE_CHECKS))
DISABLE_CHECKS=$((3 + STATE_CHECKS))
lp_begin $((2 + STATE_CHECKS + ${#ORDERS[@]} * 3 * (ENABLE_CHECKS + DISABLE_CHECKS))) \
	"$T" "$S1" "$S2" "$S3"

# The stacked patches that are enabled, oldest first.
ENABLED=()

has_s2() {
	[[ " ${ENABLED[*]} " == *" $S2 "* ]]
}

# funcs PATCH: the function directories PATCH has under $T.
funcs() {
	if [[ "$1" == "$S2" ]]; then
		echo "$F1,1 $F2,1"
	else
		echo "$F1,1"
	fi
}

# want_show FUNC: what /proc/test_lp_mod/FUNC should show now.
want_show() {
	local top=""
	if [[ "$1" == f1 ]]; then
		((${#ENABLED[@]} == 0)) || top=${ENABLED[${#ENABLED[@]} - 1]}
	else
		has_s2 && top=$S2
	fi
	if [[ -n "$top" ]]; then
		echo "$top: $1"
	else
		echo "$T: $1 original"
	fi
}

# want_per_patch order|active: "<patch>=<value>" for each enabled patch,
# oldest first; the value is its stack_order, or its f1 "active" state
# (1 for the newest only).
want_per_patch() {
	local i n=${#ENABLED[@]} out=()
	for ((i = 0; i < n; i++)); do
		if [[ "$1" == order ]]; then
			out+=("${ENABLED[i]}=$((i + 1))")
		else
			out+=("${ENABLED[i]}=$((i == n - 1))")
		fi
	done
	echo "${out[*]}"
}

# got_per_patch FILE: "<patch>=<value of FILE>" for every stacked patch
# that has a sysfs directory, in name order (= registration order here).
got_per_patch() {
	local d out=()
	for d in "$LP_SYSFS"/test_lp_stack_*; do
		[[ -d "$d" ]] || continue
		out+=("${d##*/}=$(lp_read "$d/$1")")
	done
	echo "${out[*]}"
}

# sorted WORDS...: the words sorted, space separated.
sorted() {
	printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}

# want_transitions / got_transitions: every transition file of the stacked
# patches, patch and function level, as "<path>=<value>", sorted.
want_transitions() {
	local p f out=()
	for p in "${ENABLED[@]}"; do
		out+=("$p=0")
		for f in $(funcs "$p"); do
			out+=("$p/$T/$f=0")
		done
	done
	sorted "${out[@]}"
}

got_transitions() {
	local f rel out=()
	for f in "$LP_SYSFS"/test_lp_stack_*/transition \
		 "$LP_SYSFS"/test_lp_stack_*/*/*/transition; do
		[[ -f "$f" ]] || continue
		rel=${f#"$LP_SYSFS"/}
		out+=("${rel%/transition}=$(lp_read "$f")")
	done
	sorted "${out[@]}"
}

# check_state DESC: everything visible agrees with ENABLED.
check_state() {
	local d="$1" want
	lp_eq "$d: f1 runs $(want_show f1)" "$(want_show f1)" "$(lp_read "$PROC/f1")"
	lp_eq "$d: f2 runs $(want_show f2)" "$(want_show f2)" "$(lp_read "$PROC/f2")"
	want=$(want_per_patch order)
	lp_eq "$d: stack_order: ${want:-no patch}" "$want" "$(got_per_patch stack_order)"
	want=$(want_per_patch active)
	lp_eq "$d: f1 active: ${want:-no patch}" "$want" \
		"$(got_per_patch "$T/$F1,1/active")"
	if has_s2; then
		lp_eq "$d: the only f2 entry ($S2) is active" 1 \
			"$(lp_attr "$S2" "$T/$F2,1/active")"
	else
		lp_check_not_ftraced "$d: f2 has no ftrace user" "$F2"
	fi
	if ((${#ENABLED[@]})); then
		lp_check_ftraced "$d: f1 has an ftrace user" "$F1"
	else
		lp_check_not_ftraced "$d: f1 has no ftrace user" "$F1"
	fi
	lp_eq "$d: every transition file reads 0" \
		"$(want_transitions)" "$(got_transitions)"
}

# enable N: load test_lp_stack_N on top of the others.
enable() {
	local p="test_lp_stack_$1"
	lp_ok "load $p" lp_insmod "$p" || lp_bail "cannot load $p: $LP_OUT"
	lp_ok "$p: patching transition completes" lp_wait_transition "$p"
	ENABLED+=("$p")
	check_state "$p enabled"
}

# disable N: disable test_lp_stack_N, wherever it is on the stack, and
# remove its module.
disable() {
	local p="test_lp_stack_$1" q rest=()
	lp_ok "disable $p" lp_write "$LP_SYSFS/$p/enabled" 0 ||
		lp_bail "cannot disable $p: $LP_ERR"
	lp_ok "$p: unpatched and its directory removed" lp_wait_gone "$p"
	lp_ok "$p: its module can be removed" lp_unload_disabled "$p"
	for q in "${ENABLED[@]}"; do
		[[ "$q" == "$p" ]] || rest+=("$q")
	done
	ENABLED=("${rest[@]}")
	check_state "$p disabled"
}

# --- setup ---
lp_ok "load $T" lp_insmod "$T" || lp_bail "cannot load $T: $LP_OUT"
check_state "no patch"

# --- act and check: enable 1, 2, 3, then disable in each order ---
for order in "${ORDERS[@]}"; do
	lp_diag "enable 1 2 3, disable $order"
	enable 1
	enable 2
	enable 3
	for n in $order; do
		disable "$n"
	done
done

# --- cleanup ---
lp_ok "rmmod $T" lp_rmmod "$T"

lp_end
