// Generalized requests: Grequest.Start with Python query, free and cancel functions that MPI
// calls back, and Complete/complete, by which the program says the operation is done.
#include "core/progress.hpp"

#include <climits>
#include <unordered_map>

namespace mpipy {

namespace {

// What lowercase wait/test give back (the object handed to complete), and what the MPI call
// completing the request must still report. Copies of the Python request share it.
struct GrequestState : RequestState {
    bool completed = false;        // Complete was called: a second call crashes Open MPI
    int free_error = MPI_SUCCESS;  // free_fn failed (Open MPI drops the error: raised here)
    nb::object result;
    bool pins_memory() const override { return false; }
    nb::object complete(const MPI_Status &) override {
        if (free_error != MPI_SUCCESS) {
            const int code = free_error;
            free_error = MPI_SUCCESS;
            throw MpiError{code};
        }
        nb::object value = result.is_valid() ? std::move(result) : nb::none();
        result = nb::object();
        return value;
    }
};

// The extra state MPI hands to the C callbacks: the Python functions and their extra
// arguments. MPI owns it from MPI_Grequest_start until it calls free_fn, which deletes it.
struct Callbacks {
    nb::object query_fn, free_fn, cancel_fn;
    nb::object args;    // a tuple
    nb::object kwargs;  // a dict
    std::shared_ptr<GrequestState> state;
    MPI_Request handle = MPI_REQUEST_NULL;
};

// The generalized requests started here and not freed yet, by handle: Complete finds their
// state even through a copy made from the bare handle. Touched with the GIL held.
std::unordered_map<std::intptr_t, Callbacks *> &live() {
    static auto &table = *new std::unordered_map<std::intptr_t, Callbacks *>;
    return table;
}

// A Python function raised inside a callback (GIL held, error set): as mpi4py, its traceback
// goes to sys.stderr and MPI gets the error code of an MPI.Exception, else MPI_ERR_OTHER; the
// MPI call that ran the callback then fails with it.
int callback_failed() {
    int code = MPI_ERR_OTHER;
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    try {
        nb::object mpi_exception = module_constant("Exception");
        if (value && PyObject_IsInstance(value, mpi_exception.ptr()) == 1) {
            const long c = PyLong_AsLong(nb::int_(nb::handle(value)).ptr());
            if (c > MPI_SUCCESS && c <= INT_MAX) code = static_cast<int>(c);
        }
    } catch (...) {
    }
    PyErr_Clear();
    PyErr_Restore(type, value, traceback);
    print_callback_error();
    return code;
}

// fn(first, *args, **kwargs), or fn(*args, **kwargs) without `first`; the MPI error code.
int call(const Callbacks &cb, nb::handle fn, nb::handle first) {
    nb::object call_args;
    if (first.is_valid()) {
        nb::object head = nb::make_tuple(first);
        call_args = nb::steal(PySequence_Concat(head.ptr(), cb.args.ptr()));
    } else {
        call_args = cb.args;
    }
    if (!call_args) return callback_failed();
    nb::object result = nb::steal(PyObject_Call(fn.ptr(), call_args.ptr(), cb.kwargs.ptr()));
    return result ? MPI_SUCCESS : callback_failed();
}

// The C callbacks MPI calls (from any thread: they take the GIL). Nothing may throw across
// MPI's frames.
int query_callback(void *extra, MPI_Status *status) {
    auto *cb = static_cast<Callbacks *>(extra);
    if (!cb || !status || !Py_IsInitialized()) return MPI_ERR_INTERN;
    // What the status says when query_fn says nothing: an empty one.
    status->MPI_SOURCE = MPI_ANY_SOURCE;
    status->MPI_TAG = MPI_ANY_TAG;
    status->MPI_ERROR = MPI_SUCCESS;
    MPI_Status_set_elements_x(status, MPI_BYTE, 0);
    MPI_Status_set_cancelled(status, 0);
    if (cb->query_fn.is_none()) return MPI_SUCCESS;
    PyGILState_STATE gil = PyGILState_Ensure();
    int rc = MPI_SUCCESS;
    try {
        nb::object py_status = nb::cast(Status());
        nb::inst_ptr<Status>(py_status)->status = *status;
        rc = call(*cb, cb->query_fn, py_status);
        if (rc == MPI_SUCCESS) {
            *status = nb::inst_ptr<Status>(py_status)->status;
            // Without a cancel function nothing was cancelled, whatever query_fn says.
            if (cb->cancel_fn.is_none()) MPI_Status_set_cancelled(status, 0);
        }
    } catch (...) {
        rc = MPI_ERR_OTHER;
    }
    PyGILState_Release(gil);
    return rc;
}

int free_callback(void *extra) {
    auto *cb = static_cast<Callbacks *>(extra);
    if (!cb || !Py_IsInitialized()) return MPI_SUCCESS;  // at exit: nothing left to free
    PyGILState_STATE gil = PyGILState_Ensure();
    int rc = MPI_SUCCESS;
    try {
        if (!cb->free_fn.is_none()) rc = call(*cb, cb->free_fn, nb::handle());
    } catch (...) {
        rc = MPI_ERR_OTHER;
    }
    live().erase(handle_to_int(cb->handle));
    if (rc != MPI_SUCCESS && cb->state) cb->state->free_error = rc;
    delete cb;
    PyGILState_Release(gil);
    return rc;
}

int cancel_callback(void *extra, int completed) {
    auto *cb = static_cast<Callbacks *>(extra);
    if (!cb || !Py_IsInitialized()) return MPI_ERR_INTERN;
    if (cb->cancel_fn.is_none()) return MPI_SUCCESS;
    PyGILState_STATE gil = PyGILState_Ensure();
    int rc = MPI_SUCCESS;
    try {
        rc = call(*cb, cb->cancel_fn, completed ? Py_True : Py_False);
    } catch (...) {
        rc = MPI_ERR_OTHER;
    }
    PyGILState_Release(gil);
    return rc;
}

// tuple(args) and dict(kwargs), as Python would make them (TypeError for non-iterables).
nb::object as_tuple(nb::handle args) {
    if (args.is_none()) return nb::tuple();
    nb::object t = nb::steal(PySequence_Tuple(args.ptr()));
    if (!t) throw nb::python_error();
    return t;
}
nb::object as_dict(nb::handle kwargs) {
    if (kwargs.is_none()) return nb::dict();
    nb::object d =
        nb::steal(PyObject_CallOneArg(reinterpret_cast<PyObject *>(&PyDict_Type), kwargs.ptr()));
    if (!d) throw nb::python_error();
    return d;
}

nb::object start(nb::handle, nb::handle query_fn, nb::handle free_fn, nb::handle cancel_fn,
                 nb::handle args, nb::handle kwargs) {
    require_active();
    auto cb = std::make_unique<Callbacks>();
    cb->query_fn = nb::borrow(query_fn);
    cb->free_fn = nb::borrow(free_fn);
    cb->cancel_fn = nb::borrow(cancel_fn);
    cb->args = as_tuple(args);
    cb->kwargs = as_dict(kwargs);
    auto state = new_request_state<GrequestState>();
    cb->state = state;
    python_callbacks_registered = true;  // MPI calls Python from inside Wait/Test from now on
    MPI_Request h = MPI_REQUEST_NULL;
    check(MPI_Grequest_start(query_callback, free_callback, cancel_callback, cb.get(), &h));
    cb->handle = h;
    live()[handle_to_int(h)] = cb.release();
    nb::object obj = new_handle<Grequest>(h);
    state->handle = h;
    nb::inst_ptr<Request>(obj)->state = std::move(state);
    return obj;
}

// The handle of a generalized request, null once completed and waited for (or freed). A
// request made from the bare handle of one started here gets its state, shared from now on.
MPI_Request current_handle(Request &r) {
    if (r.state && r.state->released) {  // completed or freed through a copy
        r.state.reset();
        r.handle = MPI_REQUEST_NULL;
    }
    if (!r.state && r.handle != MPI_REQUEST_NULL) {
        auto found = live().find(handle_to_int(r.handle));
        if (found != live().end() && found->second->state->handle == r.handle)
            r.state = found->second->state;
    }
    return r.state ? r.state->handle : r.handle;
}

void complete_request(nb::handle self) {
    Request &r = self_as<Grequest>(self);
    require_active();
    const MPI_Request h = current_handle(r);
    if (h == MPI_REQUEST_NULL) throw_null_handle(MPI_ERR_REQUEST, "Grequest");
    auto found = live().find(handle_to_int(h));
    // Completing twice is erroneous: MPICH then fails in Wait, Open MPI crashes.
    GrequestState *state = found != live().end() ? found->second->state.get() : nullptr;
    if (state) {
        if (state->completed) throw MpiError{MPI_ERR_REQUEST};
        state->completed = true;
    }
    int rc;
    {
        ReleaseGIL nogil;  // a thread waiting for this request runs query_fn as it completes
        rc = MPI_Grequest_complete(h);
    }
    if (rc != MPI_SUCCESS && state && live().count(handle_to_int(h))) state->completed = false;
    check(rc);
}

}  // namespace

void bind_grequest(nb::module_ &) {
    nb::handle cls = nb::type<Grequest>();
    def_classmethod(cls, "Start", &start, nb::arg("query_fn").none() = nb::none(),
                    nb::arg("free_fn").none() = nb::none(),
                    nb::arg("cancel_fn").none() = nb::none(), nb::arg("args").none() = nb::none(),
                    nb::arg("kwargs").none() = nb::none(),
                    "Create and return a user-defined request.");
    nb::cpp_function_def(&complete_request, nb::scope(cls), nb::name("Complete"), nb::is_method(),
                         "Notify that a user-defined request is complete.");
    nb::cpp_function_def(
        [](nb::handle self, nb::handle obj) {
            Request &r = self_as<Grequest>(self);
            require_active();
            const MPI_Request h = current_handle(r);
            auto state = std::dynamic_pointer_cast<GrequestState>(r.state);
            if (h != MPI_REQUEST_NULL && state && !state->completed)
                state->result = nb::borrow(obj);  // what wait and test give back
            complete_request(self);
        },
        nb::scope(cls), nb::name("complete"), nb::is_method(), nb::arg("obj").none() = nb::none(),
        "Notify that a user-defined request is complete.");
}

}  // namespace mpipy
