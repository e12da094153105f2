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
  qemu_args      []        more QEMU arguments ("{build}" becomes the build directory)
  timeout        None      seconds before QEMU is killed and the case is a
                           hang; None: 60 (tests/run --timeout overrides all)
  expect_exit    0         the guest's exit status (`exit status N`)
  require        []        regexes that must each match the console
  require_order  []        regexes that must match one after the other
  forbid         []        regexes that must not match
  ktap           False     the console holds KTAP version 1 results: each
                           subtest is counted, all must pass, none may be missing
  app            None      "apps/<name>": boot that example's own image,
                           build/apps/<name>/usb.img (make examples)
  prog           None      "tests/progs/<name>": boot that test program's own
                           image, build/tests/progs/<name>/usb.img (make progs)

  image          None      another disk image, a path inside the build directory
  firmware       "default" OVMF build: "default", "secboot" (Secure Boot,
                           Microsoft's keys), "snakeoil" (Secure Boot, Debian's
                           test key): tools/qemu.py FIRMWARES
  console        "com1"    where the console UART is: "com1", "com2" (no COM1),
                           "pci" (a PCI UART, no COM ports)
  debug_exit     True      False: no isa-debug-exit and -action shutdown=pause,
                           as a real PC; the run ends 2 s after `exit status N`
                           (or after the monitor steps)
  monitor        []        steps {"when": regex, "send": "HMP command",
                           "delay": s, "expect": regex}: sent in order, each
                           once `when` has shown and `delay` has passed; the
                           answer must match `expect`
  no_boot        False     the firmware must refuse to start anything (Secure
                           Boot): passes when OVMF finds nothing to boot
  firmware_vars  None      the OVMF variable store to start from instead of the
                           firmware's own, a path inside the build directory

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
            r"^main_main: running as goroutine 1 on CPU 0 of 4, GOMAXPROCS=4$",
            r"^  goroutine \d+ ran on CPU [0-3]$",
            r"^goroutines: 8 ran on [1-4] of 4 CPUs$",
            r"^pipeline: generate 1\.\.10 -> square -> sum = 385$",
            r"^select: timed out after \d+ ms$",
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
        "name": "init-gosched-smp1",
        "cmdline": "test=boot inittest=gosched",
        "ktap": True,
        "smp": 1,
        "require": [r"^inittest: init yielded 3 times on m0$"],
    },
    {
        "name": "init-gosched-smp2",
        "cmdline": "test=boot inittest=gosched",
        "ktap": True,
        "smp": 2,
        "require": [r"^inittest: init yielded 3 times on m0$"],
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
        "smp": 1,
        "expect_exit": 0,
        "require": [r"warning: .*GOMAXPROCS", r"warning: GODEBUG: malformed setting", r"GOMAXPROCS=1"],
    },
    {
        # GOMAXPROCS from the command line reaches procresize
        "name": "cmdline-gomaxprocs",
        "cmdline": "GOMAXPROCS=3 GODEBUG=inittrace=0",
        "expect_exit": 0,
        "require": [r"GOMAXPROCS=3"],
        "forbid": [r"^init ", r"warning"],
    },
    {
        "name": "cmdline-unknown-godebug",
        "cmdline": "GODEBUG=nosuchvar=1,inittrace=x",
        "expect_exit": 0,
        "require": [r"warning: GODEBUG: unknown setting nosuchvar", r"warning: GODEBUG: inittrace=x is not a number"],
    },
    {
        "name": "ktest-unknown-suite",
        "cmdline": "test=nosuchsuite",
        "expect_exit": 2,
        "require": [r"ktest: no test suite named nosuchsuite", r"known suites:.* boot"],
    },
    # The lockup watchdog (tests/kernel/watchdog_test.c): each planted hang
    # ends in "CPU N stuck" with where it was, and exit status 2.
    {
        "name": "watchdog-cli",
        "cmdline": "test=hang_cli",
        "smp": 2,
        "expect_exit": 2,
        "require_order": [
            r"^planted: spinning with interrupts off on CPU \d",
            r"^fatal error: CPU \d stuck$",
            r"^trap: vector 2 \(NMI\)",
            r"^rip .* spin_cli\+",
            r"^spin_cli\+",
            r"^hang_cli\+",
            r"^exit status 2$",
        ],
    },
    {
        "name": "watchdog-lostirq",
        "cmdline": "test=hang_lostirq",
        "smp": 2,
        "expect_exit": 2,
        "require_order": [
            r"^planted: timer class blocked",
            r"^fatal error: CPU \d stuck$",
            r"^rip .* spin_blocked\+",
            r"^hang_lostirq\+",
            r"^exit status 2$",
        ],
    },
    {
        "name": "watchdog-selflock",
        "cmdline": "test=hang_selflock",
        "smp": 4,
        "expect_exit": 2,
        "require_order": [
            r"^planted: taking a spin lock twice",
            r"^fatal error: CPU \d stuck$",
            r"^rip .* spin_lock_irqsave\+",
            r"^spin_lock_irqsave\+",
            r"^lock_twice\+",
            r"^exit status 2$",
        ],
    },
    {
        # the rule that keeps stack growth from deadlocking (rt/mem_baremetal.c)
        "name": "physlock-on-gstack",
        "cmdline": "test=physlock_on_gstack",
        "smp": 1,
        "expect_exit": 2,
        "require_order": [
            r"^planted: page_alloc on goroutine",
            r"^fatal error: spin_lock: physlock taken on a goroutine's stack",
            r"^\s+page_alloc\+",
            r"^exit status 2$",
        ],
        "forbid": [r"page_alloc returned"],
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
        "name": "divzero",
        "cmdline": "test=divzero",
        "expect_exit": 2,
        "require_order": [r"^panic: runtime error: integer divide by zero$", r"^trap: vector 0 \(divide error\)",
                          r"^goroutine 1 \[running\]:$", r"^divzero\+0x", r"^ktest_main\+0x", r"^runtime_main\+0x",
                          r"^exit status 2$"],
    },
    {
        # the trap report: vector, error code, RIP with its symbol, CR2, registers
        "name": "nullwrite-report",
        "cmdline": "test=nullwrite",
        "expect_exit": 2,
        "require_order": [r"^trap: vector 14 \(page fault\), error code 0x2$",
                          r"^rip +0x[0-9a-f]{16} nullwrite\+0x[0-9a-f]+$",
                          r"^cr2 +0x0000000000000000 \(not present, write, data\)$",
                          r"^rax +0x", r"^r15 +0x", r"^goroutine 1 \[running\]:$",
                          r"^nullwrite\+0x", r"^ktest_main\+0x", r"^runtime_main\+0x"],
    },
    {
        "name": "panic",
        "cmdline": "test=panic",
        "expect_exit": 2,
        "require_order": [r"^panic: something went wrong: 42$", r"^goroutine 1 \[running\]:$",
                          r"^panic_c", r"^panic_b", r"^panic_a", r"^do_panic\+", r"^exit status 2$"],
    },
    {
        "name": "throw",
        "cmdline": "test=throw",
        "expect_exit": 2,
        "require_order": [r"^fatal error: test throw$", r"^goroutine 1 \[running\]:$", r"^do_throw\+",
                          r"^goroutine \d+ \[chan receive\]:$", r"^gopark\+", r"^parked\+", r"^exit status 2$"],
    },
    {
        "name": "badfree",
        "cmdline": "test=badfree",
        "expect_exit": 2,
        "require_order": [r"^fatal error: free of invalid pointer$", r"^badfree\+", r"^exit status 2$"],
    },
    {
        "name": "deadlock",
        "cmdline": "test=deadlock",
        "expect_exit": 2,
        "require_order": [r"^fatal error: all goroutines are asleep - deadlock!$",
                          r"^goroutine \d+ \[", r"^exit status 2$"],
        "require": [r"^goroutine 1 \[select \(no cases\)\]:$", r"^goroutine \d+ \[chan receive\]:$"],
    },
    {
        "name": "nilgo",
        "cmdline": "test=nilgo",
        "expect_exit": 2,
        "require": [r"^fatal error: go of nil func value$", r"^nilgo\+"],
    },
    {
        # a fault in the runtime itself (on g0) is a fatal error, not a panic
        "name": "g0fault",
        "cmdline": "test=g0fault",
        "expect_exit": 2,
        "require_order": [r"^trap: vector 14 \(page fault\)", r"^fatal error: unexpected trap$",
                          r"^runtime stack:$", r"^g0fault_m\+", r"^goroutine 1 \[running\]:$", r"^g0fault\+"],
        "forbid": [r"^panic:"],
    },
    {
        "name": "loader-truncated-elf",
        "corrupt_kernel": "truncated",
        "expect_exit": 2,
        "require": [r"^loader: .*KERNEL.ELF: segment lies outside the file", r"^loader: not starting the kernel$"],
        "forbid": [r"^init ", r"main_main"],
    },
    {
        "name": "loader-wrong-machine",
        "corrupt_kernel": "wrong-machine",
        "expect_exit": 2,
        "require": [r"^loader: .*KERNEL.ELF: wrong machine, not x86-64: 0x3$", r"^loader: not starting the kernel$"],
        "forbid": [r"^init ", r"main_main"],
    },
    {
        "name": "loader-bad-magic",
        "corrupt_kernel": "bad-magic",
        "expect_exit": 2,
        "require": [r"^loader: .*KERNEL.ELF: not an ELF file \(bad magic\)$"],
    },
    {
        # ExitBootServices refused every time (a stale map key): retried,
        # then the loader speaks through COM1 and the framebuffer itself
        "name": "loader-ebs-fail",
        "cmdline": "test=loader-ebs-fail",
        "expect_exit": 2,
        "require_order": [r"^loader: ExitBootServices failed \(status 0x8000000000000002\) after 8 tries",
                          r"^loader: not starting the kernel$", r"^exit status 2$"],
        "forbid": [r"^init ", r"main_main", r"X64 Exception"],
    },
    {
        # the last ExitBootServices succeeds (boot services really gone)
        # but is reported failed: no boot service may be called after it
        # (Print crashed in the firmware here, and the machine hung)
        "name": "loader-ebs-lost",
        "cmdline": "test=loader-ebs-lost",
        "expect_exit": 2,
        "require_order": [r"^loader: ExitBootServices failed \(status 0x8000000000000002\) after 8 tries",
                          r"^loader: not starting the kernel$", r"^exit status 2$"],
        "forbid": [r"^init ", r"main_main", r"X64 Exception"],
        "timeout": 45,
    },
    {
        "name": "sched-smp1",
        "cmdline": "test=sched",
        "ktap": True,
        "smp": 1,
        "mem": "1G",
        "timeout": 180,
    },
    {
        "name": "sched-smp2",
        "cmdline": "test=sched",
        "ktap": True,
        "smp": 2,
        "mem": "1G",
        "timeout": 180,
    },
    {
        "name": "sched-smp4",
        "cmdline": "test=sched",
        "ktap": True,
        "smp": 4,
        "mem": "1G",
        "timeout": 180,
    },
    {
        "name": "sched-smp8",
        "cmdline": "test=sched",
        "ktap": True,
        "smp": 8,
        "mem": "1G",
        "timeout": 240,
    },
    {
        # the xAPIC path (qemu64 has no x2APIC) and the other chipset
        "name": "sched-qemu64-pc",
        "cmdline": "test=sched",
        "ktap": True,
        "cpu": "qemu64",
        "machine": "pc",
        "smp": 4,
        "mem": "1G",
        "timeout": 180,
    },
    {
        "name": "sched-gomaxprocs2",
        "cmdline": "test=sched GOMAXPROCS=2",
        "ktap": True,
        "smp": 4,
        "mem": "1G",
        "timeout": 180,
        "require": [r"^# GOMAXPROCS=2 on 4 CPUs: Ps used 0x[123]$"],
    },
    {
        "name": "maxcpus",
        "cmdline": "maxcpus=2",
        "smp": 4,
        "require": [r"^main_main: running as goroutine 1 on CPU 0 of 2, GOMAXPROCS=2$"],
    },
    {
        "name": "thread-exhaustion",
        "cmdline": "maxthreads=2",
        "smp": 4,
        "expect_exit": 2,
        "require_order": [r"^runtime: program exceeds 2-thread limit$", r"^fatal error: thread exhaustion$"],
    },
    {
        "name": "spinexit",
        "cmdline": "test=spinexit",
        "smp": 4,
        "require_order": [r"^spinexit: 200 goroutines spinning, main_main returns$", r"^exit status 0$"],
    },
    {
        "name": "deadlock-smp4",
        "cmdline": "test=deadlock",
        "smp": 4,
        "expect_exit": 2,
        "require": [r"^fatal error: all goroutines are asleep - deadlock!$"],
    },
    {
        "name": "time-smp2",
        "cmdline": "test=time GODEBUG=inittrace=1",
        "ktap": True,
        "smp": 2,
        "mem": "1G",
        "timeout": 180,
        "require": [r"osinit: 2 CPUs, TSC \d+\.\d+ MHz \(calibrated by HPET\)"],
    },
    {
        "name": "time-pit",
        "cmdline": "test=time clocksource=pit GODEBUG=inittrace=1",
        "ktap": True,
        "smp": 2,
        "mem": "1G",
        "timeout": 180,
        "require": [r"osinit: 2 CPUs, TSC \d+\.\d+ MHz \(calibrated by PIT\)"],
    },
    {
        # no invariant TSC, no leaf 15h (PIT calibration), xAPIC, no HPET
        "name": "time-qemu64-nohpet",
        "cmdline": "test=time GODEBUG=inittrace=1",
        "require": [r"osinit: 4 CPUs, TSC \d+\.\d+ MHz \(calibrated by ACPI PM timer\)"],
        "ktap": True,
        "cpu": "qemu64",
        "machine": "q35,hpet=off",
        "smp": 4,
        "mem": "1G",
        "timeout": 180,
    },
    {
        "name": "preempt-smp2",
        "cmdline": "test=preempt",
        "ktap": True,
        "smp": 2,
        "mem": "1G",
        "timeout": 180,
    },
    {
        "name": "preempt-qemu64",
        "cmdline": "test=preempt",
        "ktap": True,
        "cpu": "qemu64",
        "smp": 4,
        "mem": "1G",
        "timeout": 180,
    },
    {
        # as in Go, a tight loop then starves the other goroutine
        "name": "preempt-off",
        "cmdline": "test=preempt:tight_loop_does_not_starve GODEBUG=asyncpreemptoff=1",
        "ktap": True,
        "smp": 2,
        "require": [r"^# asyncpreemptoff=1: the printer printed \d of 10 times$"],
    },
    {
        "name": "schedtrace",
        "cmdline": "test=time:sleepers_1000 GODEBUG=schedtrace=10",
        "ktap": True,
        "smp": 4,
        "require": [r"^SCHED \d+ms: gomaxprocs=4 idleprocs=\d+ threads=5 spinningthreads=\d+ "
                    r"idlethreads=\d+ runqueue=\d+ \[\d+ \d+ \d+ \d+\]$"],
    },
    {
        "name": "ktap-chan-smp1",
        "cmdline": "test=chan",
        "ktap": True,
        "smp": 1,
        "mem": "1G",
        "timeout": 120,
    },
    {
        "name": "ktap-chan-smp4",
        "cmdline": "test=chan",
        "ktap": True,
        "smp": 4,
        "mem": "1G",
        "timeout": 120,
    },
    {
        "name": "ktap-sync",
        "cmdline": "test=sync",
        "ktap": True,
        "smp": 4,
        "mem": "1G",
        "timeout": 120,
    },
    {
        "name": "chansendclosed",
        "cmdline": "test=chansendclosed",
        "expect_exit": 2,
        "require_order": [r"^panic: send on closed channel$", r"^goroutine \d+ \[running\]:$",
                          r"^chansendclosed\+", r"^exit status 2$"],
    },
    {
        # a send case with default panics too, as in Go
        "name": "chantrysendclosed",
        "cmdline": "test=chantrysendclosed",
        "expect_exit": 2,
        "require_order": [r"^panic: send on closed channel$", r"^goroutine \d+ \[running\]:$",
                          r"^chantrysendclosed\+", r"^exit status 2$"],
    },
    {
        "name": "chanclose2",
        "cmdline": "test=chanclose2",
        "expect_exit": 2,
        "require_order": [r"^panic: close of closed channel$", r"^goroutine \d+ \[running\]:$",
                          r"^chanclose2\+", r"^exit status 2$"],
    },
    {
        "name": "chanclosenil",
        "cmdline": "test=chanclosenil",
        "expect_exit": 2,
        "require_order": [r"^panic: close of nil channel$", r"^goroutine \d+ \[running\]:$",
                          r"^chanclosenil\+", r"^exit status 2$"],
    },
    {
        # the sender was parked when another goroutine closed the channel
        "name": "chanclosewakesender",
        "cmdline": "test=chanclosewakesender",
        "expect_exit": 2,
        "require_order": [r"^panic: send on closed channel$", r"^goroutine 1 \[running\]:$",
                          r"^chanclosewakesender\+", r"^exit status 2$"],
    },
    {
        # Go throws this one: a fatal error, not a panic
        "name": "unlockunlocked",
        "cmdline": "test=unlockunlocked",
        "expect_exit": 2,
        "require_order": [r"^fatal error: sync: unlock of unlocked mutex$", r"^goroutine \d+ \[running\]:$",
                          r"^unlockunlocked\+", r"^exit status 2$"],
        "forbid": [r"^panic:"],
    },
    {
        "name": "wgnegative",
        "cmdline": "test=wgnegative",
        "expect_exit": 2,
        "require_order": [r"^panic: sync: negative WaitGroup counter$", r"^goroutine \d+ \[running\]:$",
                          r"^wgnegative\+", r"^exit status 2$"],
    },
    {
        "name": "nilchandeadlock",
        "cmdline": "test=nilchandeadlock",
        "expect_exit": 2,
        "require_order": [r"^fatal error: all goroutines are asleep - deadlock!$",
                          r"^goroutine 1 \[chan receive \(nil chan\)\]:$", r"^nilchandeadlock\+", r"^exit status 2$"],
    },
    {
        "name": "selectnone",
        "cmdline": "test=selectnone",
        "expect_exit": 2,
        "require_order": [r"^fatal error: all goroutines are asleep - deadlock!$",
                          r"^goroutine 1 \[select \(no cases\)\]:$", r"^selectnone\+", r"^exit status 2$"],
    },
    {
        # console input: typed into COM1 by the harness, read back through
        # the receive interrupt and console_read
        "name": "console-echo",
        "cmdline": "test=echo",
        "smp": 2,
        "type": [r"^echo: ready$", "hello from the harness\r"],
        "require_order": [r"^echo: ready$", r"^echo: hello from the harness$", r"^exit status 0$"],
    },
    {
        "name": "ktap-mem",
        "cmdline": "test=mem",
        "ktap": True,
        "mem": "1G",
        "timeout": 180,
    },
    {
        "name": "ktap-stack",
        "cmdline": "test=stack",
        "ktap": True,
        "mem": "1G",
    },
    {
        # the suites at both ends of the memory sizes a machine may have
        "name": "mem-128M",
        "cmdline": "test=stack",
        "ktap": True,
        "mem": "128M",
    },
    {
        "name": "mem-8G",
        "cmdline": "test=stack",
        "ktap": True,
        "mem": "8G",
    },
    {
        "name": "doublefree",
        "cmdline": "test=doublefree",
        "expect_exit": 2,
        "require_order": [r"^runtime: free\(0x[0-9a-f]+\): already freed$",
                          r"^fatal error: free of invalid pointer$", r"^doublefree\+"],
    },
    {
        "name": "interiorfree",
        "cmdline": "test=interiorfree",
        "expect_exit": 2,
        "require_order": [r"^runtime: free\(0x[0-9a-f]+\): not the start of an object$",
                          r"^fatal error: free of invalid pointer$", r"^interiorfree\+"],
    },
    {
        "name": "oom",
        "cmdline": "test=oom",
        "mem": "256M",
        "expect_exit": 2,
        "require_order": [r"^runtime: out of memory: cannot allocate \d+-byte block \(heap \d+ bytes in use",
                          r"^fatal error: out of memory$", r"^goroutine 1 \[running\]:$", r"^malloc\+",
                          r"^oom\+", r"^exit status 2$"],
    },
    {
        "name": "callocoverflow",
        "cmdline": "test=callocoverflow",
        "expect_exit": 2,
        "require_order": [r"^panic: calloc: 4611686018427387904 \* 16 overflows$", r"^callocoverflow\+"],
    },
    {
        "name": "stackoverflow",
        "cmdline": "test=stackoverflow",
        "expect_exit": 2,
        "require_order": [r"^runtime: goroutine stack exceeds 131072-byte limit$",
                          r"^runtime: sp=0x[0-9a-f]+ stack=\[0x[0-9a-f]+, 0x[0-9a-f]+\]$",
                          r"^fatal error: stack overflow$", r"^goroutine \d+ \[running\]:$",
                          r"^forever", r"^\.\.\.additional frames elided\.\.\.$", r"^exit status 2$"],
    },
    {
        "name": "stackmax-64k",
        "cmdline": "test=stackoverflow stackmax=65536",
        "expect_exit": 2,
        "require": [r"^runtime: goroutine stack exceeds 65536-byte limit$", r"^fatal error: stack overflow$"],
    },
    {
        # the boot CPU's g0 stack has a guard page too
        "name": "g0overflow",
        "cmdline": "test=g0overflow",
        "expect_exit": 2,
        "require_order": [r"^runtime: goroutine stack exceeds 65536-byte limit$", r"^fatal error: stack overflow$",
                          r"^runtime stack:$", r"^forever"],
    },
    {
        "name": "lacks-cx16",
        "cpu": "qemu64,-cx16",
        "expect_exit": 2,
        "require": [r"runtime: this CPU lacks cmpxchg16b"],
    },
    {
        # the machine every other case runs on, but the other chipset
        "name": "boot-pc-smp1",
        "machine": "pc",
        "smp": 1,
        "cmdline": "test=boot",
        "ktap": True,
    },
    {
        "name": "boot-usb",
        "boot": "usb",
        "expect_exit": 0,
        "require": [r"^main_main: running as goroutine 1"],
    },
    {
        "name": "boot-cdrom",
        "boot": "cdrom",
        "expect_exit": 0,
        "require": [r"^main_main: running as goroutine 1"],
    },
    # The example programs of apps/, each at 1 and 4 CPUs, from the images
    # `make examples` builds.
    {
        "name": "app-hello-smp1",
        "app": "apps/hello",
        "smp": 1,
        "require_order": [r"^hello, world$", r"^exit status 0$"],
    },
    {
        "name": "app-hello-smp4",
        "app": "apps/hello",
        "smp": 4,
        "require_order": [r"^hello, world$", r"^exit status 0$"],
    },
    {
        "name": "app-sieve-smp1",
        "app": "apps/sieve",
        "smp": 1,
        "require_order": [r"^2$", r"^3$", r"^5$", r"^7$", r"^11$", r"^523$", r"^541$",
                          r"^sieve: the first 100 primes, the last is 541$", r"^exit status 0$"],
    },
    {
        "name": "app-sieve-smp4",
        "app": "apps/sieve",
        "smp": 4,
        "require_order": [r"^2$", r"^3$", r"^5$", r"^7$", r"^11$", r"^523$", r"^541$",
                          r"^sieve: the first 100 primes, the last is 541$", r"^exit status 0$"],
    },
    {
        "name": "app-skynet-smp1",
        "app": "apps/skynet",
        "smp": 1,
        "timeout": 120,
        "require_order": [r"^499999500000$", r"^skynet: 1000000 leaves, 1111111 goroutines in \d+ ms",
                          r"^exit status 0$"],
    },
    {
        "name": "app-skynet-smp4",
        "app": "apps/skynet",
        "smp": 4,
        "timeout": 120,
        "require_order": [r"^499999500000$", r"^skynet: 1000000 leaves, 1111111 goroutines in \d+ ms",
                          r"^exit status 0$"],
    },
    {
        "name": "app-skynet-smp4-1G",
        "app": "apps/skynet",
        "smp": 4,
        "mem": "1G",
        "timeout": 120,
        "require_order": [r"^499999500000$", r"^exit status 0$"],
    },
    {
        "name": "app-pingpong-smp1",
        "app": "apps/pingpong",
        "smp": 1,
        "require_order": [r"^pingpong: 100000 round trips, counter 200000$",
                          r"^pingpong: \d+ ns per round trip \(GOMAXPROCS=1\)$", r"^exit status 0$"],
    },
    {
        "name": "app-pingpong-smp4",
        "app": "apps/pingpong",
        "smp": 4,
        "require_order": [r"^pingpong: 100000 round trips, counter 200000$",
                          r"^pingpong: \d+ ns per round trip \(GOMAXPROCS=4\)$", r"^exit status 0$"],
    },
    {
        "name": "app-workers-smp1",
        "app": "apps/workers",
        "smp": 1,
        "require_order": [r"^CPU 0: 1000 jobs$", r"^jobs done: 1000 by 1 workers$",
                          r"^sum of squares 1\.\.1000 = 333833500$", r"^exit status 0$"],
    },
    {
        # which CPU ran how many jobs varies; that all four appear does not
        "name": "app-workers-smp4",
        "app": "apps/workers",
        "smp": 4,
        "require_order": [r"^CPU 0: \d+ jobs$", r"^CPU 1: \d+ jobs$", r"^CPU 2: \d+ jobs$", r"^CPU 3: \d+ jobs$",
                          r"^jobs done: 1000 by 4 workers$", r"^sum of squares 1\.\.1000 = 333833500$",
                          r"^exit status 0$"],
    },
    {
        "name": "app-timeout-smp1",
        "app": "apps/timeout",
        "smp": 1,
        "require_order": [r"^fast: job of 10 ms vs timeout of 2000 ms: result 42$",
                          r"^slow: job of 2000 ms vs timeout of 100 ms: timed out$", r"^exit status 0$"],
    },
    {
        "name": "app-timeout-smp4",
        "app": "apps/timeout",
        "smp": 4,
        "require_order": [r"^fast: job of 10 ms vs timeout of 2000 ms: result 42$",
                          r"^slow: job of 2000 ms vs timeout of 100 ms: timed out$", r"^exit status 0$"],
    },
    {
        # a 60-second slice of the torture run (make torture): random
        # goroutines, channels, select, locks, timers, heap and stack use
        # under frequent preemption; every round's invariants must hold
        "name": "torture-smp2",
        "app": "apps/torture",
        "cmdline": "duration=60 GODEBUG=sysmonperiod=100,forcepreemptns=100000",
        "smp": 2,
        "timeout": 180,
        "require_order": [r"^torture: seed=\d+ duration=60 s, 2 CPUs", r"^torture: done after \d+ s: ",
                          r"^\d+ passed, 0 failed$", r"^exit status 0$"],
        "forbid": [r"^torture: FAIL", r"^torture: HANG"],
    },
]

