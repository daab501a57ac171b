# tests/cluster/sshd.sh: a throw-away sshd for the ssh transport tests.
#
# Sourced after lib.sh:  . "$(dirname "$0")/sshd.sh"
#
# Everything lives in $SSHD_DIR (= $T/sshd): host key, user key,
# authorized_keys, sshd_config, log. The daemon runs in the foreground
# (-D) as a background job of the test, so lib.sh's exit trap kills it
# and its session processes by pid; nothing under /etc/ssh or any system
# sshd is touched.
#
#   sshd_missing             prints why this machine cannot run the test
#                            (no /usr/sbin/sshd, no ssh-keygen, no
#                            /run/sshd) and returns 0; returns 1 if it can
#   sshd_setup               make the keys and the config, pick SSHD_PORT
#   sshd_start               start the daemon, wait until it answers
#   sshd_kill                SIGKILL the daemon and every session process
#                            under it (as a crash or a reboot would)
#   sshd_known_hosts FILE    write the line known_hosts needs for it
#   sshd_fingerprint         the host key's fingerprint, "SHA256:..."
#   ssh_skip_unless_ready    print the TAP skip plan and exit 0 when sshd
#                            or ssh.so is missing; sets SSH_PLUGIN_DIR
#   ssh_ini [KEY=VALUE]...   make_node_ini arguments for a node using the
#                            ssh plugin with this sshd (known_hosts
#                            $T/known_hosts); KEY=VALUE replace [ssh] keys
#   scli I ARGS...           gdfs-cli with node I's INI, so through the
#                            ssh plugin (lib.sh's cli talks tcp)
#
# Variables: SSHD_DIR, SSHD_PORT, SSHD_PID, SSH_USER (who we log in as),
# SSH_KEY (the user's private key; its .pub is in authorized_keys).
# SSHD_EXTRA_CONFIG, if set before sshd_setup, goes at the top of
# sshd_config (sshd takes the first value of a keyword, so it overrides
# the defaults below, e.g. "LogLevel DEBUG1").
#
# Facts this relies on (OpenSSH 9.2, Debian 12):
#   - sshd must be started by its absolute path (it re-executes itself);
#   - /run/sshd, its privilege separation directory, must exist;
#   - StrictModes no: the keys live under /tmp, which sshd would
#     otherwise reject for its modes;
#   - AllowTcpForwarding yes: the transport uses direct-tcpip channels;
#   - ed25519 keys: libssh2 1.10 signs RSA only with SHA-1, which
#     OpenSSH >= 8.8 refuses.

SSHD_BIN=/usr/sbin/sshd
SSHD_DIR=$T/sshd
SSHD_PORT=""
SSHD_PID=""
SSH_USER=$(id -un)
SSH_KEY=$SSHD_DIR/user_key

sshd_missing() {
    if [ ! -x "$SSHD_BIN" ]; then
        echo "$SSHD_BIN not found (Debian package openssh-server; tests/install-deps.sh installs it)"
        return 0
    fi
    if ! command -v ssh-keygen >/dev/null; then
        echo "ssh-keygen not found (Debian package openssh-client)"
        return 0
    fi
    if [ ! -d /run/sshd ] && ! mkdir -p /run/sshd 2>/dev/null; then
        echo "/run/sshd (sshd's privilege separation directory) is missing and cannot be created"
        return 0
    fi
    return 1
}

sshd_setup() {
    mkdir -p "$SSHD_DIR" && chmod 700 "$SSHD_DIR" || return 1
    ssh-keygen -q -t ed25519 -N '' -C gdfs-test-host -f "$SSHD_DIR/host_key" || return 1
    ssh-keygen -q -t ed25519 -N '' -C gdfs-test-user -f "$SSH_KEY" || return 1
    cp "$SSH_KEY.pub" "$SSHD_DIR/authorized_keys"
    SSHD_PORT=$(free_port) || return 1
    USED_PORTS[$SSHD_PORT]=1
    cat >"$SSHD_DIR/sshd_config" <<EOF
# written by tests/cluster/sshd.sh for one test run
${SSHD_EXTRA_CONFIG:-}
ListenAddress 127.0.0.1
Port $SSHD_PORT
HostKey $SSHD_DIR/host_key
PidFile $SSHD_DIR/sshd.pid
AuthorizedKeysFile $SSHD_DIR/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
PermitOpen any
X11Forwarding no
PrintMotd no
MaxStartups 100
MaxSessions 64
LogLevel VERBOSE
EOF
    "$SSHD_BIN" -t -f "$SSHD_DIR/sshd_config"
}

# sshd_answers: the port gives an SSH banner.
sshd_answers() {
    local line
    exec 7<>"/dev/tcp/127.0.0.1/$SSHD_PORT" 2>/dev/null || return 1
    IFS= read -r -t 2 line <&7
    exec 7<&- 7>&-
    case $line in SSH-2.0-*) echo up ;; *) return 1 ;; esac
}

# sshd runs under a wrapper subshell that waits for it, so that killing it
# does not make bash report "Killed" (as lib.sh does for nodes).
sshd_start() {
    rm -f "$SSHD_DIR/pid"
    (
        "$SSHD_BIN" -D -f "$SSHD_DIR/sshd_config" -E "$SSHD_DIR/log" &
        echo $! >"$SSHD_DIR/pid"
        wait $!
    ) 2>/dev/null &
    SSHD_WRAPPER=$!
    expect_within 5 '[0-9]+' cat "$SSHD_DIR/pid" || return 1
    SSHD_PID=$EW_LAST
    expect_within 10 up sshd_answers
}

sshd_kill() {
    local all
    [ -n "$SSHD_PID" ] || return 1
    mapfile -t all < <(freeze_tree "$SSHD_PID")
    kill -KILL "${all[@]}" 2>/dev/null
    wait "$SSHD_WRAPPER"
    SSHD_PID=""
    return 0
}

sshd_known_hosts() {
    echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$SSHD_DIR/host_key.pub")" >"$1"
}

sshd_fingerprint() {
    ssh-keygen -l -E sha256 -f "$SSHD_DIR/host_key.pub" | cut -d' ' -f2
}

ssh_skip_unless_ready() {
    local why
    if why=$(sshd_missing); then
        echo "1..0 # SKIP $why"
        exit 0
    fi
    SSH_PLUGIN_DIR=${GDFS_SSH_PLUGIN_DIR:-$GDFS_BUILDDIR/plugins/ssh/.libs}
    if [ ! -e "$SSH_PLUGIN_DIR/ssh.so" ]; then
        echo "1..0 # SKIP $SSH_PLUGIN_DIR/ssh.so not built (configure --disable-ssh?)"
        exit 0
    fi
}

ssh_ini() {
    declare -A s=([user]=$SSH_USER [identity]=$SSH_KEY
        [known_hosts]=$T/known_hosts [port]=$SSHD_PORT)
    local kv k
    for kv in "$@"; do s[${kv%%=*}]=${kv#*=}; done
    echo transport.plugin=ssh
    echo "transport.plugin_dir=$SSH_PLUGIN_DIR"
    echo "[ssh]"
    for k in "${!s[@]}"; do echo "$k = ${s[$k]}"; done
}

scli() {
    local i=$1
    shift
    "$CLI_BIN" -c "$T/n$i/node.ini" "$@"
}
