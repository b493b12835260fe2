/* mpi4py's public header of its MPI module declares the C structs of its objects, to read
 * their handles in place. mpipy's objects have no such public layout: this header gives the
 * C API instead (MPI_api.h: PyMPI<Class>_Type, PyMPI<Class>_Get for the handle inside an
 * object, PyMPI<Class>_New, after import_mpi4py__MPI()). */
#ifndef MPIPY_MPI_H
#define MPIPY_MPI_H

#include "MPI_api.h"

#endif /* MPIPY_MPI_H */
