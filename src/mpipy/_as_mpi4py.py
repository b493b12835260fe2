"""Run code written for mpi4py on mpipy: ``import mpi4py[.X]`` gives ``mpipy[.X]``.

:func:`install` (``mpipy.install_as_mpi4py()``, or ``python -m mpipy --as-mpi4py``)

- puts an import finder first on ``sys.meta_path`` that resolves ``mpi4py`` to the
  module ``mpipy`` and every ``mpi4py.X`` to the module ``mpipy.X``: the very same
  objects (``mpi4py.MPI is mpipy.MPI``), so the extension is loaded once and its types
  exist once. A name mpipy lacks (``mpi4py.nosuch``) raises ModuleNotFoundError; a real
  mpi4py installed in the environment is never reached.
- makes ``python -m mpi4py.X`` run ``mpipy.X`` (``mpi4py.futures`` runs
  ``mpipy.futures``' ``__main__``): runpy takes the code from the finder's loader.
- carries itself to the Python processes started from this one afterwards, two ways:

  * ``Spawn`` and ``Spawn_multiple`` of ``sys.executable``: the arguments
    ``[options] <program> args`` become ``[options] -m mpipy._as_mpi4py <program> args``
    (this module, run as a program, installs the aliasing and runs the program as
    ``python`` would). The environment cannot carry it there: MPICH's and Open MPI's
    launchers start spawned processes with the environment of ``mpiexec``, not of the
    process that spawns them.
  * the environment, for ``subprocess`` and the like: ``MPIPY_AS_MPI4PY=1`` and
    :data:`SHIM_DIR` first on ``PYTHONPATH``. The shim directory holds a package
    ``mpi4py`` whose ``__init__`` calls :func:`install` and hands over to ``mpipy``.

  A child started with ``python -E`` or ``-I`` ignores ``PYTHONPATH`` and gets the real
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
        # The import system sets __spec__ of the module returned to the alias's spec
        # (it keeps the other attributes, which are set): exec_module puts it back.
        self._own_spec = getattr(module, "__spec__", None)
        return module

    def exec_module(self, module):
        try:
            if self._own_spec is not None:
                module.__spec__ = self._own_spec
            elif getattr(module, "__spec__", None) is not None:
                del module.__spec__  # mpipy.rc, an object that had none
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


# -- Spawn ---------------------------------------------------------------------------------

_ENTRY = TARGET + "._as_mpi4py"  # ``python -m mpipy._as_mpi4py <program> args``


def _split_python_args(args):
    """Python's command line (after the interpreter) -> (interpreter options, program
    part: ``[path|-|-m mod|-c cmd, args...]``), or None when it names no program (an
    interactive interpreter, ``--version``, ...)."""
    args = [os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in args]
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return (args[: i + 1], args[i + 1 :]) if i + 1 < len(args) else None
        if arg == "-" or not arg.startswith("-"):
            return args[:i], args[i:]
        if arg.startswith("--"):
            if arg == "--check-hash-based-pycs":
                i += 1
            elif arg in ("--help", "--help-env", "--help-xoptions", "--help-all", "--version"):
                return None
            i += 1
            continue
        for k in range(1, len(arg)):
            flag = arg[k]
            if flag in "mc":
                options = args[:i] + ([arg[:k]] if k > 1 else [])
                if k + 1 < len(arg):
                    return options, ["-" + flag, arg[k + 1 :], *args[i + 1 :]]
                if i + 1 == len(args):
                    return None
                return options, ["-" + flag, *args[i + 1 :]]
            if flag in "WX":
                if k + 1 == len(arg):
                    i += 1  # the value is the next argument
                break
            if flag in "hV?":
                return None
        i += 1
    return None


def _spawn_args(command, args):
    """The arguments to spawn ``command`` with so that a Python child runs as mpi4py."""
    if isinstance(command, (str, bytes, os.PathLike)) and args is not None:
        if not isinstance(args, (str, bytes)):
            try:
                same = os.path.realpath(os.fsdecode(command)) == os.path.realpath(sys.executable)
            except (TypeError, ValueError):
                same = False
            if same:
                split = _split_python_args(list(args))
                if split is not None:
                    options, program = split
                    if options[-1:] == ["--"]:
                        options = options[:-1]
                    return [*options, "-m", _ENTRY, *program]
    return args


def _spawn_multiple_args(command, args):
    if args is None or isinstance(args, (str, bytes)):
        return args
    try:
        args = list(args)
    except TypeError:
        return args
    if isinstance(command, (str, bytes, os.PathLike)):
        commands = [command] * len(args)
    else:
        try:
            commands = list(command)
        except TypeError:
            return args
    if len(commands) != len(args):
        return args  # let Spawn_multiple report the mismatch
    return [_spawn_args(c, a) for c, a in zip(commands, args)]


def _wrap(original, rewrite):
    import functools

    @functools.wraps(original)
    def spawn(self, command, args=None, *rest, **kwargs):
        return original(self, command, rewrite(command, args), *rest, **kwargs)

    spawn._mpipy_as_mpi4py = original
    return spawn


def _hook_spawn():
    cls = sys.modules[TARGET + ".MPI"].Intracomm
    if not hasattr(cls.Spawn, "_mpipy_as_mpi4py"):
        cls.Spawn = _wrap(cls.Spawn, _spawn_args)
        cls.Spawn_multiple = _wrap(cls.Spawn_multiple, _spawn_multiple_args)


def _unhook_spawn():
    MPI = sys.modules.get(TARGET + ".MPI")
    if MPI is not None:
        for name in ("Spawn", "Spawn_multiple"):
            original = getattr(getattr(MPI.Intracomm, name), "_mpipy_as_mpi4py", None)
            if original is not None:
                setattr(MPI.Intracomm, name, original)


class _SpawnHookFinder(importlib.abc.MetaPathFinder):
    """Hooks ``Spawn`` when ``mpipy.MPI`` is imported after :func:`install` (by any name:
    the spec it gives may be one of several asked for, the one executed hooks)."""

    _busy = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname != TARGET + ".MPI" or self._busy or fullname in sys.modules:
            return None
        self._busy = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._busy = False
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_hook(module):
            exec_module(module)
            _hook_spawn()
            if self in sys.meta_path:
                sys.meta_path.remove(self)

        spec.loader.exec_module = exec_and_hook
        return spec


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
        if TARGET + ".MPI" in sys.modules:
            _hook_spawn()
        elif not any(isinstance(f, _SpawnHookFinder) for f in sys.meta_path):
            sys.meta_path.insert(0, _SpawnHookFinder())


def uninstall():
    """Undo :func:`install` in this process and for children started afterwards (for
    tests): ``mpi4py`` names are forgotten, the real mpi4py is importable again."""
    finder = _finder()
    if finder is not None:
        sys.meta_path.remove(finder)
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _SpawnHookFinder)]
    _unhook_spawn()
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


def _main(argv=None):
    """``python [options] -m mpipy._as_mpi4py <pyfile|-m mod|-c cmd|-> args...``: run the
    program as ``python`` would, as mpi4py (what ``Spawn`` of ``sys.executable`` runs)."""
    from .run import UsageError, parse_args, run_program

    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        _, _, kind, target, args, _ = parse_args(argv)
    except UsageError as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(2)
    install()
    run_program(kind, target, args)


if __name__ == "__main__":
    from mpipy._as_mpi4py import _main as main

    main()
