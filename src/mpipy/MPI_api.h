/* The C API of mpipy.MPI under mpi4py's names, where mpi4py keeps its own (the package's
 * directory): import_mpi4py__MPI(), PyMPI<Class>_Type, PyMPI<Class>_New and _Get. The same
 * declarations as <mpi4py/pycapi.h>, under mpipy.get_include(). */
#ifndef MPIPY_MPI_API_H
#define MPIPY_MPI_API_H

#include "include/mpi4py/pycapi.h"

#endif /* MPIPY_MPI_API_H */