# Test programs from outside the runtime (tests/progs/<name>, `make progs`):
# each uses include/rt.h only, as a user's program would, and reproduces a
# defect seen in the runtime (tests/README.md).
def _stackedge(name, smp, cmdline=None):
    return {
        "name": name,
        "prog": "tests/progs/stackedge",
        "smp": smp,
        "cmdline": cmdline,
        "timeout": 120,
        "require_order": [r"^stackedge: boundary 1 ", r"^stackedge: boundary 1: 161 offsets ok$",
                          r"^stackedge: boundary 2 ", r"^stackedge: boundary 2: 161 offsets ok$",
                          r"^stackedge: 2 boundaries x 161 offsets x 4 ops ok$", r"^exit status 0$"],
        "forbid": [r"FAIL", r"^fatal error", r"^panic"],
    }


CASES += [
    _stackedge("stackedge-smp1", 1),
    _stackedge("stackedge-smp2", 2),
    _stackedge("stackedge-trim-smp1", 1, "trim"),
    _stackedge("stackedge-trim-smp2", 2, "trim"),
    {
        # an interrupt while sp is on a not yet backed page of a big frame
        "name": "bigframe-smp1",
        "prog": "tests/progs/bigframe",
        "smp": 1,
        "timeout": 60,
        "require_order": [r"^bigframe: 2000 rounds ok$", r"^bigframe: 2000 rounds in \d+ ms$", r"^exit status 0$"],
        "forbid": [r"FAIL"],
    },
    {
        "name": "bigframe-smp2",
        "prog": "tests/progs/bigframe",
        "smp": 2,
        "timeout": 60,
        "require_order": [r"^bigframe: 2000 rounds ok$", r"^bigframe: 2000 rounds in \d+ ms$", r"^exit status 0$"],
        "forbid": [r"FAIL"],
    },
    {
        # RT_INIT order: files in link order, declarations in order within a file
        "name": "initorder",
        "prog": "tests/progs/initorder",
        "smp": 1,
        "require_order": [r"^initorder: a\.first a\.second b\.first b\.second$", r"^initorder: ok$",
                          r"^exit status 0$"],
    },
]

