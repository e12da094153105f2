"""rt-gdb.py - gdb commands for the runtime's goroutines, Ps and Ms.

tools/gdb/rt.gdb loads it for `make debug`; elsewhere:
(gdb) source tools/gdb/rt-gdb.py

  info goroutines          every goroutine on allgs but the dead ones
  goroutine N bt [COUNT]   goroutine N's frames
  goroutine N CMD          a gdb command run with goroutine N's registers
  goroutine all CMD        the same for every goroutine
  goroutine                the goroutine the selected CPU runs
  info ps                  each P: status, M, run queue, runnext, timers
  info ms                  each M: CPU, gdb thread, curg, P, spinning, locks

Everything comes from the runtime's own data and DWARF: status names from
its _G and _P enums, wait reasons from traceback.c's table, field offsets
from its types. A table copied here would drift from the runtime.

A parked goroutine's registers are the ones mcall saved in g->sched; the
kernel keeps frame pointers, so [bp] and [bp+8] lead from frame to frame
down to goexit_asm. QEMU shows each vCPU as a gdb thread, and a CPU's GS
base points at its M's tls, which is how a thread is matched to its M.
"""

import os
import struct

import gdb

# the registers a gobuf holds, as gdb names them
GOBUF_REGS = [("rip", "pc"), ("rsp", "sp"), ("rbp", "bp"), ("rbx", "bx"),
              ("r12", "r12"), ("r13", "r13"), ("r14", "r14"), ("r15", "r15")]
MAXFRAMES = 64
U64 = (1 << 64) - 1


def reg(frame, name):
    # gdb types rbx, r12-r15 and gs_base as signed
    return int(frame.read_register(name)) & U64


class RtError(Exception):
    """The runtime's data cannot be read (yet)."""


def value_of(name):
    """A runtime global, also one that is static in its file (allgs)."""
    try:
        v = gdb.parse_and_eval(name)
        if not v.is_optimized_out:
            return v
    except gdb.error:
        pass
    # A link-time-optimised image may describe a static twice, once
    # without a location: take the description that has one.
    for sym in gdb.lookup_static_symbols(name):
        v = sym.value()
        if not v.is_optimized_out:
            return v
    raise RtError(f"no symbol {name}: is this kernel.elf?")


def enum_names(member, prefix):
    """{value: name} for the enum that holds `member`, prefix dropped and
    lower-cased: _Gwaiting -> waiting, as Go prints statuses."""
    t = gdb.parse_and_eval(member).type.strip_typedefs()
    return {f.enumval: f.name[len(prefix):].lower()
            for f in t.fields() if f.name.startswith(prefix)}


class Symbols:
    """Names for code addresses, cached: a hundred parked goroutines share
    a handful of return addresses."""

    def __init__(self):
        self.cache = {}
        self.rtdir = self._rtdir()
        self.goexit = int(value_of("goexit_asm").address) + 1

    @staticmethod
    def _rtdir():
        # The runtime is whatever lives in the directory that defines gopark.
        sal = gdb.find_pc_line(int(value_of("gopark").address))
        if sal.symtab is None:
            return None
        return os.path.dirname(sal.symtab.fullname()) + os.sep

    def lookup(self, pc):
        """(function, offset, file, line, in_runtime) for the code at pc."""
        if pc in self.cache:
            return self.cache[pc]
        name, off = None, 0
        out = gdb.execute(f"info symbol {pc:#x}", to_string=True).strip()
        if " in section " in out:
            head = out.split(" in section ")[0]
            name, _, rest = head.partition(" + ")
            off = int(rest) if rest else 0
        sal = gdb.find_pc_line(pc)
        fname, line, inrt = None, 0, False
        if sal.symtab is not None:
            fname, line = sal.symtab.filename, sal.line
            inrt = bool(self.rtdir) and sal.symtab.fullname().startswith(self.rtdir)
        self.cache[pc] = (name, off, fname, line, inrt)
        return self.cache[pc]


class Frame:
    def __init__(self, syms, pc, is_return):
        # a return address may be one past its caller's last instruction
        look = pc - 1 if is_return else pc
        self.pc = pc
        self.func, off, self.file, self.line, self.in_runtime = syms.lookup(look)
        self.off = off + (1 if is_return else 0)

    def where(self):
        if self.func is None:
            return f"{self.pc:#x}"
        return f"{self.func}+{self.off:#x}"

    def line_text(self, k):
        s = f"#{k:<2} 0x{self.pc:016x} in {self.where()}"
        if self.file:
            s += f" at {self.file}:{self.line}"
        return s


