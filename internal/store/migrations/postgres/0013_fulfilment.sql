-- Fulfilment (售中): deliveries with their lines and tracking updates,
-- supply problems, installation/commissioning/training tasks with their
-- checklists, and the public links a customer signs a delivery or accepts
-- a task with (only the SHA-256 of a link's token is kept). Orders gain
-- the opportunity they came from and the hand-over report they follow;
-- order lines carry their customer (visibility through the customer).


CREATE TABLE deliveries (
    id             UUID PRIMARY KEY,
    number         TEXT NOT NULL,
    order_id       UUID NOT NULL REFERENCES sales_orders(id),
    customer_id    UUID NOT NULL REFERENCES customers(id),
    customer_name  TEXT,
    status         TEXT NOT NULL,
    planned_date   DATE,
    expected_date  DATE,
    packaging      TEXT,
    package_count  BIGINT,
    carrier        TEXT,
    tracking_no    TEXT,
    ship_to        TEXT,
    receiver_name  TEXT,
    receiver_phone TEXT,
    notes          TEXT,
    shipped_at     TIMESTAMPTZ,
    delivered_at   TIMESTAMPTZ,
    signed_at      TIMESTAMPTZ,
    signer_name    TEXT,
    signer_phone   TEXT,
    signed_ip      TEXT,
    sign_remarks   TEXT,
    has_issues     BOOLEAN NOT NULL,
    handover_id    UUID,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    created_by     UUID,
    updated_by     UUID,
    deleted_at     TIMESTAMPTZ
);

CREATE TABLE delivery_lines (
    id              UUID PRIMARY KEY,
    delivery_id     UUID NOT NULL REFERENCES deliveries(id),
    order_id        UUID NOT NULL REFERENCES sales_orders(id),
    customer_id     UUID NOT NULL REFERENCES customers(id),
    order_line_id   UUID NOT NULL REFERENCES order_lines(id),
    position        BIGINT NOT NULL,
    product_id      UUID REFERENCES products(id),
    name            TEXT NOT NULL,
    spec            TEXT,
    unit            TEXT,
    quantity        BIGINT NOT NULL,
    batch_no        TEXT,
    production_date DATE,
    received_qty    BIGINT,
    receipt_issue   TEXT,
    receipt_remark  TEXT,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    created_by      UUID,
    updated_by      UUID
);

CREATE TABLE delivery_events (
    id          UUID PRIMARY KEY,
    delivery_id UUID NOT NULL REFERENCES deliveries(id),
    order_id    UUID NOT NULL REFERENCES sales_orders(id),
    customer_id UUID NOT NULL REFERENCES customers(id),
    at          TIMESTAMPTZ NOT NULL,
    status      TEXT NOT NULL,
    location    TEXT,
    note        TEXT,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    created_by  UUID,
    updated_by  UUID
);

CREATE TABLE supply_problems (
    id              UUID PRIMARY KEY,
    number          TEXT NOT NULL,
    title           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    severity        TEXT NOT NULL,
    status          TEXT NOT NULL,
    customer_id     UUID NOT NULL REFERENCES customers(id),
    order_id        UUID REFERENCES sales_orders(id),
    delivery_id     UUID REFERENCES deliveries(id),
    occurred_on     DATE,
    due_date        DATE,
    description     TEXT,
    source          TEXT NOT NULL,
    resolution      TEXT,
    root_cause      TEXT,
    root_cause_note TEXT,
    resolved_at     TIMESTAMPTZ,
    closed_at       TIMESTAMPTZ,
    reopen_reason   TEXT,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    created_by      UUID,
    updated_by      UUID,
    owner_id        UUID REFERENCES users(id),
    team_id         UUID REFERENCES teams(id),
    deleted_at      TIMESTAMPTZ
);

CREATE TABLE service_tasks (
    id                 UUID PRIMARY KEY,
    number             TEXT NOT NULL,
    title              TEXT NOT NULL,
    kind               TEXT NOT NULL,
    status             TEXT NOT NULL,
    customer_id        UUID NOT NULL REFERENCES customers(id),
    order_id           UUID REFERENCES sales_orders(id),
    delivery_id        UUID REFERENCES deliveries(id),
    contract_id        UUID REFERENCES contracts(id),
    engineer_id        UUID REFERENCES users(id),
    scheduled_start    TIMESTAMPTZ NOT NULL,
    scheduled_end      TIMESTAMPTZ,
    location           TEXT,
    description        TEXT,
    result             TEXT,
    started_at         TIMESTAMPTZ,
    done_at            TIMESTAMPTZ,
    accepted_at        TIMESTAMPTZ,
    acceptor_name      TEXT,
    acceptor_phone     TEXT,
    acceptance_ip      TEXT,
    acceptance_remarks TEXT,
    rejected_reason    TEXT,
    handover_id        UUID,
    version            BIGINT NOT NULL DEFAULT 1,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    created_by         UUID,
    updated_by         UUID,
    owner_id           UUID REFERENCES users(id),
    team_id            UUID REFERENCES teams(id),
    deleted_at         TIMESTAMPTZ
);

CREATE TABLE task_check_items (
    id         UUID PRIMARY KEY,
    task_id    UUID NOT NULL REFERENCES service_tasks(id),
    position   BIGINT NOT NULL,
    text       TEXT NOT NULL,
    done       BOOLEAN NOT NULL,
    done_by    UUID REFERENCES users(id),
    done_at    TIMESTAMPTZ,
    version    BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    created_by UUID,
    updated_by UUID,
    deleted_at TIMESTAMPTZ
);

CREATE TABLE public_links (
    id         UUID PRIMARY KEY,
    purpose    TEXT NOT NULL,
    entity     TEXT NOT NULL,
    record_id  UUID NOT NULL,
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID REFERENCES users(id),
    used_at    TIMESTAMPTZ,
    used_ip    TEXT,
    revoked_at TIMESTAMPTZ
);

ALTER TABLE sales_orders ADD COLUMN opportunity_id UUID REFERENCES opportunities(id);

ALTER TABLE sales_orders ADD COLUMN handover_id UUID;

ALTER TABLE order_lines ADD COLUMN customer_id UUID REFERENCES customers(id);


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
