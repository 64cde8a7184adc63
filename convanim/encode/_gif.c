/* GIF's two per-frame loops in C: which pixels a frame changed in palette indices (gif.GifFrames.changes), and
 * LZW over runs of equal pixels (lzw.py's run encoder, ``runs_lzw``, step for step).
 *
 * The LZW gives the same bytes as lzw.runs_lzw and as Pillow's encoder (the tests check both): the greedy encoder
 * of the GIF specification, whose table a run of one value walks along that value's chain of strings
 * (v, vv, vvv, ...) one step per code, and a long run in bulk. Read lzw.py first: this file follows it
 * line by line, with the table as an array indexed by ``prefix << bits | value`` (emptied on a clear code) and
 * each value's chain as an array of codes. One addition: a stretch of the transparent index jumps along the
 * table's strings that extend one another by it (``root``, ``depth``, ``last``), where the Python encoder
 * (and Pillow) look up one pixel at a time; the codes are the same.
 *
 * Entry points:
 *   changes(ys, xs, rows, pitch, lut, lut_bits, prev, width, pos, val) -> (count, y0, y1, x0, x1)
 *       GifFrames.changes: quantize the pixels (ys, xs) and keep those whose index differs from ``prev``;
 *   runs(values, lengths, bits) -> bytes      the pixels as runs (int64 buffers), like lzw.runs_lzw;
 *   sparse(pos, val, area, clear, bits) -> bytes
 *       a rectangle of ``area`` pixels, all ``clear`` but those at the positions ``pos`` (int64, row-major, in
 *       any order), which hold ``val`` (uint8): the GIF writer's changed pixels, sorted here, their runs
 *       found on the way.
 * The last two return the image data's sub-blocks (no minimum code size byte, no terminator), as
 * lzw.runs_lzw does.
 *
 * Optional: when this module is not built, gif.py and lzw.py do the same in numpy and Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define LIMIT 4096      /* GIF's largest code + 1 */

typedef struct {
    uint16_t *table;        /* LIMIT << bits entries, 0 when empty; shared between calls (the GIL is held) */
    uint16_t *chains;       /* 256 chains of LIMIT codes: chain v holds the codes of v, vv, vvv, ... */
    int chain_len[256];     /* 0: no chain for v yet */
    /* Strings that extend one another by the value ``special`` (the transparent index) form paths in the table:
     * root, root+s, root+s+s, ... Each code's root and depth on its path, and each root's last code, let a
     * transparent stretch jump along a path instead of looking up every pixel. */
    int special;
    uint16_t root[LIMIT], depth[LIMIT], last[LIMIT];
    int bits, clear, end;   /* minimum code size, clear code, end code */
    int head, code;         /* the pending string (-1: none yet), the next free code */
    int since, width;       /* codes emitted since the last clear code, the last code's width */
    int cleared;            /* whether the first clear code has been emitted */
    uint64_t acc;           /* bits not yet written, least significant first */
    int nacc;
    uint8_t *out;           /* the packed codes */
    Py_ssize_t size, cap;
    int failed;             /* out of memory */
} Lzw;

static uint16_t *TABLE = NULL;
static uint16_t *CHAINS = NULL;

static int bit_length(unsigned x) {  /* of a positive x */
#if defined(__GNUC__) || defined(__clang__)
    return 32 - __builtin_clz(x);
#else
    int n = 0;
    while (x) {
        n++;
        x >>= 1;
    }
    return n;
#endif
}

static void put(Lzw *z, int c, int w) {
    z->acc |= (uint64_t)c << z->nacc;
    z->nacc += w;
    while (z->nacc >= 8) {
        if (z->size == z->cap) {  /* (rare: the buffer doubles) */
            Py_ssize_t cap = z->cap * 2;
            uint8_t *out = PyMem_Realloc(z->out, cap);
            if (out == NULL) {
                z->failed = 1;
                z->size = 0;  /* keep going harmlessly; the caller reports the failure */
            } else {
                z->out = out;
                z->cap = cap;
            }
        }
        z->out[z->size++] = (uint8_t)z->acc;
        z->acc >>= 8;
        z->nacc -= 8;
    }
}

