-- gdfs schema v5: records accepted but not yet known to be committed
-- (docs/design.md "Replication", "Two phases on members").
--
-- A member stores the leader's META_PUT here, not in meta: a record that
-- reached only a minority (the leader lost its majority) must not become
-- this node's view of the file (lshere, versions, keep_versions, and a
-- tombstone's drop of older copies). The record moves to meta, with those
-- effects, when the leader confirms it (META_SYNC). A new leader collects
-- these rows too (one of them may be committed on a majority that the
-- leader never confirmed before it died).
-- aterm: the term of the leader that sent the record. At most one row per
-- file: the newest version accepted.
CREATE TABLE pending (
    name       BLOB    PRIMARY KEY,
    seq        INTEGER NOT NULL,
    term       INTEGER NOT NULL,
    size       INTEGER NOT NULL,
    chunk_size INTEGER NOT NULL,
    nchunks    INTEGER NOT NULL,
    sha256     BLOB,
    tombstone  INTEGER NOT NULL CHECK (tombstone IN (0, 1)),
    acked      INTEGER NOT NULL,
    replicas   TEXT    NOT NULL,
    aterm      INTEGER NOT NULL
) WITHOUT ROWID;
