// The progress engine (see progress.hpp): orphans, the receives polled by blocking waits, and
// completion of several requests at once.
#include "progress.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace mpipy {

// ---------------------------------------------------------------------------------------------
// Requests dropped (or freed) while MPI may still write to their memory stay here, with
// their buffers pinned, until MPI completes them.

namespace {

struct Orphan {
    MPI_Request handle;
    std::shared_ptr<RequestState> state;
};
// Never destroyed: requests still pending when the process ends hold Python objects (buffers,
// specs), which a static destructor would release after Python has finalized (a fatal error).
std::vector<Orphan> &orphans = *new std::vector<Orphan>;
bool reaping = false;  // reap_orphans is running (it may run Python code, even other threads)

// Receives that only mpipy can progress (see below).
std::vector<std::weak_ptr<RequestState>> pollables;
bool polling = false;

void update_engine_idle() { engine_idle = orphans.empty() && pollables.empty(); }

// Drive one request without blocking; true once MPI has completed it.
bool poll(MPI_Request &h, RequestState *state, MPI_Status &status) {
    if (state && state->multi_step()) return state->advance(h, false, status);
    int flag = 0;
    if (h == MPI_REQUEST_NULL) return true;
    check(MPI_Test(&h, &flag, &status));
    return flag != 0;
}

}  // namespace

bool engine_idle = true;

void adopt_orphan(MPI_Request h, std::shared_ptr<RequestState> state) {
    engine_idle = false;
    state->released = true;
    state->handle = MPI_REQUEST_NULL;
    orphans.push_back({h, std::move(state)});
}

void reap_orphans_now() {
    if (orphans.empty() || !mpi_usable() || reaping) return;
    reaping = true;
    // Work on a list of our own: polling and releasing buffers can run Python code that drops
    // more requests (adopted into `orphans` meanwhile).
    std::vector<Orphan> pending;
    pending.swap(orphans);
    for (size_t i = 0; i < pending.size();) {
        Orphan &o = pending[i];
        MPI_Status status;
        bool done = false;
        try {
            done = poll(o.handle, o.state.get(), status);
        } catch (...) {
            done = true;  // failed requests no longer use their memory
        }
        if (done) {
            if (o.handle != MPI_REQUEST_NULL) MPI_Request_free(&o.handle);  // persistent
            pending[i] = std::move(pending.back());
            pending.pop_back();
        } else {
            ++i;
        }
    }
    for (Orphan &o : orphans) pending.push_back(std::move(o));
    orphans.swap(pending);
    reaping = false;
    update_engine_idle();
    pending.clear();  // (now the list of nothing) outside the guarded section
}

// ---------------------------------------------------------------------------------------------
// Receives that only mpipy can progress, polled by every blocking wait while they are pending.

void add_pollable(const std::shared_ptr<RequestState> &state) {
    engine_idle = false;
    pollables.push_back(state);
}

bool claimed_earlier(MPI_Comm comm, int source, int tag, const RequestState *self) {
    for (const auto &weak : pollables) {
        auto state = weak.lock();
        if (!state || state->released) continue;
        if (state.get() == self) return false;
        if (state->claims(comm, source, tag)) return true;
    }
    return false;
}

bool poll_engine(const RequestState *self) {
    reap_orphans_now();
    if (pollables.empty() || !mpi_usable()) return false;
    if (polling) return true;  // another wait (maybe in another thread) is polling them now
    polling = true;
    std::vector<std::shared_ptr<RequestState>> live;  // polling may add (or drop) requests
    live.reserve(pollables.size());
    for (const auto &weak : pollables)
        if (auto state = weak.lock(); state && !state->released && state->needs_polling())
            live.push_back(std::move(state));
    bool waiting = false;
    for (const auto &state : live) {
        if (!state->busy) state->poll();
        waiting |=
            state.get() != self && !state->busy && !state->released && state->needs_polling();
    }
    std::erase_if(pollables, [](const std::weak_ptr<RequestState> &weak) {
        auto state = weak.lock();
        return !state || state->released || !state->needs_polling();
    });
    polling = false;
    update_engine_idle();
    return waiting;
}

bool wait_with_backoff = false;

