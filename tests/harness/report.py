"""report - what tests/run prints.

On stdout, one line per case as it finishes:

    PASS boot-demo (5.1 s)
    FAIL nullwrite (6.0 s): exit status 0, expected 2; missing /\\[signal SIGSEGV/

then, for a KTAP case, its subtests' result lines, and for a failure the
last console lines and a command that boots the case by hand. The last
line is the summary: `N passed, N failed` (`, N skipped` when some were).

On stderr, when it is a terminal, a progress line that is redrawn while
cases run and erased before anything else is printed.
"""

import os
import sys
import threading

TAIL_LINES = 40
INDENT = "    "


class Reporter:
    def __init__(self, total, out=None, err=None):
        self.total = total
        self.done = 0
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.live = _isatty(self.err)
        self.totals = [0, 0, 0]        # passed, failed, skipped
        self._progress_shown = False
        self._lock = threading.Lock()
        self.records = []               # (case, outcome, verdict), for --junit

    def case_done(self, case, outcome, verdict, log_path=None, repro=None):
        """Print a finished case and add it to the totals."""
        with self._lock:
            self.done += 1
            self.records.append((case, outcome, verdict))
            for i, n in enumerate(verdict.totals):
                self.totals[i] += n
            self._clear_progress()
            self._write(format_case(case, outcome, verdict, log_path, repro))

    def progress(self, running):
        """Redraw the progress line; `running` is [(name, seconds)]."""
        if not self.live:
            return
        with self._lock:
            names = ", ".join(f"{n} {s:.0f}s" for n, s in sorted(running))
            p, f, _ = self.totals
            line = f"[{self.done}/{self.total}] {p} passed, {f} failed; running: {names or '-'}"
            width = _terminal_width(self.err)
            self.err.write("\r\x1b[K" + line[:width - 1])
            self.err.flush()
            self._progress_shown = True

    def summary(self):
        with self._lock:
            self._clear_progress()
            self._write(format_summary(*self.totals) + "\n")

    @property
    def failed(self):
        return self.totals[1]

    def _clear_progress(self):
        if self._progress_shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._progress_shown = False

    def _write(self, text):
        self.out.write(text)
        self.out.flush()


def format_summary(passed, failed, skipped):
    line = f"{passed} passed, {failed} failed"
    return line + (f", {skipped} skipped" if skipped else "")


def format_case(case, outcome, verdict, log_path=None, repro=None):
    """The lines printed for one finished case."""
    head = f"{'PASS' if verdict.passed else 'FAIL'} {case.name} ({outcome.duration:.1f} s)"
    lines = [head + ("" if verdict.passed else f": {verdict.reason}")]
    if verdict.ktap is not None:
        lines += [INDENT + l for l in ktap_lines(verdict.ktap)]
    if not verdict.passed:
        lines += failure_details(outcome, log_path, repro)
    return "\n".join(lines) + "\n"


def ktap_lines(report):
    """Each subtest's result line, then the planned results that never came."""
    lines = [r.line for r in report.results]
    if report.missing:
        first = len(report.results) + 1
        span = str(first) if report.missing == 1 else f"{first}..{report.plan}"
        lines.append(f"not ok {span} (no result: the run ended first)")
    return lines


def failure_details(outcome, log_path, repro):
    """The last console lines, where the full log is, how to rerun."""
    tail = console_tail(outcome.console)
    lines = []
    if tail:
        where = f", full log {log_path}" if log_path else ""
        lines.append(f"  console, last {len(tail)} lines{where}:")
        lines += [INDENT + l for l in tail]
    elif outcome.returncode is not None:
        lines.append("  (no console output)")
    stderr = outcome.stderr.strip()
    if stderr:
        lines.append("  qemu stderr:")
        lines += [INDENT + l for l in stderr.splitlines()[-5:]]
    if repro:
        lines.append(f"  rerun: {repro}")
    return lines


def console_tail(text, n=TAIL_LINES):
    lines = text.rstrip("\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines[-n:] if lines and any(l.strip() for l in lines) else []


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _terminal_width(stream):
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    return columns if columns > 0 else 80


def write_junit(path, records, name="tests/run"):
    """The results as JUnit XML (one testcase per case; a KTAP case's
    subtests as testcases named case.subtest), for CI systems."""
    from xml.sax.saxutils import escape, quoteattr
    cases = []
    nfail = 0
    for case, outcome, verdict in records:
        body = ""
        if not verdict.passed:
            nfail += 1
            tail = "\n".join(console_tail(outcome.console))
            body = (f"<failure message={quoteattr(verdict.reason)}>{escape(tail)}</failure>")
        cases.append(f'  <testcase classname="{escape(name)}" name={quoteattr(case.name)} '
                     f'time="{outcome.duration:.3f}">{body}</testcase>')
        if verdict.ktap is not None:
            for r in verdict.ktap.results:
                sub = ""
                if r.outcome == "fail":
                    sub = f"<failure message={quoteattr(r.line)}/>"
                elif r.outcome == "skip":
                    sub = f"<skipped message={quoteattr(r.reason)}/>"
                cases.append(f'  <testcase classname={quoteattr(case.name)} '
                             f'name={quoteattr(r.name or str(r.number))} time="0">{sub}</testcase>')
    with open(path, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        f.write(f'<testsuite name="{escape(name)}" tests="{len(cases)}" failures="{nfail}">\n')
        f.write("\n".join(cases) + "\n</testsuite>\n")
