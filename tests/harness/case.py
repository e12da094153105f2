"""case - one test case: what to boot and what the console must show.

tests/cases.py holds the table as plain dicts; a key left out takes the
default below. Case.from_dict checks every entry so that a typo in the
table is an error, not a silently ignored field.
"""

import importlib.util
import os
import re
import shlex
from dataclasses import dataclass, fields

import qemu

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
APP_RE = re.compile(r"^apps/([A-Za-z0-9][A-Za-z0-9._-]*)/?$")
PROG_RE = re.compile(r"^tests/progs/([A-Za-z0-9][A-Za-z0-9._-]*)/?$")


@dataclass(frozen=True)
class Case:
    name: str                       # unique; also names the log file
    cmdline: str = None             # kernel command line; None: the image's own
    boot: str = "disk"              # disk | usb | cdrom (cdrom: cmdline must be None)
    cpu: str = None                 # None: tools/qemu.py's default (max)
    machine: str = None             # None: q35
    smp: int = None                 # None: 4
    mem: str = None                 # None: 512M
    qemu_args: tuple = ()           # extra QEMU arguments
    timeout: float = None           # seconds; None: the harness default (60)
    expect_exit: int = 0            # the guest's exit status
    require: tuple = ()             # regexes that must all match the console
    require_order: tuple = ()       # regexes that must match in this order
    forbid: tuple = ()              # regexes that must not match
    ktap: bool = False              # parse KTAP; each subtest is a result
    corrupt_kernel: str = None      # damage KERNEL.ELF first: tools/qemu.py CORRUPTIONS
    type: tuple = ()                # (regex, text): once regex shows, type text into the serial console
    app: str = None                 # "apps/<name>": boot that example's image (make examples)
    prog: str = None                # "tests/progs/<name>": boot that test program's image (make progs)
    image: str = None               # another disk image, relative to the build directory
    firmware: str = "default"       # tools/qemu.py FIRMWARES: default, secboot, snakeoil
    console: str = "com1"           # tools/qemu.py CONSOLES: com1, com2, pci
    debug_exit: bool = True         # False: no isa-debug-exit, as a real PC (see runner)
    monitor: tuple = ()             # MonitorStep dicts: HMP commands sent during the run
    no_boot: bool = False           # the firmware must find nothing it will start
    firmware_vars: str = None       # variable store to start from, relative to the build directory

    @classmethod
    def from_dict(cls, d):
        """A Case from a table entry; ValueError explains what is wrong."""
        if not isinstance(d, dict):
            raise ValueError(f"case {d!r}: not a dict")
        name = d.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ValueError(f"case {name!r}: name must be letters, digits, . _ -")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"case {name}: unknown field(s) {', '.join(unknown)}")
        values = dict(d)
        for key in ("qemu_args", "require", "require_order", "forbid", "type"):
            if key in values:
                values[key] = _string_tuple(name, key, values[key])
        if "monitor" in values:
            values["monitor"] = tuple(MonitorStep.from_dict(name, i, m)
                                      for i, m in enumerate(values["monitor"]))
        case = cls(**values)
        case._validate()
        return case

    def _validate(self):
        where = f"case {self.name}"
        if self.boot not in qemu.BOOT_MEDIA:
            raise ValueError(f"{where}: boot must be one of {', '.join(qemu.BOOT_MEDIA)}")
        if self.boot == "cdrom" and self.cmdline is not None:
            raise ValueError(f"{where}: the ISO's command line is fixed; cmdline must be None")
        if self.cmdline is not None:
            try:
                qemu.check_cmdline(self.cmdline)
            except qemu.SetupError as e:
                raise ValueError(f"{where}: {e}") from None
        if self.app is not None and (not isinstance(self.app, str) or not APP_RE.match(self.app)):
            raise ValueError(f"{where}: app must be apps/<name>, a directory of apps/")
        if self.app is not None and self.boot == "cdrom":
            raise ValueError(f"{where}: an app boots from its usb.img; boot must not be cdrom")
        if self.prog is not None and (not isinstance(self.prog, str) or not PROG_RE.match(self.prog)):
            raise ValueError(f"{where}: prog must be tests/progs/<name>, a directory of tests/progs/")
        if self.prog is not None and self.app is not None:
            raise ValueError(f"{where}: a case boots an app or a prog, not both")
        if self.prog is not None and self.boot == "cdrom":
            raise ValueError(f"{where}: a prog boots from its usb.img; boot must not be cdrom")
        if self.image is not None and (not isinstance(self.image, str) or self.image.startswith("/")
                                       or ".." in self.image.split("/")):
            raise ValueError(f"{where}: image must be a path inside the build directory")
        if self.image is not None and (self.app or self.prog or self.boot == "cdrom"):
            raise ValueError(f"{where}: image names the disk to boot; no app, prog or cdrom with it")
        if self.firmware_vars is not None and (not isinstance(self.firmware_vars, str)
                                               or self.firmware_vars.startswith("/")
                                               or ".." in self.firmware_vars.split("/")):
            raise ValueError(f"{where}: firmware_vars must be a path inside the build directory")
        if self.firmware not in qemu.FIRMWARES:
            raise ValueError(f"{where}: firmware must be one of {', '.join(qemu.FIRMWARES)}")
        if self.console not in qemu.CONSOLES:
            raise ValueError(f"{where}: console must be one of {', '.join(qemu.CONSOLES)}")
        if not isinstance(self.no_boot, bool) or (self.no_boot and self.ktap):
            raise ValueError(f"{where}: no_boot must be True or False, and not with ktap")
        if not isinstance(self.debug_exit, bool):
            raise ValueError(f"{where}: debug_exit must be True or False")
        if self.corrupt_kernel is not None and self.corrupt_kernel not in qemu.CORRUPTIONS:
            raise ValueError(f"{where}: corrupt_kernel must be one of {', '.join(qemu.CORRUPTIONS)}")
        if not isinstance(self.expect_exit, int) or not 0 <= self.expect_exit <= 127:
            raise ValueError(f"{where}: expect_exit must be an int in 0..127")
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError(f"{where}: timeout must be positive")
        for key in ("require", "require_order", "forbid"):
            for pattern in getattr(self, key):
                try:
                    re.compile(pattern)
                except re.error as e:
                    raise ValueError(f"{where}: {key} regex {pattern!r}: {e}") from None

    def qemu_config(self, build_dir):
        """The tools/qemu.py Config that boots this case."""
        cfg = qemu.Config(boot=self.boot,
                          image=self.disk(build_dir),
                          iso=os.path.join(build_dir, "rt.iso"),
                          firmware=self.firmware, console=self.console,
                          debug_exit=self.debug_exit,
                          vars=os.path.join(build_dir, self.firmware_vars) if self.firmware_vars else None,
                          extra=[a.replace("{build}", build_dir) for a in self.qemu_args] +
                          qemu.env_extra_args())
        for key in ("cpu", "machine", "smp", "mem"):
            if getattr(self, key) is not None:
                setattr(cfg, key, getattr(self, key))
        return cfg

    def disk(self, build_dir):
        """The disk image this case boots (unless it boots the ISO)."""
        if self.image is not None:
            return os.path.join(build_dir, self.image)
        if self.app is not None:
            return os.path.join(build_dir, "apps", APP_RE.match(self.app).group(1), "usb.img")
        if self.prog is not None:
            return os.path.join(build_dir, "tests", "progs", PROG_RE.match(self.prog).group(1), "usb.img")
        return os.path.join(build_dir, "usb.img")

    def repro_command(self, build_dir):
        """A tools/qemu.py command line that boots this case by hand."""
        argv = ["python3", "tools/qemu.py", "--boot", self.boot]
        argv += ["--iso" if self.boot == "cdrom" else "--image",
                 os.path.join(build_dir, "rt.iso") if self.boot == "cdrom" else self.disk(build_dir)]
        if self.cmdline is not None:
            argv += ["--cmdline", self.cmdline]
        if self.corrupt_kernel:
            argv += ["--corrupt-kernel", self.corrupt_kernel]
        for key in ("cpu", "machine", "smp", "mem"):
            if getattr(self, key) is not None:
                argv += ["--" + key, str(getattr(self, key))]
        if self.firmware != "default":
            argv += ["--firmware", self.firmware]
        if self.firmware_vars:
            argv += ["--vars", os.path.join(build_dir, self.firmware_vars)]
        if self.console != "com1":
            argv += ["--console", self.console]
        if not self.debug_exit:
            argv += ["--no-debug-exit"]
        if self.monitor:
            argv += ["--monitor", "/tmp/rt-monitor.sock"]
        if self.qemu_args:
            argv += ["--"] + list(self.qemu_args)
        return shlex.join(argv)

    def summary(self):
        """One line for --list."""
        parts = [self.boot, "ktap" if self.ktap else f"exit {self.expect_exit}"]
        if self.app is not None:
            parts.insert(0, f"app={self.app}")
        if self.prog is not None:
            parts.insert(0, f"prog={self.prog}")
        for key in ("cpu", "machine", "smp", "mem"):
            if getattr(self, key) is not None:
                parts.append(f"{key}={getattr(self, key)}")
        cmd = "(image default)" if self.cmdline is None else repr(self.cmdline)
        return f"{self.name:<20} {' '.join(parts):<28} {cmd}"


