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
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
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
myst_enable_extensions = ["colon_fence"]

intersphinx_mapping = {}  # offline: no inventories are fetched

autodoc_default_options = {"member-order": "bysource", "show-inheritance": True}
autodoc_docstring_signature = True  # nanobind puts the signature on the first line(s)
autodoc_typehints = "signature"
autosummary_generate = False

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
        return
    from sphinx.ext.napoleon import Config
    from sphinx.ext.napoleon.docstring import GoogleDocstring

    config = Config(napoleon_use_rtype=False, napoleon_attr_annotations=True)
    lines[:] = GoogleDocstring(lines, config, app, what, name, obj, options).lines()


def _nanobind_function_documenter():
    """FunctionDocumenter that also takes the extension's module-level functions
    (nanobind's ``nb_func`` objects, which ``inspect`` sees as neither functions nor
    builtins), so that ``automodule:: mpipy.MPI`` lists ``Init``, ``Wtime``, ..."""
    from sphinx.ext.autodoc import FunctionDocumenter, ModuleDocumenter

    class Documenter(FunctionDocumenter):
        @classmethod
        def can_document_member(cls, member, membername, isattr, parent):
            if type(member).__name__ == "nb_func" and isinstance(parent, ModuleDocumenter):
                return True
            return super().can_document_member(member, membername, isattr, parent)

    return Documenter


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
    app.add_autodocumenter(_nanobind_function_documenter(), override=True)
    app.connect("autodoc-process-docstring", process_docstring)
    return {"parallel_read_safe": True}
