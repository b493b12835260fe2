// Python objects as bytes: MPI.pickle (class Pickle), pickling with out-of-band buffers, and the
// framing of a stream with the trailer that announces its parts (see pickled.hpp).
#include "pickled.hpp"

#include "buffer.hpp"
#include "plaindata.hpp"
#include "transport.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>

namespace mpipy {

namespace {

// ---------------------------------------------------------------------------------------------
// Pickle: a serializer. The default (stdlib pickle, protocol 5) is called straight from C++; a
// user-supplied dumps/loads pair is called as given, without out-of-band parts.

constexpr Py_ssize_t default_threshold = 65536;  // MPI.pickle's (pkl5.pickle has its own)

// A user's dumps given no protocol (None) is called with the object alone.
constexpr int no_protocol = INT_MIN;

struct Pickle {
    nb::object dumps, loads;
    int protocol = 5;                          // or no_protocol
    Py_ssize_t threshold = default_threshold;  // buffers at least this large go out of band
};

Pickle *the_pickle = nullptr;  // MPI.pickle (kept alive by the module)
PyTypeObject *pickle_type = nullptr;
PyObject *std_dumps = nullptr;  // _pickle.dumps / _pickle.loads
PyObject *std_loads = nullptr;
PyObject *buffer_callback_kw = nullptr;  // ("buffer_callback",)
PyObject *buffers_kw = nullptr;          // ("buffers",)

// The Pickle the transport uses: MPI.pickle, or the one a _pickle_call on this thread set for
// the call it makes (pkl5's wrappers, with pkl5.pickle). Per thread, as other threads may send
// with MPI.Comm meanwhile (the GIL is released around MPI calls).
thread_local Pickle *pickle_override = nullptr;

Pickle &pickle_in_use() { return pickle_override ? *pickle_override : *the_pickle; }

Pickle *standard_pickle = nullptr;  // stdlib pickle, protocol 5 (made once, never freed)

bool default_pickler(const Pickle &p) {
    return p.dumps.ptr() == std_dumps && p.loads.ptr() == std_loads;
}

// MPI._pickle_call(pickle, function, *args): function(*args) with `pickle` in use by the
// transport on this thread (then the previous one again, on errors too). A raw fastcall
// function storing one pointer: ~7 ns per pkl5 call (57 ns around Comm.Get_rank, against 50).
PyObject *pickle_call(PyObject *, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 2) {
        PyErr_SetString(PyExc_TypeError, "_pickle_call(pickle, function, *args)");
        return nullptr;
    }
    if (!PyObject_TypeCheck(args[0], pickle_type) || !nb::inst_ready(args[0])) {
        PyErr_Format(PyExc_TypeError, "expecting an MPI.Pickle, not %.200s",
                     Py_TYPE(args[0])->tp_name);
        return nullptr;
    }
    Pickle *const previous = pickle_override;
    pickle_override = nb::inst_ptr<Pickle>(args[0]);  // alive: the caller holds a reference
    PyObject *result = PyObject_Vectorcall(args[1], args + 2, nargs - 2, nullptr);
    pickle_override = previous;
    return result;
}
PyMethodDef pickle_call_def = {
    "_pickle_call",
    // via void(*)(): METH_FASTCALL functions have another signature
    reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(pickle_call)), METH_FASTCALL,
    "Call a function with a Pickle in use."};

thread_local Py_ssize_t current_threshold = default_threshold;

// An integer argument, with TypeError (not a C++ cast error) for anything else.
Py_ssize_t int_arg(nb::handle value, const char *what) {
    if (!PyLong_Check(value.ptr()))
        throw nb::type_error(
            (std::string(what) + " must be an integer, not " + nb::type_name(value.type()).c_str())
                .c_str());
    Py_ssize_t v = PyLong_AsSsize_t(value.ptr());
    if (v == -1 && PyErr_Occurred()) throw nb::python_error();
    return v;
}

// buffer_callback of pickle.dumps: large contiguous buffers go out of band (collected in
// `collected_parts`, a list made at the first one), the rest stay in the stream. One callback
// object serves every dumps: making one per call costs more than many small objects' pickling.
thread_local PyObject *collected_parts = nullptr;

PyObject *collect_buffer(PyObject *, PyObject *picklebuffer) {
    Py_buffer view;
    if (PyObject_GetBuffer(picklebuffer, &view, PyBUF_ANY_CONTIGUOUS) < 0) {
        PyErr_Clear();
        Py_RETURN_TRUE;  // non-contiguous: in band
    }
    Py_ssize_t len = view.len;
    PyBuffer_Release(&view);
    if (len < current_threshold) Py_RETURN_TRUE;
    if (!collected_parts && !(collected_parts = PyList_New(0))) return nullptr;
    if (PyList_Append(collected_parts, picklebuffer) < 0) return nullptr;
    Py_RETURN_FALSE;
}
PyMethodDef collect_buffer_def = {"collect_buffer", collect_buffer, METH_O, nullptr};

