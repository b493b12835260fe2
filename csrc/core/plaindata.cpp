// Plain data as pickle streams (see plaindata.hpp).
//
// What is written: PROTO, the object, STOP; no frame, no memo (a tree has no shared parts to
// remember). None, True, False; an int as BININT1, BININT2, BININT or LONG1 (at most 8
// bytes); a float as BINFLOAT; a str as SHORT_BINUNICODE or BINUNICODE (UTF-8); bytes as
// SHORT_BINBYTES or BINBYTES; a tuple as EMPTY_TUPLE, TUPLE1-3 or MARK ... TUPLE; a list as
// EMPTY_LIST then MARK ... APPENDS; a dict as EMPTY_DICT then MARK key value ... SETITEMS.
// These are the opcodes pickle.dumps itself uses for these types at protocols 4 and 5.
//
// What is read: exactly those opcodes, in any order a pickle stream allows, from a stream
// without a frame (every stream pickle.dumps writes for more than a few bytes has one, so the
// pickle module's own streams go straight to it, never read twice).
#include "plaindata.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <vector>

namespace mpipy {

namespace {

enum Opcode : unsigned char {
    PROTO = 0x80,
    STOP = '.',
    NONE = 'N',
    NEWTRUE = 0x88,
    NEWFALSE = 0x89,
    BININT1 = 'K',
    BININT2 = 'M',
    BININT = 'J',
    LONG1 = 0x8a,
    BINFLOAT = 'G',
    SHORT_BINUNICODE = 0x8c,
    BINUNICODE = 'X',
    SHORT_BINBYTES = 'C',
    BINBYTES = 'B',
    EMPTY_TUPLE = ')',
    TUPLE1 = 0x85,
    TUPLE2 = 0x86,
    TUPLE3 = 0x87,
    MARK = '(',
    TUPLE = 't',
    EMPTY_LIST = ']',
    APPEND = 'a',
    APPENDS = 'e',
    EMPTY_DICT = '}',
    SETITEM = 's',
    SETITEMS = 'u',
};

constexpr int max_depth = 32;
constexpr int max_containers = 64;

// Integers are little-endian in pickle streams, floats big-endian.
template <class T> T swap_bytes(T v) {
    if constexpr (sizeof(T) == 1) return v;
    if constexpr (sizeof(T) == 2)
        return static_cast<T>(__builtin_bswap16(static_cast<std::uint16_t>(v)));
    if constexpr (sizeof(T) == 4)
        return static_cast<T>(__builtin_bswap32(static_cast<std::uint32_t>(v)));
    if constexpr (sizeof(T) == 8)
        return static_cast<T>(__builtin_bswap64(static_cast<std::uint64_t>(v)));
}
template <class T> T little_endian(T v) {
    if constexpr (std::endian::native == std::endian::big) return swap_bytes(v);
    return v;
}
template <class T> T big_endian(T v) {
    if constexpr (std::endian::native == std::endian::little) return swap_bytes(v);
    return v;
}

// ---------------------------------------------------------------------------------------------
// Writing: one walk of the object, its bytes into a Writer.

// Writes into a buffer that grows as needed (the calling thread's, kept between calls).
struct Writer {
    std::vector<char> &buffer;
    size_t size = 0;
    char *room(size_t n) {
        if (size + n > buffer.size()) buffer.resize(std::max(2 * buffer.size(), size + n));
        char *p = buffer.data() + size;
        size += n;
        return p;
    }
    void byte(unsigned char b) { *room(1) = static_cast<char>(b); }
    void bytes(const void *data, size_t n) { std::memcpy(room(n), data, n); }
};

// The lists and dicts met so far, to refuse one met twice (pickle would share it).
struct Walk {
    PyObject *containers[max_containers];
    int count = 0;
    bool enter(PyObject *container) {
        for (int i = 0; i < count; ++i)
            if (containers[i] == container) return false;
        if (count == max_containers) return false;
        containers[count++] = container;
        return true;
    }
};

void put_int(Writer &out, long long v) {
    if (v >= 0 && v < 256) {
        out.byte(BININT1);
        out.byte(static_cast<unsigned char>(v));
    } else if (v >= 0 && v < 65536) {
        const std::uint16_t u = little_endian(static_cast<std::uint16_t>(v));
        out.byte(BININT2);
        out.bytes(&u, 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        const std::int32_t u = little_endian(static_cast<std::int32_t>(v));
        out.byte(BININT);
        out.bytes(&u, 4);
    } else {  // two's complement, the fewest bytes that keep the sign
        unsigned char n = 8;
        while (n > 1) {
            const long long limit = 1LL << (8 * (n - 1) - 1);
            if (v < -limit || v >= limit) break;
            --n;
        }
        const std::uint64_t u = little_endian(static_cast<std::uint64_t>(v));
        out.byte(LONG1);
        out.byte(n);
        out.bytes(&u, n);
    }
}

bool put_sized(Writer &out, unsigned char short_op, unsigned char long_op, const char *data,
               Py_ssize_t n) {
    if (n < 256) {
        out.byte(short_op);
        out.byte(static_cast<unsigned char>(n));
    } else if (static_cast<unsigned long long>(n) <= UINT32_MAX) {
        const std::uint32_t u = little_endian(static_cast<std::uint32_t>(n));
        out.byte(long_op);
        out.bytes(&u, 4);
    } else {
        return false;
    }
    out.bytes(data, static_cast<size_t>(n));
    return true;
}

void put_float(Writer &out, PyObject *o) {
    const std::uint64_t u = big_endian(std::bit_cast<std::uint64_t>(PyFloat_AS_DOUBLE(o)));
    char *p = out.room(9);  // (one check of the room for the opcode and the 8 bytes)
    p[0] = static_cast<char>(BINFLOAT);
    std::memcpy(p + 1, &u, 8);
}

bool put(Writer &out, PyObject *o, Walk &walk, int depth) {
    if (o == Py_None) {
        out.byte(NONE);
    } else if (o == Py_True || o == Py_False) {
        out.byte(o == Py_True ? NEWTRUE : NEWFALSE);
    } else if (PyLong_CheckExact(o)) {
        int overflow = 0;
        const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow) return false;
        put_int(out, v);
    } else if (PyFloat_CheckExact(o)) {
        put_float(out, o);
    } else if (PyUnicode_CheckExact(o)) {
        Py_ssize_t n;
        const char *utf8 = PyUnicode_AsUTF8AndSize(o, &n);
        if (!utf8) {  // lone surrogates: the pickle module writes those
            PyErr_Clear();
            return false;
        }
        return put_sized(out, SHORT_BINUNICODE, BINUNICODE, utf8, n);
    } else if (PyBytes_CheckExact(o)) {
        return put_sized(out, SHORT_BINBYTES, BINBYTES, PyBytes_AS_STRING(o), PyBytes_GET_SIZE(o));
    } else if (depth >= max_depth) {
        return false;
    } else if (PyTuple_CheckExact(o)) {
        const Py_ssize_t n = PyTuple_GET_SIZE(o);
        if (n > 3) out.byte(MARK);
        for (Py_ssize_t i = 0; i < n; ++i)
            if (!put(out, PyTuple_GET_ITEM(o, i), walk, depth + 1)) return false;
        static constexpr unsigned char small[] = {EMPTY_TUPLE, TUPLE1, TUPLE2, TUPLE3};
        out.byte(n > 3 ? static_cast<unsigned char>(TUPLE) : small[n]);
    } else if (PyList_CheckExact(o)) {
        if (!walk.enter(o)) return false;
        const Py_ssize_t n = PyList_GET_SIZE(o);
        out.byte(EMPTY_LIST);
        if (n == 0) return true;
        out.byte(MARK);
        for (Py_ssize_t i = 0; i < n; ++i) {
            PyObject *item = PyList_GET_ITEM(o, i);
            if (PyFloat_CheckExact(item))  // a list of numbers: straight to its bytes
                put_float(out, item);
            else if (!put(out, item, walk, depth + 1))
                return false;
        }
        out.byte(APPENDS);
    } else if (PyDict_CheckExact(o)) {
        if (!walk.enter(o)) return false;
        out.byte(EMPTY_DICT);
        if (PyDict_GET_SIZE(o) == 0) return true;
        out.byte(MARK);
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(o, &pos, &key, &value))
            if (!put(out, key, walk, depth + 1) || !put(out, value, walk, depth + 1)) return false;
        out.byte(SETITEMS);
    } else {
        return false;
    }
    return true;
}

bool put_stream(Writer &out, PyObject *obj, int protocol) {
    Walk walk;
    out.byte(PROTO);
    out.byte(static_cast<unsigned char>(protocol));
    if (!put(out, obj, walk, 0)) return false;
    out.byte(STOP);
    return true;
}

// ---------------------------------------------------------------------------------------------
// Reading: pickle's stack machine for the opcodes above.

// The stack: new references, held inline for small objects.
class Stack {
  public:
    Stack() = default;
    Stack(const Stack &) = delete;
    Stack &operator=(const Stack &) = delete;
    ~Stack() {
        for (size_t i = 0; i < size_; ++i) Py_DECREF(data_[i]);
    }
    bool push(PyObject *o) {  // steals o; false (and nothing pushed) if o is null
        if (!o) return false;
        if (size_ == capacity_ && !grow()) {
            Py_DECREF(o);
            return false;
        }
        data_[size_++] = o;
        return true;
    }
    size_t size() const { return size_; }
    PyObject *at(size_t i) const { return data_[i]; }
    PyObject *pop() { return data_[--size_]; }  // the reference goes to the caller
    void drop_above(size_t n) {
        while (size_ > n) Py_DECREF(data_[--size_]);
    }
    // The references above n go to `out` (size() - n slots), the stack is left at n.
    void move_above(size_t n, PyObject **out) {
        if (size_ > n) std::memcpy(out, data_ + n, (size_ - n) * sizeof(PyObject *));
        size_ = n;
    }
    void replace(size_t i, PyObject *o) {  // steals o
        Py_DECREF(data_[i]);
        data_[i] = o;
    }

