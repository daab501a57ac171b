#!/bin/bash
# gdfs put/get latency when nodes are far apart: N nodes (default 5), each
# in its own network namespace on one private bridge, every packet
# between two nodes held --delay-ms (default 50) once, so a round trip
# between two nodes takes twice that (100 ms). The client, gdfs-cli,
# runs inside one node's namespace and talks to that node's own address
# (local traffic, not delayed): the gateway. It times --count (default 30)
# puts of distinct 4 KiB files one after another, then a get of each,
# through a follower gateway (the main figures) and then through the
# leader; each time is the wall clock of one gdfs-cli process. Printed:
# median, p90, min and max of each, and the median in round trips (over
# the round trip measured with ping between two node namespaces just
# before, printed too), beside a `gdfs-cli status` through the same
# gateway (what starting the client costs). Gets are also split by
# whether the gateway held a copy, and the TCP connections the nodes
# opened to each other during the puts and the gets are counted (each
# handshake costs a round trip).
#
#   bench/latency.sh [--nodes N] [--count K] [--delay-ms D] [--hold in|out]
#
# Needs root (namespaces, iptables). The delay is not tc netem (kernels
# without sch_netem have none): an iptables NFQUEUE rule on eth0 in each
# node namespace, and bench/nfq-delay.c (built on first use into the bench
# build dir) holding each packet. By default (--hold in) a packet is held
# as it arrives (INPUT -i eth0), not as it leaves (--hold out: OUTPUT -o
# eth0). Why: a packet held on the way out still belongs to the sending
# socket, and TCP small queues let a socket have only about two packets
# below it at a time when the round trip is long, so the third packet of
# a reply waits for the first to be let go: every message of more than
# two packets (a 4 KiB get reply) takes a further --delay-ms, which no
# real network adds (there the packet leaves the host at once). A packet
# held on arrival has left its sender (the veth hands it to the other
# namespace). Traffic only goes between the
# namespaces made here (10.97.0.0/24, names gdfslat-*); the root namespace
# gets an "unreachable" route for that subnet while it runs, so nothing
# aimed at it leaves the machine. Everything is torn down at exit, and
# leftovers of an aborted run are torn down at the start. On a failure the
# node logs are kept (their tails are printed) in the temp dir named.
# Environment: GDFS_BUILD (a configured build dir; default _build/bench).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
nodes=5 count=30 delay_ms=50 hold=in
usage() {
    echo "usage: $0 [--nodes N (2..50)] [--count K (1..10000)] [--delay-ms D (0..2000)] [--hold in|out]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case $1 in
    --nodes) nodes=$2 ;;
    --count) count=$2 ;;
    --delay-ms) delay_ms=$2 ;;
    --hold) hold=$2 ;;
    *) usage ;;
    esac
    shift 2
done
# Plain decimal numbers only (no leading zeros: bash would read them as
# octal), each in a range that makes sense.
in_range() { [[ $1 =~ ^(0|[1-9][0-9]{0,5})$ ]] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
in_range "$nodes" 2 50 || usage # a follower needs 2; addresses .1 .. .50
in_range "$count" 1 10000 || usage
in_range "$delay_ms" 0 2000 || usage
case $hold in
in) rule=(INPUT -i eth0) ;;
out) rule=(OUTPUT -o eth0) ;;
*) usage ;;
esac
# --queue-bypass: packets pass undelayed, never dropped, when no delayer
# is bound to the queue.
rule+=(-j NFQUEUE --queue-num 0 --queue-bypass)
[ "$(id -u)" = 0 ] || { echo "$0: needs root (network namespaces, iptables)" >&2; exit 1; }

P=gdfslat-  # namespace names: ${P}sw (the bridge), ${P}n1 .. ${P}nN
NET=10.97.0 # node I is $NET.I/24 on its eth0
PORT=7000   # every node listens on its own address, so one port for all

