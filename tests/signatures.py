"""Reading the text signatures nanobind gives functions (``__nb_signature__``, or the first
line of the docstring). Pure text: importing it does not import MPI, so that the fuzz
driver can serve mpipy and, for comparison, mpi4py."""

import re


def split_top_level(text, sep=","):
    """``"a, b=[1, 2], c"`` -> ``["a", "b=[1, 2]", "c"]``: splits at separators outside
    brackets."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts]


def parse_params(func):
    """(names, number required) of a nanobind function or method, self excluded."""
    sig = getattr(func, "__nb_signature__", None)
    text = sig[0][0] if sig else (getattr(func, "__doc__", None) or "").split("\n", 1)[0]
    m = re.search(r"\((.*)\)", text)
    if not m:
        return [], 0
    names, required = [], 0
    for p in split_top_level(m.group(1)):
        if not p or p in ("*", "/") or p.startswith("*"):
            continue
        name = re.split(r"[:=\s]", p, maxsplit=1)[0]
        if name in ("self", "cls"):
            continue
        names.append(name)
        if "=" not in p:
            required = len(names)
    return names, required