  private:
    bool grow() {
        const size_t capacity = capacity_ * 4;
        std::unique_ptr<PyObject *[]> bigger(new (std::nothrow) PyObject *[capacity]);
        if (!bigger) return false;
        std::memcpy(bigger.get(), data_, size_ * sizeof(PyObject *));
        heap_ = std::move(bigger);
        data_ = heap_.get();
        capacity_ = capacity;
        return true;
    }
    PyObject *local_[16];
    std::unique_ptr<PyObject *[]> heap_;
    PyObject **data_ = local_;
    size_t size_ = 0, capacity_ = 16;
};

// A str read from a stream. Short ASCII ones met again (a dict's keys, message after message)
// come from a small cache instead of being decoded, allocated and hashed each time: a str is
// immutable, so one object may serve every message that holds the same characters.
PyObject *decode_str(const char *s, size_t n) {
    constexpr size_t longest_cached = 32, slots = 64;
    if (n == 0 || n > longest_cached)
        return PyUnicode_DecodeUTF8(s, static_cast<Py_ssize_t>(n), "surrogatepass");
    static PyObject *cache[slots];  // (the GIL guards it)
    const auto *u = reinterpret_cast<const unsigned char *>(s);
    PyObject *&slot = cache[(n * 31 + u[0] * 7 + u[n - 1]) % slots];
    if (slot && static_cast<size_t>(PyUnicode_GET_LENGTH(slot)) == n &&
        std::memcmp(PyUnicode_DATA(slot), s, n) == 0)
        return Py_NewRef(slot);
    PyObject *str = PyUnicode_DecodeUTF8(s, static_cast<Py_ssize_t>(n), "surrogatepass");
    if (str && PyUnicode_IS_ASCII(str)) Py_XSETREF(slot, Py_NewRef(str));
    return str;
}

class Reader {
  public:
    Reader(const char *data, size_t size)
        : p_(reinterpret_cast<const unsigned char *>(data)), end_(p_ + size) {}

