-- gdfs schema v6: the record log (issue 14, docs/record-log.md).
--
-- File records become entries of one replicated log, Raft's way: the
-- leader appends, a majority stores, every member applies committed
-- entries in order to its record table (meta), which is the state machine
-- and, compacted, the snapshot. The entries after the snapshot live here.
-- idx: the entry's log index (above log_snap_index, no gaps); term: the
-- term of the leader that appended it; data: the entry as the records room
-- encodes it (opaque to the store).
CREATE TABLE rlog (
    idx  INTEGER PRIMARY KEY,
    term INTEGER NOT NULL,
    data BLOB    NOT NULL
);

-- The snapshot (the entries up to log_snap_index, the last of term
-- log_snap_term, are in meta and gone from rlog) and the last entry
-- applied to meta (log_applied >= log_snap_index), written in the same
-- transaction as what the entry changed.
ALTER TABLE node ADD COLUMN log_snap_index INTEGER NOT NULL DEFAULT 0;
ALTER TABLE node ADD COLUMN log_snap_term  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE node ADD COLUMN log_applied    INTEGER NOT NULL DEFAULT 0;

-- A new leader numbers its versions above the highest seq it knows
-- (gdfs_store_max_seq) before it serves: with these indexes that is a
-- lookup, not a scan of every record and copy, so failover does not grow
-- with the number of files.
CREATE INDEX meta_by_seq ON meta (seq);
CREATE INDEX versions_by_seq ON versions (seq);
