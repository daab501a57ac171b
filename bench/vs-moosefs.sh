#!/bin/bash
# gdfs beside MooseFS on the same machine and disk, in one invocation:
# a 3-node gdfs group on loopback and a MooseFS of one master, 3
# chunkservers and one mfsmount, each figure measured for both (and for
# the floor) in every run, the first of the two alternating from run to
# run. Prints a table: figure | floor | MooseFS | gdfs | gdfs/MooseFS
# (medians of --runs; > 1 means gdfs is slower or bigger), then every
# run's figures.
#
#   bench/vs-moosefs.sh [--runs N] [--size-mib N] [--big-mib N]
# Defaults: 3 runs, 100 MiB, 1024 MiB. Needs root (a network namespace,
# FUSE, drop_caches). Installs Debian's moosefs-master,
# moosefs-chunkserver, moosefs-client and moosefs-cli if missing.
# Environment: GDFS_BENCH_DIR (default /var/tmp/gdfs-bench-moosefs: on
# disk, not tmpfs; both systems keep their data under it), GDFS_BUILD (a
# configured build dir; default _build/bench).
#
# MooseFS (3.0.x, Debian's) runs in a network namespace of its own,
# gdfsmfs, on 10.98.0.1/24 (a veth inside it; the master refuses an
# address in 127/8), every daemon started with `nsenter --net` only, so
# that the FUSE mount lands in the machine's own mount namespace (`ip
# netns exec` would make it a private one). The root namespace gets an
# unreachable route for 10.98.0.0/24 while it runs: nothing leaves the
# machine. Master and chunkservers have private config files, data dirs
# and mfshdd.cfg; chunkservers with HDD_FSYNC_BEFORE_CLOSE = 1 (a chunk
# is fsynced before it is closed); goal 3 and trash time 0 on the whole
# mount (mfssetgoal -r 3). NICE_LEVEL = 0 and mfsmount -o mfsnice=0: by
# default the daemons raise themselves to nice -19, an advantage over
# gdfs's nodes (nice 0) on a shared 2-core machine. Left at Debian's
# defaults otherwise: mfsmount fsyncs a file before its last close
# (mfsfsyncmintime=0, given explicitly), 256 MiB write cache, and the
# master writes its change log without fsync (CHANGELOG_SAVE_MODE = 0),
# so MooseFS's namespace entry is less durable at acknowledgement than
# gdfs's. Measuring starts once all 3 chunkservers are connected and
# report their space (mfscli -SCS).
#
# How each figure is timed (wall clock of the command, started after an
# untimed `sync` so that neither pays for the other's dirty pages):
#  100 MiB put, until acknowledged: gdfs `gdfs-cli put FILE NAME`,
#    acknowledged once W = 2 of the 3 replicas have fsynced it. MooseFS
#    `dd if=FILE of=MNT/NAME bs=1M conv=fsync`: dd's fsync and close
#    return once the mount has written every byte to the chain of 3
#    chunkservers and they have acknowledged it. That is not on disk:
#    HDD_FSYNC_BEFORE_CLOSE makes a chunkserver fsync a chunk when it
#    closes the chunk's file, and it closes it on its own a little later
#    (strace of a chunkserver during a 10 MiB dd: its fsync came 80 ms
#    after dd had exited). So the acknowledged figures are not of equal
#    durability (gdfs: 2 copies fsynced; MooseFS: 3 copies in the
#    chunkservers' page cache), and each put is also timed
#  + sync: the same put and a `sync` after it, both timed: every copy of
#    both systems on disk (gdfs's third replica too), the same work as
#    the floor. Floor (both rows): cp to 3 directories + sync.
#  100 MiB get, cold: `sync; echo 3 > /proc/sys/vm/drop_caches` before
#    each, then gdfs `gdfs-cli get NAME -` and MooseFS `dd if=MNT/NAME
#    bs=1M`, both to /dev/null. Floor: dd of the local file, the same way.
#  1000 x 4 KiB put, 8 in flight: gdfs `gdfs-cli put -r -p 8 DIR PREFIX`
#    (8 is gdfs-cli's default; -p 1..64), each file acknowledged as
#    above. MooseFS: the same tree copied into the mount by 8 threads of
#    one python3 process (this script writes it into the bench dir as
#    pcopy.py), each file written, fsynced and closed before the thread
#    takes the next: the same parallelism, and each file acknowledged
#    as the 100 MiB one is. Acknowledged, and + sync, as above. Floor:
#    cp -r to 3 directories + sync (one sync for all: a lower bound).
#  1000 x 4 KiB put, 1 at a time: the same with gdfs-cli -p 1 and one
#    thread (what a plain `cp -r` into the mount does, since mfsmount
#    fsyncs each file before its last close).
#  1000 x 4 KiB get: gdfs `gdfs-cli get -r -p 8 PREFIX DIR` (which
#    fsyncs each file it writes) and MooseFS the same 8-thread copy out
#    of the mount, fsync per file, both into a fresh local directory,
#    not cold. Floor: cp -r to a fresh directory + sync.
#  CPU in the 8-in-flight 1000 x 4 KiB put (user + system seconds):
#    servers = the 3 gdfs-node / mfsmaster + 3 mfschunkserver (from
#    /proc/PID/stat before and after); client = gdfs-cli (bash's time) /
#    the python3 copier (time) + mfsmount (/proc).
#  Peak RSS during a --big-mib put: after the runs, both systems are
#    stopped, wiped and started afresh, and the big file is put into
#    each once (gdfs-cli put; dd conv=fsync). "max VmHWM" is the largest
#    VmHWM of the 3 gdfs-node / of mfsmaster and the 3 mfschunkserver,
#    read from /proc/PID/status after the put: each process is fresh, so
#    it is the peak of its whole life, start included (file-backed pages
#    too). "max RssAnon" is the largest RssAnon of the same processes
#    sampled every 0.1 s during the put (anonymous memory only). The
#    client row: gdfs-cli's max RSS (/usr/bin/time %M) and mfsmount's
#    VmHWM (also fresh).
#
# Everything it starts is stopped by pid at exit (also on Ctrl-C): the
# mount is unmounted (fusermount3 -u, else umount -l), the daemons and
# nodes killed, the namespace and the route deleted, the bench dir
# removed. The machine is shared: figures move from run to run, so look
# at the per-run lines too, and use more --runs for small differences.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
runs=3 size=100 big=1024
usage() {
    echo "usage: $0 [--runs N] [--size-mib N] [--big-mib N]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case $1 in
    --runs) runs=$2 ;;
    --size-mib) size=$2 ;;
    --big-mib) big=$2 ;;
    *) usage ;;
    esac
    shift 2
