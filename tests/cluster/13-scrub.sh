#!/bin/bash
# Scrub, read repair and get --stale-ok on a 5-node group (DESIGN.md
# "Get": R = 2 with read repair; docs/ARCHITECTURE.md "Upkeep"). A holder
# whose chunk was flipped inside its database still serves right bytes through
# it, and is repaired by the get (read repair) or, without any get, by its
# scrub; a holder that was down during an update is brought up to date by
# read repair; a node on the minority side of a partition serves a get
# only with --stale-ok, with a warning. Links are cut by the "faulty" test
# transport (tests/plugins/faulty.c), as in 08-partition.sh.
set -u
. "$(dirname "$0")/lib.sh"

FAULTY=${GDFS_FAULTY_DIR:-$GDFS_BUILDDIR/tests/plugins/.libs}
if [ ! -e "$FAULTY/faulty.so" ]; then
    echo "1..0 # SKIP faulty.so not built ($FAULTY)"
    exit 0
fi
if ! command -v sqlite3 >/dev/null; then
    echo "1..0 # SKIP the sqlite3 CLI is not installed (tests/install-deps.sh)"
    exit 0
fi
N=5
ALL="1 2 3 4 5"
: >"$T/rules"
# Scrub off unless a step turns it on; a killed node stays "alive" to the
# leader for 4 s, so an update right after a kill still places it.
INI=(transport.plugin=faulty "transport.plugin_dir=$FAULTY"
    group.suspect_ms=4000 files.scrub_rate_mib_s=0
    "[faulty]" "inner_dir = $GDFS_PLUGIN_DIR" "rules = $T/rules")

db() { # db I SQL: run SQL on node I's database
    sqlite3 -cmd ".timeout 5000" "$T/n$1/data/gdfs.db" "$2"
}

# The newest complete copy of NAME on node I: its row id.
row_of() {
    db "$1" "SELECT id FROM versions WHERE name = CAST('$2' AS BLOB) AND
        state = 1 ORDER BY term DESC, seq DESC LIMIT 1"
}

# chunk_sum I NAME IDX: SHA-256 of chunk IDX of the newest copy of NAME on
# node I, as its database holds it.
chunk_sum() {
    db "$1" "SELECT hex(data) FROM chunks WHERE idx = $3 AND
        version_id = (SELECT id FROM versions WHERE name = CAST('$2' AS BLOB)
        AND state = 1 ORDER BY term DESC, seq DESC LIMIT 1)" |
        sha256sum | cut -d' ' -f1
}

# flip I NAME IDX: change byte 100 of chunk IDX of NAME on (stopped) node I.
flip() {
    db "$1" "UPDATE chunks SET data = CAST(substr(data, 1, 99) ||
        CASE WHEN substr(data, 100, 1) = x'41' THEN x'42' ELSE x'41' END ||
        substr(data, 101) AS BLOB) WHERE idx = $3 AND version_id =
        (SELECT id FROM versions WHERE name = CAST('$2' AS BLOB) AND
        state = 1 ORDER BY term DESC, seq DESC LIMIT 1)"
}

VIA=1 # the node helpers ask: one that is up
holders() { # holders NAME: the node numbers locate names, space separated
    cli "$VIA" --json locate "$1" | json '" ".join(r["node"] for r in d["replicas"])' |
        tr -d n
}

leader_num() {
    view "$VIA" | sed -n 's/^n\([0-9]*\) .*/\1/p'
}

# a holder of NAME that is not the leader
victim_of() {
    local h lead
    lead=$(leader_num)
    for h in $(holders "$1"); do
        [ "$h" != "$lead" ] && { echo "$h"; return 0; }
    done
    return 1
}

others() { # others NAME V: the holders of NAME other than V
    local h
    for h in $(holders "$1"); do [ "$h" != "$2" ] && echo "$h"; done | tr '\n' ' '
}

get_ok() { # get_ok I NAME FILE: a get of NAME through node I returns FILE
    cli "$1" get "$2" "$T/got" && same "$3" "$T/got"
}

ok "a 5-node group forms (scrub off)" launch_cluster $N "${INI[@]}"
ok "all five agree on a leader" expect_within 10 "n[1-5] [0-9]+" agree $ALL

