#!/bin/bash
# A replica's disk fills up (DESIGN.md invariants 1, 2 and 5): node n3's
# data_dir is a small tmpfs that a filler file fills to ENOSPC. Puts
# still succeed through the other replicas, or fail with a clear error,
# and once the leader has n3's report (its disk room, issue 13
# "Capacity") none is placed there;
# every acknowledged put has 2 durable copies besides n3 (it reads back
# with n3 and any one other node SIGKILLed); the full node stays in the
# group and serves the copies it has; once space is freed it takes
# replicas again; nothing ever reads back corrupt.
#
# Needs root (mount); skipped otherwise.
set -u
. "$(dirname "$0")/lib.sh"

N=5
ALL="1 2 3 4 5"
F=3                  # the node whose disk fills up
OTHERS="1 2 4 5"

tmpfs_data_dir $F 64

ok "a 5-node group forms, n$F with its data_dir on a 64 MiB tmpfs" \
    launch_cluster $N
ok "all five agree on leader n1" expect_within 10 "n1 [0-9]+" agree $ALL

ACKED=()   # names of acknowledged puts; their content is $T/f.NAME

put_file() { # put_file VIA NAME SIZE: put fresh content; 0 if acknowledged
    rand_file "$T/f.$2" "$3"
    if cli "$1" put "$T/f.$2" "$2" >/dev/null 2>"$T/put.err"; then
        ACKED+=("$2")
        return 0
    fi
    return 1
}

# readback NODE: every acknowledged put reads back byte-identical via NODE.
readback() {
    local name bad=0
    for name in "${ACKED[@]}"; do
        rm -f "$T/g"
        if ! cli "$1" get "$name" "$T/g" >/dev/null 2>"$T/get.err" ||
            ! same "$T/f.$name" "$T/g"; then
            diag "$name via n$1: $(head -n 1 "$T/get.err")"
            bad=1
        fi
    done
    return $bad
}

# state_at_leader J: the state that the leader (as node 1 names it)
# gives member nJ.
state_at_leader() {
    local l
    l=$(leader_num 1) && [ -n "$l" ] && state_of "$l" "$1"
}

# ---- before: files, some on n3 -------------------------------------------------
fail=0
for k in $(seq 1 15); do
    put_file $(((k % N) + 1)) "before$k" $((k * 70000)) || fail=1
done
result $fail "15 files put before the disk fills"
on_f=()
for name in "${ACKED[@]}"; do
    holds "$name" $F && on_f+=("$name")
done
ok "n$F holds replicas of ${#on_f[@]} of them" test "${#on_f[@]}" -ge 1

# ---- fill n3's disk ---------------------------------------------------------------
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
ok "n$F's filesystem is full" sh -c "! dd if=/dev/zero of='$MNT/more' bs=4k count=1 2>/dev/null"
rm -f "$MNT/more"
ok "the leader sees n$F below its reserve" \
    expect_within 10 true room_of 1 $F 'm["free_bytes"] < m["reserve_bytes"]'

# ---- puts while full ---------------------------------------------------------------
nput=0 nok=0 unclear=0 placed_f=0
for k in $(seq 1 20); do
    via=$(((k % N) + 1))
    nput=$((nput + 1))
    if put_file "$via" "during$k" $((k * 50000 + 1)); then
        nok=$((nok + 1))
        holds "during$k" $F && placed_f=$((placed_f + 1))
    elif ! grep -Eq "no space|no quorum|disk is full" "$T/put.err"; then
        unclear=$((unclear + 1))
        diag "during$k via n$via: $(cat "$T/put.err")"
    fi
done
diag "$nok of $nput puts acknowledged while n$F is full; $placed_f of them placed on n$F"
ok "puts while n$F is full succeed or fail with a clear error" test $unclear -eq 0
ok "most of them succeed ($nok of $nput)" test $nok -ge $((nput / 2))
ok "... and none of them was placed on the full n$F" test $placed_f -eq 0
ok "n$F's process is still running" alive "$(node_pid $F)"
ok "the leader sees n$F alive (its heartbeats go on)" \
    expect_within 30 alive state_at_leader $F
ok "n$F answers status and agrees on the leader" \
    expect_within 30 "n[1-5] [0-9]+" agree $ALL

