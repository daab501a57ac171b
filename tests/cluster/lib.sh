# tests/cluster/lib.sh: shared helpers for the multi-process test scripts.
#
# Sourced by every tests/cluster/NN-<topic>.sh:  . "$(dirname "$0")/lib.sh"
#
# Needs GDFS_BUILDDIR (gdfs-node, gdfs-cli), GDFS_SRCDIR and GDFS_PLUGIN_DIR
# (set by "make check"; by hand: GDFS_BUILDDIR=/tmp/b GDFS_SRCDIR=$PWD
# GDFS_PLUGIN_DIR=/tmp/b/plugins/tcp/.libs bash tests/cluster/01-put-get.sh).
#
# What it gives a script:
#   TAP      ok DESC CMD...          step passes if CMD exits 0
#            exits CODE DESC CMD...  step passes if CMD exits with CODE
#                                    (after ok/exits, CMD's stdout/stderr
#                                    are in $OUT / $ERR)
#            result RC DESC [NOTE]   step passes if RC is 0 (NOTE: a comment)
#            skip DESC REASON, diag MSG..., done_testing (prints the plan)
#            TODO="reason" before a step marks it "# TODO reason"
#   nodes    make_node_ini I [section.key=value | raw line]...
#            start_node I [init], kill_node I [SIG], stop_node I,
#            launch_cluster N [ini args], node_pid I, addr_of I,
#            start_nodes I...
#            cli I ARGS...           gdfs-cli -n <addr of node I> ARGS...
#            answers I [ARGS]        node I answers status (whatever health)
#            status_rc I             status's exit status through node I
#            (start_node I join ADDR gets a join token by itself when
#            nI has no group key; every gdfs-cli proves the admin
#            credential in $GDFS_KEY_FILE)
#   group    view I, agree NODES..., alive_count I, state_of I J,
#            leader_num I, agreed_leader NODES..., leader_alive_count I
#   waiting  expect_within SECS EXPECTED CMD...   (glusterfs EXPECT_WITHIN:
#            poll CMD every 0.1 s until its output matches ^EXPECTED$)
#   misc     free_port, track_pid PID, rand_file PATH BYTES, sha FILE
#   disk     tmpfs_data_dir I MIB (root: node I's data_dir on a small
#            tmpfs at $MNT), room_of I J EXPR, holds NAME I
#   $T       a private temporary directory: node I lives in $T/nI
#            (node.ini, data/, log)
#
# The whole script runs under "timeout" (GDFS_TEST_TIMEOUT seconds, 300 by
# default). On exit every process it started is SIGKILLed by pid; $T is
# removed unless a step failed, in which case it is kept and the tail of
# every node log is printed as TAP comments.

# ---- watchdog: re-run this script under timeout ------------------------------
if [ -z "${GDFS_TEST_WATCHDOG:-}" ]; then
    export GDFS_TEST_WATCHDOG=1
    exec timeout -k 10 "${GDFS_TEST_TIMEOUT:-300}" bash "$0" "$@"
fi

set -u

for v in GDFS_BUILDDIR GDFS_SRCDIR GDFS_PLUGIN_DIR; do
    if [ -z "${!v:-}" ]; then
        echo "Bail out! $v is not set (run under make check, or see lib.sh)"
        exit 99
    fi
done
NODE_BIN=$GDFS_BUILDDIR/gdfs-node
CLI_BIN=$GDFS_BUILDDIR/gdfs-cli
for f in "$NODE_BIN" "$CLI_BIN" "$GDFS_PLUGIN_DIR/tcp.so"; do
    if [ ! -e "$f" ]; then
        echo "Bail out! $f is missing"
        exit 99
    fi
done
export GDFS_PLUGIN_DIR
unset GDFS_NODE

T=$(mktemp -d "${TMPDIR:-/tmp}/gdfs-test.XXXXXX") || exit 99
# Every gdfs-cli of the test proves this admin credential, made from the
# first member's group key (ensure_admin_key).
export GDFS_KEY_FILE=$T/admin.key
OUT=$T/out
ERR=$T/err