// dumps(obj) as bytes; with `parts`, large buffers are put in it (a list, or left invalid
// when there are none) instead of pickled. `min_protocol` 5 forces out-of-band pickling
// (dumps_oob) whatever the Pickle's protocol. Plain data (plaindata.hpp) is written here when
// the Pickle is the standard one and `plain`.
nb::object dumps(const Pickle &pickler, nb::handle obj, nb::object *parts,
                 int min_protocol = no_protocol, bool plain = true) {
    PyObject *result;
    const int proto = std::max(pickler.protocol, min_protocol);
    if (plain && proto >= 4 && proto <= 5 && pickler.dumps.ptr() == std_dumps) {
        nb::object plain = plain_dumps(obj, proto);
        if (plain.is_valid()) return plain;
    }
    if (proto == no_protocol) {  // as mpi4py: a custom dumps without a protocol gets obj alone
        PyObject *args[] = {obj.ptr()};
        result = PyObject_Vectorcall(pickler.dumps.ptr(), args, 1, nullptr);
    } else if (parts && proto >= 5) {
        static PyObject *const callback = PyCFunction_New(&collect_buffer_def, nullptr);
        if (!callback) throw nb::python_error();
        current_threshold = pickler.threshold;
        PyObject *outer = collected_parts;  // a dumps within a dumps (from a __reduce__)
        collected_parts = nullptr;
        nb::object protocol = nb::int_(proto);
        PyObject *args[] = {obj.ptr(), protocol.ptr(), callback};
        result = PyObject_Vectorcall(pickler.dumps.ptr(), args, 2, buffer_callback_kw);
        *parts = nb::steal(collected_parts);
        collected_parts = outer;
    } else {
        nb::object protocol = nb::int_(proto);
        PyObject *args[] = {obj.ptr(), protocol.ptr()};
        result = PyObject_Vectorcall(pickler.dumps.ptr(), args, 2, nullptr);
    }
    if (!result) throw nb::python_error();
    nb::object data = nb::steal(result);
    if (!PyBytes_Check(result)) {  // a custom dumps may return any bytes-like object
        data = nb::steal(PyBytes_FromObject(result));
        if (!data) throw nb::python_error();
    }
    return data;
}

constexpr char trailer_magic[8] = {'\0', 'm', 'p', 'i', 'p', 'y', '5', '\0'};

}  // namespace

StandardPickle::StandardPickle() : previous_(pickle_override) { pickle_override = standard_pickle; }
StandardPickle::~StandardPickle() { pickle_override = static_cast<Pickle *>(previous_); }

void pickle_outgoing(nb::handle obj, MPI_Comm comm, int dest, OutgoingObject &out) {
    // Where parts would go is only looked up when there are parts: most objects have none.
    pickle_object(obj, true, out);
    if (out.parts.empty()) return;
    out.world_dest = world_rank_of_peer(comm, dest);
    if (out.world_dest != MPI_UNDEFINED) return;
    out = OutgoingObject();  // dest is outside COMM_WORLD: everything in band
    pickle_object(obj, false, out);
}

void pickle_object(nb::handle obj, bool oob, OutgoingObject &out) {
    const Pickle &pickler = pickle_in_use();
    oob = oob && default_pickler(pickler);
    nb::object parts_obj;
    nb::object stream = dumps(pickler, obj, oob ? &parts_obj : nullptr);
    if (!parts_obj.is_valid()) {
        out.stream = stream;
        out.data = PyBytes_AS_STRING(stream.ptr());
        out.size = PyBytes_GET_SIZE(stream.ptr());
        return;
    }
    // Pin the parts and append the trailer that announces them.
    nb::list parts = nb::borrow<nb::list>(parts_obj);
    const size_t n = parts.size();
    out.parts.resize(n);
    std::vector<std::uint64_t> sizes(n);
    for (size_t i = 0; i < n; ++i) {
        if (!out.parts[i].acquire(parts[i].ptr(), PyBUF_ANY_CONTIGUOUS)) throw nb::python_error();
        sizes[i] = static_cast<std::uint64_t>(out.parts[i].view().len);
    }
    out.part_tag = new_part_tag();
    const Py_ssize_t stream_size = PyBytes_GET_SIZE(stream.ptr());
    const Py_ssize_t trailer = static_cast<Py_ssize_t>(8 * n + 8 + 8 + 8);
    PyObject *buf = PyBytes_FromStringAndSize(nullptr, stream_size + trailer);
    if (!buf) throw nb::python_error();
    out.stream = nb::steal(buf);
    char *p = PyBytes_AS_STRING(buf);
    std::memcpy(p, PyBytes_AS_STRING(stream.ptr()), static_cast<size_t>(stream_size));
    p += stream_size;
    std::memcpy(p, sizes.data(), 8 * n);
    p += 8 * n;
    const std::uint64_t count = n;
    const std::int64_t tag = out.part_tag;
    std::memcpy(p, &count, 8);
    std::memcpy(p + 8, &tag, 8);
    std::memcpy(p + 16, trailer_magic, 8);
    out.data = PyBytes_AS_STRING(buf);
    out.size = stream_size + trailer;
}

