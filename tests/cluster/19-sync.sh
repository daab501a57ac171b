#!/bin/bash
# Record sync and orphan copies (src/node/records/sync.c,
# src/node/upkeep/orphans.c): a member that was down
# while files were removed and updated gets the records it missed when it
# comes back, so it drops the removed file's copies and no longer lists
# it; a copy whose put never committed is dropped once old enough, and
# committed copies are never touched.
set -u
. "$(dirname "$0")/lib.sh"

ALL="1 2 3"
db() { echo "$T/n$1/data/gdfs.db"; }
# sql I QUERY: run a read-only query on node I's database (while it runs).
sql() {
    python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=10)
for row in c.execute(sys.argv[2]):
    print("|".join(str(x) for x in row))' "$(db "$1")" "$2"
}

ok "a 3-node group forms (sync every 1 s, orphans after 2 s)" \
    launch_cluster 3 files.sync_interval_s=1 files.orphan_age_s=2
ok "all three agree on leader n1" expect_within 5 "n1 1" agree $ALL

rand_file "$T/a" 300000
rand_file "$T/b1" 5000
rand_file "$T/b2" 7000
rand_file "$T/c" 1000
ok "put a.txt, b.txt and c.txt" sh -c "
    '$CLI_BIN' -n $(addr_of 1) put '$T/a' a.txt >/dev/null &&
    '$CLI_BIN' -n $(addr_of 1) put '$T/b1' b.txt >/dev/null &&
    '$CLI_BIN' -n $(addr_of 1) put '$T/c' c.txt >/dev/null"
ok "n3 holds all three" expect_within 5 3 sh -c \
    "'$CLI_BIN' -n $(addr_of 3) lshere | wc -l"

# --- n3 misses a remove and an update
ok "SIGKILL n3" kill_node 3
ok "remove a.txt while n3 is down" cli 1 remove a.txt
ok "update b.txt while n3 is down" cli 2 put "$T/b2" b.txt
b_seq=$(cli 1 --json locate b.txt | json 'd["version"]')
a_rows() { sql 3 "select count(*) from versions where name = cast('a.txt' as blob)"; }
ok "n3's database still holds a.txt's copy while it is down" \
    test "$(a_rows)" -ge 1

ok "n3 restarts" start_node 3
ok "n3 drops a.txt's copy after the leader's record sync" \
    expect_within 20 0 a_rows
ok "n3's lshere no longer lists a.txt" expect_within 5 "" sh -c \
    "'$CLI_BIN' -n $(addr_of 3) lshere | grep -w a.txt"
ok "n3 has the tombstone record for a.txt" expect_within 5 1 \
    sql 3 "select tombstone from meta where name = cast('a.txt' as blob)"
ok "n3 has b.txt's new record (version $b_seq)" expect_within 5 "$b_seq" \
    sql 3 "select seq from meta where name = cast('b.txt' as blob)"
grep -q "record sync with n3" "$T/n1/log" &&
    diag "n1: $(grep "record sync with n3" "$T/n1/log" | tail -n 1)"

# Every node's records now agree: the same table on all three.
recs() { sql "$1" "select hex(name), seq, term, tombstone from meta order by name"; }
same_records() {
    [ "$(recs 1)" = "$(recs 2)" ] && [ "$(recs 1)" = "$(recs 3)" ] && echo same
}
ok "the three nodes hold the same records" expect_within 10 same same_records

# --- orphan copies
# A complete copy that no record names (its put never committed), made by
# hand in n2's database while n2 is stopped, dated an hour back.
ok "stop n2" stop_node 2
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
c.execute("insert into versions (name, seq, term, state, size, chunk_size, "
          "nchunks, created, committed) values (?, 9999, 1, 1, 0, 4096, 0, ?, 0)",
          (b"orphan.bin", int(time.time()) - 3600))
c.commit()' "$(db 2)"
orphans() { sql 2 "select count(*) from versions where name = cast('orphan.bin' as blob)"; }
ok "n2 holds the orphan copy" test "$(orphans)" = 1
ok "n2 restarts" start_node 2
ok "n2 drops the orphan copy" expect_within 20 0 orphans
ok "n2's log says why" grep -q "dropped orphan copy of orphan.bin" "$T/n2/log"

get_all() {
    local i rc=0
    for i in "$@"; do
        cli "$i" get b.txt "$T/g" >/dev/null 2>>"$ERR" && same "$T/b2" "$T/g" ||
            { diag "b.txt via n$i"; rc=1; }
        cli "$i" get c.txt "$T/g" >/dev/null 2>>"$ERR" && same "$T/c" "$T/g" ||
            { diag "c.txt via n$i"; rc=1; }
        cli "$i" get a.txt "$T/g" >/dev/null 2>&1 && { diag "a.txt came back via n$i"; rc=1; }
    done
    return $rc
}
ok "b.txt and c.txt read back identical through all three, a.txt stays removed" \
    get_all $ALL
ok "n2 and n3 still hold c.txt (committed copies are kept)" sh -c "
    '$CLI_BIN' -n $(addr_of 2) lshere | grep -qw c.txt &&
    '$CLI_BIN' -n $(addr_of 3) lshere | grep -qw c.txt"

done_testing