# ---- read repair of a corrupt chunk ----------------------------------------
rand_file "$T/f1" 700000 # 3 chunks of 256 KiB
ok "put f1" cli 1 put "$T/f1" f1
v=$(victim_of f1)
ok "f1 has a holder n$v that does not lead" test -n "$v"
good=$(chunk_sum "$v" f1 1)
kill_node "$v" KILL
ok "chunk 1 of f1 flipped in n$v's database" flip "$v" f1 1
ok "... so it differs from what it was" \
    test "$(chunk_sum "$v" f1 1)" != "$good"
ok "n$v restarts" start_node "$v"
ok "... and follows the leader" expect_within 10 "n[1-5] [0-9]+" agree $ALL
ok "a get of f1 through n$v returns the right bytes" get_ok "$v" f1 "$T/f1"
ok "read repair restores the chunk in n$v's database" \
    expect_within 20 "$good" chunk_sum "$v" f1 1
ok "... and n$v's log says so" \
    grep -q "read repair of f1 version [0-9]* on n$v (it failed the get): repaired" "$T/n$v/log"
o=$(others f1 "$v")
for h in $o; do kill_node "$h" KILL; done
ok "with the other holders ($o) SIGKILLed, a get through n$v still returns f1" \
    expect_within 20 "ok" sh -c "'$CLI_BIN' -n '$(addr_of "$v")' get f1 '$T/got' && cmp -s '$T/f1' '$T/got' && echo ok"
for h in $o; do start_node "$h" >/dev/null; done
ok "they restart and the group agrees again" \
    expect_within 20 "n[1-5] [0-9]+" agree $ALL

# ---- scrub repairs a corrupt chunk without any get ----------------------
rand_file "$T/f2" 600000
ok "put f2" cli 1 put "$T/f2" f2
v=$(victim_of f2)
ok "f2 has a holder n$v that does not lead" test -n "$v"
good=$(chunk_sum "$v" f2 2)
kill_node "$v" KILL
ok "chunk 2 of f2 flipped in n$v's database" flip "$v" f2 2
# n$v comes back with a fast scrub: 64 MiB/s, a pass every second.
make_node_ini "$v" "${INI[@]}" files.scrub_rate_mib_s=64 files.scrub_interval_s=1
ok "n$v restarts with scrub on" start_node "$v"
ok "... and follows the leader" expect_within 10 "n[1-5] [0-9]+" agree $ALL
ok "n$v's scrub restores the chunk in its database, no get needed" \
    expect_within 30 "$good" chunk_sum "$v" f2 2
ok "... after logging the bad chunk (name, version, chunk index)" \
    grep -Eq "scrub: f2 version [0-9]+ \(term [0-9]+\) chunk 2 fails its checksum" "$T/n$v/log"
ok "... and the repair" \
    grep -q "scrub: f2 version [0-9]*: 1 bad chunk(s) repaired" "$T/n$v/log"
scrub_figures() { # scrub_figures I: "running passes bad repaired checked/total"
    cli "$1" --json status | json '" ".join(str(d["scrub"][k]).lower() for k in ("running", "passes", "bad", "repaired")) + " " + str(d["scrub"]["checked"]) + "/" + str(d["scrub"]["total"])'
}
ok "status on n$v shows the scrub running with bad >= 1 and repaired >= 1" \
    expect_within 10 "true [0-9]+ [1-9][0-9]* [1-9][0-9]* [0-9]+/[0-9]+" scrub_figures "$v"
diag "n$v scrub: $EW_LAST (running passes bad repaired checked/total)"
ok "... and status on a node with scrub off says it is not running" \
    expect_within 5 "false 0 0 0 0/0" scrub_figures "$VIA"
ok "a later pass finds nothing bad: passes go on" \
    expect_within 20 "ok" sh -c "grep -Eq 'pass [2-9][0-9]* done' '$T/n$v/log' && echo ok"
o=$(others f2 "$v")
for h in $o; do kill_node "$h" KILL; done
ok "with the other holders ($o) SIGKILLed, a get through n$v returns f2" \
    expect_within 20 "ok" sh -c "'$CLI_BIN' -n '$(addr_of "$v")' get f2 '$T/got' && cmp -s '$T/f2' '$T/got' && echo ok"
for h in $o; do start_node "$h" >/dev/null; done
ok "they restart and the group agrees again" \
    expect_within 20 "n[1-5] [0-9]+" agree $ALL

