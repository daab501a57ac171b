#!/bin/bash
# Batch transfers in one gdfs-cli call: put -r of a directory tree, get -r
# back into a fresh directory, --batch lists from stdin both ways, failures
# that do not stop the others (an unreadable file, an invalid name, a bad
# line), and get -r refusing a name that would escape LOCALDIR.
set -u
. "$(dirname "$0")/lib.sh"

ok "a 3-node group forms" launch_cluster 3

# ~200 small files in nested directories, a few multi-chunk ones (chunks
# are 256 KiB), an empty one.
SRC=$T/src
mkdir -p "$SRC"
for d in 0 1 2 3; do
    for s in a b; do
        mkdir -p "$SRC/d$d/$s"
        for k in $(seq 1 25); do
            rand_file "$SRC/d$d/$s/f$k" $(((d * 25 + k) * 97 % 5000 + 1))
        done
    done
done
rand_file "$SRC/big1" $((262144 * 3 + 5))
rand_file "$SRC/d1/big2" $((262144 * 2))
rand_file "$SRC/d2/a/big3" $((262144 * 5 + 123))
: >"$SRC/empty"
nsrc=$(find "$SRC" -type f | wc -l)

ok "put -r -p 8 of $nsrc files succeeds" cli 1 -p 8 put -r "$SRC" tree/
ok "put -r prints one line per file and a summary" \
    test "$(grep -c '^put .* -> tree/' "$OUT")" -eq "$nsrc" -a \
    "$(tail -n 1 "$OUT" | cut -d, -f1-3)" = \
    "put: $nsrc files, $nsrc ok, 0 failed"

cli 2 ls >"$T/ls" 2>&1
ok "ls through another node shows all $nsrc under the prefix" \
    test "$(grep -c ' tree/' "$T/ls")" -eq "$nsrc"
ok "the names keep the subdirectories" grep -q ' tree/d2/a/big3$' "$T/ls"

ok "get -r into a fresh directory succeeds" cli 3 get -r tree/ "$T/back"
ok "get -r reports every file" \
    test "$(grep -c '^get tree/' "$OUT")" -eq "$nsrc"
ok "the tree read back is identical (diff -r)" diff -r "$SRC" "$T/back"

# json_lines_ok OP N FAILED: $OUT holds N JSON lines for OP (the first N -
# FAILED with ok true) and a summary line saying so.
json_lines_ok() {
    python3 - "$OUT" "$1" "$2" "$3" <<'PY'
import json, sys
out, op, n, failed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
lines = [json.loads(l) for l in open(out)]
files, summary = lines[:-1], lines[-1]
assert len(files) == n, lines
assert all(f["op"] == op for f in files), files
assert sum(1 for f in files if f["ok"]) == n - failed, files
assert all(f["size"] > 0 for f in files if f["ok"]), files
assert summary["summary"] == op and summary["files"] == n, summary
assert summary["failed"] == failed, summary
PY
}

# --batch from stdin, both ways, with JSON lines.
batch_put() {
    for k in 1 2 3 4 5; do
        printf '%s\tlist/item%s\n' "$SRC/d0/a/f$k" "$k"
    done | cli 2 -j put --batch -
}
ok "put --batch - from stdin succeeds" batch_put
ok "put --batch -j prints 5 JSON lines and a summary" json_lines_ok put 5 0

batch_get() {
    for k in 1 2 3 4 5; do
        printf 'list/item%s\t%s\n' "$k" "$T/item$k"
    done | cli 3 -j -p 3 get --batch -
}
ok "get --batch - from stdin succeeds" batch_get
ok "get --batch -j prints 5 JSON lines and a summary" json_lines_ok get 5 0
same_items() {
    for k in 1 2 3 4 5; do same "$SRC/d0/a/f$k" "$T/item$k" || return 1; done
}
ok "the files got by --batch match their sources" same_items

# Failures: an unreadable local file, an invalid name, a line without a
# tab; the other files still go, the exit status is 1, each failure named.
rand_file "$T/locked" 100
chmod 000 "$T/locked"
if [ -r "$T/locked" ]; then # root reads anything: use a missing file
    rm -f "$T/locked"
