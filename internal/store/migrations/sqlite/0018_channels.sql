-- After-sales channels: the customer's portal links (only the token's
-- SHA-256 is kept), the public form's per-address counter (rate limit),
-- and a unique Message-ID on ticket messages so one mail never makes two
-- tickets or two messages, whichever server reads the mailbox.

CREATE TABLE portal_links (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT REFERENCES customers(id),
    contact_id   TEXT REFERENCES contacts(id),
    email        TEXT,
    token_hash   TEXT NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    created_by   TEXT REFERENCES users(id),
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);

CREATE TABLE channel_hits (
    id     TEXT PRIMARY KEY,
    bucket TEXT NOT NULL,
    at     TIMESTAMP NOT NULL
);

CREATE UNIQUE INDEX portal_links_token ON portal_links(token_hash);
CREATE INDEX portal_links_customer ON portal_links(customer_id, created_at);
CREATE INDEX tickets_requester_email ON tickets(lower(requester_email)) WHERE deleted_at IS NULL;
CREATE INDEX channel_hits_bucket ON channel_hits(bucket, at);
CREATE INDEX channel_hits_at ON channel_hits(at);
DROP INDEX ticket_messages_mail;
CREATE UNIQUE INDEX ticket_messages_mail ON ticket_messages(mail_message_id) WHERE mail_message_id IS NOT NULL;
