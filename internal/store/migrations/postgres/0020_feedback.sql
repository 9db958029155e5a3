-- The feedback loop of after-sales (服务—反馈—优化): improvement items and
-- their tickets, return-visit rules and return visits, satisfaction
-- surveys (answered through public_links with purpose survey_answer) and
-- recovery tasks; and the knowledge article made from a resolved ticket.

CREATE TABLE improvement_items (
    id           UUID PRIMARY KEY,
    title        TEXT NOT NULL,
    description  TEXT,
    cause        TEXT,
    product_id   UUID REFERENCES products(id),
    due_date     DATE,
    status       TEXT NOT NULL,
    drop_reason  TEXT,
    ticket_count BIGINT NOT NULL,
    done_at      TIMESTAMPTZ,
    verified_at  TIMESTAMPTZ,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    created_by   UUID,
    updated_by   UUID,
    owner_id     UUID REFERENCES users(id),
    team_id      UUID REFERENCES teams(id),
    deleted_at   TIMESTAMPTZ
);

CREATE TABLE improvement_tickets (
    id         UUID PRIMARY KEY,
    item_id    UUID NOT NULL REFERENCES improvement_items(id),
    ticket_id  UUID NOT NULL REFERENCES tickets(id),
    version    BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    created_by UUID,
    updated_by UUID
);

CREATE TABLE return_visit_rules (
    id             UUID PRIMARY KEY,
    name           TEXT NOT NULL,
    trigger        TEXT NOT NULL,
    days           BIGINT NOT NULL,
    customer_level TEXT,
    months         BIGINT NOT NULL,
    assignee       TEXT NOT NULL,
    active         BOOLEAN NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    created_by     UUID,
    updated_by     UUID,
    deleted_at     TIMESTAMPTZ
);

CREATE TABLE return_visits (
    id             UUID PRIMARY KEY,
    subject        TEXT NOT NULL,
    customer_id    UUID NOT NULL REFERENCES customers(id),
    contact_id     UUID REFERENCES contacts(id),
    due_date       DATE NOT NULL,
    status         TEXT NOT NULL,
    reach          TEXT,
    satisfaction   BIGINT,
    new_needs      TEXT,
    notes          TEXT,
    done_at        TIMESTAMPTZ,
    trigger        TEXT,
    rule_id        UUID REFERENCES return_visit_rules(id),
    ticket_id      UUID REFERENCES tickets(id),
    source_entity  TEXT,
    source_id      TEXT,
    plan_key       TEXT,
    opportunity_id UUID REFERENCES opportunities(id),
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    created_by     UUID,
    updated_by     UUID,
    owner_id       UUID REFERENCES users(id),
    team_id        UUID REFERENCES teams(id),
    deleted_at     TIMESTAMPTZ
);

CREATE TABLE surveys (
    id             UUID PRIMARY KEY,
    subject        TEXT NOT NULL,
    ticket_id      UUID REFERENCES tickets(id),
    customer_id    UUID REFERENCES customers(id),
    contact_id     UUID REFERENCES contacts(id),
    product_id     UUID REFERENCES products(id),
    ticket_kind    TEXT,
    status         TEXT NOT NULL,
    send_after     TIMESTAMPTZ,
    sent_at        TIMESTAMPTZ,
    sent_to        TEXT,
    expires_at     TIMESTAMPTZ,
    answered_at    TIMESTAMPTZ,
    satisfaction   BIGINT,
    nps            BIGINT,
    comment        TEXT,
    low_score      BOOLEAN NOT NULL,
    complaint_low  BOOLEAN NOT NULL,
    note           TEXT,
    opportunity_id UUID REFERENCES opportunities(id),
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    created_by     UUID,
    updated_by     UUID,
    owner_id       UUID REFERENCES users(id),
    team_id        UUID REFERENCES teams(id)
);

CREATE TABLE recovery_tasks (
    id          UUID PRIMARY KEY,
    title       TEXT NOT NULL,
    customer_id UUID REFERENCES customers(id),
    survey_id   UUID REFERENCES surveys(id),
    ticket_id   UUID REFERENCES tickets(id),
    complaint   BOOLEAN NOT NULL,
    due_date    DATE,
    status      TEXT NOT NULL,
    outcome     TEXT,
    done_at     TIMESTAMPTZ,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    created_by  UUID,
    updated_by  UUID,
    owner_id    UUID REFERENCES users(id),
    team_id     UUID REFERENCES teams(id),
    deleted_at  TIMESTAMPTZ
);

CREATE TABLE ticket_articles (
    ticket_id  UUID PRIMARY KEY REFERENCES tickets(id),
    article_id UUID NOT NULL REFERENCES knowledge_articles(id),
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID REFERENCES users(id)
);

CREATE INDEX improvement_items_updated ON improvement_items(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX improvement_items_owner_updated ON improvement_items(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX improvement_items_team_updated ON improvement_items(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX improvement_items_cause ON improvement_items(cause, status) WHERE deleted_at IS NULL;
CREATE INDEX improvement_items_due ON improvement_items(status, due_date) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX improvement_tickets_pair ON improvement_tickets(item_id, ticket_id);
CREATE INDEX improvement_tickets_ticket ON improvement_tickets(ticket_id);
CREATE INDEX improvement_tickets_updated ON improvement_tickets(updated_at, id);
CREATE INDEX return_visit_rules_updated ON return_visit_rules(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX return_visits_updated ON return_visits(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX return_visits_owner_updated ON return_visits(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX return_visits_team_updated ON return_visits(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX return_visits_customer ON return_visits(customer_id, due_date) WHERE deleted_at IS NULL;
CREATE INDEX return_visits_due ON return_visits(status, due_date) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX return_visits_plan ON return_visits(plan_key) WHERE plan_key IS NOT NULL;
CREATE INDEX surveys_updated ON surveys(updated_at, id);
CREATE INDEX surveys_owner_updated ON surveys(owner_id, updated_at, id);
CREATE INDEX surveys_team_updated ON surveys(team_id, updated_at, id);
CREATE INDEX surveys_customer ON surveys(customer_id, created_at);
CREATE UNIQUE INDEX surveys_ticket ON surveys(ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX surveys_pending ON surveys(status, send_after);
CREATE INDEX surveys_answered ON surveys(answered_at);
CREATE INDEX recovery_tasks_updated ON recovery_tasks(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX recovery_tasks_owner_updated ON recovery_tasks(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX recovery_tasks_team_updated ON recovery_tasks(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX recovery_tasks_customer ON recovery_tasks(customer_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX recovery_tasks_survey ON recovery_tasks(survey_id);
CREATE INDEX tickets_resolved ON tickets(resolved_at) WHERE resolved_at IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX tickets_cause ON tickets(cause, resolved_at) WHERE deleted_at IS NULL;
