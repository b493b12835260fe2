// Groups: the Group class, GROUP_NULL and GROUP_EMPTY.
#include "objects.hpp"

namespace mpipy {

void bind_group(nb::module_ &m) {
    nb::class_<Group> cls(m, "Group", "Group of processes.");
    bind_handle_protocol(cls);
    cls.def(
           "Get_size",
           [](const Group &self) {
               int size = 0;
               check(MPI_Group_size(self.get(), &size));
               return size;
           },
           "Return the number of processes in a group.")
        .def(
            "Get_rank",
            [](const Group &self) {
                int rank = 0;
                check(MPI_Group_rank(self.get(), &rank));
                return rank;
            },
            "Return the rank of this process in a group.")
        .def_prop_ro(
            "size", [](nb::handle self) { return self.attr("Get_size")(); }, "Number of processes.")
        .def_prop_ro(
            "rank", [](nb::handle self) { return self.attr("Get_rank")(); },
            "Rank of this process.")
        .def(
            "Free",
            [](Group &self) {
                MPI_Group g = self.get();
                if (self.predefined) throw MpiError{MPI_ERR_GROUP};
                // An object holding GROUP_EMPTY lets go of it without freeing it: Open MPI
                // crashes freeing it more often than it handed it out.
                if (g == MPI_GROUP_EMPTY)
                    g = MPI_GROUP_NULL;
                else
                    check(MPI_Group_free(&g));
                self.handle = g;
            },
            "Free a group.");
    add_constant<Group>(m, "GROUP_NULL", MPI_GROUP_NULL);
    add_constant<Group>(m, "GROUP_EMPTY", MPI_GROUP_EMPTY);
}

}  // namespace mpipy
