"""PDF pages of a Scene, written directly: what never changes is drawn once, each page adds only its frame.

Static primitives are grouped as the raster renderer groups them (bands between the dynamic z levels) and,
inside a band, into runs that appear at the same frame (``reveal``); each run is one Form XObject, drawn
once and referenced by every page that shows it, so a page costs its own frame's few shapes. One scene
pixel is one PostScript point, y pointing down. Shapes match the other renderers: polygons filled (opaque
ones with a hairline of their own colour, so viewers show no seams between cells), strokes as square-capped
pieces (``vector.dash_pieces``), text as text in the DejaVu fonts the figures are measured with, subset and
embedded (fontTools, which matplotlib depends on), placed with Pillow's anchors. Streamed: pages are
written as they are drawn; fonts, the page tree and shared resources go at the end. Deterministic: no
dates, no IDs, subset tags derived from the glyphs used.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from ..core.files import atomic_path
from ..core.scene import Polygon, Primitive, Scene, Segment, Text
from ..core.text import font_path
from .coverage import rgb
from .vector import dash_pieces

_FAMILIES = ("serif", "sans", "mono")


def num(v: float) -> str:
    """A PDF number: at most 3 decimals, no trailing zeros."""
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def color(c: str) -> str:
    return " ".join(num(v / 255) for v in rgb(c))


class Objects:
    """PDF objects written to a file as they come, with the cross-reference table at the end."""

    def __init__(self, fp: IO[bytes]):
        self.fp = fp
        self.offsets: dict[int, int] = {}
        self.count = 0
        fp.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def reserve(self) -> int:
        self.count += 1
        return self.count

    def write(self, num_: int, body: bytes | str) -> int:
        self.offsets[num_] = self.fp.tell()
        data = body.encode("latin-1") if isinstance(body, str) else body
        self.fp.write(f"{num_} 0 obj\n".encode() + data + b"\nendobj\n")
        return num_

    def stream(self, num_: int, data: bytes, extra: str = "") -> int:
        packed = zlib.compress(data, 6)
        head = f"<< {extra} /Filter /FlateDecode /Length {len(packed)} >>\nstream\n".encode()
        return self.write(num_, head + packed + b"\nendstream")

    def finish(self, root: int) -> None:
        xref = self.fp.tell()
        lines = [f"xref\n0 {self.count + 1}\n", "0000000000 65535 f \n"]
        lines += [f"{self.offsets[k]:010d} 00000 n \n" for k in range(1, self.count + 1)]
        self.fp.write("".join(lines).encode())
        self.fp.write(f"trailer\n<< /Size {self.count + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())


class Font:
    """One DejaVu face: glyphs for text, advance widths and kerning; subset and embedded at the end."""

    def __init__(self, family: str, ref: int):
        from fontTools.ttLib import TTFont

        self.family, self.ref = family, ref
        self.path = font_path(family)
        self.tt = TTFont(self.path, recalcTimestamp=False, lazy=True)
        self.cmap = self.tt.getBestCmap()
        self.gid = self.tt.getReverseGlyphMap()
        self.advance = self.tt["hmtx"].metrics
        self.upem = self.tt["head"].unitsPerEm
        self.ascent, self.descent = self.tt["hhea"].ascent, -self.tt["hhea"].descent
        self.kern = self.tt["kern"].kernTables[0].kernTable if "kern" in self.tt else {}
        self.used: dict[int, str] = {}  # glyph id -> the text it stands for

    def layout(self, text: str) -> tuple[str, float]:
        """The TJ operand of ``text`` (glyph ids with kerning) and its advance width in em units."""
        names = [self.cmap.get(ord(ch), ".notdef") for ch in text]
        parts, run, width = [], [], 0
        for k, (ch, name) in enumerate(zip(text, names)):
            g = self.gid.get(name, 0)
            self.used.setdefault(g, ch)
            run.append(f"{g:04x}")
            width += self.advance[name][0]
            adjust = self.kern.get((name, names[k + 1]), 0) if k + 1 < len(names) else 0
            if adjust:
                parts.append(f"<{''.join(run)}> {num(-adjust * 1000 / self.upem)}")
                run = []
                width += adjust
        if run:
            parts.append(f"<{''.join(run)}>")
        return f"[{' '.join(parts)}]", width / self.upem

    def write(self, objs: Objects) -> None:
        """The font's objects: Type0, CID font, descriptor, the subset TrueType file, ToUnicode."""
        from fontTools import subset

        gids = sorted(self.used)
        options = subset.Options()
        options.retain_gids, options.notdef_outline, options.name_IDs = True, True, ["*"]
        options.drop_tables += ["GPOS", "GSUB", "GDEF", "kern", "MATH", "FFTM"]
        font = subset.load_font(self.path, options, lazy=False)
        font.recalcTimestamp = False
        sub = subset.Subsetter(options)
        sub.populate(gids=gids)
        sub.subset(font)
        buf = io.BytesIO()
        font.save(buf)
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(repr(gids).encode()).digest()[:6])
        name = f"{tag}+{self.tt['name'].getDebugName(6) or 'DejaVu'}"
        order = self.tt.getGlyphOrder()
        widths = " ".join(f"{g} [{num(self.advance[order[g]][0] * 1000 / self.upem)}]" for g in gids)
        head = self.tt["head"]
        scale = 1000 / self.upem
        bbox = " ".join(num(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax))
        cid, desc, file_, tounicode = (objs.reserve() for _ in range(4))
        objs.write(self.ref, f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H "
                             f"/DescendantFonts [{cid} 0 R] /ToUnicode {tounicode} 0 R >>")
        objs.write(cid, f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} /CIDSystemInfo << /Registry "
                        f"(Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor {desc} 0 R "
                        f"/CIDToGIDMap /Identity /W [{widths}] >>")
        objs.write(desc, f"<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [{bbox}] "
                         f"/ItalicAngle 0 /Ascent {num(self.ascent * scale)} /Descent {num(-self.descent * scale)} "
                         f"/CapHeight {num(self.ascent * scale)} /StemV 80 /FontFile2 {file_} 0 R >>")
        objs.stream(file_, buf.getvalue(), f"/Length1 {len(buf.getvalue())}")
        objs.stream(tounicode, to_unicode(self.used))


