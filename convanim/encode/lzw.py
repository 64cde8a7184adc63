"""GIF's LZW image data, two ways that give the same bytes: Pillow's C encoder over a dense index image,
or, for a frame that changes a few pixels in a large rectangle, runs of equal pixels encoded here (by the
optional C module ``_gif`` when it is built, else in Python: the same steps and bytes, slower).

Both are the greedy encoder of the GIF specification as Pillow implements it (Raymond Gardner's): a clear
code first, codes widening from ``bits + 1`` as the table grows, a clear code when the table is full,
then the pending string and the end code, packed least significant bit first into 255-byte sub-blocks.
The run encoder follows the same table, but a run of one value walks the table's chain of that value's
strings (``v``, ``vv``, ``vvv``, ...) in one step per code it emits, so a transparent stretch of a million
pixels costs a few thousand steps instead of a million. ``bits`` is the minimum code size: the palette's
bits (a 16-colour figure starts with 5-bit codes, not Pillow's default 9), which only ever shortens codes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

try:
    from . import _gif as native
except ImportError:  # not built (no C compiler at install): the Python encoder below does the same
    native = None

LIMIT = 4096  # GIF's largest code + 1


def sub_blocks(data: bytes) -> bytes:
    """``data`` as GIF data sub-blocks (a length byte, up to 255 bytes), without the terminator."""
    return b"".join(bytes((len(data[i:i + 255]),)) + data[i:i + 255] for i in range(0, len(data), 255))


def image_data(codes: bytes, bits: int) -> bytes:
    """A frame's image data: the minimum code size, the sub-blocks and the terminator."""
    return bytes((bits,)) + codes + b"\0"


def pillow_lzw(index: np.ndarray, bits: int) -> bytes | None:
    """Sub-blocks of a (height, width) uint8 index image by Pillow's C encoder; None if this Pillow cannot."""
    try:
        from PIL import Image

        image = Image.fromarray(np.ascontiguousarray(index, np.uint8), "L")
        encoder = Image._getencoder("L", "gif", ("L", bits))
        encoder.setimage(image.im, (0, 0, *image.size))
    except Exception:  # noqa: BLE001 - a Pillow without this internal API: the Python encoder does it
        return None
    chunks = []
    while True:
        _, err, data = encoder.encode(65536)  # a multiple of 256: whole 255-byte sub-blocks per call
        chunks.append(data)
        if err:
            break
    if err < 0:
        return None
    return b"".join(chunks)


def pack(codes: Sequence[int], bits: int) -> bytes:
    """The codes of one image packed least significant bit first, the last byte padded with zeros.

    A code's width follows from its place: the k-th code after a clear code is emitted while the table's
    next free code is ``end + 1 + k``, so it is ``(end + k).bit_length()`` bits (at most 12); the clear code
    that follows a full table is 12 bits, and the end code has the width of the code before it.
    """
    c = np.asarray(codes, np.int64)
    clear, end = 1 << bits, (1 << bits) + 1
    n = c.size
    at = np.arange(n)
    clears = np.flatnonzero(c == clear)
    since = at - clears[np.searchsorted(clears, at, side="right") - 1] - 1  # codes since the last clear
    w = np.minimum(np.searchsorted(1 << np.arange(13), end + since, side="right"), 12)
    w[clears[0]] = bits + 1
    w[clears[1:]] = 12
    w[-1] = w[-2]
    shifts = np.arange(12)
    bit = ((c[:, None] >> shifts) & 1).astype(np.uint8)
    return np.packbits(bit[shifts[None, :] < w[:, None]], bitorder="little").tobytes()


def sparse_lzw(pos: np.ndarray, val: np.ndarray, area: int, clear: int, bits: int) -> bytes:
    """Sub-blocks of a rectangle of ``area`` pixels, all ``clear`` but those at the positions ``pos`` (row-major,
    each once, in any order), which hold ``val`` (never ``clear``)."""
    if native is not None:
        return native.sparse(np.ascontiguousarray(pos, np.int64), np.ascontiguousarray(val, np.uint8), area, clear,
                             bits)
    order = np.argsort(pos)
    return runs_lzw(*changes_as_runs(pos[order], val[order], area, clear), bits)