/* A code's width follows from its place (lzw.pack): the first clear code is bits + 1 wide, later ones 12;
 * the k-th code after a clear is (end + k).bit_length() bits, at most 12. */
static void emit(Lzw *z, int c) {
    int w;
    if (c == z->clear) {
        w = z->cleared ? 12 : z->bits + 1;
        z->cleared = 1;
        z->since = 0;
    } else {
        w = bit_length((unsigned)(z->end + z->since));
        if (w > 12) w = 12;
        z->since++;
    }
    z->width = w;
    put(z, c, w);
}

static int lookup(Lzw *z, int prefix, int v) {
    int e = z->table[(uint32_t)prefix << z->bits | (uint32_t)v];
    return e ? e : -1;  /* no code is 0: codes in the table are past the end code */
}

static void own_root(Lzw *z, int code) {
    z->root[code] = z->last[code] = (uint16_t)code;
    z->depth[code] = 0;
}

static void insert(Lzw *z, int prefix, int v, int code) {
    z->table[(uint32_t)prefix << z->bits | (uint32_t)v] = (uint16_t)code;
    if (v == z->special) {  /* prefix had no successor by v, so it ends its path: the path grows */
        int r = z->root[prefix];
        z->root[code] = (uint16_t)r;
        z->depth[code] = z->depth[prefix] + 1;
        z->last[r] = (uint16_t)code;
    } else {
        own_root(z, code);
    }
}

static void reset(Lzw *z) {
    memset(z->table, 0, sizeof(uint16_t) * ((size_t)LIMIT << z->bits));
    memset(z->chain_len, 0, sizeof z->chain_len);
    for (int v = 0; v < z->clear; v++) own_root(z, v);
}

static uint16_t *chain(Lzw *z, int v) { return z->chains + (size_t)v * LIMIT; }

/* lzw._run: from the pending string v, n more pixels of v. */
static void run(Lzw *z, int v, int64_t n) {
    uint16_t *ch = chain(z, v);
    if (!z->chain_len[v]) {
        ch[0] = (uint16_t)v;
        z->chain_len[v] = 1;
    }
    while (n > z->chain_len[v] - 1) {
        int64_t length = z->chain_len[v];
        if (n > 16 * length) {  /* bulk: m strings of lengths L..L+m-1 take m*L + m(m-1)/2 <= n pixels */
            double b = (double)(2 * length - 1);
            int64_t m = (int64_t)((-b + sqrt((double)((2 * length - 1) * (2 * length - 1) + 8 * n))) / 2);
            while (m > 0 && m * length + m * (m - 1) / 2 > n) m--;
            if (m > LIMIT - z->code) m = LIMIT - z->code;
            if (m > 1) {
                emit(z, ch[length - 1]);
                for (int c = z->code; c < z->code + m - 1; c++) emit(z, c);
                for (int64_t i = 0; i < m; i++) {  /* (no table entries: each is a path of its own) */
                    ch[length + i] = (uint16_t)(z->code + i);
                    own_root(z, (int)(z->code + i));
                }
                z->chain_len[v] += (int)m;
                z->code += (int)m;
                n -= m * length + m * (m - 1) / 2;
                continue;
            }
        }
        n -= length;  /* to the longest string, plus the pixel that misses */
        emit(z, ch[length - 1]);
        if (z->code < LIMIT) {
            insert(z, ch[length - 1], v, z->code);
            ch[length] = (uint16_t)z->code;
            z->chain_len[v]++;
            z->code++;
        } else {
            emit(z, z->clear);
            reset(z);
            ch[0] = (uint16_t)v;
            z->chain_len[v] = 1;
            z->code = z->end + 1;
        }
    }
    z->head = ch[n];
}

