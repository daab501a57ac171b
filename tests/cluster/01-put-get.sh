#!/bin/bash
# One node: put and get files around the chunk boundaries, stdin/stdout,
# ls / locate / status / lshere output, and a failed get never leaves a
# partial local file.
set -u
. "$(dirname "$0")/lib.sh"

CHUNK=262144
SMALL=65536
declare -A SIZE=()

# roundtrip NODE NAME BYTES: put BYTES random bytes as NAME, get them back
# into a new file and compare.
roundtrip() {
    local i=$1 name=$2 bytes=$3
    rand_file "$T/src.$name" "$bytes"
    cli "$i" put "$T/src.$name" "$name" || return 1
    cli "$i" get "$name" "$T/dst.$name" || return 1
    same "$T/src.$name" "$T/dst.$name" || { echo "contents differ" >&2; return 1; }
    [ "$(stat -c %s "$T/dst.$name")" -eq "$bytes" ]
}

make_node_ini 1
ok "a new node (init) starts and answers status" start_node 1 init

ok "status exits 0 once the leader has looked: a group of one is healthy" \
    expect_within 5 0 status_rc 1
# The leader's figures are current only from its next pass after a
# change (its own first inventory report is one): read them when they are.
# status_to FILE [ARGS]: the exit status of status [ARGS], its output in FILE.
status_to() {
    local f=$1 rc=0
    shift
    cli 1 "$@" status >"$f" || rc=$?
    echo "$rc"
}
ok "status --json exits 0" expect_within 5 0 status_to "$T/status.json" --json
ok "status --json names node n1, leader n1, a term and one alive member" \
    json_ok "$T/status.json" "d['node'] == 'n1' and d['leader'] == 'n1' and
        isinstance(d['term'], int) and d['term'] >= 1 and
        [(m['id'], m['addr'], m['state']) for m in d['members']] ==
        [('n1', '$(addr_of 1)', 'alive')]"
ok "... healthy, with a replica target of 1 (a small group)" \
    json_ok "$T/status.json" "d['health'] == 'healthy' and
        d['replica_target'] == 1 and d['small_group'] is True"
ok "text status exits 0" expect_within 5 0 status_to "$T/status.txt"
ok "... and notes that the group has only 1 member" \
    grep -q '^note  *group has only 1 member: files keep 1 copy, not 3$' \
    "$T/status.txt"

