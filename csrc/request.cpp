// Requests: Request, Prequest and Grequest, and completion (Wait/Test and their all/any/some
// forms, uppercase and lowercase) over the progress engine (core/progress).
#include "core/fastcall.hpp"
#include "core/progress.hpp"

#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <array>
#include <memory>
#include <type_traits>
#include <span>
#include <thread>
#include <tuple>

namespace mpipy {

Request::~Request() {
    if (!state || state.use_count() != 1 || !mpi_usable() || state->released) return;
    if (!state->pins_memory()) return;  // nothing of MPI's to keep: left alone, as mpi4py does
    // The state holds the handle as the last operation on any copy of this request left it.
    MPI_Request h = state->handle;
    if (state->multi_step()) {
        // An object receive that matched nothing yet is cancelled: nothing is in flight, and it
        // must not take (and lose) a message meant for a later receive.
        if (h == MPI_REQUEST_NULL && state->cancel(h)) return;
    } else if (h == MPI_REQUEST_NULL) {
        return;
    }
    if (state->persistent && h != MPI_REQUEST_NULL) {
        int flag = 0;
        if (MPI_Request_get_status(h, &flag, MPI_STATUS_IGNORE) == MPI_SUCCESS && flag) {
            MPI_Request_free(&h);  // inactive: nothing uses the buffers any more
            state->handle = MPI_REQUEST_NULL;
            return;
        }
    }
    adopt_orphan(h, std::move(state));
}

// ---------------------------------------------------------------------------------------------

namespace {

// Copies of a request (Request(other)) share its state, and the state keeps the handle as the
// last operation on any copy left it. Every operation starts by loading it (so that a copy
// never works on a handle another copy completed or freed) and ends by storing it back.
void load(Request &r) {
    if (!r.state) return;
    if (r.state->released) {  // completed or freed through a copy
        r.state.reset();
        r.handle = MPI_REQUEST_NULL;
        return;
    }
    r.handle = r.state->handle;
}
void store(Request &r) {
    if (r.state) r.state->handle = r.handle;
}
struct Synced {
    Request &r;
    explicit Synced(Request &r) : r(r) { load(r); }
    ~Synced() { store(r); }
    Synced(const Synced &) = delete;
    Synced &operator=(const Synced &) = delete;
};

Request &request_of(nb::handle obj) {
    if (!isinstance_cached<Request>(obj)) throw nb::type_error("expecting an MPI.Request");
    return *nb::inst_ptr<Request>(obj);
}

bool is_multi_step(const Request &r) { return r.state && r.state->multi_step(); }

// After MPI completed r's current operation: its result, and the state dropped unless
// the request is persistent.
nb::object finish(Request &r, const MPI_Status &status) {
    if (!r.state) return nb::none();
    std::shared_ptr<RequestState> state = r.state;
    store(r);
    if (!state->persistent) {
        state->released = true;
        r.state.reset();
    }
    return state->complete(status);
}

// MPI freed r's request in a call that failed: its state goes (a request made from a bare
// handle has none).
void release_failed(Request &r) {
    if (!r.state) return;
    store(r);
    r.state->released = true;
    r.state.reset();
}

void copy_status(MPI_Status *out, const MPI_Status &status) {
    if (out != MPI_STATUS_IGNORE) *out = status;
}

nb::object wait_one(Request &r, MPI_Status *out) {
    require_active();
    reap_orphans();
    Synced synced(r);
    MPI_Status status = status_for(out);
    if (is_multi_step(r)) {
        std::shared_ptr<RequestState> state = r.state;
        state->advance(r.handle, true, status);
    } else {
        MPI_Request &h = r.handle;
        int rc = wait_progressing(
            [&](bool &done) {
                int flag = 0, rc = MPI_Test(&h, &flag, &status);
                done = flag != 0;
                return rc;
            },
            [&] { return MPI_Wait(&h, &status); });
        if (rc != MPI_SUCCESS) {
            if (r.handle == MPI_REQUEST_NULL) release_failed(r);
            throw_mpi_error(rc);
        }
    }
    copy_status(out, status);
    return finish(r, status);
}

// (done, result)
std::pair<bool, nb::object> test_one(Request &r, MPI_Status *out) {
    require_active();
    reap_orphans();
    Synced synced(r);
    MPI_Status status = status_for(out);
    bool done;
    if (is_multi_step(r)) {
        std::shared_ptr<RequestState> state = r.state;
        done = state->advance(r.handle, false, status);
    } else {
        int flag = 0;
        int rc = MPI_Test(&r.handle, &flag, &status);
        if (rc != MPI_SUCCESS) {
            if (r.handle == MPI_REQUEST_NULL) release_failed(r);
            throw_mpi_error(rc);
        }
        done = flag != 0;
    }
    if (!done) return {false, nb::none()};
    copy_status(out, status);
    return {true, finish(r, status)};
}

// Memory for the length of one call: a stack arena that holds lists of a few dozen requests
// with their statuses, the heap beyond it. For trivially copyable items only.
class CallArena {
  public:
    CallArena() = default;
    CallArena(const CallArena &) = delete;
    CallArena &operator=(const CallArena &) = delete;
    template <class T> std::span<T> take(size_t n, const T &init = T{}) {
        static_assert(std::is_trivially_copyable_v<T> && alignof(T) <= alignof(std::max_align_t));
        const size_t start = (used_ + alignof(T) - 1) / alignof(T) * alignof(T);
        T *items;
        if (start + n * sizeof(T) <= bytes_.size()) {
            items = reinterpret_cast<T *>(bytes_.data() + start);
            used_ = start + n * sizeof(T);
        } else {
            spilled_.push_back(std::make_unique<std::byte[]>(n * sizeof(T)));
            items = reinterpret_cast<T *>(spilled_.back().get());
        }
        std::uninitialized_fill_n(items, n, init);
        return {items, n};
    }

