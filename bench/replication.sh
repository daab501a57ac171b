#!/bin/bash
# gdfs replication benchmark: a 3-node group on loopback. Prints the time
# of a put and a get (warm, to /dev/null) of one random file through node
# 1, median of --runs, beside the floor measured in the same run on the
# same disk: copying the file to 3 directories and syncing.
#
#   bench/replication.sh [--size-mib N] [--runs N]
#                        [--against REV | --against-build DIR]
# Environment: GDFS_BENCH_DIR (default /var/tmp/gdfs-bench-repl: on disk,
# not tmpfs), GDFS_BUILD (a configured build dir; default _build/bench).
# Then 1000 x 4 KiB files in one CLI call each way (put -r, get -r, -p 8),
# beside the same floor for those files (cp -r to 3 directories + sync).
# --against REV (a git revision, built once: bench/builds.sh) or
# --against-build DIR (a built tree) runs a second group of that build
# beside this one's; each run measures both, in turn (this, ref; then
# ref, this), and every figure is printed for both with this/ref, and
# the CPU time (user + system) of the nodes and of gdfs-cli in the put.
# Re-replication after a node failure: bench/rereplication.sh.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
size=100 runs=3 against= against_build=
while [ $# -gt 0 ]; do
    case $1 in
    --size-mib) size=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --against) against=$2; shift 2 ;;
    --against-build) against_build=$2; shift 2 ;;
    *) echo "usage: $0 [--size-mib N] [--runs N] [--against REV | --against-build DIR]" >&2; exit 2 ;;
    esac
done
dir=${GDFS_BENCH_DIR:-/var/tmp/gdfs-bench-repl}
. "$src/bench/build.sh"
. "$src/bench/builds.sh"

rm -rf "$dir" && mkdir -p "$dir"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT

# One group per build, in $dir/SLOT: n1..n3.ini, data n1..n3, log.
base=$((20000 + RANDOM % 12000))
declare -A port1
k=0
for s in $slots; do
    mkdir -p "$dir/$s"
    for i in 1 2 3; do
        cat >"$dir/$s/n$i.ini" <<INI
[node]
id = n$i
listen = 127.0.0.1:$((base + 10 * k + i))
data_dir = $dir/$s/n$i
log_level = warn
[transport]
plugin_dir = ${bdir[$s]}/plugins/tcp/.libs
INI
    done
    port1[$s]=$((base + 10 * k + 1))
    k=$((k + 1))
done
cli() { gcli "$1" -n "127.0.0.1:${port1[$1]}" -P "${bdir[$1]}/plugins/tcp/.libs" "${@:2}"; } # cli SLOT ARGS
alive() { cli "$1" --json status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(m["state"]=="alive" for m in d["members"]))'; }
wait_leader() {
    for _ in $(seq 200); do
        cli "$1" --json status 2>/dev/null | grep -q '"leader": "n1"' && return
        sleep 0.05
    done
    echo "no leader" >&2; exit 1
}
group_start() { # group_start SLOT: its 3 nodes, n1 leading
    local s=$1 i
    node_start "$s" "$dir/$s/n1.ini" "$dir/$s/log" init; pids+=($!); disown
    wait_leader "$s"
    for i in 2 3; do
        node_start "$s" "$dir/$s/n$i.ini" "$dir/$s/log" join "$dir/$s/n1.ini"; pids+=($!); disown
    done
    for _ in $(seq 200); do
        [ "$(alive "$s")" = 3 ] && return
        sleep 0.05
    done
    echo "${bname[$s]}: the group of 3 did not form" >&2; cat "$dir/$s/log" >&2; exit 1
}
for s in $slots; do group_start "$s"; done

head -c $((size << 20)) /dev/urandom >"$dir/file"
mkdir -p "$dir/small"
python3 -c 'import os, sys
for i in range(1000):
    d = os.path.join(sys.argv[1], "d%02d" % (i % 20))
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "f%04d" % i), "wb").write(os.urandom(4096))' "$dir/small"
secs() { python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / 1e9:.3f}')" "$@"; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

