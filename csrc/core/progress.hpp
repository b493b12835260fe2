// The progress engine: what a pending request owns (RequestState), the receives only mpipy can
// move forward (object receives still matching their message), polled by every blocking wait
// while they are pending, and the orphans (requests dropped while MPI still uses their memory).
#pragma once

#include "msgbuffer.hpp"
#include "objects.hpp"

#include <array>
#include <memory>
#include <thread>
#include <vector>

namespace mpipy {

// What a nonblocking operation owns until MPI completes it: the pinned buffers and the
// Python objects behind them. Lowercase (object) requests also know how to produce their
// result and may need more than one MPI step (a receive of unknown size).
struct RequestState {
    virtual ~RequestState() = default;
    std::array<MessageBuffer, 2> buffers;  // what MPI reads or writes: a send, a receive
    nb::object keep;          // Python objects MPI's memory belongs to (pickled data, ...)
    bool persistent = false;  // the request survives completion (Start restarts it)
    // Completed (and not persistent), freed, or dropped while pending (the orphan registry owns
    // it then): no copy of the Python request may use this state any more.
    bool released = false;
    // The handle as the last operation on any copy of the Python request left it (copies made
    // with Request(other) share this state; their own handle fields may be stale).
    MPI_Request handle = MPI_REQUEST_NULL;

    // Called (GIL held) when MPI has completed the current request; returns the object that
    // lowercase wait/test give back (None for sends and buffer operations).
    virtual nb::object complete(const MPI_Status &) { return nb::none(); }

    // Requests made of several MPI steps override this: drive the operation; when
    // `blocking`, until done. Returns true when the whole operation is complete, with the
    // final status in `status`. The default is a single MPI request.
    virtual bool multi_step() const { return false; }
    virtual bool advance(MPI_Request &, bool, MPI_Status &) { return true; }
    // Cancel what MPI cannot cancel by itself (a receive not yet posted); false: use MPI_Cancel.
    virtual bool cancel(MPI_Request &) { return false; }
    // Whether MPI may still use this state's memory while the request is pending: then a
    // request freed or dropped pending becomes an orphan until MPI completes it. Generalized
    // requests hold none (MPI_Request_free is enough).
    virtual bool pins_memory() const { return true; }
    // A persistent request was started (Prequest.Start, Startall): called only where
    // `notify_start` (set by the states that override it, so that Start pays no call).
    virtual void started() {}
    bool notify_start = false;

    // Receives that only mpipy can move forward (matching a message, posting the receives of
    // its out-of-band parts) say so here while they do; poll() advances them without blocking
    // (unless `busy` in a wait of their own), keeping any error for the owner's next wait.
    virtual bool needs_polling() const { return false; }
    virtual void poll() {}
    bool busy = false;
    // Whether this receive, still looking for its message, would match one from `source` with
    // `tag` on comm (either may be MPI_ANY_SOURCE/MPI_ANY_TAG: "some message").
    virtual bool claims(MPI_Comm, int, int) const { return false; }
};

// Register a state that needs polling while it is pending (weakly: its requests own it).
void add_pollable(const std::shared_ptr<RequestState> &state);

// Whether the engine has nothing to look after (no orphan, no registered receive): the common
// case, checked inline before calling in.
extern bool engine_idle;
bool poll_engine(const RequestState *self);
void reap_orphans_now();

// Poll the registered states (oldest first) and the orphans once; true while some of them
// (other than `self`), not busy in a wait of their own, still need polling.
inline bool progress_pending(const RequestState *self = nullptr) {
    return !engine_idle && poll_engine(self);
}

// Whether a state registered before `self` (any registered one for nullptr) claims a message
// from `source` with `tag` on comm: receives emulated by mpipy match in the order they were
// posted, as MPI's own would.
bool claimed_earlier(MPI_Comm comm, int source, int tag, const RequestState *self);

// How blocking calls wait (rc.wait_policy): inside MPI (false: the MPI's own wait, which may
// keep a core busy), or by polling with a backoff that yields the core and then sleeps
// (true: "backoff", for oversubscribed jobs and ranks that wait long).
extern bool wait_with_backoff;

// Whether a blocking call must poll instead of blocking inside MPI: while receives pending in
// this process need mpipy to move them, and under the backoff policy. progress_pending() is
// asked first, always: it also moves them.
inline bool must_poll() { return progress_pending() || wait_with_backoff; }

// The pause between two polls of a wait, with the GIL released: a yield of the core; under the
// backoff policy, after the first rounds, a sleep, longer each round (up to a millisecond).
class PollPause {
  public:
    void operator()();

