/*
 * The structural pass of rdsr_parsers.reader.lexer for well-formed Explicit VR Little Endian
 * data sets, in C (issue 14: the Python pass is a third of the parse time).
 *
 * It builds exactly the index the Python pass builds (a Node per data set: tag -> (VR, value
 * start, value length), or ("SQ", [Node, ...], 0) for a sequence) and nothing else. It
 * proves nothing it cannot check cheaply: at the first thing that is not plain, well-formed
 * structure -- a header or value past its item or the end of the file, an odd length, an
 * unknown VR field, an undefined length on anything but SQ, a stray or misplaced item tag or
 * delimiter, nesting deeper than the limit, Pixel Data that is cut short -- it gives up and
 * returns None, and the Python pass reads the object again and says what is wrong (its
 * messages, cuts and flags are the only ones). The tests compare both passes on every sample,
 * template, deviation and seeded mutation.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define UNDEFINED 0xFFFFFFFFu
#define ITEM 0xFFFEE000u
#define ITEM_DELIMITER 0xFFFEE00Du
#define SEQUENCE_DELIMITER 0xFFFEE0DDu

/* return codes of the walkers: OK, GIVE_UP (no exception set: let Python read it), ERROR */
enum { OK = 0, GIVE_UP = 1, ERROR = -1 };

/* the VRs of PS3.5 Table 7.1-1 (26 x 26 table of two upper-case letters) */
typedef struct {
    PyObject *name; /* interned str, NULL when the field is no VR */
    int is_long;    /* reserved field and 32-bit length */
    int is_sq;
} VrInfo;

static VrInfo vr_table[26 * 26];
static PyObject *sq_name; /* "SQ" */
static PyObject *zero;    /* the third field of a sequence element */

static const char *long_vrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN",
                                 "UR", "UT", "UV", NULL};
static const char *short_vrs[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO",
                                  "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US", NULL};

typedef struct {
    const unsigned char *buf;
    Py_ssize_t n;
    PyObject *node_type;
    long max_depth;
    int pixels; /* the top level reached Pixel Data, which is whole */
} Walk;

static inline uint32_t u16(const unsigned char *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }

