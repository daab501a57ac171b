#!/bin/bash
# gdfs over the ssh transport: put and get of a 100 MiB file on a 3-node
# group whose nodes talk only through a private sshd, beside scp of the
# same file through the same sshd to 3 destinations (one after another,
# and all 3 at once), and the same put/get over plain tcp, all measured
# in the same run (median of --runs).
#
# A put goes from gdfs-cli to one node (the gateway), which streams it to
# the file's 3 replicas, each stream through its own pooled SSH session
# (plugins/ssh/pool.c). The 3-destination scp figures show what 3 SSH
# streams cost on this machine: the parallel one is the floor a
# replicated put is compared with.
#
#   bench/ssh.sh [--size-mib N] [--runs N] [--ciphers LIST]
#                [--against REV | --against-build DIR]
# --against REV (a git revision, built once: bench/builds.sh) or
# --against-build DIR (a built tree) runs a second group of that build
# through the same sshd; each run measures both, in turn (this, ref; then
# ref, this), and every gdfs figure is printed for both with this/ref,
# and the CPU time (user + system) of the nodes and of gdfs-cli in the
# put over ssh (sshd's is shared by both builds and not counted).
# Environment: GDFS_BENCH_DIR (default /var/tmp/gdfs-bench-ssh: on disk,
# not tmpfs), GDFS_BUILD (a configured build dir; default _build/bench).
# Needs root (sshd's privilege separation directory /run/sshd).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
size=100 runs=3 ciphers="" against= against_build=
while [ $# -gt 0 ]; do
    case $1 in
    --size-mib) size=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --ciphers) ciphers=$2; shift 2 ;;
    --against) against=$2; shift 2 ;;
    --against-build) against_build=$2; shift 2 ;;
    *) echo "usage: $0 [--size-mib N] [--runs N] [--ciphers LIST] [--against REV | --against-build DIR]" >&2
       exit 2 ;;
    esac
done
dir=${GDFS_BENCH_DIR:-/var/tmp/gdfs-bench-ssh}
. "$src/bench/build.sh"
. "$src/bench/builds.sh"
command -v bc >/dev/null || { apt-get install -y -qq bc >/dev/null; }
for s in $slots; do
    [ -e "${bdir[$s]}/plugins/ssh/.libs/ssh.so" ] ||
        { echo "no ssh.so in ${bdir[$s]} (configured --disable-ssh?)" >&2; exit 1; }
done
mkdir -p /run/sshd

rm -rf "$dir" && mkdir -p "$dir/sshd" && chmod 700 "$dir/sshd"
pids=()
cleanup() {
    local p
    # sshd's session processes end with their clients' connections.
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT

# port: REPLY = a port in 20000..32699 nothing listens on (below the
# ephemeral range), not given before (so not called in a subshell).
taken=" "
port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12700))
        case $taken in *" $p "*) continue ;; esac
        ss -Htan "( sport = :$p )" | grep -q . && continue
        taken="$taken$p "
        REPLY=$p
        return
    done
}

# ---- a private sshd -----------------------------------------------------------
sdir=$dir/sshd
port
sport=$REPLY
ssh-keygen -q -t ed25519 -N '' -f "$sdir/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$sdir/user_key"
cp "$sdir/user_key.pub" "$sdir/authorized_keys"
echo "[127.0.0.1]:$sport $(cut -d' ' -f1,2 "$sdir/host_key.pub")" >"$sdir/known_hosts"
cat >"$sdir/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $sport
HostKey $sdir/host_key
PidFile $sdir/sshd.pid
AuthorizedKeysFile $sdir/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
Subsystem sftp internal-sftp
MaxStartups 100
LogLevel ERROR
EOF
/usr/sbin/sshd -D -f "$sdir/sshd_config" -E "$sdir/log" &
pids+=($!)
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$sport") 2>/dev/null && break
    sleep 0.05
done
user=$(id -un)
sshopts=(-F /dev/null -i "$sdir/user_key" -o "UserKnownHostsFile=$sdir/known_hosts"
    -o StrictHostKeyChecking=yes -o BatchMode=yes)

# ---- 3 nodes over ssh, a group per build, in $dir/SLOT/nI ------------------------
declare -A nport
for s in $slots; do
    for i in 1 2 3; do
        port
        nport[$s,$i]=$REPLY
        mkdir -p "$dir/$s/n$i"
        cat >"$dir/$s/n$i/node.ini" <<EOF
