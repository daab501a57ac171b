#!/bin/bash
# A hostile peer against a 3-node group (tests/tools/hostile.c): every
# attack the open protocol took (a forged APPEND at the leader's term, huge
# terms, fake JOINs, forged LEAVE/DRAIN/META_SYNC, record log appends
# (LOG_APPEND) at the leader's term and at term 2^63-1, REPLICATE from the
# attacker's address, ALLOC/COMMIT, reads and writes, asking for the group
# key), first without a credential (plain frames; TLS with a wrong key, a
# forged member identity, a made-up and a malformed one), then as an
# authenticated read, write and admin client; the record log appends also
# as a member that does not lead; a revoked credential (on an open
# connection too) and a revoked join token; and hundreds of idle
# connections, from one source and from twenty, while a client with a
# credential puts and gets. Afterwards nothing has changed: same leader and
# term, the same three members alive, every file byte-identical from every
# node, every node alive and serving, and nobody connected to the
# attacker's address.
set -u
. "$(dirname "$0")/lib.sh"

H=$GDFS_BUILDDIR/tests/tools/hostile
if [ ! -x "$H" ]; then
    echo "Bail out! $H is missing (make check builds it; by hand: make tests/tools/hostile)"
    exit 99
fi
ALL="1 2 3"
NFILES=5

# as KEY I ARGS...: gdfs-cli to node I proving credential KEY.
as() {
    local key=$1 i=$2
    shift 2
    "$CLI_BIN" -n "$(addr_of "$i")" --key-file "$key" "$@"
}

# token ROLE FILE: a new credential of ROLE, made on n1, into FILE.
token() {
    (umask 077 && "$NODE_BIN" -c "$T/n1/node.ini" token --role "$1" >"$2")
}

# cred_id FILE: the ID of the credential in FILE.
cred_id() {
    cut -d: -f3 "$1"
}

# refused KEY I: "refused" if gdfs-cli to node I with KEY fails (its
# stderr in $T/refusedI.err), else "served".
refused() {
    if as "$1" "$2" status >/dev/null 2>"$T/refused$2.err"; then
        echo served
    else
        echo refused
    fi
}

# serves_all KEY: every node serves status to KEY.
serves_all() {
    local i
    for i in $ALL; do
        as "$1" "$i" status >/dev/null || return 1
    done
}

# gone PID: "gone" once PID has exited.
gone() {
    alive "$1" || echo gone
}

# all_lines FILE N REGEX: FILE has N lines and each matches ATTACK: REGEX;
# names the lines that do not.
all_lines() {
    local file=$1 n=$2 re=$3 bad
    bad=$(grep -Ev "^[a-z0-9-]+: ($re)" "$file")
    if [ -n "$bad" ] || [ "$(wc -l <"$file")" -ne "$n" ]; then
        diag "expected $n lines matching: $re; got $(wc -l <"$file"), these differ:"
        diag "${bad:-(none)}"
        return 1
    fi
}

# one_view I, the_view: "LEADER TERM MEMBERS" as node I sees them, and as
# every node agrees on them; MEMBERS as sorted "id=state" pairs. (From the
# text status, without python3: this runs often, under load.)
one_view() {
    local out m
    out=$(cli "$1" status)
    case $? in 0 | 3) ;; *) return 1 ;; esac # healthy or degraded
    m=$(printf '%s\n' "$out" | awk '/^  [^ ]/ { print $1 "=" $3 }' | sort |
        paste -sd, -)
    printf '%s\n' "$out" |
        awk -v m="$m" '$1 == "leader" { l = $2 } $1 == "term" { t = $2 }
            END { print l, t, m }'
}
the_view() {
    local i v first=""
    for i in $ALL; do
        v=$(one_view "$i") || return 1
        [ -n "$first" ] || first=$v
        [ "$v" = "$first" ] || return 1
    done
    echo "$first"
}

# ---- the group and its files ---------------------------------------------

ok "a 3-node group forms" launch_cluster 3
ok "the three agree on the leader and see each other alive" \
    expect_within 10 "n[123] [0-9]+ n1=alive,n2=alive,n3=alive" the_view
