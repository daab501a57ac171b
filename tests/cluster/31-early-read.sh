#!/bin/bash
# A get through a node that neither leads nor holds a copy reads a replica
# while it asks the leader for the record (gateway.c early_rget): the
# version its own record table names, from a replica that table names.
# The bytes reach the client only if the leader's record names the same
# version; otherwise the early read is dropped and the get reads what the
# leader names.
#
# (a) f is put, then got through X, a member without a copy: X's log says
#     the version was read early, and the bytes are f's.
# (b) X's record of f is made stale by hand (its database, the node
#     running: a record table one entry behind the log, as after a lost
#     append): a get through X drops the early read, says so, and returns
#     the newest version's bytes, never the older ones.
# (c) f is updated through the leader and read through X at once, 20
#     times: every get returns the version just acknowledged.
set -u
. "$(dirname "$0")/lib.sh"

needs_python3
N=5
ALL="1 2 3 4 5"

ok "a 5-node group forms" launch_cluster $N node.log_level=debug
ok "all five agree on a leader" expect_within 20 "n[1-5] [0-9]+" agree $ALL
L=$(agreed_leader $ALL)

rand_file "$T/v1" 5000
ok "f is put through the leader n$L" cli "$L" put "$T/v1" f
# X: a member that is neither the leader nor a replica of f.
X=""
for i in $ALL; do
    [ "$i" != "$L" ] && ! holds f "$i" && { X=$i; break; }
done
ok "a member without a copy of f and not leading: n$X" test -n "$X"

# record_of I: node I's own record of f, "SEQ TERM" (its database).
record_of() {
    python3 - "$T/n$1/data/gdfs.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=5)
r = c.execute("SELECT seq, term FROM meta WHERE name = CAST('f' AS BLOB)").fetchone()
print(*r if r else ("none",))
PY
}
v1=$(cli "$L" --json locate f | json 'd["version"]')
ok "n$X's record table holds f's version $v1 (applied from the log)" \
    expect_within 5 "$v1 [0-9]+" record_of "$X"

# ---- (a)
lines() { grep -c "$1" "$T/n$X/log"; }
early0=$(lines "read early from")
# got_via I FILE: f read through node I is FILE's bytes.
got_via() {
    cli "$1" get f "$T/g" >/dev/null && same "$2" "$T/g"
}
ok "a get through n$X returns f" got_via "$X" "$T/v1"
ok "... read early from a replica (n$X's log)" \
    test "$(lines "version $v1 read early from")" -gt "$early0"

# ---- (b)
rand_file "$T/v2" 7000
ok "f is updated through the leader" cli "$L" put "$T/v2" f
v2=$(cli "$L" --json locate f | json 'd["version"]')
ok "n$X applies version $v2" expect_within 5 "$v2 [0-9]+" record_of "$X"
python3 - "$T/n$X/data/gdfs.db" "$v1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
c.execute("UPDATE meta SET seq = ? WHERE name = CAST('f' AS BLOB)", (int(sys.argv[2]),))
c.commit()
PY
ok "n$X's record of f is set back to version $v1 by hand" \
    expect_within 1 "$v1 [0-9]+" record_of "$X"
dropped0=$(lines "early read of version $v1 from .* dropped")
ok "a get through n$X returns the newest bytes" got_via "$X" "$T/v2"
ok "... after dropping the early read of version $v1 (n$X's log)" \
    test "$(lines "early read of version $v1 from .* dropped: the leader's record names version $v2")" -gt "$dropped0"

# ---- (c)
bad=0
for k in $(seq 1 20); do
    rand_file "$T/u" $((3000 + k))
    if ! cli "$L" put "$T/u" f >/dev/null 2>>"$ERR"; then
        diag "update $k failed"; bad=1; continue
    fi
    if ! cli "$X" get f "$T/g" >/dev/null 2>>"$ERR" || ! same "$T/u" "$T/g"; then
        diag "get $k through n$X did not return the update just acknowledged"
        bad=1
    fi
done
result $bad "20 updates through the leader, each read back at once through n$X"
diag "n$X read early $(lines "read early from") times, dropped $(lines "early read of version .* dropped") early reads"

done_testing
