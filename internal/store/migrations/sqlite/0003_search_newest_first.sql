-- Full-text rows get decreasing row ids from now on (store.IndexDoc), so
-- that "newest first" is FTS5's forward order: a restricted user's search
-- intersects large posting lists about twice as fast forward as backward.
-- The rows written so far have increasing ids; the index is emptied here
-- and rebuilt from the records by the server that applies this migration
-- (records.RebuildSearch; `closeloop reindex` does the same by hand).
INSERT INTO settings (key, value, updated_at)
    SELECT 'search.rebuild', '3', '2026-12-01 00:00:00+00:00' WHERE EXISTS (SELECT 1 FROM search_docs);
DELETE FROM search_docs;
INSERT INTO search_fts (search_fts) VALUES ('delete-all');
