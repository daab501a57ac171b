#!/bin/bash
# Crash safety: SIGKILL the node in the middle of puts, restart it without
# init: every acknowledged file reads back byte-identical, an interrupted
# put is absent or whole, never partial. SIGTERM stops the node cleanly.
set -u
. "$(dirname "$0")/lib.sh"

MANIFEST=$T/manifest # "name sha256" of every acknowledged put

# check_manifest: every acknowledged file reads back with its sha256.
check_manifest() {
    local name want got bad=0
    while read -r name want; do
        rm -f "$T/check.out"
        if ! cli 1 get "$name" "$T/check.out" 2>"$T/check.err"; then
            echo "$name: get failed: $(cat "$T/check.err")" >&2
            bad=1
            continue
        fi
        got=$(sha "$T/check.out")
        if [ "$got" != "$want" ]; then
            echo "$name: sha256 $got, expected $want" >&2
            bad=1
        fi
    done <"$MANIFEST"
    return "$bad"
}

# absent_or_whole NAME SRC: NAME is not listed (get exits 1), or reads back
# exactly as SRC.
absent_or_whole() {
    local rc
    cli 1 get "$1" "$T/aow.out" 2>"$T/aow.err"
    rc=$?
    if [ $rc -eq 0 ]; then
        same "$T/aow.out" "$2" || { echo "$1 is there but differs" >&2; return 1; }
        echo whole
    elif [ $rc -eq 1 ] && grep -q 'no such file' "$T/aow.err"; then
        echo absent
    else
        cat "$T/aow.err" >&2
        return 1
    fi
}

du_bytes() {
    du -sb "$1" | cut -f1
}

make_node_ini 1
ok "a new node (init) starts" start_node 1 init

# 20 files of mixed sizes.
: >"$MANIFEST"
fails=0
for k in $(seq 1 20); do
    case $((k % 5)) in
    0) bytes=0 ;;
    1) bytes=$((k * 37)) ;;
    2) bytes=$((262144 * (k % 3) + k)) ;;
    3) bytes=$((k * 100003)) ;;
    4) bytes=$((3 * 1024 * 1024 + k)) ;;
    esac
    rand_file "$T/f$k" "$bytes"
    if cli 1 put "$T/f$k" "file-$k" >/dev/null; then
        echo "file-$k $(sha "$T/f$k")" >>"$MANIFEST"
    else
        fails=$((fails + 1))
    fi
done
result $fails "20 files of 0 B to 3 MiB are put"

# A 50 MiB put fed through a FIFO: after 20 MiB the writer stops, so the
# put is certainly in progress when the node is killed.
rand_file "$T/big.src" $((50 * 1024 * 1024))
mkfifo "$T/fifo"
# The checkpointer empties the WAL once the node is idle (1 s): measured
# before that, the data_dir could shrink while the put below grows it.
ok "the node's WAL is checkpointed and truncated once it is idle" \
    expect_within 10 0 bash -c "stat -c %s '$T/n1/data/gdfs.db-wal' || echo 0"
before=$(du_bytes "$T/n1/data")
"$CLI_BIN" -n "$(addr_of 1)" put - big <"$T/fifo" >"$T/big.out" 2>&1 &
big_pid=$!
track_pid $big_pid
exec 7>"$T/fifo"
head -c $((20 * 1024 * 1024)) "$T/big.src" >&7
ok "a 50 MiB put is under way (20 MiB sent, the node's data_dir grew by 10 MiB)" \
    expect_within 10 yes bash -c "[ \$(du -sb '$T/n1/data' | cut -f1) -ge \
        $((before + 10 * 1024 * 1024)) ] && echo yes || echo no"
kill_node 1 KILL
exec 7>&-
wait $big_pid
big_rc=$?
ok "the interrupted put fails (gdfs-cli exits 1)" test $big_rc -eq 1
ok "the node restarts from its database (no init)" start_node 1
ok "every acknowledged file reads back byte-identical" check_manifest
exits 1 "the interrupted put's name is absent (get exits 1)" \
    cli 1 get big "$T/big.got"
