-- Attachments on any record: the bytes live in files (so backups and every
-- server of a cluster have them), the attachment row ties a file to one
-- record of one entity. Soft-deleted attachments keep their file, so a
-- deletion can be undone.

CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,
    entity       TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    file_id      TEXT NOT NULL REFERENCES files(id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    created_by   TEXT,
    deleted_at   TIMESTAMP,
    deleted_by   TEXT
);
CREATE INDEX attachments_record ON attachments(entity, record_id, created_at);
CREATE INDEX attachments_file ON attachments(file_id);
