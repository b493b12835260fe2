// Reduction operations: the Op class and the predefined operations.
#include "objects.hpp"

namespace mpipy {

void bind_op(nb::module_ &m) {
    nb::class_<Op> cls(m, "Op", "Reduction operation.");
    bind_handle_protocol(cls);
    cls.def(
        "Free",
        [](Op &self) {
            MPI_Op op = self.get();
            if (self.predefined || !predefined_name(OpKind::name, handle_to_int(op)).empty())
                throw MpiError{MPI_ERR_OP};  // predefined, however the handle was obtained
            check(MPI_Op_free(&op));
            self.handle = op;
        },
        "Free the operation.");
    add_constant<Op>(m, "OP_NULL", MPI_OP_NULL);
    add_constant<Op>(m, "MAX", MPI_MAX);
    add_constant<Op>(m, "MIN", MPI_MIN);
    add_constant<Op>(m, "SUM", MPI_SUM);
    add_constant<Op>(m, "PROD", MPI_PROD);
    add_constant<Op>(m, "LAND", MPI_LAND);
    add_constant<Op>(m, "BAND", MPI_BAND);
    add_constant<Op>(m, "LOR", MPI_LOR);
    add_constant<Op>(m, "BOR", MPI_BOR);
    add_constant<Op>(m, "LXOR", MPI_LXOR);
    add_constant<Op>(m, "BXOR", MPI_BXOR);
    add_constant<Op>(m, "MAXLOC", MPI_MAXLOC);
    add_constant<Op>(m, "MINLOC", MPI_MINLOC);
    add_constant<Op>(m, "REPLACE", MPI_REPLACE);
    add_constant<Op>(m, "NO_OP", MPI_NO_OP);
}

}  // namespace mpipy
