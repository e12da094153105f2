"""cli - tests/run's options and main loop.

Cases run in parallel (-j N QEMUs at a time, default: one per core), each
in its own QEMU with a private image copy holding its command line, and are
reported in the order they finish. Exit status: 0 when nothing failed, 1
when something did, 2 for a usage or setup error (bad -k, bad case table,
no image), 130 when interrupted.
"""

import argparse
import os
import shlex
import signal
import sys
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import qemu

from . import REPO_DIR, TESTS_DIR, check
from .case import load, select
from . import serial
from .report import Reporter, write_junit
from .runner import DEFAULT_TIMEOUT, Runner

PROGRESS_INTERVAL = 1.0


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="tests/run",
        description="Boot each test case in QEMU and judge its serial console.")
    p.add_argument("-k", dest="patterns", action="append", default=[], metavar="PATTERN",
                   help="run only cases whose name contains PATTERN or matches it "
                        "as a regex (repeatable: any of them)")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("-j", dest="jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="QEMUs at a time (default: %(default)s, the number of cores)")
    p.add_argument("--timeout", type=float, metavar="S",
                   help=f"timeout of every case in seconds, overriding the cases' "
                        f"own (default: per case, else {DEFAULT_TIMEOUT:g})")
    p.add_argument("--keep", action="store_true",
                   help="keep every case's console log in BUILD/test-logs/<case>.log "
                        "(failures' logs are always kept)")
    p.add_argument("--build-dir", default=os.path.join(REPO_DIR, "build"), metavar="DIR",
                   help="where usb.img and rt.iso are (default: build)")
    p.add_argument("--cases", default=os.path.join(TESTS_DIR, "cases.py"), metavar="FILE",
                   help="the case table (default: tests/cases.py)")
    p.add_argument("--selftest", action="store_true",
                   help="check the harness itself on canned console text, boot nothing")
    p.add_argument("--qemu-args", default="", metavar="ARGS",
                   help="more QEMU arguments for every case (one string, split like a shell)")
    p.add_argument("--smp", type=int, metavar="N",
                   help="boot every case with N CPUs, overriding the cases' own")
    p.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML")
    p.add_argument("--serial", metavar="DEV",
                   help="judge the KTAP suites from a real machine on serial port DEV "
                        "(booted once from an image made with --serial-image); no QEMU")
    p.add_argument("--baud", type=int, default=115200,
                   help="speed of --serial (default: %(default)s)")
    p.add_argument("--serial-image", metavar="FILE",
                   help="write a copy of usb.img whose command line runs every suite "
                        "(test=all), for a stick to use with --serial, and exit")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("-j must be at least 1")
    if args.timeout is not None and args.timeout <= 0:
        p.error("--timeout must be positive")
    if args.smp is not None and not 1 <= args.smp <= 255:
        p.error("--smp must be 1..255")
    try:
        args.qemu_args = shlex.split(args.qemu_args)
    except ValueError as e:
        p.error(f"--qemu-args: {e}")
    return args


def _rel(path):
    """A path as short as it can be from here, for messages."""
    rel = os.path.relpath(path)
    return rel if not rel.startswith("../..") else path


def _error(msg):
    print(f"tests/run: {msg}", file=sys.stderr)
    return 2


def missing_inputs(cases, build_dir):
    """The image files the chosen cases need but that do not exist."""
    need = set()
    for c in cases:
        need.add(os.path.join(build_dir, "rt.iso") if c.boot == "cdrom" else c.disk(build_dir))
    return sorted(p for p in need if not os.path.isfile(p))


def prepare_logs(cases, log_dir):
    """Make the log folder; drop stale logs of the cases about to run."""
    os.makedirs(log_dir, exist_ok=True)
    for c in cases:
        try:
            os.unlink(os.path.join(log_dir, c.name + ".log"))
        except FileNotFoundError:
            pass


def write_log(path, outcome):
    with open(path, "w", encoding="utf-8") as f:
        f.write(outcome.console)
        if outcome.stderr.strip():
            f.write("\n---- qemu stderr ----\n" + outcome.stderr)


def run_one(runner, case):
    """Worker: boot one case and judge it. A bug of the harness fails the
    case rather than the whole run."""
    try:
        outcome = runner.run(case)
        return outcome, check.evaluate(case, outcome)
    except Exception as e:  # noqa: BLE001 - reported as the case's failure
        outcome = check.Outcome(setup_error=f"harness error: {e!r}")
        return outcome, check.evaluate(case, outcome)


def run_all(cases, runner, reporter, jobs, log_dir, keep, build_dir):
    """Run `cases`, `jobs` at a time, reporting each as it finishes."""
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        pending = {pool.submit(run_one, runner, c): c for c in cases}
        while pending:
            done, _ = wait(pending, timeout=PROGRESS_INTERVAL, return_when=FIRST_COMPLETED)
            for future in done:
                case = pending.pop(future)
                outcome, verdict = future.result()
                log_path = None
                if keep or not verdict.passed:
                    log_path = os.path.join(log_dir, case.name + ".log")
                    write_log(log_path, outcome)
                    log_path = _rel(log_path)
                reporter.case_done(case, outcome, verdict, log_path,
                                   case.repro_command(_rel(build_dir)))
            reporter.progress(runner.running())
    except BaseException:
        runner.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv):
    args = parse_args(argv)
    if args.selftest:
        from . import selftest
        return selftest.run()
    try:
        cases = select(load(args.cases), args.patterns)
    except (ValueError, OSError, SyntaxError) as e:
        return _error(f"{args.cases}: {e}")
    if not cases:
        return _error(f"no case matches {' or '.join(args.patterns)} (see --list)")
    if args.list:
        for c in cases:
            print(c.summary())
        return 0
    if args.serial_image:
        return write_serial_image(args)
    if args.serial:
        return run_serial(args, cases)
    missing = missing_inputs(cases, args.build_dir)
    if missing:
        return _error(f"{', '.join(map(_rel, missing))}: missing (run `make image examples progs`)")

    log_dir = os.path.join(args.build_dir, "test-logs")
    prepare_logs(cases, log_dir)
    runner = Runner(args.build_dir, timeout_override=args.timeout,
                    smp_override=args.smp, extra_args=args.qemu_args)
    reporter = Reporter(len(cases))
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        run_all(cases, runner, reporter, args.jobs, log_dir, args.keep, args.build_dir)
    except KeyboardInterrupt:
        reporter.summary()
        print("tests/run: interrupted", file=sys.stderr)
        return 130
    reporter.summary()
    if args.junit:
        write_junit(args.junit, reporter.records)
    return 1 if reporter.failed else 0


