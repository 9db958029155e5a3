-- Approvals (审批) for any document type: admins' rules with their steps,
-- and each approval run with its steps and decisions. One approval per
-- document may be pending at a time (a partial unique index), so two
-- submissions racing cannot both start one. Unread notifications are
-- counted on every page (the bell), hence their partial index.

CREATE TABLE approval_rules (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL,
    doc_type     TEXT NOT NULL,
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    position     BIGINT NOT NULL DEFAULT 0,
    fact         TEXT NOT NULL,
    op           TEXT NOT NULL,
    value        TEXT NOT NULL,
    level        BIGINT NOT NULL DEFAULT 1,
    description  TEXT,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    created_by   UUID,
    updated_by   UUID,
    deleted_at   TIMESTAMPTZ
);
CREATE INDEX approval_rules_doc ON approval_rules(doc_type, position) WHERE deleted_at IS NULL;
CREATE INDEX approval_rules_updated ON approval_rules(updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE approval_rule_steps (
    id           UUID PRIMARY KEY,
    rule_id      UUID NOT NULL REFERENCES approval_rules(id),
    position     BIGINT NOT NULL,
    role         TEXT,
    user_id      UUID,
    label        TEXT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    created_by   UUID,
    updated_by   UUID,
    deleted_at   TIMESTAMPTZ
);
CREATE INDEX approval_rule_steps_rule ON approval_rule_steps(rule_id, position) WHERE deleted_at IS NULL;

CREATE TABLE approvals (
    id           UUID PRIMARY KEY,
    record_title TEXT NOT NULL,
    doc_type     TEXT NOT NULL,
    record_id    UUID NOT NULL,
    customer_id  UUID,
    status       TEXT NOT NULL,
    current_step BIGINT NOT NULL DEFAULT 1,
    steps_total  BIGINT NOT NULL,
    awaiting     TEXT,
    submitted_by UUID NOT NULL,
    submitted_at TIMESTAMPTZ NOT NULL,
    reason       TEXT NOT NULL,
    facts        TEXT,
    decided_at   TIMESTAMPTZ,
    owner_id     UUID,
    team_id      UUID,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    created_by   UUID,
    updated_by   UUID
);
CREATE INDEX approvals_record ON approvals(doc_type, record_id, submitted_at);
CREATE UNIQUE INDEX approvals_one_pending ON approvals(doc_type, record_id) WHERE status = 'pending';
CREATE INDEX approvals_status ON approvals(status, submitted_at, id);
CREATE INDEX approvals_submitted ON approvals(submitted_at, id);
CREATE INDEX approvals_updated ON approvals(updated_at, id);
CREATE INDEX approvals_owner ON approvals(owner_id, submitted_at);
CREATE INDEX approvals_team ON approvals(team_id, submitted_at);
CREATE INDEX approvals_customer ON approvals(customer_id);

CREATE TABLE approval_steps (
    id           UUID PRIMARY KEY,
    approval_id  UUID NOT NULL REFERENCES approvals(id),
    position     BIGINT NOT NULL,
    label        TEXT NOT NULL,
    role         TEXT,
    user_id      UUID,
    level        BIGINT NOT NULL,
    rule_name    TEXT,
    approvers    TEXT,
    fallback     BOOLEAN NOT NULL DEFAULT FALSE,
    status       TEXT NOT NULL,
    decision     TEXT,
    decided_by   UUID,
    comment      TEXT,
    decided_at   TIMESTAMPTZ,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    created_by   UUID,
    updated_by   UUID
);
CREATE UNIQUE INDEX approval_steps_order ON approval_steps(approval_id, position);

CREATE INDEX notifications_unread ON notifications(user_id) WHERE read_at IS NULL;
