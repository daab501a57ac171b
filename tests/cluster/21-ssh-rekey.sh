#!/bin/bash
# The ssh transport while sshd re-keys its sessions: a private sshd with
# "RekeyLimit 1M 2s" starts a new key exchange on every session after each
# MiB moved and every 2 s. A 3-node group over ssh moves files big enough
# to cross many re-keys through its pooled sessions (the CLI's put, the
# gateway's replica streams, gets), waits until sessions have been re-keyed
# on time alone, and moves files again: every byte comes back identical,
# no session is dropped as broken, and sshd reports no packet or MAC error.
# sshd's own log (LogLevel DEBUG1) counts the re-keys, so the test fails if
# they did not happen.
#
# Skips (TAP "1..0 # SKIP") when /usr/sbin/sshd or ssh.so is missing.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd.sh"

ssh_skip_unless_ready

# libssh2 1.10 loses about 51 bytes per key exchange the server starts
# while a channel read or write is under way (an upstream bug: a packet
# read inside the exchange is never freed; LeakSanitizer shows it
# allocated by libssh2 under libssh2_channel_write_ex). Under
# --enable-sanitize the CLI's exit-time leak check would fail every step
# here, so this test suppresses leaks allocated inside libssh2 (and only
# those: ours are still reported); 10-ssh.sh suppresses nothing.
echo "leak:libssh2.so.1" >"$T/lsan.supp"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$T/lsan.supp:print_suppressions=0"

SSHD_EXTRA_CONFIG="RekeyLimit 1M 2s
LogLevel DEBUG1"
ok "a private sshd that re-keys after every 1 MiB and every 2 s runs" \
    eval 'sshd_setup && sshd_start'
sshd_known_hosts "$T/known_hosts"

# rekeys: key exchanges sshd has finished after a session's first one.
rekeys() {
    grep -c "ssh_set_newkeys: rekeying in" "$SSHD_DIR/log"
}
# rekeyed_since N: "yes" once more than N re-keys are logged.
rekeyed_since() {
    [ "$(rekeys)" -gt "$1" ] && echo yes
}
# session_errors: node log lines of sessions dropped as broken, and sshd
# log lines of transport errors (what a botched key exchange looks like).
session_errors() {
    grep -hE "ssh: .*(broken|dropped|failed|through sshd)" "$T"/n[123]/log
    grep -hE "Corrupted MAC|Bad packet length|ssh_dispatch_run_fatal|incorrect signature|invalid packet|message authentication code incorrect" \
        "$SSHD_DIR/log"
}
no_session_errors() {
    local e
    e=$(session_errors)
    [ -z "$e" ] && return 0
    printf '%s\n' "$e" | head -n 5 >&2
    return 1
}

mapfile -t INI < <(ssh_ini)
ok "a 3-node group forms over ssh" launch_cluster 3 "${INI[@]}"
ok "all three agree on leader n1" expect_within 10 "n1 1" agree 1 2 3

# ---- large transfers: each stream crosses many re-keys
r0=$(rekeys)
rand_file "$T/a" $((12 * 1048576))
exits 0 "a 12 MiB put through n1 succeeds (CLI and replica streams re-keyed)" \
    scli 1 put "$T/a" a
exits 0 "a get through n2 succeeds" scli 2 get a "$T/a2"
ok "... byte-identical" same "$T/a" "$T/a2"
exits 0 "a get through n3 succeeds" scli 3 get a "$T/a3"
ok "... byte-identical" same "$T/a" "$T/a3"
r1=$(rekeys)
test $((r1 - r0)) -ge 24
result $? "sshd re-keyed sessions during the transfers ($((r1 - r0)) re-keys; at least 24 expected)"

rand_file "$T/b" $((12 * 1048576))
exits 0 "a second 12 MiB put through n1 goes through the re-keyed pooled sessions" \
    scli 1 put "$T/b" b
exits 0 "... reads back through n3" scli 3 get b "$T/b3"
ok "... byte-identical" same "$T/b" "$T/b3"

# ---- re-keys on time alone: only heartbeats and idle pooled sessions
r2=$(rekeys)
ok "with no file moving, sshd re-keys sessions on its 2 s timer" \
    expect_within 20 yes rekeyed_since $((r2 + 3))
ok "the group still agrees on its leader" expect_within 10 "n1 1" agree 1 2 3

rand_file "$T/c" $((6 * 1048576))
exits 0 "after the time-based re-keys, a put through n2 succeeds" \
    scli 2 put "$T/c" c
exits 0 "... reads back through n1" scli 1 get c "$T/c1"
ok "... byte-identical" same "$T/c" "$T/c1"
exits 0 "the first file still reads back through n1" scli 1 get a "$T/a1"
ok "... byte-identical" same "$T/a" "$T/a1"
ok "no session was dropped as broken and sshd logged no transport error" \
    no_session_errors
diag "$(rekeys) re-keys in sshd's log; $(grep -c "Accepted publickey" "$SSHD_DIR/log") logins"

done_testing