# A goroutine spinning with N bytes of stack left must survive its
# asynchronous preemptions (-smp 1: another goroutine wants the CPU),
# preempted during the spin when it has room, deferred when not.
def _preemptroom(name, cmdline=None):
    return {
        "name": name,
        "prog": "tests/progs/preemptroom",
        "smp": 1,
        "cmdline": cmdline,
        "timeout": 90,
        "require_order": [r"^preemptroom: N=%d: ok, " % n for n in (8192, 4096, 2000, 1500, 1128, 1000, 512)] +
                         [r"^preemptroom: 7 amounts ok$", r"^exit status 0$"],
        "forbid": [r"^fatal error", r"FAIL"],
    }


CASES += [
    _preemptroom("preemptroom-smp1"),
    _preemptroom("preemptroom-stackmax16k-smp1", "stackmax=16384"),
]

# Short sleeps timed while the other CPU goes idle or comes back, an hour's
# sleep pending: a new earlier timer must wake the idle M that waits for the hour.
CASES += [
    {
        "name": "timerwake-smp2",
        "prog": "tests/progs/timerwake",
        "smp": 2,
        "timeout": 60,
        "require_order": [r"^timerwake: 2000 sleeps in \d+ ms, worst lateness", r"^timerwake: ok$",
                          r"^exit status 0$"],
        "forbid": [r"FAIL"],
    },
]

