"""check - judge one run of a case from what QEMU left behind.

An Outcome is the raw facts of a run (QEMU's status, whether it hung, the
cleaned console); evaluate() turns it into a Verdict: pass or fail, the
reasons, the KTAP report, and what the run adds to the totals.

Totals: a plain case counts as one result. A KTAP case counts each subtest
as one (ok: passed, not ok or missing: failed, SKIP/TODO: skipped); if the
case fails for a reason no subtest accounts for (wrong exit status, hang,
missing plan...), one more failure is counted for the case itself, so a
failing case always shows in the failed count.
"""

import re
from dataclasses import dataclass, field

import qemu

from . import ktap as ktap_parser


@dataclass
class Outcome:
    """What a run of QEMU left behind."""
    returncode: int = None      # QEMU's exit status; None if it never ran
    hung: bool = False          # killed at the timeout
    efi_shell: bool = False     # killed when OVMF fell back to its EFI shell
    timeout: float = 0          # the timeout that applied, in seconds
    console: str = ""           # serial output, cleaned (qemu.clean_console)
    console_bytes: int = 0      # size of the raw serial output
    stderr: str = ""            # QEMU's own messages
    duration: float = 0.0       # seconds from start to exit
    setup_error: str = None     # why QEMU could not be started
    stopped: bool = False       # the harness stopped QEMU after `exit status N` (debug_exit False)
    monitor: list = field(default_factory=list)    # [(MonitorStep, answer)] in the order sent


@dataclass
class Verdict:
    passed: bool
    reasons: list = field(default_factory=list)
    ktap: "ktap_parser.Report" = None  # for KTAP cases
    totals: tuple = (0, 0, 0)   # (passed, failed, skipped) for the summary

    @property
    def reason(self):
        return "; ".join(self.reasons)


def evaluate(case, outcome):
    """The Verdict for `case` given `outcome`."""
    if outcome.setup_error:
        return _verdict(case, [outcome.setup_error], None)
    reasons = _status_problems(case, outcome)
    text = outcome.console
    reasons += _require_problems(case.require, text)
    reasons += _order_problems(case.require_order, text)
    reasons += _forbid_problems(case.forbid, text)
    reasons += _monitor_problems(case.monitor, outcome.monitor)
    report = None
    if case.ktap:
        report = ktap_parser.parse(text)
        reasons += report.problems
        failed = [r.name or f"#{r.number}" for r in report.results if r.outcome == "fail"]
        if failed:
            reasons.append(f"{len(failed)} subtest(s) failed: {', '.join(failed)}")
    return _verdict(case, reasons, report)


def _verdict(case, reasons, report):
    passed = not reasons
    if report is None or not (report.results or report.missing):
        totals = (1, 0, 0) if passed else (0, 1, 0)
    else:
        failed = report.failed
        if not passed and failed == 0:
            failed = 1
        totals = (report.passed, failed, report.skipped)
    return Verdict(passed=passed, reasons=reasons, ktap=report, totals=totals)


def _status_problems(case, o):
    """How the run ended, against case.expect_exit."""
    if o.hung:
        return [f"hang (killed after {o.timeout:g} s)"]
    if case.no_boot:
        return [] if o.efi_shell else ["the firmware started something, but should have refused"]
    if o.efi_shell:
        return ["no boot: OVMF found nothing it would start (no loader, it returned, "
                "or Secure Boot refused it)"]
    printed = qemu.printed_exit_status(o.console)
    if o.stopped:
        kind, n = "exit", printed       # nothing but the console tells a PC's end
    else:
        kind, n = qemu.interpret_status(o.returncode, printed, o.console_bytes)
    if kind == "reset":
        return ["crash (reset or triple fault)"]
    if kind == "qemu":
        how = f"killed by signal {-n}" if n < 0 else f"status {n}"
        msg = _last_line(o.stderr)
        return [f"QEMU failed ({how})" + (f": {msg}" if msg else "")]
    if printed is None:
        return [f"crash (guest exited {n} without an \"exit status\" line)"]
    problems = []
    if printed != n:
        problems.append(f"console says exit status {printed}, but the guest exited {n}")
    if n != case.expect_exit:
        problems.append(f"exit status {n}, expected {case.expect_exit}")
    return problems


def _monitor_problems(steps, sent):
    """Each monitor step sent, and answered as expected."""
    problems = []
    for i, step in enumerate(steps):
        if i >= len(sent):
            problems.append(f"monitor `{step.send}` never sent: /{step.when}/ never showed")
            continue
        answer = sent[i][1]
        if step.expect is not None and not _search(step.expect, answer):
            problems.append(f"monitor `{step.send}` answered {answer!r}, not /{step.expect}/")
    return problems


def _last_line(text):
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1].strip() if lines else ""


def _search(pattern, text, pos=0):
    return re.compile(pattern, re.MULTILINE).search(text, pos)


def _require_problems(patterns, text):
    return [f"missing /{p}/" for p in patterns if not _search(p, text)]


def _forbid_problems(patterns, text):
    problems = []
    for p in patterns:
        m = _search(p, text)
        if m:
            problems.append(f"forbidden /{p}/ found: {_line_at(text, m.start())!r}")
    return problems


def _order_problems(patterns, text):
    """Each pattern must match after the end of the previous one's match."""
    pos, previous = 0, None
    for p in patterns:
        m = _search(p, text, pos)
        if m:
            pos, previous = m.end(), p
            continue
        if previous is None or not _search(p, text):
            return [f"missing /{p}/"]
        return [f"out of order: /{p}/ not found after /{previous}/"]
    return []


def _line_at(text, pos):
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start:end if end >= 0 else len(text)]