ok "... and no partial local file is left" test ! -e "$T/big.got"
ok "... and ls does not list it" \
    bash -c "! '$CLI_BIN' -n $(addr_of 1) ls | grep -qw big"
ok "the log says unfinished puts were dropped at restart" \
    grep -Eq 'dropped [1-9][0-9]* unfinished put' "$T/n1/log"
diag "$(grep -E 'dropped [0-9]+ unfinished put' "$T/n1/log" | tail -n 1)"
ok "a full 50 MiB put then succeeds under the same name" \
    cli 1 put "$T/big.src" big
echo "big $(sha "$T/big.src")" >>"$MANIFEST"

# putter ROUND: put fresh files p-ROUND-K one after another until a put
# fails; "K rc" per put goes to $T/putter.ROUND.
putter() {
    local r=$1 k=0 rc
    while [ $k -lt 300 ]; do
        k=$((k + 1))
        head -c $((100000 + (RANDOM % 15) * 100000)) /dev/urandom \
            >"$T/p-$r-$k"
        "$CLI_BIN" -n "$(addr_of 1)" put "$T/p-$r-$k" "p-$r-$k" \
            >/dev/null 2>&1
        rc=$?
        echo "$k $rc" >>"$T/putter.$r"
        [ $rc -eq 0 ] || break
    done
}
acked() {
    awk '$2 == 0' "$T/putter.$1" 2>/dev/null | wc -l
}

for r in 1 2 3; do
    : >"$T/putter.$r"
    putter "$r" &
    putter_pid=$!
    track_pid $putter_pid
    expect_within 20 '[3-9]|[1-9][0-9]+' acked "$r"
    result $? "round $r: puts are running" "$(acked "$r") acknowledged"
    kill_node 1 KILL
    wait $putter_pid
    last=$(tail -n 1 "$T/putter.$r")
    ok "round $r: the node was SIGKILLed and the next put failed" \
        test "${last#* }" != 0
    awk '$2 == 0 { print $1 }' "$T/putter.$r" | while read -r k; do
        echo "p-$r-$k $(sha "$T/p-$r-$k")"
    done >>"$MANIFEST"
    ok "round $r: the node restarts (no init)" start_node 1
    ok "round $r: every acknowledged file reads back byte-identical" \
        check_manifest
    k=${last% *}
    state=$(absent_or_whole "p-$r-$k" "$T/p-$r-$k")
    result $? "round $r: the put cut by the kill is absent or whole" "$state"
done
grep -E 'dropped [0-9]+ unfinished put' "$T/n1/log" | sed 's/^/# /'

# SIGTERM while a put is stalled, then a clean stop.
"$CLI_BIN" -n "$(addr_of 1)" put - stalled <"$T/fifo" >"$T/stalled.out" 2>&1 &
stalled_pid=$!
track_pid $stalled_pid
exec 7>"$T/fifo"
head -c $((3 * 1024 * 1024)) "$T/big.src" >&7
t0=$(date +%s%N)
kill_node 1 TERM
ms=$((($(date +%s%N) - t0) / 1000000))
result "${NODE_RC[1]}" "SIGTERM during a stalled put: the node exits 0" \
    "exit ${NODE_RC[1]} after $ms ms"
ok "... within 5 s" test $ms -lt 5000
ok "... and its log ends with a clean stop line" \
    bash -c "tail -n 1 '$T/n1/log' | grep -q 'stopped cleanly'"
exec 7>&-
wait $stalled_pid
ok "... and the stalled put fails" test $? -ne 0
ok "the node restarts (no init)" start_node 1
exits 1 "the stalled put's name is absent" cli 1 get stalled "$T/stalled.got"
ok "every acknowledged file ($(wc -l <"$MANIFEST") of them) reads back byte-identical" \
    check_manifest
kill_node 1 TERM
result "${NODE_RC[1]}" "SIGTERM on an idle node: exit 0" "exit ${NODE_RC[1]}"
ok "... and its log ends with a clean stop line" \
    bash -c "tail -n 1 '$T/n1/log' | grep -q 'stopped cleanly'"

done_testing
