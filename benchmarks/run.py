#!/usr/bin/env python3
"""Times the cases of cases.py with C, mpi4py and mpipy over one MPI: a Markdown table.

Every (case, implementation, process count) is its own mpiexec job; the table comes from
one invocation. The MPI is the one of --mpi-venv (its python, mpiexec and mpicc) or, by
default, the python running this script and the mpiexec and mpicc on PATH. See
README.md.
"""

import argparse
import datetime
import inspect
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import cases  # noqa: E402  (the registry; imports no MPI)

IMPLS = ("c", "mpi4py", "mpipy")


class Failure(Exception):
    """A job that gave no result: its message goes to the notes under the table."""


def log(text):
    print(text, file=sys.stderr, flush=True)


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


class Runner:
    def __init__(self, opts):
        self.opts = opts
        self.nproc = os.cpu_count() or 1
        self.env = dict(os.environ)
        self.env_notes = []
        if opts.mpi_venv:
            bindir = Path(opts.mpi_venv).resolve() / "bin"
            self.python = str(bindir / "python")
            self.mpiexec = str(bindir / "mpiexec")
            self.mpicc = str(bindir / "mpicc")
            self.env["PATH"] = f"{bindir}{os.pathsep}{self.env.get('PATH', '')}"
            self.env["VIRTUAL_ENV"] = str(bindir.parent)
        else:
            self.python = sys.executable
            self.mpiexec = shutil.which("mpiexec") or "mpiexec"
            self.mpicc = shutil.which("mpicc") or "mpicc"
        self.openmpi = "Open MPI" in self.capture([self.mpiexec, "--version"])
        if self.openmpi:
            defaults = {"OMPI_MCA_pml": "ob1"}
            if os.geteuid() == 0:
                defaults.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
            for key, value in defaults.items():
                if key not in self.env:
                    self.env[key] = value
                    self.env_notes.append(f"{key}={value}")
        self.mpipy_path = opts.mpipy_path and str(Path(opts.mpipy_path).resolve())
        self.cbin = None
        self.problems = {}  # impl -> reason it cannot run at all
        self.versions = {}

    # -- processes ------------------------------------------------------------------

    def capture(self, argv, env=None, timeout=60):
        try:
            proc = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                env=env or self.env,
                timeout=timeout,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{type(exc).__name__}: {exc}"
        return proc.stdout + proc.stderr

    def env_for(self, impl):
        env = self.env
        if impl == "mpipy" and self.mpipy_path:
            env = dict(env)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (self.mpipy_path, env.get("PYTHONPATH")) if p
            )
        return env

    def launcher(self, np):
        argv = [self.mpiexec]
        if self.openmpi and np > self.nproc:
            argv.append("--oversubscribe")
        return argv + ["-n", str(np)]

    def c_command(self, *args):
        if self.cbin is None:
            raise Failure(self.problems.get("c", "no C binary"))
        return [str(self.cbin), *args]

    def execute(self, argv, env, timeout):
        """Run argv in its own process group; return (rc, stdout, stderr).

        A run that times out is killed (its group), and gives rc None."""
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    pass
                try:
                    out, err = proc.communicate(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
            else:
                out, err = "", ""
            return None, out, err
        return proc.returncode, out, err

    def time_process(self, argv, impl, point):
        """Wall times of ``point.iters`` runs of argv after ``point.warmup`` untimed."""
        times = []
        for i in range(point.warmup + point.iters):
            t0 = time.perf_counter()
            rc, out, err = self.execute(argv, self.env_for(impl), self.opts.timeout)
            elapsed = time.perf_counter() - t0
            if rc != 0:
                raise Failure(self.error_summary(out, err, rc))
            if i >= point.warmup:
                times.append(elapsed)
        return times

    # -- preparation ----------------------------------------------------------------

    def build_c(self):
        src = HERE / "c" / "bench.c"
        prefix = Path(self.mpicc).absolute().parent.parent
        out = HERE / "bin" / prefix.name / "bench"
        if not out.exists() or out.stat().st_mtime < src.stat().st_mtime:
            out.parent.mkdir(parents=True, exist_ok=True)
            log(f"compiling {out.relative_to(HERE.parent)} with {self.mpicc}")
            try:
                proc = subprocess.run(
                    [self.mpicc, "-O2", "-o", str(out), str(src)],
                    capture_output=True,
                    text=True,
                    env=self.env,
                )
            except OSError as exc:
                self.problems["c"] = f"cannot run mpicc: {exc}"
                return
            if proc.returncode != 0:
                self.problems["c"] = "mpicc failed: " + first_line(proc.stderr)
                return
        self.cbin = out
        text = self.capture(self.launcher(1) + [str(out), "version"])
        self.versions["c"] = first_line(text)

    def probe_python(self, impl):
        code = (
            f"import sys, {impl}; from {impl} import MPI; "
            f"print(getattr({impl}, '__version__', '?')); print({impl}.__file__); "
            "print(MPI.Get_library_version().splitlines()[0])"
        )
        argv = self.launcher(1) + [self.python, "-c", code]
        rc, out, err = self.execute(argv, self.env_for(impl), 60)
        lines = out.splitlines()
        if rc != 0 or len(lines) < 3:
            reason = self.error_summary(out, err, rc)
            self.problems[impl] = f"cannot use {impl}: {reason}"
            return
        self.versions[impl] = lines[2].strip()
        self.versions[f"{impl}-version"] = lines[0].strip()
        self.versions[f"{impl}-path"] = str(Path(lines[1].strip()).parent)

    def prepare(self, impls):
        if "c" in impls:
            self.build_c()
        for impl in impls:
            if impl != "c":
                self.probe_python(impl)

    # -- jobs -----------------------------------------------------------------------

    def run_job(self, case, impl, job):
        """Times of each point of one job: {value: [seconds, ...]}."""
        if impl in self.problems:
            raise Failure(self.problems[impl])
        if case.measure is not None:
            return {p.value: case.measure(self, impl, p) for p in job.points}
        points = [f"{p.value}:{p.iters}:{p.warmup}" for p in job.points]
        if impl == "c":
            argv = self.c_command(case.name, str(self.opts.reps), *points)
        else:
            argv = [
                self.python,
                str(HERE / "cases.py"),
                "--module",
                impl,
                case.name,
                str(self.opts.reps),
                *points,
            ]
        rc, out, err = self.execute(
            self.launcher(job.np) + argv, self.env_for(impl), self.opts.timeout
        )
        results, extras = {}, {}
        for line in out.splitlines():
            if line.startswith("RESULT "):
                fields = line.split()
                results[int(fields[1])] = [float(x) for x in fields[2:]]
            elif line.startswith("EXTRA "):  # a per-point note, e.g. peak memory
                fields = line.split(None, 2)
                extras[int(fields[1])] = fields[2].strip() if len(fields) > 2 else ""
        if extras:
            results["extras"] = extras
        if rc != 0 or len(results) - bool(extras) < len(job.points):
            if not results:
                raise Failure(self.error_summary(out, err, rc))
            results["error"] = self.error_summary(out, err, rc)
        return results

    def error_summary(self, stdout, stderr, rc):
        """The most useful line of a failed job's output."""
        if rc is None:
            return f"timed out after {self.opts.timeout:g} s"
        for line in stdout.splitlines():
            if line.startswith("ERROR "):
                return line[6:].split("ERROR ")[0].strip()
        lines = [x.strip() for x in stderr.splitlines() if x.strip()]
        for line in reversed(lines):
            if "Error" in line or "error" in line:
                return line
        return lines[-1] if lines else f"exit status {rc}"


# -- table -----------------------------------------------------------------------------


def fmt_time(seconds):
    for scale, unit in ((1e6, "µs"), (1e3, "ms"), (1.0, "s")):
        value = seconds * scale
        if value < 1000 or unit == "s":
            digits = 2 if value < 10 else 1 if value < 100 else 0
            return f"{value:.{digits}f} {unit}"


def fmt_ratio(num, den):
    if num is None or den is None or den <= 0:
        return ""
    return f"{num / den:.2f}"


def library_name(line):
    """Short name of a library version line: 'MPICH 5.0.2', 'Open MPI v5.0.11'."""
    if line.startswith("MPICH Version:"):
        return "MPICH " + line.split(":", 1)[1].strip(" \t\0")
    return line.split(",")[0].strip(" \t\0") or "unknown MPI"


def describe(runner, opts):
    """What the table's header and the --json file say about the run."""
    versions = runner.versions
    lib = versions.get("c") or versions.get("mpi4py") or versions.get("mpipy") or ""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.node()}, {platform.system()} {platform.machine()}"
    machine += f", nproc={runner.nproc}"
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        machine += f", {mem:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        pass
    command = os.environ.get("MPIPY_BENCH_COMMAND") or shlex.join(
        ["python", os.path.relpath(__file__)] + sys.argv[1:]
    )
    sw = [f"Python {platform.python_version()}"]
    for impl in ("mpi4py", "mpipy"):
        if f"{impl}-version" in versions:
            sw.append(f"{impl} {versions[impl + '-version']} ({versions[impl + '-path']})")
    if runner.env_notes:
        sw.append("env " + " ".join(runner.env_notes))
    stat = "median" if opts.stat == "median" else "minimum"
    reps = f"{opts.rounds} x {opts.reps}" if opts.rounds > 1 else f"{opts.reps}"
    return {
        "library": library_name(lib),
        "date": now,
        "machine": machine,
        "command": command,
        "software": "; ".join(sw),
        "statistic": f"{stat} of {reps} repetitions",
    }


