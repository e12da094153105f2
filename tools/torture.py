#!/usr/bin/env python3
"""torture.py - make torture: the torture program (apps/torture) for
DURATION seconds on each machine of a matrix of CPU models and CPU counts,
one QEMU after another, with a summary at the end.

    python3 tools/torture.py [--build-dir build] [--duration 60]
                             [--smp N[,N...]] [--cpu MODEL[,MODEL...]]
                             [--seed N] [--godebug SETTINGS] [--mem 512M]
                             [--args "round=R rounds=1 hang=S ..."]

The matrix (the CPU models of the harness's hardware matrix,
tests/README.md): -cpu max at -smp 1, 2 and 4, then qemu64 (xAPIC, FXSAVE,
no invariant TSC) at 2, Haswell at 4 and EPYC at 2. --smp N runs every
model at N CPUs; --cpu M runs M at 1, 2 and 4; both, the one machine.

Each run boots build/apps/torture/usb.img through tools/qemu.py with the
command line "duration=D seed=S GODEBUG=...": a seed of its own (--seed
for all) so that a failure can be replayed, and by default sysmon every
100 us preempting goroutines after 100 us (GODEBUG=sysmonperiod=100,
forcepreemptns=100000) so that preemption hits often. The guest's
progress lines are shown as they come, prefixed by the machine; each
console is kept in BUILD/torture/<cpu>-smp<N>.log. A run passes when the
guest ends with "N passed, 0 failed" and exit status 0; it is a HANG when
the guest reports one (no progress for 60 s), when its console stays
silent for 120 s (it prints a progress line every 10 s) or when it runs
past DURATION + 300 s. A hung machine is looked at before it is killed:
every goroutine, P and M and each CPU's stack (gdb with
tools/gdb/rt-gdb.py, through QEMU's gdb stub) and each CPU's local APIC
(QEMU's monitor: an interrupt left in service shows in ISR), into the
console log and on the terminal. Exits 0 if every run passed, 1 otherwise.
"""

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

MODELS = ["max", "qemu64", "Haswell", "EPYC"]
MATRIX = [("max", 1), ("max", 2), ("max", 4), ("qemu64", 2), ("Haswell", 4), ("EPYC", 2)]
GODEBUG = "sysmonperiod=100,forcepreemptns=100000"
MARGIN = 300            # seconds beyond the duration before QEMU is killed
SILENCE = 120           # seconds without console output that make a hang
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed$")
OPS_RE = re.compile(r"^torture: done after \d+ s: .*?, (\d+) ops:")
SHOW_RE = re.compile(r"^(torture: |\d+ passed, \d+ failed$|fatal error:|panic:|SCHED |exit status )")


def matrix(smps, cpus):
    if smps and cpus:
        return [(c, s) for c in cpus for s in smps]
    if smps:
        return [(c, s) for s in smps for c in MODELS]
    if cpus:
        return [(c, s) for c in cpus for s in (1, 2, 4)]
    return list(MATRIX)


class Result:
    def __init__(self, cpu, smp, seed):
        self.cpu, self.smp, self.seed = cpu, smp, seed
        self.passed = self.failed = self.ops = None
        self.verdict = "?"
        self.why = ""
        self.log = ""
        self.seconds = 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def monitor(path, commands):
    """Answers of QEMU's human monitor on a unix socket, one per command."""
    out = []
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(2)
            s.connect(path)

            def drain():
                data = b""
                try:
                    while True:
                        d = s.recv(65536)
                        if not d:
                            break
                        data += d
                except OSError:
                    pass
                return data.decode("utf-8", "replace")
            drain()
            for c in commands:
                s.sendall(c.encode() + b"\n")
                time.sleep(0.5)
                text = qemu.clean_console(drain())
                out.append("\n".join(l for l in text.splitlines() if l.strip() and "(qemu)" not in l
                                     and not l.startswith(c[:4])))
    except OSError as e:
        out.append(f"(monitor: {e})")
    return out


GDB_COMMANDS = ["info goroutines", "info ps", "info ms", "thread apply all bt 16"]


