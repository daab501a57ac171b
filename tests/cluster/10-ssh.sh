#!/bin/bash
# The ssh transport against a private sshd on loopback: a 3-node group
# whose members reach each other only through SSH tunnels (init, join,
# put/get/locate through the ssh CLI, leader SIGKILL and failover), strict
# host keys (unknown, changed and @revoked keys refused, naming host and
# fingerprint), a user key sshd does not accept or others may read, and
# recovery after sshd and all its sessions are killed and sshd comes back.
#
# Skips (TAP "1..0 # SKIP") when /usr/sbin/sshd is missing; it installs
# nothing (tests/install-deps.sh installs openssh-server).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd.sh"

ssh_skip_unless_ready

ok "a private sshd runs on 127.0.0.1 (keys made by ssh-keygen)" \
    eval 'sshd_setup && sshd_start'
sshd_known_hosts "$T/known_hosts"
FP=$(sshd_fingerprint)
diag "sshd on port $SSHD_PORT, host key $FP, logging in as $SSH_USER"

mapfile -t INI < <(ssh_ini)

# ---- the group over ssh
ok "a 3-node group forms over ssh (init, two joins)" launch_cluster 3 "${INI[@]}"
ok "all three agree on leader n1" expect_within 10 "n1 1" agree 1 2 3
n=$(grep -c "Accepted publickey for $SSH_USER" "$SSHD_DIR/log")
test "$n" -ge 2
result $? "sshd logged the nodes in with the user key ($n sessions)"

rand_file "$T/f" 3000000
exits 0 "a put through the ssh CLI to the leader succeeds" scli 1 put "$T/f" f1
exits 0 "a get through the ssh CLI succeeds" scli 1 get f1 "$T/f1.out"
ok "... and reads back byte-identical" same "$T/f" "$T/f1.out"
scli 1 --json locate f1 >"$T/locate.json"
result $? "locate through the ssh CLI exits 0"
ok "... and names the file and a replica" \
    json_ok "$T/locate.json" "d['name'] == 'f1' and len(d['replicas']) >= 1"

# ---- leader failover: votes and heartbeats go through sshd
kill_node 1 KILL
ok "after SIGKILL of leader n1, n2 and n3 elect a new leader over ssh" \
    expect_within 15 "n[23] [0-9]+" agree 2 3
new=$(view 2 | sed -n 's/^n\([0-9]*\) .*/\1/p')
exits 0 "the new leader n$new accepts a put through the ssh CLI" \
    scli "$new" put "$T/f" after-failover
exits 0 "... which reads back" scli "$new" get after-failover "$T/f2.out"
ok "... byte-identical" same "$T/f" "$T/f2.out"
ok "n1 restarts and rejoins over ssh" start_node 1
ok "n1 is alive on every member again" expect_within 15 "3" alive_count "$new"

# ---- host keys: unknown, changed; never accepted silently
mkdir -p "$T/bad"
bad_ini() { # bad_ini NAME KEY=VALUE...: an INI for node 1 with [ssh] changed
    local name=$1 d
    shift
    d=$T/bad/$name
    mkdir -p "$d"
    mapfile -t BAD < <(ssh_ini "$@")
    {
        echo "[node]"
        echo "id = n1"
        echo "listen = $(addr_of 1)"
        echo "data_dir = $d/data"
        printf '%s\n' "[transport]" "plugin = ssh" "plugin_dir = $SSH_PLUGIN_DIR"
        printf '%s\n' "${BAD[@]:2}"
    } >"$d/node.ini"
    echo "$d/node.ini"
}

: >"$T/bad/empty_known_hosts"
ini=$(bad_ini unknown known_hosts="$T/bad/empty_known_hosts")
exits 2 "a host key not in known_hosts is refused (exit 2: configuration)" \
    "$CLI_BIN" -c "$ini" status
ok "... the error names the host [127.0.0.1]:$SSHD_PORT and its fingerprint" \
    grep -qF "host key for [127.0.0.1]:$SSHD_PORT (ssh-ed25519 $FP) is not in $T/bad/empty_known_hosts" "$ERR"

# A plain "127.0.0.1" entry must not vouch for port $SSHD_PORT (OpenSSH
# rule; libssh2 alone would accept it).
echo "127.0.0.1 $(cut -d' ' -f1,2 "$SSHD_DIR/host_key.pub")" >"$T/bad/port22_known_hosts"
ini=$(bad_ini port22 known_hosts="$T/bad/port22_known_hosts")
exits 2 "an entry for 127.0.0.1 (port 22) does not vouch for port $SSHD_PORT" \
    "$CLI_BIN" -c "$ini" status
ok "... the error says the key is not in known_hosts" grep -qF "is not in" "$ERR"

ssh-keygen -q -t ed25519 -N '' -f "$T/bad/other_host_key"
echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$T/bad/other_host_key.pub")" >"$T/bad/changed_known_hosts"
ini=$(bad_ini changed known_hosts="$T/bad/changed_known_hosts")
exits 2 "a changed host key is refused (exit 2)" "$CLI_BIN" -c "$ini" status
ok "... the error says CHANGED and names host and the key's fingerprint" \
    grep -qF "host key for [127.0.0.1]:$SSHD_PORT has CHANGED: the server sent ssh-ed25519 $FP" "$ERR"

