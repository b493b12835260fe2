// Attribute caching with Python objects as values: Create_keyval/Free_keyval and
// Set_attr/Get_attr/Delete_attr on communicators, datatypes and windows, with Python copy and
// delete callbacks (run by MPI on Dup and Free; they take the GIL themselves). One implementation,
// templated on the handle kind; AttrApi below maps each kind to its MPI functions.
#include "core/objects.hpp"

#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace mpipy {

namespace {

template <class Kind> struct AttrApi;

template <> struct AttrApi<CommKind> {
    using H = MPI_Comm;
    using Class = Comm;
    using CopyFn = MPI_Comm_copy_attr_function;
    using DeleteFn = MPI_Comm_delete_attr_function;
    static constexpr const char *what = "communicators";
    static int create_keyval(CopyFn *c, DeleteFn *d, int *k, void *x) {
        return MPI_Comm_create_keyval(c, d, k, x);
    }
    static int free_keyval(int *k) { return MPI_Comm_free_keyval(k); }
    static int set_attr(H h, int k, void *v) { return MPI_Comm_set_attr(h, k, v); }
    static int get_attr(H h, int k, void *v, int *f) { return MPI_Comm_get_attr(h, k, v, f); }
    static int delete_attr(H h, int k) { return MPI_Comm_delete_attr(h, k); }
    static nb::object wrap(H h) { return wrap_comm(h); }
};

template <> struct AttrApi<DatatypeKind> {
    using H = MPI_Datatype;
    using Class = Datatype;
    using CopyFn = MPI_Type_copy_attr_function;
    using DeleteFn = MPI_Type_delete_attr_function;
    static constexpr const char *what = "datatypes";
    static int create_keyval(CopyFn *c, DeleteFn *d, int *k, void *x) {
        return MPI_Type_create_keyval(c, d, k, x);
    }
    static int free_keyval(int *k) { return MPI_Type_free_keyval(k); }
    static int set_attr(H h, int k, void *v) { return MPI_Type_set_attr(h, k, v); }
    static int get_attr(H h, int k, void *v, int *f) { return MPI_Type_get_attr(h, k, v, f); }
    static int delete_attr(H h, int k) { return MPI_Type_delete_attr(h, k); }
    static nb::object wrap(H h) { return lent_handle<Datatype>(h); }  // an attribute callback's
};

template <> struct AttrApi<WinKind> {
    using H = MPI_Win;
    using Class = Win;
    using CopyFn = MPI_Win_copy_attr_function;
    using DeleteFn = MPI_Win_delete_attr_function;
    static constexpr const char *what = "windows";
    static int create_keyval(CopyFn *c, DeleteFn *d, int *k, void *x) {
        return MPI_Win_create_keyval(c, d, k, x);
    }
    static int free_keyval(int *k) { return MPI_Win_free_keyval(k); }
    static int set_attr(H h, int k, void *v) { return MPI_Win_set_attr(h, k, v); }
    static int get_attr(H h, int k, void *v, int *f) { return MPI_Win_get_attr(h, k, v, f); }
    static int delete_attr(H h, int k) { return MPI_Win_delete_attr(h, k); }
    static nb::object wrap(H h) { return lent_handle<Win>(h); }  // an attribute callback's
};

// What a Python keyval does on copy and delete. Attributes set with a keyval outlive
// Free_keyval, and MPI runs its callbacks for them: it lives until the keyval is freed and the
// last of its attributes deleted (counted under the GIL, like MPI's own reference count).
struct PythonKeyval {
    nb::object copy_fn;     // None: not copied, True: same object, callable: its result
    nb::object delete_fn;   // None or callable
    bool nopython = false;  // values are plain integers (addresses), not Python objects
    long attributes = 0;    // attributes MPI holds with this keyval
    bool freed = false;     // Free_keyval done
};

// Keyvals are numbered per kind (a communicator keyval and a datatype keyval may be equal).
template <class Kind> std::unordered_map<int, PythonKeyval *> &keyvals() {
    static auto *map = new std::unordered_map<int, PythonKeyval *>();
    return *map;
}

// Keyvals freed from Python: using them again is an error MPI does not always catch (MPICH
// keeps a freed keyval working while attributes use it), so it is caught here. A number
// leaves this set when MPI hands it out again.
template <class Kind> std::unordered_set<int> &freed_keyvals() {
    static auto *set = new std::unordered_set<int>();
    return *set;
}

template <class Kind> void check_not_freed(int keyval) {
    if (freed_keyvals<Kind>().count(keyval)) throw MpiError{MPI_ERR_KEYVAL};
}

template <class Kind> PythonKeyval *python_keyval(int keyval) {
    check_not_freed<Kind>(keyval);
    auto it = keyvals<Kind>().find(keyval);
    return it == keyvals<Kind>().end() ? nullptr : it->second;
}

// The attribute value as Python sees it (borrowed for Python objects).
nb::object value_object(const PythonKeyval *kv, void *value) {
    if (kv->nopython) return nb::int_(reinterpret_cast<std::intptr_t>(value));
    return nb::borrow(static_cast<PyObject *>(value));
}

// The integer value of a nopython attribute (TypeError or OverflowError otherwise).
void *integer_value(nb::handle value) {
    if (!PyLong_Check(value.ptr()))
        throw nb::type_error("attribute values of nopython keyvals are integers");
    Py_ssize_t v = PyLong_AsSsize_t(value.ptr());
    if (v == -1 && PyErr_Occurred()) throw nb::python_error();
    return reinterpret_cast<void *>(static_cast<std::intptr_t>(v));
}

// A Python exception inside a callback cannot cross MPI: it is kept, the callback fails,
// and the MPI call that ran it raises it (errors.cpp).
template <class Kind>
int copy_attr(typename Kind::handle_type old, int keyval, void *extra, void *value_in,
              void *value_out, int *flag) {
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
            nb::object result =
                kv->copy_fn(AttrApi<Kind>::wrap(old), keyval, value_object(kv, value_in));
            if (result.ptr() != Py_NotImplemented) {
                *static_cast<void **>(value_out) =
                    kv->nopython ? integer_value(result)
                                 : static_cast<void *>(result.release().ptr());
                *flag = 1;
            }
        }
        if (*flag) ++kv->attributes;
    } catch (nb::python_error &e) {
        e.restore();
        print_callback_error();
        rc = MPI_ERR_OTHER;
    } catch (...) {
        rc = MPI_ERR_OTHER;
    }
    PyGILState_Release(gil);
    return rc;
}

