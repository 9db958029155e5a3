-- On-site service, spare parts and returns (售后): field engineers' visits
-- with check-in/out and the customer's confirmation, warehouses, the
-- spare-part catalogue, stock per part and warehouse (kept only by the
-- stock process) and its ledger of movements, returns and exchanges
-- (TH-yyyymm-nnnn) with inspection, replacement and refund; the links a
-- customer confirms a visit with (only the SHA-256 of a token is kept).

CREATE TABLE service_visits (
    id                 UUID PRIMARY KEY,
    number             TEXT NOT NULL,
    subject            TEXT NOT NULL,
    status             TEXT NOT NULL,
    ticket_id          UUID REFERENCES tickets(id),
    customer_id        UUID NOT NULL REFERENCES customers(id),
    contact_id         UUID REFERENCES contacts(id),
    appointment_start  TIMESTAMPTZ NOT NULL,
    appointment_end    TIMESTAMPTZ NOT NULL,
    address            TEXT,
    started_at         TIMESTAMPTZ,
    checked_in_at      TIMESTAMPTZ,
    check_in_location  TEXT,
    checked_out_at     TIMESTAMPTZ,
    check_out_location TEXT,
    work_done          TEXT,
    confirmed_at       TIMESTAMPTZ,
    confirmer_name     TEXT,
    confirm_remarks    TEXT,
    confirm_ip         TEXT,
    cancel_reason      TEXT,
    opportunity_id     UUID REFERENCES opportunities(id),
    owner_id           UUID REFERENCES users(id),
    team_id            UUID REFERENCES teams(id),
    version            BIGINT NOT NULL DEFAULT 1,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    created_by         UUID,
    updated_by         UUID,
    deleted_at         TIMESTAMPTZ
);

CREATE TABLE warehouses (
    id         UUID PRIMARY KEY,
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    keeper_id  UUID REFERENCES users(id),
    address    TEXT,
    active     BOOLEAN NOT NULL,
    version    BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    created_by UUID,
    updated_by UUID,
    deleted_at TIMESTAMPTZ
);

CREATE TABLE spare_parts (
    id         UUID PRIMARY KEY,
    sku        TEXT NOT NULL,
    name       TEXT NOT NULL,
    product_id UUID REFERENCES products(id),
    unit       TEXT,
    unit_cost  BIGINT,
    min_stock  BIGINT NOT NULL,
    active     BOOLEAN NOT NULL,
    version    BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    created_by UUID,
    updated_by UUID,
    deleted_at TIMESTAMPTZ
);

CREATE TABLE spare_part_stock (
    id           UUID PRIMARY KEY,
    part_id      UUID NOT NULL REFERENCES spare_parts(id),
    warehouse_id UUID NOT NULL REFERENCES warehouses(id),
    quantity     BIGINT NOT NULL,
    low          BOOLEAN NOT NULL,
    low_since    TIMESTAMPTZ,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    created_by   UUID,
    updated_by   UUID
);

CREATE TABLE stock_movements (
    id              UUID PRIMARY KEY,
    kind            TEXT NOT NULL,
    part_id         UUID NOT NULL REFERENCES spare_parts(id),
    warehouse_id    UUID NOT NULL REFERENCES warehouses(id),
    to_warehouse_id UUID REFERENCES warehouses(id),
    quantity        BIGINT NOT NULL,
    delta           BIGINT,
    balance_after   BIGINT,
    ticket_id       UUID REFERENCES tickets(id),
    visit_id        UUID REFERENCES service_visits(id),
    return_id       UUID,
    reason          TEXT,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    created_by      UUID,
    updated_by      UUID
);

CREATE TABLE return_requests (
    id                      UUID PRIMARY KEY,
    number                  TEXT NOT NULL,
    kind                    TEXT NOT NULL,
    status                  TEXT NOT NULL,
    customer_id             UUID NOT NULL REFERENCES customers(id),
    order_id                UUID REFERENCES sales_orders(id),
    delivery_id             UUID REFERENCES deliveries(id),
    ticket_id               UUID REFERENCES tickets(id),
    reason                  TEXT NOT NULL,
    items                   TEXT,
    received_at             TIMESTAMPTZ,
    received_warehouse_id   UUID REFERENCES warehouses(id),
    receive_notes           TEXT,
    inspected_at            TIMESTAMPTZ,
    inspection_result       TEXT,
    inspection_notes        TEXT,
    replacement_delivery_id UUID REFERENCES deliveries(id),
    replacement_carrier     TEXT,
    replacement_tracking_no TEXT,
    refund_amount           BIGINT,
    refund_date             DATE,
    refund_reference        TEXT,
    done_at                 TIMESTAMPTZ,
    rejected_reason         TEXT,
    closed_at               TIMESTAMPTZ,
    opportunity_id          UUID REFERENCES opportunities(id),
    owner_id                UUID REFERENCES users(id),
    team_id                 UUID REFERENCES teams(id),
    version                 BIGINT NOT NULL DEFAULT 1,
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL,
    created_by              UUID,
    updated_by              UUID,
    deleted_at              TIMESTAMPTZ
);

CREATE TABLE visit_links (
    id         UUID PRIMARY KEY,
    visit_id   UUID NOT NULL REFERENCES service_visits(id),
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID REFERENCES users(id),
    used_at    TIMESTAMPTZ,
    used_ip    TEXT,
    revoked_at TIMESTAMPTZ
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
