#!/bin/bash
# README's "Operating gdfs" runbook, recipe by recipe, on a 4-node group
# (issue 13, items 1 and 5): each step runs the command the README gives,
# with this test's paths (the node's node.ini, data_dir D, a member's
# address as HOST:PORT).
#   1. Replacing a disk: a member is SIGKILLed, its data_dir replaced by an
#      empty one (the group key lost with it: a join token), and it joins
#      again under its id: within a minute it holds every copy it held
#      and status exits 0.
#   2. Moving a node to a new machine: a member is stopped and joins again
#      under its id, with its group key copied, at a new address: the group
#      takes the new address, its copies come back, status exits 0.
#   3. Removing a dead node for good: a member is SIGKILLed; "forget" is
#      refused for a live member, the leader and a client without the
#      admin role; then it removes the dead one, every file is back to 3
#      copies on the other three, status exits 0; restarted from its old
#      disk, the forgotten node is told, stops with status 2, and stays
#      out.
#   4. A member whose disk is gone comes back under a new id: with the old
#      id still failed, every file regains 3 real copies without an
#      operator; forgetting the old id makes status exit 0.
set -u
. "$(dirname "$0")/lib.sh"

NFILES=6
# repair_delay_ms: a failed member's copies wait this long before they are
# re-created elsewhere; recipes 1 and 2 bring their node back well within
# it (so it gets its own copies back), recipe 4 waits for it.
ok "a 4-node group forms (inventory every 2 s)" \
    launch_cluster 4 files.inventory_interval_ms=2000 \
    files.repair_delay_ms=15000
ok "all four agree on a leader" \
    expect_within 10 'n[1-4] [0-9]+' agree 1 2 3 4
L=$(agreed_leader 1 2 3 4)
# Three members that do not lead, one per recipe.
read -r A B C <<<"$(for i in 1 2 3 4; do [ "$i" = "$L" ] || echo "$i"; done |
    tr '\n' ' ')"
diag "leader n$L; replace n$A's disk, move n$B, forget n$C"
for k in $(seq 1 $NFILES); do
    rand_file "$T/f$k" $((k * 50000))
    ok "file$k is put through n$L" cli "$L" put "$T/f$k" "file$k"
done

# holds I: the names node I holds (lshere), one line, sorted.
holds() {
    cli "$1" --json lshere | json '" ".join(sorted(e["name"] for e in d))'
}
# holds_files I: the same, of file1..file$NFILES only.
holds_files() {
    cli "$1" --json lshere |
        json '" ".join(sorted(e["name"] for e in d if e["name"].startswith("file")))'
}
# copies_on NODES...: how many copies of file1..file$NFILES the nodes
# hold in all (lshere; .gdfs/revoked/ records are files too).
copies_on() {
    local i n=0 c
    for i in "$@"; do
        c=$(cli "$i" --json lshere |
            json 'sum(1 for e in d if e["name"].startswith("file"))') ||
            return 1
        n=$((n + c))
    done
    echo "$n"
}
# members_alive I: "MEMBERS ALIVE" as node I's status counts them.
members_alive() {
    cli "$1" --json status |
        json 'str(len(d["members"])) + " " + str(sum(1 for m in d["members"] if m["state"] == "alive"))'
}
# under_replicated I: the leader's count, through node I's status.
under_replicated() {
    cli "$1" --json status | json 'd["under_replicated"]'
}
# replicas_shown I: the replica counts ls shows through node I, sorted
# and unique (3 when every file has 3 copies).
replicas_shown() {
    cli "$1" --json ls | json '" ".join(sorted({str(e["replicas"]) for e in d}))'
}
# addr_in_status I J: the address node I's status gives member nJ.
addr_in_status() {
    cli "$1" --json status |
        json '[m["addr"] for m in d["members"] if m["id"] == "n'"$2"'"][0]'
}
ok "the leader has verified every member's copies (status exits 0)" \
    expect_within 30 0 status_rc "$L"

# ---- 1. replacing a disk --------------------------------------------------------

HELD_A=$(holds "$A")
ok "n$A holds some files before its disk goes" test -n "$HELD_A"
ok "n$A dies (SIGKILL)" kill_node "$A" KILL
D=$T/n$A/data
# README: the new disk, mounted at data_dir, empty; group.key is lost with
# the old one, so a member issues a join token.
ok "its data_dir is replaced by an empty one (group.key gone too)" \
    sh -c "rm -rf '$D' && install -d -m 700 '$D'"
ok "a member issues a join token" \
    sh -c "umask 077 && '$NODE_BIN' -c '$T/n$L/node.ini' token --role node >'$T/join.token'"
ok "n$A joins under its old id with the token (gdfs-node join --token-file)" \
    start_node "$A" join --token-file "$T/join.token" "$(addr_of "$L")"
ok "within a minute n$A holds every copy it held (lshere)" \
    expect_within 60 "$HELD_A" holds "$A"
ok "... and status exits 0 (healthy)" expect_within 60 0 status_rc "$A"
ok "the join token, used, is revoked (gdfs-cli revoke)" \
    cli "$A" revoke "$(cut -d: -f3 "$T/join.token")"

# ---- 2. moving a node to a new machine ------------------------------------------

HELD_B=$(holds "$B")
OLD_B=$(addr_of "$B")
ok "n$B stops (SIGTERM) on the old machine" stop_node "$B"
D=$T/n$B/data
# README: on the new machine a data_dir holding only the old group.key
# (copied), and node.ini with the same id and the new address.
ok "the new machine's data_dir holds only the copied group.key" \
    sh -c "mv '$D' '$D.oldmachine' && install -d -m 700 '$D' &&
        install -m 600 '$D.oldmachine/group.key' '$D/group.key'"
