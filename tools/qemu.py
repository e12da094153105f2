#!/usr/bin/env python3
"""qemu.py - the one place that builds QEMU command lines for this project.

Used two ways:

* as a module, by the test harness (tests/harness/) and anything else that
  starts a guest:

      cfg = Config(boot="usb", smp=2, serial="stdio")
      with Instance(cfg, cmdline="test=boot") as inst:
          subprocess.run(inst.argv)

  Instance makes a private temporary folder holding a copy of the OVMF
  variable store (OVMF writes to it, so every QEMU needs its own) and, when
  a kernel command line is given, a copy of the disk image with that line
  written into /EFI/BOOT/CMDLINE.TXT. The folder is removed on exit.

* as a command, by `make run` / `make debug`:

      python3 tools/qemu.py [--image build/usb.img] [--iso build/rt.iso]
                            [--boot disk|usb|cdrom] [--cmdline "..."]
                            [--smp N] [--mem M] [--cpu C] [--machine M]
                            [--display none|gtk|sdl] [--gdb [PORT]] [--print-cmd]
                            [--firmware default|secboot|snakeoil]
                            [--console com1|com2|pci] [--no-debug-exit]
                            [--monitor SOCKET] [-- extra qemu args]

  The guest's serial console is shown live on stdout (and takes keyboard
  input from stdin), and the command exits with the guest's exit status:
  QEMU's status (N<<1)|1, from isa-debug-exit, becomes N. If the machine
  resets or powers off without having printed `exit status N` (a triple
  fault, with -no-reboot), it exits 3; if QEMU itself fails, 4.
  Extra QEMU arguments also come from the environment variable QEMUFLAGS
  (split like a shell would), so `make run QEMUFLAGS="-d int"` works.

Exit statuses of the guest, as QEMU reports them (-no-reboot and
isa-debug-exit at 0xf4 are always on):
  odd N   the guest wrote (N-1)/2 to port 0xf4: a normal end;
  0       reset or power-off: a crash unless `exit status N` was printed;
  other   QEMU failed (bad option, missing file, killed by a signal).
"""

