-- gdfs schema v7: votes held by a node that joined (docs/record-log.md,
-- "A member back with an emptied disk").
--
-- Raft assumes a voter never loses what it acknowledged. A node that
-- joins may be a member back with an emptied disk, its committed entries
-- and its vote of the current term gone: it grants no vote until its
-- record log has caught up with a leader's commit index. 1 from the join
-- until then, across restarts; 0 for a group's first node and for every
-- node of an older database (members that never lost their disks).
ALTER TABLE node ADD COLUMN votes_held INTEGER NOT NULL DEFAULT 0;