def diagnose(port, monsock, smp, elf):
    """What a hung guest is doing: gdb's view and the local APICs."""
    lines = []
    if shutil.which("gdb"):
        argv = ["gdb", "-batch", "-nx", "-ex", "set pagination off", "-ex", f"target remote 127.0.0.1:{port}",
                "-ex", f"source {os.path.join(ROOT, 'tools', 'gdb', 'rt-gdb.py')}"]
        for c in GDB_COMMANDS:
            argv += ["-ex", f"echo (gdb) {c}\\n", "-ex", c]
        try:
            r = subprocess.run(argv + [elf], capture_output=True, text=True, timeout=120,
                               stdin=subprocess.DEVNULL)
            lines += (r.stdout + r.stderr).splitlines()
        except subprocess.TimeoutExpired:
            lines.append("(gdb did not answer within 120 s)")
    else:
        lines.append("(no gdb: goroutines not shown)")
    for i, text in enumerate(monitor(monsock, [f"info lapic {c}" for c in range(smp)])):
        lines.append(f"(qemu) info lapic {i}")
        lines += [l for l in text.splitlines() if l.startswith(("ISR", "IRR", "APR", "Timer", "LVTT\t"))]
    return lines


def run_one(args, cpu, smp, seed, log_path):
    """Boot one machine; returns a Result."""
    res = Result(cpu, smp, seed)
    res.log = log_path
    label = f"[{cpu} smp={smp}]"
    words = [f"duration={args.duration}", f"seed={seed}"]
    if args.godebug:
        words.append(f"GODEBUG={args.godebug}")
    words += args.args.split()
    cfg = qemu.Config(cpu=cpu, smp=smp, mem=args.mem, boot="disk", image=args.image,
                      serial="stdio", extra=qemu.env_extra_args())
    lines, partial, nbytes = [], b"", 0
    hung = None                 # why the host decided the guest hangs
    diag = []
    t0 = time.monotonic()
    print(f"{label} boot: {' '.join(words)}", flush=True)
    with qemu.Instance(cfg, cmdline=" ".join(words)) as inst, open(log_path, "wb") as log:
        port, monsock = free_port(), os.path.join(inst.dir, "monitor.sock")
        argv = inst.argv + ["-gdb", f"tcp:127.0.0.1:{port}", "-monitor", f"unix:{monsock},server,nowait"]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        last = [time.monotonic()]
        done_ev = threading.Event()

        def watch():
            nonlocal hung, diag
            while not done_ev.wait(1):
                now = time.monotonic()
                why = None
                if now - t0 > args.duration + MARGIN:
                    why = f"no end after {args.duration + MARGIN} s"
                elif now - last[0] > SILENCE:
                    why = f"console silent for {SILENCE} s"
                if why:
                    hung = why
                    print(f"{label} HANG: {why}; looking at the guest before killing it", flush=True)
                    diag = diagnose(port, monsock, smp, os.path.join(os.path.dirname(args.image), "kernel.elf"))
                    proc.kill()
                    return
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            fd = proc.stdout.fileno()
            while True:
                data = os.read(fd, 65536)
                if not data:
                    break
                last[0] = time.monotonic()
                nbytes += len(data)
                log.write(data)
                log.flush()
                *done, partial = (partial + data).split(b"\n")
                for raw in done:
                    text = qemu.clean_console(raw.decode("utf-8", "replace")).rstrip()
                    lines.append(text)
                    if SHOW_RE.match(text):
                        print(f"{label} {text}", flush=True)
            rc = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            done_ev.set()
            watcher.join()
            proc.stdout.close()
            if diag:
                log.write(("\n--- torture.py: the hung guest ---\n" + "\n".join(diag) + "\n").encode())
    if partial:
        lines.append(qemu.clean_console(partial.decode("utf-8", "replace")).rstrip())
    res.seconds = time.monotonic() - t0

    for text in lines:
        m = SUMMARY_RE.match(text)
        if m:
            res.passed, res.failed = int(m.group(1)), int(m.group(2))
        m = OPS_RE.match(text)
        if m:
            res.ops = int(m.group(1))
    hang = any(t.startswith("torture: HANG") for t in lines)
    fatal = next((t for t in lines if t.startswith(("fatal error:", "panic:"))), None)
    printed = qemu.printed_exit_status("\n".join(lines))
    kind, n = qemu.interpret_status(rc, printed, nbytes)
    if hung:
        res.verdict, res.why = "HANG", f"{hung}; QEMU killed"
    elif hang:
        res.verdict, res.why = "HANG", "the guest saw no progress: " + (fatal or "")
    elif kind == "exit" and n == 0 and res.failed == 0:
        res.verdict = "PASS"
    elif kind == "exit" and res.failed and not fatal:
        res.verdict, res.why = "FAIL", f"{res.failed} round(s) failed"
    elif kind == "exit":
        res.verdict, res.why = "CRASH", fatal or f"exit status {n}"
    elif kind == "reset":
        res.verdict, res.why = "CRASH", "reset or triple fault"
    else:
        res.verdict, res.why = "ERROR", f"QEMU failed (status {n})"
    if res.verdict != "PASS":
        print(f"{label} {res.verdict}: {res.why}; console: {log_path}", flush=True)
        for text in lines[-40:]:
            print(f"{label}   | {text}", flush=True)
        if diag:
            print(f"{label} the hung guest:", flush=True)
            for text in diag:
                print(f"{label}   | {text}", flush=True)
        print(f"{label} replay: make torture DURATION={args.duration} SMP={smp} CPU={cpu} SEED={seed}"
              f"{' GODEBUG=' + args.godebug if args.godebug != GODEBUG else ''}"
              f" (TORTURE_ARGS=round=R starts at a failed round R)", flush=True)
    return res