import argparse
import dataclasses
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
OVMF_CODE = os.environ.get("OVMF_CODE", "/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = os.environ.get("OVMF_VARS", "/usr/share/OVMF/OVMF_VARS_4M.fd")

# Firmware builds (Debian's ovmf package): name -> (code, variables, Secure
# Boot). The Secure Boot builds need SMM, and their flash must be marked
# secure, or OVMF refuses to start. "secboot" holds Microsoft's keys, as a
# PC bought in a shop does; "snakeoil" Debian's test key
# (/usr/share/ovmf/PkKek-1-snakeoil.key), to sign test images with.
FIRMWARES = {
    "default": (OVMF_CODE, OVMF_VARS, False),
    "secboot": ("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", True),
    "snakeoil": ("/usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd", "/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd", True),
}

# Where the console UART is: COM1 (QEMU's default), COM2 with no COM1 (as
# on servers whose COM1 is the BMC's), or only a PCI UART (no ISA ports at
# all, as on most laptops and many new boards).
CONSOLES = ("com1", "com2", "pci")

# The EFI System Partition inside usb.img starts at LBA 2048.
ESP_OFFSET = 2048 * 512
CMDLINE_FILE = "::/EFI/BOOT/CMDLINE.TXT"

BOOT_MEDIA = ("disk", "usb", "cdrom")
DISPLAYS = ("none", "gtk", "sdl")

# Exit statuses of this command besides the guest's own.
EXIT_RESET = 3
EXIT_QEMU_FAILED = 4


class SetupError(Exception):
    """Something needed to start QEMU is missing or could not be made."""


@dataclass
class Config:
    """What a QEMU instance looks like. Defaults match `make run`."""
    machine: str = "q35"
    cpu: str = "max"
    smp: int = 4
    mem: str = "512M"
    boot: str = "disk"               # disk | usb | cdrom
    image: str = "build/usb.img"     # raw GPT disk, for disk and usb
    iso: str = "build/rt.iso"        # El Torito EFI CD, for cdrom
    serial: str = "stdio"            # any -serial argument: stdio, file:P, pipe:P
    display: str = "none"            # none | gtk | sdl
    gdb: int = 0                     # gdb stub on this TCP port, start halted; 0: none
    firmware: str = "default"        # FIRMWARES
    console: str = "com1"            # CONSOLES: where `serial` is attached
    debug_exit: bool = True          # isa-debug-exit at 0xf4; False: as a real PC,
                                     # with -action shutdown=pause
    monitor: str = None              # HMP monitor on this unix socket; None: none
    extra: list = field(default_factory=list)   # appended last, as given


# ---------------------------------------------------------------------------
# Console text
# ---------------------------------------------------------------------------

# CSI sequences (colours, cursor moves), OSC strings, charset selection and
# the remaining two-byte escapes, in that order.
_ANSI_RE = re.compile(r"""
      \x1b\[ [0-?]* [ -/]* [@-~]
    | \x1b\] [^\x07\x1b]* (?:\x07|\x1b\\)?
    | \x1b [()*+] .
    | \x1b [@-Z\\-_=>78]
""", re.VERBOSE)
# C0 controls other than tab and newline (\r among them), and DEL.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
EXIT_LINE_RE = re.compile(r"^exit status (\d+)\s*$", re.MULTILINE)


def clean_console(text):
    """Console text as a reader sees it: no ANSI escapes, no \\r, no other
    control characters. Newlines are kept."""
    return _CONTROL_RE.sub("", _ANSI_RE.sub("", text))


def printed_exit_status(text):
    """The N of the last `exit status N` line in cleaned console text, or
    None when the guest printed none."""
    found = EXIT_LINE_RE.findall(text)
    return int(found[-1]) if found else None


def interpret_status(returncode, printed, console_bytes=1):
    """What QEMU's exit status means, given the `exit status N` the guest
    printed (or None) and how many bytes the serial console produced.
    Returns (kind, n):
    ("exit", N)      the guest ended with status N;
    ("reset", None)  reset or power-off without an `exit status` line;
    ("qemu", rc)     QEMU itself failed (rc < 0: killed by signal -rc).
    QEMU rejecting its options also exits 1, like a guest exiting 0; but then
    the serial stays silent, while OVMF always prints something."""
    if console_bytes == 0 and returncode >= 0:
        return "qemu", returncode
    if returncode > 0 and returncode & 1:
        return "exit", returncode >> 1
    if returncode == 0:
        return ("exit", printed) if printed is not None else ("reset", None)
    return "qemu", returncode


# ---------------------------------------------------------------------------
# Files an instance needs
# ---------------------------------------------------------------------------

def _run_tool(argv, what):
    """Run a helper program; raise SetupError with its message on failure."""
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, env=env)
    except FileNotFoundError:
        raise SetupError(f"{what}: {argv[0]} is not installed") from None
    if r.returncode != 0:
        msg = " / ".join(l.strip() for l in (r.stderr or r.stdout).splitlines() if l.strip())
        raise SetupError(f"{what}: {shlex.join(argv)} failed: {msg}")


def check_cmdline(cmdline):
    """Refuse a command line the loader could not read back intact."""
    if "\n" in cmdline or "\r" in cmdline:
        raise SetupError("the kernel command line must be one line")
    if not cmdline.isascii() or not cmdline.isprintable():
        raise SetupError("the kernel command line must be printable ASCII")


KERNEL_FILE = "::/EFI/BOOT/KERNEL.ELF"


def _truncate(elf):
    return elf[:16384]      # inside the first loadable segment


def _wrong_machine(elf):
    return elf[:18] + (3).to_bytes(2, "little") + elf[20:]     # EM_386


def _bad_magic(elf):
    return b"\x7fELG" + elf[4:]


# Ways to damage KERNEL.ELF, to test that the loader refuses it.
CORRUPTIONS = {"truncated": _truncate, "wrong-machine": _wrong_machine, "bad-magic": _bad_magic}


def corrupt_kernel(disk, how):
    """Replace KERNEL.ELF in the image file `disk` by a damaged copy."""
    if how not in CORRUPTIONS:
        raise SetupError(f"unknown kernel corruption {how!r} (known: {', '.join(CORRUPTIONS)})")
    elf = disk + ".elf"
    _run_tool(["mcopy", "-o", "-i", f"{disk}@@{ESP_OFFSET}", KERNEL_FILE, elf], "reading KERNEL.ELF")
    try:
        with open(elf, "rb") as f:
            data = CORRUPTIONS[how](f.read())
        with open(elf, "wb") as f:
            f.write(data)
        _run_tool(["mcopy", "-o", "-i", f"{disk}@@{ESP_OFFSET}", elf, KERNEL_FILE], "writing KERNEL.ELF")
    finally:
        os.unlink(elf)


