#!/bin/bash
# Bad input: invalid names are refused by gdfs-cli (exit 2) and by the node
# (on the wire); garbage frames, stalled and idle clients do not hurt the
# node or the other clients, and are dropped in time.
set -u
. "$(dirname "$0")/lib.sh"

IDLE_MS=1000
IO_MS=2000

# raw.py HOST:PORT MODE [WAIT]: send (bad) frames to a node and print what
# it did: "sent", then "error STATUS (MSG) then eof after S s",
# "eof after S s", "reset after S s" or "open after S s" (nothing happened
# within WAIT seconds).
cat >"$T/raw.py" <<'PY'
import os, socket, struct, sys, time
host, port = sys.argv[1].rsplit(":", 1)
mode = sys.argv[2]
wait = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
MAGIC = 0x47444653
def hdr(t, ln, magic=MAGIC, ver=1, flags=0, reqid=7):
    return struct.pack(">IBBHII", magic, ver, t, flags, reqid, ln)
def frame(t, payload, **kw):
    return hdr(t, len(payload), **kw) + payload
def name(n):
    return struct.pack(">H", len(n)) + n
sends = {
    "random": os.urandom(4096),
    "hugelen": hdr(14, 0xFFFFFFF0),
    "toolong": hdr(5, 4 * 1024 * 1024 + 64 * 1024 + 1),
    "badmagic": frame(14, b"", magic=0x12345678),
    "badversion": frame(14, b"", ver=9),
    "badflags": frame(14, b"", flags=0x8000),
    "badtype": frame(200, b""),
    "trailing": frame(14, b"junk"),
    "badname": frame(3, name(b"a\nb")),
    "emptyname": frame(3, name(b"")),
    "longname": frame(3, name(b"x" * 1025)),
    "namelen": frame(3, struct.pack(">H", 500) + b"abc"),
    "chunkfirst": frame(5, struct.pack(">I", 0) + bytes(32) + struct.pack(">I", 1) + b"x"),
    "putendfirst": frame(6, struct.pack(">QI", 0, 0) + bytes(32)),
    "reply": frame(2, struct.pack(">QQ", 1, 1)),
    "trunc": hdr(14, 0)[:7],
    "half": hdr(3, 100) + name(b"x")[:2] + b"abcdefgh",
    "idle": b"",
    # a put that stops in the middle of its first chunk
    "midput": frame(3, name(b"abandoned")),
}
s = socket.create_connection((host, int(port)), timeout=5)
s.sendall(sends[mode])
if mode == "trunc":
    s.close()
    print("sent 7 header bytes and closed")
    sys.exit(0)
if mode == "midput":
    r = s.recv(16)
    m, v, t, f, reqid, ln = struct.unpack(">IBBHII", r)
    s.recv(ln)
    if t != 4:
        sys.exit("expected PUT_READY, got type %d" % t)
    s.sendall(hdr(5, 4 + 32 + 4 + 1000, reqid=reqid) + struct.pack(">I", 0)
              + bytes(32) + struct.pack(">I", 1000) + b"y" * 100)
t0 = time.monotonic()
print("sent", flush=True)
s.settimeout(0.1)
buf = b""
while True:
    el = time.monotonic() - t0
    if el > wait:
        print("open after %.1f s" % el)
        break
    try:
        x = s.recv(65536)
    except socket.timeout:
        continue
    except ConnectionResetError:
        print("reset after %.1f s" % (time.monotonic() - t0))
        break
    if not x:
        what = "eof"
        if len(buf) >= 16:
            m, v, t, f, r, ln = struct.unpack(">IBBHII", buf[:16])
            if t == 1 and len(buf) >= 22:
                st, ml = struct.unpack(">IH", buf[16:22])
                what = "error %d (%s) then eof" % (
                    st, buf[22:22 + ml].decode("utf-8", "replace"))
            else:
                what = "frame type %d then eof" % t
        print("%s after %.1f s" % (what, time.monotonic() - t0))
        break
    buf += x
PY

# hold N: open N idle connections to node 1 and keep them until killed.
cat >"$T/hold.py" <<'PY'
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
socks = [socket.create_connection((host, int(port))) for _ in range(int(sys.argv[2]))]
print("open", flush=True)
time.sleep(60)
PY

# Raw frames travel through the authenticated channel (tunnel_to), as a
# client with a credential would send them.
raw() {
    python3 "$T/raw.py" "127.0.0.1:$TUN1" "$@"
}

