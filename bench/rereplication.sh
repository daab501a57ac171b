#!/bin/bash
# gdfs re-replication benchmark: a 3+1-node group on loopback (4 nodes, so
# that a dead holder's copies have somewhere to go). Puts --files files of
# --size-mib MiB, SIGKILLs a holder (not the leader), and times from the
# moment the leader marks it failed to the moment every file has 3 alive
# replicas again; beside the floor measured in the same run on the same
# disk: cp of the same bytes (what the dead node held) + sync.
#
#   bench/rereplication.sh [--files N] [--size-mib N] [--delay-ms N]
#                          [--rate-mib-s N]
# Defaults: 16 files x 64 MiB (1 GiB), repair_delay_ms 500 (counted in the
# time: it is part of what a user waits), repair_rate_mib_s 0 (unlimited;
# the default 100 MiB/s would cap 1 GiB at about 10 s by itself).
# Environment: GDFS_BENCH_DIR (default /var/tmp/gdfs-bench-rerepl: on
# disk, not tmpfs), GDFS_BUILD (a configured build dir; default
# _build/bench).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
nfiles=16 size=64 delay=500 rate=0
while [ $# -gt 0 ]; do
    case $1 in
    --files) nfiles=$2; shift 2 ;;
    --size-mib) size=$2; shift 2 ;;
    --delay-ms) delay=$2; shift 2 ;;
    --rate-mib-s) rate=$2; shift 2 ;;
    *) echo "usage: $0 [--files N] [--size-mib N] [--delay-ms N] [--rate-mib-s N]" >&2
       exit 2 ;;
    esac
done
dir=${GDFS_BENCH_DIR:-/var/tmp/gdfs-bench-rerepl}
. "$src/bench/build.sh"

rm -rf "$dir" && mkdir -p "$dir"
declare -A pid=()
cleanup() { for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT

base=$((20000 + RANDOM % 12000))
for i in 1 2 3 4; do
    cat >"$dir/n$i.ini" <<INI
[node]
id = n$i
listen = 127.0.0.1:$((base + i))
data_dir = $dir/n$i
log_level = info
[transport]
plugin_dir = $build/plugins/tcp/.libs
[files]
repair_delay_ms = $delay
repair_rate_mib_s = $rate
INI
done
cli() { "$build/gdfs-cli" -n 127.0.0.1:$((base + 1)) -P "$build/plugins/tcp/.libs" "$@"; }
jq_() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
now() { date +%s%N; }
secs() { python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / 1e9:.3f}')" "$@"; }

"$build/gdfs-node" -c "$dir/n1.ini" init 2>>"$dir/n1.log" & pid[1]=$!; disown
for _ in $(seq 200); do
    cli --json status 2>/dev/null | grep -q '"leader": "n1"' && break
    sleep 0.05
done
for i in 2 3 4; do
    "$build/gdfs-node" -c "$dir/n$i.ini" join 127.0.0.1:$((base + 1)) \
        2>>"$dir/n$i.log" & pid[$i]=$!; disown
    for _ in $(seq 200); do
        [ "$(cli --json status | jq_ 'sum(m["state"] == "alive" for m in d["members"])')" = "$i" ] && break
        sleep 0.05
    done
done

head -c $((size << 20)) /dev/urandom >"$dir/file"
for k in $(seq "$nfiles"); do
    cli put "$dir/file" "f$k" >/dev/null
done

# The victim: the non-leader holding the most files.
declare -A held=()
for k in $(seq "$nfiles"); do
    for n in $(cli --json locate "f$k" | jq_ '" ".join(r["node"] for r in d["replicas"])'); do
        held[$n]=$((${held[$n]:-0} + 1))
    done
done
victim=2
for i in 3 4; do [ "${held[n$i]:-0}" -gt "${held[n$victim]:-0}" ] && victim=$i; done
copies=${held[n$victim]:-0}

# Floor: the bytes the victim held, copied on the same disk and synced.
mkdir -p "$dir/floor"
sync
t0=$(now)
for k in $(seq "$copies"); do cp "$dir/file" "$dir/floor/f$k"; done
sync
floor=$(secs "$t0" "$(now)")
rm -rf "$dir/floor"

kill -9 "${pid[$victim]}"
t_kill=$(now)
until [ "$(cli --json status | jq_ '[m["state"] for m in d["members"] if m["id"] == "n'$victim'"][0]')" = failed ]; do
    sleep 0.02
done
t_fail=$(now)
healthy() {
    local k
    for k in $(seq "$nfiles"); do
        cli --json locate "f$k" | jq_ 'len(d["replicas"]) == 3 and all(r["state"] == "alive" for r in d["replicas"])' |
            grep -q True || return 1
    done
}
until healthy; do sleep 0.05; done
t_done=$(now)
bytes=$(cli --json status | jq_ 'd["repair"]["bytes"]')
total=$(secs "$t_fail" "$t_done")
mib=$((copies * size))
rate_of() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.0f}')" "$mib" "$1"; }

echo "4-node group on loopback, $nfiles x $size MiB; n$victim (SIGKILLed) held $copies copies = $mib MiB"
echo "repair_delay_ms $delay, repair_rate_mib_s $rate (0 = unlimited)"
printf '%-52s %8s s\n' "failure detection (kill -> failed at the leader)" "$(secs "$t_kill" "$t_fail")"
printf '%-52s %8s s  %6s MiB/s\n' "floor: cp of the same bytes + sync" "$floor" "$(rate_of "$floor")"
printf '%-52s %8s s  %6s MiB/s\n' "re-replication (failed -> 3 replicas everywhere)" "$total" "$(rate_of "$total")"
echo "bytes copied (status repair bytes): $bytes"
echo "goal (issue 4): re-replication of 1 GiB <= 10 s"
exit 0
