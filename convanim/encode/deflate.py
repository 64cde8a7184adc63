"""A zlib stream assembled from independent pieces, so PNG data costs what changed, not what it spans.

A piece is deflate data that starts on a byte boundary, ends on one (after an empty stored block, as a full
flush leaves it) and refers to nothing before it: bytes compressed on their own (``compressed``) or a run
of zero bytes written directly as a fixed-Huffman block (``zeros``: a million zeros are a few kilobytes,
made in microseconds, without zlib seeing them). Pieces concatenate into one valid stream; ``ZStream``
adds the zlib header, the final block and the Adler-32 of the whole, combined from the pieces' own.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

BASE = 65521  # Adler-32's modulus
# deflate's length codes 257..284: (first length, extra bits)
_LENGTHS = [(3, 0), (4, 0), (5, 0), (6, 0), (7, 0), (8, 0), (9, 0), (10, 0), (11, 1), (13, 1), (15, 1), (17, 1),
            (19, 2), (23, 2), (27, 2), (31, 2), (35, 3), (43, 3), (51, 3), (59, 3), (67, 4), (83, 4), (99, 4),
            (115, 4), (131, 5), (163, 5), (195, 5), (227, 5)]
_ALIGN = b"\x00\x00\xff\xff"  # an empty stored block's LEN and NLEN (its 3 header bits come before the padding)


@dataclass(frozen=True, slots=True)
class Piece:
    """Deflate data for ``length`` bytes whose Adler-32 is ``adler``."""

    data: bytes
    length: int
    adler: int


def adler_combine(a1: int, a2: int, len2: int) -> int:
    """Adler-32 of A + B from Adler-32 of A, of B and B's length (zlib's adler32_combine)."""
    rem = len2 % BASE
    s1 = a1 & 0xFFFF
    s2 = rem * s1 % BASE
    s1 = (s1 + (a2 & 0xFFFF) + BASE - 1) % BASE
    s2 = (s2 + ((a1 >> 16) & 0xFFFF) + ((a2 >> 16) & 0xFFFF) + BASE - rem) % BASE
    return s1 | (s2 << 16)


def compressed(data: bytes, level: int = 6) -> Piece:
    """``data`` compressed on its own, ending byte-aligned (a full flush)."""
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return Piece(c.compress(data) + c.flush(zlib.Z_FULL_FLUSH), len(data), zlib.adler32(data))


def _reverse(code: int, bits: int) -> int:
    return int(f"{code:0{bits}b}"[::-1], 2)


def _length_code(n: int) -> tuple[int, int]:
    """(bits, count) of a match length 3..258 in fixed Huffman coding, least significant bit first."""
    if n == 258:
        return _reverse(0xC5, 8), 8  # symbol 285
    sym = max(i for i, (first, _) in enumerate(_LENGTHS) if first <= n)
    first, extra = _LENGTHS[sym]
    symbol = 257 + sym
    code, size = (_reverse(symbol - 256, 7), 7) if symbol < 280 else (_reverse(0xC0 + symbol - 280, 8), 8)
    return code | ((n - first) << size), size + extra


@lru_cache(maxsize=4096)
def zeros(n: int) -> Piece:
    """``n`` zero bytes as one fixed-Huffman block: a literal zero, then matches of 258 at distance 1."""
    if n <= 0:
        return Piece(b"", 0, 1)
    literal = (_reverse(0x30, 8), 8)  # literal 0
    full, rest = divmod(n - 1, 258)
    acc, pos = 0b010, 3  # BFINAL 0, BTYPE 01 (fixed Huffman)
    acc |= literal[0] << pos
    pos += literal[1]
    step = _reverse(0xC5, 8)  # a 258 match, then distance code 0 (5 zero bits): 13 bits
    if full:
        acc |= (step * (((1 << (13 * full)) - 1) // ((1 << 13) - 1))) << pos
        pos += 13 * full
    if rest >= 3:
        code, size = _length_code(rest)
        acc |= code << pos
        pos += size + 5
    else:
        for _ in range(rest):
            acc |= literal[0] << pos
            pos += 8
    pos += 7  # end of block (seven zero bits)
    pos += 3  # an empty stored block's header (BFINAL 0, BTYPE 00); then padding to the byte
    data = acc.to_bytes((pos + 7) // 8, "little") + _ALIGN
    return Piece(data, n, (n % BASE) << 16 | 1)


class ZStream:
    """A zlib stream built piece by piece; ``bytes()`` finishes it."""

    def __init__(self) -> None:
        self.parts: list[bytes] = [b"\x78\x9c"]
        self.adler = 1

    def add(self, piece: Piece) -> None:
        self.parts.append(piece.data)
        self.adler = adler_combine(self.adler, piece.adler, piece.length)

    def bytes(self) -> bytes:
        return b"".join(self.parts) + b"\x03\x00" + self.adler.to_bytes(4, "big")
