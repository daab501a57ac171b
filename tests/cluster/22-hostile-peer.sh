#!/bin/bash
# A member that misbehaves on purpose (tests/tools/rawframe sends its
# requests with member n1's credential): a REPLICATE naming a source outside the group is refused and
# the node never dials it; a META_SYNC page carrying a version of a later
# term than its sender's is refused; the group still serves afterwards.
set -u
. "$(dirname "$0")/lib.sh"

RAW=$GDFS_BUILDDIR/tests/tools/rawframe
CHUNK=65536
SIZE=200000

# raw I REQUEST ARGS...: rawframe to node I, its reply in $T/reply. It
# speaks as member n1, the leader, through an authenticated tunnel
# (tunnel_to): what a member that misbehaves could send.
declare -A TUN
raw() {
    [ -n "${TUN[$1]:-}" ] || TUN[$1]=$(tunnel_to "$1" 1) || return 1
    "$RAW" "127.0.0.1:${TUN[$1]}" "${@:2}" >"$T/reply" 2>&1
}
says() { # says REGEX: the last reply matches
    grep -Eq "$1" "$T/reply" || { echo "reply: $(cat "$T/reply")"; false; }
}
# file_sum FILE: the file checksum of FILE in chunks of $CHUNK: SHA-256
# over the chunks' SHA-256s.
file_sum() {
    python3 -c 'import hashlib, sys
b = open(sys.argv[1], "rb").read(); n = int(sys.argv[2])
print(hashlib.sha256(b"".join(hashlib.sha256(b[i:i + n]).digest()
      for i in range(0, len(b), n))).hexdigest())' "$1" $CHUNK
}
# holders LOCATE_JSON: the numbers of the nodes holding a replica.
holders() {
    json 'sorted(r["node"][1:] for r in d["replicas"])' <"$1" | tr -dc '0-9 '
}
# not_in "I J K": the node of 1..4 that is not listed.
not_in() {
    local i
    for i in 1 2 3 4; do case " $1 " in *" $i "*) ;; *) echo $i ;; esac; done
}
read_back_all() { # every node reads f back identical
    local i
    for i in 1 2 3 4; do
        cli "$i" get f "$T/back.$i" && same "$T/src" "$T/back.$i" || return 1
    done
}

ok "a 4-node group forms" launch_cluster 4 files.chunk_size=$CHUNK
ok "all four agree on leader n1" expect_within 10 "n1 1" agree 1 2 3 4
rand_file "$T/src" $SIZE
ok "a file is put" cli 1 put "$T/src" f

# Its version, a node that holds it and the one that does not (3 of 4).
cli 1 --json locate f >"$T/locate.json"
holders=$(holders "$T/locate.json")
H=${holders%% *}
X=$(not_in "$holders")
seq=$(json 'd["version"]' <"$T/locate.json")
term=$(cli "$H" --json versions f | json 'd[0]["term"]')
fsum=$(file_sum "$T/src")
ok "the file has 3 replicas and node $X is not one of them" \
    test -n "$X" -a -n "$H" -a -n "$term"

# A listener that records every connection made to it: the address a
# hostile REPLICATE names.
LPORT=$(free_port)
python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
print("listening", flush=True)
while True:
    c, a = s.accept(); print("connected", a, flush=True); c.close()' \
    "$LPORT" >"$T/listener.log" 2>&1 &
track_pid $!
ok "a stranger listens on 127.0.0.1:$LPORT" \
    expect_within 5 listening head -n 1 "$T/listener.log"
STRANGER=127.0.0.1:$LPORT

# ---- REPLICATE
rep() { # rep I SRC...: REPLICATE f's version to node I from SRC...
    raw "$1" replicate f "$seq" "$term" $SIZE $CHUNK "$fsum" "${@:2}"
}
rep "$X" "$STRANGER"
ok "a REPLICATE from a non-member address is refused (invalid argument)" \
    says "^ERROR 3 .*source $STRANGER is not the address of a current member"
ok "... and node $X never dialled it" \
    test "$(grep -c connected "$T/listener.log")" = 0
ok "... and logged the refusal at WARN" \
    grep -Eq "warn .*copy of f .*source $STRANGER is not the address" \
    "$T/n$X/log"
rep "$X" "$(addr_of "$H")" "$STRANGER"
ok "a REPLICATE naming a member and a non-member is refused as a whole" \
    says "^ERROR 3 .*source $STRANGER is not"
rep "$H" "$STRANGER"
ok "... also by a node that holds the version already" \
    says "^ERROR 3 .*source $STRANGER is not"
ok "... and still nothing dialled the stranger" \
    test "$(grep -c connected "$T/listener.log")" = 0
rep "$X" "$(addr_of "$H")"
ok "a REPLICATE from a member's address copies the version" \
    says "^OK $seq $term\$"

# ---- META_SYNC: a version of a later term than the leader that sends it
gterm=$(cli 2 --json status | json 'd["term"]')
raw 2 meta-sync "$gterm" decoy 999999 $((gterm + 1))
ok "a META_SYNC page with a version of a later term than its own is refused" \
    says "^ERROR 3 .*later term"
ok "... and logged at WARN" \
    grep -Eq "warn .*record sync from .* refused: .*decoy" "$T/n2/log"
raw 2 meta-sync "$gterm" decoy 999999 "$gterm"
ok "... while the same record of the sender's own term is taken" \
    says "^OK "

