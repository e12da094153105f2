#!/usr/bin/env python3
"""mksizeclasses.py - compute the small-object size classes of the runtime's
Go-style allocator (mcache/mcentral/mheap) and write them as rt/sizeclasses.h.

A request of 1.._MaxSmallSize bytes is rounded up to a size class; each class
has a span size (a whole number of _PageSize pages) that is cut into objects
of that class. Class 0 is reserved: it means "large object" (whole pages
straight from the heap).

How the classes are chosen (MAX_WASTE is 12.5%):

  * Sizes are 8, then multiples of 16, so objects of 16 bytes and more are
    16-byte aligned (spans are page aligned). Above smallSizeMax the lookup
    table has one entry per largeSizeDiv bytes, so a class boundary there
    must be a multiple of largeSizeDiv or some request would be rounded past
    its smallest fitting class: those sizes are multiples of 128.
  * A class's span is the smallest of 1..MAX_SPAN_PAGES pages whose tail
    (the bytes after the last whole object) is at most MAX_WASTE of it.
  * The candidates for the class after size p are the next legal size above
    p and every larger legal size whose worst request (p + 1 bytes) wastes
    at most MAX_WASTE of the object. Of those, the class is the largest
    whose whole span wastes at most MAX_WASTE when every object in it holds
    a (p + 1)-byte request (internal and tail waste together, "max waste"
    in the table below); when none manages that, the one that wastes the
    least. Only the first few classes (8 .. 112), where a 16-byte step is
    already more than MAX_WASTE of the object, break the internal bound.
  * Consecutive classes with the same span size and the same number of
    objects per span are then merged, keeping the larger size: a span holds
    as many objects either way, so the merged class wastes no more of a
    span for any request than the smaller one did (its max waste is the
    smaller one's), though its worst single object may now waste more than
    MAX_WASTE of itself.

Every class's divmagic is checked against true division at every byte
offset of its span; any mismatch (or any other broken invariant) stops the
generator with a message and exit status 2, and nothing is written.

Usage:
  python3 tools/mksizeclasses.py [--out PATH]     write the header (default rt/sizeclasses.h)
  python3 tools/mksizeclasses.py --check [--out PATH]
                                                  exit 1 if PATH differs from what would be written
Python 3 standard library only.
"""

import argparse
import os
import sys
from fractions import Fraction

MAX_SMALL_SIZE = 32768          # _MaxSmallSize
SMALL_SIZE_DIV = 8              # smallSizeDiv
SMALL_SIZE_MAX = 1024           # smallSizeMax
LARGE_SIZE_DIV = 128            # largeSizeDiv
PAGE_SHIFT = 13                 # _PageShift
PAGE_SIZE = 1 << PAGE_SHIFT     # _PageSize
MAX_SPAN_PAGES = 16             # the largest span a class may use
MAX_WASTE = Fraction(1, 8)      # 12.5%: internal fragmentation and tail waste bounds
SMALLEST = 8                    # the smallest class
ALIGN = 16                      # the alignment of every class from 16 bytes up

DEFAULT_OUT = os.path.join("rt", "sizeclasses.h")     # from the top of the tree
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class GenError(Exception):
    """A broken invariant; the generator stops and writes nothing."""


class SizeClass:
    def __init__(self, size, npages, nobjs):
        self.size = size
        self.npages = npages
        self.nobjs = nobjs
        self.divmagic = 0