. "$src/bench/build.sh"
# What this benchmark needs beyond the build: iptables (the NFQUEUE rule),
# libnetfilter-queue-dev (nfq-delay), ping (the round trip shown).
missing=()
for p in iptables libnetfilter-queue-dev iputils-ping; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "latency: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
nfq=$build/bench/nfq-delay
if [ ! -x "$nfq" ] || [ "$src/bench/nfq-delay.c" -nt "$nfq" ]; then
    mkdir -p "$build/bench"
    cc -O2 -Wall -Wextra -Werror -o "$nfq" "$src/bench/nfq-delay.c" -lnetfilter_queue
fi
plugins=$build/plugins/tcp/.libs

ns() { echo "${P}n$1"; }
addr() { echo "$NET.$1:$PORT"; }
in_ns() { # in_ns I CMD...: CMD inside node I's namespace
    local i=$1
    shift
    # Without the run's lock (fd 9): a node left by a killed run must not
    # keep the next run from starting and tearing it down.
    ip netns exec "$(ns "$i")" "$@" 9>&-
}

# ---- namespaces ------------------------------------------------------------

our_namespaces() {
    ip netns list | awk '{print $1}' | grep -E "^${P}(n[0-9]+|sw)\$" || true
}

# stop_in NS: TERM, then KILL, what runs in namespace NS. Only namespaces
# named with our prefix are passed: their processes are ours (this run's
# or an aborted run's).
stop_in() {
    local n=$1 pids pid
    pids=$(ip netns pids "$n" 2>/dev/null || true)
    [ -n "$pids" ] || return 0
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 30); do
        pids=$(ip netns pids "$n" 2>/dev/null || true)
        [ -n "$pids" ] || return 0
        sleep 0.1
    done
    for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
}

teardown() {
    local n
    for n in $(our_namespaces); do
        stop_in "$n"
        ip netns del "$n" 2>/dev/null || true # veths and rules go with it
    done
    ip route del unreachable "$NET.0/24" 2>/dev/null || true
}

dir="" ok=0
cleanup() {
    trap - EXIT INT TERM
    disown -a 2>/dev/null || true # no "Terminated" line for each node
    teardown
    if [ -n "$dir" ]; then
        if [ "$ok" = 1 ]; then
            rm -rf "$dir"
        else
            echo "latency: node logs kept in $dir" >&2
        fi
    fi
}

# One run at a time: a second would tear down the first's namespaces.
exec 9>/run/lock/gdfs-latency.lock
flock -n 9 || { echo "$0: another run is going on (/run/lock/gdfs-latency.lock)" >&2; exit 1; }
# A route for the subnet that is not ours (not "unreachable") means the
# subnet is in use here: do not take it over.
if ip route show "$NET.0/24" | grep -qv '^unreachable'; then
    echo "$0: $NET.0/24 is routed on this machine already; not touching it" >&2
    exit 1
fi
teardown # an aborted run's leftovers
trap cleanup EXIT
trap 'exit 130' INT TERM
dir=$(mktemp -d /tmp/gdfs-latency.XXXXXX)

ip route add unreachable "$NET.0/24"
ip netns add "${P}sw"
ip -n "${P}sw" link set lo up
ip -n "${P}sw" link add br0 type bridge
ip -n "${P}sw" link set br0 up
for i in $(seq "$nodes"); do
    ip netns add "$(ns "$i")"
    # Made inside the two namespaces at once: no interface in the root one.
    ip link add eth0 netns "$(ns "$i")" type veth peer name "p$i" netns "${P}sw"
    ip -n "${P}sw" link set "p$i" master br0
    ip -n "${P}sw" link set "p$i" up
    ip -n "$(ns "$i")" addr add "$NET.$i/24" dev eth0
    ip -n "$(ns "$i")" link set lo up
    ip -n "$(ns "$i")" link set eth0 up
    # The delayer must run in the namespace (a queue is per namespace) and
    # be bound before the rule sends packets to it.
    in_ns "$i" "$nfq" "$delay_ms" 0 2>"$dir/nfq$i.log" &
    for _ in $(seq 50); do grep -q '^nfq-delay: queue' "$dir/nfq$i.log" && break; sleep 0.02; done
    grep -q '^nfq-delay: queue' "$dir/nfq$i.log" ||
        { echo "nfq-delay did not start in $(ns "$i"): $(cat "$dir/nfq$i.log")" >&2; exit 1; }
    in_ns "$i" iptables -A "${rule[@]}"
    # No target: only counts the connections this node opens to others
    # (syns), to tell round trips spent in TCP handshakes from the rest.
    in_ns "$i" iptables -I OUTPUT 1 -o eth0 -p tcp --syn
