// One-sided communication: the Win class and WIN_NULL.
#include "core/objects.hpp"

namespace mpipy {

void bind_win(nb::module_ &m) {
    nb::class_<Win> cls(m, "Win", nb::is_weak_referenceable(), "Remote memory access context.");
    bind_handle_protocol(cls);
    cls.def(
        "Free",
        [](Win &self) {
            MPI_Win win = self.get();
            int rc;
            {
                ReleaseGIL nogil;
                rc = MPI_Win_free(&win);
            }
            check(rc);
            self.handle = win;
        },
        "Free a window.");
    add_constant<Win>(m, "WIN_NULL", MPI_WIN_NULL);
}

}  // namespace mpipy