# Figures per slot, each a list of seconds: put[S] "0.31 0.29 ...".
floor=() sfloor=()
declare -A put get sput sget cpun cpuc
order=$slots
TIMEFORMAT='%3U %3S'
for r in $(seq "$runs"); do
    rm -rf "$dir/c1" "$dir/c2" "$dir/c3"; mkdir -p "$dir/c1" "$dir/c2" "$dir/c3"
    t0=$(date +%s%N)
    for c in c1 c2 c3; do cp "$dir/file" "$dir/$c/file"; done
    sync
    floor+=("$(secs "$t0" "$(date +%s%N)")")
    for s in $order; do
        c0=$(cpu_s ${npids[$s]})
        t0=$(date +%s%N); { time cli "$s" put "$dir/file" "big$r" >/dev/null 2>&3; } 3>&2 2>"$dir/cpu" ||
            fail "$s" "put big$r" "$dir/$s/log"
        put[$s]+=" $(secs "$t0" "$(date +%s%N)")"
        cpun[$s]+=" $(awk -v a="$c0" -v b="$(cpu_s ${npids[$s]})" 'BEGIN {printf "%.2f", b - a}')"
        cpuc[$s]+=" $(awk '{printf "%.3f", $1 + $2}' "$dir/cpu")"
        cli "$s" get "big$r" - >/dev/null || fail "$s" "get big$r" "$dir/$s/log" # warm
        t0=$(date +%s%N); cli "$s" get "big$r" - >/dev/null || fail "$s" "get big$r" "$dir/$s/log"
        get[$s]+=" $(secs "$t0" "$(date +%s%N)")"
    done

    rm -rf "$dir/c1" "$dir/c2" "$dir/c3"
    t0=$(date +%s%N)
    for c in c1 c2 c3; do cp -r "$dir/small" "$dir/$c"; done
    sync
    sfloor+=("$(secs "$t0" "$(date +%s%N)")")
    for s in $order; do
        rm -rf "$dir/back"
        t0=$(date +%s%N); cli "$s" put -r "$dir/small" "small$r/" >/dev/null 2>"$dir/err" ||
            fail "$s" "put -r" "$dir/err" "$dir/$s/log"
        sput[$s]+=" $(secs "$t0" "$(date +%s%N)")"
        t0=$(date +%s%N); cli "$s" get -r "small$r/" "$dir/back" >/dev/null 2>"$dir/err" ||
            fail "$s" "get -r" "$dir/err" "$dir/$s/log"
        sget[$s]+=" $(secs "$t0" "$(date +%s%N)")"
        diff -r "$dir/small" "$dir/back" >/dev/null || { echo "${bname[$s]}: get -r differs" >&2; exit 1; }
    done
    # Each build in turn goes first, so neither always follows the floor.
    order=$(echo "$order" | tr ' ' '\n' | tac | xargs)
done

mibs() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.0f}')" "$size" "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
# row LABEL FIGURE [mibs]: the median of FIGURE's runs for each build (with
# MiB/s), then this/ref.
row() {
    local -n fig=$2
    local s m this=
    printf '%-44s' "$1"
    for s in $slots; do
        m=$(echo "${fig[$s]}" | median)
        if [ -n "${3:-}" ]; then
            printf ' %8s s  %6s MiB/s' "$m" "$(mibs "$m")"
        else
            printf ' %8s s' "$m"
            [ -n "${bdir[ref]:-}" ] && printf '%14s' ""
        fi
        [ -n "$this" ] && printf '  %8s' "$(ratio "$this" "$m")"
        this=$m
    done
    echo
}
# runs FLOOR LABEL=FIGURE...: every run's figures; the reference's after
# this build's.
runs() {
    local -n fl=$1
    local out="runs: floor ${fl[*]}" f s pre
    for s in $slots; do
        pre=
        [ "$s" = this ] || pre="$s "
        for f in "${@:2}"; do
            local -n fig=${f#*=}
            out+="; $pre${f%%=*}${fig[$s]}"
        done
    done
    echo "$out"
    [ -n "${bdir[ref]:-}" ] || return 0
    out="this/ref by run:"
    for f in "${@:2}"; do
        local -n fig=${f#*=}
        out+=" ${f%%=*} $(by_run "${fig[this]}" "${fig[ref]}");"
    done
    echo "${out%;}"
}
echo "3-node group on loopback, $size MiB random file, median of $runs runs"
if [ -n "${bdir[ref]:-}" ]; then
    echo "this build: ${bdir[this]}; ref ${bname[ref]}: ${bdir[ref]}; each run measures both, in turn"
    printf '%-44s %24s %24s  %8s\n' "" "this build" "ref ${bname[ref]}" "this/ref"
fi
f=$(echo "${floor[*]}" | median)
printf '%-44s %8s s  %6s MiB/s\n' "floor: cp to 3 dirs + sync" "$f" "$(mibs "$f")"
row "gdfs put (3 replicas, W = 2)" put mibs
row "gdfs get to /dev/null, warm" get mibs
if [ -n "${bdir[ref]:-}" ]; then
    row "gdfs put: CPU of the 3 nodes (user + sys)" cpun
    row "gdfs put: CPU of gdfs-cli (user + sys)" cpuc
    runs floor put=put get=get "put CPU nodes=cpun" "put CPU cli=cpuc"
else
    runs floor put=put get=get
fi
echo "1000 x 4 KiB files, one CLI call each way (-p 8), median of $runs runs"
printf '%-44s %8s s\n' "floor: cp -r to 3 dirs + sync" "$(echo "${sfloor[*]}" | median)"
row "gdfs put -r (3 replicas, W = 2)" sput
row "gdfs get -r into a fresh directory" sget
runs sfloor put=sput get=sget
echo "goals (issue 4): put <= 0.30 s, get >= 1.5 GiB/s;"
echo "  1000 x 4 KiB put <= 1.0 s, get <= 0.3 s"