# still_serves: status answers and a fresh put/get round-trips. (Its
# exit status is not the point: right after start the leader may not
# have reconciled its own copies yet, and says "degraded", exit 3.)
K=0
still_serves() {
    K=$((K + 1))
    answers 1 || return 1
    rand_file "$T/probe.$K" 70000
    cli 1 put "$T/probe.$K" "probe-$K" >/dev/null || return 1
    cli 1 get "probe-$K" "$T/probe.$K.back" && same "$T/probe.$K" "$T/probe.$K.back"
}

make_node_ini 1 node.idle_timeout_ms=$IDLE_MS transport.io_timeout_ms=$IO_MS
ok "a node with idle_timeout_ms = $IDLE_MS and io_timeout_ms = $IO_MS starts" \
    start_node 1 init
TUN1=$(tunnel_to 1)
result $? "a plain-to-authenticated tunnel to n1 for raw frames"

# --- names
echo data >"$T/small"
long1025=$(printf 'n%.0s' $(seq 1 1025))
long1024=${long1025:1}
bad_what=("empty" "1025 bytes long" "with a newline" "with a tab"
    "with byte 0x7f" "with byte 0x01")
bad_name=("" "$long1025" a$'\n'b a$'\t'b a$'\x7f'b a$'\x01'b)
for k in "${!bad_what[@]}"; do
    exits 2 "put of a name ${bad_what[$k]} exits 2" \
        cli 1 put "$T/small" "${bad_name[$k]}"
    ok "... with a message about the name" grep -q 'invalid name' "$ERR"
done
bad=a$'\n'b
for cmd in get remove locate versions; do
    args=("$bad")
    [ "$cmd" = get ] && args+=("$T/nl-out")
    exits 2 "$cmd of a name with a newline exits 2" cli 1 "$cmd" "${args[@]}"
done
ok "no file was stored under a bad name" \
    test "$(cli 1 --json ls)" = "[]"

rand_file "$T/long.src" 5000
ok "put of a 1024-byte name succeeds" cli 1 put "$T/long.src" "$long1024"
ok "... get returns its bytes" \
    bash -c "'$CLI_BIN' -n $(addr_of 1) get '$long1024' - | cmp -s - '$T/long.src'"
cli 1 --json ls >"$T/ls.json"
ok "... and ls --json shows the whole name" \
    json_ok "$T/ls.json" "[e['name'] for e in d] == ['n' * 1024]"
odd='dir/sub dir/ünï cödé "quoted" \back;semi#hash'
rand_file "$T/odd.src" 3000
ok "a name with slashes, spaces, UTF-8, quotes, backslash, ; and # round-trips" \
    bash -c "'$CLI_BIN' -n $(addr_of 1) put '$T/odd.src' '$odd' >/dev/null &&
        '$CLI_BIN' -n $(addr_of 1) get '$odd' - | cmp -s - '$T/odd.src'"
cli 1 --json locate "$odd" >"$T/odd.json"
printf '%s' "$odd" >"$T/odd.name"
ok "... and locate --json escapes it correctly" \
    json_ok "$T/odd.json" "d['name'].encode() == open('$T/odd.name', 'rb').read()"

# --- garbage on the wire
expect_frame() { # expect_frame MODE REGEX: raw.py's last line matches REGEX
    raw "$1" 5 >"$T/raw.$1" 2>&1
    tail -n 1 "$T/raw.$1" | grep -Eq "$2"
}
ok "4 KiB of random bytes: the node closes the connection" \
    expect_frame random '^(error 9 .* then eof|eof|reset) after'
ok "... and still serves status and put/get" still_serves
ok "a header announcing a 4 GiB payload: ERROR (protocol error), then close" \
    expect_frame hugelen '^error 9 .*then eof after'
ok "... and still serves status and put/get" still_serves
ok "a header one byte over the largest payload: ERROR, then close" \
    expect_frame toolong '^error 9 .*then eof after'
for m in badmagic badversion badflags badtype trailing badname emptyname \
    longname namelen chunkfirst putendfirst reply; do
    case $m in
    badmagic) what="a wrong magic" ;;
    badversion) what="protocol version 9" ;;
    badflags) what="a flag bit outside GDFS_FLAG_MASK" ;;
    badtype) what="message type 200" ;;
    trailing) what="a STATUS with trailing bytes" ;;
    badname) what="a PUT of a name with a newline" ;;
    emptyname) what="a PUT of an empty name" ;;
    longname) what="a PUT of a 1025-byte name" ;;
    namelen) what="a PUT whose name length runs past the frame" ;;
    chunkfirst) what="a CHUNK with no PUT before it" ;;
    putendfirst) what="a PUT_END with no PUT before it" ;;
    reply) what="a node-to-client OK frame sent to the node" ;;
    esac
    ok "$what: ERROR (protocol error), then close" \
        expect_frame "$m" '^error 9 .*then eof after'
