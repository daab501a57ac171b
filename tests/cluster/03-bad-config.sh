#!/bin/bash
# Bad configuration and bad start-up: gdfs-node exits 2 with a message that
# names the file and the key; the node's database refuses the wrong node,
# a second init, and a restart before init; a data_dir or database open to
# group or others is refused, and the node makes its own private (0700,
# 0600). gdfs-cli usage errors exit 2.
set -u
. "$(dirname "$0")/lib.sh"

K=0 # each case gets its own node directory (and so its own data_dir)

# refused DESC "PATTERN|PATTERN..." [init] -- [make_node_ini args...]:
# gdfs-node must exit 2 and its stderr must contain every fixed-string
# PATTERN (separated by |). %INI% in a pattern stands for the INI path.
refused() {
    local desc=$1 patterns=$2 cmd=() p rc missing=""
    shift 2
    while [ "$1" != -- ]; do cmd+=("$1"); shift; done
    shift
    K=$((K + 1))
    make_node_ini "$K" "$@"
    timeout 10 "$NODE_BIN" -c "$T/n$K/node.ini" "${cmd[@]}" >"$OUT" 2>"$ERR"
    rc=$?
    IFS='|' read -ra pats <<<"$patterns"
    for p in "${pats[@]}"; do
        p=${p//%INI%/$T/n$K/node.ini}
        grep -qF -- "$p" "$ERR" || missing+=" '$p'"
    done
    if [ "$rc" -ne 2 ] || [ -n "$missing" ]; then
        result 1 "$desc"
        diag "exit $rc (expected 2)${missing:+; message lacks$missing}"
        show_output
        return 1
    fi
    result 0 "$desc"
}

# --- the INI file
refused "an unknown section exits 2 naming the file and the section" \
    "%INI%|[bogus]" init -- "[bogus]" "x = 1"
refused "an unknown key exits 2 naming the file and the key" \
    "%INI%|frobnicate" init -- node.frobnicate=1
refused "a missing [node] id exits 2 naming the file and the key" \
    "%INI%|[node] id" init -- node.id=
refused "a missing [node] data_dir exits 2 naming the file and the key" \
    "%INI%|[node] data_dir" init -- node.data_dir=
refused "chunk_size = 12x exits 2 naming the file, the key and the value" \
    "%INI%|[files] chunk_size|12x" init -- files.chunk_size=12x
refused "keep_versions = -1 exits 2 naming the file and the key" \
    "%INI%|[files] keep_versions" init -- files.keep_versions=-1
refused "keep_versions = 0x10 (no base prefixes) exits 2 naming the file and the key" \
    "%INI%|[files] keep_versions" init -- files.keep_versions=0x10
refused "chunk_size = 1000 (below 4096) exits 2 naming the file and the key" \
    "%INI%|[files] chunk_size" init -- files.chunk_size=1000
refused "chunk_size = 8388608 (above 4 MiB) exits 2 naming the file and the key" \
    "%INI%|[files] chunk_size" init -- files.chunk_size=8388608
refused "chunk_size = 5000 (not a multiple of 4096) exits 2 naming the file and the key" \
    "%INI%|[files] chunk_size" init -- files.chunk_size=5000
refused "idle_timeout_ms = 99999999999 (overflows 32 bits) exits 2 naming the file and the key" \
    "%INI%|[node] idle_timeout_ms" init -- node.idle_timeout_ms=99999999999
refused "listen without a port exits 2 naming the file and the key" \
    "%INI%|[node] listen" init -- node.listen=127.0.0.1
refused "listen with port 99999 exits 2 naming the file and the key" \
    "%INI%|[node] listen" init -- node.listen=127.0.0.1:99999
refused "listen with port 0 exits 2 naming the file and the key" \
    "%INI%|[node] listen" init -- node.listen=127.0.0.1:0
refused "an id with a space and '!' exits 2 naming the file and the key" \
    "%INI%|[node] id" init -- "node.id=bad id!"
refused "a line that is not INI exits 2 naming the file" \
    "%INI%" init -- "this is not ini"
refused "an unquoted '#' in data_dir (iniparser would cut it) exits 2 saying how to quote" \
    "%INI%:5: [node] data_dir|quote the whole value (\"$T/hash#2\")" init -- \
    node.data_dir="$T/hash#2"
refused "a comment after a value exits 2 naming the line and the key" \
    "%INI%:3: [node] id|contains ';'" init -- "node.id=n1 ; the first"
touch "$T/a-file"
refused "a data_dir that is a regular file exits 2 naming the file and the key" \
    "%INI%|[node] data_dir|$T/a-file" init -- node.data_dir="$T/a-file"
refused "a plugin that does not exist exits 2 naming its .so path" \
    "$GDFS_PLUGIN_DIR/nosuch.so" init -- transport.plugin=nosuch
mkdir "$T/empty-dir"
refused "a plugin_dir without the plugin exits 2 naming the .so path" \
    "$T/empty-dir/tcp.so" init -- transport.plugin_dir="$T/empty-dir"
exits 2 "gdfs-node with a missing INI file exits 2" \
    "$NODE_BIN" -c "$T/no-such.ini" init
ok "... naming that file" grep -qF "$T/no-such.ini" "$ERR"
exits 2 "gdfs-node without -c exits 2" "$NODE_BIN" init
exits 2 "gdfs-node with an unknown command exits 2" \
    "$NODE_BIN" -c "$T/n1/node.ini" frobnicate

# A failed init must not leave the group half made: after fixing the INI,
# init works.
K=$((K + 1))
make_node_ini "$K" transport.plugin=nosuch
timeout 10 "$NODE_BIN" -c "$T/n$K/node.ini" init >"$OUT" 2>"$ERR"
make_node_ini "$K"
ok "init after an init that failed for a missing plugin (INI fixed) starts the node" \
    start_node "$K" init
kill_node "$K" TERM

# "042" is forty-two, not octal: keep_versions = 010 keeps 10 versions.
K=$((K + 1))
OCT=$K
make_node_ini "$OCT" files.keep_versions=010 node.idle_timeout_ms=05000
ok "keep_versions = 010 and idle_timeout_ms = 05000 are accepted (node starts)" \
    start_node "$OCT" init
echo x >"$T/small"
for _ in $(seq 1 12); do cli "$OCT" put "$T/small" oct >/dev/null; done
cli "$OCT" --json versions oct >"$T/oct.json"
ok "keep_versions = 010 means 10 (not 8): 12 puts keep 10 versions" \
    json_ok "$T/oct.json" "len(d) == 10"
# The node made its data_dir and database; nobody else may read them.
modes() { # modes DIR: "data_dir db wal shm" modes as stat prints them
    stat -c %a "$1" "$1/gdfs.db" "$1/gdfs.db-wal" "$1/gdfs.db-shm" | tr '\n' ' '
}
ok "the node created data_dir 0700 and gdfs.db, -wal, -shm 0600" \
    expect_within 5 "700 600 600 600 " modes "$T/n$OCT/data"
gid=$(cli "$OCT" --json status | json 'd["group"]')
kill_node "$OCT" TERM

# --- the node's database
refused "init a second time on the same data_dir exits 2 naming the group" \
    "$gid" init -- node.data_dir="$T/n$OCT/data" node.id=n$OCT
refused "the database of node n$OCT started as n99 exits 2 naming both ids" \
    "n$OCT|n99" -- node.data_dir="$T/n$OCT/data" node.id=n99
refused "a restart without init on an empty data_dir exits 2 with a hint about init" \
    "%INI% init" --
ok "the database refused above still restarts as node n$OCT (no init)" \
    start_node "$OCT"
ok "... with its 10 versions" \
    expect_within 5 10 bash -c "GDFS_KEY_FILE='$(key_for "$OCT")' '$CLI_BIN' -n $(addr_of "$OCT") --json versions oct |
        python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'"
kill_node "$OCT" TERM

# --- data_dir and database open to group or others
chmod 755 "$T/n$OCT/data"
refused "a data_dir open to others (0755) exits 2 saying chmod 700" \
    "%INI%|[node] data_dir|(mode 0755)|chmod 700 '$T/n$OCT/data'" -- \
    node.data_dir="$T/n$OCT/data" node.id=n$OCT
chmod 700 "$T/n$OCT/data"
chmod 644 "$T/n$OCT/data/gdfs.db"
refused "a database file open to others (0644) exits 2 saying chmod 600" \
    "$T/n$OCT/data/gdfs.db (mode 0644)|chmod 600 '$T/n$OCT/data/gdfs.db'" -- \
    node.data_dir="$T/n$OCT/data" node.id=n$OCT
chmod 600 "$T/n$OCT/data/gdfs.db"
ok "after chmod 700 and chmod 600 the node restarts" start_node "$OCT"
kill_node "$OCT" TERM

# --- gdfs-cli
exits 2 "gdfs-cli with an unknown command exits 2" cli "$OCT" frobnicate
ok "... and says which" grep -qF frobnicate "$ERR"
exits 2 "gdfs-cli get with one operand exits 2" cli "$OCT" get onlyname
exits 2 "gdfs-cli put with no operand exits 2" cli "$OCT" put
exits 2 "gdfs-cli ls with an extra operand exits 2" cli "$OCT" ls extra
exits 2 "gdfs-cli with an unknown option exits 2" cli "$OCT" --frobnicate status
exits 2 "gdfs-cli --version abc exits 2" cli "$OCT" --version abc get a b
exits 2 "gdfs-cli -c with a missing file exits 2" \
    "$CLI_BIN" -c "$T/no-such.ini" status
ok "... naming that file" grep -qF "$T/no-such.ini" "$ERR"
printf '[node]\nfrobnicate = 1\n' >"$T/bad.ini"
exits 2 "gdfs-cli -c with an INI that has an unknown key exits 2" \
    "$CLI_BIN" -c "$T/bad.ini" status
ok "... naming the file and the key" \
    grep -qF "$T/bad.ini: [node] frobnicate" "$ERR"
exits 2 "gdfs-cli with both -c and -n exits 2" \
    "$CLI_BIN" -c "$T/n$OCT/node.ini" -n 127.0.0.1:1 status
exits 2 "gdfs-cli without -c, -n or GDFS_NODE exits 2" "$CLI_BIN" status
exits 1 "gdfs-cli status against a stopped node exits 1" \
    "$CLI_BIN" -c "$T/n$OCT/node.ini" -T 1000 status

done_testing
