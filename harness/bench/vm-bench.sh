# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# vm-bench.sh [quick] [only=SECTION]... [boot=I/N]: the livepatch benchmark, inside
# the VM (/harness/bench/vm-bench.sh there, run by the "bench" job).
# harness/bench/run.sh packs it with the bench modules and the thread
# program, boots each kernel with it and reads what it prints:
#   @@BENCH <key> <value>       one sample (ms, ns, KiB or bytes)
#   @@BENCH-INFO <key> <text>   context: clocksource, kernel, tasks
#   @@BENCH-ERROR <section> <text>
# Sections: calls idle spinner mem shadow threads settle forks. "quick" takes fewer
# samples, for trying the harness out; its figures are not results.
# "boot=I/N" only labels the output: this is boot I of N of this kernel
# in one "make bench" run.

set -uo pipefail
# shellcheck source=harness/initramfs/lib.sh
. /harness/lib.sh

HERE=/harness/bench
MODS=$HERE/modules
SYS=/sys/kernel/livepatch
DBG=/sys/kernel/debug/klp_bench
CS=/sys/devices/system/clocksource/clocksource0
TRACE=/sys/kernel/tracing
# No transition here should take this long; past it the section fails.
LIMIT=120

QUICK=0
ONLY=()
BOOT=
for a in "$@"; do
	case "$a" in
	quick) QUICK=1 ;;
	only=*) ONLY+=("${a#only=}") ;;
	boot=*) BOOT=${a#boot=} ;;
	*) echo "vm-bench: unknown argument '$a'" ;;
	esac
done

# reps FULL QUICK: the number of samples to take.
reps() { if ((QUICK)); then echo "$2"; else echo "$1"; fi; }

ERRORS=0
emit() { printf '@@BENCH %s %s\n' "$1" "$2"; }
info_line() { printf '@@BENCH-INFO %s %s\n' "$1" "$2"; }
error() {
	local section="$1"; shift
	printf '@@BENCH-ERROR %s %s\n' "$section" "$*"
	ERRORS=$((ERRORS + 1))
}

# now_us: wall clock in microseconds, without a fork.
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
# ms_between US0 US1: the difference in ms, three decimals.
ms_between() {
	local d=$(($2 - $1))
	printf '%d.%03d' $((d / 1000)) $((d % 1000))
}

# ratio_3 A B: A / B with three decimals (integers in, B > 0).
ratio_3() {
	local q=$(($1 * 1000 / $2))
	printf '%d.%03d' $((q / 1000)) $((q % 1000))
}

# log_time ERE: printk time (s) of the last kernel log line matching ERE.
log_time() {
	dmesg | awk -v re="$1" '
		$0 ~ re { t = substr($0, 2, index($0, "]") - 2) + 0; found = 1 }
		END { if (!found) exit 1; printf "%.6f\n", t }'
}

# log_ms ERE_START ERE_END: ms between the two log lines, from printk times.
log_ms() {
	local a b
	a=$(log_time "$1") && b=$(log_time "$2") || return 1
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}

# mark TEXT: a line in the kernel log only (level 7 stays off the console).
mark() { echo "<7>klp_bench: $*" >/dev/kmsg; }

# --- livepatch helpers -------------------------------------------------------

# spin_zero FILE [LIMIT]: spin until FILE reads 0 or is gone; fails after
# LIMIT seconds (default $LIMIT).
spin_zero() {
	local v deadline=$((EPOCHSECONDS + ${2:-$LIMIT}))
	while :; do
		v=0
		{ read -r v <"$1"; } 2>/dev/null
		[[ "$v" == 0 ]] && return 0
		((EPOCHSECONDS < deadline)) || return 1
	done
}

# lp_wait NAME [LIMIT]: spin until NAME's transition reads 0 (or NAME is
# gone).
lp_wait() { spin_zero "$SYS/$1/transition" "${2:-}"; }

# lp_released NAME [LIMIT]: spin until nothing holds NAME's module (the core
# dropped its reference: the patch is freed).
lp_released() { spin_zero "/sys/module/$1/refcnt" "${2:-}"; }

# lp_load KO NAME: insmod a livepatch and wait for its transition.
lp_load() {
	insmod "$1" || return 1
	lp_wait "$2"
}

