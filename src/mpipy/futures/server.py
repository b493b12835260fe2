"""Entry point of spawned workers: ``python -m mpipy.futures.server`` serves the parent's
tasks over the intercommunicator to it, then disconnects."""

from . import _core


def main():
    """Serve the tasks of the parent process, then disconnect from it."""
    from .. import MPI

    parent = MPI.Comm.Get_parent()
    if parent == MPI.COMM_NULL:
        raise SystemExit("mpipy.futures.server: not spawned by a manager (no parent)")
    try:
        _core.serve(parent, MPI.COMM_WORLD)
    finally:
        _core.disconnect(parent)


if __name__ == "__main__":
    main()
