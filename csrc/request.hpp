// Requests: what a pending request owns, and the helpers other families use to create
// requests and to complete them.
#pragma once

#include "msgbuffer.hpp"
#include "objects.hpp"

#include <vector>

namespace mpipy {

// What a nonblocking operation owns until MPI completes it: the pinned buffers and the
// Python objects behind them. Lowercase (object) requests also know how to produce their
// result and may need more than one MPI step (a receive of unknown size).
struct RequestState {
    virtual ~RequestState() = default;
    std::vector<MessageBuffer> buffers;
    nb::object keep;           // Python objects MPI's memory belongs to (pickled data, ...)
    bool persistent = false;   // the request survives completion (Start restarts it)
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
};

// A new Python request object (Request, or Prequest when persistent) for handle h.
nb::object make_request(MPI_Request h, std::shared_ptr<RequestState> state, bool persistent);

// Pointer to the MPI_Status inside a Python Status (or MPI_STATUS_IGNORE for None).
MPI_Status *status_arg(nb::handle status);

// A status for MPI to fill before it is copied to `out`: starts as *out (an empty status when
// ignored), so that fields MPI leaves alone (MPI_ERROR, after a single completion) keep the
// caller's values instead of stack garbage.
MPI_Status status_for(const MPI_Status *out);

// Poll requests that were dropped while MPI still used their memory (cheap when none).
void reap_orphans();

} // namespace mpipy
