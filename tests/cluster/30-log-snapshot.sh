#!/bin/bash
# The record log's compaction and snapshots (docs/record-log.md): with
# [files] log_keep_entries = 16, a member that was down while 80 files
# were put is behind the start of the leader's log when it comes back, so
# the leader sends it its record table (META_SYNC pages, then LOG_SNAP)
# and then the entries after it. Checked: the leader compacted its log,
# the member took the snapshot and holds every record, the member's own
# log is compacted too, and after the leader and another member die the
# three left (the member among them) serve every file.
set -u
. "$(dirname "$0")/lib.sh"

if ! command -v sqlite3 >/dev/null; then
    echo "1..0 # SKIP the sqlite3 CLI is not installed (tests/install-deps.sh)"
    exit 0
fi

N=5
ALL="1 2 3 4 5"
NFILES=80

db() { # db I SQL: a query on node I's database (read only)
    sqlite3 -cmd ".timeout 5000" "file:$T/n$1/data/gdfs.db?mode=ro" "$2"
}

records() { # records I: file records in node I's table (not .gdfs/)
    db "$1" "SELECT count(*) FROM meta WHERE name NOT LIKE '.gdfs/%'"
}

log_start() { # log_start I: node I's first log index not compacted away
    db "$1" "SELECT log_snap_index + 1 FROM node"
}

ok "a 5-node group forms" launch_cluster $N files.log_keep_entries=16
ok "all five agree on leader n1" expect_within 10 "n1 [0-9]+" agree $ALL

kill_node 5 KILL
mkdir -p "$T/src"
for k in $(seq 1 $NFILES); do
    printf 'file %s\n' "$k" >"$T/src/f$k"
done
cli 1 put -r "$T/src" d/ >/dev/null 2>>"$ERR"
result $? "$NFILES files are put while n5 is down"

# 80 entries and more, 16 kept: the leader's log starts well after the
# entries n5 holds.
compacted() { # compacted I: "yes" once node I dropped more than 40 entries
    [ "$(log_start "$1")" -gt 41 ] && echo yes
}
ok "the leader compacted its log" expect_within 10 yes compacted 1
n5_last=$(db 5 "SELECT ifnull(max(idx), 0) FROM rlog")
ok "... past n5's last entry ($n5_last)" \
    test "$(log_start 1)" -gt "$((n5_last + 1))"

start_node 5 >/dev/null
ok "n5 restarts and follows n1" expect_within 10 "n1 [0-9]+" agree $ALL
ok "the leader sends n5 its record table" \
    expect_within 20 ok sh -c "grep -q 'record log: n5 was behind the log.s start: sent it the record table' '$T/n1/log' && echo ok"
ok "n5 takes it as its log's snapshot" \
    expect_within 10 ok sh -c "grep -q 'record log: took n1.s record table as the log up to entry' '$T/n5/log' && echo ok"
ok "n5 holds the record of every file" expect_within 10 "$NFILES" records 5
ok "n5's log starts past its old end too" \
    test "$(log_start 5)" -gt "$((n5_last + 1))"

# Entries after the snapshot still reach n5 through the log.
echo after >"$T/after"
cli 2 put "$T/after" d/after >/dev/null 2>>"$ERR"
result $? "a put after the snapshot succeeds"
ok "n5 applies it from the log" expect_within 10 "$((NFILES + 1))" records 5

kill_node 1 KILL
kill_node 2 KILL
ok "n3, n4 and n5 elect a leader" expect_within 15 "n[345] [0-9]+" agree 3 4 5
cli 5 ls >"$T/ls5" 2>>"$ERR"
ok "ls through n5 lists every file" test "$(grep -c 'd/' "$T/ls5")" -eq $((NFILES + 1))
rc=0
for k in 1 40 $NFILES; do
    cli 5 get "d/f$k" "$T/g" >/dev/null 2>>"$ERR" && same "$T/src/f$k" "$T/g" || rc=1
done
result $rc "files read back through n5"

done_testing
