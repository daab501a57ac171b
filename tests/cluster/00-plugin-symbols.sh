#!/bin/bash
# Every transport plugin exports exactly one symbol: gdfs_transport_entry;
# tcp.so and (unless configured --disable-ssh) ssh.so are among them.
set -u
dir=${GDFS_BUILDDIR:?}/plugins
plugins=$(find "$dir" -path '*/.libs/*.so' | sort)
n=$(echo "$plugins" | grep -c .)
# The plugins this build must have made (ssh unless --disable-ssh).
want="tcp"
[ "${GDFS_WITH_SSH:-yes}" = no ] || want="$want ssh"
echo "1..$((n + 2))"
i=1
if [ "$n" -ge 1 ]; then echo "ok $i - found $n plugin(s) under $dir"; else echo "not ok $i - no plugin found under $dir"; fi
fail=0
i=$((i + 1))
missing=""
for w in $want; do
    echo "$plugins" | grep -q "/$w\.so\$" || missing="$missing $w.so"
done
if [ -z "$missing" ]; then
    echo "ok $i - built: $want"
else
    echo "not ok $i - not built:$missing"
    fail=1
fi
for so in $plugins; do
    i=$((i + 1))
    syms=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^$' | sort | tr '\n' ' ')
    if [ "$syms" = "gdfs_transport_entry " ]; then
        echo "ok $i - $(basename "$so") exports only gdfs_transport_entry"
    else
        echo "not ok $i - $(basename "$so") exports: $syms"
        fail=1
    fi
done
[ "$n" -ge 1 ] && [ $fail = 0 ]
