-- The planner chooses between walking search_docs newest first (good for
-- common words) and collecting a word's matches through the GIN index
-- (good for rare ones) by the word's frequency. With the default
-- statistics target every word outside the 1,000 most common looked as
-- common as the thousandth, and searching a rare name walked millions of
-- rows; 1,000 keeps the 10,000 most common and tells rare words apart.
-- (On SQLite this migration changes the full-text row order.)
ALTER TABLE search_docs ALTER COLUMN tsv SET STATISTICS 1000;
ANALYZE search_docs;