done
# The bridge has no STP: its ports forward once up.
for _ in $(seq 50); do
    ip -n "${P}sw" -br link show master br0 | grep -qv ' UP ' || break
    sleep 0.1
done

# The round trip between two nodes, what the figures are counted in; one
# ping first so that ARP is not in the samples. -U: from sending to the
# reply read, as gdfs sees it; without it ping takes the kernel's arrival
# stamp of the reply, from before it is held on arrival.
in_ns 1 ping -c 1 -W 5 "$NET.2" >/dev/null ||
    { echo "no ping from $(ns 1) to $NET.2" >&2; exit 1; }
mapfile -t rtts < <(in_ns 1 ping -U -c 5 -i 0.2 "$NET.2" | sed -n 's/.* time=\([0-9.]*\) ms$/\1/p')
[ ${#rtts[@]} -eq 5 ] || { echo "ping $NET.2 from $(ns 1): ${#rtts[@]} of 5 answers" >&2; exit 1; }

# ---- the group ---------------------------------------------------------------

now_ms() { echo $(($(date +%s%N) / 1000000)); }
cli() { # cli I ARGS...: gdfs-cli in node I's namespace, to its own address
    local i=$1
    shift
    in_ns "$i" "$build/gdfs-cli" --key-file "$dir/admin.key" -n "$(addr "$i")" \
        -P "$plugins" -T 10000 "$@"
}
json_status() { cli "$1" --json status 2>/dev/null; }

# show_logs: the tail of every node log, for a failure.
show_logs() {
    local i
    for i in $(seq "$nodes"); do
        echo "--- n$i.log (last 15 lines)" >&2
        tail -n 15 "$dir/n$i.log" >&2 2>/dev/null || true
    done
}
fail() { echo "latency: $*" >&2; show_logs; exit 1; }

for i in $(seq "$nodes"); do
    cat >"$dir/n$i.ini" <<INI
[node]
id = n$i
listen = $(addr "$i")
data_dir = $dir/n$i
log_level = info
[transport]
plugin_dir = $plugins
INI
done

start() { # start I init | start I join: node I in its namespace
    local i=$1
    if [ "$2" = join ]; then
        (umask 077 && in_ns 1 "$build/gdfs-node" -c "$dir/n1.ini" token --role node \
            >"$dir/n$i.token") || fail "no join token from n1"
        set -- "$i" join --token-file "$dir/n$i.token" "$(addr 1)"
    fi
    in_ns "$i" "$build/gdfs-node" -c "$dir/n$i.ini" "${@:2}" >>"$dir/n$i.log" 2>&1 &
    for _ in $(seq 200); do
        [ -s "$dir/admin.key" ] || [ ! -s "$dir/n1/group.key" ] ||
            (umask 077 && in_ns 1 "$build/gdfs-node" -c "$dir/n1.ini" token --role admin \
                >"$dir/admin.key.tmp" && mv "$dir/admin.key.tmp" "$dir/admin.key") 2>/dev/null ||
            true
        [ -s "$dir/admin.key" ] && answers cli "$i" status && return 0
        sleep 0.1
    done
    fail "node n$i did not answer within 20 s"
}

role_of() { json_status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["role"])' 2>/dev/null; }
alive_seen() { # alive_seen I: how many members node I sees alive
    json_status "$1" | python3 -c 'import json,sys
print(sum(1 for m in json.load(sys.stdin)["members"] if m["state"]=="alive"))' 2>/dev/null || echo 0
}
leader_now() {
    local i
    for i in $(seq "$nodes"); do
        [ "$(role_of "$i")" = leader ] && { echo "$i"; return 0; }
    done
    return 1
}

t0=$(now_ms)
start 1 init
for i in $(seq 2 "$nodes"); do start "$i" join; done
while :; do
    leader=$(leader_now) && [ "$(alive_seen "$leader")" -eq "$nodes" ] && break
    [ $(($(now_ms) - t0)) -lt 120000 ] || fail "the leader did not see all $nodes members alive in 120 s"
    sleep 0.5
done
formed_ms=$(($(now_ms) - t0))
# The follower gateway: the first node that is not the leader.
follower=$((leader % nodes + 1))

# ---- measurements ----------------------------------------------------------------

mkdir -p "$dir/files" "$dir/got"
for k in $(seq "$count"); do head -c 4096 /dev/urandom >"$dir/files/f$k"; done

# timed OUT I ARGS...: run gdfs-cli ARGS through node I inside its
# namespace, from a shell already in there (so that neither ip netns exec
# nor a fork for the clock is counted), and append its wall-clock time in
# microseconds (bash's EPOCHREALTIME) to OUT; fails as gdfs-cli does
# (its stderr in OUT.err).
timed() {
    local out=$1 i=$2
    shift 2
    # shellcheck disable=SC2016 # expanded by the inner shell
    in_ns "$i" bash -c '
        out=$1; shift
        a=${EPOCHREALTIME/./}
        "$@" >/dev/null 2>>"$out.err" || exit
        b=${EPOCHREALTIME/./}
        echo $((b - a)) >>"$out"' _ "$out" "$build/gdfs-cli" --key-file "$dir/admin.key" \
        -n "$(addr "$i")" -P "$plugins" -T 10000 "$@"
}

# syns: the TCP connections all nodes opened to each other so far.
syns() {
    local i n=0 c
    for i in $(seq "$nodes"); do
        c=$(in_ns "$i" iptables -L OUTPUT 1 -v -x -n | awk '{print $1}')
        n=$((n + c))
    done
    echo "$n"
}

# run_row TAG I: puts and gets of the count files through node I, and
# status through it; the times go to $dir/TAG.{put,get,status}.
run_row() {
    local tag=$1 i=$2 k s0 s1 s2
    # One put and get first, not counted: the client's first connections.
    timed "$dir/$tag.warm" "$i" put "$dir/files/f1" "warm-$tag" || fail "warm-up put through n$i failed: $(cat "$dir/$tag.warm.err")"
    timed "$dir/$tag.warm" "$i" get "warm-$tag" "$dir/got/warm" || fail "warm-up get through n$i failed: $(cat "$dir/$tag.warm.err")"
    for k in $(seq 5); do
        timed "$dir/$tag.status" "$i" status || fail "status through n$i failed: $(cat "$dir/$tag.status.err")"
    done
    s0=$(syns)
    for k in $(seq "$count"); do
        timed "$dir/$tag.put" "$i" put "$dir/files/f$k" "$tag/f$k" ||
            fail "put $tag/f$k through n$i failed: $(cat "$dir/$tag.put.err")"
    done
    s1=$(syns)
    for k in $(seq "$count"); do
        rm -f "$dir/got/f$k"
        timed "$dir/$tag.get" "$i" get "$tag/f$k" "$dir/got/f$k" ||
            fail "get $tag/f$k through n$i failed: $(cat "$dir/$tag.get.err")"
        cmp -s "$dir/files/f$k" "$dir/got/f$k" || fail "get $tag/f$k through n$i: not the bytes put"
    done
    s2=$(syns)
    echo "$((s1 - s0)) $((s2 - s1))" >"$dir/$tag.syns"
    # Split the gets by where the copies were: a gateway that holds one
    # can read it from its own disk; one that holds none reads from a
    # replica across the delayed network.
    cli "$i" --json lshere >"$dir/$tag.here" || fail "lshere through n$i failed"
    python3 - "$dir/$tag" "$count" <<'PY' || fail "lshere through n$i: no JSON list"
import json, sys
base, n = sys.argv[1], int(sys.argv[2])
tag = base.rsplit("/", 1)[1]
here = {e["name"] for e in json.load(open(base + ".here"))}
times = open(base + ".get").read().split()
with open(base + ".get.local", "w") as loc, open(base + ".get.remote", "w") as rem:
    for k in range(1, n + 1):
        print(times[k - 1], file=loc if "%s/f%d" % (tag, k) in here else rem)
PY
}

run_row follower "$follower"
# The leader may have changed; the second row is through whoever leads now.
leader_row=$(leader_now) || fail "no leader after the follower row"
run_row leader "$leader_row"

# ---- report ------------------------------------------------------------------------

# summary FILE SCALE: "median p90 min max" of the numbers in FILE, divided
# by SCALE, in ms with one decimal (p90: nearest rank).
summary() {
    sort -g "$1" | awk -v s="$2" '{a[NR]=$1/s} END {
        p = int((NR * 9 + 9) / 10); if (p > NR) p = NR
        printf "%.1f %.1f %.1f %.1f\n", a[int((NR+1)/2)], a[p], a[1], a[NR] }'
}
printf '%s\n' "${rtts[@]}" >"$dir/rtt"
read -r rtt_med _ < <(summary "$dir/rtt" 1)
line() { # line LABEL FILE SCALE; nothing when FILE is empty
    local med p90 min max
    [ -s "$2" ] || return 0
    read -r med p90 min max < <(summary "$2" "$3")
    printf '%-28s median %7.1f ms (%4.1f RTT)  p90 %7.1f  min %7.1f  max %7.1f ms  (%d)\n' \
        "$1" "$med" "$(awk -v m="$med" -v r="$rtt_med" 'BEGIN {print (r > 0 ? m / r : 0)}')" \
        "$p90" "$min" "$max" "$(wc -l <"$2")"
}

echo "gdfs latency bench: $nodes nodes in network namespaces, ${delay_ms} ms added to every packet between nodes (held on $([ "$hold" = in ] && echo arrival || echo leaving), --hold $hold): RTT $((2 * delay_ms)) ms"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); group formed in $formed_ms ms"
echo "RTT measured, ping $(ns 1) -> $(ns 2): ${rtts[*]} ms (median $rtt_med)"
echo "follower gateway n$follower (leader n$leader); leader gateway n$leader_row; $count puts of 4 KiB, then $count gets; times of one gdfs-cli process each"
line "ping RTT n1 -> n2 (floor)" "$dir/rtt" 1
line "status via follower" "$dir/follower.status" 1000
line "put 4 KiB via follower" "$dir/follower.put" 1000
line "get 4 KiB via follower" "$dir/follower.get" 1000
line "  gateway held a copy" "$dir/follower.get.local" 1000
line "  gateway held none" "$dir/follower.get.remote" 1000
line "status via leader" "$dir/leader.status" 1000
line "put 4 KiB via leader" "$dir/leader.put" 1000
line "get 4 KiB via leader" "$dir/leader.get" 1000
line "  gateway held a copy" "$dir/leader.get.local" 1000
line "  gateway held none" "$dir/leader.get.remote" 1000
for tag in follower leader; do
    read -r sp sg <"$dir/$tag.syns"
    echo "TCP connections nodes opened to each other during the $count puts / $count gets via $tag: $sp / $sg"
done
echo "warm-up (not counted above; put, get): follower $(($(sed -n 1p "$dir/follower.warm") / 1000)) ms, $(($(sed -n 2p "$dir/follower.warm") / 1000)) ms; leader $(($(sed -n 1p "$dir/leader.warm") / 1000)) ms, $(($(sed -n 2p "$dir/leader.warm") / 1000)) ms"
# Whether the delayer ever let a packet through early (printed at its exit).
for i in $(seq "$nodes"); do
    pid=$(ip netns pids "$(ns "$i")" 2>/dev/null | while read -r p; do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = nfq-delay ] && echo "$p"; done) || true
    [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
done
sleep 0.3
grep -h 'exit;' "$dir"/nfq*.log | grep -v 'early (table full) 0, overruns 0, verdict errors 0' |
    sed 's/^/warning: /' || true
ok=1
