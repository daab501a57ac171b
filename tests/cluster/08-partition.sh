#!/bin/bash
# Partitions between real processes: a 5-node group split 3|2 with the
# leader on the small side. The 3 side elects a leader and takes writes;
# the 2 side has none and refuses writes with a clear error; after the
# heal there is one leader and one term. Links are cut by the "faulty"
# test transport plugin (tests/plugins/faulty.c), which wraps tcp.so and
# refuses to dial or send where $T/rules says so.
set -u
. "$(dirname "$0")/lib.sh"

FAULTY=${GDFS_FAULTY_DIR:-$GDFS_BUILDDIR/tests/plugins/.libs}
if [ ! -e "$FAULTY/faulty.so" ]; then
    echo "1..0 # SKIP faulty.so not built ($FAULTY)"
    exit 0
fi
N=5
ALL="1 2 3 4 5"
: >"$T/rules"


# split "A B" "C D E": no group traffic between the two sides.
split() {
    local a b
    for a in $1; do
        for b in $2; do
            echo "$(addr_of "$a") $(addr_of "$b")"
            echo "$(addr_of "$b") $(addr_of "$a")"
        done
    done >"$T/rules.new"
    mv "$T/rules.new" "$T/rules"
}

roles() { # roles NODES...: each node's role, space separated
    local i out=""
    for i in "$@"; do out="$out $(cli "$i" --json status | json 'd["role"]')"; done
    echo $out
}

leader_among() { # a node of NODES that is leader, by its own word
    local i
    for i in "$@"; do
        [ "$(cli "$i" --json status | json 'd["role"]')" = leader ] && { echo "$i"; return 0; }
    done
    return 1
}

ok "a 5-node group over the faulty transport forms" \
    launch_cluster $N transport.plugin=faulty "transport.plugin_dir=$FAULTY" \
    "[faulty]" "inner_dir = $GDFS_PLUGIN_DIR" "rules = $T/rules"
ok "n1 leads term 1" expect_within 5 "n1 1" agree $ALL
rand_file "$T/f" 50000
exits 0 "the leader takes a write before the partition" cli 1 put "$T/f" before

t0=$(date +%s%N)
split "1 2" "3 4 5"
ok "split 3|2 with the old leader on the 2 side: the 3 side elects a leader" \
    expect_within 10 "[345]" leader_among 3 4 5
t1=$(date +%s%N)
diag "majority side had a leader $(((t1 - t0) / 1000000)) ms after the cut"
l=$(leader_among 3 4 5)
ok "the 3 side agrees on n$l" expect_within 5 "n$l [0-9]+" agree 3 4 5
ok "the 2 side has no leader (n1 stepped down)" \
    expect_within 5 "(follower|precandidate|candidate) (follower|precandidate|candidate)" roles 1 2
exits 1 "a write through n1 (minority) is refused" cli 1 put "$T/f" minority-1
diag "n1 said: $(cat "$ERR")"
ok "... with a clear error" grep -Eq "no quorum|not the leader" "$ERR"
exits 1 "a write through n2 (minority) is refused" cli 2 put "$T/f" minority-2
ok "... with a clear error" grep -Eq "no quorum|not the leader" "$ERR"
exits 0 "a write through the majority leader n$l succeeds" cli "$l" put "$T/f" majority
sleep_ms=$((3 * 700))
ok "the 2 side still has no leader a few election timeouts later" \
    bash -c "sleep $((sleep_ms / 1000)).$((sleep_ms % 1000)); r=\$(for i in 1 2; do '$CLI_BIN' -n \$(echo $(addr_of 1) $(addr_of 2) | cut -d' ' -f\$i) --json status; done | grep -c '\"role\": \"leader\"'); [ \"\$r\" = 0 ]"
term_major=$(view "$l" | cut -d' ' -f2)
term_minor=$(view 1 | cut -d' ' -f2)
test "$term_minor" -le "$term_major"
result $? "pre-vote kept the 2 side's term ($term_minor) from racing ahead of the 3 side's ($term_major)"

: >"$T/rules"
ok "after the heal all five agree on one leader and one term" \
    expect_within 10 "n[0-9]+ [0-9]+" agree $ALL
ok "the majority's leader n$l kept its place" expect_within 1 "n$l $term_major" agree $ALL
ok "every member is alive again" expect_within 10 "5" alive_count "$l"
exits 0 "writes work through the leader after the heal" cli "$l" put "$T/f" after-heal

# The leader alone on one side: it steps down, the other 4 elect.
split "$l" "$(echo $ALL | tr ' ' '\n' | grep -vx "$l" | tr '\n' ' ')"
ok "the leader cut off alone steps down" \
    expect_within 5 "(follower|precandidate|candidate)" roles "$l"
exits 1 "and refuses writes" cli "$l" put "$T/f" alone
: >"$T/rules"
ok "healed again: one leader, one term" expect_within 10 "n[0-9]+ [0-9]+" agree $ALL

done_testing