/* The loop body of lzw.runs_lzw: n pixels of v. */
static void feed(Lzw *z, int v, int64_t n) {
    if (z->head >= 0) {
        if (v == z->special) {  /* the same walk, along the head's path */
            int rest = z->depth[z->last[z->root[z->head]]] - z->depth[z->head];
            if (n <= rest) {
                for (; n; n--) z->head = lookup(z, z->head, v);
                return;
            }
            z->head = z->last[z->root[z->head]];
            n -= rest;
        } else {
            for (;;) {  /* follow the table from the pending string while it has the longer string */
                int next = lookup(z, z->head, v);
                if (next < 0) break;
                z->head = next;
                if (--n == 0) return;
            }
        }
        emit(z, z->head);
        if (z->code < LIMIT) {
            insert(z, z->head, v, z->code);
            int len = z->chain_len[v];
            if (len && chain(z, v)[len - 1] == z->head) chain(z, v)[z->chain_len[v]++] = (uint16_t)z->code;
            z->code++;
        } else {
            emit(z, z->clear);
            reset(z);
            z->code = z->end + 1;
        }
    }
    z->head = v;  /* the pixel that missed (or the very first) starts the pending string */
    n--;
    if (n) {
        int len = z->chain_len[v];
        if (len && n < len) {  /* the table has the whole run already (short runs: text) */
            z->head = chain(z, v)[n];
        } else {
            run(z, v, n);
        }
    }
}

