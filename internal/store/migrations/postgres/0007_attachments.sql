-- Attachments on any record: the bytes live in files (so backups and every
-- server of a cluster have them), the attachment row ties a file to one
-- record of one entity. Soft-deleted attachments keep their file, so a
-- deletion can be undone.

CREATE TABLE attachments (
    id           UUID PRIMARY KEY,
    entity       TEXT NOT NULL,
    record_id    UUID NOT NULL,
    file_id      UUID NOT NULL REFERENCES files(id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   UUID,
    deleted_at   TIMESTAMPTZ,
    deleted_by   UUID
);
CREATE INDEX attachments_record ON attachments(entity, record_id, created_at);
CREATE INDEX attachments_file ON attachments(file_id);