# lp_unload NAME: disable NAME if enabled, wait until freed, rmmod.
lp_unload() {
	local name="$1"
	if [[ -e "$SYS/$name/enabled" && "$(cat "$SYS/$name/enabled")" == 1 ]]; then
		echo 0 >"$SYS/$name/enabled" || return 1
	fi
	lp_wait "$name" || return 1
	wait_for 30 [ ! -e "$SYS/$name" ] || return 1
	wait_for 30 [ "$(cat "/sys/module/$name/refcnt" 2>/dev/null || echo 0)" == 0 ] || return 1
	[[ ! -e "/sys/module/$name" ]] || rmmod "$name"
}

# log_spans NAME: "ENABLE DISABLE" in ms from the printk times of this
# cycle's lines ("-" when a line is missing):
#   'enabling patch' -> "'NAME': patching complete"
#   our "disable NAME" marker -> "'NAME': unpatching complete"
log_spans() {
	dmesg | awk -v n="$1" -v q="'" '
		{ t = substr($0, 2, index($0, "]") - 2) + 0 }
		index($0, "enabling patch " q n q) { a = t }
		index($0, q n q ": patching complete") { b = t }
		index($0, "klp_bench: disable " n) { c = t }
		index($0, q n q ": unpatching complete") { d = t }
		function span(x, y) { return (x == "" || y == "") ? "-" : sprintf("%.3f", (y - x) * 1000) }
		END { print span(a, b), span(c, d) }'
}

# --- the patch's release, timed by the kernel ---------------------------------

# "Unpatching complete" is no common endpoint for a disable: upstream
# detaches the functions from ftrace before it prints that line, we detach
# them when the patch is freed, after it. Both cores drop their reference
# to the patch module last, once the functions are detached and the sysfs
# directory is gone, and module_put() has a trace event on both. So
# "freed" is timed from a trace marker written just before the 0 to that
# module_put, on one trace clock.
PUT_EVENT=$TRACE/events/module/module_put
# Set while the module_put event is on (release_trace on).
RELEASE_TRACE=
# The trace clock to restore afterwards.
TRACE_CLOCK=local

# release_trace on|off: the module_put event, on the trace clock "global"
# (monotonic across CPUs: the marker and the put come from different ones).
release_trace() {
	if [[ "$1" == on ]]; then
		[[ -d "$PUT_EVENT" ]] || return 1
		TRACE_CLOCK=$(sed 's/.*\[\(.*\)\].*/\1/' "$TRACE/trace_clock")
		echo 0 >"$TRACE/tracing_on"
		echo global >"$TRACE/trace_clock" || return 1
		: >"$TRACE/trace"
		echo 1 >"$PUT_EVENT/enable" || return 1
		echo 1 >"$TRACE/tracing_on"
		RELEASE_TRACE=1
	else
		[[ -n "$RELEASE_TRACE" ]] || return 0
		echo 0 >"$TRACE/tracing_on"
		echo 0 >"$PUT_EVENT/enable"
		echo "$TRACE_CLOCK" >"$TRACE/trace_clock"
		: >"$TRACE/trace"
		RELEASE_TRACE=
	fi
}

# release_ms NAME: ms from the last trace marker "disable NAME" to the last
# module_put of module NAME after it.
release_ms() {
	awk -v n="$1" '
		/^#/ || !match($0, / [0-9]+\.[0-9]+: /) { next }
		{ t = substr($0, RSTART + 1, RLENGTH - 3) }
		index($0, "tracing_mark_write: klp_bench: disable " n) && $NF == n { a = t; b = ""; next }
		a != "" && index($0, " module_put: " n " call_site=") { b = t }
		END { if (a == "" || b == "") exit 1; printf "%.3f\n", (b - a) * 1000 }' "$TRACE/trace"
}

# LOAD_PID: the thread program that is running, if any; see threads_run.
LOAD_PID=
# With a load running, a transition that takes longer than this (s) is
# cut short by stopping the load; the time waited is a lower bound.
CYCLE_LIMIT=30

