// The transport: posting MPI messages in any send mode, and moving Python objects as MPI
// messages (their pickle stream, then their out-of-band parts: wire format in pickled.hpp), for
// point-to-point and collectives alike. Object receives that must find their message first are
// request states that the progress engine polls (progress.hpp).
#pragma once

#include "pickled.hpp"
#include "progress.hpp"

#include <vector>

namespace mpipy {

// ---------------------------------------------------------------------------------------------
// Sends of any mode, in any posting.

enum class SendMode { standard, buffered, synchronous, ready };
enum class Posting { blocking, nonblocking, persistent };

// The one send-mode switch: MPI_{,B,S,R}send, their I forms or their _init forms (setting *r),
// each the `_c` variant where the MPI has large counts. Constant arguments fold it away.
inline int post_send(SendMode mode, Posting posting, const void *addr, MPI_Count count,
                     MPI_Datatype type, int dest, int tag, MPI_Comm comm,
                     MPI_Request *r = nullptr) {
    CallCount c(count, type);
#define MPIPY_SEND_FORMS(SEND, ISEND)                                                              \
    switch (posting) {                                                                             \
    case Posting::blocking:                                                                        \
        return MPIPY_C(MPI_##SEND)(addr, c.count, c.type, dest, tag, comm);                        \
    case Posting::nonblocking:                                                                     \
        return MPIPY_C(MPI_##ISEND)(addr, c.count, c.type, dest, tag, comm, r);                    \
    default:                                                                                       \
        return MPIPY_C(MPI_##SEND##_init)(addr, c.count, c.type, dest, tag, comm, r);              \
    }
    switch (mode) {
    case SendMode::buffered:
        MPIPY_SEND_FORMS(Bsend, Ibsend)
    case SendMode::synchronous:
        MPIPY_SEND_FORMS(Ssend, Issend)
    case SendMode::ready:
        MPIPY_SEND_FORMS(Rsend, Irsend)
    default:
        MPIPY_SEND_FORMS(Send, Isend)
    }
#undef MPIPY_SEND_FORMS
}

// ---------------------------------------------------------------------------------------------
// Where out-of-band parts travel: a private duplicate of COMM_WORLD (made at init), addressed
// by world rank, with a tag drawn per object from a per-process counter.

MPI_Comm parts_comm();
int new_part_tag();
// World rank of a peer of comm (a destination or a source), or MPI_UNDEFINED.
int world_rank_of_peer(MPI_Comm comm, int rank);
// Whether every peer of comm can be reached by out-of-band parts (all are in COMM_WORLD).
bool parts_reach_all(MPI_Comm comm);

void transport_after_init();
void transport_before_finalize();

// The messages on the private communicator of one object, or of one collective call: posted one
// by one, completed together, and waited for even when an exception leaves early (MPI uses
// their memory).
class PartTraffic {
  public:
    PartTraffic() = default;
    PartTraffic(const PartTraffic &) = delete;
    PartTraffic &operator=(const PartTraffic &) = delete;
    ~PartTraffic();

    // out's parts to a world rank (buffered mode for a bsend's), or to a peer of comm.
    void send_parts(const OutgoingObject &out, int world_dest, bool buffered = false);
    void send_parts(const OutgoingObject &out, MPI_Comm comm, int dest) {
        if (!out.parts.empty()) send_parts(out, world_rank_of_peer(comm, dest));
    }
    // in's parts, once in.parse() said which; on failure none of them stays posted.
    void receive_parts(IncomingObject &in);
    // A pickle stream on its own, to or from a peer of comm (collectives whose slots are small).
    void send_stream(const OutgoingObject &out, MPI_Comm comm, int dest, int tag);
    void receive_stream(char *data, MPI_Count size, MPI_Comm comm, int source, int tag);

    // Complete everything posted (when `blocking`, as wait_progressing does; else once tested):
    // true when done. Raises the first error, after which nothing stays pending.
    bool complete(bool blocking);
    void finish() { complete(true); }
    // A request of the caller's (the first message of an object), completed with the rest.
    void add(MPI_Request r) { requests_.push_back(r); }
    // Cancel the receives, complete the sends: nothing stays pending.
    void cancel();

  private:
    std::vector<MPI_Request> requests_;
};

// ---------------------------------------------------------------------------------------------
// Python objects, point to point. `buf` is a receive buffer given for an object (deprecated, as
// in mpi4py, but accepted: a writable buffer, or an int, the size of fresh bytes): messages
// that do not fit are truncated, as with MPI_Recv. Without one, receives never truncate.

void send_object(nb::handle obj, MPI_Comm comm, int dest, int tag, SendMode mode);
nb::object isend_object(nb::handle obj, MPI_Comm comm, int dest, int tag, SendMode mode);
nb::object recv_object(MPI_Comm comm, nb::handle buf, int source, int tag, MPI_Status *status);
nb::object irecv_object(MPI_Comm comm, nb::handle buf, int source, int tag);
// Receives of a matched message (Message.recv/irecv): msg is consumed once MPI took it.
nb::object recv_matched_object(Message &msg, MPI_Status *status);
nb::object irecv_matched_object(Message &msg);

// A blocking send of an object already pickled for (comm, dest) (out.world_dest set).
void send_pickled(const OutgoingObject &out, MPI_Comm comm, int dest, int tag,
                  SendMode mode = SendMode::standard);

}  // namespace mpipy
