// Python objects as bytes: pickling (MPI.pickle), with out-of-band parts (pickle protocol 5
// buffers) left in place to be sent zero-copy, and the framing of one object's messages. The
// transport (transport.hpp) moves them.
//
// Wire format. The first message, on the user's communicator, source and tag, is the pickle
// stream itself. When large buffers travel out of band, a trailer follows the stream:
// part sizes (u64 each), the number of parts (u64), the parts' tag (i64) and an 8-byte
// magic. The parts follow as messages of their own on a private duplicate of COMM_WORLD,
// addressed by world rank with a tag drawn per object, so they can never be matched by user
// receives nor interleave with another object's parts. Small objects cost one message.
#pragma once

#include "msgbuffer.hpp"
#include "objects.hpp"

#include <vector>

namespace mpipy {

// One object, pickled and ready to send.
struct OutgoingObject {
    nb::object stream;  // bytes: pickle stream (+ trailer when parts follow)
    const char *data = nullptr;
    MPI_Count size = 0;
    std::vector<PinnedBuffer> parts;
    int world_dest = MPI_PROC_NULL;  // where the parts go (on the private communicator)
    int part_tag = 0;
};

// Pickle obj for (comm, dest) with the Pickle in use (see unpickle). Parts at least its
// THRESHOLD large go out of band only when dest is reachable through the private communicator
// (a member of COMM_WORLD) and that Pickle has the standard dumps and loads.
void pickle_outgoing(nb::handle obj, MPI_Comm comm, int dest, OutgoingObject &out);
// Pickle obj, with its large buffers out of band when `oob` and the default pickler is in use;
// where the parts go is the caller's business (collectives).
void pickle_object(nb::handle obj, bool oob, OutgoingObject &out);

// One received first message: the bytes, and (after parse) where the stream ends and
// which parts follow.
struct IncomingObject {
    nb::object data;  // the received message (bytes or a user buffer)
    const char *bytes = nullptr;
    MPI_Count size = 0;
    MPI_Count stream_size = 0;
    std::vector<MPI_Count> part_sizes;
    int part_tag = 0;
    int world_source = MPI_PROC_NULL;
    std::vector<nb::object> parts;  // MPI.buffer objects the parts are received into
    std::vector<void *> part_addrs;

    // Read the trailer, if any, and allocate the parts. `source` is the sender's rank in comm;
    // MPI_COMM_NULL when the parts come by collective (no world source to know).
    // Call with bytes/size set to the received first message.
    void parse(MPI_Comm comm, int source);
    // The unpickled object (parts must have been received).
    nb::object load() const;
};

// The object of the stream data[0:size), loaded by the Pickle in use: MPI.pickle, or the one
// MPI._pickle_call set on this thread (pkl5.pickle, within pkl5's calls); `whole` is the bytes
// object that is exactly the stream, if there is one (else a view is made when needed), and
// `buffers` the list of out-of-band parts, if any.
nb::object unpickle(const char *data, MPI_Count size, nb::handle whole, nb::handle buffers);

// While alive, this thread's transport pickles with the standard pickle (protocol 5, default
// threshold), whatever MPI.pickle and pkl5.pickle are: for messages mpipy makes itself
// (exceptions travelling in place of results), which a user's pickler may refuse.
class StandardPickle {
  public:
    StandardPickle();
    ~StandardPickle();
    StandardPickle(const StandardPickle &) = delete;
    StandardPickle &operator=(const StandardPickle &) = delete;

  private:
    void *previous_;  // the Pickle in use before
};

}  // namespace mpipy