# lp_cycle KEY KO NAME: enable and disable a livepatch once, timing both.
#   KEY.enable, KEY.disable  the printk spans of log_spans
#   KEY.*_wall               the same seen from here: insmod or the write
#                            of 0 -> transition reads 0
#   KEY.release_wall         the write of 0 -> the patch module's refcnt
#                            reads 0: the patch is freed, and the core has
#                            let go of every function it patched
#   KEY.freed                the same span timed by the kernel, with
#                            release_trace on: see release_ms
# With a load (LOAD_PID), a transition past CYCLE_LIMIT emits
# KEY.enable_over or KEY.disable_over (ms waited), stops the load and
# returns 2. Other failures return 1.
lp_cycle() {
	local key="$1" ko="$2" name="$3" limit=$LIMIT t0 t1 en dis ms over=
	[[ -n "$LOAD_PID" ]] && limit=$CYCLE_LIMIT
	dmesg -C
	[[ -z "$RELEASE_TRACE" ]] || : >"$TRACE/trace"
	t0=$(now_us)
	insmod "$ko" || { error "$key" "insmod $name failed"; return 1; }
	if lp_wait "$name" "$limit"; then
		emit "$key.enable_wall" "$(ms_between "$t0" "$(now_us)")"
		mark "disable $name"
		t1=$(now_us)
		[[ -z "$RELEASE_TRACE" ]] || echo "klp_bench: disable $name" >"$TRACE/trace_marker"
		echo 0 >"$SYS/$name/enabled"
		if lp_wait "$name" "$limit"; then
			emit "$key.disable_wall" "$(ms_between "$t1" "$(now_us)")"
			if lp_released "$name" "$limit"; then
				emit "$key.release_wall" "$(ms_between "$t1" "$(now_us)")"
				if [[ -n "$RELEASE_TRACE" ]]; then
					if ms=$(release_ms "$name"); then
						emit "$key.freed" "$ms"
					else
						error "$key" "no module_put of $name after the marker in the trace"
					fi
				fi
			fi
		else
			over=disable
		fi
	else
		over=enable
		t1=$t0
	fi
	if [[ -n "$over" ]]; then
		[[ -n "$LOAD_PID" ]] || { error "$key" "$over of $name timed out"; return 1; }
		emit "$key.${over}_over" "$(ms_between "$t1" "$(now_us)")"
		# What the core says about the tasks it waits for, if anything.
		dmesg | grep -E 'livepatch: ' | tail -n 12 | while IFS= read -r l; do
			info_line "$key.log" "$l"
		done
		stop_load
	fi
	# A span that ended only because the load was stopped is not a sample.
	read -r en dis < <(log_spans "$name")
	[[ "$over" == enable || "$en" == - ]] || emit "$key.enable" "$en"
	[[ -n "$over" || "$dis" == - ]] || emit "$key.disable" "$dis"
	lp_unload "$name" || { error "$key" "could not unload $name"; return 1; }
	[[ -z "$over" ]] || return 2
}

count_tasks() {
	local t=(/proc/[0-9]*/task/[0-9]*)
	echo "${#t[@]}"
}

SAMPLE_KO=
find_sample() {
	SAMPLE_KO=$(find "/lib/modules/$(uname -r)" -name 'livepatch-sample.ko*' | head -n1)
	[[ -n "$SAMPLE_KO" ]]
}

# --- 1. cost of a call -------------------------------------------------------

# A sample is BURSTS pairs of bursts (see "calls" in klp_bench.c): N calls
# of an unpatched twin, then N of the target, N sized so that a target
# burst lasts about BURST_NS. A 2 ms burst usually fits between two
# interruptions of the VM by the host; with a jiffies clock, a sample is
# one pair of about 300 ms instead.
BURST_NS=2000000
BURSTS=60

calls_clock() {
	case "$(cat "$CS/current_clocksource")" in
	*jiffies*) BURST_NS=300000000 BURSTS=1 ;;
	esac
	info_line calls.bursts "$BURSTS pairs of bursts of ~$((BURST_NS / 1000)) us per sample"
}

# calls_sample KEY [COUNT]: size bursts for this case from a warm-up run,
# then take COUNT samples (default: REPS). Emits ns per call of the fastest target burst
# (calls.KEY), of the fastest twin burst (calls_twin.KEY) and the mean of
# all target bursts (calls_mean.KEY).
calls_sample() {
	local key="$1" count="${2:-$(reps 7 3)}" i n r best tbest total
	echo "100000 3" >"$DBG/calls" || { error calls "run failed"; return 1; }
	read -r n _ best _ <"$DBG/calls"
	n=$((n * BURST_NS / (best + 1)))
	((n >= 1000)) || n=1000
	info_line "calls.n.$key" "$n"
	for ((i = 0; i < count; i++)); do
		echo "$n $BURSTS" >"$DBG/calls" || { error calls "run failed"; return 1; }
		read -r n r best tbest total _ <"$DBG/calls"
		emit "calls.$key" "$(ratio_3 "$best" "$n")"
		emit "calls_twin.$key" "$(ratio_3 "$tbest" "$n")"
		emit "calls_mean.$key" "$(ratio_3 "$total" $((n * r)))"
	done
}

