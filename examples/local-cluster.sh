#!/bin/bash
# Run gdfs locally on loopback: install what is missing, build, start the
# group, put a file, get it back and compare.
#
#   examples/local-cluster.sh [start]   set up, start, put/get/compare
#   examples/local-cluster.sh stop      stop the nodes started here
#   examples/local-cluster.sh status    gdfs-cli status of the group
#
# State (INI files, databases, logs) lives in $GDFS_LOCAL (default
# /tmp/gdfs-local); the build in _build/local inside the source tree.
# Today the group has one node (node1.ini); it grows to three (node1..3)
# when membership lands.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
run=${GDFS_LOCAL:-/tmp/gdfs-local}
build=$src/_build/local
nodes="1"

cli() { "$build/gdfs-cli" -c "$run/node1.ini" "$@"; }

stop() {
    for i in $nodes; do
        pidf=$run/n$i/pid
        [ -f "$pidf" ] || continue
        pid=$(cat "$pidf")
        if kill "$pid" 2>/dev/null; then
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            echo "stopped node n$i (pid $pid)"
        fi
        rm -f "$pidf"
    done
}

build() {
    "$src/tests/install-deps.sh" --build
    if [ ! -x "$src/configure" ]; then
        (cd "$src" && autoreconf -fi >/dev/null 2>&1)
    fi
    mkdir -p "$build"
    if [ ! -f "$build/Makefile" ]; then
        (cd "$build" && "$src/configure" --quiet)
    fi
    make -s -C "$build" -j"$(nproc)" >/dev/null
}

start() {
    build
    stop >/dev/null
    mkdir -p "$run"
    for i in $nodes; do
        # The shipped example, with this run's data_dir and the build's plugins.
        sed -e "s|^data_dir = .*|data_dir = $run/n$i/data|" \
            -e "s|^plugin = tcp|plugin = tcp\nplugin_dir = $build/plugins/tcp/.libs|" \
            "$src/examples/node$i.ini" > "$run/node$i.ini"
        mkdir -p "$run/n$i"
        init=
        [ -f "$run/n$i/data/gdfs.db" ] || init=init
        "$build/gdfs-node" -c "$run/node$i.ini" $init 2>>"$run/n$i/log" &
        echo $! > "$run/n$i/pid"
    done
    for _ in $(seq 50); do cli status >/dev/null 2>&1 && break; sleep 0.1; done
    cli status
    head -c 5000000 /dev/urandom > "$run/hello.bin"
    cli put "$run/hello.bin" hello.bin
    cli get hello.bin "$run/hello.back"
    if cmp "$run/hello.bin" "$run/hello.back"; then
        echo "put and get of 5 MB: the bytes came back identical"
    else
        echo "put/get mismatch" >&2
        exit 1
    fi
    cli ls
    cat <<MSG

gdfs is running (logs in $run/n*/log). Try:
  $build/gdfs-cli -c $run/node1.ini ls
Stop it with:
  $0 stop
MSG
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
status) cli status ;;
*) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
