# bench/build.sh: sourced by the benchmarks. Installs what is missing,
# configures $build once (an optimised build without sanitizers) and
# brings it up to date. Needs $src (the source tree); sets $build from
# GDFS_BUILD (default $src/_build/bench).
build=${GDFS_BUILD:-$src/_build/bench}
"$src/tests/install-deps.sh"
if [ ! -f "$build/Makefile" ]; then
    [ -x "$src/configure" ] || (cd "$src" && autoreconf -fi >/dev/null 2>&1)
    mkdir -p "$build" && (cd "$build" && "$src/configure" --quiet)
fi
make -s -C "$build" -j"$(nproc)" >/dev/null
