#!/bin/bash
# One node: updating a file makes a new version, old versions stay readable
# (up to keep_versions), remove hides the file.
set -u
. "$(dirname "$0")/lib.sh"

# put_version NODE LOCAL NAME: put, print the new version number.
put_version() {
    cli "$1" --json put "$2" "$3" | json 'd["version"]'
}

# get_same NODE NAME EXPECTED_LOCAL [get options...]
get_same() {
    local i=$1 name=$2 want=$3
    shift 3
    rm -f "$T/got"
    cli "$i" "$@" get "$name" "$T/got" && same "$want" "$T/got"
}

make_node_ini 1
ok "a new node (init) starts" start_node 1 init

rand_file "$T/v1" 100000
rand_file "$T/v2" 300000
v1=$(put_version 1 "$T/v1" doc)
result $? "put of version 1 succeeds" "version $v1"
v2=$(put_version 1 "$T/v2" doc)
result $? "put of different bytes under the same name succeeds" "version $v2"
ok "the second put has a higher version number" test "$v2" -gt "$v1"
ok "get returns the newest bytes" get_same 1 doc "$T/v2"
cli 1 --json versions doc >"$T/versions.json"
result $? "versions exits 0"
ok "versions lists both versions with their sizes, newest first" \
    json_ok "$T/versions.json" "[(e['version'], e['size'], e['removed'])
        for e in d] == [($v2, 300000, False), ($v1, 100000, False)]"
ok "get --version $v1 returns the old bytes" get_same 1 doc "$T/v1" --version "$v1"
ok "get --version $v2 returns the new bytes" get_same 1 doc "$T/v2" --version "$v2"
exits 1 "get --version of a version that does not exist exits 1" \
    cli 1 get --version 999999 doc "$T/none"
ok "... and writes no file" test ! -e "$T/none"
cli 1 --json locate doc >"$T/locate.json"
ok "locate reports the newest version" json_ok "$T/locate.json" \
    "d['version'] == $v2 and d['size'] == 300000"

# remove
rand_file "$T/other" 5000
cli 1 put "$T/other" other >/dev/null
ok "remove of an existing file exits 0" cli 1 remove doc
exits 1 "get of a removed file exits 1" cli 1 get doc "$T/none"
ok "... and writes no file" test ! -e "$T/none"
cli 1 --json ls >"$T/ls.json"
ok "ls no longer lists the removed file (but lists the others)" \
    json_ok "$T/ls.json" "[e['name'] for e in d] == ['other']"
exits 1 "locate of a removed file exits 1" cli 1 locate doc
exits 1 "remove of a removed file exits 1" cli 1 remove doc
exits 1 "remove of a name never put exits 1" cli 1 remove never-was
rand_file "$T/v3" 7000
v3=$(put_version 1 "$T/v3" doc)
result $? "a removed name can be put again" "version $v3"
ok "... with a version above the earlier ones" test "$v3" -gt "$v2"
ok "... and get returns the new bytes" get_same 1 doc "$T/v3"

# keep_versions = 2
make_node_ini 2 files.keep_versions=2
ok "a node with keep_versions = 2 starts" start_node 2 init
vers=()
for k in 1 2 3 4 5; do
    rand_file "$T/k$k" $((k * 1000 + 17))
    vers+=("$(put_version 2 "$T/k$k" kept)")
done
ok "a first put and 4 updates succeed" test "${#vers[@]}" -eq 5 -a -n "${vers[4]}"
cli 2 --json versions kept >"$T/kept.json"
ok "versions lists only the 2 newest" json_ok "$T/kept.json" \
    "[e['version'] for e in d] == [${vers[4]}, ${vers[3]}]"
ok "get --version of the older kept version returns its bytes" \
    get_same 2 kept "$T/k4" --version "${vers[3]}"
exits 1 "get --version of a dropped version exits 1" \
    cli 2 get --version "${vers[1]}" kept "$T/none"

done_testing
