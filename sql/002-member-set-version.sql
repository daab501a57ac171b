-- gdfs schema v2: the member set is versioned (DESIGN.md "Group": changed
-- one member at a time through the leader). (members_seq, members_term)
-- is the version of the set stored in the members table.
ALTER TABLE node ADD COLUMN members_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE node ADD COLUMN members_term INTEGER NOT NULL DEFAULT 0;