TAP_N=0
TAP_FAILED=0
TODO=""
PIDS=()
declare -A NODE_PID=() NODE_PORT=() NODE_RC=() NODE_WRAPPER=()

# ---- TAP -----------------------------------------------------------------------

diag() {
    local line
    printf '%s\n' "$*" | while IFS= read -r line; do printf '# %s\n' "$line"; done
}

# result RC DESC [NOTE]: one TAP line for a step whose outcome is RC.
result() {
    local rc=$1 desc=$2 note=${3:-} dir=""
    TAP_N=$((TAP_N + 1))
    if [ -n "$TODO" ]; then
        dir=" # TODO $TODO"
    fi
    if [ "$rc" -eq 0 ]; then
        printf 'ok %d - %s%s%s\n' "$TAP_N" "$desc" "${note:+ ($note)}" "$dir"
    else
        printf 'not ok %d - %s%s%s\n' "$TAP_N" "$desc" "${note:+ ($note)}" "$dir"
        [ -n "$TODO" ] || TAP_FAILED=1
    fi
    return "$rc"
}

# Show the last command's output when a step failed.
show_output() {
    if [ -s "$OUT" ]; then
        diag "stdout:"
        head -c 2000 "$OUT" | head -n 15 | sed 's/^/#   /'
        echo
    fi
    if [ -s "$ERR" ]; then
        diag "stderr:"
        head -c 2000 "$ERR" | head -n 15 | sed 's/^/#   /'
        echo
    fi
}

# ok DESC CMD...: the step passes if CMD exits 0.
ok() {
    local desc=$1 rc
    shift
    "$@" >"$T/.step.out" 2>"$T/.step.err"
    rc=$?
    mv -f "$T/.step.out" "$OUT"
    mv -f "$T/.step.err" "$ERR"
    if [ "$rc" -ne 0 ]; then
        result 1 "$desc"
        diag "command: $* -> exit $rc"
        show_output
        return 1
    fi
    result 0 "$desc"
}

# exits CODE DESC CMD...: the step passes if CMD exits with CODE.
exits() {
    local want=$1 desc=$2 rc
    shift 2
    "$@" >"$T/.step.out" 2>"$T/.step.err"
    rc=$?
    mv -f "$T/.step.out" "$OUT"
    mv -f "$T/.step.err" "$ERR"
    if [ "$rc" -ne "$want" ]; then
        result 1 "$desc"
        diag "command: $* -> exit $rc, expected $want"
        show_output
        return 1
    fi
    result 0 "$desc"
}

skip() {
    TAP_N=$((TAP_N + 1))
    printf 'ok %d - %s # SKIP %s\n' "$TAP_N" "$1" "$2"
}

done_testing() {
    printf '1..%d\n' "$TAP_N"
    exit "$TAP_FAILED"
}

# ---- processes and clean-up ----------------------------------------------------

# track_pid PID: record a background child (at exit every background job
# still running is SIGKILLed, tracked or not).
track_pid() {
    PIDS+=("$1")
}

# alive PID: PID exists and is not a zombie.
alive() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    [ "${st%% *}" != Z ]
}

# freeze_tree PID: SIGSTOP PID, then (so that it cannot start new ones) its
# children, grandchildren...; print every pid stopped.
freeze_tree() {
    local p
    kill -STOP "$1" 2>/dev/null || return 0
    echo "$1"
    for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        freeze_tree "$p"
    done
}

# At exit, SIGKILL by pid every background job still running and everything
# under it (nodes run under a wrapper subshell; clients under loops): stop
# the whole tree first, then kill it. The jobs are disowned so that bash
# does not print "Killed" for them.
cleanup() {
    local rc=$? pid f all=() left
    trap - EXIT TERM INT
    for pid in $(jobs -rp) $(cat "$T/bg.pids" 2>/dev/null); do
        mapfile -t -O "${#all[@]}" all < <(freeze_tree "$pid")
    done
    disown -a
    if [ "${#all[@]}" -gt 0 ]; then
        kill -KILL "${all[@]}" 2>/dev/null
        for _ in $(seq 1 50); do
            left=0
            for pid in "${all[@]}"; do
                alive "$pid" && left=1 && break
            done
            [ $left -eq 0 ] && break
            sleep 0.1
        done
    fi
    if [ "$rc" -ne 0 ] || [ "$TAP_FAILED" -ne 0 ]; then
        for f in "$T"/n*/log; do
            [ -e "$f" ] || continue
            echo "# ---- last 30 lines of $f" >&2
            tail -n 30 "$f" | sed 's/^/# /' >&2
        done
        echo "# kept $T" >&2
    else
        rm -rf "$T"
    fi
    release_ports
}
trap cleanup EXIT
trap 'echo "# killed by signal"; TAP_FAILED=1; exit 1' TERM INT

