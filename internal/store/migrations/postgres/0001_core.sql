-- Closeloop core schema (PostgreSQL). Keep in step with sqlite/0001_core.sql:
-- same tables, same columns, same order (a test compares them).

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE teams (
    id         UUID PRIMARY KEY,
    version    BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    created_by UUID,
    updated_by UUID,
    deleted_at TIMESTAMPTZ,
    name       TEXT NOT NULL,
    code       TEXT,
    parent_id  UUID REFERENCES teams(id),
    path       TEXT NOT NULL,
    manager_id UUID
);
CREATE INDEX teams_path ON teams(path);

CREATE TABLE roles (
    code         TEXT PRIMARY KEY,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    label_zh     TEXT NOT NULL,
    label_en     TEXT NOT NULL,
    perms        TEXT NOT NULL,
    see_contacts BOOLEAN NOT NULL DEFAULT FALSE,
    pool         BOOLEAN NOT NULL DEFAULT FALSE,
    assign       BOOLEAN NOT NULL DEFAULT FALSE,
    admin        BOOLEAN NOT NULL DEFAULT FALSE,
    require_totp BOOLEAN NOT NULL DEFAULT FALSE,
    built_in     BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE users (
    id                  UUID PRIMARY KEY,
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    created_by          UUID,
    updated_by          UUID,
    deleted_at          TIMESTAMPTZ,
    email               TEXT NOT NULL,
    name                TEXT NOT NULL,
    phone               TEXT,
    roles               TEXT NOT NULL,
    team_id             UUID REFERENCES teams(id),
    lang                TEXT,
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash       TEXT,
    password_changed_at TIMESTAMPTZ,
    totp_secret         TEXT,
    totp_enabled        BOOLEAN NOT NULL DEFAULT FALSE,
    last_login_at       TIMESTAMPTZ
);
CREATE UNIQUE INDEX users_email ON users(email);
CREATE INDEX users_team ON users(team_id);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users(id),
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    totp_ok      BOOLEAN NOT NULL DEFAULT FALSE,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    scope        TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens(token_hash);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_attempts (
    key           TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    window_start  TIMESTAMPTZ NOT NULL,
    blocked_until TIMESTAMPTZ
);

CREATE TABLE picklists (
    list     TEXT NOT NULL,
    code     TEXT NOT NULL,
    label_zh TEXT NOT NULL,
    label_en TEXT NOT NULL,
    position BIGINT NOT NULL,
    active   BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (list, code)
);

CREATE TABLE custom_fields (
    id         UUID PRIMARY KEY,
    entity     TEXT NOT NULL,
    name       TEXT NOT NULL,
    label_zh   TEXT NOT NULL,
    label_en   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    picklist   TEXT,
    required   BOOLEAN NOT NULL DEFAULT FALSE,
    position   BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID
);
CREATE UNIQUE INDEX custom_fields_name ON custom_fields(entity, name);

CREATE TABLE pool_rules (
    entity      TEXT NOT NULL,
    level       TEXT NOT NULL,
    days        BIGINT NOT NULL,
    remind_days BIGINT NOT NULL,
    PRIMARY KEY (entity, level)
);

CREATE TABLE customers (
    id                 UUID PRIMARY KEY,
    version            BIGINT NOT NULL DEFAULT 1,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    created_by         UUID,
    updated_by         UUID,
    deleted_at         TIMESTAMPTZ,
    owner_id           UUID REFERENCES users(id),
    team_id            UUID REFERENCES teams(id),
    kind               TEXT NOT NULL,
    name               TEXT NOT NULL,
    short_name         TEXT,
    name_norm          TEXT NOT NULL,
    industry           TEXT,
    scale              TEXT,
    region             TEXT,
    address            TEXT,
    phone              TEXT,
    website            TEXT,
    source             TEXT,
    level              TEXT,
    credit             TEXT,
    demand_level       TEXT,
    closing_difficulty TEXT,
    status             TEXT NOT NULL,
    tags               TEXT,
    notes              TEXT,
    last_followup_at   TIMESTAMPTZ,
    pool_due_at        TIMESTAMPTZ,
    pool_reminded_at   TIMESTAMPTZ,
    claimed_at         TIMESTAMPTZ,
    released_at        TIMESTAMPTZ,
    released_by        UUID,
    release_reason     TEXT,
    merged_into        UUID
);
CREATE INDEX customers_owner_level ON customers(owner_id, level, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_owner_updated ON customers(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_team_updated ON customers(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_updated ON customers(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_name_norm ON customers(name_norm) WHERE deleted_at IS NULL;
CREATE INDEX customers_pool_due ON customers(pool_due_at) WHERE deleted_at IS NULL AND owner_id IS NOT NULL;

CREATE TABLE contacts (
    id                UUID PRIMARY KEY,
    version           BIGINT NOT NULL DEFAULT 1,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    created_by        UUID,
    updated_by        UUID,
    deleted_at        TIMESTAMPTZ,
    customer_id       UUID NOT NULL REFERENCES customers(id),
    name              TEXT NOT NULL,
    title             TEXT,
    department        TEXT,
    decision_role     TEXT,
    is_primary        BOOLEAN NOT NULL DEFAULT FALSE,
    phone             TEXT,
    office_phone      TEXT,
    email             TEXT,
    wechat            TEXT,
    birthday          DATE,
    birthday_calendar TEXT,
    preferences       TEXT,
    marketing_consent TEXT NOT NULL,
    do_not_contact    BOOLEAN NOT NULL DEFAULT FALSE,
    notes             TEXT
);
CREATE INDEX contacts_customer ON contacts(customer_id, updated_at) WHERE deleted_at IS NULL;
CREATE INDEX contacts_updated ON contacts(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_phone ON contacts(phone) WHERE deleted_at IS NULL;
CREATE INDEX contacts_email ON contacts(email) WHERE deleted_at IS NULL;

CREATE TABLE consent_events (
    id         UUID PRIMARY KEY,
    contact_id UUID NOT NULL REFERENCES contacts(id),
    at         TIMESTAMPTZ NOT NULL,
    actor_id   UUID,
    field      TEXT NOT NULL,
    old_value  TEXT,
    new_value  TEXT,
    method     TEXT NOT NULL,
    note       TEXT
);
CREATE INDEX consent_events_contact ON consent_events(contact_id, at);

CREATE TABLE leads (
    id                    UUID PRIMARY KEY,
    version               BIGINT NOT NULL DEFAULT 1,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    created_by            UUID,
    updated_by            UUID,
    deleted_at            TIMESTAMPTZ,
    owner_id              UUID REFERENCES users(id),
    team_id               UUID REFERENCES teams(id),
    name                  TEXT NOT NULL,
    company               TEXT,
    company_norm          TEXT,
    title                 TEXT,
    phone                 TEXT,
    email                 TEXT,
    wechat                TEXT,
    source                TEXT NOT NULL,
    status                TEXT NOT NULL,
    disqualify_reason     TEXT,
    industry              TEXT,
    region                TEXT,
    address               TEXT,
    notes                 TEXT,
    converted_customer_id UUID REFERENCES customers(id),
    converted_contact_id  UUID REFERENCES contacts(id),
    converted_at          TIMESTAMPTZ,
    last_followup_at      TIMESTAMPTZ,
    pool_due_at           TIMESTAMPTZ,
    pool_reminded_at      TIMESTAMPTZ,
    claimed_at            TIMESTAMPTZ,
    released_at           TIMESTAMPTZ,
    released_by           UUID,
    release_reason        TEXT
);
CREATE INDEX leads_owner_updated ON leads(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_team_updated ON leads(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_updated ON leads(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_phone ON leads(phone) WHERE deleted_at IS NULL;
CREATE INDEX leads_company_norm ON leads(company_norm) WHERE deleted_at IS NULL;
CREATE INDEX leads_pool_due ON leads(pool_due_at) WHERE deleted_at IS NULL AND owner_id IS NOT NULL;

CREATE TABLE activities (
    id                   UUID PRIMARY KEY,
    version              BIGINT NOT NULL DEFAULT 1,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    created_by           UUID,
    updated_by           UUID,
    deleted_at           TIMESTAMPTZ,
    owner_id             UUID REFERENCES users(id),
    team_id              UUID REFERENCES teams(id),
    kind                 TEXT NOT NULL,
    subject              TEXT NOT NULL,
    occurred_at          TIMESTAMPTZ NOT NULL,
    duration_minutes     BIGINT,
    customer_id          UUID REFERENCES customers(id),
    contact_id           UUID REFERENCES contacts(id),
    lead_id              UUID REFERENCES leads(id),
    participant_contacts TEXT,
    participant_users    TEXT,
    summary              TEXT,
    next_step            TEXT,
    next_step_due        DATE,
    next_step_done       BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX activities_customer ON activities(customer_id, occurred_at) WHERE deleted_at IS NULL;
CREATE INDEX activities_lead ON activities(lead_id, occurred_at) WHERE deleted_at IS NULL;
CREATE INDEX activities_owner_updated ON activities(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_updated ON activities(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_due ON activities(owner_id, next_step_due) WHERE deleted_at IS NULL AND next_step_done = FALSE;

CREATE TABLE timeline (
    id          UUID PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    customer_id UUID,
    lead_id     UUID,
    actor_id    UUID,
    kind        TEXT NOT NULL,
    entity      TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX timeline_customer ON timeline(customer_id, at);
CREATE INDEX timeline_lead ON timeline(lead_id, at);

CREATE TABLE audit_log (
    id         UUID PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    actor_id   UUID,
    entity     TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    action     TEXT NOT NULL,
    changes    TEXT NOT NULL,
    request_id TEXT
);
CREATE INDEX audit_log_record ON audit_log(entity, record_id, at);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE search_docs (
    id        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    entity    TEXT NOT NULL,
    record_id UUID NOT NULL,
    tsv       TSVECTOR NOT NULL
);
CREATE UNIQUE INDEX search_docs_record ON search_docs(record_id);
CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv);

CREATE TABLE jobs (
    id           UUID PRIMARY KEY,
    kind         TEXT NOT NULL,
    unique_key   TEXT,
    payload      TEXT NOT NULL,
    run_at       TIMESTAMPTZ NOT NULL,
    status       TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    lease_until  TIMESTAMPTZ,
    locked_by    TEXT,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX jobs_unique_key ON jobs(unique_key);
CREATE INDEX jobs_due ON jobs(status, run_at);

CREATE TABLE files (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    data         BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   UUID
);

CREATE TABLE import_runs (
    id             UUID PRIMARY KEY,
    entity         TEXT NOT NULL,
    file_id        UUID NOT NULL REFERENCES files(id),
    options        TEXT NOT NULL,
    dry_run        BOOLEAN NOT NULL,
    status         TEXT NOT NULL,
    total          BIGINT NOT NULL DEFAULT 0,
    processed      BIGINT NOT NULL DEFAULT 0,
    created_count  BIGINT NOT NULL DEFAULT 0,
    updated_count  BIGINT NOT NULL DEFAULT 0,
    rejected_count BIGINT NOT NULL DEFAULT 0,
    report_file_id UUID REFERENCES files(id),
    error          TEXT,
    created_by     UUID,
    created_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ
);

CREATE TABLE notifications (
    id        UUID PRIMARY KEY,
    user_id   UUID NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    kind      TEXT NOT NULL,
    entity    TEXT,
    record_id TEXT,
    data      TEXT NOT NULL,
    read_at   TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications(user_id, at);
