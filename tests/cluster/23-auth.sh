#!/bin/bash
# Authentication as users meet it: joining needs a join token, clients a
# credential of the right role, a revoked join token cannot enrol, secrets
# in files only others cannot read, a database made before authentication
# is refused with what to do, and the bytes on the wire are encrypted.
set -u
. "$(dirname "$0")/lib.sh"

launch_cluster 3
result $? "a 3-node group starts, n2 and n3 joining with join tokens"

ok "the group key is private: mode 600 on every node" \
    bash -c 'for i in 1 2 3; do
                 [ "$(stat -c %a "'"$T"'/n$i/data/group.key")" = 600 ] || exit 1
             done'
ok "n2 and n3 hold the same group key as n1" \
    bash -c 'cmp "'"$T"'/n1/data/group.key" "'"$T"'/n2/data/group.key" &&
             cmp "'"$T"'/n1/data/group.key" "'"$T"'/n3/data/group.key"'

# --- clients
exits 2 "gdfs-cli without a credential exits 2" \
    env -u GDFS_KEY_FILE "$CLI_BIN" -n "$(addr_of 1)" status
ok "... and says how to get one" grep -q "no credential: give --key-file" "$ERR"
ok "gdfs-cli -c node.ini on the node's host acts with its admin rights" \
    replies env -u GDFS_KEY_FILE "$CLI_BIN" -c "$T/n2/node.ini" status
(umask 077 && "$NODE_BIN" -c "$T/n1/node.ini" token --role read >"$T/read.key")
ok "token --role read prints one credential line" \
    grep -Eq '^gdfs1:read:[0-9a-f]{16}:[0-9a-f]{64}$' "$T/read.key"
ok "a read credential lists files" \
    "$CLI_BIN" --key-file "$T/read.key" -n "$(addr_of 2)" ls
echo hello >"$T/hello.txt"
exits 1 "a read credential cannot put" \
    "$CLI_BIN" --key-file "$T/read.key" -n "$(addr_of 2)" put "$T/hello.txt" h
ok "... and is told why" grep -q "permission denied: role read cannot put" "$ERR"
cp "$T/read.key" "$T/open.key" && chmod 644 "$T/open.key"
exits 2 "a key file that others may read is refused" \
    "$CLI_BIN" --key-file "$T/open.key" -n "$(addr_of 2)" ls
ok "... naming the fix" grep -q "chmod 600" "$ERR"
sed 's/:\([0-9a-f]\)\([0-9a-f]*\)$/:\2\1/' "$T/read.key" >"$T/wrong.key"
chmod 600 "$T/wrong.key"
exits 1 "a credential with a wrong key fails to authenticate" \
    "$CLI_BIN" --key-file "$T/wrong.key" -n "$(addr_of 2)" ls
ok "... with 'authentication failed'" grep -q "authentication failed" "$ERR"
exits 2 "token with an unknown role exits 2" \
    "$NODE_BIN" -c "$T/n1/node.ini" token --role root

# --- joining
make_node_ini 4
exits 2 "join without a token exits 2" \
    timeout 10 "$NODE_BIN" -c "$T/n4/node.ini" join "$(addr_of 1)"
ok "... saying a join token is needed" grep -q "join needs a join token" "$ERR"
exits 2 "join with a client credential instead of a join token exits 2" \
    timeout 10 "$NODE_BIN" -c "$T/n4/node.ini" join --token-file "$T/read.key" \
    "$(addr_of 1)"
ok "... saying it is not a join token" grep -q "not a join token" "$ERR"
(umask 077 && "$NODE_BIN" -c "$T/n1/node.ini" token --role node >"$T/join.token")
sed 's/:\([0-9a-f]\)\([0-9a-f]*\)$/:\2\1/' "$T/join.token" >"$T/badjoin.token"
exits 2 "join with a forged join token exits 2" \
    timeout 10 "$NODE_BIN" -c "$T/n4/node.ini" join --token \
    "$(cat "$T/badjoin.token")" "$(addr_of 1)"
ok "... authentication failed" grep -q "authentication failed" "$ERR"
ok "... and no group key was stored" test ! -e "$T/n4/data/group.key"
exits 1 "revoking a member's id is refused (a member leaves, it is not revoked)" \
    "$NODE_BIN" -c "$T/n1/node.ini" revoke n2
ok "... saying what a credential id is" grep -q "is not a credential id" "$ERR"
jid=$(cut -d: -f3 "$T/join.token")
ok "revoke the join token through n1" "$NODE_BIN" -c "$T/n1/node.ini" revoke "$jid"
sleep 2 # the revocation reaches every member within about a second
exits 2 "a revoked join token cannot enrol (through n3)" \
    timeout 10 "$NODE_BIN" -c "$T/n4/node.ini" join --token-file "$T/join.token" \
    "$(addr_of 3)"
ok "... authentication failed: credential revoked" \
    grep -q "authentication failed: credential revoked" "$ERR"
ok "a fresh join token lets n4 join" start_node 4 join "$(addr_of 1)"
expect_within 30 4 alive_count 1
result $? "the group has 4 members alive"

# --- encryption on the wire: a relay between gdfs-cli and n1 sees no
# plaintext of a put it carries.
relay_port=$(free_port)
python3 - "$relay_port" "$(addr_of 1)" "$T/wire.bin" <<'PY' &
import socket, sys, threading
port, target, dump = int(sys.argv[1]), sys.argv[2], sys.argv[3]
host, tport = target.rsplit(":", 1)
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(4)
out = open(dump, "wb", buffering=0)
lock = threading.Lock()
def pump(a, b):
    while True:
        try:
            d = a.recv(65536)
        except OSError:
            d = b""
        if not d:
            try: b.shutdown(socket.SHUT_WR)
            except OSError: pass
            return
        with lock: out.write(d)
        b.sendall(d)
while True:
    c, _ = srv.accept()
    u = socket.create_connection((host, int(tport)))
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
PY
track_pid $!
expect_within 5 ok bash -c "echo > /dev/tcp/127.0.0.1/$relay_port && echo ok"
for _ in $(seq 200); do echo "PLAINTEXT-MARKER-7f3a9c"; done >"$T/marker.txt"
ok "a put through the relay succeeds" \
    "$CLI_BIN" -n "127.0.0.1:$relay_port" put "$T/marker.txt" marker.txt
ok "the relay carried bytes" test -s "$T/wire.bin"
ok "... none of them the file's plaintext" \
    bash -c "! grep -q PLAINTEXT-MARKER-7f3a9c '$T/wire.bin'"
ok "... nor its name" bash -c "! grep -q marker.txt '$T/wire.bin'"
ok "the file reads back byte-identical" \
    bash -c "'$CLI_BIN' -n '$(addr_of 2)' get marker.txt '$T/marker.back' &&
             cmp '$T/marker.txt' '$T/marker.back'"

# --- a database made before authentication
stop_node 3
mv "$T/n3/data/group.key" "$T/n3/group.key.saved"
exits 2 "a database without a group key is refused at start" \
    timeout 10 "$NODE_BIN" -c "$T/n3/node.ini"
ok "... saying it was made without authentication and what to do" \
    grep -q "made by a gdfs without authentication.*start a new group" "$ERR"
mv "$T/n3/group.key.saved" "$T/n3/data/group.key"
ok "with its key back, n3 restarts" start_node 3

done_testing
