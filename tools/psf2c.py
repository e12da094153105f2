#!/usr/bin/env python3
"""psf2c.py - turn a Linux console font (PSF1 or PSF2, plain or gzipped)
into a C header the kernel's framebuffer console compiles in. The header
holds font_glyphs[128][FONT_HEIGHT * FONT_ROWBYTES]: one bitmap per ASCII
code, rows top to bottom, each row FONT_ROWBYTES bytes with the leftmost
pixel in the most significant bit of the first byte. When the font carries
a Unicode table the glyphs are looked up through it, because console fonts
order their glyphs by code page rather than by ASCII; a code the font lacks
gets the font's '?' (or a blank cell when even that is missing).

Usage: python3 tools/psf2c.py INPUT.psf[.gz] OUTPUT.h
Python 3 standard library only.
"""

import gzip
import os
import struct
import sys

PSF1_MAGIC = b"\x36\x04"
PSF1_MODE512 = 0x01
PSF1_MODEHASTAB = 0x02
PSF1_MODESEQ = 0x04
PSF1_SEPARATOR = 0xFFFF
PSF1_STARTSEQ = 0xFFFE

PSF2_MAGIC = b"\x72\xb5\x4a\x86"
PSF2_HAS_UNICODE_TABLE = 0x01
PSF2_SEPARATOR = 0xFF
PSF2_STARTSEQ = 0xFE

NCODES = 128


class FontError(Exception):
    """A malformed or unsupported input; reported as one line, exit 1."""


class Font:
    """What the header needs, whichever PSF version it came from."""

    def __init__(self, width, height, rowbytes, glyphs, unimap):
        self.width = width
        self.height = height
        self.rowbytes = rowbytes
        self.glyphs = glyphs          # list of bytes, height*rowbytes each
        self.unimap = unimap          # code point -> glyph index, or None


def read_input(path):
    # Sniff gzip by its magic, not the file name, so a renamed or
    # already-unpacked font works just the same.
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise FontError("cannot read: %s" % (e.strerror or e))
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, ValueError) as e:
            raise FontError("bad gzip data: %s" % e)
    return data


def slice_glyphs(data, start, count, size):
    # One bounds check up front gives a clear message instead of a short
    # last glyph silently padded by Python slicing.
    end = start + count * size
    if end > len(data):
        raise FontError("truncated: %d glyphs of %d bytes need %d bytes, "
                        "file has %d" % (count, size, end, len(data)))
    return [data[start + i * size:start + (i + 1) * size]
            for i in range(count)], end


def add_mapping(unimap, cp, index):
    # The first glyph that claims a code point wins; later duplicates are
    # usually fallbacks the font author listed on purpose.
    unimap.setdefault(cp, index)


