"""Which MPI ABI the MPI library of this process has, and a finder for extension modules
built once per ABI (mpi4py's ``mpi4py._mpiabi``, with the same private names).

The ABI is a short lowercase name: ``"mpich"`` (MPICH and the libraries derived from it:
Intel MPI on POSIX systems, MVAPICH, ...), ``"openmpi"``, ``"impi"`` and ``"msmpi"``
(Windows), or ``"mpiabi"`` for the MPI-5 standard ABI. It comes from, in order: the module
variable :data:`MPIABI`, the environment (``MPIPY_MPIABI``, else ``MPI4PY_MPIABI``), or
the MPI library itself (the one the process has loaded, else :data:`LIBMPI`,
``MPIPY_LIBMPI`` / ``MPI4PY_LIBMPI``, else the usual places), and is cached.

An extension module registered with :func:`_register` for some ABIs is looked for as
``<name>.<abi><extension suffix>`` (``MPI.mpich.cpython-311-x86_64-linux-gnu.so``) by
:class:`_Finder`, once :func:`_install_finder` has put it on ``sys.meta_path``. mpipy's
own builds target one MPI each (or the standard ABI) and register nothing.
"""

import importlib.machinery
import importlib.util
import os
import sys
import warnings

MPIABI = None  # the ABI's name, if set: wins over everything else
LIBMPI = None  # where to look for the MPI library (os.pathsep-separated files or folders)
LIBMPI_PATH = []  # folders to search when LIBMPI is unset (default: _dlopen_rpath())
LIBMPI_MODE = None  # dlopen mode flags (default: _dlopen_mode())

_registry = {}  # extension module name -> ABI names it was built for


def _verbose_info(message, verbosity=1):
    """Print ``# [<module>] message`` on stderr when Python runs with ``-v`` at least
    ``verbosity`` times."""
    if sys.flags.verbose >= verbosity:
        sys.stderr.write(f"# [{__name__}] {message}\n")


def _dlopen_rpath():
    """Folders where an MPI library is looked for, most specific first: the ``lib``
    folders of the virtual environment, user site and Python installation (``DLLs`` and
    ``Library/bin`` on Windows), the loader's own search (``""``), then the folders the
    vendors' installations use (Intel MPI and MS-MPI by their environment variables on
    Windows, Homebrew and MacPorts on macOS)."""
    found = []

    def add(*parts):
        folder = os.path.join(*parts)
        if folder not in found:
            found.append(folder)

    prefixes = []
    site = sys.modules.get("site")
    if site is not None:
        if sys.exec_prefix != sys.base_exec_prefix:
            prefixes.append(sys.exec_prefix)
        if getattr(site, "ENABLE_USER_SITE", False) and getattr(site, "USER_BASE", None):
            prefixes.append(os.path.abspath(site.USER_BASE))
        if sys.base_exec_prefix in getattr(site, "PREFIXES", []):
            prefixes.append(sys.base_exec_prefix)
    windows = os.name == "nt"
    for prefix in prefixes:
        if windows:
            add(prefix, "DLLs")
            add(prefix, "Library", "bin")
        elif prefix != "/usr":
            add(prefix, "lib")
    add("")
    if windows:
        environ = os.environ
        impi_root = environ.get("I_MPI_ROOT")
        if impi_root:
            kind = environ.get("I_MPI_LIBRARY_KIND") or "release"
            add(impi_root, "bin", "mpi", kind)
            add(impi_root, "bin", kind)
            add(impi_root, "bin")
        msmpi_bin = environ.get("MSMPI_BIN")
        if not msmpi_bin and environ.get("MSMPI_ROOT"):
            msmpi_bin = os.path.join(environ["MSMPI_ROOT"], "bin")
        if msmpi_bin:
            add(msmpi_bin)
    if sys.platform == "darwin":
        for folder in ("/usr/local/lib", "/opt/homebrew/lib", "/opt/local/lib"):
            add(folder)
    return found


def _dlopen_mode():
    """dlopen flags for an MPI library: lazy, and global on macOS only."""
    if os.name != "posix":
        return None
    if sys.platform == "darwin":
        return os.RTLD_LAZY | os.RTLD_GLOBAL
    return os.RTLD_LAZY | os.RTLD_LOCAL


def _library_file_names():
    if sys.platform == "darwin":
        return ["libmpi.dylib", "libmpi.12.dylib", "libmpi.40.dylib"]
    if os.name == "posix":
        return ["libmpi.so", "libmpi.so.12", "libmpi.so.40"]  # any, MPICH's, Open MPI's
    return ["impi.dll", "msmpi.dll"]


