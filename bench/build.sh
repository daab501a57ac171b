# bench/build.sh: sourced by the benchmarks. Installs what is missing,
# configures $build once (an optimised build without sanitizers) and
# brings it up to date. Needs $src (the source tree); sets $build from
# GDFS_BUILD (default $src/_build/bench).

# bench_build SRCDIR BUILDDIR: configure BUILDDIR from SRCDIR once, then make.
bench_build() {
    if [ ! -f "$2/Makefile" ]; then
        [ -x "$1/configure" ] || (cd "$1" && autoreconf -fi >/dev/null 2>&1)
        mkdir -p "$2" && (cd "$2" && "$1/configure" --quiet)
    fi
    make -s -C "$2" -j"$(nproc)" >/dev/null
}

# answers CMD...: CMD (a gdfs-cli status) got an answer: exit 0, or 3
# (degraded: a member joining, the leader's first pass not done); a build
# before status had health exits 0 whenever it answers.
answers() {
    local rc=0
    "$@" >/dev/null 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]
}

build=${GDFS_BUILD:-$src/_build/bench}
"$src/tests/install-deps.sh"
bench_build "$src" "$build"
