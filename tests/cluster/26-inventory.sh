#!/bin/bash
# Copy inventory (issue 13, item 1; DESIGN.md "Copies and inventory"):
# every member reports the copies it holds to the leader, at start-up,
# when the leader changes and every inventory_interval_ms, and the leader
# finds what a member lacks of what the records name on it, counts those
# copies missing and copies them back onto that member. A healthy group
# reports nothing lacking; a member killed, emptied and rejoined under its
# old id is found lacking every copy it held, and gets them all back
# without an operator; so does one that left gracefully, was emptied and
# joined again under the same id.
set -u
. "$(dirname "$0")/lib.sh"

NFILES=5
ok "a 3-node group forms (inventory every 2 s)" \
    launch_cluster 3 files.inventory_interval_ms=2000
ok "all three agree on a leader" expect_within 10 'n[1-3] [0-9]+' agree 1 2 3
L=$(agreed_leader 1 2 3)
V=$((L % 3 + 1)) # a member that does not lead
for k in $(seq 1 $NFILES); do
    rand_file "$T/f$k" $((k * 70000))
    ok "file$k is put through n$L" cli "$L" put "$T/f$k" "file$k"
done

# lacking_count I: what the leader (node I) last said node V lacks.
lacking_count() {
    sed -n "s/.*member n$V lacks \([0-9]*\) cop.*/\1/p" "$T/n$1/log" |
        tail -n 1
}

# holds_every I J: whether the leader (node I) logged that node J holds
# every copy named on it (once per incarnation and term).
holds_every() {
    grep -c "member n$2 holds every copy named on it" "$T/n$1/log"
}

for i in 1 2 3; do
    ok "the leader finds n$i holding every copy named on it" \
        expect_within 20 '[1-9][0-9]*' holds_every "$L" "$i"
done
result "$([ -z "$(grep 'lacks [0-9]* cop' "$T/n$L/log")" ]; echo $?)" \
    "the leader finds nothing lacking in a healthy group" \
    "$(grep 'lacks [0-9]* cop' "$T/n$L/log")"

ok "n$V is killed (SIGKILL)" kill_node "$V" KILL
D=$T/n$V/data
ok "... its database is moved aside, group.key kept" \
    sh -c "mkdir '$D.gone' && mv '$D'/gdfs.db* '$D.gone/'"
ok "n$V joins again, empty, under its old id" \
    start_node "$V" join "$(addr_of "$L")"
ok "n$V sees all 3 members alive" expect_within 30 3 alive_count "$V"
ok "the leader finds n$V lacking all $NFILES copies" \
    expect_within 30 "$NFILES" lacking_count "$L"

# status_field I EXPR: a Python expression over node I's status --json.
status_field() {
    cli "$1" --json status | json "$2"
}
# lshere_count I: how many files node I holds (lshere).
lshere_count() {
    cli "$1" --json lshere | json 'len(d)'
}
# missing_counted: status and ls count the missing copies, unless they
# are back.
missing_counted() {
    local under shown here
    under=$(status_field "$L" 'd["under_replicated"]') || return 1
    shown=$(cli "$L" --json ls | json 'sum(e["replicas"] for e in d)') ||
        return 1
    here=$(lshere_count "$V") || return 1
    # unknown (null) is not 0 either: invariant 8 allows it
    { [ "$under" != 0 ] && [ "$shown" -lt $((3 * NFILES)) ]; } ||
        [ "$here" = "$NFILES" ]
}
ok "status and ls count n$V's missing copies (or they are back already)" \
    missing_counted
ok "within a minute n$V holds every file again (lshere)" \
    expect_within 60 "$NFILES" lshere_count "$V"
# copied_to I J: the copies the leader (node I) logged onto node J.
copied_to() {
    grep -c "copied .* to n$2: " "$T/n$1/log"
}
ok "... each copied back by the leader's repair onto n$V itself" \
    expect_within 5 "[$NFILES-9]|[1-9][0-9]+" copied_to "$L" "$V"
ok "... and the leader's status says 0 under-replicated" \
    expect_within 30 0 status_field "$L" 'd["under_replicated"]'
ok "every file reads back byte-identical through n$V" files_read_back "$V"

# The same after a graceful leave: the node leaves, its disk is emptied,
# and it joins again under the same id.
exits 0 "n$V leaves the group with gdfs-cli leave" cli "$V" leave
ok "n$V stops by itself with status 0" expect_within 30 0 exit_status "$V"
ok "... its database is moved aside again, group.key kept" \
    sh -c "mkdir '$D.left' && mv '$D'/gdfs.db* '$D.left/'"
ok "n$V joins again, empty, under its old id" \
    start_node "$V" join "$(addr_of "$L")"
ok "n$V sees all 3 members alive" expect_within 30 3 alive_count "$V"
ok "within a minute n$V holds every file again (lshere)" \
    expect_within 60 "$NFILES" lshere_count "$V"
ok "... and the leader's status says 0 under-replicated" \
    expect_within 30 0 status_field "$L" 'd["under_replicated"]'
ok "every file reads back byte-identical through n$V" files_read_back "$V"
done_testing
