#!/usr/bin/env python3
"""bench_compare.py - make bench-compare: the rtbench workloads on Go on
Linux (the anchor) and on this runtime, side by side.

    python3 tools/bench_compare.py [--build-dir build] [--smp 2] [--runs 3]
                                   [--anchor PATH] [--write docs/performance.md]

Runs the anchor's run.sh (default ../shared/anchors/go-linux/run.sh beside
the repository, or $ANCHOR) and tools/bench.py alternately, anchor first,
--runs times each (A B A B A B), so that a slow spell of the host falls on
both. Then prints, per workload, the median and min-max of each side and
the ratio of the medians, ours/Go. Every run's output is kept in
BUILD/bench/compare-<date>/. --write also writes the table, with the date,
QEMU version, host CPU and the commit measured, as a Markdown page.

Exits 1 if a run failed or a workload has no figure on either side.
"""

import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

ROOT = bench.ROOT
DEFAULT_ANCHOR = os.path.join(os.path.dirname(ROOT), "shared", "anchors", "go-linux", "run.sh")
# The precision each workload prints with (SPEC.md's units).
PRECISION = {"parallel": 2, "sleep": 1}
BETTER_HIGHER = {"parallel"}


def run_one(argv, out_path, label):
    """Run argv with stdout to out_path; stderr passes through, indented.
    Returns (exit status, stdout text, seconds)."""
    t0 = time.monotonic()
    with open(out_path, "w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                text=True, cwd=ROOT)
        for line in proc.stderr:
            print(f"    {label}: {line.rstrip()}", file=sys.stderr, flush=True)
        rc = proc.wait()
    with open(out_path) as f:
        text = f.read()
    return rc, text, time.monotonic() - t0


def parse(text):
    """(header line or None, {name: value}) from one run's output."""
    head, values = None, {}
    for line in text.splitlines():
        if line.startswith("# ") and head is None and ("anchor:" in line or line.startswith("# rt:")):
            head = line
        m = bench.LINE_RE.match(line)
        if m:
            values[m.group(1)] = float(m.group(2))
    return head, values


def header_field(head, key):
    """The value of key=... in a header line (quoted or not), or "?"."""
    m = re.search(rf'\b{re.escape(key)}=("([^"]*)"|\S+)', head or "")
    if not m:
        return "?"
    return m.group(2) if m.group(2) is not None else m.group(1)


def fmt(name, v):
    return "—" if v is None else f"{v:.{PRECISION.get(name, 0)}f}"


def summary(name, vals):
    """'median (min–max)' of a list of values, or '—'."""
    if not vals:
        return "—"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt(name, med)
    return f"{fmt(name, med)} ({fmt(name, min(vals))}–{fmt(name, max(vals))})"


def table(go, ours):
    """Markdown table rows: workload, unit, Go, ours, ours/Go."""
    rows = [("workload", "unit", "Go median (min–max)", "ours median (min–max)", "ours/Go")]
    units = {"spawn": "ns", "yield": "ns", "pingpong1": "ns", "pingpong2": "ns", "skynet": "ms",
             "threadring": "ms", "parallel": "x", "sleep": "µs", "stackmem": "bytes",
             "startup": "µs", bench.FLOOR: "ns"}
    for name in bench.ALL:
        g, o = go.get(name, []), ours.get(name, [])
        ratio = "—"
        if g and o and statistics.median(g) != 0:
            ratio = f"{statistics.median(o) / statistics.median(g):.2f}"
        rows.append((name, units[name], summary(name, g), summary(name, o), ratio))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def line(r):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    out = [line(rows[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows[1:]]
    return out


def loadavg():
    """The host's 1-minute load average: other work on the host shows up in
    every figure under TCG, so the page records it."""
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except OSError:
        return "?"


KEEP_FROM = "## Where the time goes"


def write_page(path, lines, meta):
    text = [
        "# Performance: rtbench against Go on Linux",
        "",
        "The ten workloads of `../shared/bench/SPEC.md`, measured by `make bench-compare"
        " WRITE=1` (`tools/bench_compare.py`): Go on a Linux kernel (the anchor,"
        " `../shared/anchors/go-linux/run.sh`) and this runtime (`apps/bench`, run by"
        " `tools/bench.py`), each booted in QEMU with"
        f" `-machine q35 -accel tcg -cpu max -m 1G -smp {meta['smp']}`, alternately,"
        f" {meta['runs']} time{'s' if meta['runs'] != 1 else ''} each. Absolute times under"
        " TCG say little; the ratio of the medians does. For `parallel`, a speedup, higher"
        " is better; for every other workload lower is.",
        "",
        "Where the two sides measure differently: `startup` is, for Go, the median of 20"
        " fork+exec+exit+wait of a program whose main returns at once; here, one reading"
        " per boot of `nanotime()` on `main_main`'s first line, i.e. from `_rt0_amd64_efi`'s"
        " first instruction. `stackmem` counts Go's stack, heap, span, GC and other runtime"
        " memory; here `stack_inuse + heap_inuse + pagetables` of `read_memstats`."
        " `switch-floor` is ours alone: two bare contexts swapping the registers `gogo` and"
        " `mcall` move, with no scheduler, the floor under `yield`.",
        "",
        f"- date: {meta['date']}",
        f"- commit measured: {meta['commit']}",
        f"- QEMU: {meta['qemu']}",
        f"- host CPU: {meta['cpu']} ({meta['ncpu']} CPUs), load average {meta['load']}",
        f"- anchor: Go {meta['go']}, Linux {meta['kernel']}, guest clock source {meta['clock']}",
        "",
    ] + lines + [""]
    if meta["notes"]:
        text += ["Notes from this measurement:", ""] + [f"- {n}" for n in meta["notes"]] + [""]
    # the hand-written part below the table (hot paths, scaling, targets)
    # survives a new measurement
    kept = ""
    try:
        with open(path) as f:
            old = f.read()
        at = old.find("\n" + KEEP_FROM)
        if at >= 0:
            kept = old[at + 1:]
    except OSError:
        pass
    with open(path, "w") as f:
        f.write("\n".join(text) + ("\n" + kept if kept else ""))


def main(argv=None):
    p = argparse.ArgumentParser(prog="bench_compare.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default="build")
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--anchor", default=os.environ.get("ANCHOR") or DEFAULT_ANCHOR,
                   help="the anchor's run.sh (default: $ANCHOR, else %(default)s)")
    p.add_argument("--write", metavar="FILE", help="write the table as a Markdown page")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error("--runs must be at least 1")
    if not os.path.isfile(args.anchor):
        print(f"bench_compare.py: {args.anchor}: no such file (ANCHOR=path/to/run.sh)", file=sys.stderr)
        return 1

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    outdir = os.path.join(args.build_dir, "bench", f"compare-{stamp}")
    os.makedirs(outdir, exist_ok=True)
    commit = bench.commit()
    sides = {
        "go": ["bash", os.path.abspath(args.anchor), "--smp", str(args.smp)],
        "ours": [sys.executable, os.path.join(ROOT, "tools", "bench.py"),
                 "--build-dir", os.path.abspath(args.build_dir), "--smp", str(args.smp)],
    }
    values = {"go": {}, "ours": {}}
    heads = {"go": [], "ours": []}
    failures = []
    total = 2 * args.runs
    step = 0
    start = time.monotonic()
    load_before = loadavg()
    for run in range(1, args.runs + 1):
        for side in ("go", "ours"):
            step += 1
            label = "Go anchor" if side == "go" else "ours"
            print(f"bench-compare: [{step}/{total}] {label}, run {run} of {args.runs} ...",
                  file=sys.stderr, flush=True)
            out_path = os.path.join(outdir, f"{side}-{run}.txt")
            rc, text, secs = run_one(sides[side], out_path, side)
            head, vals = parse(text)
            if head:
                heads[side].append(head)
            for name, v in vals.items():
                values[side].setdefault(name, []).append(v)
            status = "ok" if rc == 0 else f"FAILED (exit status {rc})"
            print(f"bench-compare: [{step}/{total}] {label}, run {run}: {secs:.0f} s, "
                  f"{len(vals)} figures, {status}; output: {out_path}", file=sys.stderr, flush=True)
            if rc != 0:
                failures.append(f"{label} run {run} exited {rc} (output: {out_path})")

    lines = table(values["go"], values["ours"])
    print()
    load = f"{load_before} at the start, {loadavg()} at the end"
    print(f"# rtbench, {args.runs} run{'s' if args.runs != 1 else ''} each, -smp {args.smp}, commit {commit}; "
          f"{time.monotonic() - start:.0f} s; host load average {load}")
    for line in lines:
        print(line)
    for name in bench.NAMES:
        for side in ("go", "ours"):
            if not values[side].get(name):
                failures.append(f"{name}: no figure from {'the Go anchor' if side == 'go' else 'ours'}")

    if args.write:
        first_go = heads["go"][0] if heads["go"] else None
        # the guest kernel picks its clock at each boot; run 1 may differ from run 3
        clocks = ", ".join(sorted({header_field(h, "guest-clocksource") for h in heads["go"]} - {"?"})) or "?"
        meta = {
            "smp": args.smp, "runs": args.runs, "commit": commit,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "qemu": bench.qemu_version(), "cpu": bench.host_cpu(), "ncpu": os.cpu_count(),
            "go": header_field(first_go, "go"), "kernel": header_field(first_go, "kernel"),
            "clock": clocks, "notes": failures,
            "load": load,
        }
        write_page(args.write, lines, meta)
        print(f"bench-compare: wrote {args.write}", file=sys.stderr)
    for f in failures:
        print(f"bench_compare.py: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nbench_compare.py: interrupted", file=sys.stderr)
        sys.exit(130)
