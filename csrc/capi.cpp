// The C API (include/mpipy/mpipy.h): a table of functions, published as the capsule
// MPI._C_API, that give extension modules the MPI handle inside an mpipy object and wrap a
// handle of theirs into a new mpipy object.
#define MPIPY_CAPI_IMPLEMENTATION
#include "core/objects.hpp"
#include "core/progress.hpp"

#include <mpipy/mpipy.h>

namespace mpipy {

namespace {

// C callers get NULL and a Python exception, never a C++ one.
template <class F> auto guarded(F &&f) -> decltype(f()) {
    try {
        return f();
    } catch (nb::python_error &e) {
        e.restore();
    } catch (const std::exception &e) {
        PyErr_SetString(PyExc_RuntimeError, e.what());
    }
    return nullptr;
}

// The handle inside an object of class T (or a subclass), or NULL with TypeError set.
template <class T> typename T::handle_type *handle_in(PyObject *obj) {
    return guarded([&]() -> typename T::handle_type * {
        if (!obj || !nb::isinstance<T>(nb::handle(obj))) {
            PyErr_Format(PyExc_TypeError, "expected an MPI.%s, got %s", T::traits::name,
                         obj ? Py_TYPE(obj)->tp_name : "NULL");
            return nullptr;
        }
        return &nb::inst_ptr<T>(nb::handle(obj))->handle;
    });
}

// A new reference to a new object of class T holding h.
template <class T> PyObject *object_for(typename T::handle_type h) {
    return guarded([&] { return new_handle<T>(h).release().ptr(); });
}

PyObject *comm_new(MPI_Comm h) {
    return guarded([&] { return wrap_comm(h).release().ptr(); });  // Intracomm, Cartcomm, ...
}
PyObject *datatype_new(MPI_Datatype h) {
    return guarded([&] { return datatype_object(h).release().ptr(); });  // MPI.INT for MPI_INT
}
PyObject *request_new(MPI_Request h) {
    return guarded([&] { return make_request(h, nullptr, false).release().ptr(); });
}
MPI_Request *request_get(PyObject *obj) {
    MPI_Request *h = handle_in<Request>(obj);
    // The handle as the last operation on any copy of this request left it.
    if (h) nb::inst_ptr<Request>(nb::handle(obj))->in_flight();
    return h;
}
PyObject *status_new(MPI_Status *status) {
    return guarded([&] {
        nb::object obj = nb::type<Status>()();
        if (status) nb::inst_ptr<Status>(obj)->status = *status;
        return obj.release().ptr();
    });
}
MPI_Status *status_get(PyObject *obj) {
    return guarded([&]() -> MPI_Status * {
        if (!obj || !nb::isinstance<Status>(nb::handle(obj))) {
            PyErr_Format(PyExc_TypeError, "expected an MPI.Status, got %s",
                         obj ? Py_TYPE(obj)->tp_name : "NULL");
            return nullptr;
        }
        return &nb::inst_ptr<Status>(nb::handle(obj))->status;
    });
}

const MpipyCAPI capi = {
    MPIPY_CAPI_VERSION,
    sizeof(MpipyCAPI),
    MPIPY_MPI_FAMILY,
    MPI_VERSION,
    sizeof(MPI_Comm),
    comm_new,
    handle_in<Comm>,
    datatype_new,
    handle_in<Datatype>,
    status_new,
    status_get,
    request_new,
    request_get,
    object_for<Message>,
    handle_in<Message>,
    object_for<Op>,
    handle_in<Op>,
    object_for<Group>,
    handle_in<Group>,
    object_for<Info>,
    handle_in<Info>,
    object_for<Errhandler>,
    handle_in<Errhandler>,
    object_for<Win>,
    handle_in<Win>,
    object_for<File>,
    handle_in<File>,
#if MPIPY_HAVE_SESSIONS && defined(MPI_SESSION_NULL)
    object_for<Session>,
    handle_in<Session>,
#else
    nullptr,
    nullptr,
#endif
};

}  // namespace

void bind_capi(nb::module_ &m) {
    m.attr("_C_API") =
        nb::steal(PyCapsule_New(const_cast<MpipyCAPI *>(&capi), MPIPY_CAPI_CAPSULE, nullptr));
}

}  // namespace mpipy
