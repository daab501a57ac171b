#!/bin/sh
# Runs the lincheck unit tests (tests/tools/test_lincheck.py) under make
# check, as one TAP step; the unittest output goes out as TAP comments.
# Needs GDFS_SRCDIR (set by make check; by hand: GDFS_SRCDIR=$PWD sh $0).
: "${GDFS_SRCDIR:?GDFS_SRCDIR is not set (run through make check)}"
if ! command -v python3 >/dev/null 2>&1; then
    echo "1..0 # SKIP python3 not found"
    exit 0
fi
echo "1..1"
out=$(PYTHONDONTWRITEBYTECODE=1 python3 "$GDFS_SRCDIR/tests/tools/test_lincheck.py" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
if [ "$rc" -eq 0 ]; then
    echo "ok 1 - lincheck accepts linearizable histories and rejects the rest"
else
    echo "not ok 1 - lincheck accepts linearizable histories and rejects the rest"
fi
exit 0
