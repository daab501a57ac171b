-- gdfs schema v1: node state, members, file versions held here, chunks.
-- Applied in one transaction when PRAGMA user_version < 1. Never edit a
-- shipped migration: add sql/NNN-<what>.sql instead.

-- This node's identity and its persistent election state. One row.
CREATE TABLE node (
    one          INTEGER PRIMARY KEY CHECK (one = 1),
    node_id      TEXT    NOT NULL,
    group_id     TEXT    NOT NULL,
    current_term INTEGER NOT NULL DEFAULT 0,
    voted_for    TEXT,
    last_seq     INTEGER NOT NULL DEFAULT 0  -- highest version seq assigned
);

-- The member table (DESIGN.md "Member table"): one table, not two lists.
-- state: 0 alive, 1 suspect, 2 failed, 3 left.
CREATE TABLE members (
    node_id     TEXT    PRIMARY KEY,
    addr        TEXT    NOT NULL,
    state       INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3),
    incarnation INTEGER NOT NULL DEFAULT 0
);

-- One row per file version held on this node. A version is visible only
-- in state 1 (complete) or 2 (tombstone); state 0 (writing) rows are a
-- put in progress and are deleted at start-up if a crash left them.
-- (seq, term) is the version; chunk_size/nchunks/size/sha256 describe it.
CREATE TABLE versions (
    id         INTEGER PRIMARY KEY,
    name       BLOB    NOT NULL,
    seq        INTEGER NOT NULL,
    term       INTEGER NOT NULL,
    state      INTEGER NOT NULL CHECK (state BETWEEN 0 AND 2),
    size       INTEGER NOT NULL DEFAULT 0,
    chunk_size INTEGER NOT NULL,
    nchunks    INTEGER NOT NULL DEFAULT 0,
    sha256     BLOB,
    created    INTEGER NOT NULL,  -- unix seconds
    UNIQUE (name, term, seq)
);
CREATE INDEX versions_by_state ON versions (state);

-- File data, one row per chunk of a version, with its SHA-256.
CREATE TABLE chunks (
    version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    sha256     BLOB    NOT NULL,
    data       BLOB    NOT NULL,
    PRIMARY KEY (version_id, idx)
);
