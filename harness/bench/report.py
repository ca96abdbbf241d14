#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn the serial logs of one "make bench" run into the results table.

report.py --ours LOG [--ours LOG]... --upstream LOG [--upstream LOG]...
          --out DIR --run ID [--order TEXT] [--failed VM]... [--quick]

Reads the "@@BENCH key value" samples vm-bench.sh printed in each VM: the
Ith --ours and the Ith --upstream log are boot I of each kernel, booted
one after the other (a "pair").  Prints medians [min..max] over all boots
of each kernel, the ratio ours/upstream of the medians and a verdict
against each target, and writes DIR/results.txt and DIR/transition.png
(gnuplot).  Ratios only ever pair logs of the same run.

A target is "met" only if it holds in every pair and over all boots
pooled, so that one slow VM, ours or upstream's, cannot carry it; with a
single pair it is at most "unconfirmed".  See VERDICTS below.

Exits 1 if a figure a target needs is missing, 2 if the comparison is
refused because the VMs did not all run on one clocksource.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

SAMPLE_RE = re.compile(r"^@@BENCH (\S+) (-?[0-9.]+)\s*$")
INFO_RE = re.compile(r"^@@BENCH-INFO (\S+) (.*?)\s*$")
ERROR_RE = re.compile(r"^@@BENCH-ERROR (\S+) (.*?)\s*$")


class Run:
    """The samples, context lines and errors of one kernel's log, or of
    several boots of one kernel pooled (Run.pool)."""

    def __init__(self, path, label):
        self.path = path
        self.label = label
        self.samples = {}
        self.info = {}
        self.errors = []
        # The single-boot runs this one is made of.
        self.boots = [self]
        if path is None:
            return
        with open(path, encoding="utf-8", errors="replace") as log:
            for line in log:
                line = line.rstrip("\r\n")
                m = SAMPLE_RE.match(line)
                if m:
                    self.samples.setdefault(m[1], []).append(float(m[2]))
                    continue
                m = INFO_RE.match(line)
                if m:
                    self.info[m[1]] = m[2]
                    continue
                m = ERROR_RE.match(line)
                if m:
                    self.errors.append(f"{m[1]}: {m[2]}")

    @classmethod
    def pool(cls, label, boots):
        """All samples of several boots of one kernel, as one run."""
        r = cls(None, label)
        r.path = ", ".join(b.path for b in boots)
        r.boots = list(boots)
        for b in boots:
            for k, xs in b.samples.items():
                r.samples.setdefault(k, []).extend(xs)
            for k, v in b.info.items():
                r.info.setdefault(k, v)
            r.errors.extend(f"{b.label}: {e}" for e in b.errors)
        return r

    def stats(self, key):
        """(median, min, max, n, cut) of a key, or None.

        A transition cut short at the VM's limit is reported as KEY_over
        (e.g. busy1000.enable_over) with the time waited: it counts as a
        sample that is a lower bound, and "cut" says how many there are.
        A disable cut short is also a lower bound of its KEY.freed.
        """
        head, _, tail = key.rpartition(".")
        if tail == "freed":
            tail = "disable"
        cut = self.samples.get(f"{head}.{tail}_over", []) if head else []
        v = self.samples.get(key, []) + cut
        if not v:
            return None
        return statistics.median(v), min(v), max(v), len(v), len(cut)

    def normalise(self, prefix, twin_prefix, out_prefix):
        """out_prefix+K[i] = prefix+K[i] * fastest twin / twin_prefix+K[i]."""
        twins = [x for k, xs in self.samples.items() if k.startswith(twin_prefix) for x in xs]
        if not twins:
            return
        ref = min(twins)
        for k, xs in list(self.samples.items()):
            if not k.startswith(prefix):
                continue
            tw = self.samples.get(twin_prefix + k[len(prefix):], [])
            if len(tw) == len(xs):
                self.samples[out_prefix + k[len(prefix):]] = [x * ref / w for x, w in zip(xs, tw)]

    def median(self, key):
        s = self.stats(key)
        return s[0] if s else None

    def tasks(self, scenario):
        """Task count the VM reported for a scenario, or None."""
        v = self.info.get(f"{scenario}.tasks")
        return int(v.split()[0]) if v else None