void IncomingObject::parse(MPI_Comm comm, int source) {
    stream_size = size;
    part_sizes.clear();
    parts.clear();
    part_addrs.clear();
    if (size < 24 || std::memcmp(bytes + size - 8, trailer_magic, 8) != 0) return;
    std::uint64_t count = 0;
    std::int64_t tag = 0;
    std::memcpy(&count, bytes + size - 24, 8);
    std::memcpy(&tag, bytes + size - 16, 8);
    const MPI_Count trailer = static_cast<MPI_Count>(8 * count + 24);
    if (count > (1u << 20) || trailer > size) return;  // not a trailer: a plain stream
    stream_size = size - trailer;
    part_tag = static_cast<int>(tag);
    world_source = comm == MPI_COMM_NULL ? MPI_PROC_NULL : world_rank_of_peer(comm, source);
    if (comm != MPI_COMM_NULL && world_source == MPI_UNDEFINED)
        throw std::runtime_error("mpipy: out-of-band parts from a process outside COMM_WORLD");
    part_sizes.resize(count);
    parts.resize(count);
    part_addrs.resize(count);
    const char *p = bytes + stream_size;
    for (std::uint64_t i = 0; i < count; ++i) {
        std::uint64_t s = 0;
        std::memcpy(&s, p + 8 * i, 8);
        part_sizes[i] = static_cast<MPI_Count>(s);
        parts[i] = allocate_buffer(part_sizes[i], &part_addrs[i]);
    }
}

nb::object unpickle(const char *data, MPI_Count size, nb::handle whole, nb::handle buffers) {
    PyObject *loads = pickle_in_use().loads.ptr();
    const bool oob = buffers.is_valid() && !buffers.is_none();
    if (!oob && loads == std_loads) {
        nb::object plain = plain_loads(data, static_cast<size_t>(size));
        if (plain.is_valid()) return plain;
    }
    nb::object stream = nb::borrow(whole);
    if (!stream.is_valid()) {
        // The pickle module copies what it reads, so a view will do; a user's loads gets bytes
        // of its own, as it may keep what it is given (the memory here is only lent).
        stream = nb::steal(loads == std_loads
                               ? PyMemoryView_FromMemory(const_cast<char *>(data), size, PyBUF_READ)
                               : PyBytes_FromStringAndSize(data, size));
        if (!stream) throw nb::python_error();
    }
    PyObject *result;
    if (oob) {
        PyObject *args[] = {stream.ptr(), buffers.ptr()};
        result = PyObject_Vectorcall(loads, args, 1, buffers_kw);
    } else {
        PyObject *args[] = {stream.ptr()};
        result = PyObject_Vectorcall(loads, args, 1, nullptr);
    }
    if (!result) throw nb::python_error();
    return nb::steal(result);
}

nb::object IncomingObject::load() const {
    if (stream_size == 0) return nb::none();  // an empty message (say, from a buffer send)
    nb::handle whole;  // the received bytes, when they are the stream exactly
    if (data.is_valid() && PyBytes_Check(data.ptr()) && bytes == PyBytes_AS_STRING(data.ptr()) &&
        stream_size == PyBytes_GET_SIZE(data.ptr()))
        whole = data;
    if (part_sizes.empty()) return unpickle(bytes, stream_size, whole, nb::handle());
    nb::list buffers;
    for (const nb::object &part : parts) buffers.append(part);
    return unpickle(bytes, stream_size, whole, buffers);
}

