#!/bin/sh
# Build /etc/gdfs/known_hosts for the ssh example (node-a.ini .. node-c.ini)
# and show the fingerprints to check. Run on one machine, then copy the
# file to the others.
#
# ssh-keyscan asks the machines for their keys over the network, so it
# trusts the network: before copying the file, compare every fingerprint
# printed below with the one the machine itself reports, on its console:
#     ssh-keygen -l -E sha256 -f /etc/ssh/ssh_host_ed25519_key.pub
# gdfs never adds or changes a key in this file: a machine whose key is
# missing or different is refused, and the error names the host and the
# key's SHA256 fingerprint (compare it the same way, then edit the file).
#
# An sshd on a port other than 22 is listed as "[host]:port" (ssh-keyscan
# -p PORT writes that form). Hashed names (ssh-keygen -H) work too.
set -eu
out=${1:-/etc/gdfs/known_hosts}
ssh-keyscan -t ed25519 10.0.0.1 10.0.0.2 10.0.0.3 >"$out.new"
ssh-keygen -l -E sha256 -f "$out.new"
mv "$out.new" "$out"
echo "wrote $out: check the fingerprints above against each machine"