def fmt(x):
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_stats(s):
    if not s:
        return "-"
    med, lo, hi, n, cut = s
    text = f"{fmt(med)} [{fmt(lo)}..{fmt(hi)}] n={n}"
    return f">={text} ({cut} cut short)" if cut else text


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def both(fn, *vals):
    """fn(*vals) unless a value is missing."""
    if any(v is None for v in vals):
        return None
    return fn(*vals)


# How a target is judged; printed with the results (and in the README).
VERDICTS = """\
  verdicts: a target is met only if it holds in each boot pair (ours#I and pristine#I,
    booted one after the other, ours first in odd pairs) and over all boots of each
    kernel pooled, so that no single VM, slow or fast, carries it; with one pair it is
    at most "unconfirmed". A target that divides by the plain hash table's lookup (the
    same code in every VM) divides by the fastest VM's median of it. Stacking is judged
    on a 95% upper confidence bound of its cost, never on overlapping ranges."""
# A verdict resting on fewer boot pairs than this is "unconfirmed".
MIN_PAIRS = 2


class Table:
    def __init__(self, ours, up, pairs):
        # ours, up: all boots of each kernel pooled; pairs: [(ours#I, pristine#I)]
        self.ours, self.up, self.pairs = ours, up, pairs
        self.rows = []
        self.missing = []
        self.counts = {"met": 0, "MISSED": 0, "unconfirmed": 0}

    def section(self, title):
        self.rows.append(("#", title))

    def raw(self, label, unit, key, target="", check=None, runs=None):
        """A measured figure: both kernels' statistics (pooled unless RUNS
        gives two runs) and the ratio of the medians."""
        o, u = runs or (self.ours, self.up)
        so, su = o.stats(key), u.stats(key)
        r = ratio(so[0] if so else None, su[0] if su else None)
        verdict = self.verdict(check, label) if check else ""
        self.rows.append((label, unit, fmt_stats(so), fmt_stats(su), fmt(r), target, verdict))

    def derived(self, label, unit, vo, vu, target="", check=None, show_ratio=True):
        """A figure computed from medians, e.g. an overhead."""
        r = ratio(vo, vu) if show_ratio else None
        verdict = self.verdict(check, label) if check else ""
        self.rows.append((label, unit, fmt(vo), fmt(vu), fmt(r), target, verdict))

    def verdict(self, check, label):
        """Judge CHECK(ours, upstream) -> True/False/None (no data) on the
        pooled runs and on each boot pair; see VERDICTS."""
        pooled = check(self.ours, self.up)
        per = [check(o, u) for o, u in self.pairs]
        if pooled is None or any(p is None for p in per):
            self.missing.append(label)
            return "NO DATA"
        k, n = sum(1 for p in per if p), len(per)
        if not pooled or k < n:
            word = "MISSED"
        elif n < MIN_PAIRS:
            word = "unconfirmed"
        else:
            word = "met"
        self.counts[word] += 1
        return f"{word} ({k}/{n} pairs, pooled {'met' if pooled else 'missed'})"

    def render(self):
        head = ("figure", "unit", "ours: median [min..max]", "upstream: median [min..max]",
                "ours/up", "target (ours)", "verdict")
        body = [r for r in self.rows if r[0] != "#"]
        widths = [max(len(str(r[i])) for r in body + [head]) for i in range(len(head))]
        out = []

        def line(r):
            return "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()

        out.append(line(head))
        out.append("  ".join("-" * w for w in widths))
        for r in self.rows:
            if r[0] == "#":
                out.append(f"-- {r[1]}")
            else:
                out.append(line(r))
        return "\n".join(out)


def prepare(run):
    """Add the figures derived from one run's samples: calls_norm.*."""
    # The host also slows a VM down as a whole, for seconds: scale each
    # sample by how much slower its fastest twin burst was than the
    # fastest twin burst of the run (of all boots, for a pooled run).
    run.normalise("calls.", "calls_twin.", "calls_norm.")
    # The floor is measured over several registrations of its ftrace_ops,
    # whose cost under TCG depends on where each one lands: use the
    # fastest sample rather than the median.
    v = run.samples.get("calls_norm.ftrace_redirect")
    if v:
        run.samples["calls_norm.floor"] = [min(v)]


def over(r, key, base="unpatched"):
    """Normalised ns per call of calls KEY above BASE (medians), or None."""
    return both(lambda a, b: a - b, r.median(f"calls_norm.{key}"), r.median(f"calls_norm.{base}"))


