"""runner - run one case in its own QEMU, with a timeout.

QEMU's serial goes to stdio, and its stdout to a file in the instance's
private temporary folder (next to its OVMF variables and image copy). While
it runs, the file's tail is looked at a few times a second: if OVMF found
nothing to boot and started its EFI shell, waiting for the timeout is
pointless, so QEMU is killed at once. At the timeout QEMU is killed and the
run marked hung. Runs may go on in several threads at once; kill_all()
stops every QEMU still running (on Ctrl-C).
"""

import os
import re
import subprocess
import threading
import time

import qemu

from .check import Outcome

DEFAULT_TIMEOUT = 60.0
POLL_INTERVAL = 0.25
# OVMF starts its shell when no boot option worked (no loader, or it returned).
EFI_SHELL_RE = re.compile(r"UEFI Interactive Shell|^Shell> ", re.MULTILINE)


class Runner:
    def __init__(self, build_dir, default_timeout=DEFAULT_TIMEOUT,
                 timeout_override=None, tmp_root=None, smp_override=None, extra_args=()):
        self.build_dir = build_dir
        self.smp_override = smp_override
        self.extra_args = list(extra_args)
        self.default_timeout = default_timeout
        self.timeout_override = timeout_override
        self.tmp_root = tmp_root
        self._lock = threading.Lock()
        self._running = {}          # case name -> (Popen, start time)
        self._stopped = False

    def timeout_for(self, case):
        if self.timeout_override is not None:
            return self.timeout_override
        return case.timeout if case.timeout is not None else self.default_timeout

    def running(self):
        """[(case name, seconds running)] of the QEMUs running now."""
        now = time.monotonic()
        with self._lock:
            return [(name, now - t0) for name, (_, t0) in self._running.items()]

    def kill_all(self):
        """Kill every QEMU still running; start no more."""
        with self._lock:
            self._stopped = True
            procs = [p for p, _ in self._running.values()]
        for p in procs:
            if p.poll() is None:
                p.kill()

    def run(self, case):
        """Boot `case`; returns its Outcome."""
        timeout = self.timeout_for(case)
        try:
            cfg = case.qemu_config(self.build_dir)
            if self.smp_override is not None:
                cfg.smp = self.smp_override
            cfg.extra = cfg.extra + self.extra_args
            with qemu.Instance(cfg, case.cmdline,
                               tmp_root=self.tmp_root, corrupt=case.corrupt_kernel) as inst:
                return self._run_qemu(case.name, inst, timeout, case.type)
        except qemu.SetupError as e:
            return Outcome(setup_error=f"setup: {e}", timeout=timeout)

    def _run_qemu(self, name, inst, timeout, typing=()):
        serial_path = os.path.join(inst.dir, "serial.out")
        stderr_path = os.path.join(inst.dir, "qemu.err")
        outcome = Outcome(timeout=timeout)
        with open(serial_path, "wb") as out, open(stderr_path, "wb") as err:
            proc = self._start(name, inst.argv, out, err)
            if proc is None:
                return Outcome(setup_error="interrupted", timeout=timeout)
            t0 = time.monotonic()
            try:
                self._wait(proc, serial_path, t0 + timeout, outcome, typing)
            finally:
                outcome.duration = time.monotonic() - t0
                with self._lock:
                    self._running.pop(name, None)
        with open(serial_path, "rb") as f:
            raw = f.read()
        with open(stderr_path, "rb") as f:
            outcome.stderr = f.read().decode("utf-8", "replace")
        outcome.console_bytes = len(raw)
        outcome.console = qemu.clean_console(raw.decode("utf-8", "replace"))
        return outcome

    def _wait(self, proc, serial_path, deadline, outcome, typing=()):
        """Wait for QEMU to end; kill it at `deadline` (a hang) or as soon
        as the EFI shell shows up (nothing booted). typing: (regex, text):
        type text into the serial console once regex shows up."""
        tail = ""
        pending = list(typing)
        with open(serial_path, "rb") as serial:
            while True:
                left = deadline - time.monotonic()
                try:
                    outcome.returncode = proc.wait(timeout=max(0, min(POLL_INTERVAL, left)))
                    return
                except subprocess.TimeoutExpired:
                    pass
                tail = (tail + serial.read().decode("utf-8", "replace"))[-4096:]
                if pending and re.search(pending[0], qemu.clean_console(tail), re.M):
                    try:
                        proc.stdin.write(pending[1].encode())
                        proc.stdin.flush()
                    except (OSError, AttributeError):
                        pass
                    pending = []
                if EFI_SHELL_RE.search(qemu.clean_console(tail)):
                    outcome.efi_shell = True
                elif left <= 0:
                    outcome.hung = True
                else:
                    continue
                proc.kill()
                proc.wait()
                return

    def _start(self, name, argv, out, err):
        """Start QEMU, registered for kill_all; None once stopped."""
        with self._lock:
            if self._stopped:
                return None
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                        stdout=out, stderr=err)
            except FileNotFoundError:
                raise qemu.SetupError(f"{argv[0]}: not installed") from None
            self._running[name] = (proc, time.monotonic())
        return proc
