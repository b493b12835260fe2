"""Dynamic processes: the running job starts 2 more Python processes with Comm.Spawn;
parents and children talk through the intercommunicator that joins them. The same file
is both programs: a child finds its parents with Comm.Get_parent().

Run: mpiexec -n 4 python -m mpipy docs/examples/spawn.py
(with Open MPI, add --oversubscribe when the cores are all taken)
"""

import sys

from mpipy import MPI

parent = MPI.Comm.Get_parent()
if parent == MPI.COMM_NULL:
    # The parents: all of COMM_WORLD spawns the children together (the command is read
    # at the root only). The result is an intercommunicator: the remote group is the
    # children.
    world = MPI.COMM_WORLD
    children = world.Spawn(sys.executable, [__file__], maxprocs=2, root=0)
    # Intercommunicator collectives: in the parents' group the root passes MPI.ROOT, the
    # others MPI.PROC_NULL; the children name the root's rank in the parents' group.
    is_root = world.Get_rank() == 0
    children.bcast(10, root=MPI.ROOT if is_root else MPI.PROC_NULL)
    total = children.reduce(None, op=MPI.SUM, root=MPI.ROOT if is_root else MPI.PROC_NULL)
    if is_root:
        print(f"{children.Get_remote_size()} children; the sum of their answers is {total}")
    children.Disconnect()
else:
    # A child: its COMM_WORLD holds the children only.
    n = parent.bcast(None, root=0)
    rank = MPI.COMM_WORLD.Get_rank()
    parent.reduce(n * (rank + 1), op=MPI.SUM, root=0)
    parent.Disconnect()
