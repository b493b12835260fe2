#!/usr/bin/env python
"""Record the public API of an installed mpi4py.MPI as JSON (tests/mpi4py_names.json).

tests/test_api.py compares mpipy.MPI against this record, so the comparison runs without
mpi4py installed. Regenerate after an mpi4py upgrade:

    /opt/venv-mpich/bin/python tools/snapshot_api.py [OUTPUT]

What is recorded:
  module:  every public module-level name -> kind ("class", "function", "constant"), the
           type name of constants (and their value for plain int/float/str constants),
           and the signature of functions;
  classes: for every public class, its bases and the public attributes it defines itself
           (inherited ones are found through the bases), each with its kind ("method",
           "staticmethod", "classmethod", "property", "attribute") and the signature of
           callables.
A signature is a list of [name, kind, default] per parameter: kind is inspect's
parameter kind name, default is None when there is none, else a canonical text (the
repr of plain values, "MPI.<NAME>" for a predefined mpi4py handle, "<TypeName>" for
anything else).
"""

import inspect
import json
import os
import sys

# Special methods worth comparing (the handle protocol and the Exception protocol).
DUNDERS = {
    "__init__",
    "__new__",
    "__eq__",
    "__ne__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__bool__",
    "__hash__",
    "__int__",
    "__index__",
    "__reduce__",
    "__repr__",
    "__str__",
    "__enter__",
    "__exit__",
    "__iter__",
    "__len__",
    "__getitem__",
    "__buffer__",
    "__release_buffer__",
    "__getstate__",
    "__setstate__",
    "__copy__",
    "__deepcopy__",
}


def is_public(name):
    return not name.startswith("_") or name in DUNDERS


def predefined_names(MPI):
    """Map (type, handle) of every predefined handle constant to its module name."""
    names = {}
    for name in dir(MPI):
        value = getattr(MPI, name)
        handle = getattr(type(value), "handle", None)
        if isinstance(handle, property) or type(handle).__name__ == "getset_descriptor":
            try:
                key = (type(value).__name__, value.handle)
            except Exception:
                continue
            names.setdefault(key, name)
    return names


def canonical_default(value, MPI, handles):
    if value is inspect.Parameter.empty:
        return None
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return repr(value)
    try:
        key = (type(value).__name__, value.handle)
    except Exception:
        key = None
    if key in handles:
        return "MPI." + handles[key]
    for name in dir(MPI):  # singletons such as BOTTOM, IN_PLACE, BUFFER_AUTOMATIC
        if not name.startswith("_") and getattr(MPI, name) is value:
            return "MPI." + name
    return "<" + type(value).__name__ + ">"


def signature_of(obj, MPI, handles):
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    return [
        [p.name, p.kind.name, canonical_default(p.default, MPI, handles)]
        for p in sig.parameters.values()
    ]


def constant_entry(value):
    entry = {"kind": "constant", "type": type(value).__name__}
    # Plain values, except addresses (UNWEIGHTED, ...), which change from run to run.
    if type(value) in (float, str, bool) or type(value) is int and abs(value) < 2**32:
        entry["value"] = value
    return entry


def class_entry(cls, MPI, handles):
    attributes = {}
    for name, raw in vars(cls).items():
        if not is_public(name):
            continue
        if name == "__hash__" and raw is None:
            entry = {"kind": "attribute", "value": None}
        elif isinstance(raw, staticmethod):
            entry = {"kind": "staticmethod"}
        elif isinstance(raw, classmethod) or type(raw).__name__ == "classmethod_descriptor":
            entry = {"kind": "classmethod"}
        elif isinstance(raw, property) or type(raw).__name__ in (
            "getset_descriptor",
            "member_descriptor",
        ):
            entry = {"kind": "property"}
        elif callable(raw) or type(raw).__name__.endswith("descriptor"):
            bound = getattr(cls, name)
            # Cython binds classmethods to the class; a callable that neither is bound
            # nor takes self is static.
            kind = "method"
            if getattr(bound, "__self__", None) is cls:
                kind = "classmethod"
            elif not hasattr(bound, "__self__"):
                sig = signature_of(bound, MPI, handles)
                if sig is not None and (not sig or sig[0][0] != "self"):
                    kind = "staticmethod"
            entry = {"kind": kind}
        else:
            entry = {"kind": "attribute", "type": type(raw).__name__}
        if entry["kind"] in ("method", "staticmethod", "classmethod"):
            entry["signature"] = signature_of(getattr(cls, name), MPI, handles)
        attributes[name] = entry
    bases = [b.__name__ for b in cls.__bases__]
    return {"bases": bases, "attributes": dict(sorted(attributes.items()))}


def snapshot(MPI):
    import mpi4py

    handles = predefined_names(MPI)
    module = {}
    classes = {}
    for name in sorted(dir(MPI)):
        if name.startswith("_"):
            continue
        value = getattr(MPI, name)
        if inspect.isclass(value):
            module[name] = {"kind": "class"}
            if value.__module__ == MPI.__name__ or name == "Exception":
                classes[name] = class_entry(value, MPI, handles)
        elif callable(value) and not hasattr(type(value), "handle"):
            module[name] = {
                "kind": "function",
                "signature": signature_of(value, MPI, handles),
            }
        else:
            module[name] = constant_entry(value)
    return {
        "mpi4py_version": mpi4py.__version__,
        "mpi_vendor": list(MPI.get_vendor()),
        "mpi_version": list(MPI.Get_version()),
        "python": ".".join(map(str, sys.version_info[:3])),
        "module": module,
        "classes": classes,
    }


def dump(data):
    """JSON, one line per module name and per class attribute (small, diff-friendly)."""
    line = lambda value: json.dumps(value, separators=(",", ":"))  # noqa: E731
    out = ["{"]
    for key in ("mpi4py_version", "mpi_vendor", "mpi_version", "python"):
        out.append(f" {json.dumps(key)}: {line(data[key])},")
    out.append(' "module": {')
    names = list(data["module"].items())
    for i, (name, entry) in enumerate(names):
        out.append(f"  {json.dumps(name)}: {line(entry)}" + ("," if i < len(names) - 1 else ""))
    out.append(" },")
    out.append(' "classes": {')
    classes = list(data["classes"].items())
    for i, (name, entry) in enumerate(classes):
        out.append(f"  {json.dumps(name)}: {{")
        out.append(f'   "bases": {line(entry["bases"])},')
        out.append('   "attributes": {')
        attrs = list(entry["attributes"].items())
        for j, (attr, value) in enumerate(attrs):
            sep = "," if j < len(attrs) - 1 else ""
            out.append(f"    {json.dumps(attr)}: {line(value)}{sep}")
        out.append("   }")
        out.append("  }" + ("," if i < len(classes) - 1 else ""))
    out.append(" }")
    out.append("}")
    return "\n".join(out) + "\n"


def main():
    from mpi4py import MPI

    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, os.pardir, "tests", "mpi4py_names.json")
    output = os.path.normpath(sys.argv[1] if len(sys.argv) > 1 else default)
    data = snapshot(MPI)
    with open(output, "w") as f:
        f.write(dump(data))
    nclasses = len(data["classes"])
    print(
        f"{output}: {len(data['module'])} module names, {nclasses} classes",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
