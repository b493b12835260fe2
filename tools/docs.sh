#!/usr/bin/env bash
# Builds the documentation site (docs/ -> build/docs, HTML) with Sphinx; warnings are errors.
#
# Usage: tools/docs.sh [OUTPUT_DIR]      (default build/docs; open OUTPUT_DIR/index.html)
#   The API reference is read from an mpipy that imports: the one the active Python
#   (PYTHON, default python3: an activated venv's) imports, or MPIPY_DOCS_SITE=DIR, a
#   directory holding the package mpipy (e.g. build/dev-mpich/site from tools/devbuild.sh).
#   Sphinx and myst-parser are pinned versions installed on first use in build/docs-tools,
#   a venv of their own made with that same Python (the extension must match it).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
out=$(realpath -m "${1:-$root/build/docs}")
python=$(command -v "${PYTHON:-python3}") || { echo "docs.sh: no ${PYTHON:-python3}"; exit 2; }
SPHINX_VERSION=7.4.7
MYST_VERSION=3.0.1
want="sphinx==$SPHINX_VERSION myst-parser==$MYST_VERSION $("$python" -c 'import sys; print(sys.version.split()[0])')"
start=$SECONDS

# Where mpipy is: a directory of its own holding only a link to the package, so that the
# tools' venv sees mpipy and nothing else of the environment it comes from.
if [ -n "${MPIPY_DOCS_SITE:-}" ]; then
    package=$(realpath "$MPIPY_DOCS_SITE/mpipy") || { echo "docs.sh: no $MPIPY_DOCS_SITE/mpipy"; exit 2; }
else
    package=$(cd / && "$python" -c 'import os, mpipy; print(os.path.dirname(mpipy.__file__))') ||
        { echo "docs.sh: $python cannot import mpipy (activate its venv or set MPIPY_DOCS_SITE)"; exit 2; }
fi
site=$root/build/docs-site
mkdir -p "$site"
ln -sfn "$package" "$site/mpipy"

tools=$root/build/docs-tools
source tools/pinned-tools.sh
ensure_tools docs.sh "$tools" "$python" "$want" \
    "sphinx==$SPHINX_VERSION" "myst-parser==$MYST_VERSION" || exit 2

# Importing mpipy.MPI starts MPI as a singleton: MPICH's start-up wants its tools on PATH
# (beside the Python mpipy came with), Open MPI wants these as root.
export PATH=$(dirname "$python"):$PATH
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export PYTHONPATH=$site PYTHONDONTWRITEBYTECODE=1
echo "docs.sh: sphinx-build -E -W --keep-going -b html docs $out (mpipy from $package)"
log=$root/build/docs.log
"$tools/bin/sphinx-build" -E -W --keep-going -q -b html docs "$out" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
warnings=$(grep -c -E 'WARNING|ERROR' "$log")
if [ "$rc" = 0 ]; then
    echo "docs.sh: built $out/index.html in $((SECONDS - start))s, $warnings warnings"
else
    echo "docs.sh: FAILED in $((SECONDS - start))s: $warnings warnings (they are errors; see above)"
    exit 1
fi