done
for v in "$runs" "$size" "$big"; do
    [[ $v =~ ^[1-9][0-9]{0,4}$ ]] || usage
done
[ "$(id -u)" = 0 ] || { echo "$0: needs root (network namespace, FUSE, drop_caches)" >&2; exit 1; }

dir=${GDFS_BENCH_DIR:-/var/tmp/gdfs-bench-moosefs}
NS=gdfsmfs NET=10.98.0
MASTER=$NET.1
lock=/run/gdfs-bench-moosefs.lock

# One run at a time: the namespace and the dir are fixed. The daemons
# are started without fd 9, so that leftovers of a killed run do not hold
# the lock.
exec 9>"$lock"
flock -n 9 || { echo "$0: another run holds $lock" >&2; exit 1; }

# ---- what it needs ---------------------------------------------------------

. "$src/bench/build.sh"
against='' against_build=''
. "$src/bench/builds.sh"

missing=()
for p in moosefs-master moosefs-chunkserver moosefs-client moosefs-cli; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "vs-moosefs: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi
[ -c /dev/fuse ] || { echo "$0: no /dev/fuse: MooseFS's mount needs FUSE" >&2; exit 1; }
id mfs >/dev/null 2>&1 || { echo "$0: no user mfs (the moosefs packages make it)" >&2; exit 1; }

# ---- cleanup ---------------------------------------------------------------

