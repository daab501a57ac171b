#!/bin/bash
# Replication on a 5-node group (DESIGN.md "Files"): every file on 3
# distinct nodes chosen by the leader; puts and gets through any node;
# SIGKILL of a replica holder and of the leader loses no acknowledged put;
# ls is the same through every node after a failover; a remove is not
# undone by a node that was down during it.
set -u
. "$(dirname "$0")/lib.sh"

N=5
ALL="1 2 3 4 5"
NFILES=50 # as issue 4 asks: 50 random files of mixed sizes

ok "a 5-node group forms" launch_cluster $N
ok "all five agree on leader n1" expect_within 5 "n1 1" agree $ALL

# Mixed sizes: empty, sub-chunk, several chunks, more than 10 chunks
# (chunks are 256 KiB by default).
size_of() {
    case $(($1 % 5)) in
    0) echo 0 ;;
    1) echo $((1 + $1 * 37)) ;;
    2) echo $((262144 * 2 + $1)) ;;
    3) echo $((262144 * 11 + $1)) ;;
    *) echo 4096 ;;
    esac
}

put_fail=0
for k in $(seq 1 $NFILES); do
    rand_file "$T/f$k" "$(size_of "$k")"
    via=$(((k % N) + 1))
    cli "$via" put "$T/f$k" "file$k" >/dev/null 2>>"$T/put.err" ||
        { put_fail=1; diag "put file$k via n$via: $(tail -n 1 "$T/put.err")"; }
done
result $put_fail "$NFILES files of mixed sizes put through all five nodes"

# locate: 3 distinct replicas, all alive.
loc_fail=0
for k in $(seq 1 $NFILES); do
    cli $(((k % N) + 1)) --json locate "file$k" >"$T/loc.json" 2>>"$ERR" || {
        loc_fail=1
        continue
    }
    json_ok "$T/loc.json" "len(d['replicas']) == 3 and
        len(set(r['node'] for r in d['replicas'])) == 3 and
        all(r['state'] == 'alive' for r in d['replicas'])" ||
        { loc_fail=1; diag "file$k: $(cat "$T/loc.json")"; }
done
result $loc_fail "locate shows 3 distinct alive replicas for every file"

# Replicas really hold the bytes: lshere over the group counts 3 per file
# (a member lists a copy once its record log has applied the record, and
# the third copy is written in the background: poll).
copies_listed() {
    local i total=0
    for i in $ALL; do
        total=$((total + $(cli "$i" lshere | wc -l)))
    done
    echo "$total"
}
ok "lshere across the five nodes lists $((NFILES * 3)) copies" \
    expect_within 20 $((NFILES * 3)) copies_listed

ok "every file reads back identical through nodes 2 and 4" files_read_back 2 4

# --- a replica holder dies: gets still work (W = 2 copies remain)
victim=$(cli 1 --json locate file3 | json 'd["replicas"][0]["node"]' |
    tr -d n)
[ "$victim" = 1 ] &&
    victim=$(cli 1 --json locate file3 | json 'd["replicas"][1]["node"]' |
        tr -d n)
kill_node "$victim" KILL
survivors=$(for i in $ALL; do [ "$i" != "$victim" ] && echo "$i"; done |
    head -n 2 | tr '\n' ' ')
ok "with replica holder n$victim killed, every file still reads back" \
    files_read_back $survivors
rand_file "$T/during" 600000
ok "a put with n$victim down still succeeds" cli 1 put "$T/during" during
cli 2 get during "$T/g" >/dev/null 2>"$ERR" && same "$T/during" "$T/g"
result $? "the put made with a node down reads back identical"

# --- the leader dies: the new leader already holds every record; nothing
# is lost
start_node "$victim" >/dev/null
ok "n$victim restarts" expect_within 10 "n1 [0-9]+" agree $ALL
kill_node 1 KILL
ok "the others elect a new leader" \
    expect_within 10 "n[2-5] [0-9]+" agree 2 3 4 5
ok "after the failover every file reads back through node 3" files_read_back 3
# Before it served, the new leader committed the first entry of its term
# in its record log (which commits every record earlier leaders left in
# it), with no collection of records.
newlead=$(leader_num 2)
ok "the new leader n$newlead led its record log before serving" \
    grep -Eq "record log: leading term [0-9]+ from entry [0-9]+ \(5 voters\)" \
    "$T/n$newlead/log"
ok "... and served once its first entry was committed" \
    grep -Eq "term [0-9]+: serving; versions continue at" "$T/n$newlead/log"
for i in 2 3 4 5; do
    cli "$i" ls >"$T/ls$i" 2>>"$ERR"
done
ok "ls lists the $((NFILES + 1)) files" test "$(wc -l <"$T/ls2")" -eq $((NFILES + 1))
ok "ls is the same through every surviving node" \
    sh -c "cmp -s '$T/ls2' '$T/ls3' && cmp -s '$T/ls2' '$T/ls4' && cmp -s '$T/ls2' '$T/ls5'"

# --- an update is a new version; get returns the newest
rand_file "$T/f1b" 5000
ok "an update of file1 through node 5 succeeds" cli 5 put "$T/f1b" file1
ok "get through node 2 returns the update" \
    sh -c "'$CLI_BIN' -n '$(addr_of 2)' get file1 '$T/g1' && cmp -s '$T/f1b' '$T/g1'"

# --- remove while a holder is down: it does not come back
# A holder that is neither n1 (down) nor the leader.
lead=$(view 2 | sed -n 's/^n\([0-9]*\) .*/\1/p')
holder=""
for h in $(cli 2 --json locate file2 |
    json '" ".join(r["node"] for r in d["replicas"])' | tr -d n); do
    [ "$h" != 1 ] && [ "$h" != "$lead" ] && { holder=$h; break; }
done
ok "file2 has a replica holder other than n1 and the leader n$lead" \
    test -n "$holder"
kill_node "$holder" KILL
ok "remove file2 with holder n$holder down" cli 2 remove file2
start_node 1 >/dev/null
start_node "$holder" >/dev/null
ok "n1 and n$holder rejoin" expect_within 10 "n[2-5] [0-9]+" agree $ALL
exits 1 "file2 stays removed after n$holder returns" cli "$holder" get file2 "$T/g"
ok "... with 'no such file'" grep -q "no such file" "$ERR"
cli 3 ls >"$T/ls-after"
ok "ls no longer lists file2" sh -c "! grep -q ' file2\$' '$T/ls-after'"

done_testing
