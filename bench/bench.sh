#!/bin/bash
# gdfs single-node benchmark. Prints put/get time and throughput for a
# 100 MiB random file beside references measured in the same run on the
# same disk (dd with conv=fsync, openssl dgst -sha256), the ratios, and
# the peak RSS of gdfs-node and gdfs-cli while putting and getting a
# 1 GiB file.
#
#   bench/bench.sh [--size-mib N] [--big-mib N] [--runs N] [--chunk BYTES]
#                  [--page BYTES]
# Environment: GDFS_BENCH_DIR (default /var/tmp/gdfs-bench: on disk, not
# tmpfs), GDFS_BUILD (a configured build dir; default _build/bench).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
size=100 big=1024 runs=3 chunk=262144 page=4096
while [ $# -gt 0 ]; do
    case $1 in
    --size-mib) size=$2; shift 2 ;;
    --big-mib) big=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --chunk) chunk=$2; shift 2 ;;
    --page) page=$2; shift 2 ;;
    *) echo "usage: $0 [--size-mib N] [--big-mib N] [--runs N] [--chunk B] [--page B]" >&2; exit 2 ;;
    esac
done
dir=${GDFS_BENCH_DIR:-/var/tmp/gdfs-bench}
. "$src/bench/build.sh"

rm -rf "$dir" && mkdir -p "$dir"
node_pid=
cleanup() { [ -n "$node_pid" ] && kill -9 "$node_pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

port=$((20000 + RANDOM % 30000))
cat > "$dir/node.ini" <<INI
[node]
id = bench
listen = 127.0.0.1:$port
data_dir = $dir/data
log_level = warn
[transport]
plugin_dir = $build/plugins/tcp/.libs
[files]
chunk_size = $chunk
[store]
page_size = $page
INI
cli() { "$build/gdfs-cli" -n 127.0.0.1:$port -P "$build/plugins/tcp/.libs" "$@"; }
start_node() {
    "$build/gdfs-node" -c "$dir/node.ini" $1 2>>"$dir/node.log" &
    node_pid=$!
    for _ in $(seq 100); do answers cli status && return; sleep 0.05; done
    echo "node did not start" >&2; cat "$dir/node.log" >&2; exit 1
}
stop_node() { kill "$node_pid"; wait "$node_pid" || true; node_pid=; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate() { echo "scale=1; $1 / $2" | bc -l; }   # MiB / s

command -v bc >/dev/null || { apt-get install -y -qq bc >/dev/null; }
head -c $((size * 1048576)) /dev/urandom > "$dir/in.bin"
echo "gdfs bench: $size MiB file, chunk $chunk B, page $page B, $runs runs (median), dir $dir"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

start_node init
ref_dd=() ref_sha=() put=() get=() getn=()
for r in $(seq "$runs"); do
    sync; t0=$(now); dd if="$dir/in.bin" of="$dir/dd.out" bs=1M conv=fsync status=none; t1=$(now)
    ref_dd+=("$(secs "$t0" "$t1")"); rm -f "$dir/dd.out"
    t0=$(now); openssl dgst -sha256 "$dir/in.bin" >/dev/null; t1=$(now)
    ref_sha+=("$(secs "$t0" "$t1")")
    sync; t0=$(now); cli put "$dir/in.bin" "bench-$r" >/dev/null; t1=$(now)
    put+=("$(secs "$t0" "$t1")")
    t0=$(now); cli get "bench-$r" "$dir/out.bin"; t1=$(now)
    get+=("$(secs "$t0" "$t1")")
    cmp -s "$dir/in.bin" "$dir/out.bin" || { echo "get returned other bytes" >&2; exit 1; }
    rm -f "$dir/out.bin"
    t0=$(now); cli get "bench-$r" - >/dev/null; t1=$(now)
    getn+=("$(secs "$t0" "$t1")")
done
m_dd=$(printf '%s\n' "${ref_dd[@]}" | median)
m_sha=$(printf '%s\n' "${ref_sha[@]}" | median)
m_put=$(printf '%s\n' "${put[@]}" | median)
m_get=$(printf '%s\n' "${get[@]}" | median)
m_getn=$(printf '%s\n' "${getn[@]}" | median)
printf '%-34s %8s s  %8s MiB/s\n' "reference dd conv=fsync" "$m_dd" "$(rate "$size" "$m_dd")"
printf '%-34s %8s s  %8s MiB/s\n' "reference openssl dgst -sha256" "$m_sha" "$(rate "$size" "$m_sha")"
printf '%-34s %8s s  %8s MiB/s  (%.2fx dd time)\n' "gdfs put" "$m_put" "$(rate "$size" "$m_put")" "$(echo "$m_put / $m_dd" | bc -l)"
printf '%-34s %8s s  %8s MiB/s  (%.2fx dd time)\n' "gdfs get (to file, fsynced)" "$m_get" "$(rate "$size" "$m_get")" "$(echo "$m_get / $m_dd" | bc -l)"
printf '%-34s %8s s  %8s MiB/s  (%.2fx sha256 time)\n' "gdfs get (to /dev/null, warm)" "$m_getn" "$(rate "$size" "$m_getn")" "$(echo "$m_getn / $m_sha" | bc -l)"
stop_node

if [ "$big" -gt 0 ]; then
    rm -rf "$dir/data" "$dir/in.bin"
    head -c $((big * 1048576)) /dev/urandom > "$dir/big.bin"
    start_node init
    /usr/bin/time -f '%M' -o "$dir/put.rss" "$build/gdfs-cli" -n 127.0.0.1:$port -P "$build/plugins/tcp/.libs" put "$dir/big.bin" big >/dev/null
    /usr/bin/time -f '%M' -o "$dir/get.rss" "$build/gdfs-cli" -n 127.0.0.1:$port -P "$build/plugins/tcp/.libs" get big "$dir/big.out"
    cmp -s "$dir/big.bin" "$dir/big.out" || { echo "1 GiB get returned other bytes" >&2; exit 1; }
    node_hwm=$(awk '/VmHWM/ {print $2}' /proc/$node_pid/status)
    stop_node
    printf 'peak RSS, %d MiB file: gdfs-node %d KiB, gdfs-cli put %d KiB, gdfs-cli get %d KiB\n' \
        "$big" "$node_hwm" "$(tail -1 "$dir/put.rss")" "$(tail -1 "$dir/get.rss")"
fi
