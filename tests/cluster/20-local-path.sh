#!/bin/bash
# The gateway's local paths (docs/ARCHITECTURE.md "Data path", local paths):
# a node that is one of a file's replicas stores its own copy of a put, and
# reads its own copy for a get, from its store, never by dialling itself.
# The "faulty" test transport (tests/plugins/faulty.c) forbids each node to
# dial its own address, so a put or get that went over the network to itself
# fails here. The local read still checks every chunk: a chunk flipped in
# the gateway's database is never served.
set -u
. "$(dirname "$0")/lib.sh"

FAULTY=${GDFS_FAULTY_DIR:-$GDFS_BUILDDIR/tests/plugins/.libs}
if [ ! -e "$FAULTY/faulty.so" ]; then
    echo "1..0 # SKIP faulty.so not built ($FAULTY)"
    exit 0
fi
if ! command -v sqlite3 >/dev/null; then
    echo "1..0 # SKIP the sqlite3 CLI is not installed (tests/install-deps.sh)"
    exit 0
fi
: >"$T/rules"
INI=(transport.plugin=faulty "transport.plugin_dir=$FAULTY"
    node.log_level=debug files.scrub_rate_mib_s=0
    "[faulty]" "inner_dir = $GDFS_PLUGIN_DIR" "rules = $T/rules")

# no_self I...: node I cannot dial its own address.
no_self() {
    local i
    for i in "$@"; do echo "$(addr_of "$i") $(addr_of "$i")"; done >"$T/rules.new"
    mv "$T/rules.new" "$T/rules"
}

# flip I NAME IDX: change byte 100 of chunk IDX of NAME on (stopped) node I.
flip() {
    sqlite3 -cmd ".timeout 5000" "$T/n$1/data/gdfs.db" "UPDATE chunks SET
        data = CAST(substr(data, 1, 99) || CASE WHEN substr(data, 100, 1) =
        x'41' THEN x'42' ELSE x'41' END || substr(data, 101) AS BLOB)
        WHERE idx = $3 AND version_id = (SELECT id FROM versions WHERE
        name = CAST('$2' AS BLOB) AND state = 1 ORDER BY term DESC, seq DESC
        LIMIT 1)"
}

# ---- one node: it is the only replica -------------------------------------
ok "a 1-node group forms (faulty transport, debug log)" launch_cluster 1 "${INI[@]}"
no_self 1
rand_file "$T/f1" 700000 # 3 chunks of 256 KiB
ok "with n1 unable to dial itself, a put through n1 succeeds" cli 1 put "$T/f1" f1
ok "... its copy was stored in its own store" \
    grep -q "put f1: this node's copy stored in its own store" "$T/n1/log"
ok "... and a get through n1 returns the same bytes" \
    sh -c "'$CLI_BIN' -n '$(addr_of 1)' get f1 '$T/got' && cmp -s '$T/f1' '$T/got'"
ok "... read from its own store" \
    grep -q "get f1: version [0-9]* read from this node's store" "$T/n1/log"
ok "n1 stops" kill_node 1 KILL
ok "chunk 1 of f1 flipped in n1's database" flip 1 f1 1
ok "n1 restarts" start_node 1
exits 1 "a get of f1 through n1 fails: its only copy is corrupt" \
    cli 1 get f1 "$T/bad"
ok "... naming the corrupt chunk" grep -q "chunk 1 is corrupt on node n1" "$ERR"
# The chunks before it were sent; the flipped one and those after never.
ok "... and the bad chunk was never written out" \
    test "$(stat -c %s "$T/bad" 2>/dev/null || echo 0)" -le 262144
ok "n1 stops for good" kill_node 1 KILL

# ---- three nodes: the gateway is one of three replicas --------------------
rm -rf "$T/n1"
: >"$T/rules"
ok "a 3-node group forms" launch_cluster 3 "${INI[@]}"
ok "all three agree on a leader" expect_within 10 "n1 [0-9]+" agree 1 2 3
no_self 1 2 3
rand_file "$T/f2" 900000
ok "with no node able to dial itself, a put through n2 succeeds" \
    cli 2 put "$T/f2" f2
ok "... on all 3 replicas, n2's own copy stored locally" \
    grep -q "put f2: version [0-9]*, 900000 bytes, 3 of 3 replicas" "$T/n2/log"
ok "a get through n2 reads its own copy" \
    sh -c "'$CLI_BIN' -n '$(addr_of 2)' get f2 '$T/got' && cmp -s '$T/f2' '$T/got'"
ok "... from its store" \
    grep -q "get f2: version [0-9]* read from this node's store" "$T/n2/log"
ok "n2 stops" kill_node 2 KILL
ok "chunk 2 of f2 flipped in n2's database" flip 2 f2 2
ok "n2 restarts" start_node 2
ok "... and follows the leader" expect_within 10 "n1 [0-9]+" agree 1 2 3
ok "a get through n2 still returns the right bytes (the rest from a peer)" \
    sh -c "'$CLI_BIN' -n '$(addr_of 2)' get f2 '$T/got' && cmp -s '$T/f2' '$T/got'"
ok "... after n2's own copy failed at chunk 2" \
    grep -q "get f2: replica n2: chunk 2 is corrupt on node n2" "$T/n2/log"

# ---- a remote replica lost in the middle of a put -------------------------
# The put streams from a pipe that holds back all but the first 4 chunks
# until n3 has stored them; then n2 may no longer send to n3, so n3's
# sender fails mid-stream: it is dropped and the put goes on with W = 2
# (n2's own copy and n1's).
writing_chunks() { # chunks n3 holds of versions still being written
    sqlite3 -cmd ".timeout 5000" "$T/n3/data/gdfs.db" "SELECT count(*) FROM
        chunks WHERE version_id IN (SELECT id FROM versions WHERE state = 0)"
}
rand_file "$T/f3" $((262144 * 12))
(
    head -c $((262144 * 4)) "$T/f3"
    while [ ! -e "$T/go" ]; do sleep 0.05; done
    tail -c +$((262144 * 4 + 1)) "$T/f3"
) | cli 2 put - f3 >"$T/put3.out" 2>&1 &
put3=$!
ok "n3 stores the first 4 chunks of f3 as they stream" \
    expect_within 20 4 writing_chunks
{ cat "$T/rules"; echo "$(addr_of 2) $(addr_of 3)"; } >"$T/rules.new"
mv "$T/rules.new" "$T/rules"
touch "$T/go"
wait "$put3"
ok "with n2 cut off from n3 midway, the put of f3 through n2 succeeds" \
    test $? -eq 0
ok "... n3 was dropped from it" \
    grep -q "replica $(addr_of 3) dropped from the put" "$T/n2/log"
ok "... and it was acknowledged by 2 of 3 replicas" \
    grep -q "put f3: version [0-9]*, $((262144 * 12)) bytes, 2 of 3 replicas" "$T/n2/log"
ok "... n3's partial copy is gone" expect_within 20 0 writing_chunks
no_self 1 2 3
ok "a get of f3 through n1 returns it" \
    sh -c "'$CLI_BIN' -n '$(addr_of 1)' get f3 '$T/got' && cmp -s '$T/f3' '$T/got'"
done_testing
