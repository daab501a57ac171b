#!/bin/bash
# Capacity (issue 13 item 3): node n3's data_dir is a small tmpfs with a
# 16 MiB reserve. status shows each member's used and free bytes (raw in
# --json, matching df); once n3 is below its reserve, status says so and
# puts go to the other two (W = 2), never to n3; with n2 below its
# reserve too a put fails at once with "no space"; and a leader change
# while n3's disk is full to the last byte keeps n3 a voting member,
# its own term advanced (the term save falls back on the spare file).
#
# Needs root (mount); skipped otherwise.
set -u
. "$(dirname "$0")/lib.sh"

F=3                    # the node whose disk fills up
RESERVE=$((16 << 20))  # its reserve_mib, in bytes

tmpfs_data_dir $F 64

# df_avail: bytes free on the tmpfs, as df says.
df_avail() {
    df -B1 --output=avail "$MNT" | tail -n 1 | tr -d ' '
}

ok "a 3-node group forms (reserve_mib 16), n$F on a 64 MiB tmpfs" \
    launch_cluster 3 store.reserve_mib=16
ok "all three agree on leader n1" expect_within 10 "n1 [0-9]+" agree 1 2 3

# ---- status shows the room --------------------------------------------------
ok "the leader reports n$F's reserve, raw, in --json" \
    expect_within 10 "$RESERVE" room_of 1 $F 'm["reserve_bytes"]'
free=$(room_of 1 $F 'm["free_bytes"]')
avail=$(df_avail)
diag "n$F: free_bytes $free, df avail $avail, used_bytes $(room_of 1 $F 'm["used_bytes"]')"
ok "... its free_bytes match df of the tmpfs (within 2 MiB)" \
    test $((free - avail)) -le $((2 << 20)) -a $((avail - free)) -le $((2 << 20))
ok "... and used_bytes count its database" \
    test "$(room_of 1 $F 'm["used_bytes"] > 0 and m["used_bytes"] < 64 << 20')" = true
ok "a follower shows the leader's figures too" \
    expect_within 5 "$RESERVE" room_of 2 $F 'm["reserve_bytes"]'
ok "the group turns healthy: status exits 0" expect_within 10 0 status_rc 2
exits 0 "status in words: healthy" cli 2 status
ok "... with used, free and reserve in human sizes" \
    grep -Eq "^  n$F .* used +[0-9.]+ (KiB|MiB)  free +[0-9.]+ MiB  reserve +16.0 MiB$" "$OUT"

fail=0
for k in 1 2 3 4 5 6; do
    rand_file "$T/f$k" $((k * 100000))
    cli $(((k % 3) + 1)) put "$T/f$k" "before$k" >/dev/null 2>>"$T/put.err" || fail=1
done
result $fail "6 files put while n$F has room"

# ---- below the reserve ------------------------------------------------------
# Leave about 8 MiB free: below the 16 MiB reserve, but not full.
left=$(( $(df_avail) - (8 << 20) ))
dd if=/dev/zero of="$MNT/filler" bs=1M count=$((left >> 20)) 2>/dev/null
diag "filled n$F: $(df_avail) bytes left on the tmpfs"
ok "the leader sees n$F below its reserve" \
    expect_within 10 true room_of 1 $F 'm["free_bytes"] < m["reserve_bytes"]'
exits 3 "status exits 3 (degraded)" cli 2 status
cp "$OUT" "$T/status.txt"
ok "... saying a member is below its disk reserve" \
    grep -Eq "^health +degraded: 1 member below its disk reserve" "$T/status.txt"
ok "... and marking n$F full" grep -Eq "^  n$F .*\(full\)$" "$T/status.txt"

nok=0 on_f=0 start=$(date +%s%N)
for k in $(seq 1 10); do
    rand_file "$T/g$k" $((k * 50000))
    if cli $(((k % 3) + 1)) put "$T/g$k" "during$k" >/dev/null 2>"$T/put.err"; then
        nok=$((nok + 1))
        holds "during$k" $F && on_f=$((on_f + 1))
    else
        diag "during$k: $(cat "$T/put.err")"
    fi