# ---- waiting -----------------------------------------------------------------

# expect_within SECS EXPECTED CMD...: run CMD every 0.1 s until its stdout
# (trailing newlines removed) matches the extended regex ^(EXPECTED)$, or
# SECS seconds pass. Returns 0 on a match; the last output is in $EW_LAST.
EW_LAST=""
expect_within() {
    local secs=$1 want=$2 deadline
    shift 2
    deadline=$(($(date +%s%N) + secs * 1000000000))
    while :; do
        EW_LAST=$("$@" 2>/dev/null)
        if [[ $EW_LAST =~ ^($want)$ ]]; then
            return 0
        fi
        if [ "$(date +%s%N)" -ge "$deadline" ]; then
            return 1
        fi
        sleep 0.1
    done
}

# ---- ports and nodes ---------------------------------------------------------

# free_port: print a random TCP port in 20000..32699 (below Linux's
# ephemeral range, so no outgoing connection takes it between here and the
# node's bind) that nothing listens on or uses (ss), that refuses a
# connection, and that no test running now has claimed. A port stays
# claimed until this script exits: tests run side by side (make -j) and a
# node may bind its port seconds after the port was chosen (launch_cluster
# writes every node.ini first), so "nothing listens there now" is not
# enough. A claim is a directory $PORT_CLAIMS/PORT (mkdir is atomic)
# holding the owner's pid; a claim whose owner has died is taken over.
PORT_CLAIMS=${TMPDIR:-/tmp}/gdfs-test-ports
TEST_PID=$$
declare -A USED_PORTS=()
free_port() {
    local p _ owner
    mkdir -p "$PORT_CLAIMS" 2>/dev/null
    for _ in $(seq 1 200); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 12700))
        [ -z "${USED_PORTS[$p]:-}" ] || continue
        if ! mkdir "$PORT_CLAIMS/$p" 2>/dev/null; then
            owner=$(cat "$PORT_CLAIMS/$p/owner" 2>/dev/null)
            # Claimed by a live test (or being claimed right now): skip.
            if [ -z "$owner" ] || kill -0 "$owner" 2>/dev/null; then
                continue
            fi
            mv "$PORT_CLAIMS/$p" "$PORT_CLAIMS/.stale.$p.$TEST_PID.$RANDOM" 2>/dev/null &&
                rm -rf "$PORT_CLAIMS/.stale.$p.$TEST_PID."* &&
                mkdir "$PORT_CLAIMS/$p" 2>/dev/null || continue
        fi
        echo "$TEST_PID" >"$PORT_CLAIMS/$p/owner"
        if ss -Htan "( sport = :$p )" 2>/dev/null | grep -q . ||
            (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            rm -rf "$PORT_CLAIMS/$p"
            continue
        fi
        echo "$p"
        return 0
    done
    return 1
}

# release_ports: drop this script's port claims (at exit).
release_ports() {
    local d
    for d in "$PORT_CLAIMS"/[0-9]*; do
        [ "$(cat "$d/owner" 2>/dev/null)" = "$TEST_PID" ] && rm -rf "$d"
    done
    return 0
}

addr_of() {
    echo "127.0.0.1:${NODE_PORT[$1]}"
}

node_pid() {
    echo "${NODE_PID[$1]:-}"
}