# ---- a replica down during an update is brought up to date ----------------
rand_file "$T/f3" 300000
ok "put f3" cli 1 put "$T/f3" f3
s=$(victim_of f3)
ok "f3 has a holder n$s that does not lead" test -n "$s"
VIA=$(leader_num)
kill_node "$s" KILL
rand_file "$T/f3b" 400000
# n$s stays "alive" to the leader for suspect_ms: the update is placed on
# it (replicas keep their place) but it cannot take it.
ok "f3 is updated (through the leader n$VIA) while n$s is down" \
    cli "$VIA" put "$T/f3b" f3
v3=$(cli "$VIA" --json locate f3 | json 'd["version"]')
ok "... and n$s is still named a replica of the new version $v3" \
    sh -c "echo ' $(holders f3) ' | grep -q ' $s '"
has_v3() { db "$s" "SELECT count(*) FROM versions WHERE name = CAST('f3' AS BLOB) AND seq = $v3 AND state = 1"; }
ok "n$s restarts without version $v3" sh -c "[ \"\$(sqlite3 '$T/n$s/data/gdfs.db' \"SELECT count(*) FROM versions WHERE name = CAST('f3' AS BLOB) AND seq = $v3\")\" = 0 ]"
start_node "$s" >/dev/null
ok "... and follows the leader" expect_within 10 "n[1-5] [0-9]+" agree $ALL
g=""
for h in $(holders f3); do [ "$h" != "$s" ] && { g=$h; break; }; done
ok "a get of f3 through n$g (a holder) returns the update" get_ok "$g" f3 "$T/f3b"
ok "read repair brings n$s up to date (version $v3 complete in its database)" \
    expect_within 20 1 has_v3
ok "... and n$g's log says why" \
    grep -Eq "read repair of f3 version $v3 on n$s \(it (lacks the version|holds no copy).*\): repaired" "$T/n$g/log"

# ---- get --stale-ok on the minority side of a partition -------------------
lead=$(leader_num)
minor=""
for h in $(holders f1); do [ "$h" != "$lead" ] && { minor=$h; break; }; done
rest=$(for i in $ALL; do [ "$i" != "$minor" ] && [ "$i" != "$lead" ] && echo "$i"; done | head -n 1)
split() { # split "A B" "C D E": no traffic between the two sides
    local a b
    for a in $1; do
        for b in $2; do
            echo "$(addr_of "$a") $(addr_of "$b")"
            echo "$(addr_of "$b") $(addr_of "$a")"
        done
    done >"$T/rules.new"
    mv "$T/rules.new" "$T/rules"
}
major=$(for i in $ALL; do [ "$i" != "$minor" ] && [ "$i" != "$rest" ] && echo "$i"; done | tr '\n' ' ')
split "$minor $rest" "$major"
ok "n$minor (a holder of f1) and n$rest cut off from the majority ($major): n$minor knows no leader" \
    expect_within 10 "None [0-9]+" view "$minor"
exits 1 "a get of f1 through n$minor is refused" cli "$minor" get f1 "$T/got"
cp "$ERR" "$T/plain.err"
ok "... with a clear error" grep -Eq "no quorum|quorum unreachable" "$T/plain.err"
exits 0 "get --stale-ok of f1 through n$minor succeeds" cli "$minor" get --stale-ok f1 "$T/got"
cp "$ERR" "$T/stale.err"
ok "... with the right bytes" same "$T/f1" "$T/got"
ok "... and a warning on stderr" \
    grep -Eq "^warning: get f1: version [0-9]+ read from .* may be stale: no quorum \\(" "$T/stale.err"
diag "n$minor said: $(cat "$T/stale.err")"
exits 2 "--stale-ok goes with get only" cli "$minor" --stale-ok ls
: >"$T/rules"
ok "healed: all five agree on a leader" expect_within 20 "n[1-5] [0-9]+" agree $ALL
exits 0 "after the heal get --stale-ok reads as a plain get, no warning" \
    cli "$minor" get --stale-ok f1 "$T/got"
ok "... nothing on stderr" test ! -s "$ERR"

# Read repair's and the scrub's threads stop cleanly (n$v scrubs).
rcs=""
for i in $ALL; do
    stop_node "$i"
    rcs="$rcs${NODE_RC[$i]}"
done
ok "all five stop with status 0 on SIGTERM" test "$rcs" = 00000

done_testing