# ---- RPUT refused while its data follows (gateway.c sends a put's data
# right behind RPUT): the refused stream is read through and dropped, and
# the next stream on the same connection is taken.
head -c 3000 /dev/urandom >"$T/small"
raw "$H" rput f "$T/small" "$seq:$term" "$((seq + 1000)):$term"
ok "an RPUT of a version node $H holds already is refused" \
    says "^ERROR "
ok "... and the stream behind it is read through: the next RPUT on the same connection is stored" \
    sh -c "sed -n 2,3p '$T/reply' | tr '\n' ' ' | grep -Eq '^READY $((seq + 1000)) $term OK $((seq + 1000)) $term \$'"
same_via() { # same_via I: f reads back through node I as put
    cli "$1" get f "$T/back" >/dev/null && same "$T/src" "$T/back"
}
ok "... and f still reads back as put through node $H" same_via "$H"

# ---- RPUT without a version (a gateway that has not heard the leader's
# yet): the copy is stored, then takes the version RPUT_VERSION names,
# and only for the content it holds.
raw "$H" rput later "$T/small" "0:0=$((seq + 2000)):$term~"
ok "an RPUT without a version is stored and answered OK 0 0" \
    sh -c "head -n 2 '$T/reply' | tr '\n' ' ' | grep -Eq '^READY 0 0 OK 0 0 \$'"
ok "... and an RPUT_VERSION that names other content is refused" \
    says "^ERROR [0-9]+ .*not the content stored"
raw "$H" rput later "$T/small" "0:0=$((seq + 2001)):$term"
ok "... while one that names its content gives the copy its version" \
    says "^OK $((seq + 2001)) $term\$"
raw "$H" rput later "$T/small" "$((seq + 2001)):$term"
ok "... which the node then holds (an RPUT of it is refused)" \
    says "^ERROR "

# ---- a replica that lies about the bytes it holds
# tamper I NAME MODE: rewrite chunk 0 of node I's copy of NAME, with a
# matching chunk checksum: "consistent" also fixes the copy's file
# checksum (the copy then verifies on its own, but holds other bytes than
# the record names); "short" drops its last byte; "empty" drops them all.
tamper() {
    python3 -c 'import hashlib, sqlite3, sys
db, name, mode = sys.argv[1:4]
c = sqlite3.connect(db, timeout=10)
vid, = c.execute("SELECT id FROM versions WHERE name = CAST(? AS BLOB) "
                 "AND state = 1", (name,)).fetchone()
d, = c.execute("SELECT data FROM chunks WHERE version_id = ? AND idx = 0",
               (vid,)).fetchone()
d = {"consistent": bytes([d[0] ^ 0xff]) + d[1:], "short": d[:-1],
     "empty": b""}[mode]
c.execute("UPDATE chunks SET data = ?, sha256 = ? WHERE version_id = ? "
          "AND idx = 0", (d, hashlib.sha256(d).digest(), vid))
if mode == "consistent":
    shas = b"".join(r[0] for r in c.execute("SELECT sha256 FROM chunks "
                    "WHERE version_id = ? ORDER BY idx", (vid,)))
    c.execute("UPDATE versions SET sha256 = ? WHERE id = ?",
              (hashlib.sha256(shas).digest(), vid))
c.commit()' "$T/n$1/data/gdfs.db" "$2" "$3"
}
rand_file "$T/g" $SIZE
ok "a second file is put" cli 1 put "$T/g" g
cli 1 --json locate g >"$T/locate-g.json"
gholders=$(holders "$T/locate-g.json")
read -r L L2 L3 <<<"$gholders"
GX=$(not_in "$gholders")
gseq=$(json 'd["version"]' <"$T/locate-g.json")
gterm=$(cli "$L3" --json versions g | json 'd[0]["term"]')
gsum=$(file_sum "$T/g")
ok "node $L's copy of g is rewritten to other, self-consistent bytes" \
    tamper "$L" g consistent
ok "a get of g through node $L returns the bytes the record names" \
    bash -c "'$CLI_BIN' -n $(addr_of "$L") get g - | cmp -s - '$T/g'"
ok "... after node $L refused its own copy (logged at WARN)" \
    grep -Eq "warn .*get g: replica n$L: .*holds other bytes" "$T/n$L/log"
ok "node $L2's copy of g is given a chunk one byte short (checksum matching)" \
    tamper "$L2" g short
raw "$GX" replicate g "$gseq" "$gterm" $SIZE $CHUNK "$gsum" \
    "$(addr_of "$L2")" "$(addr_of "$L3")"
ok "a copy of g to node $GX from node $L2 first takes that chunk elsewhere" \
    says "^OK $gseq "
ok "... after node $L2 refused to send it (logged at WARN by node $GX)" \
    grep -Eq "warn .*copy g .*source $(addr_of "$L2"): .*chunk 0 is corrupt on node n$L2" \
    "$T/n$GX/log"

ok "a get of g through node $L2 refuses its mis-sized chunk, reads elsewhere" \
    bash -c "'$CLI_BIN' -n $(addr_of "$L2") get g - | cmp -s - '$T/g'"
ok "... and node $L2 logged it" \
    grep -Eq "get g: version $gseq chunk 0 has $((CHUNK - 1)) bytes" \
    "$T/n$L2/log"
ok "node $H's copy of f is given an empty first chunk (checksum matching)" \
    tamper "$H" f empty
ok "a get of f through node $H reads it elsewhere" \
    bash -c "'$CLI_BIN' -n $(addr_of "$H") get f - | cmp -s - '$T/src'"
ok "... and node $H is still up" answers "$H"

# ---- the group is unharmed
ok "every node still reads the file back" read_back_all
ok "all four still agree on leader n1" expect_within 10 "n1 1" agree 1 2 3 4
done_testing
