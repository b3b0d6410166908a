/* The scanner's native core: TFRecord framing, CRC32C, and the "may this event hold media?"
 * walk, so that the records the index never uses (scalars, histograms, graphs, hparams)
 * cost a few hundred nanoseconds and never reach Python.
 *
 * scanner.py is the reference: `walk` frames records only while they are ordinary (header
 * and payload CRCs intact, within the limit, inside the buffer) and stops at the first one
 * that is not, leaving it to scanner.py's own loop. It drops a record only when the Python
 * indexer (events.py RunIndex.add_event) would return False for it without raising and
 * without changing any state; whenever that is not certain (any wire anomaly, a tag whose
 * plugin is not known yet) the record goes to Python, which decides. So both paths index
 * the same, and count the same skipped records.
 *
 * Every read is bounds-checked against the span it walks; the buffer is held through the
 * buffer protocol for the whole call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_X86 1
#include <nmmintrin.h>
#endif

/* ---- CRC32C (Castagnoli) ------------------------------------------------------------ */

static uint32_t crc_table[8][256];
static int use_hardware = 0;

static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++)
        for (int t = 1; t < 8; t++)
            crc_table[t][n] = (crc_table[t - 1][n] >> 8) ^ crc_table[0][crc_table[t - 1][n] & 0xFF];
#ifdef HAVE_X86
    __builtin_cpu_init();
    use_hardware = __builtin_cpu_supports("sse4.2");
#endif
}

/* Slicing-by-8, for CPUs without the CRC32 instruction. */
static uint32_t crc_software(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n && ((uintptr_t)p & 7)) {
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xFF];
        n--;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= crc; /* little-endian: the CRC goes into the first four bytes */
        crc = crc_table[7][w & 0xFF] ^ crc_table[6][(w >> 8) & 0xFF] ^ crc_table[5][(w >> 16) & 0xFF] ^
              crc_table[4][(w >> 24) & 0xFF] ^ crc_table[3][(w >> 32) & 0xFF] ^
              crc_table[2][(w >> 40) & 0xFF] ^ crc_table[1][(w >> 48) & 0xFF] ^ crc_table[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

#ifdef HAVE_X86
__attribute__((target("sse4.2"))) static uint32_t crc_hardware(uint32_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = ~crc;
    while (n && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        n--;
    }
#if defined(__x86_64__)
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        n -= 8;
    }
#endif
    while (n--)
        c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}
#endif

static inline uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
#ifdef HAVE_X86
    if (use_hardware)
        return crc_hardware(crc, p, n);
#endif
    return crc_software(crc, p, n);
}

static inline uint32_t mask_crc(uint32_t crc)
{
    return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

static inline uint64_t load_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v; /* TFRecord is little-endian, as is every machine this builds on */
}

static inline uint32_t load_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* ---- the protobuf wire, as events.py walks it ----------------------------------------- */

/* A varint at *pos within [.., end). 0 on success; -1 where Python would raise, or where its
 * value would not fit 64 bits (Python keeps big integers: left to it). */
static inline int read_varint(const uint8_t *b, size_t *pos, size_t end, uint64_t *out)
{
    size_t p = *pos;
    uint64_t r = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
        if (p >= end)
            return -1;
        uint8_t byte = b[p++];
        if (shift == 63 && byte > 1)
            return -1;
        r |= (uint64_t)(byte & 0x7F) << shift;
        if (byte < 0x80) {
            *out = r;
            *pos = p;
            return 0;
        }
    }
    return -1;
}

/* events.py `_skip_field`: past the field whose key starts at *pos; its number in *number. */
static inline int skip_field(const uint8_t *b, size_t *pos, size_t end, uint64_t *number)
{
    uint64_t key, value;
    size_t p = *pos;
    if (read_varint(b, &p, end, &key))
        return -1;
    *number = key >> 3;
    if (*number == 0)
        return -1;
    switch (key & 7) {
    case 0:
        if (read_varint(b, &p, end, &value))
            return -1;
        *pos = p;
        return 0;
    case 2:
        if (read_varint(b, &p, end, &value) || value > end - p)
            return -1;
        *pos = p + value;
        return 0;
    case 1:
        if (end - p < 8)
            return -1;
        *pos = p + 8;
        return 0;
    case 5:
        if (end - p < 4)
            return -1;
        *pos = p + 4;
        return 0;
    default:
        return -1;
    }
}

