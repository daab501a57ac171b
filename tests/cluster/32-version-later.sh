#!/bin/bash
# A copy stored before its gateway knew the version (an RPUT without one,
# docs/record-log.md "Round trips of a put") whose RPUT_VERSION never came,
# as when the gateway dies between the replicas' OKs and RPUT_VERSION: the
# replica keeps it, and its orphan sweep gives it the version of the
# record that names its content and counts this replica; a copy without a
# version that no record names is dropped. tests/tools/rawframe plays the
# gateway, speaking as member n1 through an authenticated tunnel.
set -u
. "$(dirname "$0")/lib.sh"

RAW=$GDFS_BUILDDIR/tests/tools/rawframe
declare -A TUN
# raw I REQUEST ARGS...: rawframe to node I as member n1, reply in $T/reply.
raw() {
    [ -n "${TUN[$1]:-}" ] || TUN[$1]=$(tunnel_to "$1" 1) || return 1
    "$RAW" "127.0.0.1:${TUN[$1]}" "${@:2}" >"$T/reply" 2>&1
}
replied() { # replied TEXT: the whole reply, lines joined by spaces
    [ "$(tr '\n' ' ' <"$T/reply")" = "$1" ] ||
        { echo "reply: $(cat "$T/reply")"; false; }
}
logged() { grep -q "$2" "$T/n$1/log" && echo yes; }

ok "a 3-node group forms (orphan sweep every 1 s, I/O timeout 2 s)" \
    launch_cluster 3 files.sync_interval_s=1 files.orphan_age_s=1 \
    transport.io_timeout_ms=2000 files.repair_delay_ms=600000
ok "all three agree on leader n1" expect_within 10 "n1 1" agree 1 2 3

rand_file "$T/small" 3000
rand_file "$T/other" 2000
raw 2 rput lost "$T/small" "0:0=-"
ok "n2 takes an RPUT without a version and answers OK 0 0" \
    replied "READY 0 0 OK 0 0 "
raw 2 rput stray "$T/other" "0:0=-"
ok "... a second one, which no record will name" replied "READY 0 0 OK 0 0 "
ok "n2 logs that no version came for them" \
    expect_within 5 yes logged 2 "replica put stray: no version came"

raw 1 alloc lost
read -r word seq term _ <"$T/reply"
ok "the leader allocates a version of lost" test "$word" = PLACE
raw 1 commit lost "$seq" "$term" "$T/small" n2
ok "... and commits a record of that content on n2" replied "OK $seq $term "
ok "n2's orphan sweep gives the copy that version" expect_within 30 yes \
    logged 2 "copy of lost stored without a version is version $seq "
ok "n2 lists lost as held here" expect_within 5 yes sh -c \
    "'$CLI_BIN' -n $(addr_of 2) lshere | grep -qw lost && echo yes"
reads_back() { cli "$1" get lost "$T/back" >/dev/null && same "$T/small" "$T/back"; }
ok "lost reads back identical through n1 (from n2's copy)" reads_back 1
ok "... and through n3" reads_back 3
ok "the copy no record names is dropped" expect_within 30 yes \
    logged 2 "dropped orphan copy of stray"

done_testing