// Set by a delete callback whose Python function raised. MPI runs the callback in the thread
// that called it, so Delete_attr reads it right after MPI returns.
thread_local bool delete_callback_raised = false;

// As mpi4py: the attribute goes even when the Python delete function raises (its traceback is
// printed). Delete_attr then raises ERR_OTHER; Set_attr and Free go on, so an object whose
// callback fails can still be freed.
template <class Kind>
int delete_attr(typename Kind::handle_type h, int keyval, void *value, void *extra) {
    auto *kv = static_cast<PythonKeyval *>(extra);
    if (!Py_IsInitialized()) return MPI_SUCCESS;
    PyGILState_STATE gil = PyGILState_Ensure();
    try {
        if (!kv->delete_fn.is_none())
            kv->delete_fn(AttrApi<Kind>::wrap(h), keyval, value_object(kv, value));
    } catch (nb::python_error &e) {
        e.restore();
        print_callback_error();
        delete_callback_raised = true;
    } catch (...) {
        delete_callback_raised = true;
    }
    if (!kv->nopython) Py_DECREF(static_cast<PyObject *>(value));
    if (--kv->attributes == 0 && kv->freed) delete kv;
    PyGILState_Release(gil);
    return MPI_SUCCESS;
}

// Get_attr for keyvals created from Python: true, with the stored object or None.
template <class Kind>
bool get_python_attr_of(typename Kind::handle_type h, int keyval, nb::object &out) {
    PythonKeyval *kv = python_keyval<Kind>(keyval);
    if (!kv) return false;
    void *value = nullptr;
    int flag = 0;
    check(AttrApi<Kind>::get_attr(h, keyval, &value, &flag));
    out = flag ? value_object(kv, value) : nb::none();
    return true;
}