# make_node_ini I [section.key=value | raw line]...: write $T/nI/node.ini.
# section.key=value sets (or replaces) a key in that section; a key set to
# the empty value ("node.id=") is left out. Any other argument is a raw
# line appended at the end of the file.
make_node_ini() {
    local i=$1 arg sec key val s
    shift
    local dir=$T/n$i
    mkdir -p "$dir"
    if [ -z "${NODE_PORT[$i]:-}" ]; then
        NODE_PORT[$i]=$(free_port) || return 1
        USED_PORTS[${NODE_PORT[$i]}]=1
    fi
    declare -A kv=(
        [node.id]=n$i
        [node.listen]=$(addr_of "$i")
        [node.data_dir]=$dir/data
        [node.log_level]=info
        [transport.plugin_dir]=$GDFS_PLUGIN_DIR
    )
    local order=(node.id node.listen node.data_dir node.log_level
        transport.plugin_dir)
    local raw=()
    for arg in "$@"; do
        if [[ $arg =~ ^([a-z_]+)\.([a-z_]+)=(.*)$ ]]; then
            if [ -z "${kv[${BASH_REMATCH[1]}.${BASH_REMATCH[2]}]+x}" ]; then
                order+=("${BASH_REMATCH[1]}.${BASH_REMATCH[2]}")
            fi
            kv[${BASH_REMATCH[1]}.${BASH_REMATCH[2]}]=${BASH_REMATCH[3]}
        else
            raw+=("$arg")
        fi
    done
    {
        echo "; written by tests/cluster/lib.sh"
        for s in node transport group files store; do
            echo "[$s]"
            for key in "${order[@]}"; do
                sec=${key%%.*}
                [ "$sec" = "$s" ] || continue
                val=${kv[$key]}
                [ -n "$val" ] || continue
                echo "${key#*.} = $val"
            done
        done
        for arg in "${raw[@]}"; do
            echo "$arg"
        done
    } >"$dir/node.ini"
}

# start_node I [init]: start gdfs-node in the background (log in $T/nI/log)
# and wait, at most 10 s, until it answers "status". Returns 1 if it exited
# (its status is then in NODE_RC[I]) or did not answer in time.
# The node runs under a small wrapper subshell that waits for it and writes
# its exit status to $T/nI/rc (so that a node killed by a signal does not
# make bash print "Killed" into the TAP stream).
start_node() {
    local i=$1 pid="" k
    shift
    # A join without a token gets a join token from a member's key, unless
    # the node holds the group key already (the node would not use it).
    if [ "${1:-}" = join ] && [[ " $* " != *" --token"* ]] &&
        [ ! -e "$T/n$i/data/group.key" ]; then
        k=$(member_with_key) || {
            diag "start_node n$i join: no member holds a group key yet"
            return 1
        }
        (umask 077 && "$NODE_BIN" -c "$T/n$k/node.ini" token --role node \
            >"$T/n$i/join.token") || return 1
        set -- join --token-file "$T/n$i/join.token" "${@:2}"
    fi
    rm -f "$T/n$i/pid" "$T/n$i/rc"
    (
        "$NODE_BIN" -c "$T/n$i/node.ini" "$@" >>"$T/n$i/log" 2>&1 &
        echo $! >"$T/n$i/pid"
        wait $!
        echo $? >"$T/n$i/rc.tmp"
        mv "$T/n$i/rc.tmp" "$T/n$i/rc"
    ) 2>/dev/null &
    NODE_WRAPPER[$i]=$!
    NODE_RC[$i]=""
    if expect_within 5 '[0-9]+' cat "$T/n$i/pid"; then
        pid=$EW_LAST
    fi
    NODE_PID[$i]=$pid
    local deadline=$(($(date +%s%N) + 10000000000))
    while :; do
        if [ -e "$T/n$i/rc" ]; then
            NODE_RC[$i]=$(cat "$T/n$i/rc")
            NODE_PID[$i]=""
            wait "${NODE_WRAPPER[$i]}"
            diag "node n$i exited with status ${NODE_RC[$i]} during start-up"
            return 1
        fi
        if answers "$i" -T 1000; then
            return 0
        fi
        if [ "$(date +%s%N)" -ge "$deadline" ]; then
            diag "node n$i did not answer status within 10 s"
            return 1
        fi
        sleep 0.1
    done
}

