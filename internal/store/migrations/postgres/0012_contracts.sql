-- Contracts part of in-sales: who receives the hand-over at signing, when
-- an approval or a termination happened; the item-by-item confirmation of
-- terms (one row per confirmed item, removed when the term changes); the
-- hand-over report (客户需求总结报告) written at signing, its versions and
-- each recipient's acknowledgement of a version.

ALTER TABLE contracts ADD COLUMN delivery_owner_id UUID REFERENCES users(id);
ALTER TABLE contracts ADD COLUMN service_owner_id UUID REFERENCES users(id);
ALTER TABLE contracts ADD COLUMN approved_at TIMESTAMPTZ;
ALTER TABLE contracts ADD COLUMN terminated_at TIMESTAMPTZ;
CREATE INDEX contracts_opportunity ON contracts(opportunity_id) WHERE deleted_at IS NULL;

CREATE TABLE contract_terms (
    contract_id  UUID NOT NULL REFERENCES contracts(id),
    item         TEXT NOT NULL,
    confirmed_by UUID REFERENCES users(id),
    confirmed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (contract_id, item)
);

CREATE TABLE handovers (
    id                   UUID PRIMARY KEY,
    title                TEXT NOT NULL,
    contract_id          UUID NOT NULL REFERENCES contracts(id),
    customer_id          UUID NOT NULL REFERENCES customers(id),
    opportunity_id       UUID REFERENCES opportunities(id),
    quote_id             UUID REFERENCES quotes(id),
    solution_id          UUID REFERENCES solutions(id),
    signed_on            DATE,
    version_no           BIGINT NOT NULL,
    ack_status           TEXT NOT NULL,
    delivery_owner_id    UUID REFERENCES users(id),
    service_owner_id     UUID REFERENCES users(id),
    business_scenario    TEXT,
    pain_points          TEXT,
    budget_range         TEXT,
    decision_process     TEXT,
    decision_timeline    TEXT,
    explicit_needs       TEXT,
    latent_needs         TEXT,
    solution_highlights  TEXT,
    special_requirements TEXT,
    other_promises       TEXT,
    risks                TEXT,
    notes                TEXT,
    sections             TEXT NOT NULL,
    body                 TEXT NOT NULL,
    version              BIGINT NOT NULL DEFAULT 1,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    created_by           UUID,
    updated_by           UUID,
    owner_id             UUID REFERENCES users(id),
    team_id              UUID REFERENCES teams(id)
);
CREATE UNIQUE INDEX handovers_contract ON handovers(contract_id);
CREATE INDEX handovers_customer ON handovers(customer_id, created_at);
CREATE INDEX handovers_updated ON handovers(updated_at, id);
CREATE INDEX handovers_owner_updated ON handovers(owner_id, updated_at, id);
CREATE INDEX handovers_team_updated ON handovers(team_id, updated_at, id);
CREATE INDEX handovers_delivery_owner ON handovers(delivery_owner_id, ack_status);
CREATE INDEX handovers_service_owner ON handovers(service_owner_id, ack_status);

CREATE TABLE handover_versions (
    id          UUID PRIMARY KEY,
    handover_id UUID NOT NULL REFERENCES handovers(id),
    version_no  BIGINT NOT NULL,
    content     TEXT NOT NULL,
    body        TEXT NOT NULL,
    edited_by   UUID REFERENCES users(id),
    edited_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX handover_versions_no ON handover_versions(handover_id, version_no);

CREATE TABLE handover_acks (
    id              UUID PRIMARY KEY,
    handover_id     UUID NOT NULL REFERENCES handovers(id),
    user_id         UUID NOT NULL REFERENCES users(id),
    role            TEXT NOT NULL,
    version_no      BIGINT NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    comment         TEXT,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    created_by      UUID,
    updated_by      UUID
);
CREATE UNIQUE INDEX handover_acks_once ON handover_acks(handover_id, user_id, version_no);
CREATE INDEX handover_acks_updated ON handover_acks(updated_at, id);
