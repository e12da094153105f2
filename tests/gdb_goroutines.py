#!/usr/bin/env python3
"""gdb_goroutines.py - tools/gdb/rt-gdb.py's commands against a live
kernel, in one QEMU boot with two CPUs running test=gdbpark
(tests/kernel/gdb_test.c), in batch mode like tests/gdb_flow.py.

At gdbpark_ready (100 goroutines parked on a channel receive, main
running): `info goroutines` lists 101 program goroutines with those states
and bgsweep as a system one; `goroutine N bt` walks a parked one's frames
down to the function that parked; `goroutine N CMD` leaves the registers
as it found them; `info ps` and `info ms` show a line per P and per M.
At gdbpark_spinning (one more goroutine spins on the other CPU): two
goroutines run, on different CPUs, and the spinner's backtrace comes from
its CPU's thread. Then the program must still end with exit status 0.

Usage: tests/gdb_goroutines.py [--build-dir build]
Prints PASS/FAIL lines; exits non-zero on a failure.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qemu  # noqa: E402

NPARKED = 100
SMP = 2
# asyncpreemptoff: gdb must not catch the spinner or main mid-preemption
CMDLINE = "test=gdbpark GODEBUG=asyncpreemptoff=1"
REGS = "info registers rip rsp rbp rbx r12 r13 r14 r15"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gdb_script(port):
    def section(name, *cmds):
        return [f"echo @@{name}\\n", *cmds]
    lines = ["set pagination off", "set confirm off",
             "source tools/gdb/rt-gdb.py",
             f"target remote 127.0.0.1:{port}",
             "hbreak _rt0_amd64_efi", "continue", "delete",
             "break gdbpark_ready", "break gdbpark_spinning", "continue",
             "set $parked = parkers[0]->goid"]
    lines += section("parked-id", 'printf "%d\\n", $parked')
    lines += section("goroutines", "info goroutines")
    lines += section("bt-parked", "goroutine $parked bt")
    lines += section("bt-main", "goroutine 1 bt")
    lines += section("regs-before", REGS)
    lines += section("frame-parked", "goroutine $parked info frame")
    lines += section("regs-after", REGS)
    lines += section("all", "goroutine all bt 1")
    lines += section("ps", "info ps")
    lines += section("ms", "info ms")
    lines += ["continue", "set $spinner = spinner->goid"]
    lines += section("spinner-id", 'printf "%d\\n", $spinner')
    lines += section("goroutines2", "info goroutines")
    lines += section("bt-spinner", "goroutine $spinner bt")
    lines += section("ps2", "info ps")
    lines += section("ms2", "info ms")
    lines += section("end", "delete", "continue")
    return "\n".join(lines) + "\n"


def sections(out):
    """{name: text} of the output between the @@name markers."""
    parts = re.split(r"^@@([\w-]+)\n", out, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


ROW_RE = re.compile(r"^([* ])\s+(\d+)\s+(\w+)\s+(.*)$")


def goroutine_rows(text):
    """[(mark, id, status, rest of line)] of `info goroutines`."""
    return [(m.group(1), int(m.group(2)), m.group(3), m.group(4))
            for m in map(ROW_RE.match, text.splitlines()) if m]


def table_rows(text, first):
    """Rows of an `info ps`/`info ms` table: cells, leading mark kept."""
    rows = []
    for line in text.splitlines():
        if line.strip().startswith(first) or not re.match(r"^[* ]\s+\d", line):
            continue
        rows.append([line[0]] + line[1:].split())
    return rows


class Checks:
    def __init__(self):
        self.failures = 0

    def check(self, name, ok, detail, dump=None):
        if ok:
            print(f"PASS {name}: {detail}")
        else:
            self.failures += 1
            print(f"FAIL {name}: {detail}")
            if dump:
                print("    " + "\n    ".join(dump.rstrip().splitlines()[-30:]))


def check_parked(c, sec):
    parked = int(sec.get("parked-id", "0").strip() or 0)
    rows = goroutine_rows(sec.get("goroutines", ""))
    prog = [r for r in rows if "[system]" not in r[3]]
    system = [r for r in rows if "[system]" in r[3]]
    waiting = [r for r in prog if r[2] == "waiting" and "chan receive" in r[3]
               and "gdbpark_parker" in r[3] and "(chan_recv)" in r[3]]
    main = [r for r in prog if r[1] == 1]
    c.check("info-goroutines",
            len(prog) == NPARKED + 1 and len(waiting) == NPARKED and len(main) == 1
            and main[0][0] == "*" and main[0][2] == "running" and "gdbpark_ready" in main[0][3]
            and any(r[1] == parked for r in waiting),
            f"{len(prog)} goroutines: {len(waiting)} waiting on chan receive in gdbpark_parker, "
            f"goroutine 1 {'running in gdbpark_ready' if main and 'gdbpark_ready' in main[0][3] else '?'}",
            sec.get("goroutines"))
    # bgsweep may be sweeping now: any state will do
    sweeper = [r for r in system if "bgsweep" in r[3]]
    c.check("info-goroutines-system", len(sweeper) == 1,
            f"bgsweep is system goroutine {sweeper[0][1]} [{sweeper[0][2]}]" if sweeper else
            "no bgsweep marked [system]", sec.get("goroutines"))

    bt = sec.get("bt-parked", "")
    frames = re.findall(r"^#(\d+)\s+0x[0-9a-f]{16} in (\w+)\+0x[0-9a-f]+ at (\S+):\d+$", bt, re.M)
    names = [f[1] for f in frames]
    want = ["gopark", "chanrecv", "chan_recv", "gdbpark_parker"]
    c.check("goroutine-bt-parked", names == want and [int(f[0]) for f in frames] == list(range(4)),
            f"goroutine {parked}: {' <- '.join(names)}", bt)

    bt = sec.get("bt-main", "")
    names = re.findall(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+) \(", bt, re.M)
    c.check("goroutine-bt-running", names[:2] == ["gdbpark_ready", "gdbpark"]
            and names[-1] == "goexit_asm" and "??" not in bt,
            f"goroutine 1 (this CPU): {' <- '.join(names)}", bt)

    frame = sec.get("frame-parked", "")
    same = sec.get("regs-before") and sec.get("regs-before") == sec.get("regs-after")
    c.check("goroutine-cmd", "in gopark (" in frame and same,
            "`goroutine N info frame` ran in gopark; registers restored" if same else
            "registers differ after `goroutine N info frame`",
            frame + "\nbefore:\n" + sec.get("regs-before", "") + "after:\n" + sec.get("regs-after", ""))

    heads = re.findall(r"^goroutine (\d+) \[([^\]]*)\]:$", sec.get("all", ""), re.M)
    c.check("goroutine-all", len(heads) == len(rows),
            f"goroutine all bt 1: {len(heads)} goroutines", sec.get("all"))

    ps = table_rows(sec.get("ps", ""), "P")
    c.check("info-ps", len(ps) == SMP and sum(r[0] == "*" for r in ps) == 1
            and [r for r in ps if r[0] == "*"][0][2] == "running",
            f"{len(ps)} Ps, the current one running", sec.get("ps"))
    ms = table_rows(sec.get("ms", ""), "M")
    cur = [r for r in ms if r[0] == "*"]
    c.check("info-ms", len(ms) == SMP + 1 and len(cur) == 1 and cur[0][4] == "1"
            and any(r[-1] == "sysmon" for r in ms),
            f"{len(ms)} Ms (a CPU each and sysmon's), the current one runs goroutine 1",
            sec.get("ms"))


def check_spinning(c, sec):
    spinner = int(sec.get("spinner-id", "0").strip() or 0)
    rows = goroutine_rows(sec.get("goroutines2", ""))
    running = {r[1]: r for r in rows if r[2] == "running"}
    ok = set(running) == {1, spinner} and all(r[0] == "*" for r in running.values())
    cpus = {}
    if ok:
        for gid, r in running.items():
            cells = r[3].split()
            cpus[gid] = cells[1] if len(cells) > 2 else "?"
        ok = (cpus[1] != cpus[spinner] and "gdbpark_spinner" in running[spinner][3]
              and "gdbpark_spinning" in running[1][3])
    c.check("info-goroutines-2-cpus", ok and len(rows) == NPARKED + 3,
            f"goroutines 1 and {spinner} running on CPUs "
            f"{cpus.get(1, '?')} and {cpus.get(spinner, '?')}", sec.get("goroutines2"))
    bt = sec.get("bt-spinner", "")
    c.check("goroutine-bt-other-cpu", re.search(r"^#0\s+.*gdbpark_spinner \(", bt, re.M) is not None,
            f"goroutine {spinner}'s backtrace from its CPU's thread", bt)
    ps = table_rows(sec.get("ps2", ""), "P")
    ms = table_rows(sec.get("ms2", ""), "M")
    curgs = sorted(r[4] for r in ms if r[4] != "-")
    c.check("info-ps-ms-2-cpus", len(ps) == SMP and all(r[2] == "running" for r in ps)
            and curgs == sorted(["1", str(spinner)]),
            f"every P running; Ms run goroutines {', '.join(curgs)}",
            sec.get("ps2", "") + sec.get("ms2", ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default="build")
    args = ap.parse_args()
    os.chdir(ROOT)
    c = Checks()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rt-gdb-") as tmp:
        port = free_port()
        script = os.path.join(tmp, "goroutines.gdb")
        with open(script, "w") as f:
            f.write(gdb_script(port))
        serial = os.path.join(tmp, "serial.out")
        cfg = qemu.Config(smp=SMP, image=os.path.join(args.build_dir, "usb.img"),
                          serial="file:" + serial, gdb=port)
        with qemu.Instance(cfg, cmdline=CMDLINE) as inst:
            q = subprocess.Popen(inst.argv, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            out, rc = "(gdb timed out)", None
            try:
                r = subprocess.run(["gdb", "-q", "-batch", "-x", script,
                                    os.path.join(args.build_dir, "kernel.elf")],
                                   capture_output=True, text=True, timeout=180)
                out = r.stdout + r.stderr
                rc = q.wait(timeout=30)     # the program's end ends QEMU
            except subprocess.TimeoutExpired:
                pass
            finally:
                q.kill()
                q.wait()
        with open(serial, errors="replace") as f:
            console = qemu.clean_console(f.read())
    sec = sections(out)
    if "parked-id" not in sec:
        c.check("gdbpark-stop", False, "gdb never stopped in gdbpark_ready", out)
        return 1
    check_parked(c, sec)
    if "spinner-id" in sec:
        check_spinning(c, sec)
    else:
        c.check("gdbpark-stop-2", False, "gdb never stopped in gdbpark_spinning", out)
    status = qemu.printed_exit_status(console)
    c.check("gdbpark-exit", status == 0 and rc == 1,
            f"after the session the program ended with exit status {status} "
            f"({time.monotonic() - t0:.1f} s in all)", console)
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
