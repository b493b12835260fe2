#!/usr/bin/env bash
# Checks the code's format and lint: clang-format over csrc/, ruff (check and format) over
# the Python code. Exits non-zero if anything needs a change.
#
# Usage: tools/lint.sh [--fix]     --fix rewrites the files instead of reporting
#   The tools are pinned versions installed on first use in build/lint-tools (a venv of
#   its own); CLANG_FORMAT=... or RUFF=... use other binaries instead.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
CLANG_FORMAT_VERSION=23.1.5
RUFF_VERSION=0.17.6
fix=0
case "${1:-}" in
--fix) fix=1 ;;
"") ;;
*) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac

tools=$root/build/lint-tools
want="clang-format==$CLANG_FORMAT_VERSION ruff==$RUFF_VERSION"
if [ -z "${CLANG_FORMAT:-}" ] || [ -z "${RUFF:-}" ]; then
    source tools/pinned-tools.sh
    ensure_tools lint.sh "$tools" "${PYTHON:-python3}" "$want" \
        "clang-format==$CLANG_FORMAT_VERSION" "ruff==$RUFF_VERSION" || exit 2
fi
CLANG_FORMAT=${CLANG_FORMAT:-$tools/bin/clang-format}
RUFF=${RUFF:-$tools/bin/ruff}

cpp_files=(csrc/*.cpp csrc/core/*.cpp csrc/core/*.hpp)
py_dirs=()
for d in src tests benchmarks tools demo docs; do [ -d "$d" ] && py_dirs+=("$d"); done

problems=0
step() {
    echo "--- $*"
    "$@" || problems=$((problems + 1))
}
if [ $fix = 1 ]; then
    step "$CLANG_FORMAT" -i "${cpp_files[@]}"
    step "$RUFF" check --fix "${py_dirs[@]}"
    step "$RUFF" format "${py_dirs[@]}"
else
    step "$CLANG_FORMAT" --dry-run -Werror "${cpp_files[@]}"
    step "$RUFF" check "${py_dirs[@]}"
    step "$RUFF" format --check "${py_dirs[@]}"
fi
if [ $problems = 0 ]; then
    echo "lint.sh: clean"
else
    echo "lint.sh: $problems of 3 checks failed"
    exit 1
fi