/* The next field at *pos, as wire.py `fields` reads it: its number, wire type and, for a
 * length-delimited one, its span. 0 on success, -1 where Python would raise (or might not:
 * a varint past 64 bits). */
static int next_field(const uint8_t *b, size_t *pos, size_t end, uint64_t *number, int *wire, size_t *start,
                      size_t *stop)
{
    size_t p = *pos;
    uint64_t key;
    if (read_varint(b, &p, end, &key))
        return -1;
    *number = key >> 3;
    *wire = (int)(key & 7);
    *start = *stop = p;
    if (*wire == 2) {
        uint64_t length;
        if (read_varint(b, &p, end, &length) || length > end - p)
            return -1;
        *start = p;
        *stop = p + length;
    }
    size_t after = *pos;
    if (skip_field(b, &after, end, number))
        return -1;
    *pos = after;
    return 0;
}

typedef struct {
    PyObject *tag_plugins; /* RunIndex.tag_plugins: tag -> (plugin name, content) */
    PyObject *pending; /* tags this scan has seen registered, ahead of Python: tag -> (name,) */
    int predicting; /* whether `pending` is still exact (see walk) */
    PyObject *media_plugins; /* plugin names whose tensors the index reads */
    PyObject *unnamed; /* the name events.py gives a value without a tag */
} Filter;

enum { DROP = 0, KEEP = 1, ERROR = -1 };

/* events.py `_metadata`: the plugin name that the index will register for a tag from this
 * SummaryMetadata, as a new reference; Py_None when it registers none; NULL when that cannot
 * be told here (then nothing more is predicted), or on a Python error (then set). */
static PyObject *registered_plugin(const uint8_t *b, size_t pos, size_t end)
{
    size_t name_start = 0, name_end = 0;
    int found = 0;
    while (pos < end) {
        uint64_t number;
        int wire;
        size_t start, stop;
        if (next_field(b, &pos, end, &number, &wire, &start, &stop))
            return NULL;
        if (wire != 2 || number != 1 || found)
            continue;
        found = 1;
        while (start < stop) { /* plugin_data: all of it is walked */
            uint64_t n2;
            int w2;
            size_t s2, e2;
            if (next_field(b, &start, stop, &n2, &w2, &s2, &e2))
                return NULL;
            if (n2 == 1 && w2 == 2) {
                name_start = s2;
                name_end = e2;
            }
        }
    }
    if (!found)
        return Py_NewRef(Py_None);
    PyObject *name = PyUnicode_DecodeUTF8((const char *)b + name_start, (Py_ssize_t)(name_end - name_start), "replace");
    if (name == NULL)
        return NULL;
    PyObject *entry = PyTuple_Pack(1, name);
    Py_DECREF(name);
    return entry;
}

/* events.py `_add_value`: KEEP unless it would surely return False and change nothing.
 * A value whose metadata registers its tag's plugin is kept, and the plugin noted in
 * `pending` while predicting, so that the records of that tag after it (framed before
 * Python has seen this one) are told apart as they will be. */
