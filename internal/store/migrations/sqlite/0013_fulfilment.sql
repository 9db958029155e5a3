-- Fulfilment (售中): deliveries with their lines and tracking updates,
-- supply problems, installation/commissioning/training tasks with their
-- checklists, and the public links a customer signs a delivery or accepts
-- a task with (only the SHA-256 of a link's token is kept). Orders gain
-- the opportunity they came from and the hand-over report they follow;
-- order lines carry their customer (visibility through the customer).


CREATE TABLE deliveries (
    id             TEXT PRIMARY KEY,
    number         TEXT NOT NULL,
    order_id       TEXT NOT NULL REFERENCES sales_orders(id),
    customer_id    TEXT NOT NULL REFERENCES customers(id),
    customer_name  TEXT,
    status         TEXT NOT NULL,
    planned_date   DATE,
    expected_date  DATE,
    packaging      TEXT,
    package_count  INTEGER,
    carrier        TEXT,
    tracking_no    TEXT,
    ship_to        TEXT,
    receiver_name  TEXT,
    receiver_phone TEXT,
    notes          TEXT,
    shipped_at     TIMESTAMP,
    delivered_at   TIMESTAMP,
    signed_at      TIMESTAMP,
    signer_name    TEXT,
    signer_phone   TEXT,
    signed_ip      TEXT,
    sign_remarks   TEXT,
    has_issues     BOOLEAN NOT NULL,
    handover_id    TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    created_by     TEXT,
    updated_by     TEXT,
    deleted_at     TIMESTAMP
);

CREATE TABLE delivery_lines (
    id              TEXT PRIMARY KEY,
    delivery_id     TEXT NOT NULL REFERENCES deliveries(id),
    order_id        TEXT NOT NULL REFERENCES sales_orders(id),
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    order_line_id   TEXT NOT NULL REFERENCES order_lines(id),
    position        INTEGER NOT NULL,
    product_id      TEXT REFERENCES products(id),
    name            TEXT NOT NULL,
    spec            TEXT,
    unit            TEXT,
    quantity        INTEGER NOT NULL,
    batch_no        TEXT,
    production_date DATE,
    received_qty    INTEGER,
    receipt_issue   TEXT,
    receipt_remark  TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    created_by      TEXT,
    updated_by      TEXT
);

CREATE TABLE delivery_events (
    id          TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES deliveries(id),
    order_id    TEXT NOT NULL REFERENCES sales_orders(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    at          TIMESTAMP NOT NULL,
    status      TEXT NOT NULL,
    location    TEXT,
    note        TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    created_by  TEXT,
    updated_by  TEXT
);

CREATE TABLE supply_problems (
    id              TEXT PRIMARY KEY,
    number          TEXT NOT NULL,
    title           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    severity        TEXT NOT NULL,
    status          TEXT NOT NULL,
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    order_id        TEXT REFERENCES sales_orders(id),
    delivery_id     TEXT REFERENCES deliveries(id),
    occurred_on     DATE,
    due_date        DATE,
    description     TEXT,
    source          TEXT NOT NULL,
    resolution      TEXT,
    root_cause      TEXT,
    root_cause_note TEXT,
    resolved_at     TIMESTAMP,
    closed_at       TIMESTAMP,
    reopen_reason   TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    created_by      TEXT,
    updated_by      TEXT,
    owner_id        TEXT REFERENCES users(id),
    team_id         TEXT REFERENCES teams(id),
    deleted_at      TIMESTAMP
);

CREATE TABLE service_tasks (
    id                 TEXT PRIMARY KEY,
    number             TEXT NOT NULL,
    title              TEXT NOT NULL,
    kind               TEXT NOT NULL,
    status             TEXT NOT NULL,
    customer_id        TEXT NOT NULL REFERENCES customers(id),
    order_id           TEXT REFERENCES sales_orders(id),
    delivery_id        TEXT REFERENCES deliveries(id),
    contract_id        TEXT REFERENCES contracts(id),
    engineer_id        TEXT REFERENCES users(id),
    scheduled_start    TIMESTAMP NOT NULL,
    scheduled_end      TIMESTAMP,
    location           TEXT,
    description        TEXT,
    result             TEXT,
    started_at         TIMESTAMP,
    done_at            TIMESTAMP,
    accepted_at        TIMESTAMP,
    acceptor_name      TEXT,
    acceptor_phone     TEXT,
    acceptance_ip      TEXT,
    acceptance_remarks TEXT,
    rejected_reason    TEXT,
    handover_id        TEXT,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    created_by         TEXT,
    updated_by         TEXT,
    owner_id           TEXT REFERENCES users(id),
    team_id            TEXT REFERENCES teams(id),
    deleted_at         TIMESTAMP
);

CREATE TABLE task_check_items (
    id         TEXT PRIMARY KEY,
    task_id    TEXT NOT NULL REFERENCES service_tasks(id),
    position   INTEGER NOT NULL,
    text       TEXT NOT NULL,
    done       BOOLEAN NOT NULL,
    done_by    TEXT REFERENCES users(id),
    done_at    TIMESTAMP,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    created_by TEXT,
    updated_by TEXT,
    deleted_at TIMESTAMP
);

CREATE TABLE public_links (
    id         TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    entity     TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT REFERENCES users(id),
    used_at    TIMESTAMP,
    used_ip    TEXT,
    revoked_at TIMESTAMP
);

ALTER TABLE sales_orders ADD COLUMN opportunity_id TEXT REFERENCES opportunities(id);

ALTER TABLE sales_orders ADD COLUMN handover_id TEXT;

ALTER TABLE order_lines ADD COLUMN customer_id TEXT REFERENCES customers(id);


CREATE UNIQUE INDEX deliveries_number ON deliveries(number);
CREATE INDEX deliveries_updated ON deliveries(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deliveries_order ON deliveries(order_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX deliveries_customer ON deliveries(customer_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX deliveries_status ON deliveries(status, planned_date) WHERE deleted_at IS NULL;
CREATE INDEX delivery_lines_updated ON delivery_lines(updated_at, id);
CREATE INDEX delivery_lines_delivery ON delivery_lines(delivery_id, position);
CREATE INDEX delivery_lines_order_line ON delivery_lines(order_line_id);
CREATE INDEX delivery_lines_customer ON delivery_lines(customer_id);
CREATE INDEX delivery_events_updated ON delivery_events(updated_at, id);
CREATE INDEX delivery_events_delivery ON delivery_events(delivery_id, at);
CREATE INDEX delivery_events_customer ON delivery_events(customer_id);
CREATE UNIQUE INDEX supply_problems_number ON supply_problems(number);
CREATE INDEX supply_problems_updated ON supply_problems(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX supply_problems_owner_updated ON supply_problems(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX supply_problems_team_updated ON supply_problems(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX supply_problems_customer ON supply_problems(customer_id, status) WHERE deleted_at IS NULL;
CREATE INDEX supply_problems_order ON supply_problems(order_id) WHERE deleted_at IS NULL;
CREATE INDEX supply_problems_delivery ON supply_problems(delivery_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX service_tasks_number ON service_tasks(number);
CREATE INDEX service_tasks_updated ON service_tasks(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX service_tasks_owner_updated ON service_tasks(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX service_tasks_team_updated ON service_tasks(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX service_tasks_engineer ON service_tasks(engineer_id, scheduled_start) WHERE deleted_at IS NULL;
CREATE INDEX service_tasks_customer ON service_tasks(customer_id, scheduled_start) WHERE deleted_at IS NULL;
CREATE INDEX service_tasks_order ON service_tasks(order_id) WHERE deleted_at IS NULL;
CREATE INDEX service_tasks_schedule ON service_tasks(scheduled_start, id) WHERE deleted_at IS NULL;
CREATE INDEX task_check_items_updated ON task_check_items(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX task_check_items_task ON task_check_items(task_id, position) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX public_links_token ON public_links(token_hash);
CREATE INDEX public_links_record ON public_links(record_id, created_at);
CREATE INDEX sales_orders_opportunity ON sales_orders(opportunity_id) WHERE deleted_at IS NULL;
CREATE INDEX order_lines_customer ON order_lines(customer_id);