NODE_PORT[$B]=$(free_port) && USED_PORTS[${NODE_PORT[$B]}]=1
ok "its node.ini names the same id at a new address ($(addr_of "$B"))" \
    make_node_ini "$B"
ok "n$B joins at its new address (no token: it holds the key)" \
    start_node "$B" join "$(addr_of "$L")"
ok "the leader knows n$B at its new address" \
    expect_within 30 "$(addr_of "$B")" addr_in_status "$L" "$B"
ok "... and so does every member" \
    expect_within 10 "$(addr_of "$B")" addr_in_status "$A" "$B"
ok "all four members are alive" expect_within 30 4 alive_count "$L"
ok "nothing answers at the old address $OLD_B" \
    sh -c "! (exec 3<>/dev/tcp/${OLD_B%:*}/${OLD_B#*:}) 2>/dev/null"
ok "within a minute n$B holds every copy it held (lshere)" \
    expect_within 60 "$HELD_B" holds "$B"
ok "... and status exits 0 (healthy)" expect_within 60 0 status_rc "$B"
ok "every file reads back byte-identical through n$B" files_read_back "$B"

# ---- 3. removing a dead node for good --------------------------------------------

exits 1 "forget refuses a live member (exit 1)" cli "$L" forget "n$C"
ok "... saying it is alive and what to do" \
    grep -q "n$C is alive; use 'gdfs-cli leave' on it" "$ERR"
exits 1 "forget refuses the leader" cli "$A" forget "n$L"
ok "... saying it is the leader" grep -q "n$L is the leader" "$ERR"
exits 1 "forget refuses an unknown id" cli "$A" forget n99
ok "... saying it is no member" grep -q "n99 is not a member" "$ERR"
exits 2 "forget refuses a malformed id (exit 2)" cli "$A" forget "n 3"
ok "a member issues a write credential" \
    sh -c "umask 077 && '$NODE_BIN' -c '$T/n$L/node.ini' token --role write >'$T/write.key'"
exits 1 "forget needs the admin role" \
    env GDFS_KEY_FILE="$T/write.key" "$CLI_BIN" -n "$(addr_of "$A")" \
    forget "n$C"
ok "... permission denied" \
    grep -q "permission denied: role write cannot forget" "$ERR"
ok "all four are still members" expect_within 5 4 alive_count "$L"

ok "n$C dies (SIGKILL)" kill_node "$C" KILL
ok "the leader marks it failed" expect_within 15 failed state_of "$L" "$C"
exits 3 "status exits 3 (degraded)" cli "$A" status
ok "gdfs-cli forget n$C, through a member that does not lead" \
    cli "$A" forget "n$C"
ok "... says it was forgotten" grep -q "^forgot n$C: no longer a member" "$OUT"
REST="$L $A $B"
for i in $REST; do
    ok "n$i sees 3 members, all alive" \
        expect_within 15 '3 3' members_alive "$i"
done
ok "within a minute status exits 0 (healthy)" \
    expect_within 60 0 status_rc "$A"
ok "ls shows 3 replicas of every file" expect_within 10 3 replicas_shown "$L"
ok "the three members hold $((3 * NFILES)) copies (lshere)" \
    expect_within 10 $((3 * NFILES)) copies_on $REST
ok "every file reads back byte-identical through each" files_read_back $REST

# Restarted from its old disk, the forgotten node is told and stops.
start_node "$C" >/dev/null
ok "n$C, restarted from its old disk, stops with status 2" \
    expect_within 30 2 exit_status "$C"
ok "... its log says it was removed from the group" \
    grep -q "this node was removed from group .* and is no longer a member" \
    "$T/n$C/log"
start_node "$C" >/dev/null
result "$([ "${NODE_RC[$C]:-}" = 2 ]; echo $?)" \
    "started again, it is refused with status 2" "status ${NODE_RC[$C]:-none}"
ok "... saying it is no longer a member" \
    sh -c "tail -n 5 '$T/n$C/log' | grep -q 'is not a member of group .* any more'"
ok "the group kept its 3 members and its health" \
    expect_within 10 0 status_rc "$L"

# ---- 4. a new disk under a new id ---------------------------------------------------

HELD_A=$(holds_files "$A")
ok "n$A dies (SIGKILL) and its disk is gone" kill_node "$A" KILL
ok "the leader marks it failed" expect_within 15 failed state_of "$L" "$A"
N=5
make_node_ini "$N"
ok "a new node n$N (empty disk, new id) joins with a join token" \
    start_node "$N" join "$(addr_of "$L")"
ok "without an operator n$N gets what n$A held (lshere), once n$A has been failed for repair_delay_ms" \
    expect_within 60 "$HELD_A" holds_files "$N"
ok "the leader counts 0 under-replicated files" \
    expect_within 30 0 under_replicated "$L"
ok "ls shows 3 replicas of every file" expect_within 10 3 replicas_shown "$L"
ok "the live members hold $((3 * NFILES)) copies" \
    expect_within 10 $((3 * NFILES)) copies_on "$L" "$B" "$N"
exits 3 "status exits 3 while n$A is failed" cli "$L" status
ok "gdfs-cli forget n$A" cli "$N" forget "n$A"
ok "within a minute status exits 0 (healthy)" expect_within 60 0 status_rc "$N"
ok "every file reads back byte-identical through n$N" files_read_back "$N"
done_testing
