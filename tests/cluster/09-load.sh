#!/bin/bash
# A loaded machine raises no false alarm: while both cores are busy with
# concurrent 100 MB puts and gets through the leader of a 5-node group,
# no member is suspected, marked failed, or loses its leader (the group
# thread runs apart from transfers and SQLite commits).
set -u
. "$(dirname "$0")/lib.sh"

N=5
ok "a 5-node group forms" launch_cluster $N
ok "n1 leads term 1" expect_within 5 "n1 1" agree 1 2 3 4 5
rand_file "$T/big" $((100 * 1000 * 1000))
fails=0
# wait_jobs PIDS...: wait for these (a bare wait would wait for the nodes).
wait_jobs() {
    local p
    for p in "$@"; do wait "$p" || fails=1; done
}
for r in 1 2 3; do
    pids=()
    for k in a b; do
        cli 1 put "$T/big" "big-$r-$k" >/dev/null 2>>"$T/load.err" &
        pids+=($!)
    done
    wait_jobs "${pids[@]}"
    pids=()
    for k in a b; do
        cli 1 get "big-$r-$k" - >/dev/null 2>>"$T/load.err" &
        pids+=($!)
    done
    wait_jobs "${pids[@]}"
done
test "$fails" = 0 && ! grep -q . "$T/load.err"
result $? "six 100 MB puts and six gets, two at a time, succeed"
! grep -h -E "suspect|is failed|no longer leader|leader is n[2-5]" "$T"/n*/log
result $? "no member was suspected or failed, and n1 stayed leader, under load"
ok "all five are alive and agree on n1 in term 1" expect_within 2 "n1 1" agree 1 2 3 4 5
ok "n1 sees five alive" expect_within 2 5 alive_count 1

done_testing