// The keyval and attribute methods of one kind's class.
template <class Kind, class Cls> void bind_attribute_methods(Cls &cls) {
    using Api = AttrApi<Kind>;
    using T = typename Api::Class;
    static const std::string create_doc =
        std::string("Create a new attribute key for ") + Api::what + ".";
    static const std::string free_doc = std::string("Free an attribute key for ") + Api::what + ".";
    cls.def_static(
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
               int rc = Api::create_keyval(copy_attr<Kind>, delete_attr<Kind>, &keyval, kv);
               if (rc != MPI_SUCCESS) {
                   delete kv;
                   throw_mpi_error(rc);
               }
               // A keyval number MPI reuses after Free_keyval: its old state is replaced.
               keyvals<Kind>()[keyval] = kv;
               freed_keyvals<Kind>().erase(keyval);
               python_callbacks_registered = true;
               return keyval;
           },
           nb::arg("copy_fn").none() = nb::none(), nb::arg("delete_fn").none() = nb::none(),
           nb::arg("nopython") = false, create_doc.c_str())
        .def_static(
            "Free_keyval",
            [](int keyval) {
                require_active();
                check_not_freed<Kind>(keyval);
                int k = keyval;
                check(Api::free_keyval(&k));
                auto it = keyvals<Kind>().find(keyval);
                if (it != keyvals<Kind>().end()) {
                    PythonKeyval *kv = it->second;
                    keyvals<Kind>().erase(it);
                    freed_keyvals<Kind>().insert(keyval);
                    kv->freed = true;  // the callbacks' state stays while attributes use it
                    if (kv->attributes == 0) delete kv;
                }
                return k;
            },
            nb::arg("keyval"), free_doc.c_str())
        .def(
            "Set_attr",
            [](const T &self, int keyval, nb::handle attrval) {
                auto h = self.get();
                PythonKeyval *kv = python_keyval<Kind>(keyval);
                if (!kv) throw MpiError{MPI_ERR_KEYVAL};  // predefined keyvals are read-only
                void *value =
                    kv->nopython ? integer_value(attrval) : static_cast<void *>(attrval.ptr());
                if (!kv->nopython) Py_INCREF(attrval.ptr());
                int rc;
                {
                    // Replacing a value runs the delete callback of the old one.
                    ReleaseGIL nogil;
                    rc = Api::set_attr(h, keyval, value);
                }
                if (rc != MPI_SUCCESS && !kv->nopython) Py_DECREF(attrval.ptr());
                check(rc);
                ++kv->attributes;
            },
            nb::arg("keyval"), nb::arg("attrval").none(),
            "Store attribute value associated with a key.")
        .def(
            "Delete_attr",
            [](const T &self, int keyval) {
                auto h = self.get();
                check_not_freed<Kind>(keyval);
                int rc;
                delete_callback_raised = false;
                {
                    ReleaseGIL nogil;
                    rc = Api::delete_attr(h, keyval);
                }
                check(rc);
                if (std::exchange(delete_callback_raised, false)) throw MpiError{MPI_ERR_OTHER};
            },
            nb::arg("keyval"), "Delete attribute value associated with a key.");
}

}  // namespace

// Attributes a Python program set on the predefined communicators are deleted before the
// interpreter goes away: MPI_Finalize would otherwise run Python delete callbacks too late.
void delete_python_attributes() {
    if (!mpi_active) return;
    for (auto &[keyval, kv] : keyvals<CommKind>()) {
        (void)kv;
        for (MPI_Comm comm : {MPI_COMM_SELF, MPI_COMM_WORLD}) {
            void *value = nullptr;
            int flag = 0;
            if (MPI_Comm_get_attr(comm, keyval, &value, &flag) == MPI_SUCCESS && flag)
                MPI_Comm_delete_attr(comm, keyval);
        }
    }
}

bool get_python_attr(MPI_Comm comm, int keyval, nb::object &out) {
    return get_python_attr_of<CommKind>(comm, keyval, out);
}

void bind_attributes(nb::module_ &m, CommClasses &classes) {
    (void)m;
    nb::module_::import_("atexit").attr("register")(nb::cpp_function(&delete_python_attributes));
    bind_attribute_methods<CommKind>(classes.comm);

    // Datatype is bound in datatype.cpp; its attribute methods are added to it here.
    auto datatype = nb::borrow<nb::class_<Datatype>>(nb::type<Datatype>());
    bind_attribute_methods<DatatypeKind>(datatype);
    datatype.def(
        "Get_attr",
        [](const Datatype &self, int keyval) -> nb::object {
            MPI_Datatype t = self.get();
            if (nb::object python; get_python_attr_of<DatatypeKind>(t, keyval, python))
                return python;
            void *value = nullptr;
            int flag = 0;
            check(MPI_Type_get_attr(t, keyval, &value, &flag));
            if (!flag) return nb::none();
            return nb::int_(reinterpret_cast<std::intptr_t>(value));
        },
        nb::arg("keyval"), "Retrieve attribute value by key.");
}

void bind_win_attributes(nb::class_<Win> &cls) {
    bind_attribute_methods<WinKind>(cls);
    cls.def(
        "Get_attr",
        [](const Win &self, int keyval) -> nb::object {
            MPI_Win win = self.get();
            if (nb::object python; get_python_attr_of<WinKind>(win, keyval, python)) return python;
            void *value = nullptr;
            int flag = 0;
            check(MPI_Win_get_attr(win, keyval, &value, &flag));
            if (!flag) return nb::none();
            // MPI gives the base itself, and pointers to the other predefined values.
            if (keyval == MPI_WIN_SIZE) return nb::int_(*static_cast<MPI_Aint *>(value));
            if (keyval == MPI_WIN_DISP_UNIT || keyval == MPI_WIN_CREATE_FLAVOR ||
                keyval == MPI_WIN_MODEL)
                return nb::int_(*static_cast<int *>(value));
            return nb::int_(reinterpret_cast<std::intptr_t>(value));
        },
        nb::arg("keyval"), "Retrieve attribute value by key.");
}

}  // namespace mpipy