# Our core's direct mode (absent upstream): the switch, and the list of
# patched functions with how each is reached.
KLP_DIRECT=/sys/kernel/debug/livepatch/direct
KLP_SITES=/sys/kernel/debug/livepatch/sites

all_direct() { ! grep -qv '^direct ' "$KLP_SITES"; }

# settled: with direct mode on, until every site is direct.
settled() {
	[[ -r "$KLP_SITES" && "$(cat "$KLP_DIRECT")" == 1 ]] || return 0
	wait_for 20 all_direct
}

bench_calls() {
	local lp i
	insmod "$MODS/klp_bench.ko" || { error calls "insmod klp_bench failed"; return 1; }
	calls_clock
	calls_sample unpatched
	# The floor: an ftrace_ops that only redirects. What the core adds on
	# top of ftrace is patched1 - ftrace_redirect. Under TCG one
	# registration of it costs about 45 ns a call and the next one 90,
	# at random (where its trampoline lands, presumably), so take a few
	# registrations; the report uses the fastest.
	for ((i = 0; i < 3; i++)); do
		echo 2 >"$DBG/ftrace" || { error calls "attaching an ftrace_ops failed"; return 1; }
		calls_sample ftrace_redirect 3
		echo 0 >"$DBG/ftrace"
	done

	# Our core first calls through its ftrace handler and, after a quiet
	# second, directly (see "Direct mode" in kernel/livepatch/patch.c).
	# Both are measured: the handler with direct mode off, the steady
	# state once the site reads "direct". Upstream has only the handler.
	[[ ! -w "$KLP_DIRECT" ]] || echo 0 >"$KLP_DIRECT"
	lp_load "$MODS/klp_bench_lp.ko" klp_bench_lp || { error calls "klp_bench_lp failed"; return 1; }
	if [[ -w "$KLP_DIRECT" ]]; then
		calls_sample patched1_handler
		echo 1 >"$KLP_DIRECT"
		settled || { error calls "the site did not become direct"; return 1; }
	fi
	calls_sample patched1
	lp_load "$MODS/klp_bench_lp2.ko" klp_bench_lp2 || { error calls "klp_bench_lp2 failed"; return 1; }
	settled || { error calls "the site did not become direct"; return 1; }
	calls_sample patched2
	for lp in 3 4; do
		lp_load "$MODS/klp_bench_lp$lp.ko" "klp_bench_lp$lp" ||
			{ error calls "klp_bench_lp$lp failed"; return 1; }
	done
	settled || { error calls "the site did not become direct"; return 1; }
	calls_sample patched4
	for lp in klp_bench_lp4 klp_bench_lp3 klp_bench_lp2 klp_bench_lp; do
		lp_unload "$lp" || { error calls "unloading $lp failed"; return 1; }
	done
	calls_sample unpatched_after

	# A kthread asleep in klp_bench_sleeper() holds the transition open.
	echo 1 >"$DBG/sleeper"
	wait_for 10 [ "$(cat "$DBG/sleeper")" == 1 ] || { error calls "sleeper did not start"; return 1; }
	insmod "$MODS/klp_bench_lp.ko" || { error calls "klp_bench_lp (transition) failed"; return 1; }
	if [[ "$(cat "$SYS/klp_bench_lp/transition")" == 1 ]]; then
		calls_sample transition
		[[ "$(cat "$SYS/klp_bench_lp/transition")" == 1 ]] ||
			error calls "the transition ended while it was measured; calls.transition is mixed"
	else
		error calls "the transition completed although a task sleeps in the old function"
	fi
	echo 0 >"$DBG/sleeper"
	lp_unload klp_bench_lp || { error calls "unloading klp_bench_lp failed"; return 1; }
	rmmod klp_bench
}

# --- 2. transition latency on the idle VM ------------------------------------

bench_idle() {
	local i rc=0
	find_sample || { error idle "livepatch-sample.ko not found"; return 1; }
	info_line idle.tasks "$(count_tasks)"
	release_trace on || error idle "no module_put trace event: idle.freed not measured"
	for ((i = 0; i < $(reps 20 3); i++)); do
		lp_cycle idle "$SAMPLE_KO" livepatch_sample || { rc=1; break; }
	done
	release_trace off
	return "$rc"
}

# --- 4. a CPU-bound kthread that switches in cond_resched() ------------------