done
ok "... and after all of those the node still serves status and put/get" \
    still_serves
ok "a truncated header, then close: the node carries on" \
    expect_frame trunc 'closed$'
ok "... and still serves status and put/get" still_serves

# --- stalled and idle clients
python3 "$T/raw.py" "127.0.0.1:$TUN1" half 15 >"$T/half.out" 2>&1 &
half_pid=$!
track_pid $half_pid
python3 "$T/raw.py" "127.0.0.1:$TUN1" idle 15 >"$T/idle.out" 2>&1 &
idle_pid=$!
track_pid $idle_pid
expect_within 5 sent cat "$T/half.out"
result $? "a client sends half a frame and stalls"
expect_within 5 sent cat "$T/idle.out"
result $? "another client connects and sends nothing"
start_ns=$(date +%s%N)
still_serves
rc=$?
ms=$((($(date +%s%N) - start_ns) / 1000000))
open_still=$(cat "$T/half.out")
result $rc "meanwhile a third client's status, put and get succeed" "${ms} ms"
ok "... while the stalled client is still connected" test "$open_still" = sent
wait $idle_pid
ok "the idle client is dropped after about idle_timeout_ms ($IDLE_MS ms)" \
    grep -Eq '^eof after (0\.[89]|1\.[0-9]|2\.[0-9]) s' "$T/idle.out"
diag "idle client: $(tail -n 1 "$T/idle.out")"
wait $half_pid
ok "the stalled half frame is dropped after about io_timeout_ms ($IO_MS ms)" \
    grep -Eq '^eof after (1\.[89]|[23]\.[0-9]) s' "$T/half.out"
diag "stalled client: $(tail -n 1 "$T/half.out")"

ok "a put that stalls in the middle of a chunk is dropped within a few seconds" \
    expect_frame midput '^(error [0-9]+ .*then )?eof after [1-5]\.[0-9] s'
diag "mid-put client: $(tail -n 1 "$T/raw.midput")"
ok "... and its name is not listed" \
    bash -c "! '$CLI_BIN' -n $(addr_of 1) ls | grep -q abandoned"
exits 1 "... and get of it exits 1" cli 1 get abandoned "$T/abandoned"
ok "... and the node still serves status and put/get" still_serves

# --- more connections than max_clients
make_node_ini 2 node.max_clients=4 node.idle_timeout_ms=$IDLE_MS
ok "a node with max_clients = 4 starts" start_node 2 init
# start_node's own status probe may still hold a slot for a moment.
expect_within 5 '.*"node": "n2".*' cli 2 --json status >/dev/null
TUN2=$(tunnel_to 2)
python3 "$T/hold.py" "127.0.0.1:$TUN2" 4 >"$T/hold.out" 2>&1 &
hold_pid=$!
track_pid $hold_pid
expect_within 5 open cat "$T/hold.out"
result $? "4 idle clients connect"
sleep 0.3 # the tunnel finishes their handshakes (well within idle_timeout_ms)
exits 1 "a 5th client is refused with exit 1" cli 2 status
ok "... and told the node is busy" grep -q busy "$ERR"
ok "once the idle clients are dropped, status works again" \
    expect_within 5 '.*"node": "n2".*' cli 2 --json status
kill "$hold_pid"

# A put from a pipe that pauses between chunks longer than io_timeout_ms
# (but less than idle_timeout_ms) is not cut off: between frames the node
# allows the idle timeout.
make_node_ini 3 node.idle_timeout_ms=5000 transport.io_timeout_ms=1000 \
    files.chunk_size=4096
ok "a node with chunk_size 4096, io_timeout_ms 1000 starts" start_node 3 init
ok "a put from a pipe pausing 2 s between chunks succeeds" \
    bash -c "(head -c 5000 /dev/zero; sleep 2; head -c 5000 /dev/zero) |
        GDFS_KEY_FILE='$(key_for 3)' '$CLI_BIN' -n $(addr_of 3) put - paused"
cli 3 get paused - | wc -c >"$T/paused.size"
ok "... and reads back all 10000 bytes" grep -qx 10000 "$T/paused.size"

done_testing
