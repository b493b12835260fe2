/* SWIG typemaps that pass MPI handles between C and Python as mpipy objects, through the C
 * API (<mpi4py/mpi4py.h>). In an interface file:
 *
 *     %include mpi4py/mpi4py.i             (swig -I$(python -c "import mpipy; print(mpipy.get_include())"))
 *     %mpi4py_typemap(Comm, MPI_Comm);
 *     %mpi4py_typemap(Datatype, MPI_Datatype);
 *
 * Then a wrapped function taking an MPI_Comm takes an MPI.Comm (any subclass: an Intracomm,
 * a Cartcomm...; anything else raises TypeError), one returning an MPI_Comm returns a new
 * MPI.Comm holding it, and an MPI_Comm * parameter points into the object passed (None
 * passes NULL). The first argument is the class's name in mpipy.MPI: Comm, Datatype,
 * Request, Message, Op, Group, Info, Errhandler, Session, Win, File, Status (a status is
 * taken as MPI_Status or MPI_Status *; no function can return one by value). The module's
 * init imports mpipy.MPI. */

%header %{
#include <mpi4py/mpi4py.h>
%}
%init %{
if (import_mpi4py() < 0) return NULL;
%}

/* Overload resolution: after the integers and pointers SWIG knows. */
%define SWIG_TYPECHECK_MPI_Comm 400 %enddef
%define SWIG_TYPECHECK_MPI_Datatype 401 %enddef
%define SWIG_TYPECHECK_MPI_Request 402 %enddef
%define SWIG_TYPECHECK_MPI_Message 403 %enddef
%define SWIG_TYPECHECK_MPI_Status 404 %enddef
%define SWIG_TYPECHECK_MPI_Op 405 %enddef
%define SWIG_TYPECHECK_MPI_Group 406 %enddef
%define SWIG_TYPECHECK_MPI_Info 407 %enddef
%define SWIG_TYPECHECK_MPI_File 408 %enddef
%define SWIG_TYPECHECK_MPI_Win 409 %enddef
%define SWIG_TYPECHECK_MPI_Errhandler 410 %enddef
%define SWIG_TYPECHECK_MPI_Session 411 %enddef

/* Type * parameters: the handle inside the object (None: NULL). */
%define %mpi4py_pointer_typemap(PyType, Type)
%typemap(in) Type * {
    if ($input == Py_None) {
        $1 = NULL;
    } else {
        $1 = PyMPI##PyType##_Get($input);
        if (!$1) SWIG_fail;
    }
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_##Type) Type * {
    $1 = ($input == Py_None || PyObject_TypeCheck($input, &PyMPI##PyType##_Type)) ? 1 : 0;
}
%enddef

%define %mpi4py_typemap(PyType, Type)
%mpi4py_pointer_typemap(PyType, Type)
%typemap(in) Type {
    Type *mpipy_handle = PyMPI##PyType##_Get($input);
    if (!mpipy_handle) SWIG_fail;
    $1 = *mpipy_handle;
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_##Type) Type {
    $1 = PyObject_TypeCheck($input, &PyMPI##PyType##_Type) ? 1 : 0;
}
%typemap(out) Type {
    $result = PyMPI##PyType##_New($1);
    if (!$result) SWIG_fail;
}
%enddef
