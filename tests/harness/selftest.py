"""selftest - checks of the harness on canned console text (tests/run --selftest).

Boots nothing: feeds made-up console output, with OVMF's ANSI noise and
\\r\\n line ends, through the same cleaning, KTAP parsing and judging that
real runs use, and checks the QEMU command lines and option parsing.
"""

import dataclasses
import io
import os
import unittest

import qemu

from . import TESTS_DIR, check, cli, ktap, report
from .case import Case, load, select

# What OVMF prints on COM1 before our loader runs, escapes and all.
OVMF = ("\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01H"
        "BdsDxe: loading Boot0002 \"UEFI QEMU HARDDISK QM00001 \" from "
        "PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x0,0xFFFF,0x0)\r\n"
        "BdsDxe: starting Boot0002\r\n"
        "loader: kernel 0-1000 at phys 100000, entry 100000, cmdline \"test=boot\"\r\n")


def console(*lines):
    """Raw console bytes as QEMU writes them: OVMF noise, then \\r\\n lines."""
    return OVMF + "".join(line + "\r\n" for line in lines)


def outcome(raw, returncode=1, **kw):
    """An Outcome as the runner would make it from raw console text."""
    return check.Outcome(returncode=returncode, console=qemu.clean_console(raw),
                         console_bytes=len(raw), timeout=60, **kw)


KTAP_PASS = console("KTAP version 1", "1..3", "ok 1 cpuid", "# a diagnostic",
                    "ok 2 - memmap", "ok 3 fpu # SKIP no AVX here", "exit status 0")
KTAP_FAIL = console("KTAP version 1", "1..3", "ok 1 fmt_int", "# want 0x1f, got 1f",
                    "not ok 2 fmt_hex # wrong digits", "ok 3 fmt_str", "exit status 1")
KTAP_TRUNCATED = console("KTAP version 1", "1..5", "ok 1 a", "ok 2 b")


class CleanConsole(unittest.TestCase):
    def test_ansi_and_cr(self):
        raw = "\x1b[2J\x1b[01;01H\x1b[=3h\x1b]0;title\x07\x1b(Bab\x1b[1;32mc\x1b[0m\r\r\nd\re\n"
        self.assertEqual(qemu.clean_console(raw), "abc\nde\n")

    def test_exit_status_line(self):
        text = qemu.clean_console(console("exit status 3 is not the end", "exit status 2"))
        self.assertEqual(qemu.printed_exit_status(text), 2)
        self.assertIsNone(qemu.printed_exit_status("no exit status here\n"))

    def test_watcher_across_chunks(self):
        w = qemu.ExitWatcher()
        for chunk in (b"hello\r\nexit sta", b"tus 1", b"7\r\n"):
            w.feed(chunk)
        w.finish()
        self.assertEqual((w.status, w.nbytes), (17, 23))


class EfiShell(unittest.TestCase):
    def test_banner(self):
        from .runner import EFI_SHELL_RE
        shell = qemu.clean_console("\x1b[1mUEFI Interactive Shell v2.2\r\n\x1b[0mShell> ")
        self.assertTrue(EFI_SHELL_RE.search(shell))
        self.assertFalse(EFI_SHELL_RE.search(qemu.clean_console(KTAP_PASS)))


class InterpretStatus(unittest.TestCase):
    def test_table(self):
        self.assertEqual(qemu.interpret_status(1, 0), ("exit", 0))
        self.assertEqual(qemu.interpret_status(5, 2), ("exit", 2))
        self.assertEqual(qemu.interpret_status(0, None), ("reset", None))
        self.assertEqual(qemu.interpret_status(0, 4), ("exit", 4))
        self.assertEqual(qemu.interpret_status(2, None), ("qemu", 2))
        self.assertEqual(qemu.interpret_status(-9, None), ("qemu", -9))
        # QEMU refusing its options exits 1 too, with nothing on the console
        self.assertEqual(qemu.interpret_status(1, None, 0), ("qemu", 1))


