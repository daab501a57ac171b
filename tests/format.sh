#!/bin/bash
# Check the C sources against .clang-format, or rewrite them to match it.
#   tests/format.sh        list each file clang-format would change, with
#                          the start of its diff; exit 1 if any, else 0
#   tests/format.sh --fix  rewrite those files in place
# Files: every tracked *.c and *.h under src/ plugins/ tests/ (git ls-files);
# outside a git checkout, the same found on disk, less generated sources.
# Needs clang-format 14 exactly (Debian 12's `clang-format` package): other
# versions lay the same code out differently. CLANG_FORMAT names the binary
# (default clang-format). Run by tests/ci.sh, never by make check or
# distcheck, whose tarball has no .git.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"

fix=0
case "${1:-}" in
--fix) fix=1 ;;
"") ;;
*) echo "usage: tests/format.sh [--fix]" >&2; exit 2 ;;
esac

cf=${CLANG_FORMAT:-clang-format}
ver=$("$cf" --version 2>/dev/null) || ver=
case "$ver" in
*"clang-format version 14."*) ;;
*)
    echo "tests/format.sh: needs clang-format 14, found: ${ver:-no $cf}" >&2
    echo "tests/format.sh: on Debian 12, apt-get install clang-format" >&2
    exit 1
    ;;
esac

# The file list, one per line (names have no spaces or newlines).
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$src" ]; then
    files=$(git ls-files -- 'src/*.[ch]' 'plugins/*.[ch]' 'tests/*.[ch]')
else
    # Generated from sql/*.sql by the build (BUILT_SOURCES), not by hand.
    files=$(find src plugins tests -name '*.[ch]' \
        ! -path src/store/schema_sql.c | LC_ALL=C sort)
fi

list=()
for f in $files; do
    [ -f "$f" ] && list+=("$f")  # tracked, but deleted in this work tree
done
[ ${#list[@]} -gt 0 ] || { echo "tests/format.sh: no C files found" >&2; exit 1; }

# One run over every file (a run per file is slow): --dry-run warns once
# for each place it would change, naming the file.
out=$("$cf" --style=file --dry-run "${list[@]}" 2>&1) || {
    echo "$out" >&2
    echo "tests/format.sh: $cf failed" >&2
    exit 1
}
changed=()
while read -r f; do
    [ -n "$f" ] && changed+=("$f")
done < <(echo "$out" |
    sed -n 's/^\(.*\):[0-9]*:[0-9]*: warning: .*\[-Wclang-format-violations\]$/\1/p' |
    uniq)

if [ ${#changed[@]} -eq 0 ]; then
    exit 0
fi
if [ "$fix" = 1 ]; then
    "$cf" --style=file -i "${changed[@]}"
    printf 'tests/format.sh: reformatted %s\n' "${changed[@]}"
    exit 0
fi
echo "tests/format.sh: ${#changed[@]} file(s) not laid out as .clang-format says:"
printf '  %s\n' "${changed[@]}"
# The start of each diff, for the first 10 files: enough to see why.
for f in "${changed[@]:0:10}"; do
    echo
    "$cf" --style=file "$f" | diff -u --label "a/$f" --label "b/$f" "$f" - |
        sed -n "1,20p"
done
echo
echo "tests/format.sh: run tests/format.sh --fix to rewrite them"
exit 1
