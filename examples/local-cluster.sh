#!/bin/bash
# Run gdfs locally on loopback: install what is missing, build, start a
# 3-node group (n1 init, n2 and n3 join), put a file, get it back, compare.
#
#   examples/local-cluster.sh [start]   set up, start, put/get/compare
#   examples/local-cluster.sh stop      stop the nodes started here
#   examples/local-cluster.sh status    gdfs-cli status of the group
#
# State (INI files, databases, logs) lives in $GDFS_LOCAL (default
# /tmp/gdfs-local); the build in _build/local inside the source tree. The
# INI files are examples/node1.ini .. node3.ini with this run's data_dir
# and the build's plugin directory.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
run=${GDFS_LOCAL:-/tmp/gdfs-local}
build=$src/_build/local
nodes="1 2 3"

cli() { "$build/gdfs-cli" -c "$run/node$1.ini" "${@:2}"; }

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

# wait_for CMD...: up to 10 s for CMD to succeed.
wait_for() {
    for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    "$@"
}

members_alive() {
    [ "$(cli 1 status | grep -c ' alive')" -eq 3 ]
}

# answers I: node I answers status, whatever the group's health: healthy
# (exit 0), degraded (3, e.g. a member still joining) or, when it restarts
# before the other members, no quorum yet (1, but with a status printed;
# an unreachable node prints none).
answers() {
    [ -n "$(cli "$1" status 2>/dev/null)" ]
}

healthy() {
    cli 1 status >/dev/null 2>&1
}

has_leader() {
    cli 1 status | grep -Eq '^leader +n[0-9]+$'
}

start() {
    build
    stop >/dev/null
    mkdir -p "$run"
    for i in $nodes; do
        sed -e "s|^data_dir = .*|data_dir = $run/n$i/data|" \
            -e "s|^plugin = tcp|plugin = tcp\nplugin_dir = $build/plugins/tcp/.libs|" \
            "$src/examples/node$i.ini" > "$run/node$i.ini"
        mkdir -p "$run/n$i"
        if [ -f "$run/n$i/data/gdfs.db" ]; then
            cmd=""                                  # a member: restart it
        elif [ "$i" = 1 ]; then
            cmd="init"                              # the first node starts the group
        else
            # The others join through n1 with a join token it issues
            # (a file, so the token shows in no process list).
            (umask 077; "$build/gdfs-node" -c "$run/node1.ini" token --role node \
                > "$run/join.token")
            cmd="join --token-file $run/join.token 127.0.0.1:7001"
        fi
        # Its own log, not our stdout: a pipe from this script must end.
        "$build/gdfs-node" -c "$run/node$i.ini" $cmd >>"$run/n$i/log" 2>&1 </dev/null &
        echo $! > "$run/n$i/pid"
        if ! wait_for answers "$i" >/dev/null 2>&1; then
            echo "node n$i did not start; the end of its log ($run/n$i/log):" >&2
            tail -n 3 "$run/n$i/log" >&2
            exit 1
        fi
    done
    wait_for members_alive
    wait_for has_leader     # after a restart the group first elects one
    wait_for healthy || true    # the leader's first pass over the files
    cli 1 status || [ $? -eq 3 ] # 3: degraded (README, gdfs-cli status)
    head -c 5000000 /dev/urandom > "$run/hello.bin"
    # Writes go through the leader; any member answers status.
    leader=$(cli 1 status | sed -n 's/^leader *n\([0-9]*\)$/\1/p')
    cli "${leader:-1}" put "$run/hello.bin" hello.bin
    cli "${leader:-1}" get hello.bin "$run/hello.back"
    if cmp "$run/hello.bin" "$run/hello.back"; then
        echo "put and get of 5 MB through leader n${leader:-1}: the bytes came back identical"
    else
        echo "put/get mismatch" >&2
        exit 1
    fi
    cli "${leader:-1}" ls
    cat <<MSG

gdfs is running: 3 nodes on 127.0.0.1:7001..7003, logs in $run/n*/log.
Try:
  $build/gdfs-cli -c $run/node2.ini status
Stop it with:
  $0 stop
MSG
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
status) cli 1 status ;;
*) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
