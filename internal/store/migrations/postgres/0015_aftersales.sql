-- After-sales (售后): service tickets and their conversation, the service
-- agents tickets are assigned to, business calendars with their per-day
-- corrections, and SLA policies. Opportunities record the after-sales
-- record they were raised from; products carry their warranty period.

CREATE TABLE business_calendars (
    id                UUID PRIMARY KEY,
    name              TEXT NOT NULL,
    code              TEXT NOT NULL,
    time_zone         TEXT NOT NULL,
    work_start        TEXT NOT NULL,
    work_end          TEXT NOT NULL,
    work_days         TEXT,
    official_holidays BOOLEAN NOT NULL,
    is_default        BOOLEAN NOT NULL,
    version           BIGINT NOT NULL DEFAULT 1,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    created_by        UUID,
    updated_by        UUID,
    deleted_at        TIMESTAMPTZ
);

CREATE TABLE calendar_days (
    id          UUID PRIMARY KEY,
    calendar_id UUID NOT NULL REFERENCES business_calendars(id),
    date        DATE NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    created_by  UUID,
    updated_by  UUID
);

CREATE TABLE sla_policies (
    id                     UUID PRIMARY KEY,
    name                   TEXT NOT NULL,
    ticket_kind            TEXT,
    priority               TEXT,
    customer_level         TEXT,
    first_response_minutes BIGINT NOT NULL,
    resolution_minutes     BIGINT NOT NULL,
    warn_percent           BIGINT NOT NULL,
    calendar_id            UUID REFERENCES business_calendars(id),
    reassign_on_breach     BOOLEAN NOT NULL,
    active                 BOOLEAN NOT NULL,
    version                BIGINT NOT NULL DEFAULT 1,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    created_by             UUID,
    updated_by             UUID,
    deleted_at             TIMESTAMPTZ
);

CREATE TABLE service_agents (
    id               UUID PRIMARY KEY,
    user_id          UUID NOT NULL REFERENCES users(id),
    team_id          UUID NOT NULL REFERENCES teams(id),
    skills           TEXT,
    regions          TEXT,
    max_open         BIGINT NOT NULL,
    field_engineer   BOOLEAN NOT NULL,
    active           BOOLEAN NOT NULL,
    last_assigned_at TIMESTAMPTZ,
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    created_by       UUID,
    updated_by       UUID,
    deleted_at       TIMESTAMPTZ
);

CREATE TABLE tickets (
    id                    UUID PRIMARY KEY,
    number                TEXT NOT NULL,
    subject               TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    channel               TEXT NOT NULL,
    priority              TEXT NOT NULL,
    status                TEXT NOT NULL,
    customer_id           UUID REFERENCES customers(id),
    contact_id            UUID REFERENCES contacts(id),
    requester_name        TEXT,
    requester_company     TEXT,
    requester_phone       TEXT,
    requester_email       TEXT,
    product_id            UUID REFERENCES products(id),
    order_id              UUID REFERENCES sales_orders(id),
    delivery_id           UUID REFERENCES deliveries(id),
    serial_no             TEXT,
    region                TEXT,
    skill                 TEXT,
    description           TEXT,
    cause                 TEXT,
    resolution            TEXT,
    sla_policy_id         UUID REFERENCES sla_policies(id),
    sla_state             TEXT NOT NULL,
    first_response_due_at TIMESTAMPTZ,
    resolution_due_at     TIMESTAMPTZ,
    first_responded_at    TIMESTAMPTZ,
    sla_paused_at         TIMESTAMPTZ,
    sla_warned_at         TIMESTAMPTZ,
    sla_breached_at       TIMESTAMPTZ,
    escalation_level      BIGINT NOT NULL,
    assigned_at           TIMESTAMPTZ,
    resolved_at           TIMESTAMPTZ,
    closed_at             TIMESTAMPTZ,
    reopen_count          BIGINT NOT NULL,
    merged_into_id        UUID REFERENCES tickets(id),
    opportunity_id        UUID REFERENCES opportunities(id),
    version               BIGINT NOT NULL DEFAULT 1,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    created_by            UUID,
    updated_by            UUID,
    owner_id              UUID REFERENCES users(id),
    team_id               UUID REFERENCES teams(id),
    deleted_at            TIMESTAMPTZ
);

CREATE TABLE ticket_messages (
    id              UUID PRIMARY KEY,
    ticket_id       UUID NOT NULL REFERENCES tickets(id),
    kind            TEXT NOT NULL,
    author_id       UUID REFERENCES users(id),
    from_name       TEXT,
    from_email      TEXT,
    channel         TEXT,
    body            TEXT,
    mail_message_id TEXT,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    created_by      UUID,
    updated_by      UUID
);

ALTER TABLE opportunities ADD COLUMN origin_entity TEXT;
ALTER TABLE opportunities ADD COLUMN origin_id TEXT;
ALTER TABLE products ADD COLUMN warranty_months BIGINT NOT NULL DEFAULT 12;

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