[node]
id = n$i
listen = 127.0.0.1:$REPLY
data_dir = $dir/$s/n$i/data
log_level = debug
[transport]
plugin = ssh
plugin_dir = ${bdir[$s]}/plugins/ssh/.libs
[ssh]
user = $user
identity = $sdir/user_key
known_hosts = $sdir/known_hosts
port = $sport
${ciphers:+ciphers = $ciphers}
EOF
    done
done
# tcli SLOT I ARGS, scli SLOT I ARGS: the CLI of SLOT's build asking node I
# over tcp, or over ssh as the node's INI says.
tcli() { gcli "$1" -n "127.0.0.1:${nport[$1,$2]}" -P "${bdir[$1]}/plugins/tcp/.libs" "${@:3}"; }
scli() { gcli "$1" -c "$dir/$1/n$2/node.ini" "${@:3}"; }
start() { # start SLOT I [init | join]
    local s=$1 i=$2
    shift 2
    [ "${1:-}" = join ] && set -- join "$dir/$s/n1/node.ini"
    node_start "$s" "$dir/$s/n$i/node.ini" "$dir/$s/n$i/log" "$@"
    pids+=($!)
    for _ in $(seq 100); do answers tcli "$s" "$i" status && return; sleep 0.05; done
    echo "${bname[$s]}: node n$i did not start" >&2; cat "$dir/$s/n$i/log" >&2; exit 1
}
for s in $slots; do
    start "$s" 1 init
    start "$s" 2 join
    start "$s" 3 join
    for _ in $(seq 100); do
        [ "$(tcli "$s" 1 --json status | python3 -c 'import json,sys; print(sum(m["state"] == "alive" for m in json.load(sys.stdin)["members"]))')" = 3 ] && break
        sleep 0.1
    done
done

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate() { echo "scale=1; $1 / $2" | bc -l; }

head -c $((size * 1048576)) /dev/urandom >"$dir/in.bin"
echo "gdfs ssh bench: $size MiB file, $runs runs (median), dir $dir"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(ssh -V 2>&1), libssh2 $(dpkg-query -W -f='${Version}' libssh2-1 2>/dev/null)"

load0=$(cut -d' ' -f1-3 /proc/loadavg)
# Per slot, each a list of seconds: sput[S] "0.61 0.58 ...".
declare -A sput sget tput tget sstat cpun cpuc
TIMEFORMAT='%3U %3S'
scp1=() scp3=() scpp=()
order=$slots
for r in $(seq "$runs"); do
    for s in $order; do
        t0=$(now); answers scli "$s" 1 status || fail "$s" "status over ssh" "$dir/$s"/n?/log; t1=$(now)
        sstat[$s]+=" $(secs "$t0" "$t1")"
        sync; c0=$(cpu_s ${npids[$s]})
        t0=$(now); { time scli "$s" 1 put "$dir/in.bin" "ssh-$r" >/dev/null 2>&3; } 3>&2 2>"$dir/cpu" ||
            fail "$s" "put over ssh" "$dir/$s"/n?/log
        t1=$(now)
        sput[$s]+=" $(secs "$t0" "$t1")"
        cpun[$s]+=" $(awk -v a="$c0" -v b="$(cpu_s ${npids[$s]})" 'BEGIN {printf "%.2f", b - a}')"
        cpuc[$s]+=" $(awk '{printf "%.3f", $1 + $2}' "$dir/cpu")"
        t0=$(now); scli "$s" 1 get "ssh-$r" - >"$dir/out.bin" || fail "$s" "get over ssh" "$dir/$s"/n?/log; t1=$(now)
        sget[$s]+=" $(secs "$t0" "$t1")"
        cmp -s "$dir/in.bin" "$dir/out.bin" || { echo "${bname[$s]}: get over ssh returned other bytes" >&2; exit 1; }
        sync; t0=$(now); tcli "$s" 1 put "$dir/in.bin" "tcp-$r" >/dev/null || fail "$s" "put over tcp" "$dir/$s"/n?/log; t1=$(now)
        tput[$s]+=" $(secs "$t0" "$t1")"
        t0=$(now); tcli "$s" 1 get "tcp-$r" - >"$dir/out.bin" || fail "$s" "get over tcp" "$dir/$s"/n?/log; t1=$(now)
        tget[$s]+=" $(secs "$t0" "$t1")"
        rm -f "$dir/out.bin"
    done
    # Each build in turn goes first.
    order=$(echo "$order" | tr ' ' '\n' | tac | xargs)
    sync; t0=$(now); scp -q "${sshopts[@]}" -P "$sport" "$dir/in.bin" "$user@127.0.0.1:$dir/scp-a"; t1=$(now)
    scp1+=("$(secs "$t0" "$t1")")
    sync; t0=$(now)
    for d in a b c; do scp -q "${sshopts[@]}" -P "$sport" "$dir/in.bin" "$user@127.0.0.1:$dir/scp-$d"; done
    t1=$(now)
    scp3+=("$(secs "$t0" "$t1")")
    sync; t0=$(now)
    sp=()
    for d in a b c; do
        scp -q "${sshopts[@]}" -P "$sport" "$dir/in.bin" "$user@127.0.0.1:$dir/scp-$d" &
        sp+=($!)
    done
    wait "${sp[@]}"
    t1=$(now)
    scpp+=("$(secs "$t0" "$t1")")
    rm -f "$dir"/scp-*