mnt=$dir/mnt
gpids=() mpids=() mount_pid='' spid=''
mfs_stop() {
    local p
    if mountpoint -q "$mnt" 2>/dev/null; then
        fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
    fi
    if [ -n "$mount_pid" ]; then
        kill "$mount_pid" 2>/dev/null || true
        wait "$mount_pid" 2>/dev/null || true
        mount_pid=
    fi
    for p in "${mpids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for p in "${mpids[@]}"; do wait "$p" 2>/dev/null || true; done
    mpids=()
}
gdfs_stop() {
    local p
    for p in "${gpids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for p in "${gpids[@]}"; do wait "$p" 2>/dev/null || true; done
    gpids=()
    npids[this]=
}
# What a killed run left: its processes are the ones inside its
# namespace (each started by a run of this script), its mount the one
# on $mnt.
leftovers() {
    local p
    if mountpoint -q "$mnt" 2>/dev/null; then
        fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
    fi
    if ip netns list | awk '{print $1}' | grep -qx "$NS"; then
        for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
        ip netns del "$NS" 2>/dev/null || true
    fi
    ip route del unreachable "$NET.0/24" 2>/dev/null || true
}
cleanup() {
    set +e
    if [ -n "$spid" ]; then kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; fi
    mfs_stop
    gdfs_stop
    leftovers
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

leftovers
rm -rf "$dir" && mkdir -p "$dir" "$mnt"

# ---- gdfs: 3 nodes on loopback ---------------------------------------------

gdir=$dir/gdfs
base=$((20000 + RANDOM % 12000))
cli() { gcli this -n "127.0.0.1:$((base + 1))" -P "${bdir[this]}/plugins/tcp/.libs" "$@"; }
gdfs_start() {
    local i
    rm -rf "$gdir" && mkdir -p "$gdir"
    for i in 1 2 3; do
        cat >"$gdir/n$i.ini" <<INI
[node]
id = n$i
listen = 127.0.0.1:$((base + i))
data_dir = $gdir/n$i
log_level = warn
[transport]
plugin_dir = ${bdir[this]}/plugins/tcp/.libs
INI
    done
    node_start this "$gdir/n1.ini" "$gdir/log" init 9>&-
    gpids+=($!)
    for _ in $(seq 200); do
        cli --json status 2>/dev/null | grep -q '"leader": "n1"' && break
        sleep 0.05
    done
    for i in 2 3; do
        node_start this "$gdir/n$i.ini" "$gdir/log" join "$gdir/n1.ini" 9>&-
        gpids+=($!)
    done
    for _ in $(seq 200); do
        [ "$(cli --json status 2>/dev/null | python3 -c 'import json,sys
try: print(sum(m["state"] == "alive" for m in json.load(sys.stdin)["members"]))
except Exception: print(0)')" = 3 ] && return
        sleep 0.05
    done
    echo "gdfs: the group of 3 did not form" >&2
    tail -n 20 "$gdir/log" >&2
    exit 1
}

# ---- MooseFS: master, 3 chunkservers, mfsmount in namespace $NS ------------

mdir=$dir/moosefs
# ns CMD...: CMD in the namespace (only its network). Started with & as
# "${nsx[@]}" CMD &, so that $! is CMD's pid (nsenter execs it).
nsx=(nsenter --net="/run/netns/$NS")
ns() { "${nsx[@]}" "$@"; }
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add eth0 type veth peer name eth1
ip -n "$NS" addr add "$MASTER/24" dev eth0
ip -n "$NS" link set eth0 up
ip -n "$NS" link set eth1 up
ip route replace unreachable "$NET.0/24" metric 4242

# mfsfail WHAT: say what failed, with the ends of the MooseFS logs.
mfsfail() {
    local l
    echo "MooseFS: $1" >&2
    for l in "$mdir"/*.log; do
        echo "--- $l" >&2
        tail -n 8 "$l" >&2
    done
    exit 1
}
mfs_start() {
    local i n p
    rm -rf "$mdir" && mkdir -p "$mdir/master"
    cp /var/lib/mfs/metadata.mfs.empty "$mdir/master/metadata.mfs"
    echo "$NET.0/24 / rw,alldirs,admin,maproot=0:0" >"$mdir/exports.cfg"
    : >"$mdir/topology.cfg"
    cat >"$mdir/master.cfg" <<CFG
DATA_PATH = $mdir/master
EXPORTS_FILENAME = $mdir/exports.cfg
TOPOLOGY_FILENAME = $mdir/topology.cfg
NICE_LEVEL = 0
MATOML_LISTEN_HOST = $MASTER
MATOCS_LISTEN_HOST = $MASTER
MATOCL_LISTEN_HOST = $MASTER
CFG
    for i in 1 2 3; do
        mkdir -p "$mdir/cs$i/hdd"
        echo "$mdir/cs$i/hdd" >"$mdir/cs$i.hdd"
        cat >"$mdir/cs$i.cfg" <<CFG
DATA_PATH = $mdir/cs$i
HDD_CONF_FILENAME = $mdir/cs$i.hdd
HDD_FSYNC_BEFORE_CLOSE = 1
NICE_LEVEL = 0
MASTER_HOST = $MASTER
MASTER_RECONNECTION_DELAY = 1
BIND_HOST = $MASTER
CSSERV_LISTEN_HOST = $MASTER
CSSERV_LISTEN_PORT = $((9430 + i))
CFG
    done
    chown -R mfs:mfs "$mdir/master" "$mdir/cs1" "$mdir/cs2" "$mdir/cs3"
    "${nsx[@]}" mfsmaster -f -c "$mdir/master.cfg" >"$mdir/master.log" 2>&1 9>&- &
    mpids+=($!)
    for _ in $(seq 100); do
        grep -q 'initialized properly' "$mdir/master.log" && break
        sleep 0.1
    done
    grep -q 'initialized properly' "$mdir/master.log" || mfsfail "the master did not start"
    # Its helper processes (the data writer), to be stopped by pid too.
    for p in $(pgrep -P "${mpids[0]}"); do mpids+=("$p"); done
    for i in 1 2 3; do
        "${nsx[@]}" mfschunkserver -f -c "$mdir/cs$i.cfg" >"$mdir/cs$i.log" 2>&1 9>&- &
        mpids+=($!)
    done
    # All 3 connected, each with its space known (column 11: total bytes).
    for _ in $(seq 300); do
        n=$(ns mfscli -H "$MASTER" -SCS -s '|' 2>/dev/null |
            awk -F'|' '/^chunk servers:/ && $11 > 0 {n++} END {print n + 0}')
        [ "$n" = 3 ] && break
        sleep 0.2
    done
    [ "$n" = 3 ] || mfsfail "$n of 3 chunkservers connected"
    "${nsx[@]}" mfsmount -f -H "$MASTER" -o mfsnice=0,mfsfsyncmintime=0 "$mnt" >"$mdir/mount.log" 2>&1 9>&- &
    mount_pid=$!
    for _ in $(seq 100); do
        mountpoint -q "$mnt" && break
        kill -0 "$mount_pid" 2>/dev/null || break
        sleep 0.1
    done
    mountpoint -q "$mnt" || mfsfail "mfsmount did not mount $mnt (FUSE)"
    ns mfssetgoal -r 3 "$mnt" >/dev/null || mfsfail "mfssetgoal -r 3"
    ns mfssettrashtime -r 0 "$mnt" >/dev/null || mfsfail "mfssettrashtime -r 0"
}

# ---- data, helpers ---------------------------------------------------------

head -c $((size << 20)) /dev/urandom >"$dir/file"
mkdir -p "$dir/small"
python3 -c 'import os, sys
for i in range(1000):
    d = os.path.join(sys.argv[1], "d%02d" % (i % 20))
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "f%04d" % i), "wb").write(os.urandom(4096))' "$dir/small"
# pcopy.py SRC DST N: every file under SRC to the same path under DST
# (directories made first), N threads, each file written, fsynced and
# closed before the thread takes the next.
cat >"$dir/pcopy.py" <<'PY'
import os, sys, threading
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
jobs = []
for root, _, files in os.walk(src):
    rel = os.path.relpath(root, src)
    os.makedirs(os.path.join(dst, rel), exist_ok=True)
    jobs += [os.path.join(rel, f) for f in files]
jobs.reverse()
lock = threading.Lock()
failed = []
def work():
    while True:
        with lock:
            if not jobs:
                return
            j = jobs.pop()
        try:
            with open(os.path.join(src, j), "rb") as f:
                data = f.read()
            fd = os.open(os.path.join(dst, j), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            with lock:
                failed.append("%s: %s" % (j, e))
ts = [threading.Thread(target=work) for _ in range(n)]
for t in ts:
    t.start()
for t in ts:
    t.join()
for f in failed:
    print("pcopy:", f, file=sys.stderr)
sys.exit(1 if failed else 0)
PY
pcopy() { python3 "$dir/pcopy.py" "$@"; }
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b - a) / 1e9}'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
floor_dirs() { rm -rf "$dir/c1" "$dir/c2" "$dir/c3" "$dir/back"; mkdir -p "$dir/c1" "$dir/c2" "$dir/c3"; }
gfail() { fail this "$1" "$dir/err" "$gdir/log"; }

# ---- the runs --------------------------------------------------------------

gdfs_start
mfs_start
gver=$(git -C "$src" describe --always --dirty 2>/dev/null || echo "?")
mver=$(mfsmaster -v 2>&1 | awk '{print $2; exit}')

# Figures: name -> "v1 v2 ..." per system (g, m) and for the floor (f).
declare -A F
add() { F[$1]+=" $2"; }
# acked KEY: the put started at $t0 was acknowledged at $t1: its time
# into KEY, and with a sync after it (every copy on disk) into KEY_sync.
acked() {
    sync
    add "$1" "$(secs "$t0" "$t1")"
    add "$1_sync" "$(secs "$t0" "$(now)")"
}
order="g m"
TIMEFORMAT='%3U %3S'
for r in $(seq "$runs"); do
    echo "run $r of $runs (first: $([ "${order%% *}" = g ] && echo gdfs || echo MooseFS))" >&2

    # 100 MiB put.
    floor_dirs
    sync
    t0=$(now)
    for c in c1 c2 c3; do cp "$dir/file" "$dir/$c/file"; done
    sync
    add f.put "$(secs "$t0" "$(now)")"
    for s in $order; do
        sync
        t0=$(now)
        if [ "$s" = g ]; then
            cli put "$dir/file" "big$r" >/dev/null 2>"$dir/err" || gfail "put big$r"
        else
            dd if="$dir/file" of="$mnt/big$r" bs=1M conv=fsync status=none 2>"$dir/err" ||
                mfsfail "dd into the mount: $(cat "$dir/err")"
        fi
        t1=$(now)
        acked "$s.put"
    done

    # 100 MiB get, caches dropped.
    drop_caches
    t0=$(now)
    dd if="$dir/file" of=/dev/null bs=1M status=none
    add f.get "$(secs "$t0" "$(now)")"
    for s in $order; do
        drop_caches
        t0=$(now)
        if [ "$s" = g ]; then
            cli get "big$r" - >/dev/null 2>"$dir/err" || gfail "get big$r"
        else
            dd if="$mnt/big$r" of=/dev/null bs=1M status=none 2>"$dir/err" ||
                mfsfail "dd out of the mount: $(cat "$dir/err")"
        fi
        add "$s.get" "$(secs "$t0" "$(now)")"
    done
    if [ "$r" = 1 ]; then # the bytes, once, untimed
        cli get big1 - | cmp -s - "$dir/file" || { echo "gdfs: get big1 differs" >&2; exit 1; }
        cmp -s "$mnt/big1" "$dir/file" || { echo "MooseFS: big1 differs" >&2; exit 1; }
    fi

    # 1000 x 4 KiB put, 8 in flight (and the CPU it takes), then 1.
    floor_dirs
    sync
    t0=$(now)
    for c in c1 c2 c3; do cp -r "$dir/small" "$dir/$c"; done
    sync
    add f.sput "$(secs "$t0" "$(now)")"
    for s in $order; do
        sync
        if [ "$s" = g ]; then
            c0=$(cpu_s "${gpids[@]}")
            t0=$(now)
            { time cli put -r -p 8 "$dir/small" "small$r/" >/dev/null 2>"$dir/err"; } 2>"$dir/cpu" ||
                gfail "put -r -p 8"
            t1=$(now)
            add g.scpus "$(awk -v a="$c0" -v b="$(cpu_s "${gpids[@]}")" 'BEGIN {printf "%.2f", b - a}')"
            add g.scpuc "$(awk '{printf "%.2f", $1 + $2}' "$dir/cpu")"
        else
            c0=$(cpu_s "${mpids[@]}") m0=$(cpu_s "$mount_pid")
            t0=$(now)
            { time pcopy "$dir/small" "$mnt/small$r" 8 2>"$dir/err"; } 2>"$dir/cpu" ||
                mfsfail "copy into the mount: $(cat "$dir/err")"
            t1=$(now)
            add m.scpus "$(awk -v a="$c0" -v b="$(cpu_s "${mpids[@]}")" 'BEGIN {printf "%.2f", b - a}')"
            add m.scpuc "$(awk -v a="$m0" -v b="$(cpu_s "$mount_pid")" '{printf "%.2f", $1 + $2 + b - a}' "$dir/cpu")"
        fi
        acked "$s.sput"
    done
    for s in $order; do
        sync
        t0=$(now)
        if [ "$s" = g ]; then
            cli put -r -p 1 "$dir/small" "one$r/" >/dev/null 2>"$dir/err" || gfail "put -r -p 1"
        else
            pcopy "$dir/small" "$mnt/one$r" 1 2>"$dir/err" ||
                mfsfail "copy into the mount: $(cat "$dir/err")"
        fi
        t1=$(now)
        acked "$s.sput1"
    done

    # 1000 x 4 KiB get into a fresh directory.
    floor_dirs
    sync
    t0=$(now)
    cp -r "$dir/small" "$dir/back"
    sync
    add f.sget "$(secs "$t0" "$(now)")"
    for s in $order; do
        rm -rf "$dir/back"
        sync
        t0=$(now)
        if [ "$s" = g ]; then
            cli get -r -p 8 "small$r/" "$dir/back" >/dev/null 2>"$dir/err" || gfail "get -r -p 8"
        else
            pcopy "$mnt/small$r" "$dir/back" 8 2>"$dir/err" ||
                mfsfail "copy out of the mount: $(cat "$dir/err")"
        fi
        add "$s.sget" "$(secs "$t0" "$(now)")"
        diff -r "$dir/small" "$dir/back" >/dev/null ||
            { echo "$s: the 1000 files got back differ" >&2; exit 1; }
    done
    order=$(echo "$order" | tr ' ' '\n' | tac | xargs)
done

# ---- peak RSS during a --big-mib put, fresh processes ----------------------

echo "peak RSS: fresh groups, $big MiB put into each" >&2
gdfs_stop
mfs_stop
rm -f "$dir/file"
head -c $((big << 20)) /dev/urandom >"$dir/bigfile"
gdfs_start
mfs_start

# rss_sample OUT STOP PID...: every 0.1 s the RssAnon of each PID; once
# the file STOP exists, each PID's largest (KiB) into OUT, "PID KiB".
rss_sample() {
    local out=$1 stop=$2 p k v
    shift 2
    local -A max=()
    for p; do max[$p]=0; done
    while [ ! -e "$stop" ]; do
        for p; do
            { while read -r k v _; do
                [ "$k" = RssAnon: ] && [ "$v" -gt "${max[$p]}" ] && max[$p]=$v
            done <"/proc/$p/status"; } 2>/dev/null || true
        done
        sleep 0.1
    done
    for p; do echo "$p ${max[$p]}"; done >"$out"
}
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; } # KiB
maxcol() { awk 'BEGIN {m = 0} $NF > m {m = $NF} END {printf "%.0f", m / 1024}'; } # KiB lines -> MiB
cli status >/dev/null 2>&1 || true # the client credential, before timing
declare -A R
for s in g m; do
    rm -f "$dir/stop"
    sync
    if [ "$s" = g ]; then
        pids=("${gpids[@]}")
    else
        pids=("${mpids[0]}" "${mpids[@]: -3}") # the master and the 3 chunkservers
    fi
    rss_sample "$dir/rss.$s" "$dir/stop" "${pids[@]}" &
    spid=$!
    t0=$(now)
    if [ "$s" = g ]; then
        /usr/bin/time -f %M -o "$dir/cli.rss" bash -c "$(declare -p bdir bauth bfirst); $(declare -f gcli)
            gcli this -n 127.0.0.1:$((base + 1)) -P '${bdir[this]}/plugins/tcp/.libs' put '$dir/bigfile' huge" \
            >/dev/null 2>"$dir/err" || gfail "put of $big MiB"
    else
        dd if="$dir/bigfile" of="$mnt/huge" bs=1M conv=fsync status=none 2>"$dir/err" ||
            mfsfail "dd of $big MiB into the mount: $(cat "$dir/err")"
    fi
    R[$s.time]=$(secs "$t0" "$(now)")
    touch "$dir/stop"
    wait "$spid"
    spid=
    R[$s.anon]=$(maxcol <"$dir/rss.$s")
    R[$s.hwm]=$(for p in "${pids[@]}"; do hwm "$p"; done | maxcol)
    R[$s.each]=$(for p in "${pids[@]}"; do hwm "$p"; done | awk '{printf "%s%.0f", (NR > 1 ? " " : ""), $1 / 1024}')
done
R[g.cli]=$(tail -n 1 "$dir/cli.rss" | maxcol)
R[m.cli]=$(hwm "$mount_pid" | maxcol)

# ---- the table -------------------------------------------------------------

ratio() { awk -v g="$1" -v m="$2" 'BEGIN {if (m > 0) printf "%.2f", g / m; else print "-"}'; }
line() { printf '%-52s | %8s | %8s | %8s | %7s\n' "$@"; }
row() { # row LABEL KEY [FLOOR_KEY | -]
    local f=- m g fk=${3:-$2}
    [ "$fk" = - ] || f=$(echo "${F[f.$fk]}" | median)
    m=$(echo "${F[m.$2]}" | median)
    g=$(echo "${F[g.$2]}" | median)
    line "$1" "$f" "$m" "$g" "$(ratio "$g" "$m")"
}
echo "gdfs $gver (3 nodes on loopback, W = 2 of 3) vs MooseFS $mver (master + 3 chunkservers, goal 3,"
echo "HDD_FSYNC_BEFORE_CLOSE = 1, one mfsmount, namespace $NS); median of $runs runs, alternating;"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), dir $dir"
line "figure" "floor" "MooseFS" "gdfs" "gdfs/MFS"
row "$size MiB put, until acknowledged (s)" put
row "$size MiB put + sync: all 3 copies on disk (s)" put_sync put
row "$size MiB get, caches dropped, to /dev/null (s)" get
row "1000 x 4 KiB put, 8 in flight, acknowledged (s)" sput
row "1000 x 4 KiB put, 8 in flight, + sync (s)" sput_sync sput
row "1000 x 4 KiB get, 8 in flight, fsync each (s)" sget
row "1000 x 4 KiB put, 1 at a time, acknowledged (s)" sput1 sput
row "1000 x 4 KiB put, 1 at a time, + sync (s)" sput1_sync sput
row "  CPU in the 8-in-flight put: servers (s)" scpus -
row "  CPU in the 8-in-flight put: client (s)" scpuc -
line "peak RSS, $big MiB put: max VmHWM of servers (MiB)" - "${R[m.hwm]}" "${R[g.hwm]}" "$(ratio "${R[g.hwm]}" "${R[m.hwm]}")"
line "peak RSS, $big MiB put: max RssAnon, 0.1 s (MiB)" - "${R[m.anon]}" "${R[g.anon]}" "$(ratio "${R[g.anon]}" "${R[m.anon]}")"
line "peak RSS, $big MiB put: client (MiB)" - "${R[m.cli]}" "${R[g.cli]}" "$(ratio "${R[g.cli]}" "${R[m.cli]}")"
echo "VmHWM each (MiB): MooseFS master, 3 chunkservers: ${R[m.each]}; gdfs 3 nodes: ${R[g.each]}"
echo "$big MiB put itself (s, one run): MooseFS ${R[m.time]}, gdfs ${R[g.time]}"
echo "client: gdfs-cli (/usr/bin/time %M) / mfsmount (VmHWM); CPU client: gdfs-cli / python3 copier + mfsmount"
for k in put put_sync get sput sput_sync sget sput1 sput1_sync scpus scpuc; do
    echo "runs $k: floor${F[f.$k]:- -}; MooseFS${F[m.$k]}; gdfs${F[g.$k]}"
done
