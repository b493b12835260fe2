"""mypy's stubtest, taught what nanobind's objects are (run by tools/typecheck.sh).

stubtest knows Python's own function, method and class objects; the extension's are
nanobind's, so without this it reports every binding: "is not a function" (an nb_func or
nb_method is neither), "stub is a staticmethod but runtime is not" (a static method is a
bare nb_func in the class, not a staticmethod object) and "metaclass differs" (every bound
class is an instance of nanobind's nb_type). Here those three objects count as what they
stand for; everything else stubtest checks as usual. (It cannot check the signatures of
bindings: inspect.signature does not read nanobind's.)

Usage: python tools/stubtest.py [stubtest's options] MODULE...   (mpipy importable)
"""

import sys

from mypy import stubtest

from mpipy import MPI

NB_FUNC = type(MPI.Init)  # a function, and a static method when found in a class
NB_METHOD = type(MPI.Comm.Get_rank)
NB_TYPE = type(MPI.Comm)

_is_function = stubtest.is_probably_a_function


def is_probably_a_function(runtime):
    return isinstance(runtime, (NB_FUNC, NB_METHOD)) or _is_function(runtime)


_static_class_methods = stubtest._verify_static_class_methods


def verify_static_class_methods(stub, runtime, static_runtime, object_path):
    if isinstance(static_runtime, NB_FUNC) and stub.is_static:
        return
    yield from _static_class_methods(stub, runtime, static_runtime, object_path)


_metaclass = stubtest._verify_metaclass


def verify_metaclass(stub, runtime, object_path, **kwargs):
    if type(runtime) is NB_TYPE:
        return
    yield from _metaclass(stub, runtime, object_path, **kwargs)


stubtest.is_probably_a_function = is_probably_a_function
stubtest._verify_static_class_methods = verify_static_class_methods
stubtest._verify_metaclass = verify_metaclass

if __name__ == "__main__":
    sys.exit(stubtest.main())
