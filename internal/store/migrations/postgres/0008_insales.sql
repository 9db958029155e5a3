-- In-sales spine: the catalogue and price lists, quotes and their lines,
-- contracts and their payment plans, orders and their lines. Numbers
-- (Q-yyyymm-nnnn …) come from the counters table.

CREATE TABLE products (
    id           UUID PRIMARY KEY,
    sku          TEXT NOT NULL,
    name         TEXT NOT NULL,
    spec         TEXT,
    unit         TEXT NOT NULL,
    category     TEXT,
    kind         TEXT NOT NULL,
    list_price   BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    tax_rate_bp  BIGINT NOT NULL,
    stock_qty    BIGINT NOT NULL,
    reserved_qty BIGINT NOT NULL,
    active       BOOLEAN NOT NULL,
    description  TEXT,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    created_by   UUID,
    updated_by   UUID,
    deleted_at   TIMESTAMPTZ
);
CREATE INDEX products_updated ON products(updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE price_lists (
    id             UUID PRIMARY KEY,
    name           TEXT NOT NULL,
    code           TEXT NOT NULL,
    customer_level TEXT,
    customer_id    UUID REFERENCES customers(id),
    currency       TEXT NOT NULL,
    valid_from     DATE,
    valid_to       DATE,
    active         BOOLEAN NOT NULL,
    notes          TEXT,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    created_by     UUID,
    updated_by     UUID,
    deleted_at     TIMESTAMPTZ
);
CREATE INDEX price_lists_updated ON price_lists(updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE price_list_items (
    id            UUID PRIMARY KEY,
    price_list_id UUID NOT NULL REFERENCES price_lists(id),
    product_id    UUID NOT NULL REFERENCES products(id),
    product_name  TEXT NOT NULL,
    unit_price    BIGINT NOT NULL,
    min_qty       BIGINT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    created_by    UUID,
    updated_by    UUID,
    deleted_at    TIMESTAMPTZ
);
CREATE INDEX price_list_items_updated ON price_list_items(updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE quotes (
    id                UUID PRIMARY KEY,
    number            TEXT NOT NULL,
    title             TEXT NOT NULL,
    opportunity_id    UUID REFERENCES opportunities(id),
    customer_id       UUID NOT NULL REFERENCES customers(id),
    contact_id        UUID REFERENCES contacts(id),
    revision          BIGINT NOT NULL,
    root_id           UUID REFERENCES quotes(id),
    status            TEXT NOT NULL,
    currency          TEXT NOT NULL,
    price_list_id     UUID REFERENCES price_lists(id),
    valid_until       DATE NOT NULL,
    delivery_period   TEXT,
    payment_terms     TEXT,
    service_content   TEXT,
    after_sales_terms TEXT,
    notes             TEXT,
    discount_reason   TEXT,
    subtotal          BIGINT NOT NULL,
    discount_amount   BIGINT NOT NULL,
    net_amount        BIGINT NOT NULL,
    tax_amount        BIGINT NOT NULL,
    total             BIGINT NOT NULL,
    max_discount_bp   BIGINT NOT NULL,
    submitted_at      TIMESTAMPTZ,
    sent_at           TIMESTAMPTZ,
    decided_at        TIMESTAMPTZ,
    rejected_reason   TEXT,
    version           BIGINT NOT NULL DEFAULT 1,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    created_by        UUID,
    updated_by        UUID,
    owner_id          UUID REFERENCES users(id),
    team_id           UUID REFERENCES teams(id),
    deleted_at        TIMESTAMPTZ
);
CREATE INDEX quotes_updated ON quotes(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX quotes_owner_updated ON quotes(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX quotes_team_updated ON quotes(team_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE quote_lines (
    id          UUID PRIMARY KEY,
    quote_id    UUID NOT NULL REFERENCES quotes(id),
    position    BIGINT NOT NULL,
    product_id  UUID REFERENCES products(id),
    name        TEXT NOT NULL,
    spec        TEXT,
    unit        TEXT,
    quantity    BIGINT NOT NULL,
    unit_price  BIGINT NOT NULL,
    discount_bp BIGINT NOT NULL,
    tax_rate_bp BIGINT NOT NULL,
    net_amount  BIGINT NOT NULL,
    tax_amount  BIGINT NOT NULL,
    line_total  BIGINT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    created_by  UUID,
    updated_by  UUID
);
CREATE INDEX quote_lines_updated ON quote_lines(updated_at, id);

CREATE TABLE contracts (
    id                   UUID PRIMARY KEY,
    number               TEXT NOT NULL,
    title                TEXT NOT NULL,
    customer_id          UUID NOT NULL REFERENCES customers(id),
    opportunity_id       UUID REFERENCES opportunities(id),
    quote_id             UUID REFERENCES quotes(id),
    status               TEXT NOT NULL,
    amount               BIGINT NOT NULL,
    currency             TEXT NOT NULL,
    party_a              TEXT,
    party_b              TEXT,
    signer_contact_id    UUID REFERENCES contacts(id),
    payment_method       TEXT,
    delivery_terms       TEXT,
    scope                TEXT,
    terms                TEXT,
    special_requirements TEXT,
    terms_confirmed      TEXT,
    signed_on            DATE,
    valid_from           DATE,
    valid_to             DATE,
    renewal_date         DATE,
    warranty_until       DATE,
    terminated_reason    TEXT,
    version              BIGINT NOT NULL DEFAULT 1,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    created_by           UUID,
    updated_by           UUID,
    owner_id             UUID REFERENCES users(id),
    team_id              UUID REFERENCES teams(id),
    deleted_at           TIMESTAMPTZ
);
CREATE INDEX contracts_updated ON contracts(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contracts_owner_updated ON contracts(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contracts_team_updated ON contracts(team_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE payment_instalments (
    id              UUID PRIMARY KEY,
    contract_id     UUID NOT NULL REFERENCES contracts(id),
    customer_id     UUID REFERENCES customers(id),
    position        BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    label           TEXT NOT NULL,
    due_date        DATE NOT NULL,
    amount          BIGINT NOT NULL,
    condition       TEXT,
    invoiced_amount BIGINT NOT NULL,
    paid_amount     BIGINT NOT NULL,
    status          TEXT NOT NULL,
    reminded_at     TIMESTAMPTZ,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    created_by      UUID,
    updated_by      UUID,
    deleted_at      TIMESTAMPTZ
);
CREATE INDEX payment_instalments_updated ON payment_instalments(updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE sales_orders (
    id             UUID PRIMARY KEY,
    number         TEXT NOT NULL,
    customer_id    UUID NOT NULL REFERENCES customers(id),
    customer_name  TEXT,
    contract_id    UUID REFERENCES contracts(id),
    quote_id       UUID REFERENCES quotes(id),
    status         TEXT NOT NULL,
    requested_date DATE,
    currency       TEXT NOT NULL,
    total          BIGINT NOT NULL,
    ship_to        TEXT,
    receiver_name  TEXT,
    receiver_phone TEXT,
    notes          TEXT,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    created_by     UUID,
    updated_by     UUID,
    owner_id       UUID REFERENCES users(id),
    team_id        UUID REFERENCES teams(id),
    deleted_at     TIMESTAMPTZ
);
CREATE INDEX sales_orders_updated ON sales_orders(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX sales_orders_owner_updated ON sales_orders(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX sales_orders_team_updated ON sales_orders(team_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE order_lines (
    id            UUID PRIMARY KEY,
    order_id      UUID NOT NULL REFERENCES sales_orders(id),
    position      BIGINT NOT NULL,
    product_id    UUID REFERENCES products(id),
    name          TEXT NOT NULL,
    spec          TEXT,
    unit          TEXT,
    quantity      BIGINT NOT NULL,
    unit_price    BIGINT NOT NULL,
    line_total    BIGINT NOT NULL,
    reserved_qty  BIGINT NOT NULL,
    delivered_qty BIGINT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    created_by    UUID,
    updated_by    UUID
);
CREATE INDEX order_lines_updated ON order_lines(updated_at, id);

CREATE UNIQUE INDEX products_sku ON products(sku) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX price_lists_code ON price_lists(code) WHERE deleted_at IS NULL;
CREATE INDEX price_list_items_list ON price_list_items(price_list_id, product_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX quotes_number ON quotes(number);
CREATE INDEX quotes_customer ON quotes(customer_id) WHERE deleted_at IS NULL;
CREATE INDEX quotes_opportunity ON quotes(opportunity_id) WHERE deleted_at IS NULL;
CREATE INDEX quotes_root ON quotes(root_id, revision);
CREATE INDEX quotes_status_valid ON quotes(status, valid_until) WHERE deleted_at IS NULL;
CREATE INDEX quote_lines_quote ON quote_lines(quote_id, position);
CREATE UNIQUE INDEX contracts_number ON contracts(number);
CREATE INDEX contracts_customer ON contracts(customer_id) WHERE deleted_at IS NULL;
CREATE INDEX contracts_quote ON contracts(quote_id) WHERE deleted_at IS NULL;
CREATE INDEX payment_instalments_contract ON payment_instalments(contract_id, position) WHERE deleted_at IS NULL;
CREATE INDEX payment_instalments_due ON payment_instalments(status, due_date) WHERE deleted_at IS NULL;
CREATE INDEX payment_instalments_customer ON payment_instalments(customer_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX sales_orders_number ON sales_orders(number);
CREATE INDEX sales_orders_customer ON sales_orders(customer_id) WHERE deleted_at IS NULL;
CREATE INDEX sales_orders_contract ON sales_orders(contract_id) WHERE deleted_at IS NULL;
CREATE INDEX order_lines_order ON order_lines(order_id, position);
