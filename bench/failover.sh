#!/bin/bash
# gdfs group benchmark: for groups of 5 and 15 nodes on loopback, over
# --runs runs each (median, min, max):
#   - time from SIGKILL of the leader to the first acknowledged put through
#     a surviving node;
#   - time from SIGKILL of a follower to "failed" on every other member;
# and the group messages each node sends per second in a quiet group
# (sendto calls counted with strace over 5 s).
#
#   bench/failover.sh [--runs N] [--sizes "5 15"]
# Environment: GDFS_BUILD (a configured build dir; default _build/bench).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
runs=10 sizes="5 15"
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--sizes \"5 15\"]" >&2; exit 2 ;;
    esac
done
. "$src/bench/build.sh"
command -v strace >/dev/null || apt-get install -y -qq strace >/dev/null
plugins=$build/plugins/tcp/.libs
dir=$(mktemp -d /tmp/gdfs-failover.XXXXXX)
declare -A PID PORT
cleanup() {
    for p in "${PID[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# Every connection is authenticated: gdfs-cli presents an admin credential
# and a joining node a node token, both issued by n1 (`gdfs-node token`).
# n1 has a group key once it answers (init writes it first).
cli() {
    [ -s "$dir/admin.key" ] ||
        (umask 077 && "$build/gdfs-node" -c "$dir/n1.ini" token --role admin >"$dir/admin.key.tmp" &&
            mv "$dir/admin.key.tmp" "$dir/admin.key") 2>/dev/null
    "$build/gdfs-cli" --key-file "$dir/admin.key" -n "127.0.0.1:${PORT[$1]}" -P "$plugins" -T 2000 "${@:2}"
}
role() { cli "$1" --json status 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["role"])' 2>/dev/null; }
state_seen() { # state_seen I J: the state node I gives nJ
    cli "$1" --json status 2>/dev/null | python3 -c 'import json,sys
d=json.load(sys.stdin); print([m["state"] for m in d["members"] if m["id"]=="n'"$2"'"][0])' 2>/dev/null
}

start() { # start I [init | join ADDR]
    local i=$1 tok
    shift
    if [ "${1:-}" = join ]; then
        tok=$("$build/gdfs-node" -c "$dir/n1.ini" token --role node) ||
            { echo "no join token from n1" >&2; exit 1; }
        set -- join --token "$tok" "${@:2}"
    fi
    "$build/gdfs-node" -c "$dir/n$i.ini" "$@" 2>>"$dir/n$i.log" &
    PID[$i]=$!
    for _ in $(seq 100); do answers cli "$i" status && return 0; sleep 0.05; done
    echo "node n$i did not start" >&2; tail "$dir/n$i.log" >&2; exit 1
}

# A port nobody listens on, below the ephemeral range (32768 and up), not
# given to another node of this run.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        [[ " ${PORT[*]} " == *" $p "* ]] && continue
        ss -Htln "sport = :$p" | grep -q . && continue
        echo "$p"
        return
    done
}

launch() { # launch N
    local n=$1 i
    for i in $(seq 1 "$n"); do
        PORT[$i]=$(free_port)
        cat >"$dir/n$i.ini" <<INI
[node]
id = n$i
listen = 127.0.0.1:${PORT[$i]}
data_dir = $dir/n$i
log_level = warn
[transport]
plugin_dir = $plugins
INI
    done
    start 1 init
    for i in $(seq 2 "$n"); do start "$i" join "127.0.0.1:${PORT[1]}"; done
    for _ in $(seq 300); do
        [ "$(cli 1 status | grep -c ' alive')" -eq "$n" ] && return 0
        sleep 0.1
    done
    echo "group of $n did not form" >&2; exit 1
}

leader_of() { # leader_of N: index of the node that says it leads
    local i
    for i in $(seq 1 "$1"); do
        [ -n "${PID[$i]:-}" ] && [ "$(role "$i")" = leader ] && { echo "$i"; return 0; }
    done
    return 1
}

stats() { # stats values...: median min max
    printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "median %d ms, min %d ms, max %d ms (%d runs)", a[int((NR+1)/2)], a[1], a[NR], NR}'
}

head -c 4096 /dev/urandom >"$dir/small"
echo "gdfs failover bench: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "defaults: heartbeat 100 ms, suspect 600 ms, election 700 ms, lease 560 ms"
for n in $sizes; do
    PID=() PORT=()
    rm -rf "${dir:?}"/n* "$dir/admin.key"
    launch "$n"
    lead=() fol=()
    for r in $(seq "$runs"); do
        l=$(leader_of "$n")
        t0=$(now_ms)
        kill -9 "${PID[$l]}"; wait "${PID[$l]}" 2>/dev/null || true; unset "PID[$l]"
        done_at=""
        while [ -z "$done_at" ]; do
            for i in $(seq 1 "$n"); do
                [ -n "${PID[$i]:-}" ] || continue
                if cli "$i" put "$dir/small" "bench-$r" >/dev/null 2>&1; then done_at=$(now_ms); break; fi
            done
            [ $(( $(now_ms) - t0 )) -lt 20000 ] || { echo "no leader after 20 s" >&2; exit 1; }
        done
        lead+=($((done_at - t0)))
        start "$l"
        for _ in $(seq 100); do [ "$(state_seen "$l" "$l")" = alive ] && break; sleep 0.1; done
        # A follower: any live node that is not the leader.
        l=$(leader_of "$n")
        f=$(( (l % n) + 1 ))
        t0=$(now_ms)
        kill -9 "${PID[$f]}"; wait "${PID[$f]}" 2>/dev/null || true; unset "PID[$f]"
        while :; do
            all=1
            for i in $(seq 1 "$n"); do
                [ -n "${PID[$i]:-}" ] || continue
                [ "$(state_seen "$i" "$f")" = failed ] || { all=0; break; }
            done
            [ $all = 1 ] && break
            [ $(( $(now_ms) - t0 )) -lt 20000 ] || { echo "follower not failed after 20 s" >&2; exit 1; }
        done
        fol+=($(( $(now_ms) - t0 )))
        start "$f"
        for _ in $(seq 100); do [ "$(state_seen "$l" "$f")" = alive ] && break; sleep 0.1; done
    done
    echo "$n nodes: leader SIGKILL -> first acknowledged put: $(stats "${lead[@]}")"
    echo "$n nodes: follower SIGKILL -> failed on all members: $(stats "${fol[@]}")"
    # Messages per second per node in a quiet group: the leader and one
    # follower, sendto calls over 5 s.
    l=$(leader_of "$n")
    f=$(( (l % n) + 1 ))
    for who in "$l leader" "$f follower"; do
        set -- $who
        c=$(timeout 5 strace -f -qq -e trace=sendto -p "${PID[$1]}" 2>&1 | grep -c 'sendto(' || true)
        echo "$n nodes: group messages sent per second by a $2: $((c / 5))"
    done
    for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
done
