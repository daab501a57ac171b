#!/bin/bash
# Concurrency and memory: concurrent puts of one name leave exactly one of
# the contents (never a mix), concurrent readers see whole versions only,
# clients on different names do not disturb each other, and a 200 MB file
# goes through gdfs-cli and the node in bounded memory.
set -u
. "$(dirname "$0")/lib.sh"

N=8

make_node_ini 1 files.keep_versions=20 files.chunk_size=65536
ok "a node (keep_versions = 20, 64 KiB chunks) starts" start_node 1 init

# --- N concurrent puts of the same name
declare -A KNOWN=() # sha256 -> which content
for k in $(seq 0 $N); do
    rand_file "$T/c$k" $((1024 * 1024 + k * 4096))
    KNOWN[$(sha "$T/c$k")]=c$k
done
cli 1 put "$T/c0" same >/dev/null
ok "an initial version of 'same' is put" test $? -eq 0

# Readers: get 'same' over and over while the writers run; every copy must
# be one of the known contents.
reader() {
    local r=$1 n=0
    while [ ! -e "$T/writers-done" ] && [ $n -lt 500 ]; do
        n=$((n + 1))
        if cli 1 get same "$T/r$r.out" 2>>"$T/r$r.err"; then
            sha "$T/r$r.out" >>"$T/r$r.shas"
        else
            echo "get failed" >>"$T/r$r.shas"
        fi
    done
}
reader_pids=()
for r in 1 2 3; do
    : >"$T/r$r.shas"
    reader "$r" &
    reader_pids+=($!)
    track_pid $!
done
writer_pids=()
for k in $(seq 1 $N); do
    "$CLI_BIN" -n "$(addr_of 1)" --json put "$T/c$k" same \
        >"$T/w$k.out" 2>"$T/w$k.err" &
    writer_pids+=($!)
    track_pid $!
done
succeeded=0
other=0
for k in $(seq 1 $N); do
    wait "${writer_pids[$((k - 1))]}"
    case $? in
    0) succeeded=$((succeeded + 1)) ;;
    1) ;;
    *) other=$((other + 1)) ;;
    esac
done
touch "$T/writers-done"
for pid in "${reader_pids[@]}"; do wait "$pid"; done
result $other "$N concurrent puts of one name all end (exit 0, or 1 if refused)" \
    "$succeeded succeeded"
ok "at least one of them succeeded" test $succeeded -ge 1
for k in $(seq 1 $N); do
    [ -s "$T/w$k.err" ] && diag "writer $k: $(head -n 2 "$T/w$k.err")"
done

cli 1 get same "$T/final" 2>"$ERR"
result $? "get 'same' afterwards succeeds"
final=$(sha "$T/final")
ok "it returns exactly one of the $N contents, whole" \
    test -n "${KNOWN[$final]:-}" -a "${KNOWN[$final]:-}" != c0
diag "final content is ${KNOWN[$final]:-unknown}"
# Each successful put made a version; each version is one whole content.
cli 1 --json versions same >"$T/versions.json"
nvers=$(json 'len(d)' <"$T/versions.json")
ok "versions lists the initial version plus one per successful put" \
    test "$nvers" -eq $((succeeded + 1))
vers_ok=0
declare -A SEEN=()
for v in $(json '" ".join(str(e["version"]) for e in d)' <"$T/versions.json"); do
    cli 1 get --version "$v" same "$T/v.out" 2>>"$ERR" || { vers_ok=1; continue; }
    s=$(sha "$T/v.out")
    if [ -z "${KNOWN[$s]:-}" ] || [ -n "${SEEN[$s]:-}" ]; then
        vers_ok=1
        diag "version $v: sha $s unknown or seen twice"
    fi
    SEEN[$s]=1
done
result $vers_ok "every version reads back as a distinct one of the contents"
newest=$(json 'd[0]["version"]' <"$T/versions.json")
cli 1 get --version "$newest" same "$T/newest.out"
ok "get without --version returns the newest version" same "$T/newest.out" "$T/final"

bad=0
total=0
for r in 1 2 3; do
    while read -r s; do
        total=$((total + 1))
        if [ "$s" = "get failed" ] || [ -z "${KNOWN[$s]:-}" ]; then
            bad=$((bad + 1))
        fi
    done <"$T/r$r.shas"