def _dlopen_libmpi(libmpi=None):
    """A ctypes handle on an MPI library: the process's own symbols if they hold MPI,
    else the first library found along ``libmpi`` (or LIBMPI_PATH, or _dlopen_rpath())."""
    import ctypes

    def load(filename, mode):
        _verbose_info(f"trying to dlopen {filename!r}")
        library = ctypes.CDLL(filename, ctypes.DEFAULT_MODE if mode is None else mode)
        library.MPI_Get_version  # noqa: B018 (AttributeError when it is no MPI library)
        _verbose_info(f"MPI library from {filename!r}")
        return library

    if os.name == "posix":
        try:
            return load(None, None)
        except (OSError, AttributeError):
            pass
    if libmpi is not None:
        entries = libmpi.split(os.pathsep)
    else:
        entries = LIBMPI_PATH or _dlopen_rpath() or [""]
    mode = LIBMPI_MODE if LIBMPI_MODE is not None else _dlopen_mode()
    candidates = []
    for entry in entries:
        entry = os.path.expanduser(os.path.expandvars(entry or ""))
        if entry == "" or os.path.isdir(entry):
            candidates += [os.path.join(entry, name) for name in _library_file_names()]
        else:
            candidates.append(entry)
    failures = []
    for filename in candidates:
        try:
            return load(filename, mode)
        except (OSError, AttributeError) as exc:
            failures.append(str(exc))
    raise RuntimeError("\n".join(["cannot load MPI library", *failures]))


def _get_mpiabi_from_libmpi(libmpi=None):
    """The ABI of an MPI library (see :func:`_dlopen_libmpi`), from its symbols."""
    import ctypes

    library = _dlopen_libmpi(libmpi)
    abi_version = getattr(library, "MPI_Abi_get_version", None)
    if abi_version is not None:
        major, minor = ctypes.c_int(0), ctypes.c_int(0)
        abi_version.restype = ctypes.c_int
        abi_version.argtypes = [ctypes.POINTER(ctypes.c_int)] * 2
        status = abi_version(ctypes.byref(major), ctypes.byref(minor))
        if status != 0:
            raise RuntimeError(f"MPI_Abi_get_version [ierr={status}]")
        if major.value > 0:
            return "mpiabi"
    if os.name == "posix":
        return "openmpi" if hasattr(library, "ompi_mpi_comm_self") else "mpich"
    return "msmpi" if hasattr(library, "MSMPI_Get_version") else "impi"


def _get_mpiabi_from_string(string):
    """An ABI name as written by people (``"Open MPI"``, ``"OPEN-MPI"``, ``"I_MPI"``)
    -> its short name: spaces, dashes and underscores dropped, lowercase; Intel MPI is
    ``"mpich"`` on POSIX systems, MPICH is ``"impi"`` on Windows."""
    name = "".join(c for c in string if c not in " -_").lower()
    if os.name == "posix":
        return "mpich" if name == "impi" else name
    return "impi" if name == "mpich" else name


def _get_mpiabi():
    """The ABI of this process's MPI (cached as the attribute ``mpiabi`` of this
    function; delete it, or set it to None, to look again)."""
    cached = getattr(_get_mpiabi, "mpiabi", None)
    if cached is not None:
        return cached
    environ = os.environ
    name = MPIABI or environ.get("MPIPY_MPIABI") or environ.get("MPI4PY_MPIABI")
    if name is not None:
        abi = _get_mpiabi_from_string(name)
    else:
        libmpi = LIBMPI or environ.get("MPIPY_LIBMPI") or environ.get("MPI4PY_LIBMPI")
        abi = _get_mpiabi_from_libmpi(libmpi)
    _get_mpiabi.mpiabi = abi
    return abi


def _register(module, mpiabi):
    """Record that extension ``module`` (a full name) has a build for ``mpiabi``."""
    abis = _registry.setdefault(module, [])
    abi = _get_mpiabi_from_string(mpiabi)
    if abi not in abis:
        abis.append(abi)


def _get_mpiabi_suffix(module):
    """``".<abi>"`` (``""`` for the ABI named ``""``) if ``module`` has a build for this
    process's ABI, None if it is not registered or has no such build."""
    abis = _registry.get(module)
    if abis is None:
        return None
    abi = _get_mpiabi()
    if abi not in abis:
        return None
    return f".{abi}" if abi else ""


class _Finder:
    """Meta path finder of the ABI-specific builds of registered extension modules."""

    @classmethod
    def find_spec(cls, fullname, path, target=None):
        """The spec of ``<name>.<abi><extension suffix>`` in one of ``path``'s folders,
        or None if ``fullname`` is not registered for this ABI, or (with a
        RuntimeWarning) if no such file exists."""
        suffix = _get_mpiabi_suffix(fullname)
        if suffix is None:
            return None
        _verbose_info(f"MPI ABI extension module: {fullname!r}")
        _verbose_info(f"MPI ABI extension suffix: {suffix!r}")
        name = fullname.rpartition(".")[2]
        for folder in path or []:
            for ext in importlib.machinery.EXTENSION_SUFFIXES:
                location = os.path.join(folder, f"{name}{suffix}{ext}")
                if os.path.isfile(location):
                    return importlib.util.spec_from_file_location(fullname, location)
        warnings.warn(f"unsupported MPI ABI {suffix[1:]!r}", RuntimeWarning, stacklevel=2)
        return None


def _install_finder():
    """Put :class:`_Finder` last on ``sys.meta_path`` (once)."""
    if _Finder not in sys.meta_path:
        sys.meta_path.append(_Finder)