class Snapshot:
    """The runtime's goroutines, Ms and Ps at this stop."""

    def __init__(self):
        try:
            self._read()
        except gdb.MemoryError as e:
            raise RtError(f"cannot read the runtime's memory ({e}): "
                          "has the kernel started?") from None

    def _read(self):
        self.gptr = gdb.parse_and_eval("(struct g *)0").type
        self.mptr = gdb.parse_and_eval("(struct m *)0").type
        self.pptr = gdb.parse_and_eval("(struct p *)0").type
        self.gstatus = enum_names("_Gidle", "_G")
        self.pstatus = enum_names("_Pidle", "_P")
        self.Grunning = int(gdb.parse_and_eval("_Grunning"))
        self.Gwaiting = int(gdb.parse_and_eval("_Gwaiting"))
        self.Gdead = int(gdb.parse_and_eval("_Gdead"))
        self.tlsoff = int(gdb.parse_and_eval("&((struct m *)0)->tls"))

        self.gs = []
        gp = int(value_of("allgs"))
        seen = set()
        while gp and gp not in seen:
            seen.add(gp)
            g = self.deref(gp, self.gptr)
            self.gs.append(g)
            gp = int(g["alllink"])
        self.gs.sort(key=lambda g: int(g["goid"]))
        self.bygoid = {int(g["goid"]): g for g in self.gs}
        self.goid_of = {int(g.address): int(g["goid"]) for g in self.gs}

        self.ms = []
        mp = int(value_of("allm"))
        while mp and mp not in seen:
            seen.add(mp)
            m = self.deref(mp, self.mptr)
            self.ms.append(m)
            mp = int(m["alllink"])
        self.ms.sort(key=lambda m: int(m["id"]))
        self.maddrs = {int(m.address) for m in self.ms}
        try:
            self.sysmonm = int(value_of("sysmonm"))
        except RtError:
            self.sysmonm = 0
        self.midle = set()
        sched = value_of("sched")
        mp = int(sched["midle"])
        while mp and mp not in self.midle:
            self.midle.add(mp)
            mp = int(self.deref(mp, self.mptr)["schedlink"])

        allp = value_of("allp")
        n = int(value_of("gomaxprocs_"))
        self.ps = [self.deref(int(allp[i]), self.pptr) for i in range(n) if int(allp[i])]
        self.sched = sched

        self.threads = self._cpu_threads()
        self.cur_m = self._selected_m()

    @staticmethod
    def deref(addr, ptrtype):
        v = gdb.Value(addr).cast(ptrtype).dereference()
        v.fetch_lazy()          # one read for the whole struct, not one per field
        return v

    def _selected_m(self):
        th = gdb.selected_thread()
        for mp, (t, *_rest) in self.threads.items():
            if t.ptid == th.ptid:
                return mp
        return 0

    def _cpu_threads(self):
        """{m: (gdb thread, pc)} for each M a vCPU runs now."""
        res = {}
        inf = gdb.selected_inferior()
        cur = gdb.selected_thread()
        if cur is None:
            return res
        try:
            frame = gdb.selected_frame()
        except gdb.error:
            frame = None
        bycpu = {int(m["cpu"]): int(m.address) for m in self.ms}
        try:
            for t in sorted(inf.threads(), key=lambda t: t.num):
                t.switch()
                f = gdb.newest_frame()
                try:
                    mp = reg(f, "gs_base") - self.tlsoff
                except (gdb.error, ValueError):
                    # no GS base from this stub: QEMU numbers vCPUs from 1, boot CPU first
                    mp = bycpu.get(t.num - 1, 0)
                if mp in self.maddrs:
                    res[mp] = (t, reg(f, "rip"))
        finally:
            cur.switch()
            if frame is not None and frame.is_valid():
                frame.select()
        return res

    # ---- goroutines ----

    def status(self, g):
        return int(g["atomicstatus"])

    def statusname(self, g):
        s = self.status(g)
        return self.gstatus.get(s, f"status {s}")

    def waitreason(self, g):
        if self.status(g) != self.Gwaiting:
            return ""
        return waitreason_name(int(g["waitreason"]))

    def executing(self, g):
        """The M whose CPU executes g at this moment, or 0. A running g
        whose M is on g0 does not count: that M is on its way into the
        scheduler, and g's registers are in g->sched already."""
        mp = int(g["m"])
        if self.status(g) != self.Grunning or mp not in self.maddrs:
            return 0
        return mp if int(self.deref(mp, self.mptr)["tls"][0]) == int(g.address) else 0

    def frames(self, g, syms, limit=MAXFRAMES):
        """The frames from g's saved context, along the frame-pointer chain."""
        lo, hi = int(g["stack"]["lo"]), int(g["stack"]["hi"])
        pc, bp = int(g["sched"]["pc"]), int(g["sched"]["bp"])
        return walk(syms, pc, bp, lo, hi, limit)

    def goroutine(self, arg):
        try:
            goid = int(arg, 0)
        except ValueError:
            try:        # an expression without blanks: $n, parkers[0]->goid
                goid = int(gdb.parse_and_eval(arg))
            except gdb.error:
                raise gdb.GdbError(f"goroutine: {arg!r} is not a goroutine id") from None
        g = self.bygoid.get(goid)
        if g is None or self.status(g) == self.Gdead:
            raise gdb.GdbError(f"goroutine {goid} does not exist")
        return g

    def cpu_of(self, mp):
        return int(self.deref(mp, self.mptr)["cpu"])