class KtapParser(unittest.TestCase):
    def parse(self, raw):
        return ktap.parse(qemu.clean_console(raw))

    def test_pass_with_skip(self):
        r = self.parse(KTAP_PASS)
        self.assertEqual(r.problems, [])
        self.assertEqual((r.plan, r.passed, r.failed, r.skipped), (3, 2, 0, 1))
        self.assertEqual([x.name for x in r.results], ["cpuid", "memmap", "fpu"])
        self.assertEqual((r.results[2].directive, r.results[2].reason), ("SKIP", "no AVX here"))
        self.assertTrue(r.ok)

    def test_not_ok(self):
        r = self.parse(KTAP_FAIL)
        self.assertEqual((r.passed, r.failed, r.skipped), (2, 1, 0))
        bad = r.results[1]
        self.assertEqual((bad.ok, bad.name, bad.reason), (False, "fmt_hex", "wrong digits"))
        self.assertEqual(bad.line, "not ok 2 fmt_hex # wrong digits")
        self.assertFalse(r.ok)

    def test_truncated(self):
        r = self.parse(KTAP_TRUNCATED)
        self.assertEqual((r.passed, r.missing, r.failed), (2, 3, 3))
        self.assertIn("only 2 of 5 results (run cut short)", r.problems)

    def test_no_header(self):
        r = self.parse(console("ok 1 x", "exit status 0"))
        self.assertFalse(r.header)
        self.assertEqual(r.results, [])
        self.assertTrue(r.problems)

    def test_no_plan(self):
        r = self.parse(console("KTAP version 1", "ok 1 x", "exit status 0"))
        self.assertIn("no KTAP plan (1..N)", r.problems)

    def test_out_of_sequence_and_extra(self):
        r = self.parse(console("KTAP version 1", "1..2", "ok 1 a", "ok 3 b", "ok 4 c"))
        self.assertIn("result 3 out of sequence (expected 2)", r.problems)
        self.assertIn("3 results, but the plan says 2", r.problems)

    def test_todo_nested_and_noise(self):
        r = self.parse(console("\x1b[0mKTAP version 1", "1..2",
                               "    KTAP version 1", "    1..1", "    ok 1 inner",
                               "ok 1 outer", "not ok 2 flaky # TODO fix later",
                               "okay this is not a result", "exit status 0"))
        self.assertEqual(r.problems, [])
        self.assertEqual([x.name for x in r.results], ["outer", "flaky"])
        self.assertEqual((r.passed, r.failed, r.skipped), (1, 0, 1))


class Judge(unittest.TestCase):
    def judge(self, case, raw, returncode=1, **kw):
        return check.evaluate(case, outcome(raw, returncode, **kw))

    def test_order_pass_and_fail(self):
        case = Case(name="demo", require_order=("init rt0_go", "init schedinit",
                                                "main_main", "^exit status 0$"))
        good = console("init rt0_go", "init schedinit", "main_main", "exit status 0")
        self.assertTrue(self.judge(case, good).passed)
        swapped = console("init schedinit", "init rt0_go", "main_main", "exit status 0")
        v = self.judge(case, swapped)
        self.assertFalse(v.passed)
        self.assertIn("out of order", v.reason)
        self.assertEqual(v.totals, (0, 1, 0))

    def test_require_forbid(self):
        case = Case(name="g", require=(r"warning: .*GOMAXPROCS",), forbid=(r"panic:",))
        self.assertTrue(self.judge(case, console("warning: bad GOMAXPROCS=abc",
                                                 "exit status 0")).passed)
        v = self.judge(case, console("panic: oops", "exit status 0"))
        self.assertEqual(v.reasons, ["missing /warning: .*GOMAXPROCS/",
                                     "forbidden /panic:/ found: 'panic: oops'"])

    def test_nullwrite(self):
        case = Case(name="nullwrite", expect_exit=2,
                    require=(r"\[signal SIGSEGV", r"goroutine 1 \[running\]"))
        raw = console("panic: runtime error: invalid memory address or nil pointer dereference",
                      "[signal SIGSEGV: segmentation violation]", "", "goroutine 1 [running]:",
                      "exit status 2")
        self.assertTrue(self.judge(case, raw, returncode=5).passed)
        v = self.judge(case, console("panic: runtime error"), returncode=0)
        self.assertEqual(v.reasons[0], "crash (reset or triple fault)")

    def test_exit_paths(self):
        case = Case(name="x")
        self.assertTrue(self.judge(case, console("exit status 0"), returncode=0).passed)
        self.assertEqual(self.judge(case, console("exit status 1"), returncode=3).reasons,
                         ["exit status 1, expected 0"])
        self.assertEqual(self.judge(case, console("exit status 0"), returncode=5).reasons,
                         ["console says exit status 0, but the guest exited 2",
                          "exit status 2, expected 0"])
        self.assertIn("without an \"exit status\" line",
                      self.judge(case, console("bye"), returncode=1).reason)
        self.assertEqual(self.judge(case, console("spin"), returncode=None, hung=True).reasons,
                         ["hang (killed after 60 s)"])
        self.assertIn("no boot: OVMF found nothing it would start",
                      self.judge(case, console("Shell> "), returncode=None, efi_shell=True).reason)
        v = check.evaluate(case, check.Outcome(returncode=1, stderr="qemu: -bogus: invalid option\n"))
        self.assertEqual(v.reasons, ["QEMU failed (status 1): qemu: -bogus: invalid option"])

    def test_ktap_totals(self):
        case = Case(name="k", ktap=True)
        v = self.judge(case, KTAP_PASS)
        self.assertEqual((v.passed, v.totals), (True, (2, 0, 1)))
        v = self.judge(case, KTAP_FAIL, returncode=3)
        self.assertFalse(v.passed)
        self.assertEqual(v.totals, (2, 1, 0))          # the not ok, counted once
        self.assertIn("1 subtest(s) failed: fmt_hex", v.reason)
        v = self.judge(case, KTAP_TRUNCATED, returncode=0)
        self.assertEqual(v.totals, (2, 3, 0))          # 3 planned results missing
        self.assertIn("crash (reset or triple fault)", v.reasons)
        all_ok_but_exit_1 = KTAP_PASS.replace("exit status 0", "exit status 1")
        v = self.judge(case, all_ok_but_exit_1, returncode=3)
        self.assertEqual(v.totals, (2, 1, 1))          # the case itself fails
        v = self.judge(case, console("no ktap at all", "exit status 0"))
        self.assertEqual(v.totals, (0, 1, 0))

    def test_setup_error(self):
        v = check.evaluate(Case(name="s"), check.Outcome(setup_error="setup: no image"))
        self.assertEqual((v.passed, v.reason, v.totals), (False, "setup: no image", (0, 1, 0)))


