#!/usr/bin/env python3
"""kdigest.py - the kernel digest slot in BOOTX64.EFI (boot/kdigest.h).

    kdigest.py fill LOADER KERNEL OUT   OUT: a copy of LOADER whose slot holds
                                        KERNEL's SHA-256 (then sign OUT)
    kdigest.py show LOADER              print the slot: empty, or the digest

The slot is found by its marker, which must occur exactly once. A signed
loader is refused by `fill`: changing a byte would void its signature, so
the digest goes in first and the signature over it. Exit status 2 on any
refusal, with one line saying why.
"""

import hashlib
import struct
import sys

MARKER = b"rt loader: KERNEL.ELF SHA-256 ->"
EMPTY, FILLED = 0, 1
SLOT = len(MARKER) + 8 + 32         # marker, filled, reserved, digest


class Refused(Exception):
    pass


def find_slot(efi, name):
    """The offset of the slot in the loader's bytes."""
    at = efi.find(MARKER)
    if at < 0:
        raise Refused(f"{name}: no kernel digest slot (not this project's loader, or built before it had one)")
    if efi.find(MARKER, at + 1) >= 0:
        raise Refused(f"{name}: the digest slot's marker occurs twice")
    if at + SLOT > len(efi):
        raise Refused(f"{name}: the digest slot is cut off")
    return at


def signed(efi):
    """True when the PE file carries a certificate table (is signed)."""
    if efi[:2] != b"MZ" or len(efi) < 0x40:
        return False
    pe = struct.unpack_from("<I", efi, 0x3c)[0]
    if efi[pe:pe + 4] != b"PE\0\0":
        return False
    opt = pe + 24
    magic = struct.unpack_from("<H", efi, opt)[0]
    dirs = opt + (112 if magic == 0x20b else 96)
    nrva = struct.unpack_from("<I", efi, dirs - 4)[0]
    if nrva <= 4:
        return False
    _, size = struct.unpack_from("<II", efi, dirs + 4 * 8)
    return size != 0


def fill(loader, kernel, out):
    with open(loader, "rb") as f:
        efi = bytearray(f.read())
    if signed(efi):
        raise Refused(f"{loader}: already signed; the digest must go in before the signature")
    at = find_slot(efi, loader)
    with open(kernel, "rb") as f:
        digest = hashlib.sha256(f.read()).digest()
    filled = struct.unpack_from("<I", efi, at + len(MARKER))[0]
    if filled != EMPTY:
        raise Refused(f"{loader}: the digest slot is already filled")
    struct.pack_into("<II32s", efi, at + len(MARKER), FILLED, 0, digest)
    with open(out, "wb") as f:
        f.write(efi)
    print(f"  DIGEST  {out}: {kernel} SHA-256 {digest.hex()}")


def show(loader):
    with open(loader, "rb") as f:
        efi = f.read()
    at = find_slot(efi, loader)
    filled, _, digest = struct.unpack_from("<II32s", efi, at + len(MARKER))
    if filled == EMPTY:
        print(f"{loader}: empty (the kernel is not checked unless Secure Boot is on)")
    elif filled == FILLED:
        print(f"{loader}: {digest.hex()}")
    else:
        raise Refused(f"{loader}: damaged digest slot (filled = {filled})")


def main(argv):
    try:
        if len(argv) == 4 and argv[0] == "fill":
            fill(*argv[1:])
        elif len(argv) == 2 and argv[0] == "show":
            show(argv[1])
        else:
            print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
            return 2
    except Refused as e:
        print(f"kdigest: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"kdigest: {e.filename}: {e.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