def changes_as_runs(pos: np.ndarray, val: np.ndarray, area: int, clear: int) -> tuple[np.ndarray, np.ndarray]:
    """The rectangle of ``sparse_lzw`` as runs (values, lengths), its changed pixels at ascending ``pos``."""
    brk = np.ones(pos.size, bool)  # runs begin at a gap or a new value
    brk[1:] = (pos[1:] != pos[:-1] + 1) | (val[1:] != val[:-1])
    starts = np.flatnonzero(brk)
    ends = np.append(starts[1:], pos.size)
    first, count = pos[starts], ends - starts
    gaps = np.diff(first, prepend=0) - np.concatenate([[0], count[:-1]])
    values = np.empty(2 * starts.size + 1, np.int64)
    lengths = np.empty_like(values)
    values[0:-1:2], lengths[0:-1:2] = clear, gaps
    values[1::2], lengths[1::2] = val[starts], count
    values[-1], lengths[-1] = clear, area - (first[-1] + count[-1] if pos.size else 0)
    keep = lengths > 0
    return values[keep], lengths[keep]


def runs_lzw(values: Sequence[int] | np.ndarray, lengths: Sequence[int] | np.ndarray, bits: int) -> bytes:
    """Sub-blocks of the pixels given as runs (``lengths[i]`` pixels of ``values[i]``, row by row)."""
    if native is not None:
        return native.runs(np.ascontiguousarray(values, np.int64), np.ascontiguousarray(lengths, np.int64), bits)
    return py_runs_lzw(np.asarray(values).tolist(), np.asarray(lengths).tolist(), bits)


def py_runs_lzw(values: Sequence[int], lengths: Sequence[int], bits: int) -> bytes:
    """runs_lzw in Python (what ``_gif.c`` does, step for step)."""
    clear, end = 1 << bits, (1 << bits) + 1
    codes = [clear]
    emit = codes.append
    table: dict[int, int] = {}
    get = table.get
    chains: dict[int, list[int]] = {}  # value v -> codes of v, vv, vvv, ... as far as the table has them
    code = end + 1  # the next free code
    head = -1
    for v, n in zip(values, lengths):
        if head >= 0:
            while True:  # follow the table from the pending string while it has the longer string
                nxt = get(head << 8 | v)
                if nxt is None:
                    break
                head, n = nxt, n - 1
                if not n:
                    break
            if not n:
                continue
            emit(head)
            if code < LIMIT:
                table[head << 8 | v] = code
                ch = chains.get(v)
                if ch is not None and ch[-1] == head:
                    ch.append(code)
                code += 1
            else:
                emit(clear)
                table.clear()
                chains.clear()
                code = end + 1
        head, n = v, n - 1  # the pixel that missed (or the very first) starts the pending string
        if n:
            ch = chains.get(v)
            if ch is not None and n < len(ch):  # the table has the whole run already (short runs: text)
                head = ch[n]
            else:
                head, code = _run(v, n, codes, table, chains, code, clear)
    codes += (head, end)
    return sub_blocks(pack(codes, bits))


def _run(v: int, n: int, codes: list[int], table: dict[int, int], chains: dict[int, list[int]], code: int,
         clear: int) -> tuple[int, int]:
    """From the pending string ``v``, ``n`` more pixels of ``v``: each code emitted is the longest string of
    v's the table has and extends that chain by one, so a long run is a few steps, and a very long one is
    done in bulk. Returns the pending string and the next free code."""
    ch = chains.get(v)
    if ch is None:
        ch = chains[v] = [v]
    while n > len(ch) - 1:
        length = len(ch)
        if n > 16 * length:  # bulk: m strings of lengths L..L+m-1 take m*L + m(m-1)/2 <= n pixels
            m = int((-(2 * length - 1) + math.sqrt((2 * length - 1) ** 2 + 8 * n)) / 2)
            while m > 0 and m * length + m * (m - 1) // 2 > n:
                m -= 1
            m = min(m, LIMIT - code)
            if m > 1:
                codes.append(ch[-1])
                codes += range(code, code + m - 1)
                # (the table needs no entries "v-string + v": a run of v is followed by another value, and
                # within a run the chain gives the strings)
                ch += range(code, code + m)
                code += m
                n -= m * length + m * (m - 1) // 2
                continue
        n -= length  # to the longest string, plus the pixel that misses
        codes.append(ch[-1])
        if code < LIMIT:
            table[ch[-1] << 8 | v] = code
            ch.append(code)
            code += 1
        else:
            codes.append(clear)
            table.clear()
            chains.clear()
            ch = chains[v] = [v]
            code = clear + 2
    return ch[n], code
