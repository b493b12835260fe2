// One-sided operations on a window (Put, Get, Accumulate, Get_accumulate, Fetch_and_op,
// Compare_and_swap and their request forms) and its synchronization: fence, post-start-
// complete-wait, locks and flushes.
#include "win.hpp"

#include "core/progress.hpp"

#include <algorithm>
#include <string>

namespace mpipy {

namespace {

MPI_Win win_of(nb::handle self) { return self_as<Win>(self).get(); }

MPI_Op op_arg(nb::handle op) {
    if (!isinstance_cached<Op>(op)) throw nb::type_error("op must be an MPI.Op");
    return nb::inst_ptr<Op>(op)->get();
}

MPI_Group group_arg(nb::handle group) {
    if (!isinstance_cached<Group>(group)) throw nb::type_error("group must be an MPI.Group");
    return nb::inst_ptr<Group>(group)->get();
}

// With PROC_NULL nothing moves, but MPICH still refuses null addresses in Fetch_and_op and
// Compare_and_swap: it gets a scratch element instead.
void *element_addr(const MessageBuffer &b) {
    alignas(16) static char scratch[32];
    return b.addr ? b.addr : scratch;
}

// Fetch_and_op and Compare_and_swap move one element, of one datatype in every buffer.
void require_single(const MessageBuffer &b, const char *what) {
    if (b.count != 1)
        raise_error(PyExc_ValueError, std::string(what) + ": expecting a single element, got " +
                                          std::to_string(b.count));
}
void require_same_type(const MessageBuffer &a, const MessageBuffer &b, const char *what) {
    if (a.type != b.type)
        raise_error(PyExc_ValueError,
                    std::string("mismatch in origin and ") + what + " MPI datatypes");
}

MPI_Count type_size(MPI_Datatype type) {
    MPI_Count size = 0;
    check(MPI_Type_size_x(type, &size));
    return size;
}

// The origin (or result) and the target of an operation must hold as many bytes: MPIs do not
// all check it (MPICH aborts the process on some mismatches).
void require_match(const MessageBuffer &b, const RmaTarget &t, const char *what) {
    const MPI_Count have = b.count * type_size(b.type), want = t.count * type_size(t.type);
    if (have != want)
        raise_error(PyExc_ValueError, std::string(what) + " holds " + std::to_string(have) +
                                          " bytes, the target " + std::to_string(want) +
                                          ": their datatypes and counts do not match");
}

// The target's bytes must lie inside its window (where the window has fixed sizes): MPICH
// writes past the window otherwise. MPI.Exception(ERR_RMA_RANGE), as MPIs that check say.
// Bad ranks and negative displacements are left to MPI, which reports them.
void require_in_range(const WinState *state, int rank, const RmaTarget &t) {
    if (!state || state->sizes.empty() || t.count == 0 || t.disp < 0) return;
    if (rank < 0 || rank >= static_cast<int>(state->sizes.size())) return;
    MPI_Count lb = 0, extent = 0, true_lb = 0, true_extent = 0;
    check(MPI_Type_get_extent_x(t.type, &lb, &extent));
    check(MPI_Type_get_true_extent_x(t.type, &true_lb, &true_extent));
    const MPI_Count at = static_cast<MPI_Count>(t.disp) * state->units[rank];
    const MPI_Count reach = (t.count - 1) * extent;
    const MPI_Count first = at + true_lb + (reach < 0 ? reach : 0);
    const MPI_Count last = at + true_lb + true_extent + (reach > 0 ? reach : 0);
    if (first < 0 || last > state->sizes[rank]) throw MpiError{MPI_ERR_RMA_RANGE};
}

// The operations. Each returns MPI's code; `r` is null for the blocking form (whose buffers
// the window keeps until a synchronization completes them) and where the request form's
// handle goes otherwise.

int put(const MessageBuffer &o, int rank, const RmaTarget &t, MPI_Win win, MPI_Request *r) {
    CallCount oc(o.count, o.type), tc(t.count, t.type);
    ReleaseGIL nogil;
    return r ? MPIPY_C(MPI_Rput)(o.addr, oc.count, oc.type, rank, t.disp, tc.count, tc.type, win, r)
             : MPIPY_C(MPI_Put)(o.addr, oc.count, oc.type, rank, t.disp, tc.count, tc.type, win);
}

int get(const MessageBuffer &o, int rank, const RmaTarget &t, MPI_Win win, MPI_Request *r) {
    CallCount oc(o.count, o.type), tc(t.count, t.type);
    ReleaseGIL nogil;
    return r ? MPIPY_C(MPI_Rget)(o.addr, oc.count, oc.type, rank, t.disp, tc.count, tc.type, win, r)
             : MPIPY_C(MPI_Get)(o.addr, oc.count, oc.type, rank, t.disp, tc.count, tc.type, win);
}

int accumulate(const MessageBuffer &o, int rank, const RmaTarget &t, MPI_Op op, MPI_Win win,
               MPI_Request *r) {
    CallCount oc(o.count, o.type), tc(t.count, t.type);
    ReleaseGIL nogil;
    return r ? MPIPY_C(MPI_Raccumulate)(o.addr, oc.count, oc.type, rank, t.disp, tc.count, tc.type,
                                        op, win, r)
             : MPIPY_C(MPI_Accumulate)(o.addr, oc.count, oc.type, rank, t.disp, tc.count, tc.type,
                                       op, win);
}

int get_accumulate(const MessageBuffer &o, const MessageBuffer &res, int rank, const RmaTarget &t,
                   MPI_Op op, MPI_Win win, MPI_Request *r) {
    CallCount oc(o.count, o.type), rc(res.count, res.type), tc(t.count, t.type);
    ReleaseGIL nogil;
    return r ? MPIPY_C(MPI_Rget_accumulate)(o.addr, oc.count, oc.type, res.addr, rc.count, rc.type,
                                            rank, t.disp, tc.count, tc.type, op, win, r)
             : MPIPY_C(MPI_Get_accumulate)(o.addr, oc.count, oc.type, res.addr, rc.count, rc.type,
                                           rank, t.disp, tc.count, tc.type, op, win);
}

// Origin (and result) parsed, for the target `rank`; a blocking operation hands its buffers to
// the window, a request form to its request.
struct Operands {
    MessageBuffer origin, result;
    RmaTarget target;
};

// What every operation checks before MPI is called: sizes match, the target range is inside.
void require_valid(const WinState *state, int rank, const Operands &ops, bool origin, bool result) {
    if (rank == MPI_PROC_NULL) return;
    if (origin) require_match(ops.origin, ops.target, "origin");
    if (result) require_match(ops.result, ops.target, "result");
    require_in_range(state, rank, ops.target);
}

nb::object finish(WinState *state, int rank, Operands &ops, MPI_Request *r) {
    if (!r) {
        keep_pending(state, rank, ops.origin);
        keep_pending(state, rank, ops.result);
        return nb::none();
    }
    return buffer_request(*r, false, std::move(ops.origin), std::move(ops.result));
}

template <bool Request>
nb::object put_method(nb::handle self, nb::handle origin, int rank, nb::handle target) {
    MPI_Win win = win_of(self);
    Operands ops;
    parse_rma_origin(origin, Access::read, rank, ops.origin);
    parse_rma_target(target, ops.origin, ops.target);
    WinState *state = win_state(win);
    require_valid(state, rank, ops, true, false);
    MPI_Request request = MPI_REQUEST_NULL;
    check(put(ops.origin, rank, ops.target, win, Request ? &request : nullptr));
    return finish(state, rank, ops, Request ? &request : nullptr);
}

template <bool Request>
nb::object get_method(nb::handle self, nb::handle origin, int rank, nb::handle target) {
    MPI_Win win = win_of(self);
    Operands ops;
    parse_rma_origin(origin, Access::write, rank, ops.origin);
    parse_rma_target(target, ops.origin, ops.target);
    WinState *state = win_state(win);
    require_valid(state, rank, ops, true, false);
    MPI_Request request = MPI_REQUEST_NULL;
    check(get(ops.origin, rank, ops.target, win, Request ? &request : nullptr));
    return finish(state, rank, ops, Request ? &request : nullptr);
}

template <bool Request>
nb::object accumulate_method(nb::handle self, nb::handle origin, int rank, nb::handle target,
                             nb::handle op) {
    MPI_Win win = win_of(self);
    MPI_Op o = op_arg(op);
    Operands ops;
    parse_rma_origin(origin, Access::read, rank, ops.origin);
    parse_rma_target(target, ops.origin, ops.target);
    WinState *state = win_state(win);
    require_valid(state, rank, ops, true, false);
    MPI_Request request = MPI_REQUEST_NULL;
    check(accumulate(ops.origin, rank, ops.target, o, win, Request ? &request : nullptr));
    return finish(state, rank, ops, Request ? &request : nullptr);
}

template <bool Request>
nb::object get_accumulate_method(nb::handle self, nb::handle origin, nb::handle result, int rank,
                                 nb::handle target, nb::handle op) {
    MPI_Win win = win_of(self);
    MPI_Op o = op_arg(op);
    Operands ops;
    parse_rma_origin(origin, Access::read, rank, ops.origin);
    parse_rma_origin(result, Access::write, rank, ops.result);
    parse_rma_target(target, ops.origin, ops.target);
    WinState *state = win_state(win);
    require_valid(state, rank, ops, o != MPI_NO_OP, true);  // NO_OP ignores the origin
    MPI_Request request = MPI_REQUEST_NULL;
    check(get_accumulate(ops.origin, ops.result, rank, ops.target, o, win,
                         Request ? &request : nullptr));
    return finish(state, rank, ops, Request ? &request : nullptr);
}

// A synchronization call that completes the operations to `rank` (all: MPI_ANY_SOURCE).
template <class Call> void synchronize(MPI_Win win, int rank, Call &&call) {
    check_released(std::forward<Call>(call));
    release_pending(win, rank);
}

}  // namespace

void bind_win_rma(nb::class_<Win> &cls) {
    const auto sum = nb::arg("op") = module_constant("SUM");
    cls.def("Put", &put_method<false>, nb::arg("origin").none(), nb::arg("target_rank"),
            nb::arg("target").none() = nb::none(),
            "Put data into a memory window on a remote process.")
        .def("Get", &get_method<false>, nb::arg("origin").none(), nb::arg("target_rank"),
             nb::arg("target").none() = nb::none(),
             "Get data from a memory window on a remote process.")
        .def("Accumulate", &accumulate_method<false>, nb::arg("origin").none(),
             nb::arg("target_rank"), nb::arg("target").none() = nb::none(), sum,
             "Accumulate data into the target process.")
        .def("Get_accumulate", &get_accumulate_method<false>, nb::arg("origin").none(),
             nb::arg("result").none(), nb::arg("target_rank"),
             nb::arg("target").none() = nb::none(), sum,
             "Fetch-and-accumulate data into the target process.")
        .def("Rput", &put_method<true>, nb::arg("origin").none(), nb::arg("target_rank"),
             nb::arg("target").none() = nb::none(),
             "Put data into a memory window on a remote process.")
        .def("Rget", &get_method<true>, nb::arg("origin").none(), nb::arg("target_rank"),
             nb::arg("target").none() = nb::none(),
             "Get data from a memory window on a remote process.")
        .def("Raccumulate", &accumulate_method<true>, nb::arg("origin").none(),
             nb::arg("target_rank"), nb::arg("target").none() = nb::none(), sum,
             "Fetch-and-accumulate data into the target process.")
        .def("Rget_accumulate", &get_accumulate_method<true>, nb::arg("origin").none(),
             nb::arg("result").none(), nb::arg("target_rank"),
             nb::arg("target").none() = nb::none(), sum,
             "Accumulate data into the target process using remote memory access.")
        .def(
            "Fetch_and_op",
            [](nb::handle self, nb::handle origin, nb::handle result, int rank,
               MPI_Aint target_disp, nb::handle op) {
                MPI_Win win = win_of(self);
                MPI_Op o = op_arg(op);
                Operands ops;
                parse_rma_origin(origin, Access::read, rank, ops.origin);
                parse_rma_origin(result, Access::write, rank, ops.result);
                if (rank != MPI_PROC_NULL) {
                    require_single(ops.origin, "origin");
                    require_single(ops.result, "result");
                    require_same_type(ops.origin, ops.result, "result");
                }
                ops.target = RmaTarget{target_disp, 1, ops.origin.type};
                WinState *state = win_state(win);
                require_valid(state, rank, ops, false, false);
                check_released([&] {
                    return MPI_Fetch_and_op(element_addr(ops.origin), element_addr(ops.result),
                                            ops.origin.type, rank, target_disp, o, win);
                });
                finish(state, rank, ops, nullptr);
            },
            nb::arg("origin").none(), nb::arg("result").none(), nb::arg("target_rank"),
            nb::arg("target_disp") = 0, sum, "Perform one-sided read-modify-write.")
        .def(
            "Compare_and_swap",
            [](nb::handle self, nb::handle origin, nb::handle compare, nb::handle result, int rank,
               MPI_Aint target_disp) {
                MPI_Win win = win_of(self);
                Operands ops;
                MessageBuffer cmp;
                parse_rma_origin(origin, Access::read, rank, ops.origin);
                parse_rma_origin(compare, Access::read, rank, cmp);
                parse_rma_origin(result, Access::write, rank, ops.result);
                if (rank != MPI_PROC_NULL) {
                    require_single(ops.origin, "origin");
                    require_single(cmp, "compare");
                    require_single(ops.result, "result");
                    require_same_type(ops.origin, cmp, "compare");
                    require_same_type(ops.origin, ops.result, "result");
                }
                ops.target = RmaTarget{target_disp, 1, ops.origin.type};
                WinState *state = win_state(win);
                require_valid(state, rank, ops, false, false);
                check_released([&] {
                    return MPI_Compare_and_swap(element_addr(ops.origin), element_addr(cmp),
                                                element_addr(ops.result), ops.origin.type, rank,
                                                target_disp, win);
                });
                keep_pending(state, rank, cmp);
                finish(state, rank, ops, nullptr);
            },
            nb::arg("origin").none(), nb::arg("compare").none(), nb::arg("result").none(),
            nb::arg("target_rank"), nb::arg("target_disp") = 0,
            "Perform one-sided atomic compare-and-swap.");

    // Synchronization.
    cls.def(
           "Fence",
           [](nb::handle self, int assertion) {
               MPI_Win win = win_of(self);
               synchronize(win, MPI_ANY_SOURCE, [&] { return MPI_Win_fence(assertion, win); });
           },
           nb::arg("assertion") = 0, "Perform an MPI fence synchronization on a window.")
        .def(
            "Start",
            [](nb::handle self, nb::handle group, int assertion) {
                MPI_Win win = win_of(self);
                MPI_Group g = group_arg(group);
                check_released([&] { return MPI_Win_start(g, assertion, win); });
            },
            nb::arg("group"), nb::arg("assertion") = 0, "Start an RMA access epoch for MPI.")
        .def(
            "Complete",
            [](nb::handle self) {
                MPI_Win win = win_of(self);
                synchronize(win, MPI_ANY_SOURCE, [&] { return MPI_Win_complete(win); });
            },
            "Complete an RMA operations begun after an `Start`.")
        .def(
            "Post",
            [](nb::handle self, nb::handle group, int assertion) {
                MPI_Win win = win_of(self);
                MPI_Group g = group_arg(group);
                check_released([&] { return MPI_Win_post(g, assertion, win); });
            },
            nb::arg("group"), nb::arg("assertion") = 0, "Start an RMA exposure epoch.")
        .def(
            "Wait",
            [](nb::handle self) {
                MPI_Win win = win_of(self);
                check_released([&] { return MPI_Win_wait(win); });
                return true;
            },
            "Complete an RMA exposure epoch begun with `Post`.")
        .def(
            "Test",
            [](nb::handle self) {
                MPI_Win win = win_of(self);
                int flag = 0;
                check(MPI_Win_test(win, &flag));
                return flag != 0;
            },
            "Test whether an RMA exposure epoch has completed.")
        .def(
            "Lock",
            [](nb::handle self, int rank, int lock_type, int assertion) {
                MPI_Win win = win_of(self);
                WinState *state = win_state(win);
                if (state && rank != MPI_PROC_NULL) {
                    if (state->locked_all ||
                        std::ranges::find(state->locked, rank) != state->locked.end())
                        throw MpiError{MPI_ERR_RMA_SYNC};
                }
                check_released([&] { return MPI_Win_lock(lock_type, rank, assertion, win); });
                if (state && rank != MPI_PROC_NULL) state->locked.push_back(rank);
            },
            nb::arg("rank"), nb::arg("lock_type") = static_cast<int>(MPI_LOCK_EXCLUSIVE),
            nb::arg("assertion") = 0, "Begin an RMA access epoch at the target process.")
        .def(
            "Unlock",
            [](nb::handle self, int rank) {
                MPI_Win win = win_of(self);
                synchronize(win, rank, [&] { return MPI_Win_unlock(rank, win); });
                if (WinState *state = win_state(win)) std::erase(state->locked, rank);
            },
            nb::arg("rank"), "Complete an RMA access epoch at the target process.")
        .def(
            "Lock_all",
            [](nb::handle self, int assertion) {
                MPI_Win win = win_of(self);
                WinState *state = win_state(win);
                if (state && (state->locked_all || !state->locked.empty()))
                    throw MpiError{MPI_ERR_RMA_SYNC};
                check_released([&] { return MPI_Win_lock_all(assertion, win); });
                if (state) state->locked_all = true;
            },
            nb::arg("assertion") = 0, "Begin an RMA access epoch at all processes.")
        .def(
            "Unlock_all",
            [](nb::handle self) {
                MPI_Win win = win_of(self);
                synchronize(win, MPI_ANY_SOURCE, [&] { return MPI_Win_unlock_all(win); });
                if (WinState *state = win_state(win)) state->locked_all = false;
            },
            "Complete an RMA access epoch at all processes.")
        .def(
            "Flush",
            [](nb::handle self, int rank) {
                MPI_Win win = win_of(self);
                synchronize(win, rank, [&] { return MPI_Win_flush(rank, win); });
            },
            nb::arg("rank"), "Complete all outstanding RMA operations at a target.")
        .def(
            "Flush_all",
            [](nb::handle self) {
                MPI_Win win = win_of(self);
                synchronize(win, MPI_ANY_SOURCE, [&] { return MPI_Win_flush_all(win); });
            },
            "Complete all outstanding RMA operations at all targets.")
        .def(
            "Flush_local",
            [](nb::handle self, int rank) {
                MPI_Win win = win_of(self);
                synchronize(win, rank, [&] { return MPI_Win_flush_local(rank, win); });
            },
            nb::arg("rank"), "Complete locally all outstanding RMA operations at a target.")
        .def(
            "Flush_local_all",
            [](nb::handle self) {
                MPI_Win win = win_of(self);
                synchronize(win, MPI_ANY_SOURCE, [&] { return MPI_Win_flush_local_all(win); });
            },
            "Complete locally all outstanding RMA operations at all targets.")
        .def(
            "Sync",
            [](nb::handle self) {
                MPI_Win win = win_of(self);
                check_released([&] { return MPI_Win_sync(win); });
            },
            "Synchronize public and private copies of the window.");
}

}  // namespace mpipy
