// Sessions (MPI-4): the Session class and SESSION_NULL, where the MPI has them.
#include "core/objects.hpp"

namespace mpipy {

void bind_session(nb::module_ &m) {
#if MPIPY_HAVE_SESSIONS
    nb::class_<Session> cls(m, "Session", nb::is_weak_referenceable(), "Session context.");
    bind_handle_protocol(cls);
    cls.def(
        "Finalize",
        [](Session &self) {
            MPI_Session session = self.get();
            check_released([&] { return MPI_Session_finalize(&session); });
            self.handle = session;
        },
        "Finalize a session.");
    add_constant<Session>(m, "SESSION_NULL", MPI_SESSION_NULL);
#else
    (void)m;
#endif
}

}  // namespace mpipy
