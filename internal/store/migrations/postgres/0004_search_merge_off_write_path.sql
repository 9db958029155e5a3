-- On SQLite this migration moves full-text segment merging off the write
-- path; PostgreSQL's GIN index has nothing alike.
SELECT 1;
