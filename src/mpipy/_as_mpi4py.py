"""Run code written for mpi4py on mpipy: ``import mpi4py[.X]`` gives ``mpipy[.X]``.

:func:`install` (``mpipy.install_as_mpi4py()``, or ``python -m mpipy --as-mpi4py``)

- puts an import finder first on ``sys.meta_path`` that resolves ``mpi4py`` to the
  module ``mpipy`` and every ``mpi4py.X`` to the module ``mpipy.X``: the very same
  objects (``mpi4py.MPI is mpipy.MPI``), so the extension is loaded once and its types
  exist once. A name mpipy lacks (``mpi4py.nosuch``) raises ModuleNotFoundError; a real
  mpi4py installed in the environment is never reached.
- makes ``python -m mpi4py.X`` run ``mpipy.X`` (``mpi4py.futures`` runs
  ``mpipy.futures``' ``__main__``): runpy takes the code from the finder's loader.
- exports ``MPIPY_AS_MPI4PY=1`` and puts :data:`SHIM_DIR` first on ``PYTHONPATH``, so
  that every Python process started from this one afterwards (``MPI.Comm.Spawn`` of
  ``sys.executable``, ``subprocess``) does the same: the shim directory holds a package
  ``mpi4py`` whose ``__init__`` calls :func:`install` and hands over to ``mpipy``. A
  child started with ``python -E`` or ``-I`` ignores ``PYTHONPATH`` and gets the real
  mpi4py, if any.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys

ALIAS = "mpi4py"
TARGET = "mpipy"
ENV_VAR = "MPIPY_AS_MPI4PY"
SHIM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_as_mpi4py_path")


def _target_name(fullname):
    return TARGET + fullname[len(ALIAS) :]


def _owned(fullname):
    return fullname == ALIAS or fullname.startswith(ALIAS + ".")


class _AliasLoader(importlib.abc.Loader):
    """Loads ``mpi4py.X`` as the module ``mpipy.X`` itself (importing it if needed)."""

    def __init__(self, target, target_spec):
        self.target = target
        self.target_spec = target_spec

    def create_module(self, spec):
        module = sys.modules.get(self.target)
        if module is None:
            module = importlib.import_module(self.target)
        return module

    def exec_module(self, module):
        # The import system has set __spec__ of the module to the alias's spec (it keeps
        # the other attributes when they are set): give the module its own back.
        target = sys.modules.get(self.target, module)
        spec = getattr(target, "__spec__", None) if target is not module else None
        if spec is None:
            spec = self.target_spec
        if spec is not None:
            try:
                module.__spec__ = spec
            except (AttributeError, TypeError):
                pass

    # runpy (``python -m mpi4py.X``) asks the loader of mpi4py.X for the code of mpipy.X.
    def _target_loader(self):
        loader = getattr(self.target_spec, "loader", None)
        if loader is None:
            raise ImportError(f"cannot run {self.target!r}: it has no loader", name=self.target)
        return loader

    def get_code(self, fullname):
        return self._target_loader().get_code(self.target)

    def get_source(self, fullname):
        return self._target_loader().get_source(self.target)

    def get_filename(self, fullname):
        return self._target_loader().get_filename(self.target)

    def is_package(self, fullname):
        return self.target_spec is not None and (
            self.target_spec.submodule_search_locations is not None
        )


class AliasFinder(importlib.abc.MetaPathFinder):
    """Meta path finder resolving ``mpi4py[.X]`` to ``mpipy[.X]``."""

    def __repr__(self):
        return f"<{__name__}.AliasFinder {ALIAS} -> {TARGET}>"

    def find_spec(self, fullname, path=None, target=None):
        if not _owned(fullname):
            return None
        real = _target_name(fullname)
        module = sys.modules.get(real)
        if module is not None:
            # Already imported; mpipy.rc is an object, not a module, and has no spec.
            real_spec = getattr(module, "__spec__", None)
        else:
            real_spec = importlib.util.find_spec(real)  # imports the parents of real only
            if real_spec is None:
                return None  # the path finders then fail with "No module named mpi4py.X"
        locations = None
        if real_spec is not None:
            locations = real_spec.submodule_search_locations
        elif hasattr(module, "__path__"):
            locations = list(module.__path__)
        spec = importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(real, real_spec),
            origin=getattr(real_spec, "origin", None),
            is_package=locations is not None,
        )
        if locations is not None:
            spec.submodule_search_locations = list(locations)
        return spec


def _finder():
    for finder in sys.meta_path:
        if type(finder).__name__ == "AliasFinder" and type(finder).__module__ == __name__:
            return finder
    return None


def installed():
    """True when ``import mpi4py`` gives mpipy in this process."""
    return _finder() is not None and sys.modules.get(ALIAS) is sys.modules.get(TARGET)


def _forget_real_mpi4py():
    """Drop a real mpi4py imported before; refuse if its extension is loaded (two MPI
    bindings over one MPI library in one process cannot share MPI's state)."""
    stale = [
        name
        for name, module in sys.modules.items()
        if _owned(name) and module is not sys.modules.get(_target_name(name))
    ]
    if ALIAS + ".MPI" in stale:
        raise RuntimeError(
            "mpi4py.MPI (the real mpi4py) is already imported in this process: "
            "install mpipy as mpi4py before anything imports mpi4py.MPI"
        )
    for name in stale:
        del sys.modules[name]


def _export_to_children():
    os.environ[ENV_VAR] = "1"
    entries = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if not entries or entries[0] != SHIM_DIR:
        entries = [SHIM_DIR] + [p for p in entries if p != SHIM_DIR]
        os.environ["PYTHONPATH"] = os.pathsep.join(entries)


def install(*, children=True):
    """Make ``import mpi4py[.X]`` give ``mpipy[.X]`` in this process (idempotent) and,
    with ``children`` (the default), in every Python process started from it afterwards.
    """
    import mpipy

    if _finder() is None:
        _forget_real_mpi4py()
        sys.meta_path.insert(0, AliasFinder())
    sys.modules[ALIAS] = mpipy
    # Submodules of mpipy imported already are aliased at once (the finder does it too,
    # at their first import under the alias).
    for name, module in list(sys.modules.items()):
        if name.startswith(TARGET + ".") and module is not None:
            sys.modules.setdefault(ALIAS + name[len(TARGET) :], module)
    if children:
        _export_to_children()


def uninstall():
    """Undo :func:`install` in this process and for children started afterwards (for
    tests): ``mpi4py`` names are forgotten, the real mpi4py is importable again."""
    finder = _finder()
    if finder is not None:
        sys.meta_path.remove(finder)
    for name in [n for n in sys.modules if _owned(n)]:
        del sys.modules[name]
    if os.environ.get(ENV_VAR):
        del os.environ[ENV_VAR]
    entries = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if SHIM_DIR in entries:
        entries = [p for p in entries if p != SHIM_DIR]
        if entries:
            os.environ["PYTHONPATH"] = os.pathsep.join(entries)
        else:
            del os.environ["PYTHONPATH"]