    PyObject *read() {  // new reference, or null (a Python error may be set)
        if (!take(2) || p_[-2] != PROTO || p_[-1] > 5) return nullptr;
        while (p_ < end_) {
            const unsigned char op = *p_++;
            if (op == STOP) {
                if (marks_ != 0 || stack_.size() != 1) return nullptr;
                return stack_.pop();
            }
            if (!step(op)) return nullptr;
        }
        return nullptr;
    }

  private:
    bool take(size_t n) {
        if (static_cast<size_t>(end_ - p_) < n) return false;
        p_ += n;
        return true;
    }
    template <class T> bool number(T &v) {
        if (!take(sizeof(T))) return false;
        std::memcpy(&v, p_ - sizeof(T), sizeof(T));
        v = little_endian(v);
        return true;
    }
    // The length of a sized value (its opcode read), then the pointer to its data.
    bool sized(bool is_short, const char *&data, size_t &n) {
        if (is_short) {
            std::uint8_t u;
            if (!number(u)) return false;
            n = u;
        } else {
            std::uint32_t u;
            if (!number(u)) return false;
            n = u;
        }
        data = reinterpret_cast<const char *>(p_);
        return take(n);
    }
    size_t base() const { return marks_ ? mark_[marks_ - 1] : 0; }  // the current fence
    bool pop_mark(size_t &at) {
        if (marks_ == 0) return false;
        at = mark_[--marks_];
        return true;
    }
    bool tuple_from(size_t at) {
        const size_t n = stack_.size() - at;
        PyObject *t = PyTuple_New(static_cast<Py_ssize_t>(n));
        if (!t) return false;
        for (size_t i = 0; i < n; ++i) {
            PyObject *item = stack_.at(at + i);
            Py_INCREF(item);
            PyTuple_SET_ITEM(t, static_cast<Py_ssize_t>(i), item);
        }
        stack_.drop_above(at);
        return stack_.push(t);
    }
    bool append_from(size_t at) {  // the items above `at` into the list just below it
        if (at == 0 || at - 1 < base()) return false;
        PyObject *list = stack_.at(at - 1);
        if (!PyList_CheckExact(list)) return false;
        if (PyList_GET_SIZE(list) == 0 && Py_REFCNT(list) == 1) {
            // The usual case, EMPTY_LIST MARK ... APPENDS: a list of the final size takes
            // the items' references over, in place of the empty one.
            PyObject *full = PyList_New(static_cast<Py_ssize_t>(stack_.size() - at));
            if (!full) return false;
            stack_.move_above(at, reinterpret_cast<PyListObject *>(full)->ob_item);
            stack_.replace(at - 1, full);
            return true;
        }
        for (size_t i = at; i < stack_.size(); ++i)
            if (PyList_Append(list, stack_.at(i)) < 0) return false;
        stack_.drop_above(at);
        return true;
    }
    bool set_from(size_t at) {  // the key-value pairs above `at` into the dict just below it
        if (at == 0 || at - 1 < base() || (stack_.size() - at) % 2 != 0) return false;
        PyObject *dict = stack_.at(at - 1);
        if (!PyDict_CheckExact(dict)) return false;
        for (size_t i = at; i < stack_.size(); i += 2)
            if (PyDict_SetItem(dict, stack_.at(i), stack_.at(i + 1)) < 0) return false;
        stack_.drop_above(at);
        return true;
    }
    bool step(unsigned char op) {
        switch (op) {
        case NONE:
            Py_INCREF(Py_None);
            return stack_.push(Py_None);
        case NEWTRUE:
            Py_INCREF(Py_True);
            return stack_.push(Py_True);
        case NEWFALSE:
            Py_INCREF(Py_False);
            return stack_.push(Py_False);
        case BININT1: {
            std::uint8_t v;
            return number(v) && stack_.push(PyLong_FromLong(v));
        }
        case BININT2: {
            std::uint16_t v;
            return number(v) && stack_.push(PyLong_FromLong(v));
        }
        case BININT: {
            std::int32_t v;
            return number(v) && stack_.push(PyLong_FromLong(v));
        }
        case LONG1: {
            std::uint8_t n;
            if (!number(n) || n > 8 || !take(n)) return false;
            std::uint64_t u = 0;
            std::memcpy(&u, p_ - n, n);
            u = little_endian(u);
            if (n > 0 && n < 8 && (u >> (8 * n - 1)) & 1) u |= ~std::uint64_t(0) << (8 * n);
            return stack_.push(PyLong_FromLongLong(static_cast<long long>(u)));
        }
        case BINFLOAT:  // and the BINFLOATs that follow (a list of numbers), in one loop
            for (;;) {
                if (!take(8)) return false;
                std::uint64_t u;
                std::memcpy(&u, p_ - 8, 8);
                if (!stack_.push(PyFloat_FromDouble(std::bit_cast<double>(big_endian(u)))))
                    return false;
                if (p_ == end_ || *p_ != BINFLOAT) return true;
                ++p_;
            }
        case SHORT_BINUNICODE:
        case BINUNICODE: {
            const char *s;
            size_t n;
            return sized(op == SHORT_BINUNICODE, s, n) && stack_.push(decode_str(s, n));
        }
        case SHORT_BINBYTES:
        case BINBYTES: {
            const char *s;
            size_t n;
            return sized(op == SHORT_BINBYTES, s, n) &&
                   stack_.push(PyBytes_FromStringAndSize(s, static_cast<Py_ssize_t>(n)));
        }
        case EMPTY_TUPLE:
            return stack_.push(PyTuple_New(0));
        case TUPLE1:
        case TUPLE2:
        case TUPLE3: {
            const size_t n = op - TUPLE1 + 1;
            return stack_.size() >= base() + n && tuple_from(stack_.size() - n);
        }
        case MARK:
            if (marks_ == max_depth) return false;
            mark_[marks_++] = stack_.size();
            return true;
        case TUPLE: {
            size_t at;
            return pop_mark(at) && tuple_from(at);
        }
        case EMPTY_LIST:
            return stack_.push(PyList_New(0));
        case EMPTY_DICT:
            return stack_.push(PyDict_New());
        case APPEND:
            return stack_.size() >= base() + 2 && append_from(stack_.size() - 1);
        case APPENDS: {
            size_t at;
            return pop_mark(at) && append_from(at);
        }
        case SETITEM:
            return stack_.size() >= base() + 3 && set_from(stack_.size() - 2);
        case SETITEMS: {
            size_t at;
            return pop_mark(at) && set_from(at);
        }
        default:
            return false;
        }
    }

    const unsigned char *p_, *end_;
    Stack stack_;
    size_t mark_[max_depth];
    int marks_ = 0;
};

}  // namespace

nb::object plain_dumps(nb::handle obj, int protocol) {
    // One walk, into this thread's buffer, then copied into the bytes: cheaper than a first
    // walk to count the bytes. A buffer grown past 1 MiB is given back after the call.
    constexpr size_t kept = size_t(1) << 20;
    thread_local std::vector<char> buffer(4096);
    Writer writer{buffer};
    struct Trim {
        std::vector<char> &buffer;
        ~Trim() {
            if (buffer.size() > kept) std::vector<char>(4096).swap(buffer);
        }
    } trim{buffer};
    if (!put_stream(writer, obj.ptr(), protocol)) return {};
    PyObject *bytes =
        PyBytes_FromStringAndSize(buffer.data(), static_cast<Py_ssize_t>(writer.size));
    if (!bytes) throw nb::python_error();
    return nb::steal(bytes);
}

nb::object plain_loads(const char *data, size_t size) {
    PyObject *result = Reader(data, size).read();
    if (!result) {
        PyErr_Clear();  // the pickle module reads it again and reports any error itself
        return {};
    }
    return nb::steal(result);
}

}  // namespace mpipy
