#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The shadow variable API, driven command by command through
# test_lp_shadow_ops's /proc/test_lp_shadow (see that module for the
# commands): lookups, both allocating calls with and without a
# constructor, a failing constructor, free and free_all with a destructor,
# get_or_alloc racing from several kthreads on one pair, and the memory
# going back to the slab afterwards (and kmemleak, on a debug kernel),
# and thousands of variables made and freed under a scheduler lock.
# klp_shadow_alloc() of a pair that exists is a patch bug the core warns
# about, so it is not exercised here: the run would fail on the splat.

# shellcheck source=functions.sh
. "$(dirname "$0")/functions.sh"

S=test_lp_shadow_ops
CTL=/proc/test_lp_shadow
KMEMLEAK=/sys/kernel/debug/kmemleak

lp_begin 65 "$S"

lp_insmod "$S" || lp_bail "cannot load $S: $LP_OUT"

# --- helpers ------------------------------------------------------------------

# shadow CMD...: run one command; RES is its result line ("ptr ..." etc.).
shadow() {
	lp_write "$CTL" "$*" || { RES="<command failed: $LP_ERR>"; return 1; }
	RES=$(awk '$1 == "result" { sub(/^result /, ""); print }' "$CTL")
}

# seen NAME: a counter of the module (ctors, ctor_bad, dtors, ...).
seen() {
	awk -v k="$1" '$1 == k { print $2 }' "$CTL"
}

# ptr: the pointer in RES, or NULL.
ptr() {
	awk '{ print $2 }' <<<"$RES"
}

# slab4k: objects in use in the kmalloc caches of 4 KiB, where a shadow
# variable with 4000 bytes of data lands; empty without /proc/slabinfo.
# Shrinking the caches first returns what sits in per-CPU partial slabs
# and, with KASAN, in its quarantine of freed objects.
slab4k() {
	local c
	for c in /sys/kernel/slab/kmalloc*-4k/shrink; do
		[[ -w "$c" ]] && echo 1 >"$c"
	done
	awk '$1 ~ /^kmalloc(-rnd-[0-9]+)?-4k$/ { n += $2 } END { if (NR) print n + 0 }' \
		/proc/slabinfo 2>/dev/null
}

slab_back_to() {
	(($(slab4k) <= $1))
}

# --- lookups and allocation without a constructor -------------------------------

shadow get 0 1
lp_eq "get of a pair that has no variable returns NULL" "ptr NULL" "$RES"

ctors=$(seen ctors)
shadow alloc 0 1 16 none
p1=$(ptr)
lp_match "alloc without a constructor returns zeroed data" "^ptr [0-9a-f]+ val 0 zero 1$" "$RES"
shadow alloc 4 1 4000 none
lp_match "all 4000 bytes of a large variable are zeroed" "^ptr [0-9a-f]+ val 0 zero 1$" "$RES"
lp_eq "no constructor was called" "$ctors" "$(seen ctors)"
shadow get 0 1
lp_eq "get finds the variable alloc returned" "$p1" "$(ptr)"
shadow get 1 1
lp_eq "get of the same id on another object returns NULL" "ptr NULL" "$RES"
shadow get 0 2
lp_eq "get of another id on the same object returns NULL" "ptr NULL" "$RES"

# --- constructors ------------------------------------------------------------------

shadow alloc 1 1 16 7
p2=$(ptr)
lp_match "alloc with a constructor returns what it stored, the rest zeroed" \
	"^ptr [0-9a-f]+ val 7 zero 1$" "$RES"
lp_eq "the constructor ran once" "$((ctors + 1))" "$(seen ctors)"
lp_eq "it got the object, its ctor_data and zeroed data" 0 "$(seen ctor_bad)"
lp_ok "each object has a variable of its own" test "$p1" != "$p2"

shadow get_or_alloc 1 1 16 9
lp_eq "get_or_alloc of an existing pair returns the same pointer" "$p2" "$(ptr)"
lp_match "... with the data of the first constructor" " val 7 " "$RES"
lp_eq "... without calling the constructor" "$((ctors + 1))" "$(seen ctors)"

shadow get_or_alloc 2 1 32 11
p3=$(ptr)
lp_match "get_or_alloc of a new pair constructs it" "^ptr [0-9a-f]+ val 11 zero 1$" "$RES"
lp_eq "the constructor ran for it" "$((ctors + 2))" "$(seen ctors)"
shadow get 2 1
lp_eq "get finds it" "$p3" "$(ptr)"

