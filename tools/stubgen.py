"""Generate (or check) src/mpipy/MPI.pyi from the built extension.

The stub must not depend on which MPI the extension was built against, so constant values
and integer defaults are replaced by ``...``, and ``object`` annotations of well-known
parameters are narrowed to the mpipy classes they take.

Usage: python tools/stubgen.py [--check]   (with mpipy importable, e.g. PYTHONPATH=...)
"""

import argparse
import difflib
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
STUB = ROOT / "src" / "mpipy" / "MPI.pyi"

NARROW = {
    "status": "Status",
    "statuses": "list[Status]",
    "requests": "Sequence[Request]",
    "comm": "Comm",
    "datatype": "Datatype",
    "info": "Info",
    "errhandler": "Errhandler",
}


# BOTTOM, IN_PLACE, BUFFER_AUTOMATIC: int subclasses made from a type spec, whose
# arithmetic raises; nanobind's stubgen would list int's operators as theirs.
ADDRESS_CONSTANT = re.compile(
    r"^class (BottomType|InPlaceType|BufferAutomaticType)\(int\):\n(.*?)(?=^\S)", re.M | re.S
)


def address_constant(match: re.Match) -> str:
    name = match.group(1)
    doc = re.search(r'"""(.*?)"""', match.group(2)).group(1)
    return (
        f'class {name}(int):\n    """{doc}"""\n\n'
        f"    def __new__(cls) -> {name}: ...\n\n"
        f"    def __reduce__(self) -> str: ...\n\n"
    )


# Typing that nanobind's stubgen cannot know, so that the stub checks under mypy (whose
# stubtest compares it with the extension) and serves user code as mpi4py's does:
# comparisons give bool, handle classes are unhashable, the handle classmethods make an
# object of the class they are called on; what a binding returns untyped is Any (as
# mpi4py's lowercase methods say), not object, which user code could not use uncast.
RETURNS = [
    (
        re.compile(r"def (__eq__|__ne__)\(self, other: [^)]*\) -> object"),
        r"def \1(self, other: object) -> bool",
    ),
    (
        re.compile(r"def __reduce__\(self\) -> object"),
        "def __reduce__(self) -> str | tuple[Any, ...]",
    ),
    (
        re.compile(r"def (fromhandle|f2py|fromint)\(cls, (\w+): (\w+)\) -> object"),
        r"def \1(cls, \2: \3) -> Self",
    ),
    (re.compile(r"\) -> object(:| \.\.\.)"), r") -> Any\1"),
    (
        re.compile(r"^(\s+)__hash__: None = None$"),
        r"\1__hash__: ClassVar[None]  # type: ignore[assignment]",
    ),
]


def final_classes(text: str) -> str:
    """Mark @final the classes that cannot be subclassed at run time (nb::is_final, and the
    address constants' types): nanobind's stubgen does not."""
    from mpipy import MPI

    def mark(match: re.Match) -> str:
        cls = getattr(MPI, match.group(2), None)
        if not isinstance(cls, type):
            return match.group(0)
        try:
            type("Sub", (cls,), {})
        except TypeError:
            return f"{match.group(1)}@final\n{match.group(1)}class {match.group(2)}"
        return match.group(0)

    return re.sub(r"^()class (\w+)", mark, text, flags=re.M)


def typing_imports(text: str) -> str:
    """The generator's `from typing import` line, with the names the rewrites above and
    below bring in (Any, ClassVar, final, Self), each only when the stub uses it."""
    match = re.search(r"^from typing import (.*)\n", text, flags=re.M)
    if not match:
        return text
    body = text[: match.start()] + text[match.end() :]
    wanted = {n.strip() for n in match.group(1).split(",")} | {"Any", "ClassVar", "final"}
    used = sorted(n for n in wanted if re.search(rf"\b{n}\b", body))
    line = f"from typing import {', '.join(used)}\n" if used else ""
    if re.search(r"\bSelf\b", body):
        line += "\nfrom typing_extensions import Self\n"
    return text[: match.start()] + line + text[match.end() :]


def clean(text: str) -> str:
    text = ADDRESS_CONSTANT.sub(address_constant, text)
    text = final_classes(text)
    if not re.search(r"\btypes\.", text):  # its only use may have gone with them
        text = text.replace("import types\n", "")
    # Properties made with property(getter) in Python come out as assignments.
    text = re.sub(
        r"@property\n(\s+)(\w+) = (\w+)\n", r"@property\n\1def \2(self) -> int: ...\n", text
    )
    out = []
    for line in text.splitlines():
        # module-level and class-level constants: no vendor-specific values
        line = re.sub(r"^(\s*[A-Z_][A-Z0-9_]*): (\w+) = .*$", r"\1: \2", line)
        for pattern, replacement in RETURNS:
            line = pattern.sub(replacement, line)
        if line.lstrip().startswith("def "):
            line = re.sub(r"(: int) = -?\d+", r"\1 = ...", line)
            for name, cls in NARROW.items():
                line = line.replace(f"{name}: object | None", f"{name}: {cls} | None")
                line = line.replace(f"{name}: object", f"{name}: {cls}")
        out.append(line)
    return typing_imports("\n".join(out).rstrip() + "\n")


def generate() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        raw = pathlib.Path(tmp) / "MPI.pyi"
        subprocess.run(
            [sys.executable, "-m", "nanobind.stubgen", "-q", "-m", "mpipy.MPI", "-o", str(raw)],
            check=True,
        )
        return clean(raw.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the stub is stale")
    args = parser.parse_args()
    text = generate()
    if args.check:
        current = STUB.read_text() if STUB.exists() else ""
        if current != text:
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(True), text.splitlines(True), "committed", "generated"
                )
            )
            print("MPI.pyi is stale: run python tools/stubgen.py", file=sys.stderr)
            return 1
        print(f"{STUB.name} is up to date")
        return 0
    STUB.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
