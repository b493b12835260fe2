"""Sphinx configuration of mpipy's documentation (built by tools/docs.sh)."""

import re
import sys

project = "mpipy"
author = "the mpipy developers"
copyright = "the mpipy developers"

# mpipy must be importable (tools/docs.sh puts a build on PYTHONPATH): the reference is
# read from the compiled module's docstrings, and importing it initializes MPI.
try:
    import mpipy

    release = version = mpipy.__version__
except ImportError as exc:  # pragma: no cover - the build stops on the autodoc errors
    sys.stderr.write(f"conf.py: cannot import mpipy ({exc}); the reference will be empty\n")
    release = version = "unknown"

extensions = [
    "sphinx.ext.autodoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "examples/output"]
root_doc = "index"
html_theme = "alabaster"
html_title = f"mpipy {release}"
html_static_path = []
pygments_style = "sphinx"

# Markdown (the benchmarks' README, included by performance.md): links to headings.
myst_heading_anchors = 4

autodoc_default_options = {"member-order": "bysource", "show-inheritance": True}
autodoc_docstring_signature = True  # nanobind puts the signature on the first line(s)
autodoc_typehints = "signature"
autodoc_preserve_defaults = True  # show `comm=MPI.COMM_SELF`, not the object's repr

# -- Docstrings -------------------------------------------------------------------------
# The compiled module's docstrings (nanobind) begin with one signature line per overload,
# then reStructuredText. autodoc reads the signatures at the top (autodoc_docstring_signature);
# the hook drops any signature line left in the text (an overload's), which would show as a
# stray paragraph. The Python modules' docstrings are in Google style (Args:, Returns:,
# Raises:), converted by napoleon's converter here rather than by loading
# sphinx.ext.napoleon, whose member-skipping hook fails on nanobind's class methods (their
# __qualname__ is None).

_SIGNATURE = re.compile(r"^[A-Za-z_]\w*\(.*\)(\s*->\s*.+)?$")


def process_docstring(app, what, name, obj, options, lines):
    if name.startswith("mpipy.MPI."):
        lines[:] = [line for line in lines if not _SIGNATURE.match(line)]
        if lines and lines[0][:1].islower():  # a few start in lower case ("gather to all.")
            lines[0] = lines[0][0].upper() + lines[0][1:]
        return
    from sphinx.ext.napoleon import Config
    from sphinx.ext.napoleon.docstring import GoogleDocstring

    config = Config(napoleon_use_rtype=False, napoleon_attr_annotations=True)
    lines[:] = GoogleDocstring(lines, config, app, what, name, obj, options).lines()


def skip_member(app, what, name, obj, skip, options):
    # A class attribute naming a top-level class (``MPIPoolExecutor.Future``,
    # ``Pool.Executor``) is an alias, documented where it is defined, not a nested class.
    if what == "class" and isinstance(obj, type) and "." not in obj.__qualname__:
        return True
    return None


def _nanobind_documenters():
    """Documenters that also take the extension's functions: nanobind's ``nb_func``
    (module functions; static methods, in a class's ``__dict__``) and ``nb_method``
    (methods), which ``inspect`` sees as neither functions, builtins nor method
    descriptors, so that autodoc would list ``Init`` nowhere and ``Comm.Send`` as a plain
    attribute without its signature."""
    from sphinx.ext.autodoc import (
        AttributeDocumenter,
        ClassDocumenter,
        FunctionDocumenter,
        MethodDocumenter,
        ModuleDocumenter,
    )

    def kind(obj):
        return type(obj).__name__

    class Function(FunctionDocumenter):
        @classmethod
        def can_document_member(cls, member, membername, isattr, parent):
            if kind(member) == "nb_func" and isinstance(parent, ModuleDocumenter):
                return True
            return super().can_document_member(member, membername, isattr, parent)

    class Method(MethodDocumenter):
        priority = AttributeDocumenter.priority + 1  # else the attribute documenter wins

        @classmethod
        def can_document_member(cls, member, membername, isattr, parent):
            if kind(member) in ("nb_func", "nb_method") and isinstance(parent, ClassDocumenter):
                return True
            return super().can_document_member(member, membername, isattr, parent)

        def add_directive_header(self, sig):
            super().add_directive_header(sig)
            if kind(self.parent.__dict__.get(self.object_name)) == "nb_func":
                self.add_line("   :staticmethod:", self.get_sourcename())

    return Function, Method


_FIRST_PARAMETER = re.compile(r"^\((self|cls)(\s*:\s*[\w.]+)?\s*(,\s*|(?=\)))")
_OBJECT_REPR = re.compile(r"<mpipy\.MPI\.(\w+) object at (0x[0-9a-fA-F]+)>")
_predefined = {}  # id() of a predefined object of mpipy.MPI -> its name


def _default_name(match):
    # A default value that nanobind wrote as the object's repr, with its address: the name
    # of the predefined object it is (``MPI.SUM``), which also keeps the pages identical
    # from one build to the next.
    if not _predefined:
        from mpipy import MPI

        for key in dir(MPI):
            value = getattr(MPI, key)
            if key.isupper() and not isinstance(value, (int, float, str)):
                _predefined.setdefault(id(value), f"MPI.{key}")
    return _predefined.get(int(match.group(2), 16), f"<{match.group(1)}>")


def process_signature(app, what, name, obj, options, signature, return_annotation):
    # nanobind's signatures name ``self`` (``cls``) first; Sphinx shows methods without it.
    if not name.startswith("mpipy.MPI.") or not signature:
        return None
    new = _OBJECT_REPR.sub(_default_name, signature)
    if what in ("method", "class"):
        new = _FIRST_PARAMETER.sub("(", new)
    return new, return_annotation


def _constants_directive():
    """``.. mpipy-constants::``: the module's predefined objects and integer constants,
    grouped by type, as read from the built module (so the list follows the build)."""
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective

    class Constants(SphinxDirective):
        def run(self):
            from mpipy import MPI

            groups = {}
            for name in dir(MPI):
                value = getattr(MPI, name)
                if name.startswith("_") or not name.isupper() and name != "pickle":
                    continue
                if isinstance(value, type) or type(value).__name__ == "nb_func":
                    continue
                kind = type(value).__name__
                groups.setdefault(kind, []).append(name)
            text = []
            for kind in sorted(groups, key=lambda k: (k != "int", k)):
                title = "integers" if kind == "int" else f"{kind} objects"
                text += [f"**{title}**", ""]
                text.append(", ".join(f"``{name}``" for name in groups[kind]))
                text.append("")
            container = nodes.container()
            self.state.nested_parse(StringList(text, "mpipy-constants"), 0, container)
            return container.children

    return Constants


def setup(app):
    app.add_directive("mpipy-constants", _constants_directive())
    for documenter in _nanobind_documenters():
        app.add_autodocumenter(documenter, override=True)
    app.connect("autodoc-process-docstring", process_docstring)
    app.connect("autodoc-skip-member", skip_member)
    app.connect("autodoc-process-signature", process_signature)
    return {"parallel_read_safe": True}