shadow get_or_alloc 5 1 16 none
lp_match "get_or_alloc without a constructor returns zeroed data" \
	"^ptr [0-9a-f]+ val 0 zero 1$" "$RES"

# --- a failing constructor -----------------------------------------------------

dtors=$(seen dtors)
lp_mark_log
shadow alloc 3 42 16 fail
lp_eq "alloc whose constructor fails returns NULL" "ptr NULL" "$RES"
shadow get 3 42
lp_eq "... and creates no variable" "ptr NULL" "$RES"
shadow get_or_alloc 3 42 16 fail
lp_eq "get_or_alloc whose constructor fails returns NULL" "ptr NULL" "$RES"
shadow get 3 42
lp_eq "... and creates no variable either" "ptr NULL" "$RES"
lp_eq "the constructor ran for both calls" "$((ctors + 4))" "$(seen ctors)"
lp_eq "no destructor ran for a variable that never existed" "$dtors" "$(seen dtors)"
fails=$(lp_log_leveled | grep -E '^(err|\?) livepatch: ' | cut -d' ' -f2- |
	sed -E 's/<[0-9a-f]+, /<OBJ, /')
lp_eq "each failure logged an error naming the pair and the errno" \
	"$(printf '%s\n' "livepatch: Failed to construct shadow variable <OBJ, 2a> (-28)" \
		"livepatch: Failed to construct shadow variable <OBJ, 2a> (-28)")" "$fails"
lp_eq "the core logged nothing else" 2 "$(lp_klp_log | wc -l)"
shadow get_or_alloc 3 42 16 13
lp_match "the pair can be constructed once the constructor succeeds" " val 13 zero 1$" "$RES"

# --- free ---------------------------------------------------------------------------

shadow free 1 1
lp_eq "free calls the destructor once" "$((dtors + 1))" "$(seen dtors)"
lp_eq "... with the variable's data" 7 "$(seen dtor_last_val)"
shadow get 1 1
lp_eq "a freed variable is gone" "ptr NULL" "$RES"
shadow get 0 1
lp_eq "the same id on another object is untouched" "$p1" "$(ptr)"
shadow free 1 1
lp_eq "free of a pair without a variable calls no destructor" \
	"$((dtors + 1))" "$(seen dtors)"
shadow get_or_alloc 1 1 16 21
lp_match "a freed pair can be allocated again" " val 21 zero 1$" "$RES"

# --- free_all -------------------------------------------------------------------------

shadow alloc 0 2 16 5
shadow alloc 6 3 16 6
shadow count 1
lp_eq "id 1 is on objects 0, 1, 2, 4 and 5" "count 5" "$RES"
dtors=$(seen dtors)
shadow free_all 1
lp_eq "free_all calls the destructor for each variable of the id" \
	"$((dtors + 5))" "$(seen dtors)"
shadow count 1
lp_eq "no variable of the id is left" "count 0" "$RES"
shadow get 0 2
lp_match "a variable of another id on the same object stays" " val 5 " "$RES"
shadow count 3
lp_eq "a variable of another id on another object stays" "count 1" "$RES"
shadow free_all 1
lp_eq "free_all of an id without variables calls no destructor" \
	"$((dtors + 5))" "$(seen dtors)"
shadow free_all 2
shadow free_all 3
shadow free_all 42
lp_eq "every variable was destructed once" "$((dtors + 8))" "$(seen dtors)"
lp_eq "every destructor call got one of the module's objects" 0 "$(seen dtor_bad)"

# --- concurrent get_or_alloc -----------------------------------------------------

ctors=$(seen ctors)
dtors=$(seen dtors)
lp_ok "8 kthreads race get_or_alloc on one pair, 50 times" shadow race 4 77 8 50
lp_eq "every round: one variable, the same pointer and data for all" \
	"race rounds 50 threads 8 inconsistent 0" "${RES% raced *}"
# The constructor counts the rounds in which another racer was inside
# get_or_alloc while it ran; without any, nothing raced.
lp_ok "in some rounds another thread was inside while the constructor ran (${RES##* raced })" \
	test "${RES##* raced }" -gt 0
lp_eq "one constructor call per round" "$((ctors + 50))" "$(seen ctors)"
lp_eq "one destructor call per round" "$((dtors + 50))" "$(seen dtors)"
lp_eq "the constructor always got its own thread's ctor_data" 0 "$(seen ctor_bad)"
shadow count 77
lp_eq "nothing of the race is left" "count 0" "$RES"