static int start(Lzw *z, int bits, int special) {
    if (bits < 2 || bits > 8) {
        PyErr_Format(PyExc_ValueError, "bits must be 2 to 8, got %d", bits);
        return -1;
    }
    if (TABLE == NULL) {
        TABLE = PyMem_Malloc(sizeof(uint16_t) * ((size_t)LIMIT << 8));
        CHAINS = PyMem_Malloc(sizeof(uint16_t) * 256 * LIMIT);
        if (TABLE == NULL || CHAINS == NULL) {
            PyMem_Free(TABLE);
            PyMem_Free(CHAINS);
            TABLE = NULL;
            CHAINS = NULL;
            PyErr_NoMemory();
            return -1;
        }
    }
    memset(z, 0, sizeof *z);
    z->table = TABLE;
    z->chains = CHAINS;
    z->bits = bits;
    z->special = special;
    z->clear = 1 << bits;
    z->end = z->clear + 1;
    z->code = z->end + 1;
    z->head = -1;
    z->cap = 4096;
    z->out = PyMem_Malloc(z->cap);
    if (z->out == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    reset(z);  /* nothing of the last call is in the table */
    emit(z, z->clear);
    return 0;
}

/* The pending string and the end code, the last byte padded; then the codes as 255-byte sub-blocks. */
static PyObject *finish(Lzw *z) {
    PyObject *result = NULL;
    if (z->head < 0) {
        PyErr_SetString(PyExc_ValueError, "no pixels to encode");
    } else {
        emit(z, z->head);
        put(z, z->end, z->width);
        if (z->nacc) put(z, 0, 8 - z->nacc);
        if (z->failed) {
            PyErr_NoMemory();
        } else {
            Py_ssize_t blocks = (z->size + 254) / 255;
            result = PyBytes_FromStringAndSize(NULL, z->size + blocks);
            if (result != NULL) {
                char *dst = PyBytes_AS_STRING(result);
                for (Py_ssize_t i = 0; i < z->size; i += 255) {
                    Py_ssize_t k = z->size - i < 255 ? z->size - i : 255;
                    *dst++ = (char)k;
                    memcpy(dst, z->out + i, k);
                    dst += k;
                }
            }
        }
    }
    PyMem_Free(z->out);
    return result;
}

static int get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    if (view->itemsize != itemsize || view->ndim > 1) {
        PyErr_Format(PyExc_TypeError, "%s must be a one-dimensional buffer of %zd-byte items", name, itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* Two one-dimensional buffers of ``size_a``- and ``size_b``-byte items (both held, or neither and an error). */
static int get_two(PyObject *a, Py_buffer *va, Py_ssize_t size_a, const char *name_a, PyObject *b, Py_buffer *vb,
                   Py_ssize_t size_b, const char *name_b) {
    if (get_buffer(a, va, size_a, name_a) < 0) return -1;
    if (get_buffer(b, vb, size_b, name_b) < 0) {
        PyBuffer_Release(va);
        return -1;
    }
    return 0;
}

static PyObject *lzw_runs(PyObject *self, PyObject *args) {
    PyObject *values_obj, *lengths_obj;
    int bits;
    Py_buffer values, lengths;
    Lzw z;
    if (!PyArg_ParseTuple(args, "OOi:runs", &values_obj, &lengths_obj, &bits)) return NULL;
    if (get_two(values_obj, &values, 8, "values", lengths_obj, &lengths, 8, "lengths") < 0) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = values.len / 8;
    const int64_t *v = values.buf, *len = lengths.buf;
    if (lengths.len != values.len) {
        PyErr_SetString(PyExc_ValueError, "values and lengths differ in length");
    } else if (start(&z, bits, -1) == 0) {
        int bad = 0;
        for (Py_ssize_t i = 0; i < n && !bad; i++) {
            if (v[i] < 0 || v[i] >= z.clear || len[i] < 1) bad = 1;
            else feed(&z, (int)v[i], len[i]);
        }
        if (bad) {
            PyMem_Free(z.out);
            PyErr_SetString(PyExc_ValueError, "a run's value is outside the palette or its length is not positive");
        } else {
            result = finish(&z);
        }
    }
    PyBuffer_Release(&values);
    PyBuffer_Release(&lengths);
    return result;
}

/* Sorts the pairs (p[i], v[i]) by p, all in 0..area-1, into ps and vs: least significant digit first, 11 bits a
 * pass (two passes for a rectangle under 4 Mpx). Returns -1 when out of memory. */
static int sort_pairs(const int64_t *p, const uint8_t *v, Py_ssize_t n, int64_t area, int64_t **ps, uint8_t **vs) {
    int64_t *pa = PyMem_Malloc(sizeof(int64_t) * (n ? n : 1)), *pb = PyMem_Malloc(sizeof(int64_t) * (n ? n : 1));
    uint8_t *va = PyMem_Malloc(n ? n : 1), *vb = PyMem_Malloc(n ? n : 1);
    if (pa == NULL || pb == NULL || va == NULL || vb == NULL) {
        PyMem_Free(pa);
        PyMem_Free(pb);
        PyMem_Free(va);
        PyMem_Free(vb);
        return -1;
    }
    memcpy(pa, p, sizeof(int64_t) * n);
    memcpy(va, v, n);
    int passes = 0;
    for (int64_t a = area - 1; a > 0; a >>= 11) passes++;
    Py_ssize_t count[2048];
    for (int k = 0; k < passes; k++) {
        int shift = 11 * k;
        memset(count, 0, sizeof count);
        for (Py_ssize_t i = 0; i < n; i++) count[(pa[i] >> shift) & 2047]++;
        Py_ssize_t sum = 0;
        for (int d = 0; d < 2048; d++) {
            Py_ssize_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_ssize_t at = count[(pa[i] >> shift) & 2047]++;
            pb[at] = pa[i];
            vb[at] = va[i];
        }
        int64_t *tp = pa;
        pa = pb;
        pb = tp;
        uint8_t *tv = va;
        va = vb;
        vb = tv;
    }
    PyMem_Free(pb);
    PyMem_Free(vb);
    *ps = pa;
    *vs = va;
    return 0;
}

static PyObject *lzw_sparse(PyObject *self, PyObject *args) {
    PyObject *pos_obj, *val_obj;
    Py_ssize_t area;
    int clear, bits;
    Py_buffer pos, val;
    Lzw z;
    if (!PyArg_ParseTuple(args, "OOnii:sparse", &pos_obj, &val_obj, &area, &clear, &bits)) return NULL;
    if (get_two(pos_obj, &pos, 8, "pos", val_obj, &val, 1, "val") < 0) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = pos.len / 8;
    const char *bad = NULL;
    for (Py_ssize_t i = 0; i < n && !bad; i++) {
        if (((const int64_t *)pos.buf)[i] < 0 || ((const int64_t *)pos.buf)[i] >= area) {
            bad = "a position is outside the rectangle";
        }
    }
    int64_t *p = NULL;
    uint8_t *v = NULL;
    if (val.len != n) {
        PyErr_SetString(PyExc_ValueError, "pos and val differ in length");
    } else if (bad) {
        PyErr_SetString(PyExc_ValueError, bad);
    } else if (sort_pairs(pos.buf, val.buf, n, area, &p, &v) < 0) {
        PyErr_NoMemory();
    } else if (start(&z, bits, clear) == 0) {
        if (clear < 0 || clear >= z.clear) bad = "the transparent index is outside the palette";
        int64_t at = 0;  /* the next pixel to encode */
        Py_ssize_t i = 0;
        while (i < n && !bad) {
            if (p[i] < at) {
                bad = "a position is there twice";
                break;
            }
            if (v[i] == clear || v[i] >= z.clear) {
                bad = "a changed pixel's value is the transparent index or outside the palette";
                break;
            }
            if (p[i] > at) feed(&z, clear, p[i] - at);
            Py_ssize_t j = i + 1;  /* the run: consecutive positions of one value */
            while (j < n && p[j] == p[j - 1] + 1 && v[j] == v[i]) j++;
            feed(&z, v[i], j - i);
            at = p[j - 1] + 1;
            i = j;
        }
        if (!bad && at < area) feed(&z, clear, area - at);
        if (bad) {
            PyMem_Free(z.out);
            PyErr_SetString(PyExc_ValueError, bad);
        } else {
            result = finish(&z);
        }
    }
    PyMem_Free(p);
    PyMem_Free(v);
    PyBuffer_Release(&pos);
    PyBuffer_Release(&val);
    return result;
}

/* GifFrames.changes: the pixels (ys[i], xs[i]) of an RGB frame (``rows``: its rows as (pixels, 3) uint8, row y
 * starting at pixel y * pitch), quantized through ``lut`` (its index: lut_bits of red, green, blue); those whose
 * index differs from ``prev`` (the indices before, ``width`` a row, updated here) go to ``pos`` (their place in
 * the rectangle around them, row-major) and ``val``, in input order. Returns their count and that rectangle. */
static PyObject *gif_changes(PyObject *self, PyObject *args) {
    PyObject *ys_obj, *xs_obj, *rows_obj, *lut_obj, *prev_obj, *pos_obj, *val_obj;
    Py_ssize_t pitch, width;
    int lut_bits;
    if (!PyArg_ParseTuple(args, "OOOnOiOnOO:changes", &ys_obj, &xs_obj, &rows_obj, &pitch, &lut_obj, &lut_bits,
                          &prev_obj, &width, &pos_obj, &val_obj)) {
        return NULL;
    }
    Py_buffer ys, xs, rows, lut, prev, pos, val;
    Py_buffer *held[7] = {&ys, &xs, &rows, &lut, &prev, &pos, &val};
    int got = 0;
    PyObject *result = NULL;
    if (get_buffer(ys_obj, &ys, 8, "ys") < 0) goto done;
    got++;
    if (get_buffer(xs_obj, &xs, 8, "xs") < 0) goto done;
    got++;
    if (PyObject_GetBuffer(rows_obj, &rows, PyBUF_C_CONTIGUOUS) < 0) goto done;
    got++;
    if (PyObject_GetBuffer(lut_obj, &lut, PyBUF_C_CONTIGUOUS) < 0) goto done;
    got++;
    if (PyObject_GetBuffer(prev_obj, &prev, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) goto done;
    got++;
    if (PyObject_GetBuffer(pos_obj, &pos, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_FORMAT) < 0) goto done;
    got++;
    if (PyObject_GetBuffer(val_obj, &val, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) goto done;
    got++;
    Py_ssize_t n = ys.len / 8;
    if (xs.len != ys.len || pos.itemsize != 8 || pos.len != ys.len || val.len != n) {
        PyErr_SetString(PyExc_ValueError, "ys, xs, pos (int64) and val (uint8) must have one length");
        goto done;
    }
    if (lut_bits < 1 || lut_bits > 8 || lut.len != (Py_ssize_t)1 << (3 * lut_bits) || width < 1 || pitch < width) {
        PyErr_SetString(PyExc_ValueError, "a bad lookup table, width or pitch");
        goto done;
    }
    const int64_t *y = ys.buf, *x = xs.buf;
    const uint8_t *rgb = rows.buf, *table = lut.buf;
    uint8_t *indices = prev.buf, *v = val.buf;
    int64_t *p = pos.buf;
    Py_ssize_t pixels = rows.len / 3, cells = prev.len;
    int drop = 8 - lut_bits;
    int64_t y0 = INT64_MAX, y1 = INT64_MIN, x0 = INT64_MAX, x1 = INT64_MIN;
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t yi = y[i], xi = x[i], at = yi * pitch + xi, cell = yi * width + xi;
        if (yi < 0 || xi < 0 || xi >= width || at >= pixels || cell >= cells) {
            PyErr_SetString(PyExc_ValueError, "a point lies outside the frame");
            goto done;
        }
        const uint8_t *c = rgb + 3 * at;
        uint8_t idx = table[((c[0] >> drop) << (2 * lut_bits)) | ((c[1] >> drop) << lut_bits) | (c[2] >> drop)];
        if (indices[cell] == idx) continue;
        indices[cell] = idx;
        p[count] = cell;  /* for now: the place in the frame */
        v[count++] = idx;
        if (yi < y0) y0 = yi;
        if (yi > y1) y1 = yi;
        if (xi < x0) x0 = xi;
        if (xi > x1) x1 = xi;
    }
    if (count == 0) {
        result = Py_BuildValue("(nnnnn)", (Py_ssize_t)0, (Py_ssize_t)0, (Py_ssize_t)0, (Py_ssize_t)0, (Py_ssize_t)0);
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {  /* to places in the rectangle */
        int64_t yi = p[i] / width, xi = p[i] % width;
        p[i] = (yi - y0) * (x1 + 1 - x0) + (xi - x0);
    }
    result = Py_BuildValue("(nnnnn)", count, (Py_ssize_t)y0, (Py_ssize_t)(y1 + 1), (Py_ssize_t)x0,
                           (Py_ssize_t)(x1 + 1));
done:
    for (int k = 0; k < got; k++) PyBuffer_Release(held[k]);
    return result;
}

static PyMethodDef methods[] = {
    {"changes", gif_changes, METH_VARARGS,
     "changes(ys, xs, rows, pitch, lut, lut_bits, prev, width, pos, val) -> (count, y0, y1, x0, x1): the pixels "
     "whose palette index changed, as GifFrames.changes finds them."},
    {"runs", lzw_runs, METH_VARARGS,
     "runs(values, lengths, bits) -> bytes: sub-blocks of the pixels given as runs (int64 buffers)."},
    {"sparse", lzw_sparse, METH_VARARGS,
     "sparse(pos, val, area, clear, bits) -> bytes: sub-blocks of a rectangle of `area` pixels, `clear` but at "
     "the positions `pos` (int64, row-major, in any order), which hold `val` (uint8)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_gif", "GIF's per-frame loops, in C.", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__gif(void) { return PyModule_Create(&module); }
