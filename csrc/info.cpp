// Info objects: the Info class, INFO_NULL and INFO_ENV.
#include "objects.hpp"

namespace mpipy {

MPI_Info info_arg(nb::handle info) {
    if (info.is_none()) return MPI_INFO_NULL;
    if (!nb::isinstance<Info>(info)) throw nb::type_error("info must be an MPI.Info or None");
    return nb::inst_ptr<Info>(info)->handle;
}

void bind_info(nb::module_ &m) {
    nb::class_<Info> cls(m, "Info", "Info object.");
    bind_handle_protocol(cls);
    cls.def(
        "Free",
        [](Info &self) {
            MPI_Info info = self.get();
            if (self.predefined || !predefined_name(InfoKind::name, handle_to_int(info)).empty())
                throw MpiError{MPI_ERR_INFO};  // INFO_ENV, however the handle was obtained
            check(MPI_Info_free(&info));
            self.handle = info;
        },
        "Free an info object.");
    add_constant<Info>(m, "INFO_NULL", MPI_INFO_NULL);
#if MPIPY_HAVE_INFO_ENV
    add_constant<Info>(m, "INFO_ENV", MPI_INFO_ENV);
#else
    m.attr("INFO_ENV") = m.attr("INFO_NULL");  // one object per handle (pickling)
#endif
}

}  // namespace mpipy