def next_size(size):
    """The smallest legal class size above size (legal: 8, a multiple of 16
    up to smallSizeMax, a multiple of largeSizeDiv above it)."""
    if size < SMALLEST:
        return SMALLEST
    s = (size // ALIGN + 1) * ALIGN
    if s > SMALL_SIZE_MAX:
        s = -(-(size + 1) // LARGE_SIZE_DIV) * LARGE_SIZE_DIV
    return s


def internal_waste(prev, size):
    """The fraction of an object of this class wasted by its worst request,
    one byte more than the previous class."""
    return Fraction(size - (prev + 1), size)


def tail_waste(size, npages):
    """The fraction of a span left over after its last whole object."""
    span = npages * PAGE_SIZE
    return Fraction(span % size, span)


def choose_span(size):
    """The smallest span (in pages) whose tail waste is at most MAX_WASTE."""
    for npages in range(1, MAX_SPAN_PAGES + 1):
        if npages * PAGE_SIZE >= size and tail_waste(size, npages) <= MAX_WASTE:
            return npages
    raise GenError("no span of 1..%d pages holds %d-byte objects with at most %s tail waste"
                   % (MAX_SPAN_PAGES, size, pct(MAX_WASTE)))


def make_class(size):
    npages = choose_span(size)
    return SizeClass(size, npages, npages * PAGE_SIZE // size)


def max_waste(prev, c):
    """The fraction of a span wasted when every object in it holds the
    smallest request of the class (one byte more than the previous class):
    internal fragmentation and tail waste together."""
    span = c.npages * PAGE_SIZE
    return Fraction(span - c.nobjs * (prev + 1), span)


def candidates(prev):
    """The sizes the class after prev may have: the next legal size, and
    every legal size beyond it whose worst request wastes at most MAX_WASTE
    of the object."""
    t = next_size(prev)
    out = [t]
    while True:
        t = next_size(t)
        if t > MAX_SMALL_SIZE or internal_waste(prev, t) > MAX_WASTE:
            return out
        out.append(t)


def choose_sizes():
    """Each class is the largest candidate whose span's worst-case waste
    (max_waste) is at most MAX_WASTE; when no candidate manages that, the
    one that wastes least (the larger on a tie)."""
    sizes = [SMALLEST]
    while sizes[-1] < MAX_SMALL_SIZE:
        prev = sizes[-1]
        scored = [(max_waste(prev, make_class(t)), t) for t in candidates(prev)]
        good = [t for w, t in scored if w <= MAX_WASTE]
        if good:
            sizes.append(max(good))
        else:
            sizes.append(min(scored, key=lambda wt: (wt[0], -wt[1]))[1])
    return sizes


def merge(classes):
    out = []
    for c in classes:
        if out and out[-1].npages == c.npages and out[-1].nobjs == c.nobjs:
            out[-1] = c
        else:
            out.append(c)
    return out


def divmagic(size, span):
    """A 32-bit m with (off * m) >> 32 == off // size for every off in
    [0, span): ceil(2^32 / size). Checked at every offset."""
    m = ((1 << 32) - 1) // size + 1
    if not 0 < m < (1 << 32):
        raise GenError("divmagic for size %d does not fit in 32 bits" % size)
    for off in range(span):
        if (off * m) >> 32 != off // size:
            raise GenError("divmagic %#x for size %d is wrong at offset %d: %d != %d"
                           % (m, size, off, (off * m) >> 32, off // size))
    return m


def compute():
    classes = []
    for size in choose_sizes():
        classes.append(make_class(size))
    classes = merge(classes)
    for c in classes:
        c.divmagic = divmagic(c.size, c.npages * PAGE_SIZE)
    check(classes)
    return classes


def size_tables(classes):
    """size_to_class8 and size_to_class128, as lists of class numbers (the
    classes list is 0-based here; the header's class numbers start at 1)."""
    def smallest_fit(n):
        for i, c in enumerate(classes):
            if c.size >= n:
                return i + 1
        raise GenError("no class holds %d bytes" % n)

    t8 = [0] + [smallest_fit(i * SMALL_SIZE_DIV)
                for i in range(1, SMALL_SIZE_MAX // SMALL_SIZE_DIV + 1)]
    t128 = [smallest_fit(SMALL_SIZE_MAX + i * LARGE_SIZE_DIV)
            for i in range((MAX_SMALL_SIZE - SMALL_SIZE_MAX) // LARGE_SIZE_DIV + 1)]
    return t8, t128


def lookup(t8, t128, n):
    """What the header's size_to_class computes."""
    if n <= SMALL_SIZE_MAX:
        return t8[(n + SMALL_SIZE_DIV - 1) // SMALL_SIZE_DIV]
    return t128[(n - SMALL_SIZE_MAX + LARGE_SIZE_DIV - 1) // LARGE_SIZE_DIV]


def check(classes):
    """The invariants the header promises; the host test checks them again
    from C."""
    if len(classes) + 1 > 256:
        raise GenError("%d classes do not fit in uint8_t" % (len(classes) + 1))
    if classes[-1].size != MAX_SMALL_SIZE:
        raise GenError("the last class is %d, not %d" % (classes[-1].size, MAX_SMALL_SIZE))
    prev = 0
    for c in classes:
        span = c.npages * PAGE_SIZE
        if c.size <= prev:
            raise GenError("class sizes are not increasing at %d" % c.size)
        if c.size % SMALL_SIZE_DIV or (c.size >= ALIGN and c.size % ALIGN):
            raise GenError("class size %d is misaligned" % c.size)
        if c.size > SMALL_SIZE_MAX and c.size % LARGE_SIZE_DIV:
            raise GenError("class size %d is not a multiple of %d" % (c.size, LARGE_SIZE_DIV))
        if c.nobjs < 1 or c.nobjs != span // c.size:
            raise GenError("class %d: %d objects in a %d-byte span" % (c.size, c.nobjs, span))
        if tail_waste(c.size, c.npages) > MAX_WASTE:
            raise GenError("class %d: tail waste %s" % (c.size, pct(tail_waste(c.size, c.npages))))
        if c.npages > 255 or c.nobjs > 0xffff:
            raise GenError("class %d does not fit the table types" % c.size)
        prev = c.size
    t8, t128 = size_tables(classes)
    for n in range(1, MAX_SMALL_SIZE + 1):
        k = lookup(t8, t128, n)
        lo = classes[k - 2].size if k >= 2 else 0
        if not (lo < n <= classes[k - 1].size):
            raise GenError("size %d maps to class %d (%d bytes), not its smallest fitting class"
                           % (n, k, classes[k - 1].size))


def pct(f):
    return "%.2f%%" % (100 * float(f))


def render(classes):
    n = len(classes) + 1
    out = []
    w = out.append
    w("/*")
    w(" * sizeclasses.h - the small-object size classes of the allocator.")
    w(" *")
    w(" * GENERATED by tools/mksizeclasses.py; DO NOT EDIT. To change the classes,")
    w(" * change the generator and run `python3 tools/mksizeclasses.py`;")
    w(" * `python3 tools/mksizeclasses.py --check` tells whether this file is current.")
    w(" *")
    w(" * A request of 1.._MaxSmallSize bytes gets the class size_to_class(n):")
    w(" * the smallest class of at least n bytes. Class 0 means a large object.")
    w(" * A class's span is class_to_allocnpages pages cut into class_to_nobjs")
    w(" * objects; the object at byte offset off of its span is number")
    w(" * ((uint64_t)off * class_to_divmagic[c]) >> 32.")
    w(" *")
    w(" * tail waste: span bytes after the last whole object, of the span.")
    w(" * max waste:  span bytes wasted when every object holds the class's")
    w(" *             smallest request (one byte more than the previous class).")
    w(" * How the classes are chosen, and why some exceed 12.5% max waste: see")
    w(" * the generator.")
    w(" *")
    w(" * class  bytes/obj  bytes/span  objects  tail waste  max waste")
    prev = 0
    for i, c in enumerate(classes):
        span = c.npages * PAGE_SIZE
        w(" * %5d  %9d  %10d  %7d  %10s  %9s"
          % (i + 1, c.size, span, c.nobjs, pct(tail_waste(c.size, c.npages)),
             pct(max_waste(prev, c))))
        prev = c.size
    w(" */")
    w("#ifndef RT_SIZECLASSES_H")
    w("#define RT_SIZECLASSES_H")
    w("")
    w("#include <stddef.h>")
    w("#include <stdint.h>")
    w("")
    w("#define _MaxSmallSize %d" % MAX_SMALL_SIZE)
    w("#define smallSizeDiv %d" % SMALL_SIZE_DIV)
    w("#define smallSizeMax %d" % SMALL_SIZE_MAX)
    w("#define largeSizeDiv %d" % LARGE_SIZE_DIV)
    w("#define _NumSizeClasses %d" % n)
    w("#define _PageShift %d" % PAGE_SHIFT)
    w("#define _PageSize %d" % PAGE_SIZE)
    w("")

    def array(ctype, name, dim, values, fmt="%d", per_line=8):
        w("static const %s %s[%s] __attribute__((unused)) = {" % (ctype, name, dim))
        for i in range(0, len(values), per_line):
            w("\t" + " ".join((fmt % v) + "," for v in values[i:i + per_line]))
        w("};")
        w("")

    array("uint16_t", "class_to_size", "_NumSizeClasses", [0] + [c.size for c in classes])
    array("uint8_t", "class_to_allocnpages", "_NumSizeClasses", [0] + [c.npages for c in classes])
    array("uint16_t", "class_to_nobjs", "_NumSizeClasses", [0] + [c.nobjs for c in classes])
    array("uint32_t", "class_to_divmagic", "_NumSizeClasses",
          [0] + [c.divmagic for c in classes], fmt="0x%08xu", per_line=6)
    t8, t128 = size_tables(classes)
    w("/* size_to_class8[(n + smallSizeDiv - 1) / smallSizeDiv] for n <= smallSizeMax */")
    array("uint8_t", "size_to_class8", "smallSizeMax / smallSizeDiv + 1", t8, per_line=16)
    w("/* size_to_class128[(n - smallSizeMax + largeSizeDiv - 1) / largeSizeDiv] for n > smallSizeMax */")
    array("uint8_t", "size_to_class128", "(_MaxSmallSize - smallSizeMax) / largeSizeDiv + 1",
          t128, per_line=16)
    w("/* size_to_class: the class of a request of 1.._MaxSmallSize bytes. */")
    w("static inline uint8_t size_to_class(size_t size)")
    w("{")
    w("\tif (size <= smallSizeMax)")
    w("\t\treturn size_to_class8[(size + smallSizeDiv - 1) / smallSizeDiv];")
    w("\treturn size_to_class128[(size - smallSizeMax + largeSizeDiv - 1) / largeSizeDiv];")
    w("}")
    w("")
    w("#endif /* RT_SIZECLASSES_H */")
    return "\n".join(out) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description="Generate rt/sizeclasses.h.")
    ap.add_argument("--out", default=DEFAULT_OUT, metavar="PATH",
                    help="the header to write (default %(default)s, from the top of the tree)")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 if the header differs from what would be written")
    args = ap.parse_args(argv)
    regen = "python3 tools/mksizeclasses.py"
    path = args.out
    if args.out == DEFAULT_OUT:
        path = os.path.join(ROOT, DEFAULT_OUT)      # wherever it is run from
    else:
        regen += " --out " + args.out
    try:
        text = render(compute())
    except GenError as e:
        print("mksizeclasses: %s" % e, file=sys.stderr)
        return 2
    if args.check:
        try:
            with open(path, encoding="utf-8", newline="") as f:
                current = f.read()
        except OSError as e:
            print("mksizeclasses: %s: cannot read (%s); run %s" % (args.out, e.strerror, regen))
            return 1
        if current != text:
            print("mksizeclasses: %s is out of date; run %s" % (args.out, regen))
            return 1
        return 0
    tmp = path + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        print("mksizeclasses: %s: %s" % (e.filename or path, e.strerror), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