def mw_counts(m, n):
    """counts[u]: in how many of the orderings of m samples x and n samples
    y exactly u of the m*n pairs have y > x (Mann-Whitney U, no ties)."""
    f = [[[1] for _ in range(n + 1)] for _ in range(m + 1)]
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            # The largest sample is an x (beats no y) or a y (beats all i x).
            out = [0] * (i * j + 1)
            for u, k in enumerate(f[i - 1][j]):
                out[u] += k
            for u, k in enumerate(f[i][j - 1]):
                out[u + i] += k
            f[i][j] = out
    return f[m][n]


def shift_upper_bound(xs, ys, alpha=0.05):
    """A distribution-free upper bound, at confidence 1 - ALPHA, of how much
    larger the ys are than the xs (the shift of ys - xs, from the ranks:
    Mann-Whitney), or None when there are too few samples for it."""
    m, n = len(xs), len(ys)
    if not m or not n:
        return None
    counts = mw_counts(m, n)
    total = sum(counts)
    # The largest c with P(U <= c) <= alpha: the shift is below the
    # (c+1)th largest difference y - x with probability >= 1 - alpha.
    c, cum = -1, 0
    for u, k in enumerate(counts):
        cum += k
        if cum > alpha * total:
            break
        c = u
    if c < 0:
        return None
    d = sorted(y - x for x in xs for y in ys)
    return d[m * n - 1 - c]


def stack_bound(r):
    """95% upper bound of what 3 patches stacked on top add per call."""
    return shift_upper_bound(r.samples.get("calls_norm.patched1", []),
                             r.samples.get("calls_norm.patched4", []))


def fastest_vm(o, u, key):
    """The lowest per-boot median of KEY over every boot of O and U, or None
    if one of them lacks it."""
    v = [b.median(key) for r in (o, u) for b in r.boots]
    return None if not v or any(x is None for x in v) else min(v)