VIEW0=$EW_LAST
L=${VIEW0%% *}
L=${L#n}
FOLLOWERS=$(echo $ALL | tr ' ' '\n' | grep -vx "$L" | tr '\n' ' ')
diag "before: $VIEW0"

sizes=(1 5000 100000 300000 1100000)
rc=0
for k in $(seq 1 $NFILES); do
    rand_file "$T/f$k" "${sizes[$((k - 1))]}"
    cli $(((k % 3) + 1)) put "$T/f$k" "file$k" >/dev/null 2>>"$ERR" || rc=1
done
result $rc "five files of 1 B to 1.1 MB are put through all three nodes"
ok "... and read back byte-identical from every node" files_read_back $ALL

# The attacker's own address: a REPLICATE or LOG_APPEND that worked would
# make a node connect here.
AP=$(free_port)
USED_PORTS[$AP]=1
python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
log = open(sys.argv[2], "a", buffering=1)
log.write("listening\n")
while True:
    c, a = s.accept()
    log.write("connection from %s:%d\n" % a)
    c.close()
' "$AP" "$T/attacker.log" 2>/dev/null &
ok "the attacker listens on 127.0.0.1:$AP" \
    expect_within 5 listening cat "$T/attacker.log"

# What the attacks are built from: what a status and an ls tell, one word
# per line (--group G --term N --member ID=ADDR... --seq S).
cli "$L" --json status >"$T/st0.json"
cli "$L" --json ls >"$T/ls0.json"
mapfile -t FACTS < <(python3 -c 'import json, sys
st = json.load(open(sys.argv[1]))
ls = json.load(open(sys.argv[2]))
print("--group", st["group"], "--term", st["term"], sep="\n")
for m in st["members"]:
    print("--member", m["id"] + "=" + m["addr"], sep="\n")
print("--seq", [f["version"] for f in ls if f["name"] == "file1"][0], sep="\n")
' "$T/st0.json" "$T/ls0.json")
SEQ1=${FACTS[-1]}
FACTS+=(--leader "n$L" --file file1 --attacker "127.0.0.1:$AP")
NATTACKS=$("$H" --list | wc -l)
diag "attack facts: ${FACTS[*]}"

# ---- (i) without a credential --------------------------------------------

for i in $ALL; do
    "$H" "${FACTS[@]}" "$(addr_of "$i")" all >"$T/plain$i.out" 2>&1
    ok "plain frames: all $NATTACKS attacks to n$i get no gdfs reply" \
        all_lines "$T/plain$i.out" "$NATTACKS" "no gdfs reply: (closed|reset)"
done

token write "$T/write.key"
token read "$T/read.key"
token admin "$T/admin2.key"
rand_key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
while IFS='|' read -r what ident; do
    for i in $ALL; do
        "$H" --identity "$ident" --key "$rand_key" "${FACTS[@]}" \
            "$(addr_of "$i")" all >"$T/tls$i.out" 2>&1 </dev/null
        ok "TLS $what ('$ident'): all $NATTACKS attacks to n$i refused at the handshake" \
            all_lines "$T/tls$i.out" "$NATTACKS" "refused at handshake: authentication failed"
    done
done <<EOF
with an issued id and a wrong key|write $(cred_id "$T/write.key")
forging the leader's member identity|member n$L
with a made-up identity|admin root
with a malformed identity|admin ../../etc/passwd
EOF
rc=0
for i in $ALL; do
    grep -q "authentication failed" "$T/n$i/log" || rc=1
done
result $rc "every node logged the failed authentications"

# ---- (ii) read, write, revoked -------------------------------------------

exits 1 "a read credential cannot put" as "$T/read.key" "$L" put "$T/f1" file1
ok "... and says so: permission denied: role read cannot put" \
    grep -q "permission denied: role read cannot put" "$ERR"
exits 1 "a read credential cannot remove" as "$T/read.key" "$L" remove file2
ok "... permission denied: role read cannot remove" \
    grep -q "permission denied: role read cannot remove" "$ERR"
exits 1 "a read credential cannot make a node leave" \
    as "$T/read.key" "$(echo $FOLLOWERS | cut -d' ' -f1)" leave
ok "... permission denied: role read cannot leave" \
    grep -q "permission denied: role read cannot leave" "$ERR"
ok "a read credential still reads" as "$T/read.key" "$L" get file3 "$T/g"
ok "... the right bytes" same "$T/f3" "$T/g"

exits 1 "a write credential cannot make a node leave" \
    as "$T/write.key" "$L" leave
ok "... permission denied: role write cannot leave" \
    grep -q "permission denied: role write cannot leave" "$ERR"
exits 1 "a write credential cannot revoke the admin (put under .gdfs/)" \
    as "$T/write.key" "$L" put "$T/f1" ".gdfs/revoked/$(cred_id "$T/admin2.key")"
ok "... names under .gdfs/ belong to the group" \
    grep -q "permission denied: names under .gdfs/ belong to the group" "$ERR"

# A write credential, used on an open connection, then revoked.
token write "$T/w2.key"
W2=$(cred_id "$T/w2.key")
ok "a second write credential works on every node" serves_all "$T/w2.key"
"$H" --key-file "$T/w2.key" --repeat 20 "$(addr_of "$L")" status \
    >"$T/repeat.out" 2>&1 &
RP=$!
sleep 0.5 # a few requests served on the open connection first
ok "gdfs-node revoke $W2 through n1" \
    "$NODE_BIN" -c "$T/n1/node.ini" revoke "$W2"
for i in $ALL; do
    ok "n$i refuses the revoked credential within 5 s" \
        expect_within 5 refused refused "$T/w2.key" "$i"
    ok "... saying: credential revoked (id $W2" \
        grep -q "authentication failed: credential revoked (id $W2" "$T/refused$i.err"
done
exits 1 "a put with the revoked credential fails (exit 1)" \
    as "$T/w2.key" "$L" put "$T/f1" file1
ok "... authentication failed: credential revoked (id $W2" \
    grep -q "authentication failed: credential revoked (id $W2" "$ERR"
ok "the connection opened before the revocation is refused too, and closed" \
    expect_within 25 gone gone "$RP"
wait "$RP" 2>/dev/null
diag "$(cat "$T/repeat.out")"
ok "... after serving it until then" \
    grep -Eq "^status: [0-9]+ x REPLY NDTOCL_STATUS; then 1 x ERROR GDFS_EAUTH: authentication failed: credential revoked \(id $W2" "$T/repeat.out"
for i in $ALL; do
    exits 1 "an admin cannot lift the revocation through n$i (remove it)" \
        as "$T/admin2.key" "$i" remove ".gdfs/revoked/$W2"
    ok "... a revocation is for good" \
        grep -q "permission denied: a revocation is for good" "$ERR"
done
ok "... and the revoked credential is still refused" \
    test "$(refused "$T/w2.key" "$L")" = refused

token node "$T/n4.token"
ok "a join token, revoked" \
    "$NODE_BIN" -c "$T/n1/node.ini" revoke "$(cred_id "$T/n4.token")"
make_node_ini 4
expect_within 5 refused refused "$T/n4.token" "$L"
start_node 4 join --token-file "$T/n4.token" "$(addr_of "$L")" >/dev/null
result "$([ "${NODE_RC[4]:-}" = 2 ] && echo 0 || echo 1)" \
    "... no longer lets a node join (exit ${NODE_RC[4]:-none}, expected 2)"
ok "... the joining node says why: revoked" \
    grep -q "credential revoked (id $(cred_id "$T/n4.token")" "$T/n4/log"

# ---- (iii) authenticated clients sending node messages -------------------

NNODE=$("$H" --list | grep -c " NDTOND_")
for key in write admin2; do
    for i in $ALL; do
        "$H" --key-file "$T/$key.key" "${FACTS[@]}" "$(addr_of "$i")" \
            node enrol >"$T/$key$i.out" 2>&1
        ok "$NNODE node messages and an ENROL from the ${key%2} client to n$i: permission denied" \
            all_lines "$T/$key$i.out" $((NNODE + 1)) "ERROR GDFS_EPERM: permission denied"
    done
done
"$H" --key-file "$T/write.key" "${FACTS[@]}" "$(addr_of "$L")" cltond-leave \
    >"$T/wleave.out" 2>&1
ok "a write client's CLTOND_LEAVE: permission denied" \
    all_lines "$T/wleave.out" 1 "ERROR GDFS_EPERM: permission denied: role write cannot leave"
"$H" --key-file "$T/write.key" "${FACTS[@]}" "$(addr_of "$L")" cltond-forget \
    >"$T/wforget.out" 2>&1
ok "a write client's CLTOND_FORGET: permission denied" \
    all_lines "$T/wforget.out" 1 "ERROR GDFS_EPERM: permission denied: role write cannot forget"

# A member that does not lead (a follower's credential, through a tunnel
# that proves it; hostile speaks plain frames into the tunnel): its record
# log appends are refused before any handler sees them, at the leader's
# term because another member leads it, at term 2^63-1 because no node
# knows a leader of that term (after up to 1 s).
MA=$(echo $FOLLOWERS | cut -d' ' -f1)
for i in $ALL; do
    TP=$(tunnel_to "$i" "$MA")
    "$H" "${FACTS[@]}" "127.0.0.1:$TP" log-append >"$T/mla$i.out" 2>&1
    ok "member n$MA's LOG_APPEND at the leader's term to n$i: permission denied, n$L leads it" \
        all_lines "$T/mla$i.out" 1 "ERROR GDFS_EPERM: permission denied: NDTOND_LOG_APPEND from n$MA, but n$L leads term [0-9]+ here"
    "$H" "${FACTS[@]}" "127.0.0.1:$TP" log-append-term >"$T/mlt$i.out" 2>&1
    ok "member n$MA's LOG_APPEND at term 2^63-1 to n$i: no leader of that term" \
        all_lines "$T/mlt$i.out" 1 "ERROR GDFS_ENOTLEADER: NDTOND_LOG_APPEND from n$MA for term 9223372036854775807: this node knows no leader of that term"
done
ok "after every attack: the same leader, term and members" \
    expect_within 3 "$VIEW0" the_view

# ---- (iv) idle connections -----------------------------------------------

# idle_flood NAME SOURCES N MIN_S [RESTART]: N idle connections to every
# node from SOURCES (each one a node closes is opened again: at once if it
# held a handshake slot until it timed out, else a second later), held while
# node RESTART (if given) is SIGKILLed, restarted and back in the group
# within 10 s, and a client with a credential puts and gets through every
# node four times, each at the first try, and the group stays whole; the
# flood stops after MIN_S seconds at the earliest.
FLOOD_FILES=()
idle_flood() {
    local name=$1 sources=$2 n=$3 min=$4 restart=${5:-} i k pids=() rc=0 v
    local t0=$SECONDS
    for i in $ALL; do
        "$H" --source "$sources" "$(addr_of "$i")" idle "$n" 120 1000 \
            >"$T/idle-$name$i.out" 2>&1 &
        pids+=($!)
    done
    sleep 1
    if [ -n "$restart" ]; then
        kill_node "$restart"
        start_node "$restart" >/dev/null &&
            expect_within 10 "$VIEW0" the_view ||
            { diag "$name: n$restart did not come back: ${EW_LAST:-}"; rc=1; }
    fi
    for k in 1 2 3 4; do
        i=$(((k % 3) + 1))
        rand_file "$T/$name$k" 70000
        if cli "$i" put "$T/$name$k" "$name$k" >/dev/null 2>>"$T/$name.err" &&
            cli $(((i % 3) + 1)) get "$name$k" "$T/g" >/dev/null 2>>"$T/$name.err" &&
            same "$T/$name$k" "$T/g"; then
            FLOOD_FILES+=("$name$k")
        else
            diag "$name: put/get $name$k through n$i failed: $(tail -n 1 "$T/$name.err")"
            rc=1
        fi
        # The leader and term must not move (a new term never goes back).
        # A member the flood starves of handshakes may be marked failed for
        # a moment (failure detection cannot tell a starved node from a
        # dead one): it must be back within 5 s.
        v=$(the_view)
        if [ "$v" != "$VIEW0" ] &&
            expect_within 5 "$VIEW0" the_view >/dev/null; then
            diag "$name: for a moment: ${v:-the nodes disagreed}"
        elif [ "$v" != "$VIEW0" ]; then
            diag "$name: status refused, or the group changed: ${v:-no agreed view}"
            rc=1
        fi
    done
    while [ $((SECONDS - t0)) -lt "$min" ]; do
        sleep 0.2
    done
    for i in "${pids[@]}"; do
        alive "$i" || { diag "$name: flood $i ended early"; rc=1; }
    done
    kill -TERM "${pids[@]}" 2>/dev/null
    wait "${pids[@]}"
    return $rc
}

# idle_figures NAME: what each node did with flood NAME's connections.
idle_figures() {
    local i
    for i in $ALL; do
        diag "n$i: $(cat "$T/idle-$1$i.out")"
    done
}

# all_closed NAME: every node closed idle connections of flood NAME, at
# once (refused) and after a while (timed out, or cut).
all_closed() {
    local i
    for i in $ALL; do
        grep -Eq ": [0-9]+ opened, [1-9][0-9]* closed by the node \([1-9][0-9]* after" \
            "$T/idle-$1$i.out" || return 1
    done
}

ok "300 idle connections to each node from one source (127.0.0.2), 7 s: puts and gets go on, the group stays whole" \
    idle_flood one 127.0.0.2 300 7
idle_figures one
ok "... and every node refused the connections over its limit and timed out the idle ones" \
    all_closed one
F=$(echo $FOLLOWERS | cut -d' ' -f1)
ok "300 idle connections to each node from twenty sources: n$F restarts and rejoins, puts and gets go on, the group stays whole" \
    idle_flood twenty 127.0.0.2-21 300 0 "$F"
idle_figures twenty
ok "... which kept every handshake pool full: the nodes cut the oldest handshakes" \
    grep -q "in a full handshake pool" "$T/n$L/log"

# flood_files_read_back: the files put during the floods, from every node.
flood_files_read_back() {
    local f i rc=0
    for f in "${FLOOD_FILES[@]}"; do
        for i in $ALL; do
            if ! cli "$i" get "$f" "$T/g" >/dev/null 2>>"$ERR" ||
                ! same "$T/$f" "$T/g"; then
                diag "$f via n$i differs or fails"
                rc=1
            fi
        done
    done
    return $rc
}

# ---- (v) nothing changed -------------------------------------------------

ok "the same leader, term and members on every node" \
    expect_within 5 "$VIEW0" the_view
TERM_NOW=$(the_view | cut -d' ' -f2)
result "$([ "$TERM_NOW" -lt 100 ] && echo 0 || echo 1)" "the term is still small ($TERM_NOW)"
ok "the five files read back byte-identical from every node" \
    files_read_back $ALL
ok "... and so do the ${#FLOOD_FILES[@]} files put during the floods" \
    flood_files_read_back
cli "$L" --json ls >"$T/ls1.json"
ok "ls names those files and the two revocations, nothing else; file1 is still at version $SEQ1" \
    json_ok "$T/ls1.json" "sorted(f['name'] for f in d) == sorted(
        ['file%d' % k for k in range(1, 6)] + '${FLOOD_FILES[*]}'.split() +
        ['.gdfs/revoked/$W2', '.gdfs/revoked/$(cred_id "$T/n4.token")'])
        and [f['version'] for f in d if f['name'] == 'file1'] == [$SEQ1]"
rc=0
for i in $ALL; do
    alive "$(node_pid "$i")" || { diag "n$i is not running"; rc=1; }
    answers "$i" || { diag "n$i does not serve status"; rc=1; }
done
result $rc "every node is alive and serving"
ok "nobody connected to the attacker's address" \
    test "$(grep -c connection "$T/attacker.log")" = 0
done_testing
