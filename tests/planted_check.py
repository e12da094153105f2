#!/usr/bin/env python3
"""planted_check.py - the harness against failures planted on purpose.

Runs tests/run on tests/planted.py (a wrong KTAP result, a hang, a triple
fault) and checks that the run fails and that each case is reported as
what it is, with the console's tail. Usage: tests/planted_check.py [--build-dir DIR]
"""

import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

EXPECT = {
    "planted-wrong-ktap": r"1 subtest\(s\) failed: planted_failure",
    "planted-hang": r"hang \(killed after 45 s\)",
    "planted-triplefault": r"crash \(reset or triple fault\)",
}
TAIL = {
    "planted-wrong-ktap": r"not ok 2 planted_failure",
    "planted-hang": r"ok 1 passes",
    "planted-triplefault": r"planted: loading an empty IDT and trapping",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(os.path.dirname(HERE), "build"))
    args = ap.parse_args()
    proc = subprocess.run([sys.executable, os.path.join(HERE, "run"), "--build-dir", args.build_dir,
                           "--cases", os.path.join(HERE, "planted.py"), "-j", "3"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout
    blocks = re.split(r"^(?=(?:PASS|FAIL) )", out, flags=re.M)
    good = proc.returncode == 1
    if not good:
        print(f"FAIL planted: tests/run exited {proc.returncode}, expected 1 (failures)")
    for name, why in EXPECT.items():
        block = next((b for b in blocks if b.startswith(f"FAIL {name} ")), None)
        if block is None:
            print(f"FAIL planted: {name} not reported as a failure")
            good = False
        elif not re.search(why, block.splitlines()[0]):
            print(f"FAIL planted: {name} reported as {block.splitlines()[0]!r}, expected /{why}/")
            good = False
        elif not re.search(r"console, last \d+ lines", block) or not re.search(TAIL[name], block):
            print(f"FAIL planted: {name}: no console tail showing /{TAIL[name]}/")
            good = False
        else:
            print(f"PASS planted: {block.splitlines()[0]}")
    if not good:
        print("\n".join("    " + l for l in out.splitlines()))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
