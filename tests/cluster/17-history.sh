#!/bin/bash
# Linearizability under crashes (DESIGN.md invariants 1-3): 5 nodes;
# concurrent clients (tests/tools/history.py) put, get and now and then
# remove a few keys through random nodes while a chaos loop SIGKILLs and
# restarts nodes, the leader among them, never more than 2 down at once.
# Every operation is recorded with its call and return times and outcome
# (ok, failed = not written, unknown = timed out / outcome unknown) and
# the history is checked per key with tests/tools/lincheck.py.
#
# GDFS_HISTORY_SECS (default 40) sets how long the clients run;
# GDFS_HISTORY_CLIENTS (5) and GDFS_HISTORY_KEYS (3) their number and keys.
set -u
. "$(dirname "$0")/lib.sh"

needs_python3
N=5
ALL="1 2 3 4 5"
SECS=${GDFS_HISTORY_SECS:-40}
CLIENTS=${GDFS_HISTORY_CLIENTS:-5}
KEYS=${GDFS_HISTORY_KEYS:-3}
TOOLS=$GDFS_SRCDIR/tests/tools
export PYTHONDONTWRITEBYTECODE=1

ok "a 5-node group forms" launch_cluster $N
ok "all five agree on a leader" expect_within 10 "n[1-5] [0-9]+" agree $ALL

down=()        # the nodes the chaos loop has killed and not yet restarted
kills=0
leader_kills=0

is_down() {
    local d
    for d in "${down[@]}"; do [ "$d" = "$1" ] && return 0; done
    return 1
}

up_nodes() {
    local i
    for i in $ALL; do is_down "$i" || echo "$i"; done
}

# The leader as a live node sees it (a number), or nothing.
current_leader() {
    local i l
    for i in $(up_nodes); do
        l=$(view "$i" 2>/dev/null | sed -n 's/^n\([0-9]*\) .*/\1/p')
        if [ -n "$l" ] && ! is_down "$l"; then
            echo "$l"
            return 0
        fi
    done
    return 1
}

chaos_kill() { # chaos_kill I
    kill_node "$1" KILL
    down+=("$1")
    kills=$((kills + 1))
}

chaos_restart_one() { # restart the node killed first
    local i=${down[0]}
    down=("${down[@]:1}")
    start_node "$i" >/dev/null || diag "n$i did not restart: $(tail -n 3 "$T/n$i/log")"
}

pause() { # pause: 0.5 .. 2.5 s between chaos steps
    sleep "$((RANDOM % 3)).$((RANDOM % 10))"
    sleep 0.5
}

addrs=$(for i in $ALL; do addr_of "$i"; done | paste -sd, -)
python3 "$TOOLS/history.py" --cli "$CLI_BIN" --nodes "$addrs" \
    --seconds "$SECS" --clients "$CLIENTS" --keys "$KEYS" \
    --workdir "$T" --out "$T/history.jsonl" >"$T/driver.out" 2>&1 &
driver=$!
track_pid $driver

# The chaos loop: kill one node (the leader every other round), maybe a
# second one, then bring them back one at a time; at most 2 down.
round=0
while alive "$driver"; do
    round=$((round + 1))
    if [ $((round % 2)) -eq 1 ] && l=$(current_leader); then
        victim=$l
        leader_kills=$((leader_kills + 1))
    else
        set -- $(up_nodes)
        shift $((RANDOM % $#))
        victim=$1
    fi
    chaos_kill "$victim"
    pause
    if [ $((RANDOM % 2)) -eq 0 ] && alive "$driver"; then
        if l=$(current_leader) && [ $((RANDOM % 2)) -eq 0 ]; then
            victim=$l
            leader_kills=$((leader_kills + 1))
        else
            set -- $(up_nodes)
            shift $((RANDOM % $#))
            victim=$1
        fi
        chaos_kill "$victim"
        pause
    fi
    while [ "${#down[@]}" -gt 0 ]; do
        chaos_restart_one
        pause
    done
done
wait "$driver"
ok "the clients ran for $SECS s" test $? -eq 0
diag "$(cat "$T/driver.out")"
diag "chaos: $kills SIGKILLs ($leader_kills of the leader) in $round rounds"

count() { # count "put ok": how many the driver recorded
    sed -n "s/^$1 \([0-9]*\)\$/\1/p" "$T/driver.out" | grep . || echo 0
}
puts=$(count "put ok")
gets=$(( $(count "get ok") + $(count "get absent") ))
min_ops=$((SECS / 2))
ok "the clients did real work: $puts acknowledged puts, $gets completed gets (>= $min_ops each)" \
    test "$puts" -ge $min_ops -a "$gets" -ge $min_ops
ok "the chaos loop killed nodes: $kills SIGKILLs (>= 3), $leader_kills of the leader (>= 1)" \
    test "$kills" -ge 3 -a "$leader_kills" -ge 1
ok "every node is back and all agree on a leader" \
    expect_within 20 "n[1-5] [0-9]+" agree $ALL

python3 "$TOOLS/lincheck.py" --summary "$T/history.jsonl" >"$T/lincheck.out" 2>&1
rc=$?
result $rc "the history of $(wc -l <"$T/history.jsonl") operations is linearizable per key"
if [ $rc -ne 0 ]; then
    diag "$(head -n 60 "$T/lincheck.out")"
    diag "history kept in $T/history.jsonl"
else
    diag "$(tail -n 5 "$T/lincheck.out")"
fi

done_testing
