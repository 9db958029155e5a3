-- In-sales spine: the catalogue and price lists, quotes and their lines,
-- contracts and their payment plans, orders and their lines. Numbers
-- (Q-yyyymm-nnnn …) come from the counters table.

CREATE TABLE products (
    id           TEXT PRIMARY KEY,
    sku          TEXT NOT NULL,
    name         TEXT NOT NULL,
    spec         TEXT,
    unit         TEXT NOT NULL,
    category     TEXT,
    kind         TEXT NOT NULL,
    list_price   INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    tax_rate_bp  INTEGER NOT NULL,
    stock_qty    INTEGER NOT NULL,
    reserved_qty INTEGER NOT NULL,
    active       BOOLEAN NOT NULL,
    description  TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    created_by   TEXT,
    updated_by   TEXT,
    deleted_at   TIMESTAMP
);
CREATE INDEX products_updated ON products(updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE price_lists (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    code           TEXT NOT NULL,
    customer_level TEXT,
    customer_id    TEXT REFERENCES customers(id),
    currency       TEXT NOT NULL,
    valid_from     DATE,
    valid_to       DATE,
    active         BOOLEAN NOT NULL,
    notes          TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    created_by     TEXT,
    updated_by     TEXT,
    deleted_at     TIMESTAMP
);
CREATE INDEX price_lists_updated ON price_lists(updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE price_list_items (
    id            TEXT PRIMARY KEY,
    price_list_id TEXT NOT NULL REFERENCES price_lists(id),
    product_id    TEXT NOT NULL REFERENCES products(id),
    product_name  TEXT NOT NULL,
    unit_price    INTEGER NOT NULL,
    min_qty       INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    created_by    TEXT,
    updated_by    TEXT,
    deleted_at    TIMESTAMP
);
CREATE INDEX price_list_items_updated ON price_list_items(updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE quotes (
    id                TEXT PRIMARY KEY,
    number            TEXT NOT NULL,
    title             TEXT NOT NULL,
    opportunity_id    TEXT REFERENCES opportunities(id),
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    contact_id        TEXT REFERENCES contacts(id),
    revision          INTEGER NOT NULL,
    root_id           TEXT REFERENCES quotes(id),
    status            TEXT NOT NULL,
    currency          TEXT NOT NULL,
    price_list_id     TEXT REFERENCES price_lists(id),
    valid_until       DATE NOT NULL,
    delivery_period   TEXT,
    payment_terms     TEXT,
    service_content   TEXT,
    after_sales_terms TEXT,
    notes             TEXT,
    discount_reason   TEXT,
    subtotal          INTEGER NOT NULL,
    discount_amount   INTEGER NOT NULL,
    net_amount        INTEGER NOT NULL,
    tax_amount        INTEGER NOT NULL,
    total             INTEGER NOT NULL,
    max_discount_bp   INTEGER NOT NULL,
    submitted_at      TIMESTAMP,
    sent_at           TIMESTAMP,
    decided_at        TIMESTAMP,
    rejected_reason   TEXT,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    created_by        TEXT,
    updated_by        TEXT,
    owner_id          TEXT REFERENCES users(id),
    team_id           TEXT REFERENCES teams(id),
    deleted_at        TIMESTAMP
);
CREATE INDEX quotes_updated ON quotes(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX quotes_owner_updated ON quotes(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX quotes_team_updated ON quotes(team_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE quote_lines (
    id          TEXT PRIMARY KEY,
    quote_id    TEXT NOT NULL REFERENCES quotes(id),
    position    INTEGER NOT NULL,
    product_id  TEXT REFERENCES products(id),
    name        TEXT NOT NULL,
    spec        TEXT,
    unit        TEXT,
    quantity    INTEGER NOT NULL,
    unit_price  INTEGER NOT NULL,
    discount_bp INTEGER NOT NULL,
    tax_rate_bp INTEGER NOT NULL,
    net_amount  INTEGER NOT NULL,
    tax_amount  INTEGER NOT NULL,
    line_total  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    created_by  TEXT,
    updated_by  TEXT
);
CREATE INDEX quote_lines_updated ON quote_lines(updated_at, id);

CREATE TABLE contracts (
    id                   TEXT PRIMARY KEY,
    number               TEXT NOT NULL,
    title                TEXT NOT NULL,
    customer_id          TEXT NOT NULL REFERENCES customers(id),
    opportunity_id       TEXT REFERENCES opportunities(id),
    quote_id             TEXT REFERENCES quotes(id),
    status               TEXT NOT NULL,
    amount               INTEGER NOT NULL,
    currency             TEXT NOT NULL,
    party_a              TEXT,
    party_b              TEXT,
    signer_contact_id    TEXT REFERENCES contacts(id),
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
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    created_by           TEXT,
    updated_by           TEXT,
    owner_id             TEXT REFERENCES users(id),
    team_id              TEXT REFERENCES teams(id),
    deleted_at           TIMESTAMP
);
CREATE INDEX contracts_updated ON contracts(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contracts_owner_updated ON contracts(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contracts_team_updated ON contracts(team_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE payment_instalments (
    id              TEXT PRIMARY KEY,
    contract_id     TEXT NOT NULL REFERENCES contracts(id),
    customer_id     TEXT REFERENCES customers(id),
    position        INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    label           TEXT NOT NULL,
    due_date        DATE NOT NULL,
    amount          INTEGER NOT NULL,
    condition       TEXT,
    invoiced_amount INTEGER NOT NULL,
    paid_amount     INTEGER NOT NULL,
    status          TEXT NOT NULL,
    reminded_at     TIMESTAMP,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    created_by      TEXT,
    updated_by      TEXT,
    deleted_at      TIMESTAMP
);
CREATE INDEX payment_instalments_updated ON payment_instalments(updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE sales_orders (
    id             TEXT PRIMARY KEY,
    number         TEXT NOT NULL,
    customer_id    TEXT NOT NULL REFERENCES customers(id),
    customer_name  TEXT,
    contract_id    TEXT REFERENCES contracts(id),
    quote_id       TEXT REFERENCES quotes(id),
    status         TEXT NOT NULL,
    requested_date DATE,
    currency       TEXT NOT NULL,
    total          INTEGER NOT NULL,
    ship_to        TEXT,
    receiver_name  TEXT,
    receiver_phone TEXT,
    notes          TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    created_by     TEXT,
    updated_by     TEXT,
    owner_id       TEXT REFERENCES users(id),
    team_id        TEXT REFERENCES teams(id),
    deleted_at     TIMESTAMP
);
CREATE INDEX sales_orders_updated ON sales_orders(updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX sales_orders_owner_updated ON sales_orders(owner_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX sales_orders_team_updated ON sales_orders(team_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE order_lines (
    id            TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL REFERENCES sales_orders(id),
    position      INTEGER NOT NULL,
    product_id    TEXT REFERENCES products(id),
    name          TEXT NOT NULL,
    spec          TEXT,
    unit          TEXT,
    quantity      INTEGER NOT NULL,
    unit_price    INTEGER NOT NULL,
    line_total    INTEGER NOT NULL,
    reserved_qty  INTEGER NOT NULL,
    delivered_qty INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    created_by    TEXT,
    updated_by    TEXT
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