static int classify_value(const uint8_t *b, size_t pos, size_t end, Filter *f)
{
    size_t tag_start = 0, tag_end = 0, meta_start = 0, meta_end = 0;
    int image = 0, audio = 0, tensor = 0, metadata = 0;
    while (pos < end) {
        uint8_t key = b[pos];
        if ((key & 7) != 2 || key >= 0x80 || key < 8) {
            uint64_t number;
            if (skip_field(b, &pos, end, &number))
                goto unknowable;
            continue;
        }
        uint64_t length;
        pos++;
        if (read_varint(b, &pos, end, &length) || length > end - pos)
            goto unknowable;
        switch (key) {
        case 0x0A:
            tag_start = pos;
            tag_end = pos + length;
            break;
        case 0x22:
            image = 1;
            break;
        case 0x32:
            audio = 1;
            break;
        case 0x42:
            tensor = 1;
            break;
        case 0x4A:
            metadata = 1;
            meta_start = pos;
            meta_end = pos + length;
            break;
        }
        pos += length;
    }
    if (!tensor && !metadata)
        return image || audio ? KEEP : DROP; /* DROP: simple_value, histo, node_name only */
    if (f->tag_plugins == NULL)
        return KEEP;
    PyObject *tag;
    if (tag_end > tag_start) {
        tag = PyUnicode_DecodeUTF8((const char *)b + tag_start, (Py_ssize_t)(tag_end - tag_start), "replace");
        if (tag == NULL)
            return ERROR;
    } else {
        tag = Py_NewRef(f->unnamed);
    }
    PyObject *plugin = PyDict_GetItemWithError(f->tag_plugins, tag); /* borrowed */
    if (plugin == NULL && !PyErr_Occurred())
        plugin = PyDict_GetItemWithError(f->pending, tag);
    if (plugin == NULL) {
        int verdict = KEEP;
        if (PyErr_Occurred()) {
            verdict = ERROR;
        } else if (metadata && f->predicting) { /* this record registers the tag, or not */
            PyObject *registered = registered_plugin(b, meta_start, meta_end);
            if (registered == NULL) {
                if (PyErr_Occurred())
                    verdict = ERROR;
                f->predicting = 0;
            } else {
                if (registered != Py_None && PyDict_SetItem(f->pending, tag, registered) < 0)
                    verdict = ERROR;
                Py_DECREF(registered);
            }
        }
        /* else a tensor whose tag is not known (yet, or ever): Python tells */
        Py_DECREF(tag);
        return verdict;
    }
    Py_DECREF(tag);
    if (image || audio)
        return KEEP;
    if (!tensor)
        return DROP; /* metadata of a tag already known: events.py reads it no more */
    if (!PyTuple_Check(plugin) || PyTuple_GET_SIZE(plugin) < 1)
        return KEEP;
    int media = PySet_Contains(f->media_plugins, PyTuple_GET_ITEM(plugin, 0));
    return media < 0 ? ERROR : media ? KEEP : DROP;
unknowable: /* Python may raise, or may register the tag: it decides, and nothing is predicted */
    f->predicting = 0;
    return KEEP;
}

/* events.py `add_event` up to its values; also KEEP what the purge logic needs to see:
 * `file_version` (3) and `session_log` (7). */
static int classify_event(const uint8_t *b, size_t pos, size_t end, Filter *f)
{
    size_t summary_start = 0, summary_end = 0;
    int summary = 0, purge_logic = 0;
    while (pos < end) {
        uint8_t key = b[pos];
        uint64_t value;
        if (key == 0x09 && end - pos >= 9) {
            pos += 9;
        } else if (key == 0x10) {
            pos++;
            if (read_varint(b, &pos, end, &value))
                goto unknowable;
        } else if (key == 0x2A) {
            pos++;
            if (read_varint(b, &pos, end, &value) || value > end - pos)
                goto unknowable;
            summary = 1; /* the last one counts, as in events.py */
            summary_start = pos;
            summary_end = pos + value;
            pos += value;
        } else {
            if (skip_field(b, &pos, end, &value))
                goto unknowable;
            purge_logic |= value == 3 || value == 7;
        }
    }
    if (purge_logic) {
        if (summary)
            f->predicting = 0; /* its values, not looked at, may register tags */
        return KEEP;
    }
    if (!summary)
        return DROP;
    pos = summary_start;
    end = summary_end;
    while (pos < end) {
        uint64_t value;
        if (b[pos] == 0x0A) {
            pos++;
            if (read_varint(b, &pos, end, &value) || value > end - pos)
                goto unknowable;
            int verdict = classify_value(b, pos, pos + value, f);
            if (verdict != DROP) {
                if (pos + value != end)
                    f->predicting = 0; /* values after it, not looked at, may register tags */
                return verdict;
            }
            pos += value;
        } else if (skip_field(b, &pos, end, &value)) {
            goto unknowable;
        }
    }
    return DROP;
unknowable:
    f->predicting = 0;
    return KEEP;
}

/* ---- Python API ---------------------------------------------------------------------- */

#define HEADER_BYTES 12
#define FOOTER_BYTES 4
#define RELEASE_GIL_MIN_BYTES (256 << 10)

