#!/bin/bash
# SIGKILL in the middle of a transfer (DESIGN.md invariants 1 and 2): a
# replica holder dies while a large put streams through a gateway (the put
# still succeeds on the other two), two die (the put fails with "no
# quorum" and the previous version stays), the gateway dies (the client
# sees an error and the previous version stays); a replica dies while a
# large get streams from it (the get moves on to another replica and
# returns the right bytes). And the leader dies: puts and gets through a
# follower before the election fail with a clear error, never a bare
# network error.
#
# The transfers are held mid-stream by FIFOs, not by timing: the put reads
# its data from a FIFO the test fills in two parts, the get writes to a
# FIFO the test drains in two parts, and the kill happens in between.
set -u
. "$(dirname "$0")/lib.sh"

N=5
ALL="1 2 3 4 5"
BIG=$((24 * 1024 * 1024))  # 96 chunks of 256 KiB
HALF=$((8 * 1024 * 1024))

# Slower elections than the default, so that a follower still names a
# dead leader for a while (the last section).
ok "a 5-node group forms" launch_cluster $N group.election_ms=1500 \
    group.lease_ms=1200
ok "all five agree on leader n1" expect_within 10 "n1 [0-9]+" agree $ALL

replicas() { # replicas NAME: the replica holders' numbers, in record order
    cli 1 --json locate "$1" | json '" ".join(r["node"] for r in d["replicas"])' |
        tr -d n
}

# The replica holders of NAME that are not the leader (killing them leaves
# the leader in place), in record order.
follower_replicas() {
    local l v
    l=$(leader_num 2)
    for v in $(replicas "$1"); do
        [ "$v" != "$l" ] && echo "$v"
    done | tr '\n' ' '
}

# A gateway that holds no replica of NAME (so that gets read remotely).
non_replica() {
    local i r
    for i in $ALL; do
        case " $(replicas "$1") " in
        *" $i "*) ;;
        *) echo "$i"; return 0 ;;
        esac
    done
    return 1
}

# put_split G NAME FILE KILL...: put FILE as NAME through node G; after the
# first HALF bytes have gone into the put, SIGKILL each node in KILL...,
# then send the rest. The CLI's exit status ends up in $PUT_RC.
put_split() {
    local g=$1 name=$2 file=$3 v
    shift 3
    rm -f "$T/fifo"
    mkfifo "$T/fifo"
    cli "$g" put - "$name" <"$T/fifo" >"$T/put.out" 2>"$T/put.err" &
    local pid=$!
    exec 3>"$T/fifo"
    head -c $HALF "$file" >&3
    for v in "$@"; do
        kill_node "$v" KILL
    done
    tail -c +$((HALF + 1)) "$file" >&3 2>/dev/null
    exec 3>&-
    wait $pid
    PUT_RC=$?
}

# get_split G NAME OUT KILL...: get NAME through node G into OUT; after
# the first HALF bytes have come out, SIGKILL each node in KILL..., then
# read the rest. The CLI's exit status ends up in $GET_RC.
get_split() {
    local g=$1 name=$2 out=$3 v
    shift 3
    rm -f "$T/fifo"
    mkfifo "$T/fifo"
    cli "$g" get "$name" - >"$T/fifo" 2>"$T/get.err" &
    local pid=$!
    exec 4<"$T/fifo"
    dd bs=65536 count=$((HALF / 65536)) iflag=fullblock <&4 >"$out" 2>/dev/null
    for v in "$@"; do
        kill_node "$v" KILL
    done
    cat <&4 >>"$out"
    exec 4<&-
    wait $pid
    GET_RC=$?
}

# ---- a replica holder dies mid-put -------------------------------------------
rand_file "$T/v1" 300000
ok "put version 1 of big" cli 2 put "$T/v1" big
ok "big has 3 replicas" test "$(replicas big | wc -w)" = 3
set -- $(follower_replicas big)
r1=$1 r2=$2
g=$(non_replica big)
ok "n$g holds no replica of big; n$r1 and n$r2 hold one and do not lead" \
    test -n "$g" -a -n "$r2"
rand_file "$T/v2" $BIG
put_split "$g" big "$T/v2" "$r1"
result $PUT_RC "a 24 MiB update through n$g succeeds although replica n$r1 was SIGKILLed mid-stream" \
    "$(head -c 300 "$T/put.err")"
cli "$r2" get big "$T/g" >/dev/null 2>"$ERR"
ok "it reads back byte-identical through replica n$r2" same "$T/v2" "$T/g"
cli "$g" get big "$T/g" >/dev/null 2>"$ERR"
ok "and through the gateway n$g" same "$T/v2" "$T/g"
ok "ls counts 2 stored copies of the update" \
    test "$(cli "$g" --json ls | json '[f["replicas"] for f in d if f["name"] == "big"][0]')" = 2
