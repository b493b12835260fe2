"""Run a Python program as ``python`` would, but end the whole MPI job if it fails.

Usage (under mpiexec, on every rank)::

    python -m mpipy [options] <pyfile> [arg] ...
    python -m mpipy [options] -m <module> [arg] ...
    python -m mpipy [options] -c <command> [arg] ...
    python -m mpipy [options] - [arg] ...

An exception that escapes the program on one rank would otherwise leave the other
ranks waiting forever in their next collective or receive. Here the traceback is printed
and ``MPI.COMM_WORLD.Abort`` ends every process. ``SystemExit`` with code 0 or ``None``
exits normally; any other code aborts with that code (1 for a non-integer code, which
is printed as Python does).
"""

import ast
import os
import re
import sys

USAGE = """\
usage: python -m mpipy [options] <pyfile> [arg] ...
   or: python -m mpipy [options] -m <module> [arg] ...
   or: python -m mpipy [options] -c <command> [arg] ...
   or: python -m mpipy [options] - [arg] ...
"""

HELP = (
    USAGE
    + """
Runs the program like python would; if an uncaught exception (or a non-zero
SystemExit) ends it on any rank, prints the traceback and calls
MPI.COMM_WORLD.Abort so that the whole job ends instead of hanging.

options:
  --prefix             show the install path of mpipy and exit
  --version            show mpipy's version and exit
  --mpi-library        show the path of the MPI library in use and exit
  --mpi-std-version    show the MPI standard version and exit
  --mpi-lib-version    show the MPI library version and exit
  -h, --help           show this help and exit
  -rc <key=value,...>  set mpipy.rc.key = value before MPI is initialized
                       (values are Python literals; bare words are strings)
"""
)


class UsageError(Exception):
    pass


def parse_rc(text):
    """``'threads=False,thread_level=single'`` -> ``{'threads': False, ...}``."""
    try:
        call = ast.parse(f"f({text})", mode="eval").body
    except SyntaxError:
        call = None
    if not isinstance(call, ast.Call) or call.args or not call.keywords:
        raise UsageError(f"cannot parse rc option: {text}")
    values = {}
    for keyword in call.keywords:
        node = keyword.value
        if keyword.arg is None:
            raise UsageError(f"cannot parse rc option: {text}")
        if isinstance(node, ast.Name):
            values[keyword.arg] = node.id
            continue
        try:
            values[keyword.arg] = ast.literal_eval(node)
        except ValueError:
            raise UsageError(f"cannot parse rc option: {text}") from None
    return values


def parse_args(argv):
    """argv -> (info request or None, rc settings, kind, target, program arguments)."""
    rc_args = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            return "help", rc_args, None, None, []
        if arg in ("--prefix", "--version", "--mpi-library", "--mpi-std-version",
                   "--mpi-lib-version"):  # fmt: skip
            return arg[2:], rc_args, None, None, []
        if arg == "-rc" or arg.startswith("-rc="):
            if arg == "-rc":
                i += 1
                if i == len(argv):
                    raise UsageError("argument expected for option: -rc")
                arg = argv[i]
            else:
                arg = arg[len("-rc=") :]
            rc_args.update(parse_rc(arg))
        elif arg in ("-m", "-c"):
            if i + 1 == len(argv):
                raise UsageError(f"argument expected for option: {arg}")
            return None, rc_args, arg, argv[i + 1], argv[i + 2 :]
        elif arg == "-":
            return None, rc_args, "-", "-", argv[i + 1 :]
        elif arg.startswith("-"):
            raise UsageError(f"unknown option: {arg}")
        else:
            return None, rc_args, "path", arg, argv[i + 1 :]
        i += 1
    raise UsageError("no program given")


def _mpi_module():
    """mpipy.MPI, imported without initializing MPI if nothing imported it yet."""
    import mpipy

    if "mpipy.MPI" not in sys.modules:
        mpipy.rc.initialize = False
    from mpipy import MPI

    return MPI


def mpi_library():
    """Path of the MPI library the extension loaded."""
    MPI = _mpi_module()
    pattern = re.compile(r"^lib(mpi|msmpi)\.(so|dylib)")
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split(None, 5)[-1].strip()
                if pattern.match(os.path.basename(path)):
                    return path
    except OSError:
        pass
    import ctypes.util

    return ctypes.util.find_library("mpi") or f"(unknown: linked into {MPI.__file__})"


def show_info(what):
    import mpipy

    if what == "help":
        print(HELP, end="")
    elif what == "prefix":
        print(os.path.dirname(os.path.abspath(mpipy.__file__)))
    elif what == "version":
        print(f"mpipy {mpipy.__version__}")
    elif what == "mpi-library":
        print(mpi_library())
    elif what == "mpi-std-version":
        MPI = _mpi_module()
        built = (MPI.VERSION, MPI.SUBVERSION)
        runtime = MPI.Get_version()
        text = "MPI {}.{}".format(*built)
        if tuple(runtime) != built:
            text += " (runtime: MPI {}.{})".format(*runtime)
        print(text)
    elif what == "mpi-lib-version":
        print(_mpi_module().Get_library_version().rstrip())


def _new_main_module(filename):
    import types

    module = types.ModuleType("__main__")
    module.__builtins__ = __builtins__
    if filename is not None:
        module.__file__ = filename
    sys.modules["__main__"] = module
    return module


def run_program(kind, target, args):
    """Run the program in ``__main__``, as ``python`` does."""
    import runpy

    if kind == "path":
        sys.argv = [target, *args]
        if os.path.isfile(target):  # a directory or zip file puts itself on sys.path
            sys.path[0] = os.path.dirname(os.path.abspath(target))
        runpy.run_path(target, run_name="__main__")
    elif kind == "-m":
        sys.argv = [target, *args]  # run_module replaces argv[0] with the module's path
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        if kind == "-c":
            source, filename, sys.argv = target, "<string>", ["-c", *args]
        else:
            source, filename, sys.argv = sys.stdin.read(), "<stdin>", ["-", *args]
        code = compile(source, filename, "exec")
        exec(code, _new_main_module(None).__dict__)


def _user_traceback(tb):
    """Drop the frames of this module and runpy from the front of a traceback."""
    here = os.path.abspath(__file__)
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if os.path.abspath(name) != here and "runpy" not in name:
            break
        tb = tb.tb_next
    return tb


def abort(status):
    """End the whole job with ``status`` (a plain exit if MPI is not running)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed or broken stream must not stop the abort
            pass
    MPI = sys.modules.get("mpipy.MPI")
    if MPI is not None and MPI.Is_initialized() and not MPI.Is_finalized():
        try:
            MPI.COMM_WORLD.Abort(status)
        finally:
            os._exit(status or 1)
    sys.exit(status)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        info, rc_args, kind, target, args = parse_args(argv)
        if rc_args:
            import mpipy

            try:
                mpipy.rc(**rc_args)
            except TypeError:
                unknown = [k for k in rc_args if not hasattr(mpipy.rc, k)]
                raise UsageError(f"unknown rc option: {', '.join(unknown)}") from None
    except UsageError as exc:
        sys.stderr.write(f"{exc}\n{USAGE}Try 'python -m mpipy --help' for more.\n")
        sys.exit(2)
    if info is not None:
        show_info(info)
        return
    try:
        run_program(kind, target, args)
    except SystemExit as exc:
        code = exc.code
        if code is None or code == 0:
            raise
        if not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        abort(code)
    except BaseException as exc:
        exc = exc.with_traceback(_user_traceback(exc.__traceback__))
        sys.excepthook(type(exc), exc, exc.__traceback__)
        abort(1)


if __name__ == "__main__":
    main()