def parse_psf1_table(table, count):
    # Each glyph's entry: UCS-2 code points, optionally 0xFFFE followed by
    # combining sequences (ignored: we only map single code points), then
    # 0xFFFF.
    if len(table) % 2:
        raise FontError("PSF1 Unicode table has an odd length")
    words = struct.unpack("<%dH" % (len(table) // 2), table)
    unimap = {}
    pos = 0
    for index in range(count):
        in_seq = False
        while True:
            if pos >= len(words):
                raise FontError("PSF1 Unicode table ends inside glyph %d"
                                % index)
            w = words[pos]
            pos += 1
            if w == PSF1_SEPARATOR:
                break
            if w == PSF1_STARTSEQ:
                in_seq = True
            elif not in_seq:
                add_mapping(unimap, w, index)
    return unimap


def parse_psf1(data):
    if len(data) < 4:
        raise FontError("truncated PSF1 header")
    mode, charsize = data[2], data[3]
    if charsize == 0:
        raise FontError("PSF1 header gives a glyph height of 0")
    count = 512 if mode & PSF1_MODE512 else 256
    glyphs, end = slice_glyphs(data, 4, count, charsize)
    unimap = None
    if mode & (PSF1_MODEHASTAB | PSF1_MODESEQ):
        unimap = parse_psf1_table(data[end:], count)
    return Font(8, charsize, 1, glyphs, unimap)


def decode_utf8_run(run, index):
    # A run of UTF-8 between markers; a decode error means a broken table,
    # not something to guess around.
    try:
        return run.decode("utf-8")
    except UnicodeDecodeError:
        raise FontError("PSF2 Unicode table has bad UTF-8 at glyph %d"
                        % index)


def parse_psf2_table(table, count):
    # Each glyph's entry: UTF-8 characters, optionally 0xFE followed by
    # combining sequences (ignored), then 0xFF. 0xFE and 0xFF never occur
    # inside UTF-8, so splitting on them is safe.
    unimap = {}
    pos = 0
    for index in range(count):
        end = table.find(bytes([PSF2_SEPARATOR]), pos)
        if end < 0:
            raise FontError("PSF2 Unicode table ends inside glyph %d" % index)
        entry = table[pos:end]
        pos = end + 1
        singles = entry.split(bytes([PSF2_STARTSEQ]), 1)[0]
        for ch in decode_utf8_run(singles, index):
            add_mapping(unimap, ord(ch), index)
    return unimap


def parse_psf2(data):
    if len(data) < 32:
        raise FontError("truncated PSF2 header")
    (_magic, version, headersize, flags, count, charsize, height,
     width) = struct.unpack("<4sIIIIIII", data[:32])
    if version != 0:
        raise FontError("unsupported PSF2 version %d" % version)
    if headersize < 32 or headersize > len(data):
        raise FontError("PSF2 header size %d is out of range" % headersize)
    if count == 0 or width == 0 or height == 0:
        raise FontError("PSF2 header gives %d glyphs of %dx%d"
                        % (count, width, height))
    rowbytes = (width + 7) // 8
    if charsize != height * rowbytes:
        raise FontError("PSF2 glyph size %d does not match %dx%d"
                        % (charsize, width, height))
    glyphs, end = slice_glyphs(data, headersize, count, charsize)
    unimap = None
    if flags & PSF2_HAS_UNICODE_TABLE:
        unimap = parse_psf2_table(data[end:], count)
    return Font(width, height, rowbytes, glyphs, unimap)


def parse_font(data):
    if not data:
        raise FontError("empty file")
    if data[:4] == PSF2_MAGIC:
        return parse_psf2(data)
    if data[:2] == PSF1_MAGIC:
        return parse_psf1(data)
    raise FontError("not a PSF font (magic %s)" % data[:4].hex())


def ascii_glyphs(font):
    # Without a table the font is taken to be in ASCII order, which is
    # what PSF files without one conventionally are.
    if font.unimap is None:
        def lookup(cp):
            return cp if cp < len(font.glyphs) else None
    else:
        lookup = font.unimap.get
    blank = bytes(font.height * font.rowbytes)
    q = lookup(ord("?"))
    fallback = font.glyphs[q] if q is not None else blank
    out = []
    for cp in range(NCODES):
        i = lookup(cp)
        out.append(font.glyphs[i] if i is not None else fallback)
    return out


def code_comment(cp):
    # A printable label per glyph makes the generated file reviewable.
    if 0x20 < cp < 0x7F and chr(cp) not in "\\*/":
        return "'%s'" % chr(cp)
    return "0x%02x" % cp


def render_header(font, glyphs, source):
    name = os.path.basename(source)
    lines = [
        "/* Generated by tools/psf2c.py from %s - do not edit. */" % name,
        "#ifndef FONT_H",
        "#define FONT_H",
        "",
        "#define FONT_WIDTH    %d" % font.width,
        "#define FONT_HEIGHT   %d" % font.height,
        "#define FONT_ROWBYTES %d" % font.rowbytes,
        "",
        "static const unsigned char font_glyphs[128]"
        "[FONT_HEIGHT * FONT_ROWBYTES] = {",
    ]
    for cp, g in enumerate(glyphs):
        body = ",".join("0x%02x" % b for b in g)
        lines.append("\t/* %s */ {%s}," % (code_comment(cp), body))
    lines += ["};", "", "#endif", ""]
    return "\n".join(lines)


def write_atomically(path, text):
    # Write then rename, so an interrupted run never leaves a half header
    # that make would consider up to date.
    tmp = path + ".tmp"
    try:
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise FontError("cannot write %s: %s" % (path, e.strerror or e))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: %s INPUT.psf[.gz] OUTPUT.h\n" % argv[0])
        return 1
    src, dst = argv[1], argv[2]
    try:
        font = parse_font(read_input(src))
        text = render_header(font, ascii_glyphs(font), src)
        write_atomically(dst, text)
    except FontError as e:
        sys.stderr.write("psf2c: %s: %s\n" % (src, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