static int get_span(PyObject *obj, Py_buffer *view, Py_ssize_t start, Py_ssize_t end)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_SIMPLE) < 0)
        return -1;
    if (start < 0 || end < start || end > view->len) {
        PyErr_Format(PyExc_ValueError, "span [%zd, %zd) is outside the buffer of %zd bytes", start, end,
                     view->len);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(masked_crc_doc, "masked_crc(buffer, start, end) -> int\n\n"
                             "TFRecord's masked CRC32C of buffer[start:end], without copying it.");

static PyObject *py_masked_crc(PyObject *self, PyObject *args)
{
    PyObject *obj;
    Py_ssize_t start, end;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "Onn", &obj, &start, &end) || get_span(obj, &view, start, end) < 0)
        return NULL;
    const uint8_t *p = (const uint8_t *)view.buf + start;
    size_t n = (size_t)(end - start);
    uint32_t crc;
    if (n >= RELEASE_GIL_MIN_BYTES) {
        Py_BEGIN_ALLOW_THREADS crc = crc32c(0, p, n);
        Py_END_ALLOW_THREADS
    } else {
        crc = crc32c(0, p, n);
    }
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(mask_crc(crc));
}

PyDoc_STRVAR(extend_doc, "extend(crc, data) -> int\n\nCRC32C (unmasked) of `data` continuing `crc`.");

static PyObject *py_extend(PyObject *self, PyObject *args)
{
    unsigned long crc;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "ky*", &crc, &view))
        return NULL;
    uint32_t out;
    Py_BEGIN_ALLOW_THREADS out = crc32c((uint32_t)crc, view.buf, (size_t)view.len);
    Py_END_ALLOW_THREADS PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(out);
}

static inline int header_intact(const uint8_t *p)
{
    return mask_crc(crc32c(0, p, 8)) == load_u32(p + 8);
}

PyDoc_STRVAR(find_header_doc,
             "find_header(buffer, start, last, end) -> int\n\n"
             "The first position p in [start, last] where an intact record header begins whose\n"
             "record fits in `end` (the file end, in buffer positions), or -1.");

static PyObject *py_find_header(PyObject *self, PyObject *args)
{
    PyObject *obj;
    Py_ssize_t start, last, end;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "Onnn", &obj, &start, &last, &end))
        return NULL;
    if (last < start)
        return PyLong_FromLong(-1);
    if (get_span(obj, &view, start, last + HEADER_BYTES) < 0)
        return NULL;
    const uint8_t *b = view.buf;
    Py_ssize_t found = -1;
    for (Py_ssize_t p = start; p <= last; p++) {
        uint64_t length = load_u64(b + p);
        if (end >= p && length <= (uint64_t)(end - p) && header_intact(b + p)) {
            found = p;
            break;
        }
    }
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(found);
}

PyDoc_STRVAR(walk_doc,
             "walk(buffer, at, limit, end, max_record_bytes, check_min, tag_plugins, pending,\n"
             "     predicting, media_plugins, unnamed, entries) -> (at, dropped, predicting)\n\n"
             "Frame the records from buffer position `at` while each is ordinary: its header CRC\n"
             "intact, its length at most `max_record_bytes`, all of it before `limit` (bytes filled)\n"
             "and `end` (the file end, in buffer positions), and, under `check_min` bytes, its payload\n"
             "CRC intact. Appends (start, payload start, payload end, unchecked CRC or -1) to\n"
             "`entries` for each record the index may use; counts the others in `dropped`. Stops\n"
             "at the first record that is not ordinary and returns its position. With\n"
             "`tag_plugins` None, every record is appended.\n\n"
             "`pending` (a dict, one per scan) holds the tags this scan has seen registered in\n"
             "records still on their way to Python; it is added to while `predicting`, which\n"
             "turns False for good once a record is kept whose registrations cannot be told\n"
             "here (a wire anomaly, several values), or when the caller hands Python a record\n"
             "not walked here.");