def render(info, opts, rows, notes, elapsed):
    out = [f"**{info['library']}** · {info['date']} · {info['machine']} · `{info['command']}`"]
    out += ["", "Software: " + info["software"] + ".", ""]
    out += [
        f"Times: {info['statistic']}, each the mean over many iterations "
        "after warm-up; ping-pong times are one way (round trip / 2). Ratios are "
        "time / time (1.00 = same speed).",
        "",
    ]
    impls = opts.impls
    head = ["Case", "Param"] + [("C" if i == "c" else i) for i in impls]
    pairs = [
        (a, b)
        for a, b in (("mpi4py", "c"), ("mpipy", "c"), ("mpipy", "mpi4py"))
        if a in impls and b in impls
    ]
    head += [f"{a}/{'C' if b == 'c' else b}" for a, b in pairs]
    # Cases whose workers report per-point extras (peak memory) get a column per Python impl.
    extra_impls = [i for i in impls if i != "c" and any(x.get(i) for *_, x in rows)]
    head += [f"{i} peak mem" for i in extra_impls]
    if extra_impls:
        out += [
            "Peak mem: each rank's peak resident memory during the point over its resident "
            "memory before the point's setup (rank 0 / rank 1).",
            "",
        ]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 2)) + "|")
    last_case = None
    for case, label, cells, extras in rows:
        values = {}
        line = [f"{case.name}: {case.title}" if case is not last_case else "", label]
        last_case = case
        for impl in impls:
            cell = cells.get(impl)
            if isinstance(cell, float):
                values[impl] = cell
                line.append(fmt_time(cell))
            else:
                line.append(cell or "")
        line += [fmt_ratio(values.get(a), values.get(b)) for a, b in pairs]
        line += [extras.get(i, "") for i in extra_impls]
        out.append("| " + " | ".join(line) + " |")
    out.append("")
    if notes:
        out.append("Notes:")
        out += [f"- {n}" for n in notes]
        out.append("")
    out.append(f"Runner wall time: {elapsed:.0f} s.")
    return "\n".join(out) + "\n"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="Time the benchmark cases with C, mpi4py and mpipy over one MPI.",
    )
    add = parser.add_argument
    add(
        "--mpi-venv",
        metavar="DIR",
        help="virtualenv whose python, mpiexec and mpicc to use (default: the running "
        "python and mpiexec/mpicc on PATH)",
    )
    add(
        "--mpipy-path",
        metavar="DIR",
        help="directory to put first on PYTHONPATH for mpipy (e.g. build/bench-mpich/site)",
    )
    add(
        "--np",
        default="2,4",
        metavar="N[,N...]",
        help="process counts of the collective cases (default 2,4); "
        "point-to-point cases always use 2",
    )
    add(
        "--cases",
        default="all",
        metavar="NAME[,NAME...]",
        help="cases to run (default all; see --list)",
    )
    add(
        "--impls",
        default=",".join(IMPLS),
        metavar="IMPL[,IMPL...]",
        help="columns: any of c, mpi4py, mpipy (default all)",
    )
    add("--quick", action="store_true", help="fewer iterations and repetitions")
    add(
        "--large",
        action="store_true",
        help="add the points of several GiB that some cases have (pkl5: 2.5 GiB)",
    )
    add(
        "--reps",
        type=int,
        default=None,
        help="repetitions per point (default 7, 3 with --quick)",
    )
    add(
        "--rounds",
        type=int,
        default=1,
        help="run every job this many times, alternating the order of the columns, "
        "and pool the repetitions (default 1)",
    )
    add(
        "--stat",
        choices=["median", "min"],
        default="median",
        help="statistic over the repetitions (default median)",
    )
    add(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds before a job is killed and counted as failed (default 120)",
    )
    add(
        "--sweep",
        action="store_true",
        help="message and object sizes from 1 B to 16 MiB by powers of 4 instead of the "
        "table's few (pingpong, isend, persistent, bcast, allreduce, allgather, object)",
    )
    add("--output", metavar="FILE", help="also write the table to FILE")
    add(
        "--json",
        metavar="FILE",
        help="also write every point's times to FILE as JSON (what plot.py reads)",
    )
    add("--list", action="store_true", help="list the cases and exit")
    opts = parser.parse_args(argv)
    if opts.list:
        for case in cases.CASES.values():
            cols = ", ".join(i for i in IMPLS if (case.c if i == "c" else case.python))
            doc = textwrap.indent(inspect.cleandoc(case.doc), " " * 13)
            print(f"{case.name:12s} {case.title} [{cols}]\n{doc}")
        sys.exit(0)
    try:
        opts.np = [int(x) for x in opts.np.split(",") if x]
    except ValueError:
        parser.error("--np takes integers separated by commas")
    if not opts.np or min(opts.np) < 1:
        parser.error("--np takes positive process counts")
    opts.impls = [x for x in opts.impls.split(",") if x]
    unknown = set(opts.impls) - set(IMPLS)
    if unknown or not opts.impls:
        parser.error(f"--impls takes some of {', '.join(IMPLS)}")
    opts.impls = [i for i in IMPLS if i in opts.impls]
    if opts.cases == "all":
        opts.cases = list(cases.CASES)
    else:
        opts.cases = [x for x in opts.cases.split(",") if x]
        unknown = [x for x in opts.cases if x not in cases.CASES]
        if unknown:
            parser.error(
                f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(cases.CASES)}"
            )
    if opts.reps is None:
        opts.reps = 3 if opts.quick else 7
    if opts.reps < 1 or opts.rounds < 1:
        parser.error("--reps and --rounds must be at least 1")
    return opts