  private:
    unsigned round_ = 0;
};

// Block until done, like `block()` does inside MPI; but when must_poll(), poll with
// `test(done)` instead, advancing the receives that need mpipy between rounds: otherwise this
// wait could block on a message that one of them must take first (a send to this very process,
// a peer blocked sending their parts). Called with the GIL held; releases it while blocking or
// pausing. Before blocking it tests once with the GIL held: what is already done (a send gone
// out eagerly, a message already here) returns without releasing and re-taking the GIL, which
// costs more than the test (and MPI's wait would make the same progress call first).
template <class Test, class Block> int wait_progressing(Test &&test, Block &&block) {
    PollPause pause;
    for (;;) {
        bool done = false;
        const bool polling = must_poll();
        int rc = test(done);
        if (rc != MPI_SUCCESS || done) return rc;
        if (!polling) {
            ReleaseGIL nogil;
            return block();
        }
        pause();
    }
}

// MPI_Wait for one request, the way wait_progressing does.
inline int wait_request(MPI_Request &request, MPI_Status *status) {
    return wait_progressing(
        [&](bool &done) {
            int flag = 0, rc = MPI_Test(&request, &flag, status);
            done = flag != 0;
            return rc;
        },
        [&] { return MPI_Wait(&request, status); });
}

// A blocking operation: `block()` inside MPI with the GIL released, unless must_poll(); then
// its nonblocking form, `post(&request)`, completed by wait_request.
template <class Block, class Post>
int block_or_poll(Block &&block, Post &&post, MPI_Status *status = MPI_STATUS_IGNORE) {
    if (!must_poll()) {
        ReleaseGIL nogil;
        return block();
    }
    MPI_Request request = MPI_REQUEST_NULL;
    int rc = post(&request);
    return rc == MPI_SUCCESS ? wait_request(request, status) : rc;
}

// Complete n requests, as MPI_Waitall (`blocking`, the way wait_progressing does) or MPI_Testall
// (sets `done`) would. An MPI_ERR_IN_STATUS becomes the first failed request's error.
int complete_all(int n, MPI_Request *requests, MPI_Status *statuses, bool blocking, bool &done);

// The error MPI_ERR_IN_STATUS stands for: the first failed request's among n statuses.
int error_in_status(int rc, const MPI_Status *statuses, size_t n);

// complete_all, blocking, of every request (even after an error: the caller's memory goes away
// next, so a failed wait still completes the rest, ignoring their errors).
int wait_requests(std::vector<MPI_Request> &requests);

// MPI_Improbe for a receive emulated by mpipy (`self`; nullptr for a blocking recv, posted
// after all of them): a message that a receive posted earlier would match is left to it.
int improbe_in_order(MPI_Comm comm, int source, int tag, const RequestState *self, int *flag,
                     MPI_Message *msg, MPI_Status *status);

// Orphans: the registry owns a request dropped while pending (copies of the Python request see
// it as null from now on) until MPI completes it; reap_orphans polls them (cheap when none).
void adopt_orphan(MPI_Request h, std::shared_ptr<RequestState> state);
inline void reap_orphans() {
    if (!engine_idle) reap_orphans_now();
}

// A new Python request object (Request, or Prequest when persistent) for handle h.
nb::object make_request(MPI_Request h, std::shared_ptr<RequestState> state, bool persistent);

// An allocator that keeps up to 64 freed blocks of its size per thread for the next
// allocations (allocate_shared rebinds it to its control block, which holds the state).
template <class T> struct Recycling {
    using value_type = T;
    Recycling() = default;
    template <class U> Recycling(const Recycling<U> &) noexcept {}
    bool operator==(const Recycling &) const noexcept { return true; }

    struct FreeBlocks {
        void *blocks[64];
        int count = 0;
        ~FreeBlocks() {
            while (count > 0) ::operator delete(blocks[--count]);
        }
    };
    static FreeBlocks &free_blocks() {
        thread_local FreeBlocks list;
        return list;
    }
    T *allocate(std::size_t n) {
        FreeBlocks &list = free_blocks();
        if (n == 1 && list.count > 0) return static_cast<T *>(list.blocks[--list.count]);
        return static_cast<T *>(::operator new(n * sizeof(T)));
    }
    void deallocate(T *p, std::size_t n) noexcept {
        FreeBlocks &list = free_blocks();
        if (n == 1 && list.count < 64) {
            list.blocks[list.count++] = p;
            return;
        }
        ::operator delete(p);
    }
};

// A new request state: a plain RequestState (buffers and `keep` only), or a State derived
// from it. Its memory comes from a small per-thread free list: malloc and free are a sizeable
// share of an Isend/Irecv.
template <class State = RequestState> std::shared_ptr<State> new_request_state() {
    return std::allocate_shared<State>(Recycling<State>());
}

// A request that owns the buffers MPI reads or writes (`b` too, for an operation on two) until
// it completes.
nb::object buffer_request(MPI_Request h, bool persistent, MessageBuffer &&a,
                          MessageBuffer &&b = MessageBuffer{});

// Pointer to the MPI_Status inside a Python Status (or MPI_STATUS_IGNORE for None).
MPI_Status *status_arg(nb::handle status);

// A status for MPI to fill before it is copied to `out`: starts as *out (an empty status when
// ignored), so that fields MPI leaves alone (MPI_ERROR, after a single completion) keep the
// caller's values instead of stack garbage.
MPI_Status status_for(const MPI_Status *out);

}  // namespace mpipy