def build_table(ours, up, pairs):
    t = Table(ours, up, pairs)
    om, um = ours.median, up.median

    t.section("0. the same code in both VMs of each pair (how far the VMs' speed drifts; "
              "not a target)")
    for i, p in enumerate(pairs, 1):
        t.raw(f"pair {i}: twin burst, unpatched", "ns", "calls_twin.unpatched", runs=p)
        t.raw(f"pair {i}: plain hash lookup, 100000", "ns", "plain.get.100000", runs=p)

    t.section("1. ns per call of klp_bench_target(), loop included; the fastest target burst of "
              "each sample (" + ours.info.get("calls.bursts", "?") + ")")
    t.raw("unpatched", "ns", "calls.unpatched")
    t.raw("ftrace_ops that only redirects (floor)", "ns", "calls.ftrace_redirect")
    t.raw("patched, 1 patch, handler (ours: direct mode off)", "ns", "calls.patched1_handler")
    t.raw("patched, 1 patch", "ns", "calls.patched1")
    t.raw("patched, 2 stacked", "ns", "calls.patched2")
    t.raw("patched, 4 stacked", "ns", "calls.patched4")
    t.raw("transition in progress", "ns", "calls.transition")
    t.raw("unpatched again at the end", "ns", "calls.unpatched_after")
    t.raw("unpatched, mean of all bursts", "ns", "calls_mean.unpatched")
    t.raw("patched, 1 patch, mean of all bursts", "ns", "calls_mean.patched1")

    t.section("1b. the same, normalised: each sample x (fastest twin burst of the run / "
              "fastest twin burst of the sample)")
    t.raw("unpatched", "ns", "calls_norm.unpatched")
    t.raw("ftrace_ops that only redirects (floor)", "ns", "calls_norm.ftrace_redirect")
    t.raw("  the fastest floor sample", "ns", "calls_norm.floor")
    t.raw("patched, 1 patch, handler (ours: direct mode off)", "ns",
          "calls_norm.patched1_handler")
    t.raw("patched, 1 patch", "ns", "calls_norm.patched1")
    t.raw("patched, 4 stacked", "ns", "calls_norm.patched4")
    t.raw("transition in progress", "ns", "calls_norm.transition")

    ov_o, ov_u = over(ours, "patched1"), over(up, "patched1")
    t.derived("overhead, 1 patch", "ns", ov_o, ov_u, "<= 0.70x upstream",
              lambda o, u: both(lambda a, b: a <= 0.7 * b, over(o, "patched1"), over(u, "patched1")))
    # Upstream has no direct mode: its handler figure is its patched1.
    t.derived("overhead, 1 patch, handler (ours: direct mode off)", "ns",
              over(ours, "patched1_handler"), ov_u)
    t.derived("  of which the core: handler - fastest floor", "ns",
              over(ours, "patched1_handler", "floor"), over(up, "patched1", "floor"))
    t.derived("  of which ftrace: fastest floor - unpatched", "ns", over(ours, "floor"), over(up, "floor"))
    for n in (2, 4):
        t.derived(f"overhead, {n} stacked", "ns", over(ours, f"patched{n}"), over(up, f"patched{n}"))
    # No cost beyond the top entry: 3 more patches add at most 5% of the
    # 1-patch overhead, at 95% confidence. Ranges that merely overlap
    # show nothing either way, and too few samples bound nothing (NO DATA).
    t.derived("stacking: 4 stacked - 1 patch, medians", "ns",
              over(ours, "patched4", "patched1"), over(up, "patched4", "patched1"), show_ratio=False)
    t.derived("  95% upper bound of that (ranks of the samples)", "ns",
              stack_bound(ours), stack_bound(up), "<= 5% of overhead",
              lambda o, u: both(lambda b, ov: b <= 0.05 * ov, stack_bound(o), over(o, "patched1")),
              show_ratio=False)
    t.derived("overhead during a transition", "ns", over(ours, "transition"), over(up, "transition"))

    t.section("2. idle VM, livepatch-sample (printk: 'enabling patch' / marker -> '... complete'; "
              "freed: trace marker -> the core's module_put of the patch)")

    def fast(key):
        return lambda o, u: both(lambda a, b: a < 10 and b / a >= 20, o.median(key), u.median(key))

    t.raw("enable", "ms", "idle.enable", "<10 ms and >=20x faster", fast("idle.enable"))
    # Not a common endpoint: upstream detaches from ftrace before it
    # prints "unpatching complete", we after it. "freed" is.
    t.raw("disable -> unpatching complete (ours: before the ftrace detach)", "ms", "idle.disable")
    t.raw("disable, write of 0 -> patch freed", "ms", "idle.freed", "<10 ms and >=20x faster",
          fast("idle.freed"))
    t.raw("enable, insmod -> transition 0 (shell)", "ms", "idle.enable_wall")
    t.raw("disable, write -> transition 0 (shell)", "ms", "idle.disable_wall")
    t.raw("disable, write -> patch freed, refcnt 0 (shell)", "ms", "idle.release_wall")

    t.section("3. transition with many user threads (printk, freed as in 2; busy ones pinned to "
              "the last CPU; a transition still running after 30 s is cut short by stopping the load)")
    for key, what in (("sleep100", "100 sleeping"), ("sleep1000", "1,000 sleeping"),
                      ("sleep10000", "10,000 sleeping"), ("busy1000", "1,000 busy in getppid()")):
        for d, desc in (("enable", "enable"), ("disable", "disable -> unpatching complete"),
                        ("freed", "disable -> patch freed")):
            if key == "sleep10000" and d != "disable":
                t.raw(f"{what}: {desc}", "ms", f"{key}.{d}", "<200 ms",
                      lambda o, u, k=f"{key}.{d}": both(lambda a: a < 200, o.median(k)))
            else:
                t.raw(f"{what}: {desc}", "ms", f"{key}.{d}")

    t.section("4. CPU-bound kthread in a cond_resched() loop, livepatch-sample")
    t.raw("enable -> kthread switched", "ms", "spinner.switch")
    t.raw("enable -> patching complete", "ms", "spinner.enable")
    t.raw("disable -> kthread switched back", "ms", "spinner.switch_back")

    t.section("5. memory held by an enabled patch (kmem trace: live slab allocated under klp_*)")
    t.raw("slab, patch with 1 function", "bytes", "mem.slab_bytes.klp_bench_lp2")
    t.raw("slab, patch with 64 functions", "bytes", "mem.slab_bytes.klp_bench_lp64")
    t.raw("slab objects, 1 function", "objs", "mem.slab_objects.klp_bench_lp2")
    t.raw("slab objects, 64 functions", "objs", "mem.slab_objects.klp_bench_lp64")
    pf_o = both(lambda a, b: (a - b) / 63, om("mem.slab_bytes.klp_bench_lp64"),
                om("mem.slab_bytes.klp_bench_lp2"))
    pf_u = both(lambda a, b: (a - b) / 63, um("mem.slab_bytes.klp_bench_lp64"),
                um("mem.slab_bytes.klp_bench_lp2"))
    t.derived("slab per patched function (64-1)/63", "bytes", pf_o, pf_u)
    pp_o = both(lambda a, b: a - b, om("mem.slab_bytes.klp_bench_lp2"), pf_o)
    pp_u = both(lambda a, b: a - b, um("mem.slab_bytes.klp_bench_lp2"), pf_u)
    t.derived("slab per patch, without its function", "bytes", pp_o, pp_u)
    t.raw("vmalloc freed on disable, 64 functions", "KiB", "mem.vmalloc_kb.klp_bench_lp64")

    t.section("5. shadow variables vs a plain hash table (2^17 buckets), ns per operation, "
              "fastest batch (free_all: mean)")
    for n in (1000, 10000, 100000):
        t.raw(f"klp_shadow_get, {n} vars", "ns", f"shadow.get.{n}")
        t.raw(f"plain hash lookup, {n}", "ns", f"plain.get.{n}")
    t.raw("klp_shadow_get, 100000, mean of all batches", "ns", "shadow.get_mean.100000")
    t.raw("plain lookup, 100000, mean of all batches", "ns", "plain.get_mean.100000")
    for n in (1000, 100000):
        t.raw(f"klp_shadow_alloc, {n} vars", "ns", f"shadow.alloc.{n}")
    t.raw("plain insert, 100000", "ns", "plain.insert.100000")
    t.raw("klp_shadow_free_all, 100000 (per var)", "ns", "shadow.free.100000")
    for n in (10000, 100000):
        t.raw(f"klp_shadow_get, 1000 hot among {n} vars", "ns", f"shadow.get_hot.{n}")
        t.raw(f"plain hash lookup, 1000 hot among {n}", "ns", f"plain.get_hot.{n}")

    def growth(r, key):
        return both(lambda a, b: a / b, r.median(f"{key}.100000"), r.median(f"{key}.1000"))

    # Scattered over every variable, lookups grow with the memory they
    # touch (TCG's TLB): the plain table's growth is shown beside ours.
    t.derived("get, scattered: 100000 vars / 1000 vars", "x",
              growth(ours, "shadow.get"), growth(up, "shadow.get"))
    t.derived("plain lookup, scattered: 100000 / 1000", "x",
              growth(ours, "plain.get"), growth(up, "plain.get"))
    # The same 1000 variables looked up among more and more: what grows is
    # the table's own work.
    t.derived("get, hot 1000: 100000 vars / 1000 vars", "x", growth(ours, "shadow.get_hot"),
              growth(up, "shadow.get_hot"), "flat: <= 1.5x",
              lambda o, u: both(lambda a: a <= 1.5, growth(o, "shadow.get_hot")))
    vs_o = both(lambda a, b: a / b, om("shadow.get.100000"), om("plain.get.100000"))
    vs_u = both(lambda a, b: a / b, um("shadow.get.100000"), um("plain.get.100000"))
    t.derived("get / plain lookup of the same VM, 100000", "x", vs_o, vs_u)
    # The plain lookup is the same code in every VM: divided by the
    # fastest VM's, a baseline slow in our VM cannot flatter ours.
    def vs_fastest(r, o, u):
        return both(lambda a, b: a / b, r.median("shadow.get.100000"),
                    fastest_vm(o, u, "plain.get.100000"))

    t.derived("get / fastest VM's plain lookup, 100000", "x", vs_fastest(ours, ours, up),
              vs_fastest(up, ours, up), "< 2x",
              lambda o, u: both(lambda a: a < 2, vs_fastest(o, o, u)))

    t.section("6. insmod of an unrelated module (klp_bench_noop) in the "
              + ours.info.get("settle.window", "?") + " after a 200-function patch's transition; "
              "ours makes the 200 sites direct meanwhile")
    t.raw("insmod, no patch loaded", "ms", "settle.quiet")
    t.raw("  the slowest of each window", "ms", "settle.quiet_max")
    t.raw("insmod after the transition (ours: while settling)", "ms", "settle.insmod",
          "<= 1.5x upstream",
          lambda o, u: both(lambda a, b: a <= 1.5 * b, o.median("settle.insmod"),
                            u.median("settle.insmod")))
    t.raw("  the slowest of each window", "ms", "settle.insmod_max", "<= 2x upstream",
          lambda o, u: both(lambda a, b: a <= 2 * b, o.median("settle.insmod_max"),
                            u.median("settle.insmod_max")))

    t.section("7. fork() while livepatch-sample is enabled and disabled under "
              + ours.info.get("forks.tasks", "?") + " tasks (sleeping threads), us per fork; "
              "quiet: the same probe for 2 s without a transition")
    t.raw("slowest fork, quiet", "us", "forks.quiet_max")
    t.raw("slowest fork, during the transitions", "us", "forks.transition_max",
          "<= upstream",
          lambda o, u: both(lambda a, b: a <= b, o.median("forks.transition_max"),
                            u.median("forks.transition_max")))
    t.raw("99th percentile, during the transitions", "us", "forks.transition_p99")
    t.raw("median, during the transitions", "us", "forks.transition_median")
    return t