def main(argv=None):
    opts = parse_args(argv)
    start = time.perf_counter()
    runner = Runner(opts)
    opts.nproc = runner.nproc
    runner.prepare(opts.impls)
    pick = min if opts.stat == "min" else statistics.median
    rows, errors, records = [], {}, []

    plan = []
    for name in opts.cases:
        case = cases.CASES[name]
        for job in case.jobs(opts):
            impls = [i for i in opts.impls if (case.c if i == "c" else case.python)]
            plan.append((case, job, impls))
    total = opts.rounds * sum(len(impls) for _, _, impls in plan)
    done = 0
    for case, job, impls in plan:
        samples = {p.value: {i: [] for i in impls} for p in job.points}
        extras = {p.value: {} for p in job.points}
        failed = {}
        for rnd in range(opts.rounds):
            # Alternate the order, so that a load that comes or goes favours no column.
            for impl in impls if rnd % 2 == 0 else impls[::-1]:
                done += 1
                if impl in failed:
                    continue
                t0 = time.perf_counter()
                try:
                    results = runner.run_job(case, impl, job)
                    status = "ok"
                except Failure as exc:
                    results, status = {"error": str(exc)}, f"n/a: {exc}"
                if "error" in results:
                    failed[impl] = results["error"]
                    if status == "ok":
                        status = f"partial: {results['error']}"
                for p in job.points:
                    samples[p.value][impl] += results.get(p.value, [])
                    if p.value in results.get("extras", {}):
                        extras[p.value][impl] = results["extras"][p.value]
                where = f"np={job.np}" if case.measure is None else "local"
                log(
                    f"[{done}/{total}] {case.name} {impl} {where}: "
                    f"{time.perf_counter() - t0:.1f} s, {status}"
                )
        for impl, message in failed.items():
            errors.setdefault((impl, message), []).append(case.name)
        for p in job.points:
            cells = {i: pick(t) if t else "n/a" for i, t in samples[p.value].items()}
            rows.append((case, p.label, cells, extras[p.value]))
            for impl, times in samples[p.value].items():
                if times:
                    records.append(
                        {
                            "case": case.name,
                            "title": case.title,
                            "np": job.np,
                            "label": p.label,
                            "size": p.size,
                            "series": p.series,
                            "impl": impl,
                            "time": cells[impl],
                            "samples": [float(f"{t:.4g}") for t in times],
                        }
                    )

    notes = []
    for (impl, message), names in errors.items():
        names = ", ".join(dict.fromkeys(names))
        notes.append(f"n/a for {impl} ({names}): {message}")
    c_lib = runner.versions.get("c")
    for impl in ("mpi4py", "mpipy"):
        lib = runner.versions.get(impl)
        if c_lib and lib and library_name(lib) != library_name(c_lib):
            notes.append(f"warning: {impl} runs over '{lib}', C over '{c_lib}'")
    if "import" in opts.cases:
        point = cases.Point("python -c pass", 0, opts.reps, 1)
        try:
            base = pick(runner.time_process([runner.python, "-c", "pass"], "c", point))
            notes.append(
                f"import+init includes interpreter start-up: "
                f"`python -c pass` takes {fmt_time(base)}."
            )
        except Failure:
            pass
    info = describe(runner, opts)
    text = render(info, opts, rows, notes, time.perf_counter() - start)
    sys.stdout.write(text)
    if opts.output:
        Path(opts.output).write_text(text)
    if opts.json:
        # The run's description, then one line per (point, implementation).
        head = json.dumps({**info, "notes": notes}, indent=1)
        points = ",\n".join("  " + json.dumps(r) for r in records)
        Path(opts.json).write_text(head[:-2] + ',\n "points": [\n' + points + "\n ]\n}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
