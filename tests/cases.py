"""cases.py - the serial-console test cases that tests/run boots.

CASES is a list of plain dicts. Each needs a "name" (letters, digits,
. _ -; it also names build/test-logs/<name>.log); every other key is
optional and defaults as follows (tests/harness/case.py checks them):

  cmdline        None      kernel command line, written into a private copy of
                           usb.img; None keeps the image's own CMDLINE.TXT
  boot           "disk"    "disk" (usb.img as a SATA disk), "usb" (usb.img on
                           xHCI usb-storage) or "cdrom" (rt.iso; its command
                           line is fixed, so cmdline must stay None)
  cpu            None      QEMU -cpu; None: tools/qemu.py's default, max
  machine        None      QEMU -machine; None: q35
  smp            None      CPUs; None: 4
  mem            None      memory; None: 512M
  qemu_args      []        more QEMU arguments
  timeout        None      seconds before QEMU is killed and the case is a
                           hang; None: 60 (tests/run --timeout overrides all)
  expect_exit    0         the guest's exit status (`exit status N`)
  require        []        regexes that must each match the console
  require_order  []        regexes that must match one after the other
  forbid         []        regexes that must not match
  ktap           False     the console holds KTAP version 1 results: each
                           subtest is counted, all must pass, none may be missing

Every case also fails on a hang, a reset or triple fault (QEMU ending without
an `exit status N` line) and on an exit status other than expect_exit.
Regexes are Python `re` patterns, searched line-wise (^ and $ match at line
ends) in the console text with ANSI escapes and \\r removed.
"""

CASES = [
    {
        "name": "boot-demo",
        "cmdline": "GODEBUG=inittrace=1",
        "expect_exit": 0,
        "require_order": [
            r"init rt0_go",
            r"init schedinit",
            r"init runtime_main",
            r"main_main",
            r"^exit status 0$",
        ],
    },
    {
        "name": "ktap-boot",
        "cmdline": "test=boot",
        "ktap": True,
        "expect_exit": 0,
    },
    {
        "name": "ktap-print",
        "cmdline": "test=print",
        "ktap": True,
        "expect_exit": 0,
    },
    {
        "name": "cmdline-garbage",
        "cmdline": "GOMAXPROCS=abc GODEBUG=,,=",
        "expect_exit": 0,
        "require": [r"warning: .*GOMAXPROCS"],
    },
    {
        # A goroutine writes through a NULL pointer: the page fault must become
        # a Go panic with a traceback, not a reset.
        "name": "nullwrite",
        "cmdline": "test=nullwrite",
        "expect_exit": 2,
        "require": [
            r"panic: runtime error: invalid memory address or nil pointer dereference",
            r"\[signal SIGSEGV",
            r"goroutine 1 \[running\]",
            r"^exit status 2$",
        ],
    },
    {
        "name": "lacks-cx16",
        "cpu": "qemu64,-cx16",
        "expect_exit": 2,
        "require": [r"runtime: this CPU lacks cmpxchg16b"],
    },
    {
        "name": "boot-usb",
        "boot": "usb",
        "expect_exit": 0,
    },
    {
        "name": "boot-cdrom",
        "boot": "cdrom",
        "expect_exit": 0,
    },
]
