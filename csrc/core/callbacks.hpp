// Python callables behind MPI callbacks that carry no user pointer (error handlers, user
// operations): a fixed table of slots, each with a C function of its own that knows its index.
#pragma once

#include "core.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace mpipy {

template <std::size_t N> class CallbackSlots {
  public:
    static constexpr std::size_t size = N;

    // The C function of every slot, indexed by slot: Trampoline<I>::call for I < N, a function
    // that hands its slot number I to the code running the Python callable.
    template <template <std::size_t> class Trampoline> static constexpr auto c_functions() {
        return []<std::size_t... I>(std::index_sequence<I...>) {
            return std::array{&Trampoline<I>::call...};
        }(std::make_index_sequence<N>());
    }

    // A free slot for a new callback: one never used, else the one given back longest ago,
    // since MPI keeps a freed object working while a communicator or a pending operation
    // still uses it. Raises RuntimeError, naming `what`, when every slot is in use.
    std::size_t take(const char *what) const {
        std::size_t best = N;
        for (std::size_t i = 0; i < N; ++i) {
            if (slots_[i].in_use) continue;
            if (!slots_[i].function) return i;
            if (best == N || slots_[i].freed_at < slots_[best].freed_at) best = i;
        }
        if (best == N)
            throw std::runtime_error("too many " + std::string(what) +
                                     " with Python functions (at most " + std::to_string(N) +
                                     " at a time): Free some first");
        return best;
    }

    // Slot i now calls `function` for the MPI object `handle`. The previous function, kept
    // since its object was freed, goes only now.
    void fill(std::size_t i, nb::handle function, std::intptr_t handle) {
        Slot &slot = slots_[i];
        Py_XDECREF(slot.function);
        slot.function = nb::borrow(function).release().ptr();
        slot.handle = handle;
        slot.in_use = true;
        python_callbacks_registered = true;  // MPI may call Python from a thread of its own
    }

    // The slot of the MPI object `handle`, or N when it has none (not made here, or freed).
    std::size_t find(std::intptr_t handle) const {
        for (std::size_t i = 0; i < N; ++i)
            if (slots_[i].in_use && slots_[i].handle == handle) return i;
        return N;
    }

    // The MPI object `handle` was freed: its slot may be taken again, its function stays.
    void give_back(std::intptr_t handle) {
        for (Slot &slot : slots_)
            if (slot.in_use && slot.handle == handle) {
                slot.in_use = false;
                slot.freed_at = ++clock_;
            }
    }

    // The Python callable of slot i (GIL held); an invalid object if it never had one.
    nb::object function(std::size_t i) const { return nb::borrow(slots_[i].function); }

  private:
    // Plain pointers: nothing here is destroyed at exit, after Python has gone.
    struct Slot {
        PyObject *function = nullptr;  // a strong reference, or null while never used
        std::intptr_t handle = 0;
        bool in_use = false;
        std::uint64_t freed_at = 0;  // when given back, to reuse the longest-free slot first
    };
    Slot slots_[N];
    std::uint64_t clock_ = 0;
};

}  // namespace mpipy