class Reporting(unittest.TestCase):
    def test_summary(self):
        self.assertEqual(report.format_summary(5, 0, 0), "5 passed, 0 failed")
        self.assertEqual(report.format_summary(5, 1, 2), "5 passed, 1 failed, 2 skipped")

    def test_ktap_failure_lines(self):
        case = Case(name="k", ktap=True)
        o = outcome(KTAP_TRUNCATED, returncode=0, duration=3.25)
        text = report.format_case(case, o, check.evaluate(case, o), "build/test-logs/k.log",
                                  "python3 tools/qemu.py --cmdline test=x")
        lines = text.splitlines()
        self.assertTrue(lines[0].startswith("FAIL k (3.2 s): crash (reset or triple fault)"))
        self.assertEqual(lines[1:4], ["    ok 1 a", "    ok 2 b",
                                      "    not ok 3..5 (no result: the run ended first)"])
        self.assertIn("  console, last 7 lines, full log build/test-logs/k.log:", lines)
        self.assertEqual(lines[-1], "  rerun: python3 tools/qemu.py --cmdline test=x")

    def test_tail_is_forty_lines(self):
        text = "\n".join(f"line {i}" for i in range(100)) + "\n\n"
        tail = report.console_tail(text)
        self.assertEqual((len(tail), tail[-1]), (40, "line 99"))

    def test_reporter_totals(self):
        out = io.StringIO()
        r = report.Reporter(1, out=out, err=io.StringIO())
        case = Case(name="k", ktap=True)
        o = outcome(KTAP_PASS)
        r.case_done(case, o, check.evaluate(case, o))
        r.summary()
        self.assertEqual(out.getvalue().splitlines()[-1], "2 passed, 0 failed, 1 skipped")