ok "n$r1 restarts" start_node "$r1"
ok "all five agree on a leader again" expect_within 20 "n[1-5] [0-9]+" agree $ALL

# ---- a replica holder dies mid-get ---------------------------------------------
# The gateway holds no copy, so it reads the replicas in record order: the
# first one is streaming when it dies. (n$r1 has no copy of version 2.)
first=""
for v in $(replicas big); do
    [ "$v" != "$r1" ] && { first=$v; break; }
done
get_split "$g" big "$T/g" "$first"
result $GET_RC "a 24 MiB get through n$g succeeds although replica n$first was SIGKILLed mid-stream" \
    "$(head -c 300 "$T/get.err")"
ok "... and returns the newest acknowledged version, byte-identical" \
    test "$(sha "$T/g")" = "$(sha "$T/v2")"
[ "$GET_RC" -ne 0 ] || [ "$(sha "$T/g")" = "$(sha "$T/v2")" ]
result $? "the get either failed or returned exactly version 2 (never other bytes with exit 0)" \
    "exit $GET_RC"
ok "n$first restarts" start_node "$first"
ok "all five agree on a leader again" expect_within 20 "n[1-5] [0-9]+" agree $ALL

# ---- two replica holders die mid-put: no quorum, the old version stays ----
rand_file "$T/v3" $BIG
set -- $(follower_replicas big)
a=$1 b=$2
put_split "$g" big "$T/v3" "$a" "$b"
result $((PUT_RC == 1 ? 0 : 1)) "an update through n$g fails (exit 1) when replicas n$a and n$b die mid-stream" \
    "exit $PUT_RC"
ok "... saying no quorum" grep -q "no quorum" "$T/put.err"
diag "gdfs-cli said: $(head -c 300 "$T/put.err")"
cli "$g" get big "$T/g" >/dev/null 2>"$ERR"
ok "version 2 still reads back byte-identical" same "$T/v2" "$T/g"
ok "n$a and n$b restart" start_nodes "$a" "$b"
ok "all five agree on a leader again" expect_within 20 "n[1-5] [0-9]+" agree $ALL

# ---- the gateway dies mid-put: the client is told, the old version stays ---
rand_file "$T/v4" $BIG
put_split "$g" big "$T/v4" "$g"
result $((PUT_RC == 1 ? 0 : 1)) "a put whose gateway n$g is SIGKILLed mid-stream fails (exit 1)" \
    "exit $PUT_RC: $(head -c 200 "$T/put.err")"
cli "$r2" get big "$T/g" >/dev/null 2>"$ERR"
ok "version 2 still reads back byte-identical" same "$T/v2" "$T/g"
ok "n$g restarts" start_node "$g"
ok "all five agree on a leader again" expect_within 20 "n[1-5] [0-9]+" agree $ALL

# ---- the leader dies: a follower's refusals say why ----------------------------
# Until the others elect, followers still name the dead leader: every put
# or get through them then fails with "no quorum" (or succeeds once a new
# leader is up), never with a bare "cannot reach".
rand_file "$T/small" 5000
ok "put small" cli 2 put "$T/small" small
lead=$(leader_num 2)
kill_node "$lead" KILL
f1=$((lead % N + 1))
refused=0 unclear=0 tries=0
while [ $tries -lt 300 ]; do
    tries=$((tries + 1))
    for op in put get; do
        if [ $op = put ]; then
            cli "$f1" put "$T/small" small >/dev/null 2>"$T/e"
        else
            cli "$f1" get small "$T/g" >/dev/null 2>"$T/e"
        fi
        case $? in
        0) ;;
        1) refused=$((refused + 1))
           grep -Eq "no quorum|not the leader" "$T/e" ||
               { unclear=$((unclear + 1)); diag "$op: $(cat "$T/e")"; } ;;
        *) unclear=$((unclear + 1)); diag "$op exit: $(cat "$T/e")" ;;
        esac
    done
    l=$(view "$f1" | cut -d' ' -f1)
    [[ $l =~ ^n[0-9]+$ ]] && [ "$l" != "n$lead" ] && break
done
diag "$refused refusals in $tries rounds before n$f1 saw a new leader"
ok "every put and get refused after leader n$lead died said no quorum or not the leader" \
    test $unclear -eq 0
ok "a new leader is elected" expect_within 20 "n[1-5] [0-9]+" agree \
    $(for i in $ALL; do [ "$i" != "$lead" ] && echo "$i"; done)
cli "$f1" get small "$T/g" >/dev/null 2>"$ERR"
ok "small reads back byte-identical through n$f1" same "$T/small" "$T/g"

done_testing
