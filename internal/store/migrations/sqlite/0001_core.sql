-- Closeloop core schema (SQLite). Keep in step with postgres/0001_core.sql:
-- same tables, same columns, same order (a test compares them).

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE teams (
    id         TEXT PRIMARY KEY,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    created_by TEXT,
    updated_by TEXT,
    deleted_at TIMESTAMP,
    name       TEXT NOT NULL,
    code       TEXT,
    parent_id  TEXT REFERENCES teams(id),
    path       TEXT NOT NULL,
    manager_id TEXT
);
CREATE INDEX teams_path ON teams(path);

CREATE TABLE roles (
    code         TEXT PRIMARY KEY,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
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
    id                  TEXT PRIMARY KEY,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    created_by          TEXT,
    updated_by          TEXT,
    deleted_at          TIMESTAMP,
    email               TEXT NOT NULL,
    name                TEXT NOT NULL,
    phone               TEXT,
    roles               TEXT NOT NULL,
    team_id             TEXT REFERENCES teams(id),
    lang                TEXT,
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash       TEXT,
    password_changed_at TIMESTAMP,
    totp_secret         TEXT,
    totp_enabled        BOOLEAN NOT NULL DEFAULT FALSE,
    last_login_at       TIMESTAMP
);
CREATE UNIQUE INDEX users_email ON users(email);
CREATE INDEX users_team ON users(team_id);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    totp_ok      BOOLEAN NOT NULL DEFAULT FALSE,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    scope        TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP,
    revoked_at   TIMESTAMP,
    last_used_at TIMESTAMP
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens(token_hash);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_attempts (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    window_start  TIMESTAMP NOT NULL,
    blocked_until TIMESTAMP
);

CREATE TABLE picklists (
    list     TEXT NOT NULL,
    code     TEXT NOT NULL,
    label_zh TEXT NOT NULL,
    label_en TEXT NOT NULL,
    position INTEGER NOT NULL,
    active   BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (list, code)
);

CREATE TABLE custom_fields (
    id         TEXT PRIMARY KEY,
    entity     TEXT NOT NULL,
    name       TEXT NOT NULL,
    label_zh   TEXT NOT NULL,
    label_en   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    picklist   TEXT,
    required   BOOLEAN NOT NULL DEFAULT FALSE,
    position   INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT
);
CREATE UNIQUE INDEX custom_fields_name ON custom_fields(entity, name);

CREATE TABLE pool_rules (
    entity      TEXT NOT NULL,
    level       TEXT NOT NULL,
    days        INTEGER NOT NULL,
    remind_days INTEGER NOT NULL,
    PRIMARY KEY (entity, level)
);