def first_word(text):
    return text.split()[0] if text and text.split() else ""


def clocksource_problems(boots):
    """Why the times of these VMs are not on one scale, or [].

    Every boot of both kernels must start and end on one clocksource
    (vm-bench.sh prints it at both ends): a VM on hpet or jiffies against
    one on tsc times its spans with another clock, at another resolution.
    """
    problems, seen = [], {}
    for r in boots:
        start = first_word(r.info.get("clocksource", ""))
        end = first_word(r.info.get("clocksource_end", ""))
        if not start:
            problems.append(f"{r.label} printed no clocksource line ({r.path})")
            continue
        if not end:
            problems.append(f"{r.label} printed no clocksource_end line: it did not finish ({r.path})")
            continue
        if start != end:
            problems.append(f"{r.label} changed clocksource during the run: {start} -> {end}")
        seen.setdefault(start, []).append(r.label)
    if len(seen) > 1:
        problems.append("the VMs ran on different clocksources: " +
                        "; ".join(f"{cs} ({', '.join(who)})" for cs, who in seen.items()))
    return problems


def header(args, boots):
    lines = [f"livepatch bench, run {args.run}: ours vs upstream 6.12 core, same config, same VM"]
    if args.quick:
        lines.append("QUICK MODE: few samples; these figures are not results")
    lines.append(f"  boot order: {args.order or 'not recorded'}")
    for vm in args.failed:
        lines.append(f"  VM FAILED: {vm} did not finish cleanly; its figures may be incomplete")
    for r in boots:
        lines.append(f"  {r.label:11s} kernel {r.info.get('kernel', '?')}; clocksource "
                     f"{r.info.get('clocksource', '?')} -> {r.info.get('clocksource_end', '?')}; "
                     f"{r.info.get('cpus', '?')} CPUs, HZ={r.info.get('hz', '?')}; idle guest: "
                     f"{r.info.get('idle.activity', '?')}; log {r.path}")
        boot = r.info.get("boot")
        if boot and first_word(boot).split("/")[0] != r.label.split("#")[1]:
            lines.append(f"  WARNING: the log given as {r.label} says it is boot {boot}")
        for e in ("clocksource", "clocksource_end"):
            cs = r.info.get(e, "")
            if cs.startswith("jiffies") or cs.startswith("refined-jiffies"):
                lines.append(f"  WARNING: {r.label} ran on a jiffies clocksource ({e}); "
                             "short figures are coarse")
    lines.append(f"  all booted with tsc_early_khz={args.tsc_khz} (host TSC rate)")
    if args.notes and os.path.exists(args.notes):
        with open(args.notes, encoding="utf-8") as f:
            lines.extend("  " + ln.rstrip() for ln in f if ln.strip())
    lines.append("  medians [min..max] over all boots of each kernel; ratio = ours median / "
                 "upstream median (lower is better for us)")
    lines.append(VERDICTS)
    return "\n".join(lines)


