#!/usr/bin/env python3
"""mkspcr.py - write an ACPI SPCR table (Serial Port Console Redirection,
revision 2, 80 bytes) naming a 16550 UART, for QEMU's
`-acpitable file=...`: the test cases use it to play a firmware that puts
its console on COM2, as servers with a BMC often do.

    python3 tools/mkspcr.py [--port 0x2f8] [--mmio ADDR] [--baud 115200]
                            [--irq 3] [--iface 0] -o build/acpi/spcr-com2.dat

The checksum is computed so that the table's bytes sum to 0 mod 256.
"""
import argparse
import struct
import sys

BAUD_CODES = {9600: 3, 19200: 4, 57600: 6, 115200: 7, 0: 0}


def spcr(port=0x2f8, mmio=None, baud=115200, irq=3, iface=0):
    """The table's bytes: a 16550 at I/O `port` (or memory `mmio`)."""
    if baud not in BAUD_CODES:
        raise ValueError(f"baud rate {baud} has no SPCR code (one of {sorted(BAUD_CODES)})")
    if mmio is None:
        gas = struct.pack("<BBBBQ", 1, 8, 0, 1, port)        # I/O space, 8-bit registers
    else:
        gas = struct.pack("<BBBBQ", 0, 8, 0, 1, mmio)        # memory space
    body = struct.pack("<B3x", iface) + gas
    body += struct.pack("<BBI", 0x03 if irq is not None else 0, irq or 0, irq or 0)
    body += struct.pack("<BBBBBB", BAUD_CODES[baud], 0, 1, 0, 0, 0)  # 8N1, no flow control, VT100
    body += struct.pack("<HHBBBIBI", 0xffff, 0xffff, 0, 0, 0, 0, 0, 0)   # not a PCI device
    length = 36 + len(body)
    header = struct.pack("<4sIBB6s8sI4sI", b"SPCR", length, 2, 0, b"RTTEST", b"RTSPCR  ",
                         1, b"RTPY", 1)
    table = bytearray(header + body)
    table[9] = (-sum(table)) & 0xff
    assert len(table) == 80 and sum(table) % 256 == 0
    return bytes(table)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=lambda s: int(s, 0), default=0x2f8)
    ap.add_argument("--mmio", type=lambda s: int(s, 0))
    ap.add_argument("--baud", type=int, default=115200)
    ap.add_argument("--irq", type=int, default=3)
    ap.add_argument("--iface", type=lambda s: int(s, 0), default=0)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args(argv)
    try:
        data = spcr(a.port, a.mmio, a.baud, a.irq, a.iface)
    except ValueError as e:
        print(f"mkspcr: {e}", file=sys.stderr)
        return 2
    with open(a.output, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
