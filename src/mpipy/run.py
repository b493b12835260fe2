"""Run a Python program as ``python`` would, but end the whole MPI job if it fails.

Usage (under mpiexec, on every rank)::

    python -m mpipy [options] <pyfile> [arg] ...
    python -m mpipy [options] -m <module> [arg] ...
    python -m mpipy [options] -c <command> [arg] ...
    python -m mpipy [options] - [arg] ...

An exception that escapes the program on one rank would otherwise leave the other
ranks waiting forever in their next collective or receive. Here the traceback is printed
(without this module's and runpy's frames) and ``MPI.COMM_WORLD.Abort`` ends every
process at once, without finalizing MPI. The exit status is ``python -m mpi4py``'s:

- ``SystemExit`` with code 0 or ``None``: a normal exit (MPI is finalized at exit);
- ``SystemExit(n)``: abort with status n; a non-integer code is printed, status 1;
- ``KeyboardInterrupt``: abort with status 130 (128 + SIGINT);
- any other exception: abort with status 1.

With ``--as-mpi4py`` the program is one written for mpi4py: ``import mpi4py[.X]`` gives
mpipy's modules, here and in the Python processes it starts (``mpipy._as_mpi4py``).

If MPI is not running (never initialized, or already finalized) there is no job to end:
the exception propagates and Python exits as it would have. A bad command line exits
with status 1, as mpi4py's.

A rank killed by a signal (SIGKILL, SIGSEGV, ...) never reaches this code: the MPI's
launcher ends the job. Measured on one node (tests/test_run.py: 4 ranks in collectives,
time from the failure to the end of mpiexec): MPICH 5.0.2's mpiexec kills the other
ranks within 0.03 s, prints "BAD TERMINATION ... Killed (signal 9)" and exits with the
signal's number (9, 11); Open MPI 5.0.11's within 0.35 s, prints "prterun noticed that
process rank 1 ... exited on signal 9 (Killed)" (for SIGSEGV after its own backtrace) and
exits with 128 + the number (137, 139). The abort after an exception waits
``ABORT_GRACE`` (0.1 s) for the launcher to forward the output (without it a traceback
was often lost), then ends the job within 0.01 s (MPICH) and 0.05 s (Open MPI).
"""

import ast
import os
import re
import signal
import sys
import time

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
  --mpi-abi-version    show the version of the MPI standard ABI the library in use
                       implements ("none" if it implements none) and exit
  --mpi-vendor         show the name and version of the MPI library in use and exit
  -h, --help           show this help and exit
  -rc <key=value,...>  set mpipy.rc.key = value before MPI is initialized
                       (values are Python literals; bare words are strings)
  --as-mpi4py          run a program written for mpi4py unchanged: import mpi4py
                       (mpi4py.MPI, mpi4py.futures, mpi4py.util, ...) gives mpipy's
                       modules, here and in the Python processes it starts
"""
)


ABORT_GRACE = 0.1  # seconds for the launcher to forward output before an abort


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
    """argv -> (info request or None, rc settings, kind, target, program arguments,
    whether to run as mpi4py)."""
    rc_args = {}
    as_mpi4py = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            return "help", rc_args, None, None, [], as_mpi4py
        if arg in ("--prefix", "--version", "--mpi-library", "--mpi-std-version",
                   "--mpi-lib-version", "--mpi-abi-version", "--mpi-vendor"):  # fmt: skip
            return arg[2:], rc_args, None, None, [], as_mpi4py
        if arg == "-rc" or arg.startswith("-rc="):
            if arg == "-rc":
                i += 1
                if i == len(argv):
                    raise UsageError("argument expected for option: -rc")
                arg = argv[i]
            else:
                arg = arg[len("-rc=") :]
            rc_args.update(parse_rc(arg))
        elif arg == "--as-mpi4py":
            as_mpi4py = True
        elif arg in ("-m", "-c"):
            if i + 1 == len(argv):
                raise UsageError(f"argument expected for option: {arg}")
            return None, rc_args, arg, argv[i + 1], argv[i + 2 :], as_mpi4py
        elif arg == "-":
            return None, rc_args, "-", "-", argv[i + 1 :], as_mpi4py
        elif arg.startswith("-"):
            raise UsageError(f"unknown option: {arg}")
        else:
            return None, rc_args, "path", arg, argv[i + 1 :], as_mpi4py
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
    pattern = re.compile(r"^lib(mpi|mpi_abi|msmpi)\.(so|dylib)")
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
    elif what == "mpi-abi-version":
        major, minor = _mpi_module().Get_abi_version()
        print(f"MPI ABI {major}.{minor}" if major >= 0 else "none")
    elif what == "mpi-vendor":
        name, version = _mpi_module().get_vendor()
        print(name, ".".join(map(str, version)))


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


def exit_status(exc):
    """The status an exception ends the program with, as ``python -m mpi4py`` gives it:
    SystemExit's code (0 for None, 1 for a non-integer), 128 + SIGINT for
    KeyboardInterrupt, 1 for anything else."""
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1
    if isinstance(exc, KeyboardInterrupt):
        return 128 + signal.SIGINT
    return 1


def _mpi_running():
    MPI = sys.modules.get("mpipy.MPI")
    return MPI is not None and MPI.Is_initialized() and not MPI.Is_finalized()


def abort(status):
    """End the whole job with ``status`` at once, without finalizing MPI: the other
    ranks may be blocked in a collective that this one will never enter."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed or broken stream must not stop the abort
            pass
    # The launcher forwards the ranks' output; an abort makes it kill the job at once, and
    # what it has not forwarded yet (this traceback, or another failing rank's) is lost.
    time.sleep(ABORT_GRACE)
    try:
        sys.modules["mpipy.MPI"].COMM_WORLD.Abort(status)
    finally:
        os._exit(status or 1)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        info, rc_args, kind, target, args, as_mpi4py = parse_args(argv)
        if rc_args:
            import mpipy

            try:
                mpipy.rc(**rc_args)
            except TypeError:
                unknown = [k for k in rc_args if not hasattr(mpipy.rc, k)]
                raise UsageError(f"unknown rc option: {', '.join(unknown)}") from None
    except UsageError as exc:
        sys.stderr.write(f"{exc}\n{USAGE}Try 'python -m mpipy --help' for more.\n")
        sys.exit(1)  # as python -m mpi4py
    if info is not None:
        show_info(info)
        return
    if as_mpi4py:
        import mpipy

        mpipy.install_as_mpi4py()
    try:
        run_program(kind, target, args)
    except BaseException as exc:
        status = exit_status(exc)
        if not status or not _mpi_running():
            raise  # no job to end: Python exits as it would have
        if isinstance(exc, SystemExit):
            if not isinstance(exc.code, int):
                print(exc.code, file=sys.stderr)  # as Python shows such a code
        else:
            exc = exc.with_traceback(_user_traceback(exc.__traceback__))
            try:
                sys.excepthook(type(exc), exc, exc.__traceback__)
            except BaseException:  # a broken hook or stream must not stop the abort
                pass
        abort(status)


if __name__ == "__main__":
    main()