def intlist(s):
    return [int(x) for x in s.split(",") if x]


def main(argv=None):
    p = argparse.ArgumentParser(prog="torture.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default="build")
    p.add_argument("--image", help="default: BUILD/apps/torture/usb.img")
    p.add_argument("--duration", type=int, default=60, help="seconds per machine (default %(default)s)")
    p.add_argument("--smp", type=intlist, help="CPU counts, comma-separated")
    p.add_argument("--cpu", type=lambda s: [x for x in s.split(",") if x], help="CPU models, comma-separated")
    p.add_argument("--seed", type=int, help="the same seed for every run (default: one each, at random)")
    p.add_argument("--godebug", default=GODEBUG, help="GODEBUG for the guest (default %(default)s)")
    p.add_argument("--mem", default="512M")
    p.add_argument("--args", default="", help="more words for the guest's command line (round=R, rounds=N, hang=S)")
    args = p.parse_args(argv)
    args.image = args.image or os.path.join(args.build_dir, "apps", "torture", "usb.img")
    logdir = os.path.join(args.build_dir, "torture")
    os.makedirs(logdir, exist_ok=True)

    runs = matrix(args.smp, args.cpu)
    print(f"torture.py: {len(runs)} machine(s), {args.duration} s each, GODEBUG={args.godebug}", flush=True)
    results = []
    start = time.monotonic()
    for cpu, smp in runs:
        seed = args.seed if args.seed is not None else random.getrandbits(63)
        log_path = os.path.join(logdir, f"{cpu}-smp{smp}.log")
        try:
            results.append(run_one(args, cpu, smp, seed, log_path))
        except qemu.SetupError as e:
            print(f"torture.py: {e}", file=sys.stderr)
            return 1

    print(f"\ntorture summary: {args.duration} s per machine, GODEBUG={args.godebug}, "
          f"{time.monotonic() - start:.0f} s in all")
    print(f"  {'cpu':<8} {'smp':>3}  {'seed':<20} {'rounds':>6} {'passed':>6} {'failed':>6} {'ops':>9}  result")
    for r in results:
        def f(x):
            return "-" if x is None else str(x)
        rounds = None if r.passed is None else r.passed + r.failed
        print(f"  {r.cpu:<8} {r.smp:>3}  {r.seed:<20} {f(rounds):>6} {f(r.passed):>6} {f(r.failed):>6} "
              f"{f(r.ops):>9}  {r.verdict}{'  ' + r.why if r.why else ''}")
    bad = [r for r in results if r.verdict != "PASS"]
    print(f"{len(results) - len(bad)} passed, {len(bad)} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ntorture.py: interrupted", file=sys.stderr)
        sys.exit(130)
