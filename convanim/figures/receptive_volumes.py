"""The 3-D layout of a ``layers:`` figure: every plane a column of sheared depth sheets, input on the left.

Each column (the input, then every layer's output) is a volume as the 3-D figure draws it: depth 0 on top, the
padding the next layer adds dashed around it (and as dashed sheets above and below); an element-wise step's
column is thin and lighter. Columns are numbered; the legend under them names each layer with its field size
and jump. A frame shades the field of one output voxel of the last layer on every sheet of every column and
joins the field's boxes from column to column.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core.scene import CellRef, Links, Point, Polygon, Primitive, Scene, Segment, Text
from ..core.text import text_width
from ..engine import Role
from ..engine.receptive import field
from .geometry import Plane, Z, extent, grid_lines, runs, shade, shear
from .links import plane_group
from .receptive import THIN, Frame, Stack, pads, plane_size

Sheets = list[list[Plane]]  # per plane, its sheets from depth 0 down


class Volumes(Stack):
    """Columns of depth sheets, left to right."""

    def scene(self) -> Scene:
        self.roles = [self.padded_role(p) for p in range(self.n_planes)]
        s = self.s = self.cell_size()
        self.size = self.text_size(s)
        self.margin = round(0.5 * s)
        sheets, width, bottom = self.place()
        legend = [" · ".join(t for t in self.label(p) if t) for p in range(1, self.n_planes)]
        width = max(width, round(max(text_width(line, self.size, "sans") for line in legend) + 2 * self.margin))
        static: list[Primitive] = []
        for p, column in enumerate(sheets):
            static += self.column_static(p, column)
        static += [Text(xy=(self.margin, bottom + (n + 0.7) * 1.5 * self.size), text=line, size=self.size,
                        color=self.theme.caption, anchor="lm", font="sans", z=Z.TEXT) for n, line in enumerate(legend)]
        height = round(bottom + (len(legend) + 0.3) * 1.5 * self.size + self.margin)
        static += self.title(width, self.margin * 0.8, self.size)
        regions = {"plane_centers": [{d: sh.centers(self.roles[p].shape[1:]) for d, sh in enumerate(column)}
                                     for p, column in enumerate(sheets)],
                   "plane_pad": [pads(self.specs, p)[0] for p in range(self.n_planes)], "plane_role": self.roles,
                   "fields": self.fields}
        return Scene(width=width, height=height, background=self.theme.background, static=tuple(static),
                     n_frames=self.n_frames, frame=self.frame_fn(sheets), dynamic_z=frozenset({Z.SHADE, Z.LINES}),
                     regions=regions, narration=self.narration, links=self.volume_links(sheets))

    def volume_links(self, sheets: Sheets) -> Callable[[], Links]:
        """One group per depth sheet of every column (``input, slice d 2``; padding sheets ``pad``)."""
        keys = [(p, d) for p, column in enumerate(sheets) for d in range(len(column))]
        index = {key: n for n, key in enumerate(keys)}

        def name(p: int, d: int) -> str:
            before = pads(self.specs, p)[0][0]
            inside = 0 <= d - before < plane_size(self.specs, p)[0]
            return f"{self.group_name(p)}, slice {f'd {d - before}' if inside else 'pad'}"

        def ref(p: int, _c: int, at: tuple[int, ...]) -> CellRef | None:
            d, r, c = at
            shape = self.roles[p].shape
            if not all(0 <= v < n for v, n in zip(at, shape)):
                return None
            return index[(p, d)], r * shape[2] + c

        groups = lambda: [plane_group(name(p, d), sheets[p][d], self.roles[p].shape[1:]) for p, d in keys]  # noqa: E731
        return self.field_links(groups, ref, [[0]] * self.n_planes)

    def padded_role(self, p: int) -> np.ndarray:
        """Plane ``p``'s cells (INPUT) with the next layer's padding (PADDING) around them, (D', H', W')."""
        before, after = pads(self.specs, p)
        size = plane_size(self.specs, p)
        role = np.full(tuple(n + b + a for n, b, a in zip(size, before, after)), Role.PADDING, np.int8)
        role[tuple(slice(b, b + n) for n, b in zip(size, before))] = Role.INPUT
        return role

    def cell_size(self) -> float:
        if self.options.scale:
            return float(self.options.scale)
        tall = max(r.shape[0] * (r.shape[1] * 0.36 * (THIN if self.thin(p) else 1) + r.shape[2] * 0.3 + 0.4)
                   for p, r in enumerate(self.roles))
        return float(max(8, min(22, round(600 / tall))))

    def place(self) -> tuple[Sheets, int, float]:
        """Every plane's column of sheets, side by side, depth 0 in a line on top; the canvas width and the
        bottom."""
        s = self.s
        u, v0 = shear(s, flat=True)
        columns: list[tuple[Point, Point, float, float, float]] = []
        for p, role in enumerate(self.roles):
            v = (round(v0[0] * THIN), round(v0[1] * THIN)) if self.thin(p) else v0
            ex0, ey0, ex1, ey1 = extent(u, v, role.shape[1], role.shape[2])
            pitch = (ey1 - ey0) + round(0.4 * s)
            columns.append((v, (ex0, ey0), ex1 - ex0, pitch, role.shape[0] * pitch - round(0.4 * s)))
        # depth 0 of every plane in one line: a column with padding sheets above starts higher
        above = [pads(self.specs, p)[0][0] * c[3] for p, c in enumerate(columns)]
        tall = max(c[4] - a for c, a in zip(columns, above)) + max(above)
        top = self.margin + (round(1.0 * s) if self.options.labels else 0) + 1.6 * self.size
        x = float(self.margin)
        sheets: Sheets = []
        self.headers: list[Point] = []
        for p, (v, (ex0, ey0), w, pitch, _h) in enumerate(columns):
            y = top + max(above) - above[p]
            sheets.append([Plane((round(x - ex0), round(y - ey0 + d * pitch)), u, v)
                           for d in range(self.roles[p].shape[0])])
            self.headers.append((x + w / 2, y - 0.9 * self.size))
            x += w + 1.3 * s
        return sheets, round(x - 1.3 * s + self.margin), top + tall + 0.5 * s

    def column_static(self, p: int, column: list[Plane]) -> list[Primitive]:
        th, s, role = self.theme, self.s, self.roles[p]
        prims: list[Primitive] = []
        for d, sheet in enumerate(column):  # the columns never overlap: one z for all
            prims += [Polygon(points=sheet.cell(r, c), fill=self.fill(p), z=Z.FILL)
                      for (r, c), rl in np.ndenumerate(role[d]) if rl == Role.INPUT]
            prims += grid_lines(sheet, role[d], th, s, Z.GRID, lambda rl: rl == Role.INPUT)
        name = "input" if p == 0 else str(p)
        return prims + [Text(xy=self.headers[p], text=name, size=self.size, color=th.caption, font="sans", z=Z.TEXT)]

    def frame_fn(self, sheets: Sheets) -> Frame:
        th = self.theme

        def frame(i: int) -> tuple[Primitive, ...]:
            prims: list[Primitive] = []
            boxes: list[tuple[Plane, int, int, int, int] | None] = []
            for p, f in enumerate(field(self.specs, self.position(i))):
                before = pads(self.specs, p)[0]
                depths, rows, cols = ([v + b for v in axis] for axis, b in zip(f.padded, before))
                for d in depths:
                    for a, b in runs(rows):
                        for c, e in runs(cols):
                            prims.append(shade(sheets[p][d].box(a, c, b - a, e - c), th, Z.SHADE))
                empty = not (depths and rows and cols)  # a field of padding only: no box, no connectors
                boxes.append(None if empty else (sheets[p][min(depths)], min(rows), max(rows) + 1, min(cols),
                                                 max(cols) + 1))
            for one, two in zip(boxes, boxes[1:]):
                if one is None or two is None:
                    continue
                (pa, a0, a1, b0, b1), (pb, c0, c1, d0, d1) = one, two
                for rr, cc in ((0, 0), (0, 1), (1, 0), (1, 1)):
                    prims.append(Segment(start=pa.at((a0, a1)[rr], (b0, b1)[cc]), end=pb.at((c0, c1)[rr], (d0, d1)[cc]),
                                         color=th.connector, width=1.0, z=Z.LINES, antialias=False))
            return tuple(prims)

        return frame
