-- FTS5 merged index segments inside the commit of the write that made the
-- last one (automerge): more than half of a created record's cost. The
-- server merges in the background instead (store.MergeSearch); a level
-- that reaches crisismerge segments is still merged by the write itself,
-- so the index stays bounded when nobody merges (the command line).
INSERT INTO search_fts (search_fts, rank) VALUES ('automerge', 0);
