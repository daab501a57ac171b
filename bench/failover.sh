#!/bin/bash
# gdfs group benchmark: for groups of 5 and 15 nodes on loopback, over
# --runs runs each (median, min, max):
#   - time from SIGKILL of the leader to the first acknowledged put through
#     a surviving node;
#   - time from SIGKILL of a follower to "failed" on every other member;
# and the group messages each node sends per second in a quiet group
# (sendto calls counted with strace over 5 s).
#
# With --files N, failover with file records instead (issue 14): a 5-node
# group is filled with N files of 64 bytes through the normal put path
# (`gdfs-cli put -r -p 8` of a directory tree; the population time and
# rate are printed), then the leader is SIGKILLed --runs times (default 3
# here) and the time to the first acknowledged put through a survivor is
# printed (median, min, max) beside the same figure for an empty group
# measured first in the same run. Each run also prints, from the new
# leader's log (log_level info), when it was elected, when it led its
# record log (its no-op appended) and when it began serving (that entry
# committed), counted from the SIGKILL. Before the files are put, one
# follower (n5) is SIGKILLed; once they are in, it is restarted and the
# time until its record table has applied every record the leader had
# (log_applied in the databases, read with sqlite3) is printed: the
# catch-up of a member that was down while N files were put (by the log's
# entries, or by the record table when it is behind the log's start).
# While the files are put, each node's resident anonymous memory is
# sampled every 10 s and printed at about every tenth of the records
# (issue 14: the leader's stays flat). After each run the killed node is
# restarted and the group
# waited on until the leader sees every member alive. The follower and message
# measurements are not made with --files.
#
#   bench/failover.sh [--runs N] [--sizes "5 15"]
#   bench/failover.sh --files N [--runs N]
# Environment: GDFS_BUILD (a configured build dir; default _build/bench).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
runs="" sizes="5 15" files=""
usage() { echo "usage: $0 [--runs N] [--sizes \"5 15\"] | --files N [--runs N]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    *) usage ;;
    esac
done
[[ -z $files || $files =~ ^[0-9]+$ ]] || usage
[[ -z $runs || $runs =~ ^[1-9][0-9]*$ ]] || usage
[ -n "$runs" ] || { [ -n "$files" ] && runs=3 || runs=10; }
# The phases of a failover are read from the nodes' info lines.
loglevel=warn
[ -z "$files" ] || loglevel=info
. "$src/bench/build.sh"
command -v strace >/dev/null || apt-get install -y -qq strace >/dev/null
command -v sqlite3 >/dev/null || apt-get install -y -qq sqlite3 >/dev/null
plugins=$build/plugins/tcp/.libs
dir=$(mktemp -d /tmp/gdfs-failover.XXXXXX)
declare -A PID PORT
cleanup() {
    disown -a # no "Killed" line for each node at exit
    for p in "${PID[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# Every connection is authenticated: gdfs-cli presents an admin credential
# and a joining node a node token, both issued by n1 (`gdfs-node token`).
# n1 has a group key once it answers (init writes it first).
cli() { cli_to 2000 "$@"; }
cli_to() { # cli_to MS I ARGS...: gdfs-cli through node I, network timeout MS
    local ms=$1
    shift
    [ -s "$dir/admin.key" ] ||
        (umask 077 && "$build/gdfs-node" -c "$dir/n1.ini" token --role admin >"$dir/admin.key.tmp" &&
            mv "$dir/admin.key.tmp" "$dir/admin.key") 2>/dev/null
    "$build/gdfs-cli" --key-file "$dir/admin.key" -n "127.0.0.1:${PORT[$1]}" -P "$plugins" -T "$ms" "${@:2}"
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
log_level = $loglevel
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

# rss_sample: "ENTRIES KIB..." — the last entry n1 applied, then each
# running node's resident anonymous memory (RssAnon, KiB; 0 for one
# down): the heap, stacks and caches, not the mapped files.
rss_sample() {
    local i line
    line=$(applied 1)
    for i in 1 2 3 4 5; do
        line="$line $( [ -n "${PID[$i]:-}" ] &&
            awk '/^RssAnon:/ {print $2}' "/proc/${PID[$i]}/status" 2>/dev/null || echo 0)"
    done
    echo "$line"
}
rss_sampler() { # every 10 s into $dir/rss.log, until killed
    rm -f "$dir/rss.log"
    while :; do rss_sample >>"$dir/rss.log"; sleep 10; done
}
# rss_report N: the samples at about every tenth of N entries (issue 14:
# the leader's RSS stays flat as records pile up on disk).
rss_report() {
    awk -v n="$1" '
        function show(line,   f, k, i) {
            k = split(line, f, " ")
            printf "  memory at %d records applied (RssAnon, MiB):", f[1]
            for (i = 2; i <= k; i++) printf " n%d %.1f", i - 1, f[i] / 1024
            printf "\n"
        }
        $1 >= next_at { show($0); next_at = $1 + n / 10; shown = NR }
        END { if (NR > 0 && shown != NR) show($0) }' "$dir/rss.log"
}

# populate N: N files of 64 bytes (each its own content), in directories
# of 1000, put through node 1 with put -r -p 8 as files/dNNNN/fNNNNNN;
# sets pop_ms (0 for none).
populate() {
    local n=$1 t0 got
    pop_ms=0
    [ "$n" -gt 0 ] || return 0
    rm -rf "$dir/tree"
    python3 - "$dir/tree" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for k in range(n):
    d = os.path.join(root, "d%04d" % (k // 1000))
    if k % 1000 == 0:
        os.makedirs(d)
    with open(os.path.join(d, "f%06d" % k), "wb") as f:
        f.write(b"%063d\n" % k)
PY
    t0=$(now_ms)
    rss_sampler &
    sampler=$!
    cli_to 10000 1 put -r -p 8 "$dir/tree" files/ >"$dir/populate.out" 2>&1 ||
        { echo "put -r of $n files failed" >&2; tail "$dir/populate.out" >&2; exit 1; }
    pop_ms=$(($(now_ms) - t0))
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
    rss_sample >>"$dir/rss.log"
    rss_report "$n"
    rm -rf "$dir/tree"
    got=$(cli_to 30000 1 ls | grep -c ' files/d' || true)
    [ "$got" -eq "$n" ] || { echo "ls lists $got of the $n files put" >&2; exit 1; }
}

# settled N: wait (60 s at most) until the leader sees all N members
# alive, then 1 s more for the records to settle; prints how long it took
# when that was more than a second. (Not status's "healthy": that waits
# for every member's inventory report, which can take minutes.)
settled() {
    local n=$1 t0 l
    t0=$(now_ms)
    while [ $(($(now_ms) - t0)) -lt 60000 ]; do
        l=$(leader_of "$n") && [ "$(cli_to 10000 "$l" status 2>/dev/null | grep -c ' alive')" -eq "$n" ] && {
            [ $(($(now_ms) - t0)) -lt 1000 ] || echo "  (all $n members alive after $(($(now_ms) - t0)) ms)"
            sleep 1
            return 0
        }
        sleep 0.2
    done
    echo "  (warning: not all $n members alive after 60 s; going on)"
}

# phases T0 T1 LOG:OFFSET...: from the node logs (read from OFFSET), when
# the node that became leader after T0 (epoch ms) was elected, led its
# record log and was serving, in ms after T0; T1 is when the put was
# acknowledged.
phases() {
    python3 - "$@" <<'PY'
import datetime, re, sys
t0, t1 = int(sys.argv[1]), int(sys.argv[2])
def ms(line):
    try:
        d = datetime.datetime.strptime(line[:24], "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return None
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
for arg in sys.argv[3:]:
    path, off = arg.rsplit(":", 1)
    with open(path, errors="replace") as f:
        f.seek(int(off))
        lines = f.readlines()
    term = None
    at = {}
    for l in lines:
        m = re.search(r"leader is \S+ \(term (\d+)\): this node", l)
        if m and term is None and (ms(l) or 0) >= t0:
            term, at["elected"] = m.group(1), ms(l)
        elif term and "record log: leading term %s from" % term in l:
            at.setdefault("led", ms(l))
        elif term and "term %s: serving" % term in l:
            at.setdefault("serving", ms(l))
    if term:
        print("elected +%s ms, log led +%s ms, serving +%s ms, put acknowledged +%d ms (term %s)" % (
            *(at[k] - t0 if k in at else "?" for k in ("elected", "led", "serving")), t1 - t0, term))
        break
else:
    print("no leader election found in the logs")
PY
}

# kill_leader N L NAME MS: SIGKILL node L of N (the leader), then put NAME
# through the survivors until one acknowledges; sets done_at (ms). Gives
# up after MS ms from t0.
kill_leader() {
    local n=$1 l=$2 name=$3 limit=$4 i
    kill -9 "${PID[$l]}"; wait "${PID[$l]}" 2>/dev/null || true; unset "PID[$l]"
    done_at=""
    while [ -z "$done_at" ]; do
        for i in $(seq 1 "$n"); do
            [ -n "${PID[$i]:-}" ] || continue
            if cli "$i" put "$dir/small" "$name" >/dev/null 2>&1; then done_at=$(now_ms); break; fi
        done
        [ $(( $(now_ms) - t0 )) -lt "$limit" ] || { echo "no acknowledged put $((limit / 1000)) s after the SIGKILL" >&2; exit 1; }
    done
}

applied() { # applied I: the last record log entry node I applied
    sqlite3 -cmd ".timeout 5000" "file:$dir/n$1/gdfs.db?mode=ro" \
        "SELECT log_applied FROM node" 2>/dev/null || echo 0
}

# catch_up I TARGET: restart node I (down while files were put) and time
# until it applied entry TARGET; prints the figure and how it caught up.
catch_up() {
    local i=$1 target=$2 t0 off how
    off=$(stat -c %s "$dir/n$i.log")
    t0=$(now_ms)
    start "$i"
    while [ "$(applied "$i")" -lt "$target" ]; do
        [ $(($(now_ms) - t0)) -lt 600000 ] || { echo "n$i did not catch up in 10 min" >&2; exit 1; }
        sleep 0.05
    done
    how="through the log's entries"
    tail -c +"$((off + 1))" "$dir/n$i.log" | grep -q "took .* record table as the log" &&
        how="by the leader's record table, then the log"
    echo "  n$i, down while the files were put: restarted, applied the leader's entry $target $(($(now_ms) - t0)) ms later ($how)"
}

# files_failover N: a 5-node group holding N files: populate, then --runs
# leader SIGKILLs; sets fo (the list of ms) and pop_ms.
files_failover() {
    local n=5 nf=$1 r l t0 done_at i offs
    PID=() PORT=()
    rm -rf "${dir:?}"/n* "$dir/admin.key"
    launch "$n"
    if [ "$nf" -gt 0 ]; then
        kill -9 "${PID[5]}"; wait "${PID[5]}" 2>/dev/null || true; unset "PID[5]"
    fi
    populate "$nf"
    if [ "$nf" -gt 0 ]; then
        echo "$n nodes, $nf files: populated through put -r -p 8 in $((pop_ms / 1000)).$(printf '%03d' $((pop_ms % 1000))) s ($((nf * 1000 / (pop_ms > 0 ? pop_ms : 1))) files/s, $((pop_ms * 10000 / nf)) ms per 10 000 files), n5 down"
        catch_up 5 "$(applied "$(leader_of "$n")")"
    fi
    settled "$n"
    fo=()
    for r in $(seq "$runs"); do
        l=$(leader_of "$n")
        offs=()
        for i in $(seq 1 "$n"); do offs+=("$dir/n$i.log:$(stat -c %s "$dir/n$i.log")"); done
        t0=$(now_ms)
        kill_leader "$n" "$l" "bench-$r" 60000
        fo+=($((done_at - t0)))
        echo "  $nf files, run $r: n$l killed; $(phases "$t0" "$done_at" "${offs[@]}")"
        start "$l"
        for _ in $(seq 100); do [ "$(state_seen "$l" "$l")" = alive ] && break; sleep 0.1; done
        settled "$n"
    done
    for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}

head -c 4096 /dev/urandom >"$dir/small"
if [ -n "$files" ]; then
    echo "gdfs failover bench, $files files of 64 bytes: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "defaults: heartbeat 100 ms, suspect 600 ms, election 700 ms, lease 560 ms; $runs runs"
    files_failover 0
    ref=("${fo[@]}")
    ref_med=$(printf '%s\n' "${ref[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "5 nodes, 0 files: leader SIGKILL -> first acknowledged put: $(stats "${ref[@]}")"
    if [ "$files" -gt 0 ]; then
        files_failover "$files"
        med=$(printf '%s\n' "${fo[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        echo "5 nodes, $files files: populated in $((pop_ms / 1000)).$(printf '%03d' $((pop_ms % 1000))) s ($((files * 1000 / (pop_ms > 0 ? pop_ms : 1))) files/s)"
        echo "5 nodes, $files files: leader SIGKILL -> first acknowledged put: $(stats "${fo[@]}"); 0 files, same run: median $ref_med ms ($(printf '%+d' $((med - ref_med))) ms)"
    fi
    exit 0
fi
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
        kill_leader "$n" "$l" "bench-$r" 20000
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
