-- Outgoing mail: one row per message, written in the transaction of what
-- it is about (a quote marked sent and its e-mail commit together) and
-- delivered by the mail.send job. Attachments' bytes live in files, so a
-- message can also point at a file already stored for an attachment.

CREATE TABLE mail_outbox (
    id          TEXT PRIMARY KEY,
    status      TEXT NOT NULL,            -- queued, sent, failed
    to_addrs    TEXT NOT NULL,            -- JSON array of addresses
    cc_addrs    TEXT NOT NULL,            -- JSON array of addresses
    reply_to    TEXT,
    subject     TEXT NOT NULL,
    text_body   TEXT NOT NULL,
    html_body   TEXT,
    entity      TEXT,                     -- what the message is about
    record_id   TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,                     -- the server's answer to the last attempt
    message_id  TEXT,                     -- the Message-ID header
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT,
    updated_at  TIMESTAMP NOT NULL,
    sent_at     TIMESTAMP
);
CREATE INDEX mail_outbox_created ON mail_outbox(created_at, id);
CREATE INDEX mail_outbox_status ON mail_outbox(status, created_at, id);
CREATE INDEX mail_outbox_record ON mail_outbox(entity, record_id, created_at);

CREATE TABLE mail_attachments (
    message_id   TEXT NOT NULL REFERENCES mail_outbox(id),
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    file_id      TEXT NOT NULL REFERENCES files(id),
    PRIMARY KEY (message_id, position)
);
CREATE INDEX mail_attachments_file ON mail_attachments(file_id);