# Two goroutines that play ping-pong forever over unbuffered channels must
# not keep main and a third goroutine off the only P.
def _starve(name, smp, cmdline=None, procs=None):
    return {
        "name": name,
        "prog": "tests/progs/starve",
        "smp": smp,
        "cmdline": cmdline,
        "timeout": 60,
        "require_order": [r"^starve: GOMAXPROCS=%d, gosched returned after \d+ ms" % (procs or smp),
                          r"^starve: main woke after \d+ ms, the third goroutine ran$", r"^starve: ok$",
                          r"^exit status 0$"],
    }


CASES += [
    _starve("starve-smp1", 1),
    _starve("starve-smp2-gomaxprocs1", 2, "GOMAXPROCS=1", procs=1),
    _starve("starve-smp2", 2),
]

# The hardware matrix: CPU models, CPU counts and machine types the cases
# above do not already cover (tests/README.md says what each stands in for).
CASES += [
    {
        "name": "matrix-haswell",
        "ktap": True,
        "cmdline": "test=sched",
        "cpu": "Haswell",
        "smp": 4,
        "mem": "1G",
    },
    {
        "name": "matrix-epyc",
        "ktap": True,
        "cmdline": "test=sched",
        "cpu": "EPYC",
        "smp": 2,
        "mem": "1G",
    },
    {
        "name": "matrix-64cpu-boot",
        "ktap": True,
        "cmdline": "test=boot",
        "smp": 64,
        "mem": "1G",
        "timeout": 240,
    },
    {
        "name": "matrix-64cpu-sched",
        "ktap": True,
        "cmdline": "test=sched",
        "smp": 64,
        "mem": "1G",
        "timeout": 240,
    },
]