  private:
    alignas(std::max_align_t) std::array<std::byte, 4096> bytes_;
    size_t used_ = 0;
    std::vector<std::unique_ptr<std::byte[]>> spilled_;
};

// The requests of a Python sequence, and their MPI handles side by side.
struct RequestList {
    CallArena arena;
    std::span<Request *> requests;
    std::span<MPI_Request> handles;
    bool any_multi_step = false;

    explicit RequestList(nb::handle seq) {
        nb::object fast = nb::steal(PySequence_Fast(seq.ptr(), "requests must be a sequence"));
        if (!fast) throw nb::python_error();
        const size_t n = static_cast<size_t>(PySequence_Fast_GET_SIZE(fast.ptr()));
        PyObject **items = PySequence_Fast_ITEMS(fast.ptr());
        requests = arena.take<Request *>(n, nullptr);
        handles = arena.take<MPI_Request>(n, MPI_REQUEST_NULL);
        for (size_t i = 0; i < n; ++i) {
            Request &r = request_of(items[i]);
            load(r);
            requests[i] = &r;
            handles[i] = r.handle;
            any_multi_step |= is_multi_step(r);
        }
    }
    size_t size() const { return requests.size(); }
    // n items for the length of the call.
    template <class T> std::span<T> scratch(size_t n, const T &init = T{}) {
        return arena.take<T>(n, init);
    }
    void write_back() {
        for (size_t i = 0; i < requests.size(); ++i) {
            requests[i]->handle = handles[i];
            store(*requests[i]);
        }
    }
};

// Where the *all/*some functions write n statuses: nowhere for None; else the items of a
// sequence of Status objects, a list being first extended with new ones up to n (other
// sequences get as many as they hold).
std::span<MPI_Status *> statuses_arg(nb::handle statuses, size_t n, RequestList &list) {
    std::span<MPI_Status *> out = list.scratch<MPI_Status *>(n, MPI_STATUS_IGNORE);
    if (statuses.is_none()) return out;
    if (PyList_Check(statuses.ptr())) {
        nb::list list = nb::borrow<nb::list>(statuses);
        while (list.size() < n) list.append(nb::cast(Status()));
    }
    nb::object seq = nb::steal(
        PySequence_Fast(statuses.ptr(), "statuses must be a sequence of MPI.Status or None"));
    if (!seq) throw nb::python_error();
    const size_t m = std::min(n, static_cast<size_t>(PySequence_Fast_GET_SIZE(seq.ptr())));
    for (size_t i = 0; i < m; ++i) {
        nb::handle item = PySequence_Fast_GET_ITEM(seq.ptr(), static_cast<Py_ssize_t>(i));
        if (!nb::isinstance<Status>(item))
            throw nb::type_error("statuses must be a sequence of MPI.Status or None");
        out[i] = &nb::inst_ptr<Status>(item)->status;
    }
    return out;
}

// After every request of the list completed: their statuses copied out, their results.
// (Waitall and Testall, uppercase, drop the results: `collect` false gives None.)
nb::object finish_all(RequestList &list, std::span<MPI_Status *const> outs,
                      std::span<const MPI_Status> st, bool collect) {
    nb::object results = collect ? nb::object(nb::list()) : nb::none();
    for (size_t i = 0; i < list.size(); ++i) {
        copy_status(outs[i], st[i]);
        nb::object result = finish(*list.requests[i], st[i]);
        if (collect && PyList_Append(results.ptr(), result.ptr()) < 0) throw nb::python_error();
    }
    return results;
}

nb::object wait_all(nb::handle requests, nb::handle statuses, bool collect = true) {
    require_active();
    reap_orphans();
    RequestList list(requests);
    const size_t n = list.size();
    auto outs = statuses_arg(statuses, n, list);
    nb::list results;
    if (list.any_multi_step) {
        // Poll the multi-step ones together until they are all done: a plain request (a send
        // to this very process, say) may complete only once one of them has progressed. Then
        // MPI alone completes the rest.
        std::vector<nb::object> done(n);
        PollPause pause;
        for (;;) {
            bool pending = false;
            for (size_t i = 0; i < n; ++i) {
                Request &r = *list.requests[i];
                if (done[i].is_valid() || !is_multi_step(r)) continue;
                auto [complete, result] = test_one(r, outs[i]);
                if (complete)
                    done[i] = result;
                else
                    pending = true;
            }
            if (!pending) break;
            pause();
        }
        for (size_t i = 0; i < n; ++i)
            results.append(done[i].is_valid() ? done[i] : wait_one(*list.requests[i], outs[i]));
        return results;
    }
    auto st = list.scratch<MPI_Status>(n);
    bool done;
    int rc = complete_all(static_cast<int>(n), list.handles.data(), st.data(), true, done);
    list.write_back();
    check(rc);
    return finish_all(list, outs, st, collect);
}

std::pair<bool, nb::object> test_all(nb::handle requests, nb::handle statuses,
                                     bool collect = true) {
    require_active();
    reap_orphans();
    RequestList list(requests);
    const size_t n = list.size();
    auto outs = statuses_arg(statuses, n, list);
    if (list.any_multi_step) {  // advance every step-wise request, then test the rest
        bool all = true;
        for (size_t i = 0; i < n; ++i) {
            Request &r = *list.requests[i];
            if (is_multi_step(r)) {
                MPI_Status st = status_for(MPI_STATUS_IGNORE);
                std::shared_ptr<RequestState> state = r.state;
                all &= state->advance(r.handle, false, st);
                store(r);
            } else {
                int flag = 0;
                if (r.handle != MPI_REQUEST_NULL)
                    check(MPI_Request_get_status(r.handle, &flag, MPI_STATUS_IGNORE));
                else
                    flag = 1;
                all &= flag != 0;
            }
        }
        if (!all) return {false, nb::none()};
        return {true, wait_all(requests, statuses, collect)};
    }
    auto st = list.scratch<MPI_Status>(n);
    bool done;
    int rc = complete_all(static_cast<int>(n), list.handles.data(), st.data(), false, done);
    list.write_back();
    check(rc);
    if (!done) return {false, nb::none()};
    return {true, finish_all(list, outs, st, collect)};
}

// (index, flag, result); index UNDEFINED when no request is active.
std::tuple<int, bool, nb::object> test_any(nb::handle requests, nb::handle status, bool blocking) {
    require_active();
    reap_orphans();
    RequestList list(requests);
    MPI_Status *out = status_arg(status);
    const int n = static_cast<int>(list.size());
    if (list.any_multi_step) {
        PollPause pause;
        for (;;) {
            bool any_active = false;
            for (int i = 0; i < n; ++i) {
                Request &r = *list.requests[i];
                if (r.handle == MPI_REQUEST_NULL && !is_multi_step(r)) continue;
                any_active = true;
                auto [done, result] = test_one(r, out);
                if (done) return {i, true, result};
            }
            if (!any_active) {
                copy_status(out, Status().status);  // the empty status, as MPI gives
                return {MPI_UNDEFINED, true, nb::none()};
            }
            if (!blocking) return {MPI_UNDEFINED, false, nb::none()};
            pause();
        }
    }
    MPI_Status st = status_for(out);
    int index = MPI_UNDEFINED, flag = 0, rc;
    if (blocking) {
        MPI_Request *handles = list.handles.data();
        rc = wait_progressing(
            [&](bool &done) {
                int rc = MPI_Testany(n, handles, &index, &flag, &st);
                done = flag != 0;
                return rc;
            },
            [&] { return MPI_Waitany(n, handles, &index, &st); });
        flag = 1;
    } else {
        rc = MPI_Testany(n, list.handles.data(), &index, &flag, &st);
    }
    list.write_back();
    if (rc != MPI_SUCCESS) throw_mpi_error(rc);
    if (index == MPI_UNDEFINED) return {MPI_UNDEFINED, flag != 0, nb::none()};
    copy_status(out, st);
    return {index, true, finish(*list.requests[index], st)};
}

// (indices or None, results or None)
std::pair<nb::object, nb::object> test_some(nb::handle requests, nb::handle statuses,
                                            bool blocking) {
    require_active();
    reap_orphans();
    RequestList list(requests);
    const int n = static_cast<int>(list.size());
    if (list.any_multi_step) {  // test each active request, until some are done
        PollPause pause;
        for (;;) {
            bool any_active = false;
            nb::list indices, results;
            std::vector<MPI_Status> done;
            for (int i = 0; i < n; ++i) {
                Request &r = *list.requests[i];
                if (r.handle == MPI_REQUEST_NULL && !is_multi_step(r)) continue;
                any_active = true;
                MPI_Status st = Status().status;
                auto [complete, result] = test_one(r, &st);
                if (!complete) continue;
                indices.append(i);
                results.append(result);
                done.push_back(st);
            }
            if (!any_active) return {nb::none(), nb::none()};
            if (!done.empty() || !blocking) {
                auto outs = statuses_arg(statuses, done.size(), list);
                for (size_t k = 0; k < done.size(); ++k) copy_status(outs[k], done[k]);
                return {indices, results};
            }
            pause();
        }
    }
    auto indices = list.scratch<int>(n);
    auto st = list.scratch<MPI_Status>(n);
    int outcount = 0;
    MPI_Request *handles = list.handles.data();
    // An MPI_ERR_IN_STATUS is decoded over the statuses of the completed requests.
    auto decoded = [&](int rc) {
        return error_in_status(rc, st.data(), outcount > 0 ? static_cast<size_t>(outcount) : 0);
    };
    auto test = [&](bool &done) {
        int rc = decoded(MPI_Testsome(n, handles, &outcount, indices.data(), st.data()));
        done = outcount != 0;
        return rc;
    };
    int rc;
    if (blocking) {
        auto block = [&] { return MPI_Waitsome(n, handles, &outcount, indices.data(), st.data()); };
        rc = decoded(wait_progressing(test, block));
    } else {
        bool done = false;
        rc = test(done);
    }
    list.write_back();
    check(rc);
    if (outcount == MPI_UNDEFINED) return {nb::none(), nb::none()};
    auto outs = statuses_arg(statuses, outcount, list);
    nb::list index_list, results;
    for (int k = 0; k < outcount; ++k) {
        copy_status(outs[k], st[k]);
        index_list.append(indices[k]);
        results.append(finish(*list.requests[indices[k]], st[k]));
    }
    return {index_list, results};
}

bool get_status_one(Request &r, MPI_Status *out) {
    require_active();
    Synced synced(r);
    if (is_multi_step(r)) {
        MPI_Status st = status_for(out);
        std::shared_ptr<RequestState> state = r.state;
        bool done = state->advance(r.handle, false, st);
        if (done) copy_status(out, st);
        return done;
    }
    if (r.handle == MPI_REQUEST_NULL) {  // the empty status (Open MPI leaves MPI_ERROR alone)
        copy_status(out, Status().status);
        return true;
    }
    int flag = 0;
    check(MPI_Request_get_status(r.handle, &flag, out));
    return flag != 0;
}

void free_request(Request &r) {
    require_active();
    Synced synced(r);
    if (r.state && r.state->multi_step() && r.handle == MPI_REQUEST_NULL &&
        r.state->cancel(r.handle)) {  // an object receive that matched nothing: just drop it
        r.state->released = true;
        r.state.reset();
        return;
    }
    if (r.state && (r.state->multi_step() || r.handle != MPI_REQUEST_NULL)) {
        int flag = 0;
        if (!r.state->multi_step() && r.state->pins_memory())
            check(MPI_Request_get_status(r.handle, &flag, MPI_STATUS_IGNORE));
        if (!flag && r.state->pins_memory()) {  // MPI may still use the memory: keep it
            adopt_orphan(r.handle, std::move(r.state));
            r.handle = MPI_REQUEST_NULL;
            return;
        }
    }
    if (r.handle == MPI_REQUEST_NULL) throw_null_handle(MPI_ERR_REQUEST, "Request");
    check(MPI_Request_free(&r.handle));
    if (r.state) {
        store(r);
        r.state->released = true;
        r.state.reset();
    }
}

// Prequest and Grequest: constructed from a null request or one of their own class (a plain
// Request cannot become persistent). fromhandle/f2py/fromint are the handle template's
// classmethods, which make objects of the class they are called on.
template <class T> void bind_request_subclass(nb::class_<T, Request> &cls) {
    // One signature (request=None), not an overload set: the docstring of an overloaded
    // function opens with every signature, which is not mpi4py's one-line summary.
    cls.def(
        "__init__",
        [](T *self, nb::handle other) {
            if (other.is_none()) {
                new (self) T();
                return;
            }
            if (!nb::isinstance<Request>(other)) throw nb::type_error("expecting an MPI.Request");
            const Request &from = *nb::inst_ptr<Request>(other);
            if (from.handle != MPI_REQUEST_NULL && !nb::isinstance<T>(other))
                throw nb::type_error(("expecting a null request or an MPI." +
                                      nb::cast<std::string>(nb::type<T>().attr("__name__")))
                                         .c_str());
            new (self) T();
            self->handle = from.handle;
            self->copy_extra(from);
        },
        nb::arg("request").none() = nb::none());
}

}  // namespace

bool Request::in_flight() {
    load(*this);
    return handle != MPI_REQUEST_NULL || is_multi_step(*this);
}

namespace {

// The per-message methods, named for their fast entries (core/fastcall.hpp). self_as: see
// core.hpp.
bool request_Wait(nb::handle self, nb::handle status) {
    wait_one(self_as<Request>(self), status_arg(status));
    return true;
}
bool request_Test(nb::handle self, nb::handle status) {
    return test_one(self_as<Request>(self), status_arg(status)).first;
}
nb::object request_wait(nb::handle self, nb::handle status) {
    return wait_one(self_as<Request>(self), status_arg(status));
}
nb::tuple request_test(nb::handle self, nb::handle status) {
    auto [done, result] = test_one(self_as<Request>(self), status_arg(status));
    return nb::make_tuple(done, result);
}
bool request_Waitall(nb::handle requests, nb::handle statuses) {
    wait_all(requests, statuses, false);
    return true;
}
bool request_Testall(nb::handle requests, nb::handle statuses) {
    return test_all(requests, statuses, false).first;
}
int request_Waitany(nb::handle requests, nb::handle status) {
    return std::get<0>(test_any(requests, status, true));
}
std::tuple<int, bool> request_Testany(nb::handle requests, nb::handle status) {
    auto [index, flag, result] = test_any(requests, status, false);
    return {index, flag};
}
void prequest_Startall(nb::handle requests) {
    require_active();
    RequestList list(requests);
    for (MPI_Request h : list.handles)
        if (h == MPI_REQUEST_NULL) throw_null_handle(MPI_ERR_REQUEST, "Prequest");
    check(MPI_Startall(static_cast<int>(list.size()), list.handles.data()));
    list.write_back();
    for (Request *r : list.requests)
        if (r->state && r->state->notify_start) r->state->started();
}
void prequest_Start(nb::handle self) {
    Request &r = self_as<Request>(self);
    require_active();
    Synced synced(r);
    if (r.handle == MPI_REQUEST_NULL) throw_null_handle(MPI_ERR_REQUEST, "Prequest");
    check(MPI_Start(&r.handle));
    if (r.state && r.state->notify_start) r.state->started();
}

}  // namespace

void bind_request(nb::module_ &m) {
    nb::class_<Request> cls(m, "Request", "Request handler.");
    enable_weak_references(cls);
    bind_handle_protocol(cls);
    fastcall::def<&request_Wait>(cls, "Wait", nb::arg("status") = nb::none(),
                                 "Wait for a non-blocking operation to complete.");
    fastcall::def<&request_Test>(cls, "Test", nb::arg("status") = nb::none(),
                                 "Test for the completion of a non-blocking operation.");
    cls.def(
           "Get_status",
           [](Request &r, nb::handle status) { return get_status_one(r, status_arg(status)); },
           nb::arg("status") = nb::none(), "Non-destructive test for the completion of a request.")
        .def(
            "Cancel",
            [](Request &r) {
                require_active();
                Synced synced(r);
                if (r.state && r.state->cancel(r.handle)) return;
                if (r.handle == MPI_REQUEST_NULL) {
                    if (is_multi_step(r)) return;  // nothing in flight
                    throw_null_handle(MPI_ERR_REQUEST, "Request");
                }
                check(MPI_Cancel(&r.handle));
            },
            "Cancel a request.")
        .def("Free", &free_request, "Free a communication request.");
    fastcall::def<&request_wait>(cls, "wait", nb::arg("status") = nb::none(),
                                 "Wait for a non-blocking operation to complete.");
    fastcall::def<&request_test>(cls, "test", nb::arg("status") = nb::none(),
                                 "Test for the completion of a non-blocking operation.");
    cls.def(
           "get_status",
           [](Request &r, nb::handle status) { return get_status_one(r, status_arg(status)); },
           nb::arg("status") = nb::none(), "Non-destructive test for the completion of a request.")
        .def("cancel", [](nb::handle self) { self.attr("Cancel")(); }, "Cancel a request.");
    fastcall::def_static<&request_Waitall>(
        cls, "Waitall", nb::arg("requests"), nb::arg("statuses") = nb::none(),
        "Wait for all previously initiated requests to complete.");
    fastcall::def_static<&request_Testall>(
        cls, "Testall", nb::arg("requests"), nb::arg("statuses") = nb::none(),
        "Test for completion of all previously initiated requests.");
    fastcall::def_static<&request_Waitany>(
        cls, "Waitany", nb::arg("requests"), nb::arg("status") = nb::none(),
        "Wait for any previously initiated request to complete.");
    fastcall::def_static<&request_Testany>(
        cls, "Testany", nb::arg("requests"), nb::arg("status") = nb::none(),
        "Test for completion of any previously initiated request.");
    cls.def_static(
           "Waitsome",
           [](nb::handle requests, nb::handle statuses) {
               return test_some(requests, statuses, true).first;
           },
           nb::arg("requests"), nb::arg("statuses") = nb::none(),
           "Wait for some previously initiated requests to complete.")
        .def_static(
            "Testsome",
            [](nb::handle requests, nb::handle statuses) {
                return test_some(requests, statuses, false).first;
            },
            nb::arg("requests"), nb::arg("statuses") = nb::none(),
            "Test for completion of some previously initiated requests.")
        .def_static(
            "Get_status_all",
            [](nb::handle requests, nb::handle statuses) {
                RequestList list(requests);
                auto outs = statuses_arg(statuses, list.size(), list);
                bool all = true;
                for (size_t i = 0; i < list.size(); ++i)
                    all &= get_status_one(*list.requests[i], outs[i]);
                return all;
            },
            nb::arg("requests"), nb::arg("statuses") = nb::none(),
            "Access the status of all requests, without completing them.")
        .def_static(
            "Get_status_any",
            [](nb::handle requests, nb::handle status) {
                RequestList list(requests);
                MPI_Status *out = status_arg(status);
                bool any_active = false;
                for (size_t i = 0; i < list.size(); ++i) {
                    Request &r = *list.requests[i];
                    if (r.handle == MPI_REQUEST_NULL && !is_multi_step(r)) continue;
                    any_active = true;
                    if (get_status_one(r, out)) return std::make_tuple(int(i), true);
                }
                if (!any_active) copy_status(out, Status().status);  // as MPI would
                return std::make_tuple(int(MPI_UNDEFINED), !any_active);
            },
            nb::arg("requests"), nb::arg("status") = nb::none(),
            "Access the status of any active request, without completing it.")
        .def_static(
            "Get_status_some",
            [](nb::handle requests, nb::handle statuses) -> nb::object {
                RequestList list(requests);
                nb::list indices;
                bool any_active = false;
                for (size_t i = 0; i < list.size(); ++i) {
                    Request &r = *list.requests[i];
                    if (r.handle == MPI_REQUEST_NULL && !is_multi_step(r)) continue;
                    any_active = true;
                    if (get_status_one(r, MPI_STATUS_IGNORE)) indices.append(i);
                }
                if (!any_active) return nb::none();
                auto outs = statuses_arg(statuses, indices.size(), list);
                for (size_t k = 0; k < indices.size(); ++k)
                    get_status_one(*list.requests[nb::cast<size_t>(indices[k])], outs[k]);
                return indices;
            },
            nb::arg("requests"), nb::arg("statuses") = nb::none(),
            "Access the status of some requests, without completing them.")
        .def_static(
            "waitall",
            [](nb::handle requests, nb::handle statuses) {
                return nb::borrow<nb::list>(wait_all(requests, statuses));
            },
            nb::arg("requests"), nb::arg("statuses") = nb::none(),
            "Wait for all previously initiated requests to complete.")
        .def_static(
            "testall",
            [](nb::handle requests, nb::handle statuses) {
                auto [done, results] = test_all(requests, statuses);
                return nb::make_tuple(done, results);
            },
            nb::arg("requests"), nb::arg("statuses") = nb::none(),
            "Test for completion of all previously initiated requests.")
        .def_static(
            "waitany",
            [](nb::handle requests, nb::handle status) {
                auto [index, flag, result] = test_any(requests, status, true);
                return nb::make_tuple(index, result);
            },
            nb::arg("requests"), nb::arg("status") = nb::none(),
            "Wait for any previously initiated request to complete.")
        .def_static(
            "testany",
            [](nb::handle requests, nb::handle status) {
                auto [index, flag, result] = test_any(requests, status, false);
                return nb::make_tuple(index, flag, result);
            },
            nb::arg("requests"), nb::arg("status") = nb::none(),
            "Test for completion of any previously initiated request.")
        .def_static(
            "waitsome",
            [](nb::handle requests, nb::handle statuses) {
                auto [indices, results] = test_some(requests, statuses, true);
                return nb::make_tuple(indices, results);
            },
            nb::arg("requests"), nb::arg("statuses") = nb::none(),
            "Wait for some previously initiated requests to complete.")
        .def_static(
            "testsome",
            [](nb::handle requests, nb::handle statuses) {
                auto [indices, results] = test_some(requests, statuses, false);
                return nb::make_tuple(indices, results);
            },
            nb::arg("requests"), nb::arg("statuses") = nb::none(),
            "Test for completion of some previously initiated requests.")
        .def_static(
            "get_status_all",
            [](nb::handle requests, nb::handle statuses) {
                return nb::type<Request>().attr("Get_status_all")(requests, statuses);
            },
            nb::arg("requests"), nb::arg("statuses") = nb::none(),
            "Access the status of all requests, without completing them.")
        .def_static(
            "get_status_any",
            [](nb::handle requests, nb::handle status) {
                return nb::type<Request>().attr("Get_status_any")(requests, status);
            },
            nb::arg("requests"), nb::arg("status") = nb::none(),
            "Access the status of any active request, without completing it.")
        .def_static(
            "get_status_some",
            [](nb::handle requests, nb::handle statuses) {
                return nb::type<Request>().attr("Get_status_some")(requests, statuses);
            },
            nb::arg("requests"), nb::arg("statuses") = nb::none(),
            "Access the status of some requests, without completing them.");

    nb::class_<Prequest, Request> prequest(m, "Prequest", "Persistent request handler.");
    enable_weak_references(prequest);
    bind_request_subclass(prequest);
    fastcall::def<&prequest_Start>(prequest, "Start",
                                   "Initiate a communication with a persistent request.");
    fastcall::def_static<&prequest_Startall>(prequest, "Startall", nb::arg("requests"),
                                             "Start a collection of persistent requests.");
    nb::class_<Grequest, Request> grequest(m, "Grequest", "Generalized request handler.");
    enable_weak_references(grequest);
    bind_request_subclass(grequest);
    add_constant<Request>(m, "REQUEST_NULL", MPI_REQUEST_NULL);
}

}  // namespace mpipy
