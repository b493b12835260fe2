"""mpipy.futures.MPIPoolExecutor: a pool of worker processes spawned on demand, with the
interface of concurrent.futures; and mpipy.util.pool.Pool, the same workers behind the
interface of multiprocessing.Pool.

Run: mpiexec -n 1 python docs/examples/futures_pool.py
(or without mpiexec; or start the workers with the job:
 mpiexec -n 3 python -m mpipy.futures docs/examples/futures_pool.py)
"""

import concurrent.futures

from mpipy.futures import MPIPoolExecutor
from mpipy.util.pool import Pool


def collatz_steps(n):
    steps = 0
    while n != 1:
        n = 3 * n + 1 if n % 2 else n // 2
        steps += 1
    return steps


if __name__ == "__main__":  # the workers import this file too: only the manager runs this
    with MPIPoolExecutor(max_workers=2) as executor:
        print("steps:", list(executor.map(collatz_steps, range(1, 11))))
        futures = {executor.submit(collatz_steps, n): n for n in (27, 97, 871)}
        steps = {}
        for future in concurrent.futures.as_completed(futures):  # in the order they end
            steps[futures[future]] = future.result()
        print("submitted:", dict(sorted(steps.items())))

    with Pool(2) as pool:
        result = pool.map_async(collatz_steps, [6, 7, 9])
        print("Pool:", result.get(timeout=60))
