-- After-sales (售后): service tickets and their conversation, the service
-- agents tickets are assigned to, business calendars with their per-day
-- corrections, and SLA policies. Opportunities record the after-sales
-- record they were raised from; products carry their warranty period.

CREATE TABLE business_calendars (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    code              TEXT NOT NULL,
    time_zone         TEXT NOT NULL,
    work_start        TEXT NOT NULL,
    work_end          TEXT NOT NULL,
    work_days         TEXT,
    official_holidays BOOLEAN NOT NULL,
    is_default        BOOLEAN NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    created_by        TEXT,
    updated_by        TEXT,
    deleted_at        TIMESTAMP
);

CREATE TABLE calendar_days (
    id          TEXT PRIMARY KEY,
    calendar_id TEXT NOT NULL REFERENCES business_calendars(id),
    date        DATE NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    created_by  TEXT,
    updated_by  TEXT
);

CREATE TABLE sla_policies (
    id                     TEXT PRIMARY KEY,
    name                   TEXT NOT NULL,
    ticket_kind            TEXT,
    priority               TEXT,
    customer_level         TEXT,
    first_response_minutes INTEGER NOT NULL,
    resolution_minutes     INTEGER NOT NULL,
    warn_percent           INTEGER NOT NULL,
    calendar_id            TEXT REFERENCES business_calendars(id),
    reassign_on_breach     BOOLEAN NOT NULL,
    active                 BOOLEAN NOT NULL,
    version                INTEGER NOT NULL DEFAULT 1,
    created_at             TIMESTAMP NOT NULL,
    updated_at             TIMESTAMP NOT NULL,
    created_by             TEXT,
    updated_by             TEXT,
    deleted_at             TIMESTAMP
);

CREATE TABLE service_agents (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users(id),
    team_id          TEXT NOT NULL REFERENCES teams(id),
    skills           TEXT,
    regions          TEXT,
    max_open         INTEGER NOT NULL,
    field_engineer   BOOLEAN NOT NULL,
    active           BOOLEAN NOT NULL,
    last_assigned_at TIMESTAMP,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    created_by       TEXT,
    updated_by       TEXT,
    deleted_at       TIMESTAMP
);

CREATE TABLE tickets (
    id                    TEXT PRIMARY KEY,
    number                TEXT NOT NULL,
    subject               TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    channel               TEXT NOT NULL,
    priority              TEXT NOT NULL,
    status                TEXT NOT NULL,
    customer_id           TEXT REFERENCES customers(id),
    contact_id            TEXT REFERENCES contacts(id),
    requester_name        TEXT,
    requester_company     TEXT,
    requester_phone       TEXT,
    requester_email       TEXT,
    product_id            TEXT REFERENCES products(id),
    order_id              TEXT REFERENCES sales_orders(id),
    delivery_id           TEXT REFERENCES deliveries(id),
    serial_no             TEXT,
    region                TEXT,
    skill                 TEXT,
    description           TEXT,
    cause                 TEXT,
    resolution            TEXT,
    sla_policy_id         TEXT REFERENCES sla_policies(id),
    sla_state             TEXT NOT NULL,
    first_response_due_at TIMESTAMP,
    resolution_due_at     TIMESTAMP,
    first_responded_at    TIMESTAMP,
    sla_paused_at         TIMESTAMP,
    sla_warned_at         TIMESTAMP,
    sla_breached_at       TIMESTAMP,
    escalation_level      INTEGER NOT NULL,
    assigned_at           TIMESTAMP,
    resolved_at           TIMESTAMP,
    closed_at             TIMESTAMP,
    reopen_count          INTEGER NOT NULL,
    merged_into_id        TEXT REFERENCES tickets(id),
    opportunity_id        TEXT REFERENCES opportunities(id),
    version               INTEGER NOT NULL DEFAULT 1,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    created_by            TEXT,
    updated_by            TEXT,
    owner_id              TEXT REFERENCES users(id),
    team_id               TEXT REFERENCES teams(id),
    deleted_at            TIMESTAMP
);

CREATE TABLE ticket_messages (
    id              TEXT PRIMARY KEY,
    ticket_id       TEXT NOT NULL REFERENCES tickets(id),
    kind            TEXT NOT NULL,
    author_id       TEXT REFERENCES users(id),
    from_name       TEXT,
    from_email      TEXT,
    channel         TEXT,
    body            TEXT,
    mail_message_id TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    created_by      TEXT,
    updated_by      TEXT
);

ALTER TABLE opportunities ADD COLUMN origin_entity TEXT;
ALTER TABLE opportunities ADD COLUMN origin_id TEXT;
ALTER TABLE products ADD COLUMN warranty_months INTEGER NOT NULL DEFAULT 12;

CREATE UNIQUE INDEX business_calendars_code ON business_calendars(code) WHERE deleted_at IS NULL;
CREATE INDEX business_calendars_updated ON business_calendars(updated_at, id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX calendar_days_day ON calendar_days(calendar_id, date);
CREATE INDEX calendar_days_updated ON calendar_days(updated_at, id);
CREATE INDEX sla_policies_updated ON sla_policies(updated_at, id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX service_agents_user ON service_agents(user_id) WHERE deleted_at IS NULL;
CREATE INDEX service_agents_updated ON service_agents(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX service_agents_team ON service_agents(team_id, last_assigned_at) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX tickets_number ON tickets(number);
CREATE INDEX tickets_updated ON tickets(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_owner_updated ON tickets(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_team_updated ON tickets(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_customer ON tickets(customer_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX tickets_order ON tickets(order_id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_delivery ON tickets(delivery_id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_merged ON tickets(merged_into_id) WHERE merged_into_id IS NOT NULL;
CREATE INDEX ticket_messages_ticket ON ticket_messages(ticket_id, created_at);
CREATE INDEX ticket_messages_updated ON ticket_messages(updated_at, id);
CREATE INDEX ticket_messages_mail ON ticket_messages(mail_message_id) WHERE mail_message_id IS NOT NULL;
CREATE INDEX opportunities_origin ON opportunities(origin_id) WHERE origin_id IS NOT NULL;