static PyObject *py_walk(PyObject *self, PyObject *args)
{
    PyObject *obj, *entries;
    Py_ssize_t at, limit, end, max_record, check_min;
    Filter filter;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "OnnnnnOOpOUO!", &obj, &at, &limit, &end, &max_record, &check_min,
                          &filter.tag_plugins, &filter.pending, &filter.predicting, &filter.media_plugins,
                          &filter.unnamed, &PyList_Type, &entries))
        return NULL;
    if (filter.tag_plugins == Py_None) {
        filter.tag_plugins = NULL;
    } else if (!PyDict_Check(filter.tag_plugins) || !PyDict_Check(filter.pending) ||
               !PyAnySet_Check(filter.media_plugins)) {
        PyErr_SetString(PyExc_TypeError, "tag_plugins and pending must be dicts and media_plugins a set");
        return NULL;
    }
    if (get_span(obj, &view, 0, limit) < 0)
        return NULL;
    if (at < 0 || at > limit) {
        PyBuffer_Release(&view);
        return PyErr_Format(PyExc_ValueError, "at=%zd is outside [0, %zd]", at, limit);
    }
    const uint8_t *b = view.buf;
    size_t pos = (size_t)at;
    /* bytes usable: filled and in the file (a file end before `at` frames nothing) */
    size_t stop = (size_t)(end < at ? at : end < limit ? end : limit);
    Py_ssize_t dropped = 0;
    while (stop - pos >= HEADER_BYTES) {
        uint64_t length = load_u64(b + pos);
        if (!header_intact(b + pos) || length > (uint64_t)max_record ||
            length > stop - pos - HEADER_BYTES || stop - pos - HEADER_BYTES - length < FOOTER_BYTES)
            break;
        size_t payload = pos + HEADER_BYTES;
        size_t payload_end = payload + (size_t)length;
        uint32_t footer = load_u32(b + payload_end);
        int unchecked = length >= (uint64_t)check_min;
        if (!unchecked && mask_crc(crc32c(0, b + payload, (size_t)length)) != footer)
            break;
        int verdict = filter.tag_plugins == NULL ? KEEP : classify_event(b, payload, payload_end, &filter);
        if (verdict == ERROR)
            goto fail;
        if (verdict == KEEP) {
            PyObject *entry = Py_BuildValue("(nnnL)", (Py_ssize_t)pos, (Py_ssize_t)payload,
                                            (Py_ssize_t)payload_end, unchecked ? (long long)footer : -1LL);
            if (entry == NULL)
                goto fail;
            int appended = PyList_Append(entries, entry);
            Py_DECREF(entry);
            if (appended < 0)
                goto fail;
        } else {
            dropped++;
        }
        pos = payload_end + FOOTER_BYTES;
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(nnO)", (Py_ssize_t)pos, dropped, filter.predicting ? Py_True : Py_False);
fail:
    PyBuffer_Release(&view);
    return NULL;
}

PyDoc_STRVAR(use_crc_doc, "use_crc(name) -> str\n\n"
                          "Check CRCs with 'sse4.2' (when the CPU has it) or 'table' (what CPUs without\n"
                          "it use, e.g. ARM); returns the one used before. For tests of both.");

static PyObject *py_use_crc(PyObject *self, PyObject *args)
{
    const char *name;
    if (!PyArg_ParseTuple(args, "s", &name))
        return NULL;
    const char *before = use_hardware ? "sse4.2" : "table";
    if (strcmp(name, "table") == 0) {
        use_hardware = 0;
    } else if (strcmp(name, "sse4.2") == 0) {
#ifdef HAVE_X86
        if (!__builtin_cpu_supports("sse4.2"))
#endif
            return PyErr_Format(PyExc_ValueError, "this CPU has no SSE4.2 CRC32 instruction");
#ifdef HAVE_X86
        use_hardware = 1;
#endif
    } else {
        return PyErr_Format(PyExc_ValueError, "name must be 'sse4.2' or 'table', not %R", PyTuple_GET_ITEM(args, 0));
    }
    return PyUnicode_FromString(before);
}

static PyMethodDef methods[] = {
    {"use_crc", py_use_crc, METH_VARARGS, use_crc_doc},
    {"masked_crc", py_masked_crc, METH_VARARGS, masked_crc_doc},
    {"extend", py_extend, METH_VARARGS, extend_doc},
    {"find_header", py_find_header, METH_VARARGS, find_header_doc},
    {"walk", py_walk, METH_VARARGS, walk_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "The scanner's native core (see scanner.py).", -1, methods,
};

PyMODINIT_FUNC PyInit__scan(void)
{
    crc_init();
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    return m;
}
