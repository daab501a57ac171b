#!/bin/bash
# Check the subjects of the commits made since the commit style was first
# checked (HACKING.md "Commits"): at most 72 characters, in the form
# `area: imperative summary` (lower-case area names, a space after the
# colon, no period at the end). Merge commits are skipped.
#   tests/commits.sh [BASE]   check BASE..HEAD (default: since f3b982b)
#   tests/commits.sh --msg F  check the message in file F (a commit-msg
#                             hook: ln -s ../../tests/commits.sh
#                             .git/hooks/commit-msg runs it that way)
# Exits 0 when all pass, 1 naming each subject that does not, 77 when
# there is no git history to read (a release tarball).
set -u

# Why @1 is not a good subject, or nothing.
subject_fault() {
    local subject=$1
    if [ ${#subject} -gt 72 ]; then
        echo "${#subject} characters (at most 72)"
    elif ! [[ $subject =~ ^[a-z0-9][a-z0-9_./+-]*(,\ [a-z0-9][a-z0-9_./+-]*)*:\ [^\ ] ]]; then
        echo "not in the form 'area: imperative summary'"
    elif [[ $subject == *. ]]; then
        echo "ends with a period"
    fi
}

# As a commit-msg hook git passes the message file; the hook's name
# tells, so a link in .git/hooks needs no arguments.
if [ "${1:-}" = --msg ] || [ "$(basename "$0")" = commit-msg ]; then
    [ "${1:-}" = --msg ] && shift
    subject=$(grep -v '^#' "$1" | head -1)
    case $subject in Merge\ *) exit 0 ;; esac
    why=$(subject_fault "$subject")
    [ -z "$why" ] && exit 0
    echo "commit subject \"$subject\": $why" >&2
    exit 1
fi

cd "$(dirname "$0")/.."
base=${1:-f3b982b}
if ! git rev-parse --verify -q HEAD >/dev/null 2>&1 ||
    ! git rev-parse --verify -q "$base^{commit}" >/dev/null 2>&1; then
    echo "commits: no git history with $base here; skipped"
    exit 77
fi
bad=0 n=0
while IFS= read -r line; do
    hash=${line%% *} subject=${line#* }
    n=$((n + 1))
    why=$(subject_fault "$subject")
    if [ -n "$why" ]; then
        echo "commits: $hash \"$subject\": $why"
        bad=$((bad + 1))
    fi
done < <(git log --no-merges --format='%h %s' "$base..HEAD")
echo "commits: $n checked since $base, $bad with a bad subject"
[ "$bad" -eq 0 ]