void PollPause::operator()() {
    // Yielding first keeps short waits short; sleeping then stops an idle wait from taking a
    // core, at the cost of up to a millisecond of latency once the wait has gone on that long.
    constexpr unsigned yields = 64;
    constexpr unsigned longest_sleep_us = 1000;
    ReleaseGIL nogil;
    if (!wait_with_backoff || round_ < yields) {
        ++round_;
        std::this_thread::yield();
        return;
    }
    const unsigned doublings = std::min(round_++ - yields, 10u);
    const unsigned us = std::min(1u << doublings, longest_sleep_us);
    std::this_thread::sleep_for(std::chrono::microseconds(us));
}

int improbe_in_order(MPI_Comm comm, int source, int tag, const RequestState *self, int *flag,
                     MPI_Message *msg, MPI_Status *status) {
    *flag = 0;
    if (!claimed_earlier(comm, MPI_ANY_SOURCE, MPI_ANY_TAG, self))
        return MPI_Improbe(source, tag, comm, flag, msg, status);
    MPI_Status peek;
    int found = 0;
    int rc = MPI_Iprobe(source, tag, comm, &found, &peek);
    if (rc != MPI_SUCCESS || !found) return rc;
    if (claimed_earlier(comm, peek.MPI_SOURCE, peek.MPI_TAG, self)) return MPI_SUCCESS;
    // The first message with this envelope is the one seen (messages do not overtake).
    return MPI_Improbe(peek.MPI_SOURCE, peek.MPI_TAG, comm, flag, msg, status);
}

// ---------------------------------------------------------------------------------------------
// Several requests at once.

int error_in_status(int rc, const MPI_Status *statuses, size_t n) {
    if (rc != MPI_ERR_IN_STATUS || n == 0) return rc;
    for (size_t i = 0; i < n; ++i)
        if (statuses[i].MPI_ERROR != MPI_SUCCESS && statuses[i].MPI_ERROR != MPI_ERR_PENDING)
            return statuses[i].MPI_ERROR;
    // No request failed (each status says MPI_SUCCESS: done, or MPI_ERR_PENDING: not yet), so
    // there is no error to report: MPICH 5.0.2's MPI_Testall over persistent collectives
    // returns MPI_ERR_IN_STATUS so, whether they are all done or not.
    return MPI_SUCCESS;
}

int complete_all(int n, MPI_Request *requests, MPI_Status *statuses, bool blocking, bool &done) {
    const size_t count = static_cast<size_t>(n);
    auto test = [&](bool &all) {
        int flag = 0;
        int rc = error_in_status(MPI_Testall(n, requests, &flag, statuses), statuses, count);
        all = flag != 0;
        return rc;
    };
    if (!blocking) return test(done);
    done = true;
    int rc = wait_progressing(test, [&] { return MPI_Waitall(n, requests, statuses); });
    return error_in_status(rc, statuses, count);
}

int wait_requests(std::vector<MPI_Request> &requests) {
    std::vector<MPI_Status> statuses(requests.size());
    bool done;
    int rc = complete_all(static_cast<int>(requests.size()), requests.data(), statuses.data(), true,
                          done);
    for (MPI_Request &r : requests)
        if (r != MPI_REQUEST_NULL) MPI_Wait(&r, MPI_STATUS_IGNORE);  // pending after an error
    return rc;
}

// ---------------------------------------------------------------------------------------------
// Python requests and statuses.

MPI_Status *status_arg(nb::handle status) {
    if (status.is_none()) return MPI_STATUS_IGNORE;
    if (!nb::isinstance<Status>(status))
        throw nb::type_error("status must be an MPI.Status or None");
    return &nb::inst_ptr<Status>(status)->status;
}

MPI_Status status_for(const MPI_Status *out) {
    if (out != MPI_STATUS_IGNORE) return *out;
    return Status().status;
}

nb::object make_request(MPI_Request h, std::shared_ptr<RequestState> state, bool persistent) {
    reap_orphans();
    nb::object obj = persistent ? new_handle<Prequest>(h) : new_handle<Request>(h);
    if (state) {
        state->persistent = persistent;
        state->handle = h;
        nb::inst_ptr<Request>(obj)->state = std::move(state);
    }
    return obj;
}

nb::object buffer_request(MPI_Request h, bool persistent, MessageBuffer &&a, MessageBuffer &&b) {
    auto state = new_request_state();
    state->buffers[0] = std::move(a);
    state->buffers[1] = std::move(b);
    return make_request(h, std::move(state), persistent);
}

}  // namespace mpipy