@dataclass(frozen=True)
class MonitorStep:
    """Send `send` to QEMU's human monitor once `when` has matched the
    console and `delay` more seconds have passed; its reply must match
    `expect` (None: anything). Steps run in the order given."""
    when: str
    send: str
    delay: float = 0.0
    expect: str = None

    @classmethod
    def from_dict(cls, name, i, d):
        where = f"case {name}: monitor step {i + 1}"
        if isinstance(d, cls):
            return d
        if not isinstance(d, dict) or not {"when", "send"} <= set(d) \
                or set(d) - {"when", "send", "delay", "expect"}:
            raise ValueError(f"{where}: a dict with when, send and optionally delay, expect")
        step = cls(**d)
        for key in ("when", "expect"):
            pattern = getattr(step, key)
            if pattern is None:
                continue
            try:
                re.compile(pattern)
            except (re.error, TypeError) as e:
                raise ValueError(f"{where}: {key} regex {pattern!r}: {e}") from None
        if not isinstance(step.send, str) or "\n" in step.send:
            raise ValueError(f"{where}: send must be one HMP command line")
        if not isinstance(step.delay, (int, float)) or step.delay < 0:
            raise ValueError(f"{where}: delay must be seconds >= 0")
        return step


def _string_tuple(name, key, value):
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"case {name}: {key} must be a list of strings")
    return tuple(value)


def load(path):
    """The cases of the table file `path` (its CASES list), validated."""
    spec = importlib.util.spec_from_file_location("cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cases = [Case.from_dict(d) for d in module.CASES]
    seen = set()
    for c in cases:
        if c.name in seen:
            raise ValueError(f"case {c.name}: defined twice")
        seen.add(c.name)
    return cases


def matches(name, pattern):
    """-k: a substring of the name, or a regex that matches part of it."""
    if pattern in name:
        return True
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


def select(cases, patterns):
    """The cases matching any of `patterns` (all of them when none)."""
    if not patterns:
        return list(cases)
    return [c for c in cases if any(matches(c.name, p) for p in patterns)]
