/* Schema migrations, generated from sql/NNN-*.sql (see sql/sql2c.sh). */
#ifndef GDFS_STORE_SCHEMA_H
#define GDFS_STORE_SCHEMA_H

struct gdfs_migration {
    int version; /* NNN of the file: PRAGMA user_version after it */
    const char *file;
    const char *sql;
};

extern const struct gdfs_migration gdfs_migrations[];
extern const unsigned gdfs_migrations_count;

#endif
