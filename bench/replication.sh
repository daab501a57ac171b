#!/bin/bash
# gdfs replication benchmark: a 3-node group on loopback. Prints the time
# of a put and a get (warm, to /dev/null) of one random file through node
# 1, median of --runs, beside the floor measured in the same run on the
# same disk: copying the file to 3 directories and syncing.
#
#   bench/replication.sh [--size-mib N] [--runs N]
# Environment: GDFS_BENCH_DIR (default /var/tmp/gdfs-bench-repl: on disk,
# not tmpfs), GDFS_BUILD (a configured build dir; default _build/bench).
# Then 1000 x 4 KiB files in one CLI call each way (put -r, get -r, -p 8),
# beside the same floor for those files (cp -r to 3 directories + sync).
# Re-replication after a node failure: bench/rereplication.sh.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
size=100 runs=3
while [ $# -gt 0 ]; do
    case $1 in
    --size-mib) size=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: $0 [--size-mib N] [--runs N]" >&2; exit 2 ;;
    esac
done
dir=${GDFS_BENCH_DIR:-/var/tmp/gdfs-bench-repl}
. "$src/bench/build.sh"

rm -rf "$dir" && mkdir -p "$dir"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT

base=$((20000 + RANDOM % 12000))
for i in 1 2 3; do
    cat >"$dir/n$i.ini" <<INI
[node]
id = n$i
listen = 127.0.0.1:$((base + i))
data_dir = $dir/n$i
log_level = warn
[transport]
plugin_dir = $build/plugins/tcp/.libs
INI
done
cli() { "$build/gdfs-cli" -n 127.0.0.1:$((base + 1)) -P "$build/plugins/tcp/.libs" "$@"; }
wait_leader() {
    for _ in $(seq 200); do
        cli --json status 2>/dev/null | grep -q '"leader": "n1"' && return
        sleep 0.05
    done
    echo "no leader" >&2; exit 1
}
"$build/gdfs-node" -c "$dir/n1.ini" init 2>>"$dir/log" & pids+=($!); disown
wait_leader
for i in 2 3; do
    "$build/gdfs-node" -c "$dir/n$i.ini" join 127.0.0.1:$((base + 1)) \
        2>>"$dir/log" & pids+=($!); disown
done
for _ in $(seq 200); do
    [ "$(cli --json status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(m["state"]=="alive" for m in d["members"]))')" = 3 ] && break
    sleep 0.05
done

head -c $((size << 20)) /dev/urandom >"$dir/file"
mkdir -p "$dir/small"
python3 -c 'import os, sys
for i in range(1000):
    d = os.path.join(sys.argv[1], "d%02d" % (i % 20))
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "f%04d" % i), "wb").write(os.urandom(4096))' "$dir/small"
secs() { python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / 1e9:.3f}')" "$@"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

floor=() put=() get=() sfloor=() sput=() sget=()
for r in $(seq "$runs"); do
    rm -rf "$dir/c1" "$dir/c2" "$dir/c3"; mkdir -p "$dir/c1" "$dir/c2" "$dir/c3"
    t0=$(date +%s%N)
    for c in c1 c2 c3; do cp "$dir/file" "$dir/$c/file"; done
    sync
    floor+=("$(secs "$t0" "$(date +%s%N)")")
    t0=$(date +%s%N); cli put "$dir/file" "big$r" >/dev/null
    put+=("$(secs "$t0" "$(date +%s%N)")")
    cli get "big$r" - >/dev/null # warm
    t0=$(date +%s%N); cli get "big$r" - >/dev/null
    get+=("$(secs "$t0" "$(date +%s%N)")")

    rm -rf "$dir/c1" "$dir/c2" "$dir/c3" "$dir/back"
    t0=$(date +%s%N)
    for c in c1 c2 c3; do cp -r "$dir/small" "$dir/$c"; done
    sync
    sfloor+=("$(secs "$t0" "$(date +%s%N)")")
    t0=$(date +%s%N); cli put -r "$dir/small" "small$r/" >/dev/null
    sput+=("$(secs "$t0" "$(date +%s%N)")")
    t0=$(date +%s%N); cli get -r "small$r/" "$dir/back" >/dev/null
    sget+=("$(secs "$t0" "$(date +%s%N)")")
    diff -r "$dir/small" "$dir/back" >/dev/null || { echo "get -r differs" >&2; exit 1; }
done
f=$(printf '%s\n' "${floor[@]}" | median)
p=$(printf '%s\n' "${put[@]}" | median)
g=$(printf '%s\n' "${get[@]}" | median)
mibs() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.0f}')" "$size" "$1"; }
echo "3-node group on loopback, $size MiB random file, median of $runs runs"
printf '%-44s %8s s  %6s MiB/s\n' "floor: cp to 3 dirs + sync" "$f" "$(mibs "$f")"
printf '%-44s %8s s  %6s MiB/s\n' "gdfs put (3 replicas, W = 2)" "$p" "$(mibs "$p")"
printf '%-44s %8s s  %6s MiB/s\n' "gdfs get to /dev/null, warm" "$g" "$(mibs "$g")"
echo "runs: floor ${floor[*]}; put ${put[*]}; get ${get[*]}"
sf=$(printf '%s\n' "${sfloor[@]}" | median)
sp=$(printf '%s\n' "${sput[@]}" | median)
sg=$(printf '%s\n' "${sget[@]}" | median)
echo "1000 x 4 KiB files, one CLI call each way (-p 8), median of $runs runs"
printf '%-44s %8s s\n' "floor: cp -r to 3 dirs + sync" "$sf"
printf '%-44s %8s s\n' "gdfs put -r (3 replicas, W = 2)" "$sp"
printf '%-44s %8s s\n' "gdfs get -r into a fresh directory" "$sg"
echo "runs: floor ${sfloor[*]}; put ${sput[*]}; get ${sget[*]}"
echo "goals (issue 4): put <= 0.30 s, get >= 1.5 GiB/s;"
echo "  1000 x 4 KiB put <= 1.0 s, get <= 0.3 s"