class CaseTable(unittest.TestCase):
    def test_table_loads(self):
        cases = load(os.path.join(TESTS_DIR, "cases.py"))
        names = [c.name for c in cases]
        for want in ("boot-demo", "ktap-boot", "ktap-print", "cmdline-garbage",
                     "nullwrite", "lacks-cx16", "boot-usb", "boot-cdrom"):
            self.assertIn(want, names)

    def test_bad_entries(self):
        for bad in ({"name": "x", "expect": 0}, {"name": "bad name"},
                    {"name": "x", "boot": "floppy"}, {"name": "x", "boot": "cdrom", "cmdline": "a"},
                    {"name": "x", "require": "not a list"}, {"name": "x", "forbid": ["("]},
                    {"name": "x", "cmdline": "two\nlines"}, {"name": "x", "prog": "apps/hello"},
                    {"name": "x", "prog": "tests/progs/a", "app": "apps/hello"},
                    {"name": "x", "prog": "tests/progs/a", "boot": "cdrom"}):
            with self.assertRaises(ValueError, msg=bad):
                Case.from_dict(bad)

    def test_select(self):
        cases = [Case(name=n) for n in ("boot-demo", "boot-usb", "ktap-boot", "nullwrite")]
        pick = lambda *p: [c.name for c in select(cases, list(p))]
        self.assertEqual(pick("boot"), ["boot-demo", "boot-usb", "ktap-boot"])
        self.assertEqual(pick("^boot-"), ["boot-demo", "boot-usb"])
        self.assertEqual(pick("null", "usb$"), ["boot-usb", "nullwrite"])
        self.assertEqual(pick("(unbalanced"), [])
        self.assertEqual(len(pick()), 4)

    def test_case_config(self):
        c = Case.from_dict({"name": "x", "cpu": "qemu64,-cx16", "smp": 1, "qemu_args": ["-d", "int"]})
        cfg = c.qemu_config("out")
        self.assertEqual((cfg.cpu, cfg.smp, cfg.machine, cfg.image), ("qemu64,-cx16", 1, "q35", "out/usb.img"))
        self.assertEqual(cfg.extra[:2], ["-d", "int"])
        self.assertEqual(c.repro_command("build"),
                         "python3 tools/qemu.py --boot disk --image build/usb.img "
                         "--cpu qemu64,-cx16 --smp 1 -- -d int")
        p = Case.from_dict({"name": "x", "prog": "tests/progs/initorder"})
        self.assertEqual(p.qemu_config("out").image, "out/tests/progs/initorder/usb.img")
        self.assertIn("prog=tests/progs/initorder", p.summary())


class RealPcRuns(unittest.TestCase):
    """Cases without isa-debug-exit, with monitor steps."""
    STEP = {"when": "^exit status 2$", "delay": 20, "send": "info status", "expect": "running"}

    def case(self, **kw):
        return Case.from_dict(dict({"name": "x", "debug_exit": False, "expect_exit": 2,
                                    "monitor": [self.STEP]}, **kw))

    def test_stopped_run_judged_by_console(self):
        from .case import MonitorStep
        c = self.case()
        step = c.monitor[0]
        self.assertIsInstance(step, MonitorStep)
        ok = check.evaluate(c, outcome(console("exit status 2"), returncode=None, stopped=True,
                                       monitor=[(step, "VM status: running")]))
        self.assertTrue(ok.passed, ok.reason)
        paused = check.evaluate(c, outcome(console("exit status 2"), returncode=None, stopped=True,
                                           monitor=[(step, "VM status: paused (shutdown)")]))
        self.assertIn("monitor `info status` answered 'VM status: paused (shutdown)', not /running/",
                      paused.reasons)
        unsent = check.evaluate(c, outcome(console("exit status 2"), returncode=None, stopped=True))
        self.assertIn("monitor `info status` never sent: /^exit status 2$/ never showed", unsent.reasons)
        hung = check.evaluate(c, outcome(console("panic"), returncode=None, hung=True))
        self.assertFalse(hung.passed)

    def test_no_boot(self):
        c = Case.from_dict({"name": "x", "no_boot": True, "firmware": "secboot",
                            "require": ["Access Denied"]})
        refused = console("BdsDxe: failed to load Boot0002: Access Denied",
                          "BdsDxe: No bootable option or device was found.")
        self.assertTrue(check.evaluate(c, outcome(refused, returncode=None, efi_shell=True)).passed)
        self.assertFalse(check.evaluate(c, outcome(console("exit status 0"), returncode=1)).passed)
        from .runner import EFI_SHELL_RE
        self.assertTrue(EFI_SHELL_RE.search(qemu.clean_console(refused)))

    def test_bad_steps(self):
        for bad in ({"when": "x"}, {"when": "(", "send": "nmi"}, {"when": "x", "send": "a\nb"},
                    {"when": "x", "send": "nmi", "delay": -1}, {"when": "x", "send": "nmi", "oops": 1}):
            with self.assertRaises(ValueError):
                self.case(monitor=[bad])
        for bad in ({"firmware": "bios"}, {"console": "com3"}, {"image": "../x.img"},
                    {"image": "a.img", "app": "apps/hello"}, {"debug_exit": "no"}):
            with self.assertRaises(ValueError):
                Case.from_dict(dict({"name": "x"}, **bad))

    def test_argv(self):
        c = self.case(firmware="snakeoil", console="pci", image="signed/usb.img")
        cfg = c.qemu_config("out")
        self.assertEqual(cfg.image, "out/signed/usb.img")
        s = " ".join(qemu.build_argv(dataclasses.replace(cfg, monitor="/t/m.sock"), "/t/v"))
        for want in ("-machine q35,smm=on", "driver=cfi.pflash01,property=secure,value=on",
                     "OVMF_CODE_4M.snakeoil.fd", "-serial none -chardev stdio,id=console "
                     "-device pci-serial,chardev=console", "-action shutdown=pause",
                     "-monitor unix:/t/m.sock,server=on,wait=off"):
            self.assertIn(want, s)
        self.assertNotIn("isa-debug-exit", s)
        com2 = " ".join(qemu.build_argv(qemu.Config(console="com2"), "/t/v"))
        self.assertIn("-serial null -serial stdio", com2)
        self.assertIn("--firmware snakeoil --console pci --no-debug-exit", c.repro_command("b"))


