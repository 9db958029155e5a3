-- On-site service, spare parts and returns (售后): field engineers' visits
-- with check-in/out and the customer's confirmation, warehouses, the
-- spare-part catalogue, stock per part and warehouse (kept only by the
-- stock process) and its ledger of movements, returns and exchanges
-- (TH-yyyymm-nnnn) with inspection, replacement and refund; the links a
-- customer confirms a visit with (only the SHA-256 of a token is kept).

CREATE TABLE service_visits (
    id                 TEXT PRIMARY KEY,
    number             TEXT NOT NULL,
    subject            TEXT NOT NULL,
    status             TEXT NOT NULL,
    ticket_id          TEXT REFERENCES tickets(id),
    customer_id        TEXT NOT NULL REFERENCES customers(id),
    contact_id         TEXT REFERENCES contacts(id),
    appointment_start  TIMESTAMP NOT NULL,
    appointment_end    TIMESTAMP NOT NULL,
    address            TEXT,
    started_at         TIMESTAMP,
    checked_in_at      TIMESTAMP,
    check_in_location  TEXT,
    checked_out_at     TIMESTAMP,
    check_out_location TEXT,
    work_done          TEXT,
    confirmed_at       TIMESTAMP,
    confirmer_name     TEXT,
    confirm_remarks    TEXT,
    confirm_ip         TEXT,
    cancel_reason      TEXT,
    opportunity_id     TEXT REFERENCES opportunities(id),
    owner_id           TEXT REFERENCES users(id),
    team_id            TEXT REFERENCES teams(id),
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    created_by         TEXT,
    updated_by         TEXT,
    deleted_at         TIMESTAMP
);

CREATE TABLE warehouses (
    id         TEXT PRIMARY KEY,
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    keeper_id  TEXT REFERENCES users(id),
    address    TEXT,
    active     BOOLEAN NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    created_by TEXT,
    updated_by TEXT,
    deleted_at TIMESTAMP
);

CREATE TABLE spare_parts (
    id         TEXT PRIMARY KEY,
    sku        TEXT NOT NULL,
    name       TEXT NOT NULL,
    product_id TEXT REFERENCES products(id),
    unit       TEXT,
    unit_cost  INTEGER,
    min_stock  INTEGER NOT NULL,
    active     BOOLEAN NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    created_by TEXT,
    updated_by TEXT,
    deleted_at TIMESTAMP
);

CREATE TABLE spare_part_stock (
    id           TEXT PRIMARY KEY,
    part_id      TEXT NOT NULL REFERENCES spare_parts(id),
    warehouse_id TEXT NOT NULL REFERENCES warehouses(id),
    quantity     INTEGER NOT NULL,
    low          BOOLEAN NOT NULL,
    low_since    TIMESTAMP,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    created_by   TEXT,
    updated_by   TEXT
);

CREATE TABLE stock_movements (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    part_id         TEXT NOT NULL REFERENCES spare_parts(id),
    warehouse_id    TEXT NOT NULL REFERENCES warehouses(id),
    to_warehouse_id TEXT REFERENCES warehouses(id),
    quantity        INTEGER NOT NULL,
    delta           INTEGER,
    balance_after   INTEGER,
    ticket_id       TEXT REFERENCES tickets(id),
    visit_id        TEXT REFERENCES service_visits(id),
    return_id       TEXT,
    reason          TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    created_by      TEXT,
    updated_by      TEXT
);