# answers I [ARGS]: node I answers status (any health: status exits 0
# healthy, 3 degraded, 1 no quorum or unreachable; a reply printed is an
# answer).
answers() {
    local i=$1 out
    shift
    out=$(GDFS_KEY_FILE=$(key_for "$i") "$CLI_BIN" -n "$(addr_of "$i")" \
        "$@" status 2>/dev/null)
    [ -n "$out" ]
}

# replies CMD...: CMD, a gdfs-cli status, got a reply: exit 0 (healthy) or
# 3 (degraded, e.g. the leader has not verified every member's copies yet
# after a start): the connection and credential worked.
replies() {
    local rc=0
    "$@" || rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]
}

# status_rc I: gdfs-cli status's exit status through node I (0 healthy,
# 3 degraded, 1 no quorum or unreachable).
status_rc() {
    cli "$1" status >/dev/null 2>&1
    echo $?
}

# member_with_key: the number of the first node whose data_dir holds the
# group key.
member_with_key() {
    local d
    for d in "$T"/n*/data/group.key; do
        [ -e "$d" ] || continue
        d=${d#"$T"/n}
        echo "${d%%/*}"
        return 0
    done
    return 1
}

# ensure_admin_key [I]: admin credentials made from the group keys the
# nodes hold: $T/nI/admin.key from node I's (remade if its key is newer),
# and once any member has one, $GDFS_KEY_FILE ($T/admin.key) for every
# gdfs-cli the test runs by hand.
ensure_admin_key() {
    local k i=${1:-}
    if [ -n "$i" ] && [ -e "$T/n$i/data/group.key" ] &&
        { [ ! -s "$T/n$i/admin.key" ] ||
            [ "$T/n$i/data/group.key" -nt "$T/n$i/admin.key" ]; }; then
        (umask 077 && "$NODE_BIN" -c "$T/n$i/node.ini" token --role admin \
            >"$T/n$i/admin.key.tmp" &&
            mv "$T/n$i/admin.key.tmp" "$T/n$i/admin.key")
    fi
    [ -s "$GDFS_KEY_FILE" ] && return 0
    k=$(member_with_key) || return 1
    (umask 077 && "$NODE_BIN" -c "$T/n$k/node.ini" token --role admin \
        >"$GDFS_KEY_FILE.tmp" && mv "$GDFS_KEY_FILE.tmp" "$GDFS_KEY_FILE")
}

# key_for I: the credential to talk to node I with: its own group's.
key_for() {
    ensure_admin_key "$1" >/dev/null 2>&1
    if [ -s "$T/n$1/admin.key" ]; then
        echo "$T/n$1/admin.key"
    else
        echo "$GDFS_KEY_FILE"
    fi
}

# kill_node I [SIG]: send SIG (default KILL) to node I and wait for it to
# exit (15 s at most, then SIGKILL). Its exit status goes to NODE_RC[I]
# (128 + signal number if a signal ended it).
kill_node() {
    local i=$1 sig=${2:-KILL} pid=${NODE_PID[$1]:-}
    [ -n "$pid" ] || return 1
    kill -"$sig" "$pid" 2>/dev/null
    if ! expect_within 15 rc cat_rc "$i"; then
        diag "node n$i still running 15 s after SIG$sig; killing it"
        kill -KILL "$pid" 2>/dev/null
        expect_within 5 rc cat_rc "$i"
    fi
    wait "${NODE_WRAPPER[$i]}"
    NODE_RC[$i]=$(cat "$T/n$i/rc" 2>/dev/null)
    NODE_PID[$i]=""
    return 0
}

# stop_node I: SIGTERM node I and wait for it (exit status in NODE_RC[I]).
stop_node() {
    kill_node "$1" TERM
}

# launch_cluster N [make_node_ini args...]: write an INI for nodes 1..N and
# start a new group: node 1 with init, the others join through node 1;
# returns once node 1 sees all N alive.
launch_cluster() {
    local n=$1 i
    shift
    for i in $(seq 1 "$n"); do
        make_node_ini "$i" "$@" || return 1
    done
    # A new group has a new key: the old group's admin credential is stale.
    rm -f "$GDFS_KEY_FILE"
    start_node 1 init || return 1
    for i in $(seq 2 "$n"); do
        start_node "$i" join "$(addr_of 1)" || return 1
    done
    # Joins are committed one at a time: wait for all of them.
    expect_within 30 "$n" alive_count 1
}

# needs_python3: a test that reads databases or JSON with python3 skips
# itself (plan 1..0) without it.
needs_python3() {
    if ! command -v python3 >/dev/null 2>&1; then
        echo "1..0 # SKIP python3 not found"
        exit 0
    fi
}

cat_rc() {
    [ -e "$T/n$1/rc" ] && echo rc
}

# exit_status I: the exit status of node I once it has ended (else nothing).
exit_status() {
    cat "$T/n$1/rc" 2>/dev/null
}

# alive_count I: how many members node I sees alive.
alive_count() {
    cli "$1" --json status | json 'sum(1 for m in d["members"] if m["state"] == "alive")'
}

# view I: "LEADER TERM" as node I sees them ("None" for no leader).
view() {
    cli "$1" --json status | json 'str(d["leader"]) + " " + str(d["term"])'
}

# agree NODES...: every listed node sees the same leader and term; prints
# "LEADER TERM".
agree() {
    local i v first=""
    for i in "$@"; do
        v=$(view "$i") || return 1
        [ -n "$first" ] || first=$v
        [ "$v" = "$first" ] || return 1
    done
    echo "$first"
}

# state_of I J: the state node I gives member nJ.
state_of() {
    cli "$1" --json status | json '[m["state"] for m in d["members"] if m["id"] == "n'"$2"'"][0]'
}

# leader_num I: the number of the leader node I names (nothing if none).
leader_num() {
    view "$1" | sed -n 's/^n\([0-9]*\) .*/\1/p'
}

# agreed_leader NODES...: once all of NODES agree on a leader that is one
# of them, print its number (else fail).
agreed_leader() {
    local v l
    v=$(agree "$@") || return 1
    l=${v%% *}
    l=${l#n}
    case " $* " in *" $l "*) echo "$l" ;; *) return 1 ;; esac
}