def prepare_image(image, cmdline, dest):
    """Copy the disk image `image` to `dest` (sharing blocks where the file
    system can, sparse otherwise) and write `cmdline` into the copy's
    /EFI/BOOT/CMDLINE.TXT. Returns dest."""
    check_cmdline(cmdline)
    if not os.path.isfile(image):
        raise SetupError(f"{image}: no such image (run `make image`)")
    _run_tool(["cp", "--reflink=auto", "--sparse=always", image, dest],
              "copying the image")
    txt = dest + ".cmdline"
    with open(txt, "w", encoding="ascii") as f:
        f.write(cmdline + "\n")
    try:
        _run_tool(["mcopy", "-o", "-i", f"{dest}@@{ESP_OFFSET}", txt, CMDLINE_FILE],
                  "writing CMDLINE.TXT")
    finally:
        os.unlink(txt)
    return dest


def firmware_files(name):
    """(code, variables, secure) of the firmware build `name`."""
    if name not in FIRMWARES:
        raise SetupError(f"unknown firmware {name!r} (one of {', '.join(FIRMWARES)})")
    code, vars_, secure = FIRMWARES[name]
    for f in (code, vars_):
        if not os.path.isfile(f):
            raise SetupError(f"{f}: missing (install the ovmf package)")
    return code, vars_, secure


def copy_vars(dest, firmware="default"):
    """A private, writable copy of the OVMF variable store. Returns dest."""
    shutil.copyfile(firmware_files(firmware)[1], dest)
    os.chmod(dest, 0o644)
    return dest


# ---------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------

def _path(p):
    """A file name as a QEMU option value: commas doubled."""
    return p.replace(",", ",,")


def _boot_args(cfg, disk, snapshot):
    """Arguments attaching the boot medium: `disk` is the raw image for disk
    and usb; with `snapshot` QEMU never writes to it (guest writes go to a
    throw-away overlay), so several instances can share one image."""
    snap = ",snapshot=on" if snapshot else ""
    if cfg.boot == "disk":
        # if=ide is the built-in AHCI controller on q35, PIIX IDE on pc.
        return ["-drive", f"file={_path(disk)},format=raw,if=ide,index=0,media=disk{snap}"]
    if cfg.boot == "usb":
        return ["-device", "qemu-xhci,id=xhci",
                "-drive", f"file={_path(disk)},format=raw,if=none,id=usbstick{snap}",
                "-device", "usb-storage,bus=xhci.0,drive=usbstick,removable=on"]
    if cfg.boot == "cdrom":
        return ["-cdrom", cfg.iso]
    raise SetupError(f"unknown boot medium {cfg.boot!r} (one of {', '.join(BOOT_MEDIA)})")


def _display_args(display):
    if display == "none":
        return ["-display", "none"]
    if display in DISPLAYS:
        return ["-display", display]
    raise SetupError(f"unknown display {display!r} (one of {', '.join(DISPLAYS)})")


def _chardev(serial):
    """A -serial argument (stdio, file:P, pipe:P, null) as a -chardev, for
    a UART that is a device rather than a COM port."""
    if serial in ("stdio", "null"):
        return f"{serial},id=console"
    kind, _, path = serial.partition(":")
    if kind in ("file", "pipe") and path:
        return f"{kind},id=console,path={_path(path)}"
    raise SetupError(f"serial {serial!r} cannot drive a PCI UART (stdio, null, file:P, pipe:P)")


def _console_args(cfg):
    if cfg.console == "com1":
        return ["-serial", cfg.serial]
    if cfg.console == "com2":
        return ["-serial", "null", "-serial", cfg.serial]
    if cfg.console == "pci":
        return ["-serial", "none", "-chardev", _chardev(cfg.serial),
                "-device", "pci-serial,chardev=console"]
    raise SetupError(f"unknown console {cfg.console!r} (one of {', '.join(CONSOLES)})")


def _firmware_args(cfg, vars_path):
    code, _, secure = firmware_files(cfg.firmware)
    machine = cfg.machine
    if secure and "smm=" not in machine:
        machine += ",smm=on"
    argv = ["-machine", machine]
    if secure:
        argv += ["-global", "driver=cfi.pflash01,property=secure,value=on"]
    return argv + ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={_path(code)}",
                   "-drive", f"if=pflash,format=raw,unit=1,file={_path(vars_path)}"]


