// One-sided communication, the window itself: the Win class, its creation flavours (Create,
// Allocate, Allocate_shared, Create_dynamic), memory (Attach, Detach, Shared_query, tomemory
// and the buffer protocol), Free, and its info, group, name, attributes and error handler.
// The operations and synchronization calls are in win_rma.cpp.
#include "win.hpp"

#include "core/buffer.hpp"

#include <climits>
#include <memory>
#include <unordered_map>
#include <vector>

#include <nanobind/stl/pair.h>

namespace mpipy {

namespace {

std::unordered_map<std::intptr_t, std::unique_ptr<WinState>> &window_states() {
    static auto *map = new std::unordered_map<std::intptr_t, std::unique_ptr<WinState>>();
    return *map;
}

// A window MPI just made over comm, as an object of class `cls` (Win or a subclass) with its
// state; `size` and `unit` are this process's (size < 0: a dynamic window, no fixed range).
nb::object new_window(nb::handle cls, MPI_Win win, PinnedBuffer &&exposed, MPI_Comm comm,
                      MPI_Aint size, MPI_Aint unit) {
    set_default_win_errhandler(win);
    auto state = std::make_unique<WinState>();
    state->exposed = std::move(exposed);
    if (size >= 0) {
        int n = 0;
        check(MPI_Comm_size(comm, &n));
        std::vector<MPI_Aint> all(2 * static_cast<size_t>(n));
        const MPI_Aint mine[2] = {size, unit};
        check_released(
            [&] { return MPI_Allgather(mine, 2, MPI_AINT, all.data(), 2, MPI_AINT, comm); });
        for (int i = 0; i < n; ++i) {
            state->sizes.push_back(all[2 * i]);
            state->units.push_back(all[2 * i + 1]);
        }
    }
    window_states()[handle_to_int(win)] = std::move(state);  // a handle MPI reuses: a new window
    nb::object obj = nb::borrow(cls)();
    if (!nb::isinstance<Win>(obj)) throw nb::type_error("not a Win class");
    nb::inst_ptr<Win>(obj)->handle = win;
    FreedHandles<WinKind>::given(win);
    return obj;
}

MPI_Comm intracomm_arg(nb::handle comm) {
    if (!nb::isinstance<Intracomm>(comm)) throw nb::type_error("comm must be an MPI.Intracomm");
    return nb::inst_ptr<Comm>(comm)->get();
}

// A size in bytes for a window: MPI reports a negative one as ERR_SIZE (some MPIs only by
// failing to allocate), so it is refused here first.
MPI_Aint size_arg(MPI_Aint size) {
    if (size < 0) throw MpiError{MPI_ERR_SIZE};
    return size;
}

// The displacement unit as this MPI's creation functions take it.
#if MPIPY_HAVE_LARGE_COUNT
using disp_unit_t = MPI_Aint;
#else
using disp_unit_t = int;
#endif
disp_unit_t disp_unit_arg(MPI_Aint disp_unit) {
    if (disp_unit > INT_MAX || disp_unit < INT_MIN) {
        if (sizeof(disp_unit_t) == sizeof(int))
            throw nb::value_error("disp_unit beyond 2**31-1 needs MPI-4 large counts");
    }
    return static_cast<disp_unit_t>(disp_unit);
}

template <class T> T win_attr(MPI_Win win, int keyval) {
    void *value = nullptr;
    int flag = 0;
    check(MPI_Win_get_attr(win, keyval, &value, &flag));
    if (!flag) return T{};
    if constexpr (std::is_pointer_v<T>)
        return static_cast<T>(value);
    else
        return *static_cast<T *>(value);
}

nb::object tomemory(nb::handle self) {
    MPI_Win win = nb::inst_ptr<Win>(self)->get();
    void *base = win_attr<void *>(win, MPI_WIN_BASE);
    const MPI_Aint size = win_attr<MPI_Aint>(win, MPI_WIN_SIZE);
    return buffer_of(base, static_cast<Py_ssize_t>(size), false, self);
}

// memoryview(win): the bytes of its memory, exported by the MPI.buffer over them.
int win_getbuffer(PyObject *self, Py_buffer *view, int flags) {
    try {
        nb::object memory = tomemory(self);
        return PyObject_GetBuffer(memory.ptr(), view, flags);
    } catch (nb::python_error &e) {
        e.restore();
    } catch (const MpiError &e) {
        nb::object exc = module_constant("Exception");
        PyErr_SetObject(exc.ptr(), nb::int_(e.code).ptr());
    } catch (const std::exception &e) {
        PyErr_SetString(PyExc_BufferError, e.what());
    }
    return -1;
}

PyType_Slot win_slots[] = {{Py_bf_getbuffer, reinterpret_cast<void *>(win_getbuffer)},
                           {0, nullptr}};

}  // namespace

WinState *win_state(MPI_Win win) {
    auto &states = window_states();
    auto it = states.find(handle_to_int(win));
    return it == states.end() ? nullptr : it->second.get();
}

void release_pending(MPI_Win win, int rank) {
    WinState *state = win_state(win);
    if (!state || state->pending.empty()) return;
    if (rank == MPI_ANY_SOURCE) {
        state->pending.clear();
        return;
    }
    std::erase_if(state->pending, [rank](const auto &p) { return p.first == rank; });
}

void bind_win(nb::module_ &m) {
    nb::class_<Win> cls(m, "Win", nb::is_weak_referenceable(), nb::type_slots(win_slots),
                        "Remote memory access context.");
    bind_handle_protocol(cls);
    nb::object comm_self = m.attr("COMM_SELF");

    def_classmethod(
        cls, "Create",
        [](nb::handle cls, nb::handle memory, MPI_Aint disp_unit, nb::handle info,
           nb::handle comm) {
            require_active();
            PinnedBuffer pin;
            void *base = MPI_BOTTOM;
            MPI_Aint size = 0;
            if (!memory.is_none() && !is_bottom_constant(memory)) {
                pin_buffer(pin, memory, PyBUF_WRITABLE | PyBUF_ANY_CONTIGUOUS, "memory");
                base = pin.view().buf;
                size = pin.view().len;
            }
            const disp_unit_t unit = disp_unit_arg(disp_unit);
            MPI_Info inf = info_arg(info);
            MPI_Comm c = intracomm_arg(comm);
            MPI_Win win = MPI_WIN_NULL;
            check_released([&] { return MPIPY_C(MPI_Win_create)(base, size, unit, inf, c, &win); });
            return new_window(cls, win, std::move(pin), c, size, unit);
        },
        nb::arg("memory").none(), nb::arg("disp_unit") = 1, nb::arg("info").none() = nb::none(),
        nb::arg("comm") = comm_self, "Create an window object for one-sided communication.");
    def_classmethod(
        cls, "Allocate",
        [](nb::handle cls, MPI_Aint size, MPI_Aint disp_unit, nb::handle info, nb::handle comm) {
            require_active();
            size = size_arg(size);
            const disp_unit_t unit = disp_unit_arg(disp_unit);
            MPI_Info inf = info_arg(info);
            MPI_Comm c = intracomm_arg(comm);
            MPI_Win win = MPI_WIN_NULL;
            void *base = nullptr;
            check_released(
                [&] { return MPIPY_C(MPI_Win_allocate)(size, unit, inf, c, &base, &win); });
            return new_window(cls, win, PinnedBuffer(), c, size, unit);
        },
        nb::arg("size"), nb::arg("disp_unit") = 1, nb::arg("info").none() = nb::none(),
        nb::arg("comm") = comm_self, "Create an window object for one-sided communication.");
    def_classmethod(
        cls, "Allocate_shared",
        [](nb::handle cls, MPI_Aint size, MPI_Aint disp_unit, nb::handle info, nb::handle comm) {
            require_active();
            size = size_arg(size);
            const disp_unit_t unit = disp_unit_arg(disp_unit);
            MPI_Info inf = info_arg(info);
            MPI_Comm c = intracomm_arg(comm);
            MPI_Win win = MPI_WIN_NULL;
            void *base = nullptr;
            check_released(
                [&] { return MPIPY_C(MPI_Win_allocate_shared)(size, unit, inf, c, &base, &win); });
            return new_window(cls, win, PinnedBuffer(), c, size, unit);
        },
        nb::arg("size"), nb::arg("disp_unit") = 1, nb::arg("info").none() = nb::none(),
        nb::arg("comm") = comm_self, "Create an window object for one-sided communication.");
    def_classmethod(
        cls, "Create_dynamic",
        [](nb::handle cls, nb::handle info, nb::handle comm) {
            require_active();
            MPI_Info inf = info_arg(info);
            MPI_Comm c = intracomm_arg(comm);
            MPI_Win win = MPI_WIN_NULL;
            check_released([&] { return MPI_Win_create_dynamic(inf, c, &win); });
            return new_window(cls, win, PinnedBuffer(), c, -1, 1);
        },
        nb::arg("info").none() = nb::none(), nb::arg("comm") = comm_self,
        "Create an window object for one-sided communication.");

    cls.def(
           "Shared_query",
           [](nb::handle self, int rank) {
               MPI_Win win = nb::inst_ptr<Win>(self)->get();
               MPI_Aint size = 0;
               disp_unit_t unit = 0;
               void *base = nullptr;
               check(MPIPY_C(MPI_Win_shared_query)(win, rank, &size, &unit, &base));
               return std::make_pair(buffer_of(base, static_cast<Py_ssize_t>(size), false, self),
                                     static_cast<MPI_Aint>(unit));
           },
           nb::arg("rank"), "Query the process-local address for remote memory segments.")
        .def(
            "Attach",
            [](const Win &self, nb::handle memory) {
                MPI_Win win = self.get();
                PinnedBuffer pin;
                pin_buffer(pin, memory, PyBUF_WRITABLE | PyBUF_ANY_CONTIGUOUS, "memory");
                check(MPI_Win_attach(win, pin.view().buf, pin.view().len));
                if (WinState *state = win_state(win)) state->attached.push_back(std::move(pin));
            },
            nb::arg("memory"), "Attach a local memory region.")
        .def(
            "Detach",
            [](const Win &self, nb::handle memory) {
                MPI_Win win = self.get();
                PinnedBuffer pin;
                pin_buffer(pin, memory, PyBUF_ANY_CONTIGUOUS, "memory");
                void *base = pin.view().buf;
                check(MPI_Win_detach(win, base));
                if (WinState *state = win_state(win)) {
                    auto &attached = state->attached;
                    for (auto it = attached.begin(); it != attached.end(); ++it)
                        if (it->view().buf == base) {
                            attached.erase(it);
                            break;
                        }
                }
            },
            nb::arg("memory"), "Detach a local memory region.")
        .def(
            "Free",
            [](Win &self) {
                MPI_Win win = self.get();
                const MPI_Win freed = win;
                check_released([&] { return MPI_Win_free(&win); });
                // The memory the window exposed, and its pending buffers, go with it.
                window_states().erase(handle_to_int(freed));
                FreedHandles<WinKind>::freed(freed);
                self.handle = win;
            },
            "Free a window.")
        .def("tomemory", &tomemory, "Return window memory buffer.")
        .def(
            "Get_group",
            [](const Win &self) {
                MPI_Group group = MPI_GROUP_NULL;
                check(MPI_Win_get_group(self.get(), &group));
                return new_handle<Group>(group);
            },
            "Access the group of processes that created the window.")
        .def_prop_ro(
            "group", [](nb::handle self) { return self.attr("Get_group")(); }, "Group.")
        .def_prop_ro(
            "group_size",
            [](const Win &self) {
                MPI_Group group = MPI_GROUP_NULL;
                check(MPI_Win_get_group(self.get(), &group));
                return group_property(group, MPI_Group_size);
            },
            "Group size.")
        .def_prop_ro(
            "group_rank",
            [](const Win &self) {
                MPI_Group group = MPI_GROUP_NULL;
                check(MPI_Win_get_group(self.get(), &group));
                return group_property(group, MPI_Group_rank);
            },
            "Group rank.")
        .def(
            "Get_info",
            [](const Win &self) {
                MPI_Info info = MPI_INFO_NULL;
                check(MPI_Win_get_info(self.get(), &info));
                return new_handle<Info>(info);
            },
            "Return the current hints for a window.")
        .def(
            "Set_info",
            [](const Win &self, nb::handle info) {
                check(MPI_Win_set_info(self.get(), info_arg(info)));
            },
            nb::arg("info"), "Set new values for the hints associated with a window.")
        .def_prop_rw(
            "info", [](nb::handle self) { return self.attr("Get_info")(); },
            [](nb::handle self, nb::handle info) { self.attr("Set_info")(info); }, "Info hints.")
        .def_prop_ro(
            "attrs",
            [](const Win &self) {
                MPI_Win win = self.get();
                return nb::make_tuple(
                    reinterpret_cast<std::intptr_t>(win_attr<void *>(win, MPI_WIN_BASE)),
                    win_attr<MPI_Aint>(win, MPI_WIN_SIZE), win_attr<int>(win, MPI_WIN_DISP_UNIT));
            },
            "Attributes.")
        .def_prop_ro(
            "flavor",
            [](const Win &self) { return win_attr<int>(self.get(), MPI_WIN_CREATE_FLAVOR); },
            "Create flavor.")
        .def_prop_ro(
            "model", [](const Win &self) { return win_attr<int>(self.get(), MPI_WIN_MODEL); },
            "Memory model.")
        .def(
            "Get_name",
            [](const Win &self) {
                if (self.is_null()) return null_object_name<Win>();
                char name[MPI_MAX_OBJECT_NAME + 1] = {0};
                int len = 0;
                check(MPI_Win_get_name(self.get(), name, &len));
                return object_name(name, len);
            },
            "Get the print name for this window.")
        .def(
            "Set_name",
            [](const Win &self, nb::handle name) {
                MPI_Win win = self.get();
                check(MPI_Win_set_name(win, str_arg(name, "name").c_str()));
            },
            nb::arg("name"), "Set the print name for this window.")
        .def_prop_rw(
            "name", [](nb::handle self) { return self.attr("Get_name")(); },
            [](nb::handle self, nb::handle name) { self.attr("Set_name")(name); }, "Print name.")
        .def(
            "Get_errhandler",
            [](const Win &self) {
                MPI_Errhandler eh = MPI_ERRHANDLER_NULL;
                check(MPI_Win_get_errhandler(self.get(), &eh));
                return new_handle<Errhandler>(eh);
            },
            "Get the error handler for a window.")
        .def(
            "Set_errhandler",
            [](const Win &self, const Errhandler &errhandler) {
                check(MPI_Win_set_errhandler(self.get(), errhandler.get()));
            },
            nb::arg("errhandler"), "Set the error handler for a window.")
        .def(
            "Call_errhandler",
            [](const Win &self, int errorcode) {
                check(MPI_Win_call_errhandler(self.get(), errorcode));
                raise_pending_callback_error();  // raised by a Python error handler
            },
            nb::arg("errorcode"), "Call the error handler installed on a window.");

    bind_win_errhandler_functions(cls);
    bind_win_attributes(cls);
    bind_win_rma(cls);
    add_constant<Win>(m, "WIN_NULL", MPI_WIN_NULL);
}

}  // namespace mpipy
