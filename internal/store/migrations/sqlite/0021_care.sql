-- Care (主动关怀) and opportunities raised from service: the care rules
-- (holidays by customer level, automatic greetings) and each owner's care
-- reminders, planned daily by the care.plan job. unique_key (kind, the
-- record it is about, the day) makes planning idempotent.

CREATE TABLE care_rules (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    holiday         TEXT,
    customer_levels TEXT,
    auto_greeting   BOOLEAN NOT NULL,
    active          BOOLEAN NOT NULL,
    notes           TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    created_by      TEXT,
    updated_by      TEXT,
    deleted_at      TIMESTAMP
);

CREATE TABLE care_reminders (
    id             TEXT PRIMARY KEY,
    title          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    date           DATE NOT NULL,
    status         TEXT NOT NULL,
    customer_id    TEXT NOT NULL REFERENCES customers(id),
    contact_id     TEXT REFERENCES contacts(id),
    holiday        TEXT,
    rule_id        TEXT REFERENCES care_rules(id),
    subject_entity TEXT,
    subject_id     TEXT,
    unique_key     TEXT,
    auto_greeting  BOOLEAN NOT NULL,
    greeted_at     TIMESTAMP,
    done_at        TIMESTAMP,
    note           TEXT,
    opportunity_id TEXT REFERENCES opportunities(id),
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    created_by     TEXT,
    updated_by     TEXT,
    owner_id       TEXT REFERENCES users(id),
    team_id        TEXT REFERENCES teams(id),
    deleted_at     TIMESTAMP
);

CREATE INDEX care_rules_updated ON care_rules(updated_at, id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX care_reminders_key ON care_reminders(unique_key);
CREATE INDEX care_reminders_updated ON care_reminders(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX care_reminders_owner_day ON care_reminders(owner_id, status, date) WHERE deleted_at IS NULL;
CREATE INDEX care_reminders_team_updated ON care_reminders(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX care_reminders_customer ON care_reminders(customer_id, date) WHERE deleted_at IS NULL;
CREATE INDEX care_reminders_auto ON care_reminders(date) WHERE auto_greeting = TRUE AND greeted_at IS NULL AND deleted_at IS NULL;
CREATE INDEX contacts_birthday ON contacts(birthday) WHERE birthday IS NOT NULL AND deleted_at IS NULL;
