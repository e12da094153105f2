"""serial - run the suites against a real machine over a serial port.

A real machine boots once, from a stick whose command line is `test=all`
(`tests/run --serial-image FILE` writes such an image; flash it with
tools/usbwrite.sh). The kernel then runs every KTAP suite in turn, each
printing its own KTAP document headed `# Subtest: <suite>`. The harness
reads the port until `exit status N` (or the timeout), cuts the console
into one section per suite and judges each selected case whose command
line is just `test=<suite>` on its suite's section, as if QEMU had booted
it alone. Cases that need a boot of their own (another command line, CPU
count or memory size, a crash on purpose, an example program) cannot run
from that one boot; they are named and left out.

The port is set up with termios (raw, 8N1, the given speed): a USB-serial
adapter and a pseudo-terminal both work, no pyserial needed.
"""

import os
import re
import select
import termios
import time

import qemu

from . import check
from . import ktap as ktap_parser

SUITE_CMDLINE_RE = re.compile(r"^test=([A-Za-z0-9_]+)$")
SUBTEST_RE = re.compile(r"^# Subtest: (\S+)\s*$", re.MULTILINE)
EXIT_RE = re.compile(r"^exit status (\d+)\s*$", re.MULTILINE)
# The firmware or the loader starting again after the kernel did: a reset.
RESET_RE = re.compile(r"BdsDxe: |^loader: kernel ", re.MULTILINE)
ALL_CMDLINE = "test=all"


def suite_of(case):
    """The suite a case runs, if one boot of test=all can stand in for it."""
    if not case.ktap or case.app is not None or case.prog is not None or case.corrupt_kernel or case.type \
            or case.image is not None or case.monitor or not case.debug_exit \
            or case.firmware != "default" or case.console != "com1":
        return None
    m = SUITE_CMDLINE_RE.match(case.cmdline or "")
    return m.group(1) if m else None


def open_port(dev, baud):
    """The port `dev` opened raw at `baud`, as a file descriptor."""
    speed = getattr(termios, f"B{baud}", None)
    if speed is None:
        raise ValueError(f"--baud {baud}: not a speed this system knows")
    fd = os.open(dev, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        attrs = termios.tcgetattr(fd)
        attrs[0] = 0                                            # iflag: no translation
        attrs[1] = 0                                            # oflag
        attrs[2] = termios.CS8 | termios.CREAD | termios.CLOCAL  # cflag: 8N1, no modem lines
        attrs[3] = 0                                            # lflag: no echo, not canonical
        attrs[4] = attrs[5] = speed
        attrs[6][termios.VMIN] = 0
        attrs[6][termios.VTIME] = 0
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
    except termios.error as e:
        os.close(fd)
        raise OSError(f"{dev}: not a serial port ({e})") from None
    return fd


class Capture:
    """The console read from the port so far, and how the reading ended."""

    def __init__(self):
        self.raw = bytearray()
        self.ended = False      # `exit status N` arrived
        self.reset = False      # the firmware started again mid-run
        self.hung = False       # the timeout came first
        self.duration = 0.0
        self.suite_start = {}   # suite -> seconds into the read when it began

    @property
    def text(self):
        return qemu.clean_console(self.raw.decode("utf-8", "replace"))

    def current_suite(self):
        names = SUBTEST_RE.findall(self.text)
        return names[-1] if names else None


def read_console(fd, timeout, on_progress=None):
    """Read until `exit status N`, a reset, end of file or `timeout` s."""
    cap = Capture()
    t0 = time.monotonic()
    started = False
    while True:
        left = t0 + timeout - time.monotonic()
        if left <= 0:
            cap.hung = True
            break
        ready, _, _ = select.select([fd], [], [], min(left, 0.25))
        if ready:
            try:
                data = os.read(fd, 4096)
            except BlockingIOError:
                continue        # spurious wake-up
            except OSError:     # the other end went away (a pty closed)
                break
            if not data:
                break
            cap.raw += data
            text = cap.text
            for name in SUBTEST_RE.findall(text):
                cap.suite_start.setdefault(name, time.monotonic() - t0)
            if not started:
                started = "KTAP version 1" in text
            elif RESET_RE.search(text[text.find("KTAP version 1"):]):
                cap.reset = True
                break
            if EXIT_RE.search(text):
                cap.ended = True
                break
        if on_progress:
            on_progress(cap, time.monotonic() - t0)
    cap.duration = time.monotonic() - t0
    return cap


def sections(text):
    """{suite: its KTAP document} from a test=all console."""
    found = {}
    marks = list(SUBTEST_RE.finditer(text))
    for i, m in enumerate(marks):
        start = text.rfind("KTAP version 1", 0, m.start())
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        if i + 1 < len(marks):
            nxt = text.rfind("KTAP version 1", 0, end)
            if nxt > m.start():
                end = nxt
        found[m.group(1)] = text[start if start >= 0 else m.start():end]
    return found


def judge(case, suite, cap, docs):
    """(Outcome, Verdict) for `case` from its suite's part of the capture."""
    doc = docs.get(suite)
    if doc is None:
        why = "the machine reset before it" if cap.reset else \
              "the run timed out before it" if cap.hung else \
              "no such suite in this kernel, or the log ended before it"
        outcome = check.Outcome(console=cap.text, duration=0.0)
        return outcome, check._verdict(case, [f"suite {suite} not in the serial log ({why})"], None)
    report = ktap_parser.parse(doc)
    reasons = list(report.problems)
    failed = [r.name or f"#{r.number}" for r in report.results if r.outcome == "fail"]
    if failed:
        reasons.append(f"{len(failed)} subtest(s) failed: {', '.join(failed)}")
    if not re.search(rf"^# {re.escape(suite)}: pass:", doc, re.MULTILINE):
        if cap.reset:
            reasons.append("crash (reset or triple fault) during this suite")
        elif cap.hung:
            reasons.append(f"hang (no more output; gave up after {cap.duration:.0f} s)")
        else:
            reasons.append("the log ends inside this suite")
    outcome = check.Outcome(console=doc, duration=_suite_seconds(cap, suite))
    return outcome, check._verdict(case, reasons, report)


def _suite_seconds(cap, suite):
    """How long a suite ran: until the next one began, or the run ended."""
    start = cap.suite_start.get(suite, 0.0)
    later = [t for t in cap.suite_start.values() if t > start]
    return (min(later) if later else cap.duration) - start
