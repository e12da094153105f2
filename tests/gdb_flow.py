#!/usr/bin/env python3
"""gdb_flow.py - the walkthrough's gdb session, in batch mode, against make
debug's QEMU stub: gdb must stop at _rt0_amd64, rt0_go, schedinit,
runtime_main and main_main, in that order, with kernel.elf's symbols. At
the end (machine_exit) it takes a screendump through gdb's monitor command
and checks that the framebuffer console drew the same run on screen.

Usage: tests/gdb_flow.py [--build-dir build]
Prints PASS/FAIL lines; exits non-zero on a failure.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qemu  # noqa: E402

FLOW = ["_rt0_amd64", "rt0_go", "schedinit", "runtime_main", "main_main"]
# Go's names a user breaks on; each must be a symbol of its own in kernel.elf
GO_NAMES = ["rt0_go", "schedinit", "procresize", "newproc", "newproc1", "runqput", "wakep",
            "mstart", "mstart1", "schedule", "findrunnable", "execute", "gogo", "runtime_main",
            "sysmon", "main_main"]
TEXT_GREY = (0xAA, 0xAA, 0xAA)      # kernel/fbcons.c's foreground colour


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gdb_script(port, screen):
    lines = ["set pagination off", "set confirm off",
             f"target remote 127.0.0.1:{port}",
             "hbreak _rt0_amd64_efi", "continue", "delete"]
    lines += [f"break {f}" for f in FLOW] + ["break machine_exit"]
    lines += ["continue"] * (len(FLOW) + 1)
    lines += ["info registers rip", f"monitor screendump {screen}", "kill", "quit"]
    return "\n".join(lines) + "\n"


def ap_script(port):
    """Stop in execute on the second CPU (gdb thread 2) and show its M."""
    return "\n".join([
        "set pagination off", "set confirm off",
        f"target remote 127.0.0.1:{port}",
        "hbreak _rt0_amd64_efi", "continue", "delete",
        "break execute if $_thread == 2", "continue",
        "info threads",
        'printf "AP-M id=%d cpu=%d\\n", ((struct m *)($gs_base - 8))->id, ((struct m *)($gs_base - 8))->cpu',
        "kill", "quit"]) + "\n"


def run_gdb(args, script_text, cfg, cmdline, tmp, timeout=240):
    script = os.path.join(tmp, "s.gdb")
    with open(script, "w") as f:
        f.write(script_text)
    with qemu.Instance(cfg, cmdline=cmdline) as inst:
        q = subprocess.Popen(inst.argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            return subprocess.run(["gdb", "-q", "-batch", "-x", script,
                                   os.path.join(args.build_dir, "kernel.elf")],
                                  capture_output=True, text=True, timeout=timeout).stdout
        finally:
            q.kill()
            q.wait()


def check_ap(args):
    """gdb breaking on execute on an AP shows that CPU's M."""
    with tempfile.TemporaryDirectory(prefix="rt-gdb-") as tmp:
        port = free_port()
        cfg = qemu.Config(smp=2, image=os.path.join(args.build_dir, "usb.img"),
                          serial="file:" + os.path.join(tmp, "serial.out"), gdb=port)
        out = run_gdb(args, ap_script(port), cfg, "test=sched:goroutines_on_every_cpu", tmp)
    m = re.search(r"^AP-M id=(\d+) cpu=(\d+)$", out, re.M)
    if m and m.group(2) == "1" and re.search(r"Thread 2 hit Breakpoint \d+, execute \(", out):
        print(f"PASS gdb-execute-on-ap: CPU 1 stopped in execute, its M is M{m.group(1)} (cpu={m.group(2)})")
        return 0
    print("FAIL gdb-execute-on-ap: no stop in execute on CPU 1 showing its M")
    print("    " + "\n    ".join(out.splitlines()[-30:]))
    return 1


def read_ppm(path):
    """(width, height, bytes) of a binary P6 PPM, as QEMU's screendump writes."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not m:
        raise ValueError("not a P6 PPM")
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, data[m.end():]


def text_rows(path):
    """Number of 16-pixel text rows that hold foreground-coloured pixels."""
    w, h, px = read_ppm(path)
    rows = set()
    grey = bytes(TEXT_GREY)
    for y in range(h):
        line = px[y * w * 3:(y + 1) * w * 3]
        if grey in line:
            rows.add(y // 16)
    return len(rows)


def check_entry(kernel):
    """readelf's entry point must be the address of _rt0_amd64_efi."""
    hdr = subprocess.run(["readelf", "-h", kernel], capture_output=True, text=True).stdout
    entry = int(re.search(r"Entry point address:\s+0x([0-9a-f]+)", hdr).group(1), 16)
    syms = subprocess.run(["nm", kernel], capture_output=True, text=True).stdout
    sym = int(re.search(r"^([0-9a-f]+) T _rt0_amd64_efi$", syms, re.M).group(1), 16)
    bad = 0
    if entry == sym:
        print(f"PASS elf-entry: entry point 0x{entry:x} is _rt0_amd64_efi")
    else:
        print(f"FAIL elf-entry: entry point 0x{entry:x}, _rt0_amd64_efi at 0x{sym:x}")
        bad += 1
    names = {line.split()[2] for line in syms.splitlines() if len(line.split()) == 3}
    missing = [n for n in GO_NAMES if n not in names]
    if missing:
        print(f"FAIL elf-symbols: missing {', '.join(missing)}")
        bad += 1
    else:
        print(f"PASS elf-symbols: {len(GO_NAMES)} of Go's scheduler names are functions in kernel.elf")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default="build")
    args = ap.parse_args()
    os.chdir(ROOT)
    port = free_port()
    failures = check_entry(os.path.join(args.build_dir, "kernel.elf"))
    with tempfile.TemporaryDirectory(prefix="rt-gdb-") as tmp:
        screen = os.path.join(tmp, "screen.ppm")
        script = os.path.join(tmp, "flow.gdb")
        with open(script, "w") as f:
            f.write(gdb_script(port, screen))
        cfg = qemu.Config(smp=1, image=os.path.join(args.build_dir, "usb.img"),
                          serial="file:" + os.path.join(tmp, "serial.out"), gdb=port)
        with qemu.Instance(cfg, cmdline="GODEBUG=inittrace=1") as inst:
            q = subprocess.Popen(inst.argv, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                out = subprocess.run(["gdb", "-q", "-batch", "-x", script,
                                      os.path.join(args.build_dir, "kernel.elf")],
                                     capture_output=True, text=True, timeout=240).stdout
            finally:
                q.kill()
                q.wait()
        stops = re.findall(r"^(?:Thread \d+ hit )?Breakpoint \d+, (?:0x[0-9a-f]+ in )?(\w+) \(", out, re.M)
        want = ["_rt0_amd64_efi"] + FLOW + ["machine_exit"]
        if stops == want:
            print(f"PASS gdb-startup-flow: stopped at {' -> '.join(stops)}")
        else:
            print(f"FAIL gdb-startup-flow: stops {stops}, want {want}")
            print("    " + "\n    ".join(out.splitlines()[-40:]))
            failures += 1
        try:
            n = text_rows(screen)
            if n >= 10:
                print(f"PASS framebuffer-console: {n} text rows drawn on screen")
                if os.environ.get("RT_KEEP_SCREEN"):
                    import shutil
                    shutil.copy(screen, os.environ["RT_KEEP_SCREEN"])
            else:
                print(f"FAIL framebuffer-console: only {n} text rows on screen")
                failures += 1
        except (OSError, ValueError) as e:
            print(f"FAIL framebuffer-console: no screendump ({e})")
            failures += 1
    failures += check_ap(args)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
