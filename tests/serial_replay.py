#!/usr/bin/env python3
"""serial_replay.py - tests/run --serial against a fake real machine.

A pseudo-terminal stands in for the USB-serial adapter: this script plays
a recorded console of a `test=all` boot (tests/harness/fixtures/
serial-all.log, captured from this kernel) into the pty's master at about
115200 baud while `tests/run --serial <pty>` reads the other end, exactly
as it reads a real port. Three runs:

  clean      the recording as it is: every suite passes, exit 0;
  wrong      one subtest's `ok` turned into `not ok`: that case fails;
  cut        the recording stops in the middle of a suite and the line
             stays silent: that suite is reported hung, the ones after it
             missing, and the run fails.

Usage: tests/serial_replay.py [--build-dir build] [--record]
  --record   boot QEMU with test=all and write a new recording first
"""

import argparse
import os
import re
import subprocess
import sys
import threading
import time
import tty

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FIXTURE = os.path.join(HERE, "harness", "fixtures", "serial-all.log")
BYTES_PER_S = 11520     # 115200 baud, 8N1


def play(master, data, stop_after=None):
    """Write `data` into the pty master at line speed (in a thread)."""
    def run():
        time.sleep(1.5)     # let the harness open its end first
        chunk = 256
        for i in range(0, len(data), chunk):
            os.write(master, data[i:i + chunk])
            time.sleep(chunk / BYTES_PER_S)
        if stop_after is not None:
            time.sleep(stop_after)  # a machine that went silent
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def run_harness(build_dir, data, timeout, stop_after=None):
    master, slave = os.openpty()
    tty.setraw(slave)
    name = os.ttyname(slave)
    player = play(master, data, stop_after)
    proc = subprocess.run(
        [sys.executable, os.path.join(HERE, "run"), "--build-dir", build_dir,
         "--serial", name, "--baud", "115200", "--timeout", str(timeout),
         "--junit", os.path.join(build_dir, "serial-replay.xml")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout + 60)
    player.join()
    os.close(slave)
    os.close(master)
    return proc.returncode, proc.stdout


def record(build_dir):
    out = subprocess.run(
        [sys.executable, os.path.join(REPO, "tools", "qemu.py"), "--image",
         os.path.join(build_dir, "usb.img"), "--cmdline", "test=all", "--smp", "4", "--mem", "1G"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=600)
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, "wb") as f:
        f.write(out.stdout)
    print(f"recorded {len(out.stdout)} bytes into {os.path.relpath(FIXTURE)} (QEMU status {out.returncode})")


def expect(name, ok, rc, out, why):
    if ok:
        print(f"PASS serial-replay-{name}: {why}")
        return True
    print(f"FAIL serial-replay-{name}: {why}; tests/run exited {rc}; its output:")
    print("\n".join("    " + l for l in out.splitlines()[-40:]))
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    if args.record:
        record(args.build_dir)
    with open(FIXTURE, "rb") as f:
        data = f.read()
    text = data.decode("utf-8", "replace")
    nsuites = len(re.findall(r"^# Subtest: ", text, re.M))
    good = True

    rc, out = run_harness(args.build_dir, data, 60)
    last = out.strip().splitlines()[-1] if out.strip() else ""
    m = re.search(r"^serial: (\d+) suite\(s\) from one boot", out, re.M)
    judged = int(m.group(1)) if m else -1
    good &= expect("clean", rc == 0 and re.match(r"^\d+ passed, 0 failed", last)
                   and 0 < judged <= nsuites and len(re.findall(r"^PASS ", out, re.M)) == judged,
                   rc, out, f"{judged} of the {nsuites} recorded suites have cases; {last}")

    # a subtest that fails on the real machine
    m = re.search(rb"^ok (\d+) (\w+)\r?$", data, re.M)
    wrong = data[:m.start()] + b"not " + data[m.start():]
    rc, out = run_harness(args.build_dir, wrong, 60)
    sub = m.group(2).decode()
    good &= expect("wrong", rc == 1 and re.search(rf"^FAIL .*1 subtest\(s\) failed: {sub}$", out, re.M)
                   and re.search(rf"^\s+not ok \d+ {sub}", out, re.M),
                   rc, out, f"the planted `not ok {m.group(1).decode()} {sub}` is a failure")

    # the machine stops talking in the middle of its third suite
    marks = [mm.start() for mm in re.finditer(rb"^# Subtest: ", data, re.M)]
    cut = data[:marks[2] + (marks[3] - marks[2]) // 2] if len(marks) > 3 else data[:len(data) // 2]
    rc, out = run_harness(args.build_dir, cut, 8, stop_after=10)
    good &= expect("cut", rc == 1 and re.search(r"^FAIL .*hang \(no more output", out, re.M)
                   and re.search(r"not in the serial log \(the run timed out before it\)", out),
                   rc, out, "a silent machine is a hang in its suite, the later suites missing")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
