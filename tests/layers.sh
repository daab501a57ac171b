#!/bin/bash
# The layering, checked from the includes (docs/ARCHITECTURE.md "Layers"
# and the rooms of src/node): dependencies point down, and each room calls
# only what its entry header says it may. One TAP line per rule; a rule
# that fails names each include that breaks it.
set -u
src=${GDFS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src" || exit 1
n=0 bad=0

# rule DESC DIRS... -- ALLOWED_REGEX: every quoted include in the C files
# under DIRS must match ALLOWED_REGEX (an extended regex on the path).
rule() {
    local desc=$1 dirs=() allowed hits
    shift
    while [ "$1" != -- ]; do dirs+=("$1"); shift; done
    allowed=$2
    hits=$(grep -rHn --include='*.c' --include='*.h' '^#include "' "${dirs[@]}" |
        sed 's/^\([^:]*:[0-9]*\):#include "\([^"]*\)".*/\1 \2/' |
        awk -v ok="$allowed" '$2 !~ ("^(" ok ")$")')
    n=$((n + 1))
    if [ -z "$hits" ]; then
        echo "ok $n - $desc"
    else
        echo "not ok $n - $desc"
        echo "$hits" | sed 's/^/# breaks it: /'
        bad=$((bad + 1))
    fi
}

# only FILES may include the system header <H>.
only() {
    local h=$1 desc=$2 hits
    shift 2
    hits=$(grep -rln --include='*.c' --include='*.h' "^#include <$h>" src plugins |
        grep -vxF -f <(printf '%s\n' "$@"))
    n=$((n + 1))
    if [ -z "$hits" ]; then
        echo "ok $n - $desc"
    else
        echo "not ok $n - $desc"
        echo "$hits" | sed 's/^/# includes it: /'
        bad=$((bad + 1))
    fi
}

rule "core: the group state machine sees only itself, proto types and errors" \
    src/core -- 'core/[a-z_]+\.h|proto\.h|err\.h'
rule "files: pure rules see core, proto types and the plain record struct, no I/O" \
    src/files -- 'files/[a-z_]+\.h|core/group\.h|proto\.h|err\.h|store/store\.h'
rule "proto: bytes to structs, nothing else" \
    src/proto src/proto.h src/pack.h -- 'proto\.h|proto/[a-z_]+\.h|pack\.h|err\.h'
rule "store: no network, no node, no group; the files layer's merge rule only" \
    src/store -- 'store/[a-z_]+\.h|files/collect\.h|proto\.h|pack\.h|err\.h|log\.h|hash\.h|clock\.h'
rule "auth: credentials and the channel over the transport; no node, no store" \
    src/auth -- 'auth/[a-z_]+\.h|proto\.h|transport\.h|net\.h|hash\.h|clock\.h|err\.h'
rule "cli: the protocol and transport, never a store or a node's rooms" \
    src/cli -- 'cli/[a-z_]+\.h|auth/(cred|channel|requests)\.h|proto\.h|transport\.h|net\.h|config\.h|hash\.h|log\.h|clock\.h|err\.h'
rule "plugins: no gdfs header beyond transport.h, err.h and clock.h" \
    plugins -- '\.\./common/(dial|sock)\.h|dial\.h|sock\.h|ssh_int\.h|transport\.h|err\.h|clock\.h'
rule "node/group: never the records, data or upkeep rooms" \
    src/node/group -- 'node/group/[a-z_]+\.h|node/dbopts\.h|auth/(cred|channel)\.h|core/[a-z_]+\.h|store/store\.h|proto\.h|transport\.h|net\.h|config\.h|log\.h|clock\.h'
rule "node/records: never the data or upkeep rooms" \
    src/node/records -- 'node/records/[a-z_]+\.h|node/group/grouphost\.h|node/(session|rpc|dbopts)\.h|files/[a-z_]+\.h|core/(group|rlog)\.h|store/store\.h|proto\.h|pack\.h|transport\.h|net\.h|config\.h|log\.h|clock\.h|worker\.h'
rule "node/data: upkeep only through read repair's queue" \
    src/node/data -- 'node/data/[a-z_]+\.h|node/records/(records|leaderops)\.h|node/upkeep/readrepair\.h|node/(session|rpc)\.h|files/newest\.h|store/store\.h|proto\.h|net\.h|hash\.h|log\.h|err\.h'
only sqlite3.h "sqlite3.h only in src/store" src/store/store_int.h src/store/store.c src/store/checkpoint.c
only iniparser.h "iniparser.h only in src/config.c" src/config.c
only libssh2.h "libssh2.h only in the ssh plugin" plugins/ssh/ssh_int.h plugins/ssh/ssh.c
only 'openssl/[a-z]*\.h' "OpenSSL only in src/hash.c and src/auth (cred, channel)" src/hash.c src/auth/cred.c src/auth/channel.c

echo "1..$n"
[ "$bad" -eq 0 ]