# What the torture run (apps/torture) found, one reproducer each
# (tests/progs/*, each file's comment says how it failed).
CASES += [
    {
        "name": "intrstack-smp1",
        "prog": "tests/progs/intrstack",
        "smp": 1,
        "cmdline": "GODEBUG=sysmonperiod=20",
        "timeout": 90,
        "require_order": [r"^intrstack: X=0 ok$", r"^intrstack: survived$", r"^exit status 0$"],
    },
    {
        "name": "lockfault-smp1",
        "prog": "tests/progs/lockfault",
        "smp": 1,
        "timeout": 90,
        "require_order": [r"^lockfault: Y=0 ok$", r"^lockfault: survived$", r"^exit status 0$"],
    },
    {
        "name": "maxprocs-smp4",
        "prog": "tests/progs/maxprocs",
        "smp": 4,
        "timeout": 120,
        "require_order": [r"^maxprocs: 1200 changes, GOMAXPROCS back to 4$", r"^exit status 0$"],
    },
    {
        "name": "realloczero",
        "prog": "tests/progs/realloczero",
        "smp": 1,
        "require_order": [r"^realloczero: ok$", r"^exit status 0$"],
    },
    # ---- real PCs: the firmware's hand-over ----
    {
        # Firmware with 5-level paging on: the loader drops to 4-level
        # (paging.S). OVMF never turns LA57 on, so loadertest=la57 raises the
        # machine to 5-level first; the boot suite's "paging" subtest checks
        # that the way up happened (paging_levels 5) and the way down too
        # (CR4.LA57 clear in the kernel).
        "name": "loader-la57",
        "cmdline": "test=boot loadertest=la57",
        "cpu": "max,la57=on",
        "ktap": True,
        "require": [r"^loader: paging: the firmware's 5-level, handed over as 4-level$"],
    },
    {
        # A CPU whose APIC ID is above 255 (socket 1 of 256-core sockets):
        # OVMF then hands over in x2APIC mode, as big servers' firmware does;
        # the second CPU must come up and run goroutines, and the serial
        # console's interrupt must still reach CPU 0 through the I/O APIC.
        "name": "x2apic-handover",
        "cmdline": "test=echo GODEBUG=inittrace=1",
        "smp": 1,
        "qemu_args": ["-smp", "1,sockets=2,cores=256,threads=1,maxcpus=512",
                      "-device", "max-x86_64-cpu,socket-id=1,core-id=0,thread-id=0"],
        "type": [r"^echo: ready$", "typed on a big server\r"],
        "require_order": [r"osinit: 2 CPUs,", r"^echo: ready$", r"^echo: typed on a big server$",
                          r"^exit status 0$"],
        "timeout": 90,
    },
    # ---- Secure Boot (make signed-test-images: build/signed*/, signed
    # with the snakeoil key that OVMF's snakeoil variable store trusts).
    # The Secure Boot firmware runs its variable services in SMM, slow
    # under TCG with every added CPU (38 s to boot at -smp 4 on a loaded
    # machine): two CPUs and a longer timeout. ----
    {
        # signed, the kernel's digest in the loader: the firmware starts it
        # and the loader checks KERNEL.ELF before parsing it
        "name": "secureboot-signed",
        "image": "signed/usb.img",
        "firmware": "snakeoil",
        "smp": 2,
        "timeout": 120,
        "cmdline": "test=boot",
        "ktap": True,
        "require_order": [r"^loader: Secure Boot on; KERNEL\.ELF checked: SHA-256 [0-9a-f]{16}\.\.\. "
                          r"as built into the loader$", r"^exit status 0$"],
    },
    {
        # the unsigned loader: the firmware refuses it, nothing of ours runs
        "name": "secureboot-unsigned",
        "firmware": "snakeoil",
        "smp": 2,
        "timeout": 120,
        "no_boot": True,
        "require_order": [r"BdsDxe: failed to load .*HARDDISK.*: Access Denied",
                          r"BdsDxe: No bootable option or device was found"],
        "forbid": [r"^loader:", r"exit status"],
    },
    {
        # signed, one byte of KERNEL.ELF's code changed (elf_check would
        # take it): the loader refuses it before parsing it
        "name": "secureboot-kernel-changed",
        "image": "signed/usb.img",
        "firmware": "snakeoil",
        "smp": 2,
        "timeout": 120,
        "corrupt_kernel": "one-byte",
        "expect_exit": 2,
        "require_order": [r"^loader: \\EFI\\BOOT\\KERNEL\.ELF: does not match the digest built into the "
                          r"loader \(file: SHA-256 [0-9a-f]{16}\.\.\., loader: [0-9a-f]{16}\.\.\.\)$",
                          r"^loader: not starting the kernel$", r"^exit status 2$"],
        "forbid": [r"^loader: kernel ", r"^init ", r"main_main"],
    },
    {
        # the same change without Secure Boot: the digest is still checked
        "name": "secureboot-off-kernel-changed",
        "image": "signed/usb.img",
        "corrupt_kernel": "one-byte",
        "expect_exit": 2,
        "require": [r"^loader: .*KERNEL\.ELF: does not match the digest built into the loader"],
        "forbid": [r"^loader: kernel ", r"main_main"],
    },
    {
        # signed without the digest: with Secure Boot on, the loader will
        # not start a kernel it cannot check
        "name": "secureboot-no-digest",
        "image": "signed-nodigest/usb.img",
        "firmware": "snakeoil",
        "smp": 2,
        "timeout": 120,
        "expect_exit": 2,
        "require_order": [r"^loader: .*KERNEL\.ELF: Secure Boot is on and the loader holds no digest of it",
                          r"^loader: not starting the kernel$"],
        "forbid": [r"^loader: kernel ", r"main_main"],
    },
    {
        # a PC as sold (Microsoft's keys), shim first: shim starts, refuses
        # our loader (its key is not enrolled) and, once that is
        # acknowledged, starts MokManager to enroll it; after MokManager's
        # countdown shim refuses again and gives up, and in the end the
        # firmware finds nothing else to boot
        "name": "secureboot-shim-not-enrolled",
        "image": "signed-shim/usb.img",
        "firmware": "secboot",
        "smp": 2,
        "timeout": 240,         # two MokManager countdowns; 77 s on an idle machine
        "no_boot": True,
        # Each refusal waits for a key: pressed at the 1st, 2nd, 3rd and
        # 4th (the firmware's recovery path tries the stick once more)
        "monitor": [{"when": r"(?s)(Verification failed.*){%d}" % n, "delay": 2, "send": "sendkey ret"}
                    for n in (1, 2, 3, 4)],
        "require_order": [r"Verification failed: \(0x1A\) Security Violation",
                          r"Shim UEFI key management", r"Press any key to perform MOK management"],
        "forbid": [r"^loader:", r"exit status"],
    },
    {
        # the same PC once the key is enrolled as a MOK (OVMF_VARS_mok.fd:
        # Microsoft's variables with the snakeoil certificate in MokList):
        # shim starts the loader, which checks KERNEL.ELF and boots
        "name": "secureboot-shim-enrolled",
        "image": "signed-shim/usb.img",
        "firmware": "secboot",
        "smp": 2,
        "timeout": 120,
        "firmware_vars": "signed-shim/OVMF_VARS_mok.fd",
        "cmdline": "test=boot",
        "ktap": True,
        "require_order": [r"^loader: Secure Boot on; KERNEL\.ELF checked: SHA-256", r"^exit status 0$"],
        "forbid": [r"Verification failed"],
    },
    {
        # shim first, the kernel changed: shim starts the loader, the loader refuses
        "name": "secureboot-shim-kernel-changed",
        "image": "signed-shim/usb.img",
        "firmware": "secboot",
        "smp": 2,
        "timeout": 120,
        "firmware_vars": "signed-shim/OVMF_VARS_mok.fd",
        "corrupt_kernel": "one-byte",
        "expect_exit": 2,
        "require": [r"^loader: .*KERNEL\.ELF: does not match the digest built into the loader"],
        "forbid": [r"^loader: kernel ", r"main_main"],
    },
    # ---- the ISO written to a USB stick (its EFI System Partition in a GPT) ----
    {
        "name": "boot-iso-usb",
        "boot": "usb",
        "image": "rt.iso",
        "expect_exit": 0,
        "require": [r"^main_main: running as goroutine 1"],
    },
    # ---- real PCs: the end of a run, soft off, NMIs ----
    {
        # A failing run on a PC stays on screen: no isa-debug-exit, so the
        # machine is past `exit status 2` on its own; 20 s later it is still
        # running, and the console's last line says how to leave.
        "name": "onexit-halt",
        "cmdline": "test=nullwrite",
        "smp": 2,
        "debug_exit": False,
        "expect_exit": 2,
        "monitor": [{"when": r"^exit status 2$", "delay": 20, "send": "info status", "expect": r"running"}],
        "require": [r"^halted: press P to power off, R to reboot\n?\Z"],
        "timeout": 90,
    },
    {
        # P on the PS/2 keyboard (IRQ 1 through the I/O APIC wakes the halted
        # CPU) powers the machine off through the firmware.
        "name": "onexit-key-p",
        "cmdline": "test=nullwrite",
        "smp": 2,
        "debug_exit": False,
        "expect_exit": 2,
        "monitor": [{"when": r"^halted: press P", "delay": 1, "send": "sendkey p", "expect": None},
                    {"when": r"^halted: press P", "delay": 4, "send": "info status", "expect": r"shutdown"}],
        "timeout": 90,
    },
    {
        # p typed on the serial console does the same (its receive interrupt
        # wakes the halted CPU), with the power-off forced through ACPI S5.
        "name": "onexit-serial-p-s5",
        "cmdline": "test=nullwrite poweroff=acpi",
        "smp": 2,
        "debug_exit": False,
        "expect_exit": 2,
        "type": [r"^halted: press P", "p"],
        "monitor": [{"when": r"^poweroff: ACPI S5", "delay": 3, "send": "info status", "expect": r"shutdown"}],
        "require_order": [r"^halted: press P to power off, R to reboot$",
                          r"^poweroff: ACPI S5 \(PM1a 0x604, PM1b 0x0, SLP_TYP 0/0\)$"],
        "timeout": 90,
    },
    {
        # A successful run powers off; poweroff=acpi skips ResetSystem, so
        # QEMU's shutdown proves the S5 path (PM1a control, SLP_TYP from the
        # DSDT's \_S5_).
        "name": "onexit-poweroff-s5",
        "cmdline": "test=boot onexit=poweroff poweroff=acpi",
        "ktap": True,
        "debug_exit": False,
        "monitor": [{"when": r"^poweroff: ACPI S5", "delay": 3, "send": "info status", "expect": r"shutdown"}],
        "require": [r"^poweroff: ACPI S5 \(PM1a 0x604, PM1b 0x0, SLP_TYP 0/0\)$"],
        "timeout": 90,
    },
    {
        # onexit=reboot after a failure: the machine starts again (reboot=none
        # lets QEMU reset instead of ending), and the loader speaks twice
        "name": "onexit-reboot",
        "cmdline": "test=nullwrite onexit=reboot",
        "smp": 2,
        "debug_exit": False,
        "expect_exit": 2,
        "qemu_args": ["-action", "reboot=reset"],
        # (the harness stops QEMU once the last step is sent: the delay covers
        # the firmware's second start on a loaded machine)
        "monitor": [{"when": r"^exit status 2$", "delay": 30, "send": "info status", "expect": r"running"}],
        "require_order": [r"^exit status 2$", r"^loader: kernel "],
        "forbid": [r"^halted:"],
        "timeout": 90,
    },
    {
        # a word that chooses what the machine does is refused, not guessed
        "name": "onexit-bad",
        "cmdline": "test=boot onexit=shutdown",
        "smp": 1,
        "expect_exit": 2,
        "require_order": [r"^runtime: onexit=shutdown: want one of halt, poweroff, reboot$", r"^exit status 2$"],
        "forbid": [r"^ok \d"],
    },
    {
        # QEMU's `nmi` raises LINT1 on every CPU; the MADT says LINT1 is NMI.
        # Every CPU's state and every goroutine are printed, twice, and the
        # program goes on to its end; the lockup watchdog takes no offence.
        "name": "nmi-report",
        "cmdline": "test=nmiwait",
        "smp": 4,
        "monitor": [{"when": r"^nmiwait: running", "delay": 2, "send": "nmi", "expect": None},
                    {"when": r"^NMI: end of report$", "delay": 2, "send": "nmi", "expect": None}],
        "require_order": [r"^NMI: non-maskable interrupt on CPU \d at \d+ ms",
                          r"^CPU 0: PC=0x[0-9a-f]+ m=\d+$", r"^CPU 1: PC=", r"^CPU 2: PC=", r"^CPU 3: PC=",
                          r"^NMI: end of report$",
                          r"^NMI: non-maskable interrupt", r"^NMI: end of report$",
                          r"^nmiwait: done$", r"^exit status 0$"],
        "require": [r"^goroutine 1 \[sleep\]:$", r"^nmiwait\+0x", r"^goroutine \d+ \[running\]:\nnmispin\+0x"],
        "forbid": [r"did not answer", r"fatal error", r"stuck"],
        "timeout": 90,
    },
]

