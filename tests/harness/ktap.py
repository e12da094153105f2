"""ktap - parse the KTAP version 1 output of an in-kernel test suite.

What the kernel prints (test=<suite>):

    KTAP version 1
    1..3
    ok 1 cpuid
    # diagnostic lines start with "# "
    not ok 2 memmap # reason
    ok 3 fpu # SKIP no AVX
    exit status 1

Only top-level lines count (a nested suite would be indented). Text before
the `KTAP version` line (OVMF, the loader) is ignored. Each result line is
one subtest: `ok` passes, `not ok` fails, a `# SKIP` (or `# TODO`)
directive makes it skipped. A missing plan, results out of sequence, more
results than planned, or fewer (the run was cut short) are problems of the
run, and every planned but missing result counts as a failed subtest.
"""

import re
from dataclasses import dataclass, field

HEADER_RE = re.compile(r"\b(?:KTAP version 1|TAP version 1[34])\s*$")
PLAN_RE = re.compile(r"^1\.\.(\d+)\s*$")
RESULT_RE = re.compile(r"""^(?P<status>ok|not\ ok)
                           \ +(?P<number>\d+)
                           (?:\ +(?:-\ +)?(?P<name>[^#]*?))?
                           \s*(?:\#\s*(?P<comment>.*?))?\s*$""", re.VERBOSE)
DIRECTIVE_RE = re.compile(r"^(SKIP|TODO)\b\s*(.*)$", re.IGNORECASE)


@dataclass
class Result:
    """One result line."""
    number: int
    name: str
    ok: bool
    directive: str = None   # "SKIP", "TODO" or None
    reason: str = ""        # the text after "#" (after the directive word)
    line: str = ""          # the line as printed (cleaned)

    @property
    def outcome(self):
        """"pass", "fail" or "skip", as counted in the totals."""
        if self.directive:
            return "skip"
        return "pass" if self.ok else "fail"


@dataclass
class Report:
    """Everything the parser found."""
    header: bool = False
    plan: int = None
    results: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    @property
    def missing(self):
        """Planned results that never came."""
        if self.plan is None:
            return 0
        return max(0, self.plan - len(self.results))

    def count(self, outcome):
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def passed(self):
        return self.count("pass")

    @property
    def failed(self):
        return self.count("fail") + self.missing

    @property
    def skipped(self):
        return self.count("skip")

    @property
    def ok(self):
        return not self.problems and self.failed == 0


def parse_result(line):
    """A Result for a result line, or None for any other line."""
    m = RESULT_RE.match(line)
    if not m:
        return None
    name = (m.group("name") or "").strip()
    comment = m.group("comment")
    directive, reason = None, ""
    if comment is not None:
        d = DIRECTIVE_RE.match(comment)
        if d:
            directive, reason = d.group(1).upper(), d.group(2).strip()
        else:
            reason = comment.strip()
    return Result(number=int(m.group("number")), name=name,
                  ok=m.group("status") == "ok", directive=directive,
                  reason=reason, line=line.rstrip())


def parse(text):
    """Parse cleaned console text (no ANSI escapes, no \\r)."""
    report = Report()
    lines = iter(text.split("\n"))
    for line in lines:
        if HEADER_RE.search(line):
            report.header = True
            break
    if not report.header:
        report.problems.append("no KTAP output (no `KTAP version 1` line)")
        return report
    for line in lines:
        _parse_line(report, line)
    _check_totals(report)
    return report


def _parse_line(report, line):
    plan = PLAN_RE.match(line)
    if plan:
        if report.plan is not None:
            report.problems.append(f"a second plan: {line.strip()}")
        elif report.results:
            report.problems.append("the plan comes after results")
        else:
            report.plan = int(plan.group(1))
        return
    result = parse_result(line)
    if result is None:
        return
    expected = len(report.results) + 1
    if result.number != expected:
        report.problems.append(f"result {result.number} out of sequence "
                               f"(expected {expected})")
    report.results.append(result)


def _check_totals(report):
    n = len(report.results)
    if report.plan is None:
        report.problems.append("no KTAP plan (1..N)")
    elif n < report.plan:
        report.problems.append(f"only {n} of {report.plan} results (run cut short)")
    elif n > report.plan:
        report.problems.append(f"{n} results, but the plan says {report.plan}")
