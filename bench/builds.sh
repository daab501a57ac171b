# bench/builds.sh: sourced by the benchmarks that can measure a second,
# reference build in the same run (bench/replication.sh, bench/ssh.sh),
# after bench/build.sh. Needs $src, $build, and $against (a git revision)
# or $against_build (a built tree), either or both empty.
#
# Sets $slots: "this", or "this ref" with a reference; per slot, bdir[S]
# (its build directory), bname[S] (how the output names it) and
# npids[S] (its nodes' pids, as node_start starts them). A
# revision is built once, from `git archive`, into
# ${TMPDIR:-/tmp}/gdfs-bench-SHA/build and reused by later runs.
#
# How a node of a build is started and how its CLI is called is kept here,
# in node_start and gcli, and nowhere else: a build with authentication
# (issue 12; told by --key-file in its CLI's usage) joins with a node
# token and its CLI presents a client credential, both issued by the
# group's first node (`gdfs-node -c INI token --role ROLE`); a build
# without it is started and called as before.

declare -A bdir bname bauth bfirst npids

# slot_add S DIR NAME: a build the benchmark runs.
slot_add() {
    local s=$1 d=$2
    [ -x "$d/gdfs-node" ] && [ -x "$d/gdfs-cli" ] && [ -d "$d/plugins/tcp/.libs" ] ||
        { echo "$d: not a built gdfs tree (no gdfs-node, gdfs-cli, plugins/tcp/.libs)" >&2; exit 2; }
    bdir[$s]=$(cd "$d" && pwd)
    bname[$s]=$3
    bauth[$s]=no
    "$d/gdfs-cli" --help 2>&1 | grep -q -- --key-file && bauth[$s]=yes
    bfirst[$s]=
    slots="${slots:+$slots }$s"
}

# ref_of_rev REV: the build directory of git revision REV, built once.
ref_of_rev() {
    local sha cache
    git -C "$src" rev-parse --git-dir >/dev/null 2>&1 ||
        { echo "--against needs a git checkout ($src is none); use --against-build DIR" >&2; exit 2; }
    sha=$(git -C "$src" rev-parse --verify -q "$1^{commit}") ||
        { echo "--against $1: no such commit" >&2; exit 2; }
    cache=${TMPDIR:-/tmp}/gdfs-bench-${sha:0:12}
    if [ ! -d "$cache/src" ]; then
        rm -rf "$cache.part" && mkdir -p "$cache.part/src"
        git -C "$src" archive "$sha" | tar -x -C "$cache.part/src" || exit 1
        rm -rf "$cache" && mv "$cache.part" "$cache"
    fi
    [ -f "$cache/build/Makefile" ] || echo "building $1 (${sha:0:12}) in $cache, once" >&2
    bench_build "$cache/src" "$cache/build" >&2 || { echo "--against $1: the build failed" >&2; exit 1; }
    echo "$cache/build"
}

slots=
slot_add this "$build" "this build"
if [ -n "${against:-}" ] && [ -n "${against_build:-}" ]; then
    echo "--against and --against-build: one reference at a time" >&2
    exit 2
elif [ -n "${against:-}" ]; then
    ref_dir=$(ref_of_rev "$against")
    slot_add ref "$ref_dir" "$(git -C "$src" rev-parse --short "$against^{commit}")"
elif [ -n "${against_build:-}" ]; then
    slot_add ref "$against_build" "$against_build"
fi

# node_start S INI LOG [init | join FIRST_INI]: one node of slot S's build
# in the background ($! is its pid, also added to npids[S]). A joining
# node asks the node of FIRST_INI, which must be running.
node_start() {
    local s=$1 ini=$2 log=$3 addr tok
    shift 3
    case ${1:-} in
    init) bfirst[$s]=$ini ;;
    join)
        addr=$(sed -n 's/^listen *= *//p' "$2")
        if [ "${bauth[$s]}" = yes ]; then
            tok=$("${bdir[$s]}/gdfs-node" -c "$2" token --role node) ||
                { echo "${bname[$s]}: no join token from the node of $2" >&2; return 1; }
            set -- join --token "$tok" "$addr"
        else
            set -- join "$addr"
        fi
        ;;
    esac
    "${bdir[$s]}/gdfs-node" -c "$ini" "$@" 2>>"$log" &
    npids[$s]+=" $!"
}

# gcli S ARGS...: slot S's gdfs-cli. With authentication it presents a
# client credential (role write, in a file beside the first node's INI)
# that the first node issues on the first call that needs one; with -c
# INI the node's own rights serve instead.
gcli() {
    local s=$1 key
    shift
    if [ "${bauth[$s]}" = yes ] && [ "$1" != -c ]; then
        key=${bfirst[$s]%.ini}.key
        [ -s "$key" ] ||
            (umask 077 && "${bdir[$s]}/gdfs-node" -c "${bfirst[$s]}" token --role write >"$key") 2>/dev/null ||
            return 1
        set -- --key-file "$key" "$@"
    fi
    "${bdir[$s]}/gdfs-cli" "$@"
}

# by_run THIS REF: this/ref of each run, from two lists of seconds in run
# order ("0.31 0.29 ..."): the spread that one ratio of medians hides.
by_run() {
    paste -d' ' <(echo "$1" | xargs -n1) <(echo "$2" | xargs -n1) |
        awk '{printf "%s%.2f", (NR > 1 ? " " : ""), $1 / $2} END {print ""}'
}

# cpu_s PID...: the user + system CPU seconds the processes (all their
# threads) have used so far; one that has gone counts nothing.
cpu_s() {
    local p st t=0
    local -a fl
    for p; do
        st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        read -ra fl <<<"${st##*) }" # fields 3.. of proc(5): utime 14, stime 15
        t=$((t + fl[11] + fl[12]))
    done
    awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}'
}

# fail S WHAT LOG...: say which build's WHAT failed, with the end of each
# LOG (the benchmark's directory goes with it), and stop.
fail() {
    local s=$1 what=$2 l
    shift 2
    echo "${bname[$s]}: $what failed" >&2
    for l; do
        echo "--- $l" >&2
        tail -n 10 "$l" >&2
    done
    exit 1
}
