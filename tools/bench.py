#!/usr/bin/env python3
"""bench.py - make bench: the rtbench workloads (../shared/bench/SPEC.md) on
this runtime, in the anchor's QEMU configuration.

    python3 tools/bench.py [--build-dir build] [--smp N] [--only NAME]
                           [--results FILE]

Boots build/apps/bench/usb.img (apps/bench) through OVMF in QEMU with
-machine q35 -accel tcg -cpu max -m 1G -smp N (tools/qemu.py builds the
command) and prints a "# rt: ..." header, then the guest's BENCH lines and
"# " notes as they come, then "BENCH done". Two boots: the first eight
workloads in one; stackmem, startup and switch-floor in another, stackmem
first, because it must count new goroutines and a runtime that has run
goroutines before keeps their g's and stacks for reuse (Go's bench.go runs
it in a fresh process for the same reason). --only NAME boots once for
that workload alone.

Exits 1 if a boot fails or times out, a workload's line is missing or
malformed, or a check value is wrong; each console is kept in
BUILD/bench/console-N.log.
"""

import argparse
import datetime
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

NAMES = ["spawn", "yield", "pingpong1", "pingpong2", "skynet", "threadring",
         "parallel", "sleep", "stackmem", "startup"]
FLOOR = "switch-floor"
ALL = NAMES + [FLOOR]
BOOTS = [NAMES[:8], ["stackmem", "startup", FLOOR]]
CHECKS = {"skynet": "499999500000", "threadring": "37", "parallel": "196418"}
LINE_RE = re.compile(r"^BENCH (\S+) (-?[0-9]+(?:\.[0-9]+)?) ([a-z]+)(?: check=(-?[0-9]+))?$")
# Under TCG the eight-workload boot takes about a minute here; a hung
# guest must not hold make for long beyond that.
BOOT_TIMEOUT = 240

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def qemu_version():
    try:
        out = subprocess.run([qemu.QEMU, "--version"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return "?"
    m = re.search(r"version (\S+)", out)
    return m.group(1) if m else "?"


def host_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def commit():
    """The short hash of HEAD, with -dirty when the tree differs from it:
    figures from uncommitted code must not pass for the commit's."""
    def git(*args):
        return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
    r = git("rev-parse", "--short", "HEAD")
    if r.returncode != 0:
        return "?"
    dirty = git("status", "--porcelain", "--untracked-files=normal").stdout.strip()
    return r.stdout.strip() + ("-dirty" if dirty else "")


def header(smp):
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
    return (f"# rt: qemu={qemu_version()} smp={smp} commit={commit()} "
            f"host-cpu=\"{host_cpu()}\" date={date}")


def boot(image, smp, words, log_path, emit):
    """Boot the bench image with `words` as its command line; pass each
    BENCH or "# " line to emit() as it arrives. Returns (lines, error)."""
    cfg = qemu.Config(machine="q35", cpu="max", smp=smp, mem="1G", boot="disk",
                      image=image, serial="stdio", extra=["-accel", "tcg"])
    lines, partial, nbytes = [], b"", 0
    timed_out = threading.Event()
    with qemu.Instance(cfg, cmdline=" ".join(words)) as inst, open(log_path, "wb") as log:
        proc = subprocess.Popen(inst.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)

        def expire():
            timed_out.set()
            proc.kill()
        timer = threading.Timer(BOOT_TIMEOUT, expire)
        timer.start()
        try:
            fd = proc.stdout.fileno()
            while True:
                data = os.read(fd, 65536)
                if not data:
                    break
                nbytes += len(data)
                log.write(data)
                log.flush()
                *done, partial = (partial + data).split(b"\n")
                for raw in done:
                    text = qemu.clean_console(raw.decode("utf-8", "replace")).rstrip()
                    lines.append(text)
                    if text.startswith(("BENCH ", "# ", "benchtrace: ")):
                        emit(text)
            rc = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
            proc.stdout.close()
    if partial:
        lines.append(qemu.clean_console(partial.decode("utf-8", "replace")).rstrip())
    if timed_out.is_set():
        return lines, f"no end after {BOOT_TIMEOUT} s"
    printed = qemu.printed_exit_status("\n".join(lines))
    kind, n = qemu.interpret_status(rc, printed, nbytes)
    if kind == "exit" and n == 0:
        return lines, None
    if kind == "exit":
        return lines, f"the guest ended with exit status {n}"
    if kind == "reset":
        return lines, "the machine reset without an exit status"
    return lines, f"QEMU failed (status {n})"


def check_results(lines, expect):
    """Error messages for the workloads in `expect` whose line is missing,
    malformed or carries a wrong check value."""
    errors = []
    found = {}
    for text in lines:
        if text.startswith("BENCH ") and text != "BENCH done":
            name = text.split()[1]
            found.setdefault(name, text)
    for name in expect:
        line = found.get(name)
        m = LINE_RE.match(line) if line else None
        if not m:
            errors.append(f"no valid result line for {name}" + (f": {line!r}" if line else ""))
        elif name in CHECKS and m.group(4) != CHECKS[name]:
            errors.append(f"{name}: check={m.group(4)}, want {CHECKS[name]}")
    return errors


def main(argv=None):
    p = argparse.ArgumentParser(prog="bench.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default="build")
    p.add_argument("--image", help="default: BUILD/apps/bench/usb.img")
    p.add_argument("--smp", type=int, default=2, help="guest CPUs (default %(default)s)")
    p.add_argument("--only", metavar="NAME", choices=ALL, help="run this workload alone")
    p.add_argument("--results", metavar="FILE", help="also write the output lines here")
    p.add_argument("--trace", action="store_true",
                   help="boot with GODEBUG=benchtrace=1: the scheduler's cycles per phase, "
                        "printed at the end of each boot (use with --only)")
    args = p.parse_args(argv)

    image = args.image or os.path.join(args.build_dir, "apps", "bench", "usb.img")
    logdir = os.path.join(args.build_dir, "bench")
    os.makedirs(logdir, exist_ok=True)
    boots = [[args.only]] if args.only else BOOTS
    expect = [w for words in boots for w in words]

    out = []

    def emit(text):
        out.append(text)
        print(text, flush=True)

    emit(header(args.smp))
    start = time.monotonic()
    errors, lines = [], []
    for i, words in enumerate(boots, 1):
        log_path = os.path.join(logdir, f"console-{i}.log")
        t0 = time.monotonic()
        try:
            got, err = boot(image, args.smp, words + (["GODEBUG=benchtrace=1"] if args.trace else []),
                            log_path, emit)
        except qemu.SetupError as e:
            print(f"bench.py: {e}", file=sys.stderr)
            return 1
        print(f"bench.py: boot {i} ({' '.join(words)}): {time.monotonic() - t0:.0f} s",
              file=sys.stderr, flush=True)
        lines += got
        if err:
            errors.append(f"boot {i} ({' '.join(words)}): {err}; console: {log_path}")
            for text in got[-15:]:
                print(f"  | {text}", file=sys.stderr)
    errors += check_results(lines, expect)
    emit("BENCH done")
    print(f"bench.py: {time.monotonic() - start:.0f} s in all", file=sys.stderr, flush=True)
    if args.results:
        with open(args.results, "w") as f:
            f.write("\n".join(out) + "\n")
    for e in errors:
        print(f"bench.py: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nbench.py: interrupted", file=sys.stderr)
        sys.exit(130)