# ---- n3 serves what it has ------------------------------------------------------
# A file held by n3 and two followers: with both of those SIGKILLed, a
# get through n3 can only be served by n3's own copy.
lead=$(leader_num 1)
pick="" pair=""
for name in "${on_f[@]}"; do
    reps=$(cli 1 --json locate "$name" |
        json '" ".join(r["node"] for r in d["replicas"])' | tr -d n)
    pair=$(for r in $reps; do [ "$r" != $F ] && echo "$r"; done | tr '\n' ' ')
    case " $pair " in *" $lead "*) continue ;; esac
    pick=$name
    break
done
if [ -n "$pick" ]; then
    set -- $pair
    kill_node "$1" KILL
    kill_node "$2" KILL
    rm -f "$T/g"
    cli $F get "$pick" "$T/g" >/dev/null 2>"$ERR"
    ok "with its other replicas n$1 and n$2 SIGKILLed, $pick reads back identical from the full n$F" \
        same "$T/f.$pick" "$T/g"
    ok "n$1 and n$2 restart" start_nodes "$1" "$2"
    ok "all five agree on a leader again" \
        expect_within 60 "n[1-5] [0-9]+" agree $ALL
else
    skip "a get through the full node served from its own copy" \
        "no file on n$F whose other replicas are both followers"
fi

# ---- 2 durable copies besides n3 -------------------------------------------------
# SIGKILL n3, then each other node in turn: every acknowledged put must
# still read back, so each has a durable copy outside {n3, X} for every
# X: at least 2 besides n3. The killed nodes' copies come back through
# restarts from SIGKILL, which shows they were durable too.
kill_node $F KILL
for x in $OTHERS; do
    kill_node "$x" KILL
    rest=$(for i in $OTHERS; do [ "$i" != "$x" ] && echo "$i"; done | tr '\n' ' ')
    ok "n$F and n$x SIGKILLed: the other three agree on a leader among them" \
        expect_within 60 "[0-9]+" agreed_leader $rest
    ok "... and all ${#ACKED[@]} acknowledged puts read back identical" \
        readback "${rest%% *}"
    start_node "$x" >/dev/null
done

# ---- a restart on the full disk ----------------------------------------------------
# The others' term has moved on (leaders were killed above). A node must
# persist a newer term before it follows it (DESIGN.md "Terms and
# votes"), which the full disk refuses: n3 may come back as a member, or
# stay out of the group saying why in its log; either way it must
# rejoin by itself once space is freed, and never damage what it holds.
if start_node $F; then
    if expect_within 10 "n[1-5] [0-9]+" agree $ALL; then
        result 0 "n$F restarted on its full disk rejoins the group"
        rm -f "$T/g"
        cli $F get "${on_f[0]}" "$T/g" >/dev/null 2>"$T/get.err"
        ok "... and serves ${on_f[0]} identical" same "$T/f.${on_f[0]}" "$T/g" ||
            diag "$(cat "$T/get.err")"
    elif grep -q "cannot save term.*disk is full" "$T/n$F/log"; then
        result 0 "n$F restarted on its full disk stays out of the group, logging why" \
            "$(grep "cannot save term" "$T/n$F/log" | tail -n 1 | cut -c 26-)"
    else
        ok "n$F restarted on its full disk rejoins the group (slowly)" \
            expect_within 60 "n[1-5] [0-9]+" agree $ALL
    fi
    rm -f "$MNT/filler"
    ok "once space is freed, n$F rejoins without a restart" \
        expect_within 60 "n[1-5] [0-9]+" agree $ALL
else
    grep -Eiq "no space|disk is full" "$T/n$F/log"
    result $? "n$F refuses to start on its full disk with a clear error" \
        "$(grep -Ei "no space|disk is full" "$T/n$F/log" | tail -n 1)"
    rm -f "$MNT/filler"
    ok "n$F restarts once space is freed" start_node $F
fi

# ---- space comes back ---------------------------------------------------------------
ok "all five agree on a leader" expect_within 60 "n[1-5] [0-9]+" agree $ALL
ok "and see each other alive" expect_within 60 "$N" leader_alive_count 1 ||
    diag "node 1 names $(view 1); its status: $(cli "$(leader_num 1)" --json status 2>&1 | head -c 1500)"
stored=0
for k in $(seq 1 12); do
    put_file $(((k % N) + 1)) "after$k" $((k * 30000)) || continue
    if holds "after$k" $F; then
        n=$(cli 1 --json ls | json "[f['replicas'] for f in d if f['name'] == 'after$k'][0]")
        [ "$n" = 3 ] && stored=$((stored + 1))
    fi
done
ok "new puts placed on n$F are stored there again ($stored with 3 copies)" \
    test $stored -ge 1
ok "every acknowledged put reads back identical through n$F" readback $F

done_testing