# Clocks: every probe bounded in time, the choice said; and test=hw, the
# report a user sends from a real machine (docs/real-hardware.md).
CASES += [
    {
        # A reference clock that never ticks (q35 without its PIT), asked
        # for first: declared dead within microseconds, the next one used
        # and named. Both marks under 1 s from the first instruction put
        # main_main within 1 s of osinit (it was 14-26 s under TCG).
        "name": "clock-pit-off",
        "machine": "q35,pit=off",
        "cmdline": "clocksource=pit GODEBUG=inittrace=1",
        "smp": 2,
        "require": [
            r"^tsc: \d+\.\d MHz from HPET \(PIT: no ticks\)$",
            r"^init osinit @\d{1,3}\.\d{3} ms$",
            r"^init main_main @\d{1,3}\.\d{3} ms$",
        ],
    },
    # test=hw: the report's lines, then its checks, on the machines of the
    # matrix that differ in what it reports: one CPU and four, xAPIC on
    # the i440FX chipset, and a q35 with neither HPET nor PIT.
    *[
        {
            "name": name,
            "cmdline": "test=hw",
            "ktap": True,
            "smp": smp,
            "cpu": cpu,
            "machine": machine,
            "timeout": 120,
            "require": [
                r"^# cpu: \S+ family 0x[0-9a-f]+ model 0x[0-9a-f]+ stepping \d+ ",
                r"^# microcode: ",
                r"^# apic: %s, %d CPUs, APIC ids( \d+){%d}$" % (apic, smp, smp),
                r"^# acpi: RSDP rev \d OEM .* with \d+ tables: FACP\(",
                r"^# memory: \d+ entries \(0 dropped\), usable \d+ MiB",
                r"^# tsc: \d+\.\d MHz from %s" % clock,
                r"^# consoles: serial COM1 \(0x3f8, 115200\), framebuffer \d+x\d+$",
                r"^# secure boot: ",
            ] + [r"^# timer: CPU %d on time" % i for i in range(smp)] + extra,
        }
        for name, smp, cpu, machine, apic, clock, extra in [
            ("ktap-hw-smp1", 1, None, None, "x2APIC", "HPET", [r"^# clock: HPET: TSC "]),
            ("ktap-hw-smp4", 4, None, None, "x2APIC", "HPET",
             [r"^# tsc skew: CPU \d -?\d+ ns \(\+-\d+ ns\) from CPU \d$", r"^# clock: ACPI PM timer: TSC ", r"^# clock: PIT: TSC "]),
            ("ktap-hw-qemu64-pc", 2, "qemu64", "pc", "xAPIC", "(ACPI PM timer|HPET)", [r"^# tsc skew: CPU \d -?\d+ ns"]),
            ("ktap-hw-nohpet-nopit", 2, "qemu64", "q35,hpet=off,pit=off", "xAPIC", "ACPI PM timer",
             [r"^# clock: HPET: absent$", r"^# clock: PIT: no ticks$"]),
        ]
    ],
    {
        # a CPU with APIC ID 256, as on a big server: x2APIC IDs past 255
        # are asked, timed and compared like any other
        "name": "ktap-hw-x2apic-256",
        "cmdline": "test=hw",
        "ktap": True,
        "smp": 1,
        "qemu_args": ["-smp", "1,sockets=2,cores=256,threads=1,maxcpus=512",
                      "-device", "max-x86_64-cpu,socket-id=1,core-id=0,thread-id=0"],
        "timeout": 120,
        "require": [r"^# apic: x2APIC, 2 CPUs, APIC ids 0 256$", r"^# timer: CPU 1 on time",
                    r"^# tsc skew: CPU \d -?\d+ ns"],
    },
]

