// Attribute caching with Python objects as values: Create_keyval/Free_keyval and
// Set_attr/Get_attr/Delete_attr on communicators, with Python copy and delete callbacks
// (run by MPI on Dup and Free; they take the GIL themselves).
#include "objects.hpp"

#include <unordered_map>

namespace mpipy {

namespace {

// What a Python keyval does on copy and delete. Lives until Free_keyval.
struct PythonKeyval {
    nb::object copy_fn;     // None: not copied, True: same object, callable: its result
    nb::object delete_fn;   // None or callable
    bool nopython = false;  // values are plain integers (addresses), not Python objects
};

std::unordered_map<int, PythonKeyval *> &comm_keyvals() {
    static std::unordered_map<int, PythonKeyval *> keyvals;
    return keyvals;
}

// A Python exception inside a callback cannot cross MPI: report it and fail the MPI call.
int callback_failed() {
    PyErr_Print();
    return MPI_ERR_OTHER;
}

int comm_copy_attr(MPI_Comm oldcomm, int keyval, void *extra, void *value_in, void *value_out,
                   int *flag) {
    auto *kv = static_cast<PythonKeyval *>(extra);
    *flag = 0;
    if (!Py_IsInitialized()) return MPI_SUCCESS;
    PyGILState_STATE gil = PyGILState_Ensure();
    int rc = MPI_SUCCESS;
    try {
        if (kv->copy_fn.is_none()) {
        } else if (kv->copy_fn.ptr() == Py_True) {
            if (!kv->nopython) Py_INCREF(static_cast<PyObject *>(value_in));
            *static_cast<void **>(value_out) = value_in;
            *flag = 1;
        } else {
            nb::object value = kv->nopython
                                   ? nb::object(nb::int_(reinterpret_cast<std::intptr_t>(value_in)))
                                   : nb::borrow(static_cast<PyObject *>(value_in));
            nb::object result = kv->copy_fn(wrap_comm(oldcomm), keyval, value);
            if (result.ptr() != Py_NotImplemented) {
                *static_cast<void **>(value_out) =
                    kv->nopython ? reinterpret_cast<void *>(nb::cast<std::intptr_t>(result))
                                 : static_cast<void *>(result.release().ptr());
                *flag = 1;
            }
        }
    } catch (nb::python_error &e) {
        e.restore();
        rc = callback_failed();
    } catch (...) {
        rc = MPI_ERR_OTHER;
    }
    PyGILState_Release(gil);
    return rc;
}

int comm_delete_attr(MPI_Comm comm, int keyval, void *value, void *extra) {
    auto *kv = static_cast<PythonKeyval *>(extra);
    if (!Py_IsInitialized()) return MPI_SUCCESS;
    PyGILState_STATE gil = PyGILState_Ensure();
    int rc = MPI_SUCCESS;
    try {
        nb::object obj = kv->nopython ? nb::object(nb::int_(reinterpret_cast<std::intptr_t>(value)))
                                      : nb::steal(static_cast<PyObject *>(value));
        if (!kv->delete_fn.is_none()) kv->delete_fn(wrap_comm(comm), keyval, obj);
    } catch (nb::python_error &e) {
        e.restore();
        rc = callback_failed();
    } catch (...) {
        rc = MPI_ERR_OTHER;
    }
    PyGILState_Release(gil);
    return rc;
}

PythonKeyval *python_keyval(int keyval) {
    auto it = comm_keyvals().find(keyval);
    return it == comm_keyvals().end() ? nullptr : it->second;
}

}  // namespace

// Attributes a Python program set on the predefined communicators are deleted before the
// interpreter goes away: MPI_Finalize would otherwise run Python delete callbacks too late.
void delete_python_attributes() {
    if (!mpi_active) return;
    for (auto &[keyval, kv] : comm_keyvals()) {
        (void)kv;
        for (MPI_Comm comm : {MPI_COMM_SELF, MPI_COMM_WORLD}) {
            void *value = nullptr;
            int flag = 0;
            if (MPI_Comm_get_attr(comm, keyval, &value, &flag) == MPI_SUCCESS && flag)
                MPI_Comm_delete_attr(comm, keyval);
        }
    }
}

// Comm.Get_attr for keyvals created from Python: the stored object, or None.
bool get_python_attr(MPI_Comm comm, int keyval, nb::object &out) {
    PythonKeyval *kv = python_keyval(keyval);
    if (!kv) return false;
    void *value = nullptr;
    int flag = 0;
    check(MPI_Comm_get_attr(comm, keyval, &value, &flag));
    if (!flag)
        out = nb::none();
    else if (kv->nopython)
        out = nb::int_(reinterpret_cast<std::intptr_t>(value));
    else
        out = nb::borrow(static_cast<PyObject *>(value));
    return true;
}

void bind_attributes(nb::module_ &m, CommClasses &classes) {
    (void)m;
    nb::module_::import_("atexit").attr("register")(nb::cpp_function(&delete_python_attributes));
    classes.comm
        .def_static(
            "Create_keyval",
            [](nb::handle copy_fn, nb::handle delete_fn, bool nopython) {
                require_active();
                if (!copy_fn.is_none() && copy_fn.ptr() != Py_True && copy_fn.ptr() != Py_False &&
                    !PyCallable_Check(copy_fn.ptr()))
                    throw nb::type_error("copy_fn must be callable, True/False or None");
                if (!delete_fn.is_none() && !PyCallable_Check(delete_fn.ptr()))
                    throw nb::type_error("delete_fn must be callable or None");
                auto *kv =
                    new PythonKeyval{copy_fn.ptr() == Py_False ? nb::none() : nb::borrow(copy_fn),
                                     nb::borrow(delete_fn), nopython};
                int keyval = MPI_KEYVAL_INVALID;
                int rc = MPI_Comm_create_keyval(comm_copy_attr, comm_delete_attr, &keyval, kv);
                if (rc != MPI_SUCCESS) {
                    delete kv;
                    throw_mpi_error(rc);
                }
                comm_keyvals()[keyval] = kv;
                python_callbacks_registered = true;
                return keyval;
            },
            nb::arg("copy_fn").none() = nb::none(), nb::arg("delete_fn").none() = nb::none(),
            nb::arg("nopython") = false, "Create a new attribute key for communicators.")
        .def_static(
            "Free_keyval",
            [](int keyval) {
                require_active();
                int k = keyval;
                check(MPI_Comm_free_keyval(&k));
                // The callbacks' state stays: attributes set with the keyval may still exist.
                return k;
            },
            nb::arg("keyval"), "Free an attribute key for communicators.")
        .def(
            "Set_attr",
            [](const Comm &self, int keyval, nb::handle attrval) {
                MPI_Comm comm = self.get();
                PythonKeyval *kv = python_keyval(keyval);
                if (!kv) throw MpiError{MPI_ERR_KEYVAL};  // predefined keyvals are read-only
                void *value = kv->nopython
                                  ? reinterpret_cast<void *>(nb::cast<std::intptr_t>(attrval))
                                  : static_cast<void *>(attrval.ptr());
                if (!kv->nopython) Py_INCREF(attrval.ptr());
                int rc = MPI_Comm_set_attr(comm, keyval, value);
                if (rc != MPI_SUCCESS && !kv->nopython) Py_DECREF(attrval.ptr());
                check(rc);
            },
            nb::arg("keyval"), nb::arg("attrval").none(),
            "Store attribute value associated with a key.")
        .def(
            "Delete_attr",
            [](const Comm &self, int keyval) {
                MPI_Comm comm = self.get();
                int rc;
                {
                    ReleaseGIL nogil;
                    rc = MPI_Comm_delete_attr(comm, keyval);
                }
                check(rc);
            },
            nb::arg("keyval"), "Delete attribute value associated with a key.");
}

}  // namespace mpipy
