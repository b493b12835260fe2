"""Point-to-point with Python objects: each rank passes a dict to its right neighbour
in a ring, with a nonblocking send and a blocking receive, then rank 0 asks every other
rank a question and collects the answers in the order they arrive.

Run: mpiexec -n 4 python -m mpipy docs/examples/p2p_objects.py
"""

from mpipy import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
right, left = (rank + 1) % size, (rank - 1) % size

# A ring. isend returns at once, so every rank can go on to its recv; the object is
# pickled, so any picklable value works.
request = comm.isend({"from": rank, "squares": [rank * i for i in range(3)]}, dest=right)
got = comm.recv(source=left)
request.wait()
assert got["from"] == left

# Questions and answers: tags tell the two kinds of message apart, and a Status tells
# rank 0 who answered.
if rank == 0:
    for dest in range(1, size):
        comm.send(("double", dest), dest=dest, tag=1)
    answers = {}
    status = MPI.Status()
    for _ in range(1, size):
        value = comm.recv(source=MPI.ANY_SOURCE, tag=2, status=status)
        answers[status.Get_source()] = value
    print(f"rank 0 got {got} from rank {left}")
    print("answers:", dict(sorted(answers.items())))
else:
    question, value = comm.recv(source=0, tag=1)
    comm.send(2 * value if question == "double" else None, dest=0, tag=2)
