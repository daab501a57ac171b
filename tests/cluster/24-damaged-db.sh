#!/bin/bash
# A damaged database (issue 13, item 4): a member whose gdfs.db fails
# SQLite's quick_check at start refuses to start (exit 2, at step 'store'),
# naming the file and the way out; README's "A damaged database" runbook,
# followed word for word, brings it back empty, and the group is whole:
# every member alive, every file read back byte-identical through each,
# and the returning node gets its copies back (issue 13's inventory; see
# also 26-inventory.sh).
set -u
. "$(dirname "$0")/lib.sh"

# page_of I TABLE: the root page of TABLE in node I's (stopped) database.
page_of() {
    python3 - "$T/n$1/data/gdfs.db" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                 (sys.argv[2],)).fetchone()[0])
PY
}

# checkpoint I: fold node I's WAL, if any, into its database file, so that
# what is smashed next is the page SQLite reads.
checkpoint() {
    python3 - "$T/n$1/data/gdfs.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
busy, log, done = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
sys.exit(1 if busy else 0)
PY
}

# smash I PAGE: garbage over page PAGE of node I's database, as a bad
# sector or a torn write would leave it.
smash() {
    python3 - "$T/n$1/data/gdfs.db" "$2" <<'PY'
import sys
path, page = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    hdr = f.read(100)
    size = int.from_bytes(hdr[16:18], "big")
    size = 65536 if size == 1 else size
    f.seek((page - 1) * size)
    f.write(bytes([0xa5]) * size)
PY
}

# quick_check I: what SQLite's quick_check says of node I's database.
quick_check() {
    python3 - "$T/n$1/data/gdfs.db" <<'PY'
import sqlite3, sys
try:
    print(sqlite3.connect(sys.argv[1]).execute(
        "PRAGMA quick_check(1)").fetchone()[0])
except sqlite3.DatabaseError as e:
    print("error:", e)
PY
}

ok "a 3-node group forms" launch_cluster 3
ok "all three agree on a leader" expect_within 10 'n[1-3] [0-9]+' agree 1 2 3
L=$(agreed_leader 1 2 3)
V=$((L % 3 + 1)) # a member that does not lead
NFILES=4
for k in $(seq 1 $NFILES); do
    rand_file "$T/f$k" $((k * 150000))
    ok "file$k is put through n$L" cli "$L" put "$T/f$k" "file$k"
done

ok "n$V (not the leader) stops cleanly" stop_node "$V"
ok "... its WAL is checkpointed into gdfs.db" checkpoint "$V"
ok "the root page of n$V's versions table is smashed" \
    smash "$V" "$(page_of "$V" versions)"
ok "... and SQLite's quick_check now fails on it" \
    sh -c "[ \"\$(\"\$@\")\" != ok ]" _ quick_check "$V"
diag "quick_check: $(quick_check "$V")"

exits 1 "n$V does not start on its damaged database" start_node "$V"
result "$([ "${NODE_RC[$V]}" = 2 ]; echo $?)" "... it exits with status 2" \
    "status ${NODE_RC[$V]}"
DB=$T/n$V/data/gdfs.db
ok "... its log names the file as damaged, quoting quick_check" \
    grep -qF "database $DB is damaged (quick_check: " "$T/n$V/log"
ok "... and the way out, README's runbook" \
    grep -qF "mkdir $T/n$V/data.damaged && mv $T/n$V/data/gdfs.db* $T/n$V/data.damaged/', then start the node empty with 'gdfs-node -c $T/n$V/node.ini join HOST:PORT'" \
    "$T/n$V/log"
ok "... at step 'store'" \
    grep -qF "start-up failed at step 'store'" "$T/n$V/log"
ok "the other two members still serve every file" \
    files_read_back "$L" "$((V % 3 + 1))"

# README, "A damaged database", step by step (with the node's own paths).
D=$T/n$V/data
ok "the damaged database is moved aside, group.key kept" \
    sh -c "mkdir '$D.damaged' && mv '$D'/gdfs.db* '$D.damaged/'"
ok "... group.key is still in data_dir" test -e "$D/group.key"
SEEN=$(wc -l <"$T/n$V/log")
ok "n$V starts empty with 'join HOST:PORT' (no token: it holds the key)" \
    start_node "$V" join "$(addr_of "$L")"
ok "... it traded no join token for the key it holds" \
    sh -c "tail -n +$((SEEN + 1)) '$T/n$V/log' | grep -q 'asking .* to let node n$V' &&
        ! tail -n +$((SEEN + 1)) '$T/n$V/log' | grep -q 'join token'"
for i in 1 2 3; do
    ok "n$i sees all 3 members alive" expect_within 30 3 alive_count "$i"
done
ok "all three agree on a leader again" \
    expect_within 10 'n[1-3] [0-9]+' agree 1 2 3
ok "every file reads back byte-identical through every node" \
    files_read_back 1 2 3
# lshere_count I: how many files node I holds.
lshere_count() {
    cli "$1" --json lshere | json 'len(d)'
}
ok "within a minute n$V holds every file again (lshere)" \
    expect_within 60 "$NFILES" lshere_count "$V"
ok "n$V stops cleanly" stop_node "$V"
ok "... and restarts from its new database" start_node "$V"
ok "... which passed quick_check" \
    grep -qF "$DB passed quick_check in" "$T/n$V/log"
ok "n$V sees all 3 members alive" expect_within 30 3 alive_count "$V"
ok "every file still reads back through n$V" files_read_back "$V"
done_testing