def walk(syms, pc, bp, lo, hi, limit):
    """Frames from pc and frame pointer bp, on the stack [lo, hi)."""
    frames = []
    inf = gdb.selected_inferior()

    def word(addr):
        return struct.unpack("<Q", bytes(inf.read_memory(addr, 8)))[0]

    is_return = False
    async_bp = None     # the frame pointer of the asyncPreempt frame pc came from
    while len(frames) < limit and pc != syms.goexit:
        fr = Frame(syms, pc, is_return)
        frames.append(fr)
        if bp == 0 or bp & 7 or bp < lo or bp + 16 > hi:
            break
        try:
            if async_bp is not None and fr.func and fr.off == 0:
                # Interrupted at its first instruction, the function has
                # no frame yet: bp is still its caller's, and its return
                # address tops the interrupted stack, which asyncPreempt's
                # frame starts 16 bytes below.
                pc, async_bp, is_return = word(async_bp + 16), None, True
                continue
            # asyncPreempt's frame returns to the interrupted instruction itself
            async_bp = bp if (fr.func or "").startswith("asyncPreempt") else None
            bp, pc = word(bp), word(bp + 8)
        except gdb.MemoryError:
            break
        is_return = async_bp is None
    return frames


_waitreasons = None


def waitreason_name(r):
    global _waitreasons
    if _waitreasons is None:
        names = {}
        try:
            tab = value_of("waitreasons")
            lo, hi = tab.type.range()
            for i in range(lo, hi + 1):
                names[i] = tab[i].string()
        except (RtError, gdb.error):
            pass
        _waitreasons = names
    return _waitreasons.get(r) or "waiting"


def snapshot():
    try:
        return Snapshot()
    except RtError as e:
        raise gdb.GdbError(str(e)) from None