CREATE TABLE customers (
    id                 TEXT PRIMARY KEY,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    created_by         TEXT,
    updated_by         TEXT,
    deleted_at         TIMESTAMP,
    owner_id           TEXT REFERENCES users(id),
    team_id            TEXT REFERENCES teams(id),
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
    last_followup_at   TIMESTAMP,
    pool_due_at        TIMESTAMP,
    pool_reminded_at   TIMESTAMP,
    claimed_at         TIMESTAMP,
    released_at        TIMESTAMP,
    released_by        TEXT,
    release_reason     TEXT,
    merged_into        TEXT
);
CREATE INDEX customers_owner_level ON customers(owner_id, level, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_owner_updated ON customers(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_team_updated ON customers(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_updated ON customers(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_name_norm ON customers(name_norm) WHERE deleted_at IS NULL;
CREATE INDEX customers_pool_due ON customers(pool_due_at) WHERE deleted_at IS NULL AND owner_id IS NOT NULL;

CREATE TABLE contacts (
    id                TEXT PRIMARY KEY,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    created_by        TEXT,
    updated_by        TEXT,
    deleted_at        TIMESTAMP,
    customer_id       TEXT NOT NULL REFERENCES customers(id),
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
    id         TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    at         TIMESTAMP NOT NULL,
    actor_id   TEXT,
    field      TEXT NOT NULL,
    old_value  TEXT,
    new_value  TEXT,
    method     TEXT NOT NULL,
    note       TEXT
);
CREATE INDEX consent_events_contact ON consent_events(contact_id, at);

CREATE TABLE leads (
    id                    TEXT PRIMARY KEY,
    version               INTEGER NOT NULL DEFAULT 1,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    created_by            TEXT,
    updated_by            TEXT,
    deleted_at            TIMESTAMP,
    owner_id              TEXT REFERENCES users(id),
    team_id               TEXT REFERENCES teams(id),
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
    converted_customer_id TEXT REFERENCES customers(id),
    converted_contact_id  TEXT REFERENCES contacts(id),
    converted_at          TIMESTAMP,
    last_followup_at      TIMESTAMP,
    pool_due_at           TIMESTAMP,
    pool_reminded_at      TIMESTAMP,
    claimed_at            TIMESTAMP,
    released_at           TIMESTAMP,
    released_by           TEXT,
    release_reason        TEXT
);
CREATE INDEX leads_owner_updated ON leads(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_team_updated ON leads(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_updated ON leads(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_phone ON leads(phone) WHERE deleted_at IS NULL;
CREATE INDEX leads_company_norm ON leads(company_norm) WHERE deleted_at IS NULL;
CREATE INDEX leads_pool_due ON leads(pool_due_at) WHERE deleted_at IS NULL AND owner_id IS NOT NULL;

CREATE TABLE activities (
    id                   TEXT PRIMARY KEY,
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    created_by           TEXT,
    updated_by           TEXT,
    deleted_at           TIMESTAMP,
    owner_id             TEXT REFERENCES users(id),
    team_id              TEXT REFERENCES teams(id),
    kind                 TEXT NOT NULL,
    subject              TEXT NOT NULL,
    occurred_at          TIMESTAMP NOT NULL,
    duration_minutes     INTEGER,
    customer_id          TEXT REFERENCES customers(id),
    contact_id           TEXT REFERENCES contacts(id),
    lead_id              TEXT REFERENCES leads(id),
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
    id          TEXT PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    customer_id TEXT,
    lead_id     TEXT,
    actor_id    TEXT,
    kind        TEXT NOT NULL,
    entity      TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX timeline_customer ON timeline(customer_id, at);
CREATE INDEX timeline_lead ON timeline(lead_id, at);

CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    actor_id   TEXT,
    entity     TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    action     TEXT NOT NULL,
    changes    TEXT NOT NULL,
    request_id TEXT
);
CREATE INDEX audit_log_record ON audit_log(entity, record_id, at);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE search_docs (
    id        INTEGER PRIMARY KEY,
    entity    TEXT NOT NULL,
    record_id TEXT NOT NULL
);
CREATE UNIQUE INDEX search_docs_record ON search_docs(record_id);
CREATE VIRTUAL TABLE search_fts USING fts5(
    tokens, content='', contentless_delete=1,
    tokenize="unicode61 remove_diacritics 0 tokenchars '_'", prefix='2 3 4'
);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    unique_key   TEXT,
    payload      TEXT NOT NULL,
    run_at       TIMESTAMP NOT NULL,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    lease_until  TIMESTAMP,
    locked_by    TEXT,
    last_error   TEXT,
    created_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP
);
CREATE UNIQUE INDEX jobs_unique_key ON jobs(unique_key);
CREATE INDEX jobs_due ON jobs(status, run_at);

CREATE TABLE files (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    data         BLOB NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    created_by   TEXT
);

CREATE TABLE import_runs (
    id             TEXT PRIMARY KEY,
    entity         TEXT NOT NULL,
    file_id        TEXT NOT NULL REFERENCES files(id),
    options        TEXT NOT NULL,
    dry_run        BOOLEAN NOT NULL,
    status         TEXT NOT NULL,
    total          INTEGER NOT NULL DEFAULT 0,
    processed      INTEGER NOT NULL DEFAULT 0,
    created_count  INTEGER NOT NULL DEFAULT 0,
    updated_count  INTEGER NOT NULL DEFAULT 0,
    rejected_count INTEGER NOT NULL DEFAULT 0,
    report_file_id TEXT REFERENCES files(id),
    error          TEXT,
    created_by     TEXT,
    created_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP
);

CREATE TABLE notifications (
    id        TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL,
    at        TIMESTAMP NOT NULL,
    kind      TEXT NOT NULL,
    entity    TEXT,
    record_id TEXT,
    data      TEXT NOT NULL,
    read_at   TIMESTAMP
);
CREATE INDEX notifications_user ON notifications(user_id, at);