# spinner_ms WHICH T_LOG: ms from printk time T_LOG (s) until the spinner
# saw its patch_state become WHICH (2nd field: 0, 3rd field: 1).
spinner_ms() {
	local ns0 ns1 ns
	read -r _ ns0 ns1 <"$DBG/spinner"
	if [[ "$1" == 1 ]]; then ns=$ns1; else ns=$ns0; fi
	awk -v ns="$ns" -v t="$2" 'BEGIN { d = ns / 1e6 - t * 1000; if (d < 0) exit 1; printf "%.3f\n", d }'
}

bench_spinner() {
	local i t ms
	find_sample || { error spinner "livepatch-sample.ko not found"; return 1; }
	insmod "$MODS/klp_bench.ko" || { error spinner "insmod klp_bench failed"; return 1; }
	echo 1 >"$DBG/spinner"
	sleep 0.2
	for ((i = 0; i < $(reps 5 2); i++)); do
		dmesg -C
		lp_load "$SAMPLE_KO" livepatch_sample || { error spinner "enable timed out"; break; }
		if t=$(log_time "enabling patch 'livepatch_sample'") && ms=$(spinner_ms 1 "$t"); then
			emit spinner.switch "$ms"
		else
			error spinner "the spinner did not record its switch"
		fi
		ms=$(log_ms "enabling patch 'livepatch_sample'" "'livepatch_sample': patching complete") &&
			emit spinner.enable "$ms"
		mark "disable livepatch_sample"
		echo 0 >"$SYS/livepatch_sample/enabled"
		lp_wait livepatch_sample || { error spinner "disable timed out"; break; }
		if t=$(log_time "klp_bench: disable livepatch_sample") && ms=$(spinner_ms 0 "$t"); then
			emit spinner.switch_back "$ms"
		fi
		lp_unload livepatch_sample || { error spinner "unload failed"; break; }
	done
	echo 0 >"$DBG/spinner"
	rmmod klp_bench
}

# --- 5a. slab and vmalloc held per patch and per patched function -----------

ALLOC_EVENTS=(kmem/kmalloc kmem/kmem_cache_alloc)
FREE_EVENTS=(kmem/kfree kmem/kmem_cache_free)

vmalloc_kb() { awk '/^VmallocUsed:/ { print $2 }' /proc/meminfo; }

# trace_allocs on|off: the kmem events, with a stack trace per allocation.
trace_allocs() {
	local e
	if [[ "$1" == on ]]; then
		echo 0 >"$TRACE/tracing_on"
		: >"$TRACE/trace"
		for e in "${ALLOC_EVENTS[@]}"; do
			echo stacktrace >"$TRACE/events/$e/trigger"
		done
		for e in "${ALLOC_EVENTS[@]}" "${FREE_EVENTS[@]}"; do
			echo 1 >"$TRACE/events/$e/enable"
		done
		echo 1 >"$TRACE/tracing_on"
	else
		echo 0 >"$TRACE/tracing_on"
		for e in "${ALLOC_EVENTS[@]}" "${FREE_EVENTS[@]}"; do
			echo 0 >"$TRACE/events/$e/enable"
		done
		for e in "${ALLOC_EVENTS[@]}"; do
			echo '!stacktrace' >"$TRACE/events/$e/trigger"
		done
	fi
}

# core_bytes: "bytes objects" of the slab objects allocated while tracing
# with a livepatch core function (klp_*, not klp_bench*) on the stack and
# not freed by the end. Stack entries follow their event on the same CPU.
core_bytes() {
	awk '
		function field(name,   i) {
			for (i = 1; i <= NF; i++)
				if (index($i, name "=") == 1)
					return substr($i, length(name) + 2)
			return ""
		}
		/^ => / {
			if (stack_cpu != "" && cur[stack_cpu] != "" && $2 ~ /^_*klp_/ && $2 !~ /^_*klp_bench/)
				core[cur[stack_cpu]] = 1
			next
		}
		{
			cpu = ""
			if (match($0, /\[[0-9]+\]/))
				cpu = substr($0, RSTART + 1, RLENGTH - 2) + 0
		}
		/<stack trace>/ { stack_cpu = cpu; next }
		{ stack_cpu = "" }
		/ (kmalloc|kmem_cache_alloc): / {
			p = field("ptr")
			live[p] = field("bytes_alloc")
			delete core[p]
			cur[cpu] = p
			next
		}
		/ (kfree|kmem_cache_free): / {
			p = field("ptr")
			delete live[p]
			delete core[p]
			next
		}
		END {
			for (p in core)
				if (p in live) { bytes += live[p]; n++ }
			printf "%d %d\n", bytes, n
		}' "$TRACE/trace"
}