# leader_alive_count I: how many members the leader that node I names
# sees alive.
leader_alive_count() {
    local l
    l=$(leader_num "$1") && [ -n "$l" ] && alive_count "$l"
}

# start_nodes I...: start_node each of them (no init/join).
start_nodes() {
    local i
    for i in "$@"; do
        start_node "$i" || return 1
    done
}

cli() {
    local i=$1
    shift
    GDFS_KEY_FILE=$(key_for "$i") "$CLI_BIN" -n "$(addr_of "$i")" "$@"
}

# tunnel_to I: a plain TCP port on 127.0.0.1 that relays to node I over
# the authenticated channel (tests/tools/tunnel, proving the credential
# key_for I gives), for scripts that write raw frames; prints the port.
# With J (tunnel_to I J), the tunnel proves member nJ's identity instead,
# from nJ's group key: a member that misbehaves.
tunnel_to() {
    local port out as=()
    port=$(free_port) || return 1
    out=$T/tunnel.$port
    [ -n "${2:-}" ] && as=("$T/n$2/data" "n$2")
    GDFS_KEY_FILE=$(key_for "$1") "$GDFS_BUILDDIR/tests/tools/tunnel" dial \
        "$port" "$(addr_of "$1")" "${as[@]}" >"$out" 2>&1 &
    # Called as $(tunnel_to ...), a subshell: its jobs are not the test's,
    # so cleanup finds this one in bg.pids.
    echo $! >>"$T/bg.pids"
    expect_within 5 listening head -n 1 "$out" >/dev/null || return 1
    echo "$port"
}

