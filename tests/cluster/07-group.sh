#!/bin/bash
# A 5-node group formed by init + joins: agreement on the leader, ring
# heartbeats, leader SIGKILL and failover, follower SIGKILL marked failed
# everywhere and back alive after a restart, writes only on the leader,
# SIGSTOP/SIGCONT of the leader, graceful leave, and the group errors
# (restarting a node that left, joining twice).
set -u
. "$(dirname "$0")/lib.sh"

N=5
ALL="1 2 3 4 5"


# states_everywhere STATE J NODES...: every listed node gives nJ STATE.
states_everywhere() {
    local want=$1 j=$2 i
    shift 2
    for i in "$@"; do
        [ "$(state_of "$i" "$j")" = "$want" ] || return 1
    done
    echo ok
}

agree_not() { # agree_not J NODES...: they agree on a leader other than nJ
    local not=$1 v
    shift
    v=$(agree "$@") || return 1
    case $v in "n$not "* | None*) return 1 ;; esac
    echo "$v"
}

others() { # others EXCLUDED...: the nodes of ALL not listed
    local i x skip out=""
    for i in $ALL; do
        skip=0
        for x in "$@"; do [ "$i" = "$x" ] && skip=1; done
        [ $skip = 1 ] || out="$out $i"
    done
    echo $out
}

leader_index() { # the N of the leader's id nN, as node $1 sees it
    view "$1" | sed -n 's/^n\([0-9]*\) .*/\1/p'
}

ok "a 5-node group forms through init and four joins" launch_cluster $N
ok "all five agree on leader n1 in term 1" expect_within 5 "n1 1" agree $ALL
cli 3 --json status >"$T/s3.json"
ok "status shows node n3 heartbeats four members and hears four" \
    json_ok "$T/s3.json" "len(d['heartbeats_to']) == 4 and
        len(d['heartbeats_from']) == 4 and d['role'] == 'follower' and
        len(d['members']) == 5"

rand_file "$T/f" 100000
exits 0 "a put through the leader succeeds" cli 1 put "$T/f" on-leader
exits 0 "a put through a follower succeeds (it is the client's gateway)" \
    cli 2 put "$T/f" x
cli 1 ls >"$T/ls1"
ok "... and ls through the leader lists it" grep -q " x\$" "$T/ls1"

# --- leader SIGKILL: one new leader, agreed by all survivors
t0=$(date +%s%N)
kill_node 1 KILL
ok "after SIGKILL of leader n1 the four others elect one new leader" \
    expect_within 10 "n[2-5] [0-9]+" agree_not 1 $(others 1)
t1=$(date +%s%N)
new=$(leader_index 2)
diag "leader replaced in $(((t1 - t0) / 1000000)) ms (measured by polling status)"
term=$(view 2 | cut -d' ' -f2)
test "$term" -gt 1
result $? "the new leader n$new leads a newer term ($term)"
ok "every survivor marks n1 failed" \
    expect_within 10 ok states_everywhere failed 1 $(others 1)
exits 0 "a put through the new leader succeeds" cli "$new" put "$T/f" after-failover

ok "n1 restarts from its database (no init)" start_node 1
ok "n1 is alive again on every member" \
    expect_within 10 ok states_everywhere alive 1 $ALL
ok "n1 follows the new leader n$new in term $term" \
    expect_within 10 "n$new $term" agree $ALL

# --- follower SIGKILL: marked failed everywhere, then alive again
f=$(others 1 "$new" | cut -d' ' -f1)
t0=$(date +%s%N)
kill_node "$f" KILL
ok "after SIGKILL of follower n$f every member marks it failed" \
    expect_within 10 ok states_everywhere failed "$f" $(others "$f")
t1=$(date +%s%N)
diag "follower marked failed everywhere in $(((t1 - t0) / 1000000)) ms"
ok "the leader did not change" expect_within 1 "n$new $term" agree $(others "$f")
ok "n$f restarts" start_node "$f"
ok "n$f is alive on every member again" \
    expect_within 10 ok states_everywhere alive "$f" $ALL

# --- SIGSTOP the leader past the election timeout, then SIGCONT
kill -STOP "$(node_pid "$new")"
old=$new
ok "with leader n$old stopped, the others elect another" \
    expect_within 10 "n[0-9]+ [0-9]+" agree_not "$old" $(others "$old")
new=$(leader_index "$(others "$old" | cut -d' ' -f1)")
test -n "$new" && test "$new" != "$old"
result $? "the new leader (n$new) is not the stopped one"
kill -CONT "$(node_pid "$old")"
ok "after SIGCONT n$old follows n$new: one leader, one term" \
    expect_within 10 "n$new [0-9]+" agree $ALL
exits 0 "a put through the resumed node goes through leader n$new" \
    cli "$old" put "$T/f" stale-leader
cli "$old" --json status >"$T/st-old.json"
ok "... and the resumed node is a follower" \
    json_ok "$T/st-old.json" "d['role'] == 'follower' and d['leader'] == 'n$new'"
exits 0 "the leader n$new accepts them" cli "$new" put "$T/f" after-pause

# --- graceful leave
lv=$(others "$new" | awk '{print $NF}')
exits 0 "n$lv leaves the group with gdfs-cli leave" cli "$lv" leave
ok "n$lv stops by itself with status 0" expect_within 10 0 exit_status "$lv"
rest=$(others "$lv")
member_counts() { # member_counts NODES...: members each sees
    local i out=""
    for i in "$@"; do out="$out $(cli "$i" --json status | json 'len(d["members"])')"; done
    echo $out
}
ok "the other four see four members" \
    expect_within 10 "4 4 4 4" member_counts $rest
exits 2 "restarting a node that left is refused with exit 2" \
    "$NODE_BIN" -c "$T/n$lv/node.ini"
ok "... saying it is no longer a member" grep -q "not a member of group" "$ERR"

# --- joining twice
j=$(others "$new" "$lv" | cut -d' ' -f1)
stop_node "$j"
exits 2 "joining again with a database that has a group exits 2" \
    "$NODE_BIN" -c "$T/n$j/node.ini" join "$(addr_of "$new")"
ok "... naming the group it belongs to" grep -q "already belongs to group" "$ERR"

done_testing