def table(rows):
    """rows of cells, left-aligned columns, trailing blanks trimmed"""
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(max(map(len, rows)))]
    for r in rows:
        gdb.write("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() + "\n")


def fname(syms, pc):
    name, off, *_ = syms.lookup(pc)
    return name or f"{pc:#x}"


class InfoGoroutines(gdb.Command):
    """info goroutines: the goroutines on allgs, dead ones left out.
* marks running ones. Where: for a goroutine this CPU runs, its pc; for
one another CPU runs, that CPU's pc; for the others, the first function
outside the runtime on their saved stack, with the runtime function they
called in parentheses. [system]: a runtime goroutine (bgsweep)."""

    def __init__(self):
        super().__init__("info goroutines", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        s = snapshot()
        syms = Symbols()
        rows = [["", "Id", "Status", "Wait reason", "M", "CPU", "Where", "Start"]]
        for g in s.gs:
            st = s.status(g)
            if st == s.Gdead:
                continue
            mark = "*" if st == s.Grunning else " "
            mcol = cpucol = ""
            mp = int(g["m"])
            if st == s.Grunning and mp in s.maddrs:
                mcol = str(int(s.deref(mp, s.mptr)["id"]))
                cpucol = str(s.cpu_of(mp))
            where = self.where(s, syms, g)
            start = fname(syms, int(g["startfn"]))
            if bool(g["system"]):
                start += " [system]"
            rows.append([mark, str(int(g["goid"])), s.statusname(g), s.waitreason(g),
                         mcol, cpucol, where, start])
        if len(rows) == 1:
            gdb.write("No goroutines.\n")
            return
        table(rows)

    @staticmethod
    def where(s, syms, g):
        mp = s.executing(g)
        if mp:
            th = s.threads.get(mp)
            if th is None:      # a CPU gdb does not show: say what it started as
                return fname(syms, int(g["startfn"]))
            return Frame(syms, th[1], False).where()
        frames = s.frames(g, syms)
        if not frames:
            return "?"
        i = next((k for k, f in enumerate(frames) if not f.in_runtime), len(frames) - 1)
        w = frames[i].where()
        if i > 0 and frames[i - 1].func:
            w += f" ({frames[i - 1].func})"
        return w


BT_WORDS = ("bt", "backtrace", "where")


class Goroutine(gdb.Command):
    """goroutine N|all [CMD]: run CMD (default bt) as goroutine N.
goroutine: which goroutine this CPU runs.
goroutine N bt [COUNT]: N's frames. A goroutine a CPU is running now:
gdb's own backtrace on that CPU's thread. Any other: the frame-pointer
chain from the registers mcall saved in g->sched, as #k pc in func+off.
goroutine N CMD: for a goroutine a CPU runs, CMD on that CPU's thread;
for any other, CMD on this thread with rip, rsp, rbp, rbx and r12-r15
set from g->sched for the duration and put back afterwards (e.g.
goroutine 5 bt full, goroutine 5 info frame)."""

    def __init__(self):
        super().__init__("goroutine", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        words = arg.split(None, 1)
        s = snapshot()
        if not words:
            self.current(s)
            return
        cmd = words[1] if len(words) > 1 else "bt"
        syms = Symbols()
        if words[0] == "all":
            for g in s.gs:
                if s.status(g) == s.Gdead:
                    continue
                reason = s.waitreason(g)
                gdb.write(f"\ngoroutine {int(g['goid'])} [{reason or s.statusname(g)}]:\n")
                self.run(s, syms, g, cmd, from_tty)
            return
        self.run(s, syms, s.goroutine(words[0]), cmd, from_tty)

    @staticmethod
    def current(s):
        if not s.cur_m:
            gdb.write("This CPU runs no M of the runtime.\n")
            return
        m = s.deref(s.cur_m, s.mptr)
        tls0 = int(m["tls"][0])
        where = f"CPU {int(m['cpu'])}, M{int(m['id'])}"
        if tls0 in s.goid_of:
            gdb.write(f"This CPU ({where}) runs goroutine {s.goid_of[tls0]}.\n")
        else:
            gdb.write(f"This CPU ({where}) runs no goroutine: it is on its g0 stack.\n")

    def run(self, s, syms, g, cmd, from_tty):
        mp = s.executing(g)
        if mp:
            th = s.threads.get(mp)
            if th is None:
                raise gdb.GdbError(f"goroutine {int(g['goid'])} runs on CPU {s.cpu_of(mp)}, "
                                   "which is no gdb thread")
            on_thread(th[0], cmd, from_tty)
            return
        w = cmd.split()
        if w[0] in BT_WORDS and (len(w) == 1 or (len(w) == 2 and w[1].isdigit())):
            limit = int(w[1]) if len(w) == 2 else MAXFRAMES
            for k, fr in enumerate(s.frames(g, syms, limit)):
                gdb.write(fr.line_text(k) + "\n")
            return
        with_gobuf(g["sched"], cmd, from_tty)


def on_thread(thread, cmd, from_tty):
    cur = gdb.selected_thread()
    if thread.ptid == cur.ptid:
        gdb.execute(cmd, from_tty)
        return
    frame = gdb.selected_frame()
    thread.switch()
    try:
        gdb.execute(cmd, from_tty)
    finally:
        cur.switch()
        if frame.is_valid():
            frame.select()


def with_gobuf(buf, cmd, from_tty):
    """Run cmd with this thread's registers loaded from a gobuf."""
    f = gdb.newest_frame()
    saved = [(r, reg(f, r)) for r, _ in GOBUF_REGS]
    try:
        for r, field in GOBUF_REGS:
            set_register(r, int(buf[field]) & U64)
        gdb.newest_frame().select()
        gdb.execute(cmd, from_tty)
    finally:
        for r, val in saved:
            set_register(r, val)
        gdb.newest_frame().select()


def set_register(name, val):
    # Only frame 0's registers are the CPU's: written in an outer frame, a
    # register goes where that frame saved it, in memory. And after each
    # write gdb reselects the frame that has the old frame's id, which with
    # half the registers changed may be any frame: so select frame 0 anew.
    gdb.newest_frame().select()
    gdb.execute(f"set ${name} = {val:#x}", to_string=True)


class InfoPs(gdb.Command):
    """info ps: each P (allp[0..GOMAXPROCS)): id, status, the M holding it,
local run queue length, the goroutine in runnext, timers in its heap,
schedtick. * marks the P of the M this CPU runs."""

    def __init__(self):
        super().__init__("info ps", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        s = snapshot()
        curp = int(s.deref(s.cur_m, s.mptr)["p"]) if s.cur_m else 0
        if not s.ps:
            gdb.write("No Ps: schedinit has not run.\n")
            return
        rows = [["", "P", "Status", "M", "Runq", "Runnext", "Timers", "Schedtick"]]
        for p in s.ps:
            mp = int(p["m"])
            mcol = str(int(s.deref(mp, s.mptr)["id"])) if mp else "-"
            n = (int(p["runqtail"]) - int(p["runqhead"])) & 0xffffffff
            nx = int(p["runnext"])
            st = int(p["status"])
            rows.append(["*" if int(p.address) == curp else " ", str(int(p["id"])),
                         s.pstatus.get(st, f"status {st}"), mcol, str(n),
                         str(s.goid_of.get(nx, f"{nx:#x}")) if nx else "-",
                         str(int(p["ntimers"])), str(int(p["schedtick"]))])
        table(rows)
        sc = s.sched
        gdb.write(f"global run queue {int(sc['runqsize'])}, idle Ps {int(sc['npidle'])}, "
                  f"spinning Ms {int(sc['nmspinning'])}\n")


class InfoMs(gdb.Command):
    """info ms: each M on allm: id, CPU, the gdb thread of that CPU, curg
(its goroutine), the P it holds, or (N) for the P it has been handed
(nextp) and not yet taken, spinning, locks, and what its CPU runs now:
a goroutine, g0 (the scheduler), idle (stopped, on sched.midle), sysmon.
* marks the M this CPU runs."""

    def __init__(self):
        super().__init__("info ms", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        s = snapshot()
        pid = {int(p.address): int(p["id"]) for p in s.ps}
        if not s.ms:
            gdb.write("No Ms: schedinit has not run.\n")
            return
        rows = [["", "M", "CPU", "Thread", "Curg", "P", "Spinning", "Locks", "Now"]]
        for m in s.ms:
            mp = int(m.address)
            th = s.threads.get(mp)
            cpu = int(m["cpu"])
            curg, pp, nextp = int(m["curg"]), int(m["p"]), int(m["nextp"])
            tls0 = int(m["tls"][0])
            if mp == s.sysmonm:
                now = "sysmon"
            elif mp in s.midle:
                now = "idle"
            elif tls0 and tls0 == int(m["g0"]):
                now = "g0"
            elif tls0 in s.goid_of:
                now = f"goroutine {s.goid_of[tls0]}"
            else:
                now = ""
            rows.append(["*" if mp == s.cur_m else " ", str(int(m["id"])),
                         str(cpu) if cpu >= 0 else "-",
                         str(th[0].num) if th else "-",
                         str(s.goid_of.get(curg, f"{curg:#x}")) if curg else "-",
                         str(pid.get(pp, f"{pp:#x}")) if pp else
                         f"({pid.get(nextp, f'{nextp:#x}')})" if nextp else "-",
                         "yes" if bool(m["spinning"]) else "no",
                         str(int(m["locks"])), now])
        table(rows)


class GoexitCut:
    """Ends gdb's backtraces at goexit_asm, the bottom frame of every
    goroutine: below it lies no frame, but gdb, finding no call frame
    information for it, unwinds on into the stack slot's other words."""

    def __init__(self):
        self.name = "rt-goexit"
        self.priority = 100
        self.enabled = True
        gdb.frame_filters[self.name] = self

    def filter(self, frames):
        for fd in frames:
            yield fd
            if fd.inferior_frame().name() == "goexit_asm":
                return


GoexitCut()
InfoGoroutines()
Goroutine()
InfoPs()
InfoMs()