done
result $bad "3 readers during the puts only ever got whole versions" \
    "$total gets, $bad bad"
[ $bad -eq 0 ] || cat "$T"/r*.err | sort | uniq -c | head -n 5 | sed 's/^/# /'

# --- N clients on different names at once
client() {
    local c=$1 k
    for k in 1 2 3 4 5; do
        head -c $((c * 50000 + k * 7919)) /dev/urandom >"$T/cl$c.$k"
        "$CLI_BIN" -n "$(addr_of 1)" put "$T/cl$c.$k" "client-$c" >/dev/null ||
            return 1
        "$CLI_BIN" -n "$(addr_of 1)" get "client-$c" "$T/cl$c.$k.back" ||
            return 1
        cmp -s "$T/cl$c.$k" "$T/cl$c.$k.back" || return 1
    done
}
client_pids=()
for c in $(seq 1 $N); do
    client "$c" 2>"$T/client$c.err" &
    client_pids+=($!)
    track_pid $!
done
failed=0
for c in $(seq 1 $N); do
    wait "${client_pids[$((c - 1))]}" || failed=$((failed + 1))
done
result $failed "$N concurrent clients each put and get their own name 5 times" \
    "$failed failed"
cli 1 --json ls >"$T/ls.json"
ok "ls lists each client's name once, with the size of its last put" \
    json_ok "$T/ls.json" "sorted((e['name'], e['size']) for e in d
        if e['name'].startswith('client-')) ==
        sorted(('client-%d' % c, c * 50000 + 5 * 7919) for c in range(1, $N + 1))"

# --- memory: a 200 MB file through a node with the default chunk size
make_node_ini 2
ok "a node with the default chunk size starts" start_node 2 init
BIG=$((200 * 1000 * 1000))
if [ ! -x /usr/bin/time ]; then
    skip "put of 200 MB: gdfs-cli max RSS < 64 MB" "/usr/bin/time is missing"
    skip "get of 200 MB: gdfs-cli max RSS < 64 MB" "/usr/bin/time is missing"
else
    rand_file "$T/big" $BIG
    /usr/bin/time -f %M -o "$T/put.rss" \
        env GDFS_KEY_FILE="$(key_for 2)" \
        "$CLI_BIN" -n "$(addr_of 2)" put "$T/big" big >/dev/null 2>"$ERR"
    result $? "put of a 200 MB file succeeds"
    rss=$(tail -n 1 "$T/put.rss")
    test "$rss" -lt 65536
    result $? "put of 200 MB: gdfs-cli max RSS < 64 MB" "$rss KB"
    /usr/bin/time -f %M -o "$T/get.rss" \
        env GDFS_KEY_FILE="$(key_for 2)" \
        "$CLI_BIN" -n "$(addr_of 2)" get big "$T/big.back" 2>"$ERR"
    result $? "get of the 200 MB file succeeds"
    rss=$(tail -n 1 "$T/get.rss")
    test "$rss" -lt 65536
    result $? "get of 200 MB: gdfs-cli max RSS < 64 MB" "$rss KB"
    ok "the 200 MB file reads back byte-identical" same "$T/big" "$T/big.back"
    rm -f "$T/big.back"
fi
if [ "${GDFS_SANITIZE:-no}" = yes ]; then
    # ASan keeps freed memory in quarantine and adds shadow memory: RSS
    # says nothing about gdfs there.
    skip "the node's peak RSS (VmHWM) stays < 128 MB" "sanitizer build"
    skip "the first node's peak RSS after the concurrency tests stays < 128 MB" \
        "sanitizer build"
else
    hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$(node_pid 2)/status")
    test "${hwm:-999999999}" -lt 131072
    result $? "the node's peak RSS (VmHWM) stays < 128 MB" "${hwm:-?} KB"
    hwm1=$(awk '/^VmHWM:/ { print $2 }' "/proc/$(node_pid 1)/status")
    test "${hwm1:-999999999}" -lt 131072
    result $? "the first node's peak RSS after the concurrency tests stays < 128 MB" \
        "${hwm1:-?} KB"
fi

kill_node 1 TERM
kill_node 2 TERM
ok "both nodes stop with status 0 on SIGTERM" \
    test "${NODE_RC[1]}" = 0 -a "${NODE_RC[2]}" = 0

done_testing