def build_argv(cfg, vars_path, disk=None):
    """The QEMU argv for `cfg`. `vars_path` is this instance's copy of the
    OVMF variables; `disk` the image to boot from for disk/usb (default: the
    configured image itself, attached with snapshot=on so that it is never
    written and several instances can share it)."""
    argv = [QEMU] + _firmware_args(cfg, vars_path)
    argv += ["-cpu", cfg.cpu,
             "-smp", str(cfg.smp),
             "-m", str(cfg.mem)]
    argv += _boot_args(cfg, disk or cfg.image, snapshot=disk is None)
    argv += _console_args(cfg)
    argv += _display_args(cfg.display)
    argv += ["-no-reboot", "-nic", "none"]
    if cfg.debug_exit:
        argv += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    else:
        argv += ["-action", "shutdown=pause"]
    if cfg.monitor:
        argv += ["-monitor", f"unix:{_path(cfg.monitor)},server=on,wait=off"]
    if cfg.gdb:
        argv += ["-gdb", f"tcp:127.0.0.1:{cfg.gdb}", "-S"]
    return argv + list(cfg.extra)


def env_extra_args():
    """Extra QEMU arguments from the environment variable QEMUFLAGS."""
    return shlex.split(os.environ.get("QEMUFLAGS", ""))


class Instance:
    """The files of one QEMU run, and its argv. A context manager:

        with Instance(cfg, cmdline="test=boot") as inst:
            ... run inst.argv; inst.dir is free for the caller's own files ...

    cmdline None boots the image's own CMDLINE.TXT (and shares the image,
    read-only); a string gets a private image copy holding it. The ISO's
    command line is fixed, so cdrom refuses one."""

    def __init__(self, cfg, cmdline=None, tmp_root=None, corrupt=None, monitor=False):
        self.cfg = cfg
        self.monitor = monitor      # True: an HMP socket in the folder (self.monitor_path)
        self.monitor_path = None
        self.cmdline = cmdline
        self.corrupt = corrupt
        self.tmp_root = tmp_root
        self.dir = None
        self.argv = None

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="rt-qemu-", dir=self.tmp_root)
        try:
            self._setup()
        except BaseException:
            self.close()
            raise
        return self

    def _setup(self):
        cfg = self.cfg
        media = cfg.iso if cfg.boot == "cdrom" else cfg.image
        if not os.path.isfile(media):
            raise SetupError(f"{media}: no such file (run `make image`)")
        vars_path = copy_vars(os.path.join(self.dir, "OVMF_VARS.fd"), cfg.firmware)
        disk = None
        if self.cmdline is not None or self.corrupt:
            if cfg.boot == "cdrom":
                raise SetupError("the ISO's files are fixed: "
                                 "no --cmdline or --corrupt-kernel with --boot cdrom")
            cmdline = self.cmdline if self.cmdline is not None else ""
            disk = prepare_image(cfg.image, cmdline, os.path.join(self.dir, "disk.img"))
            if self.corrupt:
                corrupt_kernel(disk, self.corrupt)
        if self.monitor:
            self.monitor_path = os.path.join(self.dir, "monitor.sock")
            cfg = dataclasses.replace(cfg, monitor=self.monitor_path)
        self.argv = build_argv(cfg, vars_path, disk)

    def close(self):
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------

class ExitWatcher:
    """Fed the console's bytes as they come; remembers the last
    `exit status N` line (after ANSI/\\r clean-up)."""

    def __init__(self):
        self.partial = b""
        self.status = None
        self.nbytes = 0

    def feed(self, data):
        self.nbytes += len(data)
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        self._scan(lines)

    def finish(self):
        self._scan([self.partial])
        self.partial = b""

    def _scan(self, lines):
        for raw in lines:
            n = printed_exit_status(clean_console(raw.decode("utf-8", "replace")))
            if n is not None:
                self.status = n


def _save_tty():
    """Terminal settings of stdin, to put back if QEMU dies leaving it raw."""
    try:
        import termios
        if os.isatty(0):
            return termios.tcgetattr(0)
    except (ImportError, OSError):
        pass
    return None


def _restore_tty(saved):
    if saved is not None:
        import termios
        try:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
        except OSError:
            pass


def run_teed(argv):
    """Run QEMU with its stdout (the serial console, -serial stdio) passed
    through to ours chunk by chunk as it arrives, stdin left to QEMU.
    Returns (QEMU's status, the printed exit status or None, console bytes)."""
    watcher = ExitWatcher()
    out = sys.stdout.buffer
    saved = _save_tty()
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE)
    except FileNotFoundError:
        raise SetupError(f"{argv[0]}: not installed") from None
    try:
        fd = proc.stdout.fileno()
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            out.write(data)
            out.flush()
            watcher.feed(data)
        rc = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        proc.stdout.close()
        _restore_tty(saved)
    watcher.finish()
    return rc, watcher.status, watcher.nbytes


