"""``mpiexec -n N python -m mpipy.futures <pyfile | -m module | -c command> [arg] ...``:
rank 0 runs the program, the other N-1 ranks serve as the workers of every
``MPIPoolExecutor`` it makes (which then spawns nothing). With one process, executors
spawn their workers as usual. An exception escaping the program aborts the job, as
``python -m mpipy`` does."""

import sys


def main(argv=None):
    """Run a program at rank 0 of COMM_WORLD with the other ranks as its workers."""
    from .. import MPI, run
    from . import _core

    world = MPI.COMM_WORLD
    if world.Get_size() == 1:
        run.main(argv)
        return
    inter, side = _core.split_comm(world, 0)
    if world.Get_rank() != 0:
        try:
            _core.serve(inter, side)
        finally:
            _core.disconnect(inter)
            side.Free()
        return
    backend = _core.MPIBackend(
        inter.Get_remote_size(), lambda: inter, _core.disconnect, _core.getenv_bool("USE_PKL5")
    )
    backend.shared = True
    backend.start()
    _core.SharedPool = backend
    try:
        run.main(argv)
    finally:
        _core.SharedPool = None
        backend.stop(wait=True)
        side.Free()


if __name__ == "__main__":
    main(sys.argv[1:])