class CommandLines(unittest.TestCase):
    def test_disk(self):
        argv = qemu.build_argv(qemu.Config(), "/t/VARS.fd")
        s = " ".join(argv)
        for want in ("-machine q35", "-cpu max", "-smp 4", "-m 512M", "-no-reboot",
                     "-device isa-debug-exit,iobase=0xf4,iosize=0x04", "-nic none",
                     "-display none", "-serial stdio",
                     f"if=pflash,format=raw,unit=0,readonly=on,file={qemu.OVMF_CODE}",
                     "if=pflash,format=raw,unit=1,file=/t/VARS.fd",
                     "file=build/usb.img,format=raw,if=ide,index=0,media=disk,snapshot=on"):
            self.assertIn(want, s)
        self.assertNotIn("-S", argv)

    def test_copy_usb_gdb_extra(self):
        cfg = qemu.Config(boot="usb", gdb=1234, display="gtk", extra=["-d", "int"])
        argv = qemu.build_argv(cfg, "/t/v", disk="/t/a,b.img")
        s = " ".join(argv)
        self.assertIn("-device qemu-xhci", s)
        self.assertIn("file=/t/a,,b.img,format=raw,if=none,id=usbstick -device usb-storage", s)
        self.assertIn("-display gtk", s)
        self.assertEqual(argv[-5:], ["-gdb", "tcp:127.0.0.1:1234", "-S", "-d", "int"])

    def test_cdrom(self):
        argv = qemu.build_argv(qemu.Config(boot="cdrom", iso="x/rt.iso"), "/t/v")
        self.assertIn("-cdrom x/rt.iso", " ".join(argv))
        self.assertNotIn("usb.img", " ".join(argv))

    def test_qemu_py_options(self):
        a = qemu.parse_args(["--boot", "usb", "--cmdline", "test=boot", "--smp", "2",
                             "--", "-d", "int", "--x"])
        self.assertEqual((a.boot, a.cmdline, a.smp, a.extra), ("usb", "test=boot", 2, ["-d", "int", "--x"]))

    def test_qemuflags(self):
        old = os.environ.get("QEMUFLAGS")
        os.environ["QEMUFLAGS"] = "-d 'int,cpu_reset' -D /tmp/q.log"
        try:
            cfg = qemu.config_from_args(qemu.parse_args(["--", "-S"]))
            self.assertEqual(cfg.extra, ["-S", "-d", "int,cpu_reset", "-D", "/tmp/q.log"])
        finally:
            if old is None:
                del os.environ["QEMUFLAGS"]
            else:
                os.environ["QEMUFLAGS"] = old

    def test_run_options(self):
        a = cli.parse_args(["-k", "boot", "-k", "null", "-j", "3", "--timeout", "5", "--keep"])
        self.assertEqual((a.patterns, a.jobs, a.timeout, a.keep), (["boot", "null"], 3, 5.0, True))
        self.assertGreaterEqual(cli.parse_args([]).jobs, 1)


def run():
    suite = unittest.defaultTestLoader.loadTestsFromName(__name__)
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    return 0 if result.wasSuccessful() else 1