# tunnel_from PORT TARGET I: an authenticated port 127.0.0.1:PORT (of node
# I's group) that relays to the plain TCP TARGET, a fake node a script
# runs; gdfs-cli can then be pointed at PORT.
tunnel_from() {
    local out=$T/tunnel.$1
    "$GDFS_BUILDDIR/tests/tools/tunnel" serve "$1" "$2" "$T/n$3/data" \
        >"$out" 2>&1 &
    track_pid $!
    expect_within 5 listening head -n 1 "$out" >/dev/null
}

# ---- a small disk -------------------------------------------------------------

# tmpfs_data_dir I MIB: give node I (before it is started) a data_dir on a
# new tmpfs of MIB MiB, mounted at $MNT: the tmpfs lives beside $T and
# $T/nI/data is a link to it, so that the clean-up (which kills the
# nodes, then removes $T) runs before the unmount. Needs root: without
# it, or when the mount fails, prints an empty plan with the reason
# (SKIP) and exits 0.
MNT=""
tmpfs_data_dir() {
    if [ "$(id -u)" != 0 ]; then
        echo "1..0 # SKIP needs root to mount a small tmpfs"
        exit 0
    fi
    MNT=$(mktemp -d "${TMPDIR:-/tmp}/gdfs-tmpfs.XXXXXX") || exit 99
    if ! mount -t tmpfs -o "size=$2m,mode=0700" gdfs-test-tmpfs "$MNT" \
        2>"$ERR"; then
        rmdir "$MNT"
        echo "1..0 # SKIP cannot mount a tmpfs: $(head -n 1 "$ERR")"
        exit 0
    fi
    trap tmpfs_cleanup EXIT
    mkdir -p "$T/n$1"
    ln -s "$MNT" "$T/n$1/data"
}
tmpfs_cleanup() {
    local rc=$?
    (exit $rc)
    cleanup
    umount "$MNT" 2>/dev/null || umount -l "$MNT"
    rmdir "$MNT"
}

# room_of I J EXPR: the Python expression EXPR over member nJ's entry
# ("m": id, state, used_bytes, free_bytes, reserve_bytes) in node I's
# status --json.
room_of() {
    cli "$1" --json status |
        json '[eval(sys.argv[2], {"m": m}) for m in d["members"] if m["id"] == "n'"$2"'"][0]' "$3"
}

# holds NAME I: node I is one of NAME's replicas (as node 1 locates it).
holds() {
    case " $(cli 1 --json locate "$1" |
        json '" ".join(r["node"] for r in d["replicas"])' | tr -d n) " in
    *" $2 "*) return 0 ;;
    esac
    return 1
}

# ---- data --------------------------------------------------------------------

# rand_file PATH BYTES: BYTES random bytes into PATH.
rand_file() {
    head -c "$2" /dev/urandom >"$1"
}

sha() {
    sha256sum "$1" | cut -d' ' -f1
}

# files_read_back NODE...: file1..file$NFILES read back through each NODE
# identical to $T/f1..$T/f$NFILES; names each one that does not.
files_read_back() {
    local k i rc=0
    for k in $(seq 1 "$NFILES"); do
        for i in "$@"; do
            if ! cli "$i" get "file$k" "$T/g" 2>>"$ERR" >/dev/null ||
                ! same "$T/f$k" "$T/g"; then
                diag "file$k via n$i differs or fails"
                rc=1
            fi
        done
    done
    return $rc
}

# same FILE1 FILE2: byte-identical (cmp, quiet).
same() {
    cmp -s "$1" "$2"
}

# json EXPR [ARG...]: read JSON from stdin into "d" and print the Python
# expression EXPR (e.g. json 'd["node"]'); EXPR sees ARGs as sys.argv[2:].
json() {
    python3 -c 'import json, sys
d = json.load(sys.stdin)
r = eval("(" + sys.argv[1] + ")")
print(r if not isinstance(r, bool) else str(r).lower())' "$@"
}

# json_ok FILE EXPR: true if the Python expression EXPR holds for the JSON
# document in FILE (bound to "d"); prints the document when it does not.
json_ok() {
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
if not eval("(" + sys.argv[2] + ")"):
    print("JSON was:", json.dumps(d)[:1500], file=sys.stderr)
    sys.exit(1)' "$1" "$2"
}