def plot(args, ours, up):
    """transition.png: enable/disable time against the number of tasks."""
    scen = ["idle", "sleep100", "sleep1000", "sleep10000"]
    dat = os.path.join(args.out, "transition.dat")
    blocks = []  # (title, number of points)

    def block(f, title, points):
        f.write(f"# {title}: tasks median min max\n")
        for p in points:
            f.write("%d %g %g %g\n" % p)
        f.write("\n\n")
        blocks.append((title, len(points)))

    def point(r, key, scenario):
        st, n = r.stats(key), r.tasks(scenario)
        return [(n, st[0], st[1], st[2])] if st and n else []

    with open(dat, "w", encoding="utf-8") as f:
        for name, r in (("ours", ours), ("upstream", up)):
            for d in ("enable", "disable"):
                block(f, f"{name}, {d}", [p for s in scen for p in point(r, f"{s}.{d}", s)])
            block(f, f"{name}, 1,000 busy threads",
                  [p for d in ("enable", "disable") for p in point(r, f"busy1000.{d}", "busy1000")])
    png = os.path.join(args.out, "transition.png")
    colours = {"ours": "#1f77b4", "upstream": "#d62728"}
    plots = []
    for i, (title, npoints) in enumerate(blocks):
        if not npoints:
            continue
        who = title.split(",")[0]
        if "busy" in title:
            style = f"with points pt 7 ps 1.5 lc rgb '{colours[who]}'"
        elif "disable" in title:
            style = f"with yerrorlines lw 2 dt 2 pt 6 lc rgb '{colours[who]}'"
        else:
            style = f"with yerrorlines lw 2 pt 7 lc rgb '{colours[who]}'"
        plots.append(f"'{dat}' index {i} using 1:2:3:4 {style} title '{title}'")
    if not plots:
        print("WARNING(bench): no transition figures to plot", file=sys.stderr)
        return None
    script = f"""
set terminal pngcairo size 1000,650 noenhanced font ',11'
set output '{png}'
set title 'livepatch-sample transition time vs tasks (run {args.run}; median, bars min..max)'
set xlabel 'tasks in the VM (idle, then +100, +1,000, +10,000 sleeping threads)'
set ylabel 'printk: start -> complete (ms)'
set logscale xy
set xrange [20:30000]
set grid xtics ytics mxtics mytics
set key outside right top
set format y '%g'
plot {", ".join(plots)}
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"WARNING(bench): gnuplot failed: {e}", file=sys.stderr)
        return None
    return png


def write(args, text):
    out = "\n".join(text) + "\n"
    sys.stdout.write(out)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.txt"), "w", encoding="utf-8") as f:
        f.write(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", action="append", required=True, help="log of boot I of ours (repeat)")
    ap.add_argument("--upstream", action="append", required=True,
                    help="log of boot I of upstream (repeat; as many as --ours)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--order", default="", help="the boot order, for the header")
    ap.add_argument("--failed", action="append", default=[], help="a VM that did not finish")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--notes", help="file of context lines for the header")
    ap.add_argument("--tsc-khz", default="?")
    args = ap.parse_args()
    if len(args.ours) != len(args.upstream):
        ap.error("give one --ours and one --upstream log per boot pair")

    ob = [Run(p, f"ours#{i}") for i, p in enumerate(args.ours, 1)]
    ub = [Run(p, f"pristine#{i}") for i, p in enumerate(args.upstream, 1)]
    ours, up = Run.pool("ours", ob), Run.pool("upstream", ub)
    for r in ob + ub + [ours, up]:
        prepare(r)

    text = [header(args, ob + ub), ""]
    problems = clocksource_problems(ob + ub)
    if problems:
        text.append("REFUSED: no comparison and no verdicts: the VMs did not all run on one "
                    "clocksource, so their times are not on one scale:")
        text.extend(f"  {p}" for p in problems)
        write(args, text)
        return 2

    table = build_table(ours, up, list(zip(ob, ub)))
    text.append(table.render())
    for r in ob + ub:
        for e in r.errors:
            text.append(f"ERROR({r.label}) {e}")
    if table.missing:
        text.append(f"no data for: {', '.join(table.missing)}")
    c = table.counts
    text.append(f"targets: {c['met']} met, {c['MISSED']} missed, {c['unconfirmed']} unconfirmed "
                f"(fewer than {MIN_PAIRS} boot pairs), {len(table.missing)} without data")
    write(args, text)
    png = plot(args, ours, up)
    if png:
        print(f"plot: {png}")
    return 1 if table.missing else 0


if __name__ == "__main__":
    sys.exit(main())
