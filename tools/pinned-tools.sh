# Sourced by the tools/ scripts whose tools are pinned versions kept in a venv of their own.
#
# ensure_tools PROG DIR PYTHON WANT PACKAGE...: make DIR a venv (with PYTHON's venv module)
# holding PACKAGE... installed with pip, unless DIR/.versions already says WANT (any text
# naming what the venv must hold: a different one, from a changed pin, reinstalls). Returns 2
# (after saying why, as PROG) when the venv or the packages cannot be installed.
ensure_tools() {
    local prog=$1 dir=$2 python=$3 want=$4
    shift 4
    [ "$(cat "$dir/.versions" 2> /dev/null)" = "$want" ] && return 0
    echo "$prog: installing $want into $dir"
    rm -rf "$dir"
    if ! "$python" -m venv "$dir" ||
        ! "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"; then
        echo "$prog: could not install $want"
        return 2
    fi
    echo "$want" > "$dir/.versions"
}
