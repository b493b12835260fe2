"""mpipy: MPI for Python with a C++ core.

``from mpipy import MPI`` gives the mpi4py 4.x API over the MPI library mpipy was built
against. MPI is initialized when ``mpipy.MPI`` is first imported, as ``mpipy.rc`` says.
"""

__version__ = "0.1.0"
__author__ = "the mpipy developers"
__credits__ = "MPI Forum, MPICH Team, Open MPI Team, and mpi4py, whose API mpipy follows"
__all__ = ["MPI", "rc", "get_include", "get_config", "profile", "install_as_mpi4py"]


class Rc:
    """Runtime configuration, read when ``mpipy.MPI`` is first imported.

    Attributes:
        initialize: initialize MPI at import (default ``True``).
        threads: initialize with thread support (default ``True``).
        thread_level: ``'multiple'`` (default), ``'serialized'``, ``'funneled'``
            or ``'single'``.
        finalize: finalize MPI at exit; ``None`` (default) finalizes it when mpipy
            initialized it.
        errors: error handling on communicators mpipy creates: ``'exception'``
            (default, ``ERRORS_RETURN`` and ``MPI.Exception``), ``'default'``,
            ``'abort'`` or ``'fatal'``.
        wait_policy: how blocking calls wait: ``'mpi'`` (default: inside MPI, whose
            wait may keep a core busy) or ``'backoff'`` (polling, yielding the core and
            then sleeping up to a millisecond between polls: for oversubscribed jobs and
            ranks that wait long, at some cost in latency). Object collectives always
            wait inside MPI.
        fast_reduce, recv_mprobe, irecv_bufsz: accepted, as mpi4py's, and without
            effect: object reductions always use mpipy's own algorithms, receives of
            objects always match their message with a matched probe, and ``irecv``
            without a buffer always receives any size.

    Each option can also be set in the environment, which wins over the value set here:
    ``MPIPY_RC_<OPTION>`` (or mpi4py's ``MPI4PY_RC_<OPTION>``), e.g.
    ``MPIPY_RC_THREADS=no`` or ``MPIPY_RC_WAIT_POLICY=backoff``.
    """

    initialize = True
    threads = True
    thread_level = "multiple"
    finalize = None
    fast_reduce = True
    recv_mprobe = True
    irecv_bufsz = 32768
    errors = "exception"
    wait_policy = "mpi"

    def __init__(self, **kwargs):
        self(**kwargs)

    def __setattr__(self, name, value):
        # Options only, but the import system may record its own dunder attributes
        # (__spec__, __loader__, ...) on rc, which sits in sys.modules as mpipy.rc.
        dunder = name.startswith("__") and name.endswith("__")
        if not hasattr(self, name) and not dunder:
            raise TypeError(f"object has no attribute {name!r}")
        super().__setattr__(name, value)

    def __call__(self, **kwargs):
        for key, value in kwargs.items():
            setattr(self, key, value)

    def __repr__(self):
        return f"<{__name__}.rc>"

    def _from_environment(self):
        """Apply MPIPY_RC_<OPTION> (else MPI4PY_RC_<OPTION>) settings: an integer for an
        integer option, yes/no words for booleans, any other text lowercased."""
        import os

        for name in [n for n in vars(type(self)) if not n.startswith("_")]:
            text = os.environ.get("MPIPY_RC_" + name.upper())
            if text is None:
                text = os.environ.get("MPI4PY_RC_" + name.upper())
            if text is None:
                continue
            word = text.strip().lower()
            if word.isdigit() and type(getattr(self, name)) is int:
                value = int(word)
            elif word in ("true", "yes", "on", "y", "1"):
                value = True
            elif word in ("false", "no", "off", "n", "0"):
                value = False
            else:
                value = word
            setattr(self, name, value)


rc = Rc()
# ``import mpipy.rc`` gives this very object (code written for mpi4py does ``import
# mpi4py.rc; mpi4py.rc.threads = False``).
__import__("sys").modules[__name__ + ".rc"] = rc


def get_include():
    """Directory of mpipy's C headers (``#include <mpipy/mpipy.h>``)."""
    import os

    return os.path.join(os.path.dirname(__file__), "include")


def get_config():
    """Build configuration: the MPI mpipy was compiled against (``mpi_abi``: the version
    of the MPI standard ABI it was built for, or None if built for one MPI's own ABI)."""
    from . import MPI

    name, version = MPI.get_vendor()
    return {
        "vendor": name,
        "vendor_version": version,
        "mpi_version": MPI.Get_version(),
        "mpi_abi": MPI._mpi_abi,
    }


def profile(name, *, path=None):
    """Load the MPI profiling library ``name`` (e.g. a tracer interposing the ``MPI_*``
    functions) into the process, with its symbols global, before MPI is initialized.

    ``name`` is a file name or a library name: each directory of ``path`` (a string
    with ``os.pathsep`` between directories, a path, or a sequence of them; default: the
    current directory) is searched for ``name`` itself, then for ``lib<name>.so``
    (``.dylib`` on macOS). Raises ValueError if no such file exists; warns (UserWarning)
    if the file found cannot be loaded. Call it before ``from mpipy import MPI``: the
    library must come before the MPI library to interpose its functions.
    """
    import ctypes
    import os
    import sys
    import warnings

    if path is None:
        dirs = [""]
    elif isinstance(path, (str, bytes)):
        sep = os.pathsep if isinstance(path, str) else os.fsencode(os.pathsep)
        dirs = path.split(sep)
    elif isinstance(path, os.PathLike):
        dirs = [path]
    else:
        dirs = list(path)
    name = os.fsdecode(name)
    suffix = ".dylib" if sys.platform == "darwin" else ".so"
    found = None
    for directory in map(os.fsdecode, dirs):
        for candidate in (name, f"lib{name}{suffix}"):
            filename = os.path.join(directory, candidate)
            if os.path.isfile(filename):
                found = os.path.realpath(filename)
                break
        if found is not None:
            break
    if found is None:
        raise ValueError(f"profiler {name!r} not found")
    mode = getattr(os, "RTLD_NOW", 0) | getattr(os, "RTLD_GLOBAL", ctypes.RTLD_GLOBAL)
    try:
        library = ctypes.CDLL(found, mode=mode)
    except OSError as exc:
        warnings.warn(f"cannot load profiler {found!r}: {exc}", UserWarning, stacklevel=2)
        return
    _profilers.append((name, library))  # kept loaded for the life of the process


_profilers = []


def install_as_mpi4py(*, children=True):
    """Make ``import mpi4py`` (and ``mpi4py.MPI``, ``mpi4py.futures``, ``mpi4py.util.*``,
    ``mpi4py.rc``, ``python -m mpi4py.X``) give mpipy's modules, so that a program
    written for mpi4py runs unchanged on mpipy: in this process and, with ``children``
    (the default), in every Python process it starts afterwards: ``Spawn`` and
    ``Spawn_multiple`` of ``sys.executable`` start the children through
    ``python -m mpipy._as_mpi4py``, and other children (``subprocess``) inherit
    ``MPIPY_AS_MPI4PY=1`` and a directory first on ``PYTHONPATH``.

    The names are aliases of the same module objects (``mpi4py.MPI is mpipy.MPI``).
    Call it before anything imports ``mpi4py.MPI``: a real mpi4py whose extension is
    loaded already makes it raise RuntimeError. ``python -m mpipy --as-mpi4py`` does
    this before it runs the program.
    """
    from ._as_mpi4py import install

    install(children=children)


def __getattr__(name):
    if name == "MPI":
        import importlib

        return importlib.import_module(".MPI", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
