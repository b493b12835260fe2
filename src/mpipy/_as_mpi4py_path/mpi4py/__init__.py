"""Stand-in for mpi4py, first on ``PYTHONPATH`` in processes started by a program that
runs as mpi4py on mpipy (``python -m mpipy --as-mpi4py``, ``mpipy.install_as_mpi4py()``):
importing it installs the aliasing and hands over to mpipy, so that ``import mpi4py``
gives the module ``mpipy`` (the import system returns what ``sys.modules`` holds)."""

import os as _os

if _os.environ.get("MPIPY_AS_MPI4PY", "") not in ("", "0"):
    from mpipy._as_mpi4py import install as _install

    _install()
else:  # the variable was cleared: leave the way to a real mpi4py, if any
    import sys as _sys

    _here = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
    _sys.path[:] = [p for p in _sys.path if _os.path.abspath(p or ".") != _here]
    del _sys.modules[__name__]
    import mpi4py as _real  # noqa: E402

    _sys.modules[__name__] = _real
