// What the Win family keeps per window mpipy made: the memory the window exposes and the
// buffers its pending one-sided operations use (shared by win.cpp and win_rma.cpp).
#pragma once

#include "core/msgbuffer.hpp"
#include "core/objects.hpp"

#include <utility>
#include <vector>

namespace mpipy {

struct WinState {
    PinnedBuffer exposed;                // Win.Create's memory
    std::vector<PinnedBuffer> attached;  // Win.Attach's, until Detach
    // Buffers of operations MPI may still read or write (a Put's origin, a Get's), with their
    // target rank, until a synchronization completes them: a program that drops its buffer
    // right after Put must not have MPI read freed memory at the next Fence.
    std::vector<std::pair<int, PinnedBuffer>> pending;
    // Every process's window size and displacement unit (not for dynamic windows), gathered
    // at creation: MPICH does not check a target range against the window (a Put beyond it
    // writes past the target's memory), so mpipy does (check_target_range).
    std::vector<MPI_Aint> sizes, units;
    // This process's passive-target epochs: Open MPI hangs when a process locks a target it
    // has locked already, so that is refused first (ERR_RMA_SYNC).
    std::vector<int> locked;
    bool locked_all = false;
};

// The state of a window made by mpipy; nullptr for one from elsewhere (fromhandle).
WinState *win_state(MPI_Win win);

// Keep b's export until the operations to `rank` complete (release_pending).
inline void keep_pending(WinState *state, int rank, MessageBuffer &b) {
    if (state && !b.pinned.empty()) state->pending.emplace_back(rank, std::move(b.pinned));
}

// Operations to `rank` (all, for MPI_ANY_SOURCE) are complete: their buffers may go.
void release_pending(MPI_Win win, int rank);

}  // namespace mpipy