def to_unicode(used: dict[int, str]) -> bytes:
    """A ToUnicode CMap from glyph ids to the characters they show (so text can be searched and copied)."""
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def", "1 begincodespacerange", "<0000> <FFFF>",
             "endcodespacerange"]
    items = sorted(used.items())
    for k in range(0, len(items), 100):
        chunk = items[k:k + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{g:04x}> <{ch.encode('utf-16-be').hex()}>" for g, ch in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode()


class Painter:
    """Primitives as PDF content-stream operators; alpha values become named graphics states."""

    def __init__(self, fonts: Callable[[str], Font]):
        self.fonts = fonts
        self.alphas: dict[tuple[float, float], str] = {}

    def gs(self, fill: float, stroke: float) -> str:
        key = (round(fill, 4), round(stroke, 4))
        if key == (1.0, 1.0):
            return ""
        name = self.alphas.setdefault(key, f"A{len(self.alphas)}")
        return f"/{name} gs "

    def paint(self, prims: Iterable[Primitive]) -> str:
        return "".join(self.one(p) for p in prims)

    def one(self, p: Primitive) -> str:
        if isinstance(p, Polygon):
            if p.alpha <= 0 or len(p.points) < 3:
                return ""
            path = " ".join(f"{num(x)} {num(y)} {'m' if k == 0 else 'l'}" for k, (x, y) in enumerate(p.points))
            c = color(p.fill)
            if p.alpha >= 1:  # a hairline of its own colour hides the seams between cells
                return f"q {c} rg {c} RG 0.3 w {path} h B Q\n"
            return f"q {self.gs(p.alpha, p.alpha)}{c} rg {path} h f Q\n"
        if isinstance(p, Segment):
            if p.width <= 0 or p.alpha <= 0:
                return ""
            width, alpha = (1.0, p.alpha * p.width) if p.width < 1 else (float(p.width), p.alpha)
            pieces = " ".join(f"{num(a[0])} {num(a[1])} m {num(b[0])} {num(b[1])} l" for a, b in dash_pieces(p))
            if not pieces:
                return ""
            return f"q {self.gs(alpha, alpha)}{color(p.color)} RG {num(width)} w 0 J 0 j {pieces} S Q\n"
        if isinstance(p, Text):
            return self.text(p)
        raise TypeError(f"not a scene primitive: {p!r}")

    def text(self, t: Text) -> str:
        if not t.text:
            return ""
        font = self.fonts(t.font)
        tj, width = font.layout(t.text)
        size = float(t.size)
        x = float(t.xy[0]) - {"l": 0.0, "r": 1.0}.get(t.anchor[:1], 0.5) * width * size
        asc, desc = font.ascent / font.upem * size, font.descent / font.upem * size
        shift = {"a": asc, "t": asc, "s": 0.0, "b": -desc, "d": -desc}.get(t.anchor[1:2], (asc - desc) / 2)
        y = float(t.xy[1]) + shift
        return (f"q {color(t.color)} rg BT /{font.family.capitalize()} {num(size)} Tf 1 0 0 -1 {num(x)} {num(y)} Tm "
                f"{tj} TJ ET Q\n")


def render_pdf(scene: Scene, path: str | Path, step: int | None = None) -> Path:
    """Write ``scene`` as a PDF with one page per frame (or only frame ``step``), replaced atomically."""
    if step is not None and not 0 <= step < max(scene.n_frames, 1):
        raise ValueError(f"step {step} is outside 0..{scene.n_frames - 1}")
    steps = [step] if step is not None else range(max(scene.n_frames, 1))
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fp:
        _Document(scene, fp).write(steps)
    return path


class _Document:
    """One PDF being written: static runs as XObjects first, then the pages, then what they share."""

    def __init__(self, scene: Scene, fp: IO[bytes]):
        self.scene = scene
        self.objs = Objects(fp)
        self.root, self.pages, self.resources = (self.objs.reserve() for _ in range(3))
        self.fonts: dict[str, Font] = {}
        self.painter = Painter(self.font)
        first = scene.frame(0) if scene.n_frames > 0 else ()
        self.levels = sorted(set(scene.dynamic_z) | {p.z for p in first})

    def font(self, family: str) -> Font:
        family = family if family in _FAMILIES else "serif"
        if family not in self.fonts:
            self.fonts[family] = Font(family, self.objs.reserve())
        return self.fonts[family]

    def runs(self) -> list[tuple[int, int, str]]:
        """(band, reveal, XObject name) of each run of static primitives, in drawing order."""
        order = sorted(self.scene.static, key=lambda p: (bisect.bisect_left(self.levels, p.z), p.z))
        groups: list[tuple[int, int, list[Primitive]]] = []
        for p in order:
            band = bisect.bisect_left(self.levels, p.z)
            if groups and groups[-1][:2] == (band, int(p.reveal)):
                groups[-1][2].append(p)
            else:
                groups.append((band, int(p.reveal), [p]))
        w, h = self.scene.width, self.scene.height
        out = []
        for k, (band, reveal, prims) in enumerate(groups):
            name, content = f"X{k}", self.painter.paint(prims).encode("latin-1")
            ref = self.objs.stream(self.objs.reserve(), content, f"/Type /XObject /Subtype /Form /BBox [0 0 {w} {h}] "
                                                                 f"/Resources {self.resources} 0 R")
            self.xobjects.append((name, ref))
            out.append((band, reveal, name))
        return out

    def write(self, steps: Iterable[int]) -> None:
        self.xobjects: list[tuple[str, int]] = []
        runs = self.runs()
        w, h = self.scene.width, self.scene.height
        kids = []
        for i in steps:
            prims = self.scene.frame(i) if self.scene.n_frames > 0 else ()
            dynamic = sorted((p for p in prims if p.reveal <= i),
                             key=lambda p: (bisect.bisect_left(self.levels, p.z), p.z))
            parts = [f"q 1 0 0 -1 0 {h} cm {color(self.scene.background)} rg 0 0 {w} {h} re f\n"]
            d = 0
            for band in range(len(self.levels) + 1):
                parts += [f"/{name} Do\n" for b, reveal, name in runs if b == band and reveal <= i]
                while d < len(dynamic) and bisect.bisect_left(self.levels, dynamic[d].z) <= band:
                    parts.append(self.painter.one(dynamic[d]))
                    d += 1
            parts.append("Q\n")
            contents = self.objs.stream(self.objs.reserve(), "".join(parts).encode("latin-1"))
            page = (f"<< /Type /Page /Parent {self.pages} 0 R /MediaBox [0 0 {w} {h}] /Resources {self.resources} 0 R "
                    f"/Contents {contents} 0 R >>")
            kids.append(self.objs.write(self.objs.reserve(), page))
        self.finish(kids)

    def finish(self, kids: list[int]) -> None:
        objs = self.objs
        for font in self.fonts.values():
            font.write(objs)
        fonts = " ".join(f"/{f.family.capitalize()} {f.ref} 0 R" for f in self.fonts.values())
        xobjects = " ".join(f"/{name} {ref} 0 R" for name, ref in self.xobjects)
        states = " ".join(f"/{name} << /Type /ExtGState /ca {num(a)} /CA {num(b)} >>"
                          for (a, b), name in self.painter.alphas.items())
        objs.write(self.resources, f"<< /ProcSet [/PDF /Text] /Font << {fonts} >> /XObject << {xobjects} >> "
                                   f"/ExtGState << {states} >> >>")
        objs.write(self.pages, f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>")
        objs.write(self.root, f"<< /Type /Catalog /Pages {self.pages} 0 R >>")
        objs.finish(self.root)

