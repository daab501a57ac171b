#!/bin/sh
# Runs the unit tests of the python test tools (tests/tools/test_*.py:
# lincheck, history) under make check, one TAP step each; the unittest
# output goes out as TAP comments.
# Needs GDFS_SRCDIR (set by make check; by hand: GDFS_SRCDIR=$PWD sh $0).
: "${GDFS_SRCDIR:?GDFS_SRCDIR is not set (run through make check)}"
if ! command -v python3 >/dev/null 2>&1; then
    echo "1..0 # SKIP python3 not found"
    exit 0
fi
set -- \
    "lincheck" "lincheck accepts linearizable histories and rejects the rest" \
    "history" "history records each gdfs-cli outcome as lincheck needs it"
echo "1..$(($# / 2))"
n=0
while [ $# -gt 0 ]; do
    n=$((n + 1))
    out=$(PYTHONDONTWRITEBYTECODE=1 python3 "$GDFS_SRCDIR/tests/tools/test_$1.py" 2>&1)
    rc=$?
    printf '%s\n' "$out" | sed 's/^/# /'
    if [ "$rc" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
    fi
    shift 2
done
exit 0
