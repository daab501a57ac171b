-- gdfs schema v3: replication (DESIGN.md "Files").

-- Metadata records: for every file, the newest record committed by a
-- leader that this node has seen. A leader persists a record here on a
-- majority of the group before it acknowledges the put or remove; a new
-- leader collects these tables from a majority before it serves.
-- replicas: the node ids holding the version, joined by ','; acked: bit i
-- set when the i-th of them holds it durably.
CREATE TABLE meta (
    name       BLOB    PRIMARY KEY,
    seq        INTEGER NOT NULL,
    term       INTEGER NOT NULL,
    size       INTEGER NOT NULL,
    chunk_size INTEGER NOT NULL,
    nchunks    INTEGER NOT NULL,
    sha256     BLOB,
    tombstone  INTEGER NOT NULL CHECK (tombstone IN (0, 1)),
    acked      INTEGER NOT NULL,
    replicas   TEXT    NOT NULL
) WITHOUT ROWID;

-- The newest leader term this node has promised (to a new leader
-- collecting records) or taken a record from: records from leaders of
-- older terms are refused from then on, so a deposed leader cannot commit
-- behind the back of the one that collected.
ALTER TABLE node ADD COLUMN meta_term INTEGER NOT NULL DEFAULT 0;

-- A replica stores a version before the leader commits its record; until a
-- record names it (committed = 1) it is not this node's newest version.
-- Versions written before v3 were all committed locally.
ALTER TABLE versions ADD COLUMN committed INTEGER NOT NULL DEFAULT 1;
