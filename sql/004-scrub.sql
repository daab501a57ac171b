-- gdfs schema v4: scrub marks (docs/design.md "Scrub").
-- damaged: how many chunks of this copy failed their checksum at its last
-- scrub and could not be repaired from another replica (0 = none known).
-- Such a copy is kept (it may be the last one) but is no source for
-- repairs; probes report it, and a scrub that finds it whole again clears
-- the mark.
ALTER TABLE versions ADD COLUMN damaged INTEGER NOT NULL DEFAULT 0;