# Serial consoles (kernel/serial.c): the harness reads the UART the case
# names; the kernel must find it (SPCR, PCI, COM1-COM4) and say so.
CONSOLE_RUN = [r"^main_main: running as goroutine 1", r"^pipeline: generate 1\.\.10 -> square -> sum = 385$",
               r"^exit status 0$"]
CASES += [
    {
        # no ISA ports at all: the whole run on a PCI UART found by class
        "name": "console-pci-serial",
        "cmdline": "",
        "console": "pci",
        "smp": 2,
        "require_order": [r"^console: serial pci-serial 00:[0-9a-f]{2}\.[0-7] \(0x[0-9a-f]+, 115200\)"]
                         + CONSOLE_RUN,
    },
    {
        # COM1 (present, going nowhere) and COM2: legacy ports, both written
        "name": "console-com2",
        "cmdline": "",
        "console": "com2",
        "smp": 2,
        "require_order": [r"^console: serial COM1 \(0x3f8, 115200\), serial COM2 \(0x2f8, 115200\)"]
                         + CONSOLE_RUN,
    },
    {
        # An SPCR naming COM2 with COM1 there too: only COM2 is a console,
        # and it is the one read, so the typed line comes back only if the
        # SPCR was honoured (without it, COM1 would be read).
        "name": "console-spcr-com2",
        "cmdline": "test=echo",
        "console": "com2",
        "smp": 2,
        "qemu_args": ["-acpitable", "file={build}/acpi/spcr-com2.dat"],
        "type": [r"^echo: ready$", "hello over COM2\r"],
        "require_order": [r"^console: serial COM2 \(0x2f8, 115200, SPCR\)(, framebuffer \d+x\d+)?$",
                          r"^echo: ready$", r"^echo: hello over COM2$", r"^exit status 0$"],
    },
]

# The framebuffer console (tests/kernel/fbcons_test.c): the firmware's lines
# stay above ours until the screen is full (on a framebuffer in memory),
# and the scroll rate at 1920x1080 (docs/performance.md).
CASES += [
    {
        "name": "fbcons-scroll-1080p",
        "cmdline": "test=fbscroll",
        "ktap": True,
        "smp": 1,
        "qemu_args": ["-vga", "none", "-device", "VGA,xres=1920,yres=1080,edid=on"],
        "require": [r"^console: .*framebuffer 1920x1080$", r"^# fbscroll: 2000 lines in \d+ ms"],
    },
]
CASES += [
    {
        # input from a PCI UART: its interrupt line as the firmware routed it
        "name": "console-pci-echo",
        "cmdline": "test=echo",
        "console": "pci",
        "smp": 2,
        "type": [r"^echo: ready$", "hello over PCI\r"],
        "require_order": [r"^echo: ready$", r"^echo: hello over PCI$", r"^exit status 0$"],
    },
]
