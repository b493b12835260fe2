/* A SWIG module over C functions that take and give MPI handles, with mpipy's typemaps
 * (mpi4py/mpi4py.i): tests/test_capi.py runs swig -python on it, compiles the wrapper with
 * the MPI's mpicc and calls it. */
%module swig_demo

%include mpi4py/mpi4py.i
%mpi4py_typemap(Comm, MPI_Comm);
%mpi4py_typemap(Datatype, MPI_Datatype);
%mpi4py_typemap(Status, MPI_Status);

%{
/* The number of processes in comm. */
static int comm_size(MPI_Comm comm) {
    int size = -1;
    MPI_Comm_size(comm, &size);
    return size;
}
/* A duplicate of comm, for Python to free. */
static MPI_Comm comm_dup(MPI_Comm comm) {
    MPI_Comm dup = MPI_COMM_NULL;
    MPI_Comm_dup(comm, &dup);
    return dup;
}
/* The size of a datatype in bytes. */
static int type_size(MPI_Datatype type) {
    int size = -1;
    MPI_Type_size(type, &size);
    return size;
}
/* Replace *comm (the handle inside the object passed) by MPI_COMM_SELF; 1 if given NULL. */
static int point_to_self(MPI_Comm *comm) {
    if (!comm) return 1;
    *comm = MPI_COMM_SELF;
    return 0;
}
/* The source a status holds. */
static int status_source(MPI_Status *status) { return status->MPI_SOURCE; }
%}

int comm_size(MPI_Comm comm);
MPI_Comm comm_dup(MPI_Comm comm);
int type_size(MPI_Datatype type);
int point_to_self(MPI_Comm *comm);
int status_source(MPI_Status *status);