# --- memory goes back -------------------------------------------------------------

before=$(slab4k)
lp_ok "get_or_alloc 512 variables of 4000 bytes" shadow fill 99 512 4000
lp_eq "all 512 were created" "filled 512" "$RES"
shadow count 99
lp_eq "all 512 are found" "count 512" "$RES"
if [[ -n "$before" ]]; then
	during=$(slab4k)
	lp_diag "kmalloc-4k objects in use: $before before, $during with the variables"
	lp_ok "they came from the 4 KiB kmalloc caches" test "$during" -ge $((before + 448))
else
	lp_skip "they came from the 4 KiB kmalloc caches" "no /proc/slabinfo"
fi
dtors=$(seen dtors)
shadow free_all 99
lp_eq "free_all destructed all 512" "$((dtors + 512))" "$(seen dtors)"
shadow count 99
lp_eq "none is left" "count 0" "$RES"
if [[ -n "$before" ]]; then
	# kfree_rcu() returns them after a grace period; a few slabs of slack.
	lp_ok "the memory goes back to the slab after a grace period" \
		lp_poll "$LP_TIMEOUT" slab_back_to $((before + 64))
	lp_diag "kmalloc-4k objects in use afterwards: $(slab4k)"
else
	lp_skip "the memory goes back to the slab after a grace period" "no /proc/slabinfo"
fi

# --- destructors run without the lock ----------------------------------------------
# A destructor that prints, called from here with interrupts on, must run
# with them on: under the table's lock it would order that lock before
# the console's (and so before pi_lock, which the console's wakeups
# take), and the section below, which takes the table's lock under
# pi_lock, would close a deadlock cycle that lockdep reports.
lp_mark_log
shadow fill 56 8 16
shadow free_all_loud 56
lp_eq "a printing destructor ran for each of 8 variables" 8 \
	"$(lp_log | grep -c "destructing a shadow variable")"
lp_eq "with interrupts on, as its caller had them" 0 "$(seen dtor_irqs_off)"

# --- under the scheduler's locks: nothing queued, nothing fails ---------------------
# 4000 variables, more than the table has buckets at first, allocated
# GFP_ATOMIC and freed by a kthread that holds its pi_lock with interrupts
# off.  The calls must not queue work (which wakes a worker, taking
# pi_lock and a runqueue lock) from that context: the workqueue trace
# event of every work item queued by the kthread outside interrupt
# context is counted (a timer's softirq may queue its own work
# meanwhile).  Each allocation may fail only if its variable could not
# be allocated, which does not happen here.
EV=$LP_TRACING/events/workqueue/workqueue_queue_work
if [[ -w "$EV/enable" ]]; then
	echo 0 >"$LP_TRACING/tracing_on"
	echo >"$LP_TRACING/trace"
	echo 1 >"$EV/enable"
	echo 1 >"$LP_TRACING/tracing_on"
	lp_ok "4000 variables made and freed under pi_lock" shadow locked 55 4000
	echo 0 >"$EV/enable"
	lp_eq "every allocation succeeded, every variable was found" \
		"locked 4000 allocated 4000 found 4000" "$RES"
	# "lp_shadow_lock-123 [001] d..1. ...": the flags' third
	# character is h, H or s in interrupt context.
	queued=$(awk '$1 ~ /^lp_shadow_lock-/ && /workqueue_queue_work/ &&
		      substr($3, 3, 1) !~ /[hHs]/' "$LP_TRACING/trace")
	lp_eq "no work queued from the locked context" "" "$queued"
	echo >"$LP_TRACING/trace"
else
	lp_fail "4000 variables made and freed under pi_lock" "no $EV"
	lp_fail "every allocation succeeded, every variable was found" "no $EV"
	lp_fail "no work queued from the locked context" "no $EV"
fi
shadow count 55
lp_eq "none of them is left" "count 0" "$RES"

if [[ -w "$KMEMLEAK" ]]; then
	echo scan >"$KMEMLEAK"
	leaks=$(grep -E 'klp_shadow|test_lp_shadow' "$KMEMLEAK")
	lp_eq "kmemleak finds no shadow variable leaked" "" "$leaks"
else
	lp_skip "kmemleak finds no shadow variable leaked" "no $KMEMLEAK (not a debug kernel)"
fi

lp_ok "$S can be removed" lp_rmmod "$S"
lp_not "$S is gone" lp_mod_loaded "$S"
lp_ok "so is $CTL" test ! -e "$CTL"

lp_end