# mem_patch KO NAME: emit the slab bytes the core holds for the enabled
# patch and the vmalloc KiB it gives back when disabled (trampolines).
mem_patch() {
	local ko="$1" name="$2" b c bytes objs
	trace_allocs on
	if ! lp_load "$ko" "$name"; then
		trace_allocs off
		return 1
	fi
	trace_allocs off
	sleep 0.5
	b=$(vmalloc_kb)
	if grep -q '^overrun: [1-9]' "$TRACE"/per_cpu/cpu*/stats; then
		error mem "the trace buffer overflowed; figures for $name dropped"
	else
		read -r bytes objs < <(core_bytes)
		emit "mem.slab_bytes.$name" "$bytes"
		emit "mem.slab_objects.$name" "$objs"
	fi
	echo 0 >"$SYS/$name/enabled"
	lp_wait "$name" && wait_for 30 [ ! -e "$SYS/$name" ] || return 1
	sleep 0.5
	c=$(vmalloc_kb)
	emit "mem.vmalloc_kb.$name" $((b - c))
	lp_unload "$name"
}

bench_mem() {
	local i
	[[ -d "$TRACE/events/kmem/kmalloc" ]] || { error mem "no kmem trace events"; return 1; }
	insmod "$MODS/klp_bench.ko" || { error mem "insmod klp_bench failed"; return 1; }
	echo 16384 >"$TRACE/buffer_size_kb"
	for ((i = 0; i < $(reps 2 1); i++)); do
		mem_patch "$MODS/klp_bench_lp2.ko" klp_bench_lp2 || { error mem "klp_bench_lp2 failed"; break; }
		mem_patch "$MODS/klp_bench_lp64.ko" klp_bench_lp64 || { error mem "klp_bench_lp64 failed"; break; }
	done
	echo 1 >"$TRACE/buffer_size_kb"
	: >"$TRACE/trace"
	rmmod klp_bench
}

# --- 5b. shadow variables against a plain hash table -------------------------

bench_shadow() {
	local n i v c0 c1
	insmod "$MODS/klp_bench.ko" || { error shadow "insmod klp_bench failed"; return 1; }
	for n in 1000 10000 100000; do
		for ((i = 0; i < $(reps 3 1); i++)); do
			read -r c0 _ < <(proc_counts)
			echo "$n" >"$DBG/shadow" || { error shadow "run with $n failed"; break; }
			read -r c1 _ < <(proc_counts)
			info_line "shadow.ctxt.$n" "$((c1 - c0)) context switches during the run"
			read -r -a v <"$DBG/shadow"
			# n misses, then "ops ns batch_ops batch_ns" for shadow
			# alloc, get, free_all, plain insert, get, free, and
			# shadow and plain get of the first 1000 (hot set).
			((v[1] == 0)) || error shadow "$n: ${v[1]} lookups missed"
			emit "shadow.alloc.$n" "$(ratio_3 "${v[5]}" "${v[4]}")"
			emit "shadow.get.$n" "$(ratio_3 "${v[9]}" "${v[8]}")"
			emit "shadow.get_mean.$n" "$(ratio_3 "${v[7]}" "${v[6]}")"
			emit "shadow.free.$n" "$(ratio_3 "${v[11]}" "${v[10]}")"
			emit "plain.insert.$n" "$(ratio_3 "${v[17]}" "${v[16]}")"
			emit "plain.get.$n" "$(ratio_3 "${v[21]}" "${v[20]}")"
			emit "plain.get_mean.$n" "$(ratio_3 "${v[19]}" "${v[18]}")"
			emit "shadow.get_hot.$n" "$(ratio_3 "${v[29]}" "${v[28]}")"
			emit "plain.get_hot.$n" "$(ratio_3 "${v[33]}" "${v[32]}")"
		done
	done
	rmmod klp_bench
}

# --- 3. transitions with many user threads ------------------------------------

# start_load N MODE: start the thread program, wait until it is ready.
start_load() {
	local n="$1" mode="$2" out=/tmp/threads.out pin=()
	# Busy threads share the last CPU, so the shell and the workers the
	# core queues keep the other one.
	[[ "$mode" == busy ]] && pin=(taskset -c "$(($(nproc) - 1))")
	: >"$out"
	"${pin[@]}" "$HERE/klp_bench_threads" "$n" "$mode" >"$out" 2>&1 &
	LOAD_PID=$!
	if ! wait_for 300 grep -q '^ready' "$out"; then
		error threads "$mode$n: threads not ready: $(cat "$out")"
		stop_load
		return 1
	fi
}

