// Parallel I/O: the File class and FILE_NULL.
#include "core/objects.hpp"

namespace mpipy {

void bind_file(nb::module_ &m) {
    nb::class_<File> cls(m, "File", nb::is_weak_referenceable(), "File I/O context.");
    bind_handle_protocol(cls);
    cls.def(
        "Close",
        [](File &self) {
            MPI_File file = self.get();
            int rc;
            {
                ReleaseGIL nogil;
                rc = MPI_File_close(&file);
            }
            check(rc);
            self.handle = file;
        },
        "Close a file.");
    add_constant<File>(m, "FILE_NULL", MPI_FILE_NULL);
}

}  // namespace mpipy
