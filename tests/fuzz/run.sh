#!/usr/bin/env bash
# Build and run every libFuzzer target tests/fuzz/fuzz_*.c.
#
#   bash tests/fuzz/run.sh [SECONDS]     (default 60 seconds per target)
#
# Each target is built with clang (ASan + UBSan, UBSan fatal) into a temp
# dir, linked with the shared sources, given a seed corpus and run for
# SECONDS. Exits nonzero if a build fails or any target finds a crash; the
# temp dir (logs, corpus, crash-* reproducers) is then kept and printed.
# Reproduce a crash with: <tmpdir>/<target> <tmpdir>/<target>-crash-...
set -euo pipefail

secs=${1:-60}
# 0 would mean "forever" to libFuzzer.
case $secs in
'' | *[!0-9]* | 0*)
    echo "usage: $0 [SECONDS]  (SECONDS >= 1)" >&2
    exit 2
    ;;
esac

cd "$(dirname "$0")/../.."
CC=${CC:-clang}
work=$(mktemp -d "${TMPDIR:-/tmp}/gdfs-fuzz.XXXXXX")
keep=0
cleanup() {
    if [ "$keep" -eq 0 ]; then
        rm -rf "$work"
    else
        echo "fuzz: kept $work" >&2
    fi
}
trap cleanup EXIT

# Every target links the same support code; fuzz_config needs config.c and
# iniparser, fuzz_group the core (pure: no clock, no I/O). Sources not
# written yet are skipped.
proto=(src/proto/*.c)
support=("${proto[@]}" src/core/*.c)
for f in src/err.c src/log.c src/config.c; do
    [ -f "$f" ] && support+=("$f")
done
libs=()
[ -f src/config.c ] && libs+=(-liniparser)
# fuzz_auth: the channel and credentials (OpenSSL), over net.c and clock.c.
for f in src/auth/cred.c src/auth/channel.c src/net.c src/clock.c src/hash.c \
    src/transport.c; do
    [ -f "$f" ] && support+=("$f")
done
libs+=(-lssl -lcrypto -ldl -lpthread)
cflags=(-g -O1 -fsanitize=fuzzer,address,undefined
    -fno-sanitize-recover=undefined -I src -I/usr/include/iniparser)

targets=(tests/fuzz/fuzz_*.c)
if [ ! -e "${targets[0]}" ]; then
    echo "fuzz: no tests/fuzz/fuzz_*.c" >&2
    exit 1
fi

# Seed generator for fuzz_proto (plain build: it only encodes).
"$CC" -g -O1 -I src tests/fuzz/seeds.c "${proto[@]}" src/err.c \
    -o "$work/seeds"

failed=0
for src in "${targets[@]}"; do
    name=$(basename "$src" .c)
    bin=$work/$name
    corpus=$work/corpus-$name
    log=$work/$name.log
    mkdir -p "$corpus"

    echo "fuzz: building $name"
    if ! "$CC" "${cflags[@]}" "$src" "${support[@]}" "${libs[@]}" \
        -o "$bin"; then
        echo "fuzz: $name: build failed" >&2
        failed=1
        continue
    fi

    case $name in
    fuzz_proto) "$work/seeds" "$corpus" >/dev/null ;;
    fuzz_config)
        for f in examples/*.ini tests/fuzz/corpus/fuzz_config/*; do
            [ -f "$f" ] && cp "$f" "$corpus/"
        done
        ;;
    fuzz_group)
        # One script per line: "name hex-bytes" (# comments).
        while read -r sname hex; do
            case $sname in '' | '#'*) continue ;; esac
            printf "$(printf '%s' "$hex" | tr -d ' ' | sed 's/../\\x&/g')" \
                >"$corpus/$sname"
        done <tests/fuzz/seeds_group.txt
        ;;
    esac
    if [ -d "tests/fuzz/corpus/$name" ]; then
        cp tests/fuzz/corpus/"$name"/* "$corpus/" 2>/dev/null || true
    fi
    # libFuzzer needs at least one input to start from.
    [ -n "$(ls -A "$corpus")" ] || printf 'x' >"$corpus/empty-seed"

    echo "fuzz: running $name for ${secs}s"
    rc=0
    "$bin" -max_total_time="$secs" -max_len=16384 -print_final_stats=1 \
        -artifact_prefix="$work/$name-" "$corpus" >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    echo "fuzz: $name: exit $rc, ${runs:-?} runs; last: ${cov:-none}"
    if [ "$rc" -ne 0 ]; then
        echo "fuzz: $name FAILED; end of $log:" >&2
        tail -n 60 "$log" >&2
        ls "$work"/"$name"-* 2>/dev/null >&2 || true
        failed=1
    fi
done

if [ "$failed" -ne 0 ]; then
    keep=1
    exit 1
fi
echo "fuzz: all targets clean"
