-- Care (主动关怀) and opportunities raised from service: the care rules
-- (holidays by customer level, automatic greetings) and each owner's care
-- reminders, planned daily by the care.plan job. unique_key (kind, the
-- record it is about, the day) makes planning idempotent.

CREATE TABLE care_rules (
    id              UUID PRIMARY KEY,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    holiday         TEXT,
    customer_levels TEXT,
    auto_greeting   BOOLEAN NOT NULL,
    active          BOOLEAN NOT NULL,
    notes           TEXT,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    created_by      UUID,
    updated_by      UUID,
    deleted_at      TIMESTAMPTZ
);

CREATE TABLE care_reminders (
    id             UUID PRIMARY KEY,
    title          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    date           DATE NOT NULL,
    status         TEXT NOT NULL,
    customer_id    UUID NOT NULL REFERENCES customers(id),
    contact_id     UUID REFERENCES contacts(id),
    holiday        TEXT,
    rule_id        UUID REFERENCES care_rules(id),
    subject_entity TEXT,
    subject_id     TEXT,
    unique_key     TEXT,
    auto_greeting  BOOLEAN NOT NULL,
    greeted_at     TIMESTAMPTZ,
    done_at        TIMESTAMPTZ,
    note           TEXT,
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

CREATE INDEX care_rules_updated ON care_rules(updated_at, id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX care_reminders_key ON care_reminders(unique_key);
CREATE INDEX care_reminders_updated ON care_reminders(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX care_reminders_owner_day ON care_reminders(owner_id, status, date) WHERE deleted_at IS NULL;
CREATE INDEX care_reminders_team_updated ON care_reminders(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX care_reminders_customer ON care_reminders(customer_id, date) WHERE deleted_at IS NULL;
CREATE INDEX care_reminders_auto ON care_reminders(date) WHERE auto_greeting = TRUE AND greeted_at IS NULL AND deleted_at IS NULL;
CREATE INDEX contacts_birthday ON contacts(birthday) WHERE birthday IS NOT NULL AND deleted_at IS NULL;