done
ok "10 puts with n$F below its reserve succeed on the other two (W = 2)" \
    test $nok -eq 10
ok "... and none of them is placed on n$F" test $on_f -eq 0
# Gateways that do not lead place puts themselves, with the exclusions the
# leader's APPENDs carry: none sends n$F a stream for it to refuse.
ok "... nor offered to it by any gateway (n$F refused none)" \
    sh -c "! grep -q 'replica put during' '$T/n$F/log'"
ok "... each read back identical through n$F" sh -c "
    for k in \$(seq 1 10); do
        GDFS_KEY_FILE='$(key_for $F)' '$CLI_BIN' -n '$(addr_of $F)' get during\$k '$T/r' >/dev/null &&
            cmp -s '$T/g'\$k '$T/r' || exit 1
    done"

# ---- a leader change on the full disk ----------------------------------------
dd if=/dev/zero of="$MNT/filler2" bs=64k 2>/dev/null
ok "n$F's filesystem is full to the last byte" \
    sh -c "! dd if=/dev/zero of='$MNT/more' bs=4k count=1 2>/dev/null"
rm -f "$MNT/more"
term_before=$(cli $F --json status | json 'd["term"]')
kill_node 1 KILL
diag "leader n1 SIGKILLed (term $term_before)"
# n2 needs n3's vote: a majority of 3 is 2.
ok "n2 and n$F elect a new leader between them (n$F votes on a full disk)" \
    expect_within 20 "[23]" agreed_leader 2 $F
term_after=$(cli $F --json status | json 'd["term"]')
ok "... n$F's own status has the new term ($term_before -> $term_after)" \
    test "$term_after" -gt "$term_before"
l=$(agreed_leader 2 $F)
ok "... and the new leader n$l sees n$F alive, a member" \
    expect_within 10 alive state_of "$l" $F
if grep -q "uses the spare file's room" "$T/n$F/log"; then
    diag "n$F: $(grep "uses the spare file's room" "$T/n$F/log" | tail -n 1 | cut -c 26-)"
else
    diag "n$F saved its term without the spare file (its WAL had room)"
fi
ok "n$F logged no failed term save" sh -c "! grep -q 'cannot save term' '$T/n$F/log'"
ok "n1 restarts" start_node 1
ok "... and all three agree on the leader" \
    expect_within 20 "n[23] [0-9]+" agree 1 2 $F
ok "n$F is alive at the leader after n1 is back" \
    expect_within 10 alive state_of "$(agreed_leader 1 2 $F)" $F

# ---- no member with room ------------------------------------------------------
# n2's reserve above any disk (1 TiB): only n1 has room, a put needs 2.
stop_node 2
make_node_ini 2 store.reserve_mib=1048576
ok "n2 restarts with a reserve above its disk" start_node 2
ok "all three agree on the leader" \
    expect_within 20 "[123]" agreed_leader 1 2 $F
l=$EW_LAST
ok "the leader sees n2 below its reserve too" \
    expect_within 10 true room_of "$l" 2 'm["free_bytes"] < m["reserve_bytes"]'
rand_file "$T/h" 100000
start=$(date +%s%N)
exits 1 "a put now fails" cli 1 put "$T/h" nowhere
ms=$((($(date +%s%N) - start) / 1000000))
cp "$ERR" "$T/put.err"
diag "$(cat "$T/put.err")"
ok "... at once ($ms ms)" test $ms -lt 3000
ok "... saying there is no space" \
    grep -Eq "no space: only 1 of the group's 3 members has room above its reserve" "$T/put.err"
exits 1 "... and nothing is stored under that name" cli 1 locate nowhere

# ---- space comes back -----------------------------------------------------------
rm -f "$MNT/filler" "$MNT/filler2"
stop_node 2
make_node_ini 2 store.reserve_mib=16
ok "n2 restarts with its reserve as before" start_node 2
ok "with space back, status is healthy again" expect_within 30 0 status_rc 1
ok "and a put succeeds" cli 1 put "$T/h" after
ok "... with a copy on n$F again" holds after $F
done_testing