void bind_pickle(nb::module_ &m) {
    nb::module_ pickle_module = nb::module_::import_("pickle");
    std_dumps = pickle_module.attr("dumps").ptr();
    std_loads = pickle_module.attr("loads").ptr();
    Py_INCREF(std_dumps);
    Py_INCREF(std_loads);
    standard_pickle = new Pickle{nb::borrow(std_dumps), nb::borrow(std_loads)};
    buffer_callback_kw = Py_BuildValue("(s)", "buffer_callback");
    buffers_kw = Py_BuildValue("(s)", "buffers");

    nb::class_<Pickle> cls(m, "Pickle", "Pickle/unpickle Python objects.");
    // A plain method rather than a nanobind constructor (its self is not a Pickle&): mpi4py's
    // way to customize is calling MPI.pickle.__init__(dumps, loads, protocol) on the live
    // instance, which a constructor would refuse.
    cls.def(
           "__init__",
           [](nb::handle self, nb::handle dumps_fn, nb::handle loads_fn, nb::handle protocol,
              nb::handle threshold) {
               Pickle *p = nb::inst_ptr<Pickle>(self);
               if (!nb::inst_ready(self)) {
                   new (p) Pickle();
                   nb::inst_mark_ready(self);
               }
               Pickle fresh;
               fresh.dumps = dumps_fn.is_none() ? nb::borrow(std_dumps) : nb::borrow(dumps_fn);
               fresh.loads = loads_fn.is_none() ? nb::borrow(std_loads) : nb::borrow(loads_fn);
               if (!protocol.is_none())
                   fresh.protocol = static_cast<int>(int_arg(protocol, "protocol"));
               else if (fresh.dumps.ptr() != std_dumps)
                   fresh.protocol = no_protocol;  // as mpi4py: dumps(obj), nothing more
               if (!threshold.is_none()) fresh.threshold = int_arg(threshold, "threshold");
               *p = std::move(fresh);
           },
           nb::arg("dumps") = nb::none(), nb::arg("loads") = nb::none(),
           nb::arg("protocol") = nb::none(), nb::arg("threshold") = nb::none())
        .def_prop_rw(
            "PROTOCOL",
            [](const Pickle &p) -> nb::object {
                if (p.protocol == no_protocol) return nb::none();
                return nb::int_(p.protocol);
            },
            [](Pickle &p, nb::handle value) {
                if (!value.is_none())
                    p.protocol = static_cast<int>(int_arg(value, "PROTOCOL"));
                else
                    p.protocol = p.dumps.ptr() == std_dumps ? 5 : no_protocol;
            },
            nb::arg("value").none(), "Protocol version.")
        .def_prop_rw(
            "THRESHOLD", [](const Pickle &p) { return p.threshold; },
            [](Pickle &p, nb::handle value) {
                p.threshold = value.is_none() ? default_threshold : int_arg(value, "THRESHOLD");
            },
            nb::arg("value").none(), "Out-of-band threshold.")
        .def(
            "dumps",
            // the pickle module's own stream, byte for byte, as with mpi4py
            [](const Pickle &p, nb::handle obj) {
                return dumps(p, obj, nullptr, no_protocol, false);
            },
            nb::arg("obj").none(), "Serialize object to pickle data stream.")
        .def(
            "loads",
            [](Pickle &p, nb::handle data) {
                PyObject *args[] = {data.ptr()};
                PyObject *r = PyObject_Vectorcall(p.loads.ptr(), args, 1, nullptr);
                if (!r) throw nb::python_error();
                return nb::steal(r);
            },
            nb::arg("data"), "Deserialize object from pickle data stream.")
        .def(
            "dumps_oob",
            [](const Pickle &p, nb::handle obj) {
                nb::object parts;
                nb::object data = dumps(p, obj, &parts, 5);
                nb::list buffers;
                if (parts.is_valid())
                    for (nb::handle part : parts) {
                        nb::object raw = part.attr("raw")();
                        buffers.append(nb::module_::import_("mpipy.MPI")
                                           .attr("buffer")
                                           .attr("frombuffer")(raw, true));
                    }
                return nb::make_tuple(data, buffers);
            },
            nb::arg("obj").none(),
            "Serialize object to pickle data stream and out-of-band buffers.")
        .def(
            "loads_oob",
            [](Pickle &p, nb::handle data, nb::handle buffers) {
                PyObject *args[] = {data.ptr(), buffers.ptr()};
                PyObject *r = PyObject_Vectorcall(p.loads.ptr(), args, 1, buffers_kw);
                if (!r) throw nb::python_error();
                return nb::steal(r);
            },
            nb::arg("data"), nb::arg("buffers"),
            "Deserialize object from pickle data stream and out-of-band buffers.");
    nb::object instance = cls();
    the_pickle = nb::inst_ptr<Pickle>(instance);
    m.attr("pickle") = instance;
    pickle_type = reinterpret_cast<PyTypeObject *>(cls.ptr());
    nb::object call = nb::steal(PyCFunction_NewEx(&pickle_call_def, nullptr, m.ptr()));
    if (!call) throw nb::python_error();
    m.attr("_pickle_call") = call;
}

}  // namespace mpipy
