#!/usr/bin/env python3
"""Latency and bandwidth curves from the JSON of ``run.py --sweep --json``: one PNG per case.

    python benchmarks/plot.py RESULTS.json [--outdir benchmarks/plots]

Each figure has two panels over the message (or object) size on a log axis: the time per
operation (log-log) and the bandwidth, size / time. One curve per implementation (C,
mpi4py, mpipy); for ``object``, one per implementation and kind of object, with C's
Send/Recv of the same bytes (from ``pingpong``) for reference. The files are named
``<mpi>-<case>.png`` (``-n<N>`` added for process counts other than 2), and a copy of the
data goes next to them as ``<mpi>.json``, so that the figures can be drawn again from it.
Needs matplotlib (see README.md: plot.sh runs the sweep and this script in one command).
"""

import argparse
import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullLocator  # noqa: E402

CASES = ("pingpong", "isend", "allreduce", "bcast", "object")
IMPLS = {"c": ("C", "tab:gray", "s"), "mpi4py": ("mpi4py", "tab:blue", "o")}
IMPLS["mpipy"] = ("mpipy", "tab:red", "^")
LINES = {"": "-", "ndarray": "-", "bytes": "--", "list": ":"}  # object kinds


def size_text(size):
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size:g} B"


def series(points, case, np):
    """{(impl, kind): ([size, ...], [seconds, ...])} of one case at one process count."""
    found = defaultdict(list)
    for p in points:
        if p["case"] == case and p["np"] == np and p["size"]:
            found[(p["impl"], p["series"])].append((p["size"], p["time"]))
    return {key: tuple(zip(*sorted(pairs))) for key, pairs in found.items()}


def draw(axes, sizes, seconds, **style):
    """One curve on both panels: microseconds, and GB/s (10^9 bytes per second)."""
    axes[0].plot(sizes, [t * 1e6 for t in seconds], **style)
    axes[1].plot(sizes, [n / t / 1e9 for n, t in zip(sizes, seconds)], **style)


def plot_case(data, case, np, path):
    curves = series(data["points"], case, np)
    if not curves:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), dpi=100)
    if case == "object":  # C has no objects: its Send/Recv of the bytes is the floor
        sizes, seconds = series(data["points"], "pingpong", 2).get(("c", ""), ((), ()))
        if sizes:
            style = dict(color="0.75", linewidth=4, label="C Send/Recv (pingpong)")
            draw(axes, sizes, seconds, **style)
    order = list(IMPLS)
    for impl, kind in sorted(curves, key=lambda key: (key[1], order.index(key[0]))):
        name, color, marker = IMPLS[impl]
        label = f"{name} {kind}" if kind else name
        style = dict(color=color, marker=marker, markersize=4, linestyle=LINES.get(kind, "-"))
        draw(axes, *curves[(impl, kind)], label=label, **style)
    title = next(p["title"] for p in data["points"] if p["case"] == case)
    fig.suptitle(f"{case}: {title} · {data['library']}, N={np} · {data['date'][:10]}")
    ticks = [16**k for k in range(7)]  # 1 B .. 16 MiB
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_xticks(ticks, [size_text(t) for t in ticks])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel("object size (payload bytes)" if case == "object" else "message size")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_yscale("log")
    axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axes[0].set_ylabel("time per operation (µs)" + (", one way" if case != "bcast" else ""))
    axes[0].grid(True, which="minor", alpha=0.1)
    axes[1].set_ylabel("bandwidth: size / time (GB/s)")
    axes[1].set_ylim(bottom=0)
    axes[0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", help="JSON written by run.py --json (with --sweep)")
    parser.add_argument("--outdir", default=str(Path(__file__).parent / "plots"))
    opts = parser.parse_args(argv)
    source = Path(opts.results)
    data = json.loads(source.read_text())
    outdir = Path(opts.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    # "MPICH 5.0.2" -> "mpich", "Open MPI v5.0.11" -> "openmpi"
    tag = re.sub(r"[^a-z]", "", data["library"].rsplit(" ", 1)[0].lower()) or "mpi"
    for case in CASES:
        for np in sorted({p["np"] for p in data["points"] if p["case"] == case}):
            path = outdir / (f"{tag}-{case}" + (f"-n{np}" if np != 2 else "") + ".png")
            if plot_case(data, case, np, path):
                print(path)
    copy = outdir / f"{tag}.json"
    if copy.resolve() != source.resolve():
        shutil.copyfile(source, copy)
        print(copy)


if __name__ == "__main__":
    main()