fi
bad_batch() {
    printf '%s\tmixed/ok1\n' "$SRC/d1/a/f1"
    printf '%s\tmixed/unreadable\n' "$T/locked"
    printf '%s\tmixed/bad\177name\n' "$SRC/d1/a/f2"
    printf 'no tab on this line\n'
    printf '%s\tmixed/ok2\n' "$SRC/d1/a/f3"
}
put_bad() { bad_batch | cli 1 put --batch -; }
exits 1 "a batch with failures exits 1" put_bad
cp "$OUT" "$T/bad.out"
cp "$ERR" "$T/bad.err"
ok "the unreadable file is named with its reason" \
    grep -q "put $T/locked -> mixed/unreadable: put: cannot open $T/locked" \
    "$T/bad.err"
ok "the invalid name is named with its reason" \
    grep -q "mixed/bad.name: invalid name: contains a control character" \
    "$T/bad.err"
ok "the bad line is named" grep -q "stdin line 4: expected LOCAL<TAB>NAME" \
    "$T/bad.err"
ok "the summary counts 2 ok and 3 failed" \
    grep -q '^put: 5 files, 2 ok, 3 failed' "$T/bad.out"
both_there() {
    cli 2 get mixed/ok1 "$T/ok1" && cli 2 get mixed/ok2 "$T/ok2" &&
        same "$SRC/d1/a/f1" "$T/ok1" && same "$SRC/d1/a/f3" "$T/ok2"
}
ok "the good files of that batch were stored" both_there

get_missing() {
    printf 'mixed/ok1\t%s\nmixed/nothere\t%s\n' "$T/m1" "$T/m2" |
        cli 3 get --batch -
}
exits 1 "get --batch with a missing name exits 1" get_missing
ok "the missing name is named" \
    grep -q "get mixed/nothere -> $T/m2: .*no such file" "$ERR"
ok "the other file of that batch arrived" same "$SRC/d1/a/f1" "$T/m1"

# A stored name that would escape LOCALDIR is refused by get -r, and
# nothing is written outside it.
mkdir -p "$T/jail"
ok "a name with '..' components can be stored" \
    cli 1 put "$SRC/d0/b/f1" 'esc/../../outside'
ok "and a harmless one beside it" cli 1 put "$SRC/d0/b/f2" 'esc/inside'
exits 1 "get -r with an escaping name exits 1" cli 2 get -r esc/ "$T/jail/dir"
ok "the escaping name is named with the reason" \
    grep -q "get esc/../../outside -> .*'\.\.' component would write outside LOCALDIR" "$ERR"
ok "nothing was written outside LOCALDIR" test ! -e "$T/outside" -a \
    ! -e "$T/jail/outside"
ok "the harmless file arrived" same "$SRC/d0/b/f2" "$T/jail/dir/inside"

# The gateway no longer hashes the chunks it passes on (the replicas do):
# a chunk whose bytes do not match its SHA-256 must still be refused.
bad_chunk() {
    local port
    port=$(tunnel_to 1) || return 1
    python3 - "127.0.0.1:$port" <<'PY'
import hashlib, socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
def send(t, payload):
    s.sendall(struct.pack(">IBBHII", 0x47444653, 1, t, 0, 1, len(payload)) + payload)
def recv_exact(n):
    b = b""
    while len(b) < n:
        more = s.recv(n - len(b))
        assert more, "connection closed"
        b += more
    return b
def recv():
    _, _, t, _, _, n = struct.unpack(">IBBHII", recv_exact(16))
    return t, recv_exact(n)
name = b"corrupt/x"
send(3, struct.pack(">H", len(name)) + name)  # PUT
t, p = recv()
assert t == 4, t  # PUT_READY
data = b"a" * 1000
sha = hashlib.sha256(data).digest()
send(5, struct.pack(">I", 0) + sha + struct.pack(">I", 1000) + b"b" + data[1:])
send(6, struct.pack(">QI", 1000, 1) + hashlib.sha256(sha).digest())  # PUT_END
t, p = recv()
assert t == 1, t  # ERROR
msg = p[6:6 + struct.unpack(">H", p[4:6])[0]].decode()
print(msg)
assert "checksum mismatch" in msg, msg
PY
}
ok "a chunk that does not match its SHA-256 is refused, naming why" bad_chunk
exits 1 "and nothing was stored under that name" cli 2 get corrupt/x -

# Usage errors.
exits 2 "put -r with one operand is a usage error" cli 1 put -r "$SRC"
exits 2 "--parallel 0 is a usage error" cli 1 -p 0 put -r "$SRC" x/
exits 2 "put -r of a missing directory fails naming it" cli 1 put -r "$T/nope" x/
ok "the missing directory is named" grep -q "$T/nope" "$ERR"

done_testing
