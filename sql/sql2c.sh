#!/bin/sh
# Turn sql/NNN-*.sql files into a C table of migrations (schema_sql.c).
# Usage: sql2c.sh sql/001-x.sql sql/002-y.sql ... > schema_sql.c
set -e
echo '/* Generated from sql/NNN-what.sql by sql/sql2c.sh: do not edit. */'
echo '#include "store/schema.h"'
echo 'const struct gdfs_migration gdfs_migrations[] = {'
for f in "$@"; do
    base=$(basename "$f")
    num=$(echo "$base" | sed -n 's/^0*\([0-9][0-9]*\)-.*\.sql$/\1/p')
    [ -n "$num" ] || { echo "sql2c: $f is not named NNN-what.sql" >&2; exit 1; }
    printf '    {%s, "%s",\n' "$num" "$base"
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/     "/' -e 's/$/\\n"/' "$f"
    echo '    },'
done
echo '};'
echo "const unsigned gdfs_migrations_count = $#;"