# stop_load: kill the thread program and wait until its threads are gone.
stop_load() {
	[[ -n "$LOAD_PID" ]] || return 0
	kill "$LOAD_PID" 2>/dev/null
	wait "$LOAD_PID" 2>/dev/null
	LOAD_PID=
	wait_for 60 [ "$(count_tasks)" -lt $(($(cat /tmp/idle-tasks) + 50)) ] || true
}

# threads_run N MODE CYCLES: cycle livepatch-sample under a load of N
# threads; restart the load when a cycle had to stop it.
threads_run() {
	local n="$1" mode="$2" count="$3" key="$2$1" i rc
	start_load "$n" "$mode" || return 1
	info_line "$key.tasks" "$(count_tasks)"
	for ((i = 0; i < count; i++)); do
		[[ -n "$LOAD_PID" ]] || start_load "$n" "$mode" || return 1
		rc=0
		lp_cycle "$key" "$SAMPLE_KO" livepatch_sample || rc=$?
		((rc != 1)) || break
	done
	stop_load
}

bench_threads() {
	find_sample || { error threads "livepatch-sample.ko not found"; return 1; }
	count_tasks >/tmp/idle-tasks
	echo 100000 >/proc/sys/kernel/threads-max
	release_trace on || error threads "no module_put trace event: *.freed not measured"
	threads_run 100 sleep "$(reps 5 2)"
	threads_run 1000 sleep "$(reps 5 2)"
	threads_run 10000 sleep "$(reps 3 1)"
	threads_run 1000 busy "$(reps 3 1)"
	release_trace off
}

# --- 6. module loads while a 200-function patch settles ------------------------

# Every module load passes through the core: klp_module_coming() takes
# klp_mutex. Once a transition is over and the core has been quiet for a
# second, ours makes the sites of the patch direct one at a time
# (klp_settle_fn()), and each switch waits for ftrace's grace periods,
# which must not happen under klp_mutex. Upstream has no such phase, so
# the same window after its transition shows what a load costs anyway.
# The window is the same on both kernels; ours reports how many sites
# were direct at its end.
SETTLE_WINDOW=$(reps 20 5)

# insmod_window KEY SECONDS: load and unload klp_bench_noop for SECONDS;
# each load (insmod alone) is a sample KEY, the slowest one KEY_max.
# With DIRECT_AT set, also records in it when every site had become
# direct (s after the window began), or leaves it empty.
insmod_window() {
	local key="$1" t start end t0 t1 d max=0
	t=$EPOCHREALTIME start=${t/./}
	end=$((start + $2 * 1000000))
	while :; do
		t=$EPOCHREALTIME t0=${t/./}
		((t0 < end)) || break
		insmod "$MODS/klp_bench_noop.ko" || { error settle "insmod klp_bench_noop failed"; return 1; }
		t=$EPOCHREALTIME t1=${t/./}
		rmmod klp_bench_noop || { error settle "rmmod klp_bench_noop failed"; return 1; }
		d=$((t1 - t0))
		((d > max)) && max=$d
		emit "$key" "$(ms_between 0 "$d")"
		if [[ -n "${DIRECT_AT+x}" && -z "$DIRECT_AT" && -r "$KLP_SITES" ]] && all_direct; then
			DIRECT_AT=$(ms_between "$start" "$t1")
		fi
	done
	emit "${key}_max" "$(ms_between 0 "$max")"
}

bench_settle() {
	local i n DIRECT_AT
	insmod "$MODS/klp_bench_wide.ko" || { error settle "insmod klp_bench_wide failed"; return 1; }
	info_line settle.window "$SETTLE_WINDOW s"
	insmod_window settle.quiet "$SETTLE_WINDOW" || return 1
	for ((i = 0; i < $(reps 3 1); i++)); do
		lp_load "$MODS/klp_bench_lp200.ko" klp_bench_lp200 ||
			{ error settle "klp_bench_lp200 failed"; return 1; }
		DIRECT_AT=
		insmod_window settle.insmod "$SETTLE_WINDOW" || return 1
		if [[ -r "$KLP_SITES" ]]; then
			n=$(grep -c '^direct ' "$KLP_SITES")
			info_line "settle.direct.$i" "$n of $(wc -l <"$KLP_SITES") sites direct after ${SETTLE_WINDOW} s${DIRECT_AT:+, all after $DIRECT_AT ms}"
		fi
		lp_unload klp_bench_lp200 || { error settle "could not unload klp_bench_lp200"; return 1; }
	done
	unset DIRECT_AT
	rmmod klp_bench_wide
}