# Hashed entries (ssh-keygen -H) are accepted.
cp "$T/known_hosts" "$T/bad/hashed_known_hosts"
ssh-keygen -q -H -f "$T/bad/hashed_known_hosts" >/dev/null 2>&1
ini=$(bad_ini hashed known_hosts="$T/bad/hashed_known_hosts")
if grep -q '^|1|' "$T/bad/hashed_known_hosts"; then
    exits 0 "a hashed known_hosts entry (ssh-keygen -H) is accepted" \
        "$CLI_BIN" -c "$ini" status
else
    skip "a hashed known_hosts entry is accepted" "ssh-keygen -H wrote no |1| line"
fi

# A revoked key is refused even though a plain entry lists it too.
{
    cat "$T/known_hosts"
    echo "@revoked * $(cut -d' ' -f1,2 "$SSHD_DIR/host_key.pub")"
} >"$T/bad/revoked_known_hosts"
ini=$(bad_ini revoked known_hosts="$T/bad/revoked_known_hosts")
exits 2 "a host key listed plainly and also @revoked is refused (exit 2)" \
    "$CLI_BIN" -c "$ini" status
ok "... the error says REVOKED and names host, fingerprint, file and line" \
    grep -qF "host key for [127.0.0.1]:$SSHD_PORT (ssh-ed25519 $FP) is REVOKED in $T/bad/revoked_known_hosts (line 2)" "$ERR"

# A node whose known_hosts lacks the key cannot join, and its log says why.
make_node_ini 4 "${INI[@]}"
sed -i "s|^known_hosts = .*|known_hosts = $T/bad/empty_known_hosts|" "$T/n4/node.ini"
(umask 077 && "$NODE_BIN" -c "$T/n1/node.ini" token --role node >"$T/n4.token")
exits 1 "a node with the host key missing from known_hosts cannot join" \
    "$NODE_BIN" -c "$T/n4/node.ini" join --token-file "$T/n4.token" "$(addr_of 1)"
ok "... and its log names the host and fingerprint" \
    grep -qF "host key for [127.0.0.1]:$SSHD_PORT (ssh-ed25519 $FP) is not in" "$ERR"

# ---- user keys
ok "the user key ssh-keygen made for the test is 0600" \
    test "$(stat -c %a "$SSH_KEY")" = 600
cp "$SSH_KEY" "$T/bad/loose_key"
chmod 644 "$T/bad/loose_key"
ini=$(bad_ini loosekey identity="$T/bad/loose_key")
exits 2 "a user key others may read (0644) is refused (exit 2)" \
    "$CLI_BIN" -c "$ini" status
ok "... as ssh does: UNPROTECTED PRIVATE KEY FILE, with the chmod to run" \
    grep -qF "[ssh] identity: UNPROTECTED PRIVATE KEY FILE '$T/bad/loose_key' (mode 0644, open to group or others); fix: chmod 600 '$T/bad/loose_key'" "$ERR"
chmod 600 "$T/bad/loose_key"
ok "... and the same key is used after chmod 600" \
    replies "$CLI_BIN" -c "$ini" status
ssh-keygen -q -t ed25519 -N '' -C stranger -f "$T/bad/stranger_key"
ini=$(bad_ini wrongkey identity="$T/bad/stranger_key")
exits 2 "a user key sshd does not accept is refused (exit 2)" \
    "$CLI_BIN" -c "$ini" status
ok "... with an error naming the user and the key file" \
    grep -qF "refused user $SSH_USER with key $T/bad/stranger_key" "$ERR"
ini=$(bad_ini nokey identity="$T/bad/no_such_key")
exits 2 "a missing identity file is a configuration error (exit 2)" \
    "$CLI_BIN" -c "$ini" status
ok "... naming the key and the file" \
    grep -qF "[ssh] identity: cannot read '$T/bad/no_such_key'" "$ERR"
ini=$(bad_ini badkey colour=blue)
exits 2 "an unknown [ssh] key is refused (exit 2)" "$CLI_BIN" -c "$ini" status
ok "... naming the key" grep -qF "[ssh] colour: unknown key" "$ERR"
exits 2 "a node refuses to listen on a non-loopback address with ssh" \
    "$NODE_BIN" -c "$(sed "s|^listen = .*|listen = 0.0.0.0:$(free_port)|" \
        "$T/n4/node.ini" >"$T/bad/wide.ini"; echo "$T/bad/wide.ini")"
ok "... saying why" grep -q "not a loopback address" "$ERR"

# ---- sshd dies with all its sessions, then comes back
exits 0 "before: a put through the leader succeeds" \
    scli "$new" put "$T/f" before-sshd-crash
sshd_kill
result $? "sshd and every session process are SIGKILLed"
exits 1 "while sshd is down the ssh CLI fails" scli "$new" -T 2000 status
ok "... saying it cannot connect to sshd" grep -q "connect to sshd 127.0.0.1 port $SSHD_PORT" "$ERR"
ok "sshd starts again on the same port" sshd_start
leader_put() { # a put through whichever node leads succeeds
    local i v
    v=$(agree 1 2 3) || return 1
    i=${v%% *}
    i=${i#n}
    scli "$i" put "$T/f" after-sshd-restart >/dev/null 2>&1 && echo ok
}
ok "the group recovers: all three alive and agreeing" \
    expect_within 30 "n[123] [0-9]+" agree 1 2 3
ok "... and a put through the leader works again" expect_within 20 ok leader_put
ok "every member sees three alive" expect_within 15 "3" alive_count 2

done_testing
