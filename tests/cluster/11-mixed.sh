#!/bin/bash
# A mixed group: n1 uses the tcp transport, n2 and n3 the ssh transport
# (behind a private sshd). Each node loads both plugins ([transport]
# plugins) and dials every member the way its advertised address says
# (tcp://... or ssh://...): the group forms, n2 reaches n1 over a direct
# TCP connection while n1 reaches n2 only through sshd, and a failover of
# the tcp leader to an ssh node works.
#
# Skips (TAP "1..0 # SKIP") when /usr/sbin/sshd is missing.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd.sh"

if why=$(sshd_missing); then
    echo "1..0 # SKIP $why"
    exit 0
fi
SSH_SO=${GDFS_SSH_PLUGIN_DIR:-$GDFS_BUILDDIR/plugins/ssh/.libs}/ssh.so
if [ ! -e "$SSH_SO" ]; then
    echo "1..0 # SKIP $SSH_SO not built (configure --disable-ssh?)"
    exit 0
fi
# Both plugins in one plugin_dir, as an installation has them.
mkdir -p "$T/plugins"
ln -s "$GDFS_PLUGIN_DIR/tcp.so" "$SSH_SO" "$T/plugins/"

ok "a private sshd runs on 127.0.0.1" eval 'sshd_setup && sshd_start'
sshd_known_hosts "$T/known_hosts"

for i in 1 2 3; do
    NODE_PORT[$i]=$(free_port)
    USED_PORTS[${NODE_PORT[$i]}]=1
done
ssh_section=("[ssh]" "user = $SSH_USER" "identity = $SSH_KEY"
    "known_hosts = $T/known_hosts" "port = $SSHD_PORT")
make_node_ini 1 transport.plugin=tcp transport.plugins=ssh \
    "transport.plugin_dir=$T/plugins" "node.advertise=tcp://$(addr_of 1)" \
    "${ssh_section[@]}"
for i in 2 3; do
    make_node_ini "$i" transport.plugin=ssh transport.plugins=tcp \
        "transport.plugin_dir=$T/plugins" "node.advertise=ssh://$(addr_of "$i")" \
        "${ssh_section[@]}"
done

ok "n1 (tcp) starts a group" start_node 1 init
ok "n2 (ssh) joins through tcp://n1" start_node 2 join "tcp://$(addr_of 1)"
ok "n3 (ssh) joins through ssh://n2" start_node 3 join "ssh://$(addr_of 2)"
ok "all three are alive on n1" expect_within 30 3 alive_count 1
ok "all three agree on leader n1" expect_within 10 "n1 1" agree 1 2 3
cli 1 --json status >"$T/s1.json"
ok "members are listed with their schemes" \
    json_ok "$T/s1.json" "sorted(m['addr'].split('://')[0] for m in d['members'])
        == ['ssh', 'ssh', 'tcp']"

# pids_to PORT: the pids of processes with an established TCP connection
# to 127.0.0.1:PORT.
pids_to() {
    ss -Htnp state established "( dport = :$1 )" |
        grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u | tr '\n' ' '
}
has() { # has WORD LIST...: WORD is one of LIST
    local w=$1 x
    shift
    for x in "$@"; do [ "$x" = "$w" ] && return 0; done
    return 1
}
to1=$(pids_to "${NODE_PORT[1]}")
has "$(node_pid 2)" $to1
result $? "n2 reaches n1 (tcp://) over a direct TCP connection"
to2=$(pids_to "${NODE_PORT[2]}")
! has "$(node_pid 1)" $to2 && [ -n "$to2" ]
result $? "n1 reaches n2 (ssh://) only through sshd (no direct connection)"
grep -q "Accepted publickey for $SSH_USER" "$SSHD_DIR/log"
result $? "... and sshd logged the sessions in"

rand_file "$T/f" 1000000
exits 0 "a put through the tcp leader n1 succeeds" cli 1 put "$T/f" mixed-1
kill_node 1 KILL
ok "after SIGKILL of n1, the ssh nodes n2 and n3 elect a leader" \
    expect_within 15 "n[23] [0-9]+" agree 2 3
new=$(view 2 | sed -n 's/^n\([0-9]*\) .*/\1/p')
exits 0 "a put through the new leader n$new (ssh CLI) succeeds" \
    "$CLI_BIN" -c "$T/n$new/node.ini" put "$T/f" mixed-2
ok "n1 restarts and is alive on n$new again" \
    eval 'start_node 1 && expect_within 15 3 alive_count '"$new"

done_testing