# --- 7. fork() while a transition walks 10,000 threads ---------------------------

# fork() takes tasklist_lock for writing with interrupts off. A walk of
# every task that holds it for reading across each task's stack check
# (upstream's) stalls every fork for the whole walk; ours walks under RCU.
# klp_bench_forks forks in a loop and reports its slowest fork().
FORK_PID=

fork_probe_start() {
	: >/tmp/forks.out
	"$HERE/klp_bench_forks" >/tmp/forks.out 2>&1 &
	FORK_PID=$!
	wait_for 10 grep -q '^ready' /tmp/forks.out || { error forks "the fork probe did not start"; return 1; }
}

# fork_probe_stop KEY: stop the probe; emit KEY_max, KEY_p99 and
# KEY_median (us) and the number of forks as info.
fork_probe_stop() {
	local key="$1" n max p99 med
	kill -USR1 "$FORK_PID"
	wait "$FORK_PID"
	FORK_PID=
	read -r _ n _ max _ p99 _ med < <(grep '^forks ' /tmp/forks.out) ||
		{ error forks "no result from the fork probe: $(cat /tmp/forks.out)"; return 1; }
	emit "${key}_max" "$max"
	emit "${key}_p99" "$p99"
	emit "${key}_median" "$med"
	info_line "$key.count" "$n forks"
}

bench_forks() {
	local i n
	n=$(reps 10000 1000)
	find_sample || { error forks "livepatch-sample.ko not found"; return 1; }
	count_tasks >/tmp/idle-tasks
	echo 100000 >/proc/sys/kernel/threads-max
	start_load "$n" sleep || return 1
	info_line forks.tasks "$(count_tasks)"
	for ((i = 0; i < $(reps 5 2); i++)); do
		fork_probe_start || break
		sleep 2
		fork_probe_stop forks.quiet || break
		fork_probe_start || break
		insmod "$SAMPLE_KO" || { error forks "insmod livepatch-sample failed"; fork_probe_stop forks.transition; break; }
		lp_wait livepatch_sample || error forks "enable timed out"
		echo 0 >"$SYS/livepatch_sample/enabled"
		lp_wait livepatch_sample || error forks "disable timed out"
		fork_probe_stop forks.transition || break
		lp_unload livepatch_sample || { error forks "could not unload livepatch-sample"; break; }
	done
	stop_load
}

# --- main -----------------------------------------------------------------------

want() {
	((${#ONLY[@]} == 0)) && return 0
	local s
	for s in "${ONLY[@]}"; do [[ "$s" == "$1" ]] && return 0; done
	return 1
}

# tsc-early is replaced by tsc about a second after boot; wait for it.
wait_for 10 [ "$(cat "$CS/current_clocksource")" != tsc-early ] || true
# report.py compares two kernels only if every boot of both ran on one
# clocksource from start (this line) to end (clocksource_end).
info_line clocksource "$(cat "$CS/current_clocksource") (available: $(cat "$CS/available_clocksource"))"
[[ -z "$BOOT" ]] || info_line boot "$BOOT"
info_line kernel "$(uname -r) $(cat /etc/klp-flavour)"
info_line cpus "$(nproc)"
info_line hz "$(zcat /proc/config.gz 2>/dev/null | sed -n 's/^CONFIG_HZ=//p')"
((QUICK)) && info_line mode "quick (few samples)"
# How busy the idle guest is by itself: a core that keeps waking up also
# disturbs everything measured here.
proc_counts() { awk '/^ctxt/ { c = $2 } /^intr/ { i = $2 } END { print c, i }' /proc/stat; }
read -r c0 i0 < <(proc_counts)
sleep 2
read -r c1 i1 < <(proc_counts)
info_line idle.activity "$(((c1 - c0) / 2)) context switches/s, $(((i1 - i0) / 2)) interrupts/s"

# Notices stay in the log buffer, where they are timed, but off the slow
# serial console; warnings and splats still reach it.
dmesg -n 5

for s in calls idle spinner mem shadow threads settle forks; do
	want "$s" || continue
	step "bench: $s"
	t0=$(now_us)
	"bench_$s"
	info_line "time.$s" "$(ms_between "$t0" "$(now_us)") ms"
done

dmesg -n 7
info_line clocksource_end "$(cat "$CS/current_clocksource")"
((ERRORS == 0))
