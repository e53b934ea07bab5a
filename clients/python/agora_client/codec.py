"""The canonical binary encoding of docs/formats.md, written from that page: little-endian
fixed-width integers, `bytes` = u32 length + bytes, `array<T>` = u32 count + elements,
`option<T>` = one byte 0/1 (+ T), strings are UTF-8 `bytes`. Only what a client signs is here
(it never decodes blocks); `Writer` refuses values that do not fit their width."""
from __future__ import annotations

import hashlib
import struct

from .errors import InvalidInput

MAX_AMOUNT = (1 << 63) - 1
U64_MAX = (1 << 64) - 1


class Writer:
    """Appends canonical fields to a bytearray."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def u8(self, v: int) -> "Writer":
        self.buf.append(_fit(v, 0xFF, "u8"))
        return self

    def u16(self, v: int) -> "Writer":
        self.buf += struct.pack("<H", _fit(v, 0xFFFF, "u16"))
        return self

    def u32(self, v: int) -> "Writer":
        self.buf += struct.pack("<I", _fit(v, 0xFFFFFFFF, "u32"))
        return self

    def u64(self, v: int) -> "Writer":
        self.buf += struct.pack("<Q", _fit(v, U64_MAX, "u64"))
        return self

    def boolean(self, v: bool) -> "Writer":
        self.buf.append(1 if v else 0)
        return self

    def fixed(self, raw: bytes, length: int) -> "Writer":
        if len(raw) != length:
            raise InvalidInput("bytes", f"expected {length} bytes, got {len(raw)}")
        self.buf += raw
        return self

    def bytes(self, raw: bytes) -> "Writer":
        self.u32(len(raw))
        self.buf += raw
        return self

    def string(self, s: str) -> "Writer":
        return self.bytes(s.encode("utf-8"))

    def option(self, value, write) -> "Writer":
        if value is None:
            self.buf.append(0)
        else:
            self.buf.append(1)
            write(value)
        return self

    def array(self, values, write) -> "Writer":
        self.u32(len(values))
        for v in values:
            write(v)
        return self

    def done(self) -> bytes:
        return bytes(self.buf)


def _fit(v: int, limit: int, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v > limit:
        raise InvalidInput(what, f"{v!r} is not an integer in 0…{limit}")
    return v


def u64_bytes(v: int) -> bytes:
    return struct.pack("<Q", _fit(v, U64_MAX, "u64"))


def sha256(*parts: bytes) -> bytes:
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()