CREATE TABLE return_requests (
    id                      TEXT PRIMARY KEY,
    number                  TEXT NOT NULL,
    kind                    TEXT NOT NULL,
    status                  TEXT NOT NULL,
    customer_id             TEXT NOT NULL REFERENCES customers(id),
    order_id                TEXT REFERENCES sales_orders(id),
    delivery_id             TEXT REFERENCES deliveries(id),
    ticket_id               TEXT REFERENCES tickets(id),
    reason                  TEXT NOT NULL,
    items                   TEXT,
    received_at             TIMESTAMP,
    received_warehouse_id   TEXT REFERENCES warehouses(id),
    receive_notes           TEXT,
    inspected_at            TIMESTAMP,
    inspection_result       TEXT,
    inspection_notes        TEXT,
    replacement_delivery_id TEXT REFERENCES deliveries(id),
    replacement_carrier     TEXT,
    replacement_tracking_no TEXT,
    refund_amount           INTEGER,
    refund_date             DATE,
    refund_reference        TEXT,
    done_at                 TIMESTAMP,
    rejected_reason         TEXT,
    closed_at               TIMESTAMP,
    opportunity_id          TEXT REFERENCES opportunities(id),
    owner_id                TEXT REFERENCES users(id),
    team_id                 TEXT REFERENCES teams(id),
    version                 INTEGER NOT NULL DEFAULT 1,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL,
    created_by              TEXT,
    updated_by              TEXT,
    deleted_at              TIMESTAMP
);

CREATE TABLE visit_links (
    id         TEXT PRIMARY KEY,
    visit_id   TEXT NOT NULL REFERENCES service_visits(id),
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT REFERENCES users(id),
    used_at    TIMESTAMP,
    used_ip    TEXT,
    revoked_at TIMESTAMP
);

CREATE UNIQUE INDEX visit_links_token ON visit_links(token_hash);
CREATE INDEX visit_links_visit ON visit_links(visit_id, created_at);
CREATE UNIQUE INDEX service_visits_number ON service_visits(number);
CREATE INDEX service_visits_updated ON service_visits(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX service_visits_owner_updated ON service_visits(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX service_visits_team_updated ON service_visits(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX service_visits_engineer_day ON service_visits(owner_id, appointment_start) WHERE deleted_at IS NULL;
CREATE INDEX service_visits_customer ON service_visits(customer_id, appointment_start) WHERE deleted_at IS NULL;
CREATE INDEX service_visits_ticket ON service_visits(ticket_id) WHERE deleted_at IS NULL;
CREATE INDEX service_visits_schedule ON service_visits(appointment_start, id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX warehouses_code ON warehouses(code) WHERE deleted_at IS NULL;
CREATE INDEX warehouses_updated ON warehouses(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX warehouses_keeper ON warehouses(keeper_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX spare_parts_sku ON spare_parts(sku) WHERE deleted_at IS NULL;
CREATE INDEX spare_parts_updated ON spare_parts(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX spare_parts_product ON spare_parts(product_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX spare_part_stock_key ON spare_part_stock(part_id, warehouse_id);
CREATE INDEX spare_part_stock_updated ON spare_part_stock(updated_at, id);
CREATE INDEX spare_part_stock_warehouse ON spare_part_stock(warehouse_id, part_id);
CREATE INDEX spare_part_stock_low ON spare_part_stock(warehouse_id, part_id) WHERE low;
CREATE INDEX stock_movements_updated ON stock_movements(updated_at, id);
CREATE INDEX stock_movements_part ON stock_movements(part_id, created_at);
CREATE INDEX stock_movements_warehouse ON stock_movements(warehouse_id, created_at);
CREATE INDEX stock_movements_ticket ON stock_movements(ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX stock_movements_visit ON stock_movements(visit_id) WHERE visit_id IS NOT NULL;
CREATE INDEX stock_movements_return ON stock_movements(return_id) WHERE return_id IS NOT NULL;
CREATE UNIQUE INDEX return_requests_number ON return_requests(number);
CREATE INDEX return_requests_updated ON return_requests(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX return_requests_owner_updated ON return_requests(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX return_requests_team_updated ON return_requests(team_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX return_requests_customer ON return_requests(customer_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX return_requests_order ON return_requests(order_id) WHERE deleted_at IS NULL;
CREATE INDEX return_requests_delivery ON return_requests(delivery_id) WHERE deleted_at IS NULL;
CREATE INDEX return_requests_ticket ON return_requests(ticket_id) WHERE deleted_at IS NULL;
CREATE INDEX return_requests_status ON return_requests(status, created_at) WHERE deleted_at IS NULL;