done
scp_cipher=$(ssh "${sshopts[@]}" -p "$sport" -v "$user@127.0.0.1" true 2>&1 | sed -n 's/.*kex: client->server cipher: \([^ ]*\) MAC: \([^ ]*\).*/\1 \2/p' | head -1)
gdfs_cipher=$(grep -m1 -o 'cipher [^,]*, mac [^)]*' "$dir/this/n2/log" || echo "?")
row() { # row LABEL SECONDS [NOTE]
    printf '%-46s %7.3f s  %7s MiB/s  %s\n' "$1" "$2" "$(rate "$size" "$2")" "${3:-}"
}
# grow LABEL FIGURE [NOTE [-]]: a gdfs figure, its median for each build
# (with MiB/s, unless -), this/ref, NOTE.
grow() {
    local -n fig=$2
    local s m this=
    printf '%-46s' "$1"
    for s in $slots; do
        m=$(echo "${fig[$s]}" | median)
        if [ "${4:-}" = - ]; then
            printf ' %7.3f s' "$m"
            [ -n "${bdir[ref]:-}" ] && printf '%14s' ""
        else
            printf ' %7.3f s  %7s MiB/s' "$m" "$(rate "$size" "$m")"
        fi
        [ -n "$this" ] && awk -v a="$this" -v b="$m" 'BEGIN {printf "  %8.2f", a / b}'
        this=$m
    done
    printf '  %s\n' "${3:-}"
}
if [ -n "${bdir[ref]:-}" ]; then
    echo "this build: ${bdir[this]}; ref ${bname[ref]}: ${bdir[ref]}; each run measures both, in turn"
    printf '%-46s %24s %24s  %8s\n' "" "this build" "ref ${bname[ref]}" "this/ref"
fi
grow "gdfs-cli status over ssh" sstat "(TCP connect, SSH handshake, auth, channel: in every CLI run below)" -
grow "gdfs put over ssh (CLI -> leader)" sput "goal <= 0.8 s; $gdfs_cipher"
grow "gdfs get over ssh (leader -> CLI)" sget
grow "gdfs put over tcp (same group, reference)" tput
grow "gdfs get over tcp (same group, reference)" tget
if [ -n "${bdir[ref]:-}" ]; then
    grow "gdfs put over ssh: CPU of the 3 nodes" cpun "user + sys" -
    grow "gdfs put over ssh: CPU of gdfs-cli" cpuc "user + sys" -
    echo "this/ref by run: status $(by_run "${sstat[this]}" "${sstat[ref]}"); put over ssh $(by_run "${sput[this]}" "${sput[ref]}");" \
        "get over ssh $(by_run "${sget[this]}" "${sget[ref]}"); put over tcp $(by_run "${tput[this]}" "${tput[ref]}");" \
        "get over tcp $(by_run "${tget[this]}" "${tget[ref]}")"
fi
row "scp to 1 destination" "$(printf '%s\n' "${scp1[@]}" | median)" "cipher/mac $scp_cipher"
row "scp to 3 destinations, one after another" "$(printf '%s\n' "${scp3[@]}" | median)" "(3 x $size MiB)"
row "scp to 3 destinations, in parallel" "$(printf '%s\n' "${scpp[@]}" | median)" "(3 x $size MiB)"
echo "(MiB/s counts the file once; for the 3-destination rows 3x that is moved)"
echo "load average before the runs: $load0; after: $(cut -d' ' -f1-3 /proc/loadavg)"
