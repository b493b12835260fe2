"""mpipy: MPI for Python with a C++ core.

``from mpipy import MPI`` gives the mpi4py 4.x API over the MPI library mpipy was built
against. MPI is initialized when ``mpipy.MPI`` is first imported, as ``mpipy.rc`` says.
"""

__version__ = "0.1.0"
__all__ = ["MPI", "rc", "get_include", "get_config"]


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
    """Build configuration: the MPI mpipy was compiled against."""
    from . import MPI

    name, version = MPI.get_vendor()
    return {"vendor": name, "vendor_version": version, "mpi_version": MPI.Get_version()}


def __getattr__(name):
    if name == "MPI":
        import importlib

        return importlib.import_module(".MPI", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