static inline uint32_t u32(const unsigned char *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int sequence(Walk *w, Py_ssize_t pos, Py_ssize_t end, long depth, PyObject **items_out,
                    Py_ssize_t *pos_out);

/* Pixel Data (or Float / Double Float Pixel Data) at pos is whole: its declared length, or
 * for encapsulated data its fragments up to the sequence delimiter, lie inside the file */
static int whole_pixels(Walk *w, Py_ssize_t pos) {
    const unsigned char *buf = w->buf;
    Py_ssize_t n = w->n, start;
    uint32_t length;
    if (pos + 12 > n) return 0;
    unsigned a = buf[pos + 4], b = buf[pos + 5];
    if ((a == 'O' && (b == 'B' || b == 'W' || b == 'F' || b == 'D')) || (a == 'U' && b == 'N')) {
        length = u32(buf + pos + 8);
        start = pos + 12;
    } else {
        length = u16(buf + pos + 6);
        start = pos + 8;
    }
    if (length != UNDEFINED) return start + (Py_ssize_t)length <= n;
    for (Py_ssize_t p = start; p + 8 <= n;) {
        uint32_t tag = u16(buf + p) << 16 | u16(buf + p + 2);
        uint32_t fragment = u32(buf + p + 4);
        if (tag == SEQUENCE_DELIMITER) return 1;
        if (fragment == UNDEFINED) return 0;
        p += 8 + (Py_ssize_t)fragment;
    }
    return 0;
}

/* one data set from pos up to end (defined length) or, end < 0, its item delimiter */
static int dataset(Walk *w, Py_ssize_t pos, Py_ssize_t end, long depth, int in_item,
                   PyObject **node_out, Py_ssize_t *pos_out) {
    const unsigned char *buf = w->buf;
    Py_ssize_t n = w->n;
    Py_ssize_t limit = end < 0 ? n : end;
    int top = depth == 0;
    PyObject *elements = PyDict_New();
    if (elements == NULL) return ERROR;
    int rc = GIVE_UP;
    int closed = 0;
    while (pos < limit) {
        if (pos + 8 > limit) goto done; /* truncated or overruns its item */
        uint32_t group = u16(buf + pos), elem = u16(buf + pos + 2);
        uint32_t tag = group << 16 | elem;
        if (group == 0xFFFE) {
            if (tag == ITEM_DELIMITER && in_item && u32(buf + pos + 4) == 0) {
                pos += 8;
                closed = 1;
                break;
            }
            goto done; /* a stray delimiter or item tag */
        }
        if (top && (tag == 0x7FE00008u || tag == 0x7FE00009u || tag == 0x7FE00010u)) {
            if (!whole_pixels(w, pos)) goto done;
            w->pixels = 1; /* the pass stops at Pixel Data: nothing after it is read */
            pos = n;
            break;
        }
        unsigned a = buf[pos + 4], b = buf[pos + 5];
        if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') goto done;
        VrInfo *vr = &vr_table[(a - 'A') * 26 + (b - 'A')];
        if (vr->name == NULL) goto done;
        uint32_t length;
        Py_ssize_t start;
        if (vr->is_long) {
            if (pos + 12 > limit) goto done;
            length = u32(buf + pos + 8);
            start = pos + 12;
        } else {
            length = u16(buf + pos + 6);
            start = pos + 8;
        }
        PyObject *value;
        if (length == UNDEFINED || vr->is_sq) {
            /* undefined length: only a sequence (UN, or a damaged length: the Python pass) */
            if (!vr->is_sq || (length != UNDEFINED && ((length & 1u) || start + (Py_ssize_t)length > limit)))
                goto done;
            Py_ssize_t seq_end = length == UNDEFINED ? -1 : start + (Py_ssize_t)length, after;
            PyObject *items;
            int sub = sequence(w, start, seq_end, depth + 1, &items, &after);
            if (sub != OK) {
                rc = sub;
                goto done;
            }
            value = PyTuple_Pack(3, sq_name, items, zero);
            Py_DECREF(items);
            pos = seq_end < 0 ? after : seq_end;
        } else {
            Py_ssize_t value_end = start + (Py_ssize_t)length;
            if ((length & 1u) || value_end > limit) goto done;
            PyObject *s = PyLong_FromSsize_t(start), *l = PyLong_FromUnsignedLong(length);
            value = (s != NULL && l != NULL) ? PyTuple_Pack(3, vr->name, s, l) : NULL;
            Py_XDECREF(s);
            Py_XDECREF(l);
            /* a str and two ints cannot form a cycle: the collector need not visit the
             * tuple (CPython untracks such tuples itself, at its first collection), and a
             * data set holding only such elements stays an untracked dict */
            if (value != NULL) PyObject_GC_UnTrack(value);
            pos = value_end;
        }
        if (value == NULL) goto fail;
        PyObject *key = PyLong_FromUnsignedLong(tag);
        if (key == NULL) {
            Py_DECREF(value);
            goto fail;
        }
        int set = PyDict_SetItem(elements, key, value);
        Py_DECREF(key);
        Py_DECREF(value);
        if (set < 0) goto fail;
    }
    if (end < 0 && !closed) goto done; /* an undefined-length item without its delimiter */
    PyObject *node = PyObject_CallOneArg(w->node_type, elements);
    Py_DECREF(elements);
    if (node == NULL) return ERROR;
    *node_out = node;
    *pos_out = pos;
    return OK;
fail:
    rc = ERROR;
done:
    Py_DECREF(elements);
    return rc;
}

/* the items of a sequence: up to end or, end < 0, its delimiter */
static int sequence(Walk *w, Py_ssize_t pos, Py_ssize_t end, long depth, PyObject **items_out,
                    Py_ssize_t *pos_out) {
    if (depth > w->max_depth) return GIVE_UP;
    const unsigned char *buf = w->buf;
    Py_ssize_t n = w->n;
    PyObject *items = PyList_New(0);
    if (items == NULL) return ERROR;
    int rc = GIVE_UP;
    while (end < 0 || pos < end) {
        if (pos + 8 > n) goto done;
        uint32_t item_tag = u16(buf + pos) << 16 | u16(buf + pos + 2);
        uint32_t length = u32(buf + pos + 4);
        if (item_tag == SEQUENCE_DELIMITER && end < 0) {
            *items_out = items;
            *pos_out = pos + 8;
            return OK;
        }
        if (item_tag != ITEM) goto done;
        Py_ssize_t start = pos + 8;
        PyObject *node;
        int sub;
        if (length == UNDEFINED) {
            sub = dataset(w, start, -1, depth, 1, &node, &pos);
        } else {
            if (length & 1u) goto done;
            Py_ssize_t item_end = start + (Py_ssize_t)length;
            if (item_end > n || (end >= 0 && item_end > end)) goto done;
            sub = dataset(w, start, item_end, depth, 1, &node, &pos);
            if (sub == OK && pos != item_end) {
                Py_DECREF(node);
                goto done;
            }
        }
        if (sub != OK) {
            rc = sub;
            goto done;
        }
        int appended = PyList_Append(items, node);
        Py_DECREF(node);
        if (appended < 0) {
            rc = ERROR;
            goto done;
        }
    }
    if (pos != end) goto done;
    *items_out = items;
    *pos_out = pos;
    return OK;
done:
    Py_DECREF(items);
    return rc;
}

PyDoc_STRVAR(explicit_le_doc,
             "explicit_le(buf, pos, node_type, max_depth) -> (Node, bool) | None\n\n"
             "The root data set of buf from pos (Explicit VR Little Endian) and whether the\n"
             "pass stopped at (whole) Pixel Data, or None where the structure is not plain and\n"
             "well formed (the Python pass then reads it).");

static PyObject *explicit_le(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos;
    PyObject *node_type;
    long max_depth;
    if (!PyArg_ParseTuple(args, "y*nOl", &view, &pos, &node_type, &max_depth)) return NULL;
    Walk w = {(const unsigned char *)view.buf, view.len, node_type, max_depth, 0};
    PyObject *root = NULL;
    Py_ssize_t end_pos;
    int rc = (pos < 0 || pos > view.len) ? GIVE_UP
                                         : dataset(&w, pos, view.len, 0, 0, &root, &end_pos);
    PyBuffer_Release(&view);
    if (rc == ERROR) return NULL;
    if (rc == GIVE_UP) Py_RETURN_NONE;
    PyObject *result = Py_BuildValue("(NO)", root, w.pixels ? Py_True : Py_False);
    return result;
}

static PyMethodDef methods[] = {
    {"explicit_le", explicit_le, METH_VARARGS, explicit_le_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "_fastlex",
    "The structural pass for well-formed Explicit VR Little Endian data sets.",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

static int add_vrs(const char **names, int is_long) {
    for (const char **p = names; *p != NULL; p++) {
        PyObject *name = PyUnicode_InternFromString(*p);
        if (name == NULL) return -1;
        VrInfo *info = &vr_table[((*p)[0] - 'A') * 26 + ((*p)[1] - 'A')];
        info->name = name;
        info->is_long = is_long;
        info->is_sq = (*p)[0] == 'S' && (*p)[1] == 'Q';
        if (info->is_sq) sq_name = name;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__fastlex(void) {
    zero = PyLong_FromLong(0);
    if (zero == NULL) return NULL;
    if (add_vrs(long_vrs, 1) < 0 || add_vrs(short_vrs, 0) < 0) return NULL;
    return PyModule_Create(&module);
}