def parse_args(argv):
    """Our options, and the QEMU arguments after a `--`."""
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(
        prog="qemu.py",
        description="Boot the runtime in QEMU with its serial console on "
                    "stdio; exit with the guest's exit status (3: reset or "
                    "triple fault, 4: QEMU failed).",
        epilog="Arguments after -- and in $QEMUFLAGS go to QEMU as they are.")
    d = Config()
    p.add_argument("--image", default=d.image, help="raw disk image (default %(default)s)")
    p.add_argument("--iso", default=d.iso, help="CD image for --boot cdrom (default %(default)s)")
    p.add_argument("--boot", choices=BOOT_MEDIA, default=d.boot,
                   help="boot medium (default %(default)s)")
    p.add_argument("--cmdline", help="kernel command line, written into a copy of the image")
    p.add_argument("--corrupt-kernel", choices=sorted(CORRUPTIONS),
                   help="damage KERNEL.ELF in a copy of the image (tests the loader's checks)")
    p.add_argument("--smp", type=int, default=d.smp, help="CPUs (default %(default)s)")
    p.add_argument("--mem", default=d.mem, help="memory (default %(default)s)")
    p.add_argument("--cpu", default=d.cpu, help="CPU model (default %(default)s)")
    p.add_argument("--machine", default=d.machine, help="machine type (default %(default)s)")
    p.add_argument("--display", choices=DISPLAYS, default=d.display,
                   help="graphical display (default %(default)s)")
    p.add_argument("--gdb", type=int, nargs="?", const=1234, default=0, metavar="PORT",
                   help="gdb stub on localhost:PORT (default 1234), CPU halted until gdb continues")
    p.add_argument("--firmware", choices=sorted(FIRMWARES), default=d.firmware,
                   help="OVMF build: default, secboot (Secure Boot, Microsoft's keys) or "
                        "snakeoil (Secure Boot, Debian's test key) (default %(default)s)")
    p.add_argument("--console", choices=CONSOLES, default=d.console,
                   help="where the serial console is: com1, com2 (no COM1) or pci "
                        "(a PCI UART, no COM ports) (default %(default)s)")
    p.add_argument("--no-debug-exit", dest="debug_exit", action="store_false",
                   help="no isa-debug-exit device, as on a real PC: the guest's end "
                        "does not end QEMU (power-off pauses it; Ctrl-C to quit)")
    p.add_argument("--monitor", metavar="SOCKET",
                   help="QEMU's human monitor on this unix socket (socat - UNIX:SOCKET)")
    p.add_argument("--print-cmd", action="store_true",
                   help="print the QEMU command line to stderr before running it")
    args = p.parse_args(argv)
    args.extra = extra
    return args


def config_from_args(args):
    return Config(machine=args.machine, cpu=args.cpu, smp=args.smp, mem=args.mem,
                  boot=args.boot, image=args.image, iso=args.iso, serial="stdio",
                  display=args.display, gdb=args.gdb, firmware=args.firmware,
                  console=args.console, debug_exit=args.debug_exit, monitor=args.monitor,
                  extra=args.extra + env_extra_args())


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    cfg = config_from_args(args)
    # Killed politely (make interrupted, terminal closed): take QEMU along.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        with Instance(cfg, cmdline=args.cmdline, corrupt=args.corrupt_kernel) as inst:
            if args.print_cmd:
                print(shlex.join(inst.argv), file=sys.stderr, flush=True)
            if cfg.gdb:
                print(f"qemu.py: CPU halted; gdb stub on localhost:{cfg.gdb} "
                      f"(gdb: target remote :{cfg.gdb})", file=sys.stderr, flush=True)
            rc, printed, nbytes = run_teed(inst.argv)
    except SetupError as e:
        print(f"qemu.py: {e}", file=sys.stderr)
        return EXIT_QEMU_FAILED
    except KeyboardInterrupt:
        print("\nqemu.py: interrupted", file=sys.stderr)
        return 130
    kind, n = interpret_status(rc, printed, nbytes)
    if kind == "exit":
        return n
    if kind == "reset":
        print("qemu.py: the machine reset or powered off without an exit status "
              "(triple fault?)", file=sys.stderr)
        return EXIT_RESET
    how = f"was killed by signal {-n}" if n < 0 else f"failed (status {n}, no console output)"
    print(f"qemu.py: QEMU {how}", file=sys.stderr)
    return EXIT_QEMU_FAILED


if __name__ == "__main__":
    sys.exit(main())
