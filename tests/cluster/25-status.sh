#!/bin/bash
# Health against the target (issue 13): status exits 0 on a healthy group,
# 3 when it is degraded and 1 without a quorum; a file with a copy on a
# dead node is under-replicated (want 3, have 2) even when no member can
# take a third copy, and the repair waits for one without logging per
# file; a node without a leader shows the others as unknown.
set -u
. "$(dirname "$0")/lib.sh"

NFILES=5

# status_field I EXPR: a Python expression over node I's status --json.
status_field() {
    cli "$1" --json status | json "$2"
}
# ls_replicas I: the distinct replica counts ls -j gives through node I.
ls_replicas() {
    cli "$1" --json ls | json '" ".join(str(r) for r in sorted(set(e["replicas"] for e in d)))'
}
# others_states: the states node 1 gives the other members.
others_states() {
    status_field 1 '" ".join(m["state"] for m in d["members"] if m["id"] != "n1")'
}

ok "a 3-node group forms (repair_delay_ms 500)" \
    launch_cluster 3 files.repair_delay_ms=500
ok "all three agree on leader n1" expect_within 5 "n1 1" agree 1 2 3
put_fail=0
for k in $(seq 1 $NFILES); do
    rand_file "$T/f$k" $((k * 10000))
    cli $(((k % 3) + 1)) put "$T/f$k" "file$k" >/dev/null 2>>"$T/put.err" ||
        put_fail=1
done
result $put_fail "$NFILES files put"

ok "a healthy group: status exits 0" expect_within 10 0 status_rc 2
exits 0 "... and says so" cli 2 status
ok "... in words" grep -q '^health  *healthy$' "$OUT"
ok "status --json says healthy, target 3" \
    expect_within 5 "healthy 3 False" status_field 1 \
    'd["health"] + " " + str(d["replica_target"]) + " " + str(d["small_group"])'
ok "ls -j: every file has 3 replicas" expect_within 5 3 ls_replicas 1

kill_node 3
diag "n3 SIGKILLed"
ok "one of 3 nodes killed: status exits 3 (degraded)" \
    expect_within 15 3 status_rc 1
ok "the leader counts every file under-replicated (want 3, have 2)" \
    expect_within 15 $NFILES status_field 1 'd["under_replicated"]'
ok "... so does a follower" \
    expect_within 10 $NFILES status_field 2 'd["under_replicated"]'
ok "ls -j: every file has 2 replicas" expect_within 5 2 ls_replicas 2
exits 3 "status through n2 exits 3" cli 2 status
ok "... and names the reasons" \
    grep -Eq "^health +degraded: 1 member not alive, $NFILES files under-replicated" \
    "$OUT"
ok "status --json says degraded" \
    expect_within 5 degraded status_field 2 'd["health"]'
# Nowhere to put a third copy: the repair waits, without copying or
# logging per file, and the files stay under-replicated while n3 is dead.
ok "past the repair delay, still $NFILES under-replicated, no copy queued" \
    expect_within 5 "$NFILES 0 0" status_field 1 \
    '" ".join(str(x) for x in (d["under_replicated"], d["repair"]["pending"], d["repair"]["running"]))'
ok "the leader logs no 'cannot get more' per file" \
    sh -c "! grep -q 'cannot get more' '$T/n1/log'"

kill_node 2
diag "n2 SIGKILLed"
ok "two of 3 killed: the survivor's status exits 1 (no quorum)" \
    expect_within 15 1 status_rc 1
ok "... and lists the others as unknown" \
    expect_within 5 "unknown unknown" others_states
ok "... while it stays as it is itself" \
    expect_within 5 1 status_field 1 'sum(1 for m in d["members"] if m["id"] == "n1" and m["state"] != "unknown")'
ok "status --json says no quorum" \
    expect_within 5 "no quorum" status_field 1 'd["health"]'
exits 1 "status exits 1" cli 1 status
ok "... and says why in words" grep -q '^health  *no quorum: ' "$OUT"

ok "n2 restarts" start_node 2
ok "n3 restarts" start_node 3
ok "back to healthy: status exits 0" expect_within 30 0 status_rc 1
ok "... through every node" expect_within 10 "0 0 0" sh -c "
    for i in 1 2 3; do printf '%s ' \"\$( '$CLI_BIN' -n \"\$(echo $(addr_of 1) $(addr_of 2) $(addr_of 3) | cut -d' ' -f\$i)\" status >/dev/null 2>&1; echo \$?)\"; done | sed 's/ \$//'"
ok "no file under-replicated" expect_within 10 0 status_field 1 'd["under_replicated"]'
ok "ls -j: every file has 3 replicas again" expect_within 10 3 ls_replicas 1
exits 1 "status against a stopped address exits 1" \
    "$CLI_BIN" -n 127.0.0.1:1 -T 1000 status
done_testing
