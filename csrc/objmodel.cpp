// The C side of the Python objects, for code that talks to MPI itself (ctypes, cffi, Cython):
// MPI._sizeof, MPI._addressof and MPI._handleof over every handle class and Status.
#include "core/objects.hpp"

#include <cstdint>
#include <optional>

namespace mpipy {

namespace {

// What `f` gives for the first of the classes `obj` is an instance (or, with `types`, a
// subclass) of, or nothing.
template <class... T, class F> auto first_kind(nb::handle obj, bool types, F &&f) {
    using R = decltype(f(static_cast<Status *>(nullptr), MPI_Status{}));
    std::optional<R> out;
    auto visit = [&](auto *tag, auto sample) {
        using K = std::remove_pointer_t<decltype(tag)>;
        if (out) return;
        nb::handle type = nb::type<K>();
        if (types && PyType_Check(obj.ptr()) &&
            PyType_IsSubtype(reinterpret_cast<PyTypeObject *>(obj.ptr()),
                             reinterpret_cast<PyTypeObject *>(type.ptr())))
            out = f(static_cast<K *>(nullptr), sample);
        else if (nb::isinstance<K>(obj))
            out = f(nb::inst_ptr<K>(obj), sample);
    };
    (visit(static_cast<T *>(nullptr), typename T::handle_type{}), ...);
    visit(static_cast<Status *>(nullptr), MPI_Status{});
    return out;
}

#if MPIPY_HAVE_SESSIONS
#define MPIPY_SESSION , Session
#else
#define MPIPY_SESSION
#endif
#define MPIPY_KINDS                                                                                \
    Datatype, Request, Message, Op, Group, Info, Errhandler, Comm, Win, File MPIPY_SESSION

template <class K> auto &storage(K *obj) {
    if constexpr (std::is_same_v<K, Status>)
        return obj->status;
    else
        return obj->handle;
}

}  // namespace

void bind_objmodel(nb::module_ &m) {
    m.def(
        "_sizeof",
        [](nb::handle arg) {
            auto size = first_kind<MPIPY_KINDS>(arg, true,
                                                [](auto *, auto sample) { return sizeof(sample); });
            if (!size) throw nb::type_error("expecting an MPI type or instance");
            return *size;
        },
        nb::arg("arg").none(), "Size in bytes of the underlying MPI handle.");
    m.def(
        "_addressof",
        [](nb::handle arg) {
            auto addr = first_kind<MPIPY_KINDS>(arg, false, [](auto *obj, auto) {
                return reinterpret_cast<std::uintptr_t>(&storage(obj));
            });
            if (!addr) throw nb::type_error("expecting an MPI instance");
            return *addr;
        },
        nb::arg("arg").none(), "Memory address of the underlying MPI handle.");
    m.def(
        "_handleof",
        [](nb::handle arg) {
            // A Status has no handle: its address stands for it (as MPI_Status * in C).
            auto value = first_kind<MPIPY_KINDS>(arg, false, [](auto *obj, auto) {
                if constexpr (std::is_same_v<std::remove_pointer_t<decltype(obj)>, Status>)
                    return reinterpret_cast<std::uintptr_t>(&obj->status);
                else
                    return handle_to_python(obj->handle);
            });
            if (!value) throw nb::type_error("expecting an MPI instance");
            return *value;
        },
        nb::arg("arg").none(), "Unsigned integer value with the underlying MPI handle.");
}

#undef MPIPY_KINDS
#undef MPIPY_SESSION

}  // namespace mpipy
