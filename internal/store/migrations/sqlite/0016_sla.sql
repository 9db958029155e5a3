-- SLA clock (服务时效): what the sweep needs on each ticket — the next
-- warning, breach and escalation instants (NULL once fired, while paused
-- or when the clock stopped, so partial indexes hold only running clocks
-- and a sweep never reads closed tickets), the targets and calendar
-- snapshotted when the clock started, the business time paused so far and
-- the cycle (bumped on each reopen). Escalations are stored once per
-- ticket, cycle and level; pauses keep their history.

ALTER TABLE tickets ADD COLUMN sla_warn_at TIMESTAMP;
ALTER TABLE tickets ADD COLUMN sla_breach_at TIMESTAMP;
ALTER TABLE tickets ADD COLUMN sla_escalate_at TIMESTAMP;
ALTER TABLE tickets ADD COLUMN sla_response_minutes INTEGER;
ALTER TABLE tickets ADD COLUMN sla_resolution_minutes INTEGER;
ALTER TABLE tickets ADD COLUMN sla_warn_percent INTEGER;
ALTER TABLE tickets ADD COLUMN sla_calendar_id TEXT;
ALTER TABLE tickets ADD COLUMN sla_paused_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_cycle INTEGER NOT NULL DEFAULT 0;

CREATE TABLE ticket_escalations (
    id         TEXT PRIMARY KEY,
    ticket_id  TEXT NOT NULL REFERENCES tickets(id),
    cycle      INTEGER NOT NULL,
    level      INTEGER NOT NULL,
    clock      TEXT NOT NULL,
    at         TIMESTAMP NOT NULL,
    notified   TEXT,
    reassigned BOOLEAN NOT NULL,
    sweep_id   TEXT
);

CREATE TABLE ticket_sla_pauses (
    id               TEXT PRIMARY KEY,
    ticket_id        TEXT NOT NULL REFERENCES tickets(id),
    paused_at        TIMESTAMP NOT NULL,
    resumed_at       TIMESTAMP,
    business_seconds INTEGER NOT NULL
);

CREATE INDEX tickets_sla_warn ON tickets(sla_warn_at) WHERE sla_warn_at IS NOT NULL;
CREATE INDEX tickets_sla_breach ON tickets(sla_breach_at) WHERE sla_breach_at IS NOT NULL;
CREATE INDEX tickets_sla_escalate ON tickets(sla_escalate_at) WHERE sla_escalate_at IS NOT NULL;
CREATE UNIQUE INDEX ticket_escalations_once ON ticket_escalations(ticket_id, cycle, level);
CREATE INDEX ticket_escalations_sweep ON ticket_escalations(sweep_id);
CREATE INDEX ticket_sla_pauses_ticket ON ticket_sla_pauses(ticket_id, paused_at);
