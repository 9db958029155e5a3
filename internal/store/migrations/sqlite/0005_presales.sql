-- Pre-sales: pipelines and stages, opportunities with their buying unit,
-- competitors and stage history, pre-sales requests with work records and
-- scores, solutions and reviews, bids, samples, demos, the knowledge base;
-- and per-record read grants.

CREATE TABLE pipelines (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_en     TEXT,
    code        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    description TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    created_by  TEXT,
    updated_by  TEXT,
    deleted_at  TIMESTAMP
);
CREATE INDEX pipelines_updated ON pipelines(updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE pipeline_stages (
    id           TEXT PRIMARY KEY,
    pipeline_id  TEXT NOT NULL REFERENCES pipelines(id),
    name         TEXT NOT NULL,
    name_en      TEXT,
    code         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    probability  INTEGER NOT NULL,
    entry_gates  TEXT,
    exit_gates   TEXT,
    entry_fields TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    created_by   TEXT,
    updated_by   TEXT,
    deleted_at   TIMESTAMP
);
CREATE INDEX pipeline_stages_updated ON pipeline_stages(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX pipeline_stages_pipeline ON pipeline_stages(pipeline_id) WHERE deleted_at IS NULL;

CREATE TABLE competitors (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    website        TEXT,
    products       TEXT,
    strengths      TEXT,
    weaknesses     TEXT,
    price_position TEXT,
    notes          TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    created_by     TEXT,
    updated_by     TEXT,
    deleted_at     TIMESTAMP
);
CREATE INDEX competitors_updated ON competitors(updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE knowledge_articles (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    category      TEXT NOT NULL,
    tags          TEXT,
    product       TEXT,
    competitor_id TEXT REFERENCES competitors(id),
    audience      TEXT NOT NULL,
    summary       TEXT,
    body          TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    created_by    TEXT,
    updated_by    TEXT,
    deleted_at    TIMESTAMP
);
CREATE INDEX knowledge_articles_updated ON knowledge_articles(updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE opportunities (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    customer_id          TEXT NOT NULL REFERENCES customers(id),
    amount               INTEGER,
    currency             TEXT NOT NULL,
    expected_close_date  DATE,
    pipeline_id          TEXT REFERENCES pipelines(id),
    stage_id             TEXT REFERENCES pipeline_stages(id),
    stage                TEXT NOT NULL,
    stage_entered_at     TIMESTAMP,
    probability_override INTEGER,
    probability          INTEGER NOT NULL,
    status               TEXT NOT NULL,
    source               TEXT,
    business_scenario    TEXT,
    pain_points          TEXT,
    budget_range         TEXT,
    decision_process     TEXT,
    decision_timeline    TEXT,
    explicit_needs       TEXT,
    latent_needs         TEXT,
    next_step            TEXT,
    next_step_due        DATE,
    knowledge_articles   TEXT,
    closed_at            TIMESTAMP,
    lost_reason          TEXT,
    lost_to              TEXT REFERENCES competitors(id),
    close_note           TEXT,
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    created_by           TEXT,
    updated_by           TEXT,
    owner_id             TEXT REFERENCES users(id),
    team_id              TEXT REFERENCES teams(id),
    deleted_at           TIMESTAMP
);
CREATE INDEX opportunities_owner_updated ON opportunities(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX opportunities_team_updated ON opportunities(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX opportunities_updated ON opportunities(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX opportunities_customer ON opportunities(customer_id) WHERE deleted_at IS NULL;

CREATE TABLE opportunity_contacts (
    id             TEXT PRIMARY KEY,
    opportunity_id TEXT NOT NULL REFERENCES opportunities(id),
    contact_id     TEXT NOT NULL REFERENCES contacts(id),
    contact_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    is_primary     BOOLEAN NOT NULL DEFAULT FALSE,
    attitude       TEXT,
    notes          TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    created_by     TEXT,
    updated_by     TEXT,
    deleted_at TIMESTAMP
);
CREATE INDEX opportunity_contacts_updated ON opportunity_contacts(updated_at, id);
CREATE INDEX opportunity_contacts_opportunity ON opportunity_contacts(opportunity_id);

CREATE TABLE opportunity_competitors (
    id             TEXT PRIMARY KEY,
    opportunity_id TEXT NOT NULL REFERENCES opportunities(id),
    competitor_id  TEXT NOT NULL REFERENCES competitors(id),
    competitor_name TEXT NOT NULL,
    strengths      TEXT,
    weaknesses     TEXT,
    price_position TEXT,
    threat         TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    created_by     TEXT,
    updated_by     TEXT,
    deleted_at TIMESTAMP
);
CREATE INDEX opportunity_competitors_updated ON opportunity_competitors(updated_at, id);
CREATE INDEX opportunity_competitors_opportunity ON opportunity_competitors(opportunity_id);

CREATE TABLE stage_changes (
    id               TEXT PRIMARY KEY,
    opportunity_id   TEXT NOT NULL REFERENCES opportunities(id),
    from_stage_id    TEXT REFERENCES pipeline_stages(id),
    to_stage_id      TEXT REFERENCES pipeline_stages(id),
    from_stage       TEXT,
    to_stage         TEXT NOT NULL,
    changed_at       TIMESTAMP NOT NULL,
    changed_by       TEXT,
    seconds_in_stage INTEGER,
    skipped          BOOLEAN NOT NULL DEFAULT FALSE,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    created_by       TEXT,
    updated_by       TEXT
);
CREATE INDEX stage_changes_updated ON stage_changes(updated_at, id);
CREATE INDEX stage_changes_opportunity ON stage_changes(opportunity_id);

CREATE TABLE presales_requests (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    opportunity_id   TEXT NOT NULL REFERENCES opportunities(id),
    customer_id      TEXT REFERENCES customers(id),
    estimated_value  INTEGER,
    work_needed      TEXT,
    description      TEXT,
    needed_by        DATE,
    status           TEXT NOT NULL,
    eval_products    TEXT,
    eval_directions  TEXT,
    eval_work        TEXT,
    eval_people      INTEGER,
    eval_difficulty  TEXT,
    eval_key_points  TEXT,
    eval_key_dates   TEXT,
    importance       TEXT,
    eval_conclusion  TEXT,
    eval_stop_reason TEXT,
    evaluated_by     TEXT,
    evaluated_at     TIMESTAMP,
    engineers        TEXT,
    assigned_at      TIMESTAMP,
    hours_total      REAL NOT NULL,
    outcome          TEXT,
    merged_into      TEXT REFERENCES presales_requests(id),
    closed_at        TIMESTAMP,
    close_note       TEXT,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    created_by       TEXT,
    updated_by       TEXT,
    owner_id         TEXT REFERENCES users(id),
    team_id          TEXT REFERENCES teams(id),
    deleted_at       TIMESTAMP
);
CREATE INDEX presales_requests_owner_updated ON presales_requests(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX presales_requests_team_updated ON presales_requests(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX presales_requests_updated ON presales_requests(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX presales_requests_opportunity ON presales_requests(opportunity_id) WHERE deleted_at IS NULL;
CREATE INDEX presales_requests_customer ON presales_requests(customer_id) WHERE deleted_at IS NULL;

CREATE TABLE presales_work_records (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL REFERENCES presales_requests(id),
    engineer_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    work_date   DATE NOT NULL,
    hours       REAL NOT NULL,
    summary     TEXT NOT NULL,
    outputs     TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    created_by  TEXT,
    updated_by  TEXT,
    deleted_at  TIMESTAMP
);
CREATE INDEX presales_work_records_updated ON presales_work_records(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX presales_work_records_request ON presales_work_records(request_id) WHERE deleted_at IS NULL;

CREATE TABLE presales_scores (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL REFERENCES presales_requests(id),
    scorer_id    TEXT NOT NULL,
    scorer_role  TEXT NOT NULL,
    quality      INTEGER NOT NULL,
    timeliness   INTEGER NOT NULL,
    contribution INTEGER NOT NULL,
    comment      TEXT,
    scored_at    TIMESTAMP NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    created_by   TEXT,
    updated_by   TEXT
);
CREATE INDEX presales_scores_updated ON presales_scores(updated_at, id);
CREATE INDEX presales_scores_request ON presales_scores(request_id);

CREATE TABLE solutions (
    id                  TEXT PRIMARY KEY,
    title               TEXT NOT NULL,
    opportunity_id      TEXT NOT NULL REFERENCES opportunities(id),
    customer_id         TEXT REFERENCES customers(id),
    request_id          TEXT REFERENCES presales_requests(id),
    version_no          INTEGER NOT NULL,
    previous_id         TEXT REFERENCES solutions(id),
    status              TEXT NOT NULL,
    technical_part      TEXT,
    commercial_part     TEXT,
    implementation_part TEXT,
    value_statements    TEXT,
    reviewers           TEXT,
    submitted_at        TIMESTAMP,
    approved_at         TIMESTAMP,
    sent_at             TIMESTAMP,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    created_by          TEXT,
    updated_by          TEXT,
    owner_id            TEXT REFERENCES users(id),
    team_id             TEXT REFERENCES teams(id),
    deleted_at          TIMESTAMP
);
CREATE INDEX solutions_owner_updated ON solutions(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX solutions_team_updated ON solutions(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX solutions_updated ON solutions(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX solutions_opportunity ON solutions(opportunity_id) WHERE deleted_at IS NULL;
CREATE INDEX solutions_customer ON solutions(customer_id) WHERE deleted_at IS NULL;
CREATE INDEX solutions_request ON solutions(request_id) WHERE deleted_at IS NULL;

CREATE TABLE solution_reviews (
    id          TEXT PRIMARY KEY,
    solution_id TEXT NOT NULL REFERENCES solutions(id),
    reviewer_id TEXT NOT NULL,
    verdict     TEXT NOT NULL,
    comment     TEXT,
    reviewed_at TIMESTAMP NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    created_by  TEXT,
    updated_by  TEXT
);
CREATE INDEX solution_reviews_updated ON solution_reviews(updated_at, id);
CREATE INDEX solution_reviews_solution ON solution_reviews(solution_id);

CREATE TABLE bids (
    id                 TEXT PRIMARY KEY,
    title              TEXT NOT NULL,
    opportunity_id     TEXT NOT NULL REFERENCES opportunities(id),
    customer_id        TEXT REFERENCES customers(id),
    tender_no          TEXT,
    issuer             TEXT,
    deadline           TIMESTAMP NOT NULL,
    bond               INTEGER,
    bond_returned      BOOLEAN NOT NULL DEFAULT FALSE,
    qualifications     TEXT,
    bid_price          INTEGER,
    documents_required TEXT,
    documents_ready    TEXT,
    review_status      TEXT NOT NULL,
    review_note        TEXT,
    result             TEXT NOT NULL,
    winner             TEXT,
    result_note        TEXT,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    created_by         TEXT,
    updated_by         TEXT,
    owner_id           TEXT REFERENCES users(id),
    team_id            TEXT REFERENCES teams(id),
    deleted_at         TIMESTAMP
);
CREATE INDEX bids_owner_updated ON bids(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX bids_team_updated ON bids(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX bids_updated ON bids(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX bids_opportunity ON bids(opportunity_id) WHERE deleted_at IS NULL;
CREATE INDEX bids_customer ON bids(customer_id) WHERE deleted_at IS NULL;

CREATE TABLE samples (
    id                 TEXT PRIMARY KEY,
    product            TEXT NOT NULL,
    opportunity_id     TEXT REFERENCES opportunities(id),
    customer_id        TEXT NOT NULL REFERENCES customers(id),
    quantity           REAL NOT NULL,
    unit               TEXT,
    batch              TEXT,
    documents          TEXT,
    sent_on            DATE NOT NULL,
    carrier            TEXT,
    tracking_no        TEXT,
    stage              TEXT NOT NULL,
    small_trial_on     DATE,
    small_trial_result TEXT,
    pilot_on           DATE,
    pilot_result       TEXT,
    purchase_on        DATE,
    purchase_result    TEXT,
    failed_on          DATE,
    failed_reason      TEXT,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    created_by         TEXT,
    updated_by         TEXT,
    owner_id           TEXT REFERENCES users(id),
    team_id            TEXT REFERENCES teams(id),
    deleted_at         TIMESTAMP
);
CREATE INDEX samples_owner_updated ON samples(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX samples_team_updated ON samples(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX samples_updated ON samples(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX samples_opportunity ON samples(opportunity_id) WHERE deleted_at IS NULL;
CREATE INDEX samples_customer ON samples(customer_id) WHERE deleted_at IS NULL;

CREATE TABLE appointments (
    id             TEXT PRIMARY KEY,
    subject        TEXT NOT NULL,
    kind           TEXT NOT NULL,
    opportunity_id TEXT REFERENCES opportunities(id),
    customer_id    TEXT NOT NULL REFERENCES customers(id),
    scheduled_at   TIMESTAMP NOT NULL,
    place          TEXT,
    engineer_id    TEXT,
    attendees      TEXT,
    status         TEXT NOT NULL,
    result         TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    created_by     TEXT,
    updated_by     TEXT,
    owner_id       TEXT REFERENCES users(id),
    team_id        TEXT REFERENCES teams(id),
    deleted_at     TIMESTAMP
);
CREATE INDEX appointments_owner_updated ON appointments(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX appointments_team_updated ON appointments(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX appointments_updated ON appointments(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX appointments_opportunity ON appointments(opportunity_id) WHERE deleted_at IS NULL;
CREATE INDEX appointments_customer ON appointments(customer_id) WHERE deleted_at IS NULL;

CREATE UNIQUE INDEX pipeline_stages_code ON pipeline_stages(pipeline_id, code) WHERE deleted_at IS NULL;
-- A board column is the most recently updated open deals of one stage
-- (a stage belongs to one pipeline), for everyone, a team or an owner.
CREATE INDEX opportunities_board ON opportunities(stage_id, status, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX opportunities_team_board ON opportunities(team_id, stage_id, status, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX opportunities_owner_board ON opportunities(owner_id, stage_id, status, updated_at, id) WHERE deleted_at IS NULL;

-- The open pipeline summed, kept by the opportunity service in the
-- writing transaction: the funnel reads the sums by stage, the forecast
-- the sums by expected close month (a few thousand rows each) instead of a
-- million deals. Ids are text with '' for none, so that every key is a
-- value a primary key can hold; weighted is the sum of amount × probability.
CREATE TABLE deal_stage_totals (
    pipeline_id TEXT NOT NULL,
    stage_id    TEXT NOT NULL,
    currency    TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    team_id     TEXT NOT NULL,
    n           BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    weighted    BIGINT NOT NULL,
    PRIMARY KEY (pipeline_id, stage_id, currency, owner_id, team_id)
);
CREATE INDEX deal_stage_totals_owner ON deal_stage_totals(owner_id, pipeline_id);
CREATE INDEX deal_stage_totals_team ON deal_stage_totals(team_id, pipeline_id);
CREATE TABLE deal_month_totals (
    close_month TEXT NOT NULL,
    pipeline_id TEXT NOT NULL,
    currency    TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    team_id     TEXT NOT NULL,
    n           BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    weighted    BIGINT NOT NULL,
    PRIMARY KEY (close_month, pipeline_id, currency, owner_id, team_id)
);
CREATE INDEX deal_month_totals_owner ON deal_month_totals(owner_id, close_month);
CREATE INDEX deal_month_totals_team ON deal_month_totals(team_id, close_month);
CREATE INDEX presales_requests_open ON presales_requests(status, created_at) WHERE deleted_at IS NULL;
CREATE INDEX presales_work_records_engineer ON presales_work_records(engineer_id, work_date) WHERE deleted_at IS NULL;

-- Read access given to one user on one record beyond their scope, and
-- why (via: the record whose process gave it, e.g. the pre-sales request
-- an engineer is assigned to). Revoked by deleting the rows of that via.
CREATE TABLE record_grants (
    record_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id),
    entity     TEXT NOT NULL,
    via_id     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (record_id, user_id, via_id)
);
CREATE INDEX record_grants_via ON record_grants(via_id);
CREATE INDEX record_grants_user ON record_grants(user_id, entity);