for spec in "empty:0" "one:1" "chunk-1:$((CHUNK - 1))" "chunk:$CHUNK" \
    "chunk+1:$((CHUNK + 1))"; do
    name=${spec%%:*}
    SIZE[$name]=${spec#*:}
    ok "a ${SIZE[$name]}-byte file ($name) round-trips byte-identical" \
        roundtrip 1 "$name" "${SIZE[$name]}"
done
SIZE[ten-mb]=$((10 * 1024 * 1024))
ok "a 10 MiB random file round-trips byte-identical" \
    roundtrip 1 ten-mb "${SIZE[ten-mb]}"

rand_file "$T/stdin.src" 300000
SIZE[from-stdin]=300000
ok "put - reads the file from stdin" \
    bash -c "'$CLI_BIN' -n $(addr_of 1) put - from-stdin <'$T/stdin.src'"
cli 1 get from-stdin - >"$T/stdout.dst" 2>"$ERR"
result $? "get NAME - exits 0"
ok "get NAME - writes the same bytes to stdout" same "$T/stdin.src" "$T/stdout.dst"

# ls --json: exactly the files put, with their sizes.
for n in "${!SIZE[@]}"; do echo "$n ${SIZE[$n]}"; done >"$T/expected"
cli 1 --json ls >"$T/ls.json"
result $? "ls --json exits 0"
ok "ls --json lists every file with its size" \
    json_ok "$T/ls.json" "sorted((e['name'], e['size']) for e in d) ==
        sorted((l.split()[0], int(l.split()[1]))
               for l in open('$T/expected'))"

ver=$(cli 1 --json put "$T/src.chunk" chunk | json 'd["version"]')
cli 1 --json locate chunk >"$T/locate.json"
result $? "locate --json exits 0"
ok "locate --json gives name, version and one replica (node, addr, version, state)" \
    json_ok "$T/locate.json" "d['name'] == 'chunk' and d['version'] == $ver and
        [(r['node'], r['addr'], r['version'], r['state'])
         for r in d['replicas']] == [('n1', '$(addr_of 1)', $ver, 'alive')]"

cli 1 --json lshere >"$T/lshere.json"
result $? "lshere --json exits 0"
ok "lshere lists the same files as ls" \
    json_ok "$T/lshere.json" "sorted(e['name'] for e in d) ==
        sorted(l.split()[0] for l in open('$T/expected'))"
cli 1 lshere >"$T/lshere.txt"
ok "lshere (text) has one line per file" \
    test "$(wc -l <"$T/lshere.txt")" -eq "${#SIZE[@]}"

# A failed get leaves nothing behind in the target directory.
mkdir "$T/dl"
exits 1 "get of a missing name exits 1" cli 1 get no-such-file "$T/dl/x"
ok "... and leaves neither the file nor a temporary file" \
    test -z "$(ls -A "$T/dl")"
echo old >"$T/dl/keep"
exits 1 "get of a missing name over an existing file exits 1" \
    cli 1 get no-such-file "$T/dl/keep"
ok "... and leaves that file as it was" \
    test "$(ls -A "$T/dl")" = keep -a "$(cat "$T/dl/keep")" = old

# A node that dies in the middle of a get (a fake node: GET_INFO announces
# 3 chunks, one good chunk follows, then the connection closes or a chunk
# with a bad checksum comes).
cat >"$T/fake.py" <<'PY'
import hashlib, socket, struct, sys
port, mode = int(sys.argv[1]), sys.argv[2]
MAGIC = 0x47444653
def frame(t, reqid, payload):
    return struct.pack(">IBBHII", MAGIC, 1, t, 0, reqid, len(payload)) + payload
def recv_exact(c, n):
    b = b""
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x:
            raise SystemExit("client closed")
        b += x
    return b
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
magic, ver, t, flags, reqid, ln = struct.unpack(">IBBHII", recv_exact(c, 16))
recv_exact(c, ln)
cs = 4096
data = bytes(range(256)) * (cs // 256)
h = hashlib.sha256(data).digest()
filehash = hashlib.sha256(h * 3).digest()
c.sendall(frame(8, reqid, struct.pack(">QQQII", 1, 1, 3 * cs, cs, 3) + filehash))
c.sendall(frame(5, reqid, struct.pack(">I", 0) + h + struct.pack(">I", cs) + data))
if mode == "badsum":
    bad = bytes(cs)
    c.sendall(frame(5, reqid, struct.pack(">I", 1) + h + struct.pack(">I", cs) + bad))
c.close()
PY
for mode in close badsum; do
    fport=$(free_port)
    python3 "$T/fake.py" "$fport" "$mode" >"$T/fake.$mode.out" 2>&1 &
    track_pid $!
    expect_within 10 listening cat "$T/fake.$mode.out"
    # The fake node speaks plain frames behind an authenticated front
    # (node 1's group), as a real node would.
    tport=$(free_port)
    tunnel_from "$tport" "127.0.0.1:$fport" 1
    rm -rf "$T/dl" && mkdir "$T/dl"
    echo old >"$T/dl/keep"
    case $mode in
    close) what="closes the connection after one of three chunks" ;;
    badsum) what="sends a chunk with a wrong checksum" ;;
    esac
    exits 1 "get from a node that $what exits 1" \
        "$CLI_BIN" -n "127.0.0.1:$tport" get some-name "$T/dl/keep"
    ok "... and leaves the existing local file untouched, with no temporary file" \
        test "$(ls -A "$T/dl")" = keep -a "$(cat "$T/dl/keep")" = old
done

# A second node with 64 KiB chunks.
make_node_ini 2 files.chunk_size=$SMALL
ok "a node with chunk_size = $SMALL starts" start_node 2 init
for bytes in $((SMALL - 1)) $SMALL $((SMALL + 1)); do
    ok "with 64 KiB chunks, a $bytes-byte file round-trips byte-identical" \
        roundtrip 2 "small-$bytes" "$bytes"
done

kill_node 1 TERM
kill_node 2 TERM
ok "both nodes stop with status 0 on SIGTERM" \
    test "${NODE_RC[1]}" = 0 -a "${NODE_RC[2]}" = 0

done_testing
