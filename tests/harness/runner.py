"""runner - run one case in its own QEMU, with a timeout.

QEMU's serial goes to stdio, and its stdout to a file in the instance's
private temporary folder (next to its OVMF variables and image copy). While
it runs, the file's tail is looked at a few times a second: if OVMF found
nothing to boot and started its EFI shell, waiting for the timeout is
pointless, so QEMU is killed at once. At the timeout QEMU is killed and the
run marked hung.

A case with debug_exit False boots a machine like a real PC: nothing ends
QEMU when the guest ends, and a power-off only pauses it. Its run ends
when the console has said `exit status N`, every monitor step whose
trigger showed has been sent, and EXIT_GRACE seconds have passed: then the
harness stops QEMU itself (outcome.stopped). Monitor steps talk to QEMU's
human monitor on a unix socket in the instance's folder. Runs may go on in several threads at once; kill_all()
stops every QEMU still running (on Ctrl-C).
"""

import os
import re
import socket
import subprocess
import threading
import time

import qemu

from .check import Outcome

DEFAULT_TIMEOUT = 60.0
POLL_INTERVAL = 0.25
EXIT_GRACE = 2.0            # seconds a run without isa-debug-exit goes on after `exit status N`
MONITOR_TIMEOUT = 10.0      # seconds to wait for the monitor's answer
MONITOR_PROMPT = b"(qemu) "
EXIT_SEEN_RE = re.compile(r"^exit status \d+\s*$", re.MULTILINE)
# OVMF starts its shell when no boot option worked (no loader, or it
# returned); a Secure Boot build, whose shell is not signed, says so instead.
EFI_SHELL_RE = re.compile(r"UEFI Interactive Shell|^Shell> |"
                          r"BdsDxe: No bootable option or device was found", re.MULTILINE)


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
            with qemu.Instance(cfg, case.cmdline, tmp_root=self.tmp_root,
                               corrupt=case.corrupt_kernel, monitor=bool(case.monitor)) as inst:
                return self._run_qemu(case.name, inst, timeout, case)
        except qemu.SetupError as e:
            return Outcome(setup_error=f"setup: {e}", timeout=timeout)

    def _run_qemu(self, name, inst, timeout, case):
        serial_path = os.path.join(inst.dir, "serial.out")
        stderr_path = os.path.join(inst.dir, "qemu.err")
        outcome = Outcome(timeout=timeout)
        with open(serial_path, "wb") as out, open(stderr_path, "wb") as err:
            proc = self._start(name, inst.argv, out, err)
            if proc is None:
                return Outcome(setup_error="interrupted", timeout=timeout)
            t0 = time.monotonic()
            try:
                watch = _Watch(case, inst.monitor_path, outcome)
                self._wait(proc, serial_path, t0 + timeout, outcome, watch)
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

    def _wait(self, proc, serial_path, deadline, outcome, watch):
        """Wait for QEMU to end; kill it at `deadline` (a hang), as soon
        as the EFI shell shows up (nothing booted), or when `watch` says a
        run without isa-debug-exit is over. Meanwhile type into the serial
        console and send monitor commands as the case asks."""
        tail = ""
        pending = list(watch.case.type)
        with open(serial_path, "rb") as serial:
            while True:
                left = deadline - time.monotonic()
                try:
                    outcome.returncode = proc.wait(timeout=max(0, min(POLL_INTERVAL, left)))
                    return
                except subprocess.TimeoutExpired:
                    pass
                chunk = serial.read().decode("utf-8", "replace")
                tail = (tail + chunk)[-4096:]
                watch.feed(chunk)
                if pending and re.search(pending[0], qemu.clean_console(tail), re.M):
                    try:
                        proc.stdin.write(pending[1].encode())
                        proc.stdin.flush()
                    except (OSError, AttributeError):
                        pass
                    pending = []
                if watch.step():
                    outcome.stopped = True
                elif EFI_SHELL_RE.search(qemu.clean_console(tail)):
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


class _Watch:
    """The console as it comes, for the monitor steps and for the end of a
    run without isa-debug-exit. step() is called every poll; it returns
    True when the harness should stop QEMU."""

    def __init__(self, case, monitor_path, outcome):
        self.case = case
        self.monitor_path = monitor_path
        self.outcome = outcome
        self.raw = ""
        self.steps = list(case.monitor)
        self.armed = None           # time the next step's trigger matched
        self.exit_at = None         # time `exit status N` first showed

    def feed(self, chunk):
        if chunk and (self.steps or not self.case.debug_exit):
            self.raw += chunk

    def step(self):
        now = time.monotonic()
        text = qemu.clean_console(self.raw) if self.raw else ""
        if self.steps:
            if self.armed is None and re.search(self.steps[0].when, text, re.M):
                self.armed = now
            if self.armed is not None and now - self.armed >= self.steps[0].delay:
                s = self.steps.pop(0)
                self.outcome.monitor.append((s, monitor_command(self.monitor_path, s.send)))
                self.armed = None
        if self.case.debug_exit:
            return False
        if self.exit_at is None and EXIT_SEEN_RE.search(text):
            self.exit_at = now
        return (self.exit_at is not None and self.armed is None
                and now - self.exit_at >= EXIT_GRACE)


def monitor_command(path, command):
    """Send one command to QEMU's human monitor at unix socket `path`;
    its answer as text (echo and prompt removed), or an error string in
    angle brackets."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(MONITOR_TIMEOUT)
            sock.connect(path)
            _read_to_prompt(sock)                   # the banner
            sock.sendall(command.encode() + b"\n")
            answer = _read_to_prompt(sock)
    except OSError as e:
        return f"<monitor: {e}>"
    text = qemu.clean_console(answer.decode("utf-8", "replace"))
    lines = text.split("\n")
    if lines and lines[0].strip().endswith(command.strip()):
        lines = lines[1:]                           # the monitor echoes what it was sent
    return "\n".join(lines).replace("(qemu) ", "").strip()


def _read_to_prompt(sock):
    data = b""
    while not data.endswith(MONITOR_PROMPT):
        part = sock.recv(4096)
        if not part:
            break
        data += part
    return data
