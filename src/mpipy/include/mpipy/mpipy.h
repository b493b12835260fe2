/* mpipy's C API, for extension modules that exchange MPI handles with mpipy objects.
 * Compile with -I$(python -c "import mpipy; print(mpipy.get_include())").
 * Only the version is declared so far; the handle conversions come with the C API. */
#ifndef MPIPY_MPIPY_H
#define MPIPY_MPIPY_H

#define MPIPY_VERSION_MAJOR 0
#define MPIPY_VERSION_MINOR 1
#define MPIPY_VERSION_PATCH 0

#endif /* MPIPY_MPIPY_H */