def write_serial_image(args):
    """--serial-image: usb.img with the command line test=all."""
    try:
        qemu.prepare_image(os.path.join(args.build_dir, "usb.img"), serial.ALL_CMDLINE,
                           args.serial_image)
    except qemu.SetupError as e:
        return _error(str(e))
    print(f"{args.serial_image}: boots every suite in turn ({serial.ALL_CMDLINE}).\n"
          f"Write it to a stick (sh tools/usbwrite.sh {args.serial_image} /dev/sdX), connect the\n"
          f"machine's serial port, start `tests/run --serial /dev/ttyUSB0`, then boot the machine.")
    return 0


def run_serial(args, cases):
    """--serial: one boot of a real machine stands in for every suite case."""
    chosen, by_suite, left = [], {}, []
    for c in cases:
        suite = serial.suite_of(c)
        if suite is None:
            left.append(c.name)
        elif suite not in by_suite:
            by_suite[suite] = c
            chosen.append((c, suite))
    if not chosen:
        return _error("none of the chosen cases is a KTAP suite one test=all boot can run")
    print(f"serial: {len(chosen)} suite(s) from one boot ({serial.ALL_CMDLINE}) of the machine "
          f"on {args.serial} at {args.baud} baud")
    if left:
        print(f"serial: left out, each needs a boot of its own: {', '.join(left)}")
    try:
        fd = serial.open_port(args.serial, args.baud)
    except (OSError, ValueError) as e:
        return _error(f"--serial: {e}")
    reporter = Reporter(len(chosen))

    def progress(cap, seconds):
        reporter.progress([(f"serial: {cap.current_suite() or 'waiting for the machine'}", seconds)])

    signal.signal(signal.SIGTERM, _sigterm)
    try:
        cap = serial.read_console(fd, args.timeout or 1800.0, progress)
    except KeyboardInterrupt:
        reporter.summary()
        print("tests/run: interrupted", file=sys.stderr)
        return 130
    finally:
        os.close(fd)
    log_dir = os.path.join(args.build_dir, "test-logs")
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, "serial.log")
    with open(log_path, "w", encoding="utf-8") as f:
        f.write(cap.text)
    docs = serial.sections(cap.text)
    for c, suite in chosen:
        outcome, verdict = serial.judge(c, suite, cap, docs)
        reporter.case_done(c, outcome, verdict, _rel(log_path), None)
    reporter.summary()
    if args.junit:
        write_junit(args.junit, reporter.records)
    return 1 if reporter.failed else 0
