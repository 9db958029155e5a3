-- Finance: invoices and payments against a contract's payment plan, their
-- allocations to instalments, idempotency keys of money-moving creates, and
-- on the instalments the contract's owner, team, currency and whether it is
-- signed (kept by the finance hooks) so receivables are summed by who sells
-- without a join.

CREATE TABLE invoices (
    id             TEXT PRIMARY KEY,
    number         TEXT NOT NULL,
    internal_no    TEXT NOT NULL,
    kind           TEXT NOT NULL,
    contract_id    TEXT NOT NULL REFERENCES contracts(id),
    customer_id    TEXT REFERENCES customers(id),
    opportunity_id TEXT REFERENCES opportunities(id),
    instalment_ids TEXT,
    currency       TEXT NOT NULL,
    amount         INTEGER NOT NULL,
    tax_amount     INTEGER NOT NULL,
    net_amount     INTEGER NOT NULL,
    issue_date     DATE NOT NULL,
    buyer_name     TEXT,
    buyer_tax_id   TEXT,
    status         TEXT NOT NULL,
    void_reason    TEXT,
    voided_at      TIMESTAMP,
    voided_by      TEXT,
    notes          TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    created_by     TEXT,
    updated_by     TEXT
);
CREATE UNIQUE INDEX invoices_number ON invoices(number);
CREATE UNIQUE INDEX invoices_internal_no ON invoices(internal_no);
CREATE INDEX invoices_updated ON invoices(updated_at, id);
CREATE INDEX invoices_issue_date ON invoices(issue_date, id);
CREATE INDEX invoices_contract ON invoices(contract_id, issue_date);
CREATE INDEX invoices_customer ON invoices(customer_id, issue_date);
CREATE INDEX invoices_opportunity ON invoices(opportunity_id) WHERE opportunity_id IS NOT NULL;

CREATE TABLE invoice_allocations (
    id            TEXT PRIMARY KEY,
    invoice_id    TEXT NOT NULL REFERENCES invoices(id),
    instalment_id TEXT NOT NULL REFERENCES payment_instalments(id),
    contract_id   TEXT NOT NULL REFERENCES contracts(id),
    label         TEXT NOT NULL,
    amount        INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    created_by    TEXT,
    updated_by    TEXT
);
CREATE INDEX invoice_allocations_invoice ON invoice_allocations(invoice_id);
CREATE INDEX invoice_allocations_instalment ON invoice_allocations(instalment_id);
CREATE INDEX invoice_allocations_contract ON invoice_allocations(contract_id);
CREATE INDEX invoice_allocations_updated ON invoice_allocations(updated_at, id);
CREATE INDEX invoice_allocations_created ON invoice_allocations(created_at, id);

CREATE TABLE payments (
    id                 TEXT PRIMARY KEY,
    number             TEXT NOT NULL,
    contract_id        TEXT NOT NULL REFERENCES contracts(id),
    customer_id        TEXT REFERENCES customers(id),
    opportunity_id     TEXT REFERENCES opportunities(id),
    currency           TEXT NOT NULL,
    amount             INTEGER NOT NULL,
    received_on        DATE NOT NULL,
    method             TEXT NOT NULL,
    bank_ref           TEXT,
    payer              TEXT,
    allocated_amount   INTEGER NOT NULL,
    unallocated_amount INTEGER NOT NULL,
    status             TEXT NOT NULL,
    reversed_reason    TEXT,
    reversed_at        TIMESTAMP,
    reversed_by        TEXT,
    notes              TEXT,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    created_by         TEXT,
    updated_by         TEXT
);
CREATE UNIQUE INDEX payments_number ON payments(number);
CREATE INDEX payments_updated ON payments(updated_at, id);
CREATE INDEX payments_received ON payments(received_on, id);
CREATE INDEX payments_contract ON payments(contract_id, received_on);
CREATE INDEX payments_customer ON payments(customer_id, received_on);
CREATE INDEX payments_opportunity ON payments(opportunity_id) WHERE opportunity_id IS NOT NULL;

CREATE TABLE payment_allocations (
    id            TEXT PRIMARY KEY,
    payment_id    TEXT NOT NULL REFERENCES payments(id),
    instalment_id TEXT NOT NULL REFERENCES payment_instalments(id),
    contract_id   TEXT NOT NULL REFERENCES contracts(id),
    label         TEXT NOT NULL,
    amount        INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    created_by    TEXT,
    updated_by    TEXT
);
CREATE INDEX payment_allocations_payment ON payment_allocations(payment_id);
CREATE INDEX payment_allocations_instalment ON payment_allocations(instalment_id);
CREATE INDEX payment_allocations_contract ON payment_allocations(contract_id);
CREATE INDEX payment_allocations_updated ON payment_allocations(updated_at, id);
CREATE INDEX payment_allocations_created ON payment_allocations(created_at, id);

-- A create that moves money, remembered per caller and key for 24 hours:
-- the request it answered (method and path, hash of the body) and the
-- response, written in the transaction that did the work.
CREATE TABLE idempotency_keys (
    principal  TEXT NOT NULL,
    key        TEXT NOT NULL,
    scope      TEXT NOT NULL,
    body_hash  TEXT NOT NULL,
    status     INTEGER NOT NULL,
    response   TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

ALTER TABLE payment_instalments ADD COLUMN owner_id TEXT REFERENCES users(id);
ALTER TABLE payment_instalments ADD COLUMN team_id TEXT REFERENCES teams(id);
ALTER TABLE payment_instalments ADD COLUMN currency TEXT;
ALTER TABLE payment_instalments ADD COLUMN receivable BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE payment_instalments ADD COLUMN overdue_notified_at TIMESTAMP;
UPDATE payment_instalments SET
    owner_id = (SELECT c.owner_id FROM contracts c WHERE c.id = payment_instalments.contract_id),
    team_id = (SELECT c.team_id FROM contracts c WHERE c.id = payment_instalments.contract_id),
    currency = (SELECT c.currency FROM contracts c WHERE c.id = payment_instalments.contract_id),
    receivable = EXISTS (SELECT 1 FROM contracts c WHERE c.id = payment_instalments.contract_id
        AND c.status IN ('signed', 'in_execution', 'completed', 'terminated'));

-- Receivables: what is not paid, by each way of looking (an owner, a
-- team, a customer), then currency and due date, carrying what the ageing
-- sums and the columns of the condition (SQLite reads a partial index as
-- covering only when it holds them), so no table row is read and the
-- grouped sums are made walking the index in order. Org-wide ageing walks the team index whole. The literal
-- condition is what the ageing query says, so both engines use these
-- partial indexes.
CREATE INDEX payment_instalments_recv_owner ON payment_instalments(owner_id, currency, due_date, customer_id, team_id, amount, paid_amount, status, deleted_at, receivable)
    WHERE status <> 'paid' AND deleted_at IS NULL AND receivable = TRUE;
CREATE INDEX payment_instalments_recv_team ON payment_instalments(team_id, currency, due_date, owner_id, customer_id, amount, paid_amount, status, deleted_at, receivable)
    WHERE status <> 'paid' AND deleted_at IS NULL AND receivable = TRUE;
CREATE INDEX payment_instalments_recv_customer ON payment_instalments(customer_id, currency, due_date, owner_id, team_id, amount, paid_amount, status, deleted_at, receivable)
    WHERE status <> 'paid' AND deleted_at IS NULL AND receivable = TRUE;
-- The months around the age band edges, for everyone: by due date.
CREATE INDEX payment_instalments_recv_due ON payment_instalments(due_date, owner_id, team_id, currency, customer_id, amount, paid_amount, status, deleted_at, receivable)
    WHERE status <> 'paid' AND deleted_at IS NULL AND receivable = TRUE;
-- Reminders still to send.
CREATE INDEX payment_instalments_remind ON payment_instalments(due_date)
    WHERE status <> 'paid' AND deleted_at IS NULL AND receivable = TRUE AND (reminded_at IS NULL OR overdue_notified_at IS NULL);

-- Receivables kept by month (owner, team, currency, due month → unpaid
-- amount and count of unpaid instalments), moved by the finance hooks in
-- the writing transaction; the ageing of owners and teams reads these for
-- the months wholly inside one age band. '' stands for no owner or team.
CREATE TABLE receivable_months (
    owner_id  TEXT NOT NULL,
    team_id   TEXT NOT NULL,
    currency  TEXT NOT NULL,
    due_month TEXT NOT NULL,
    n         INTEGER NOT NULL,
    amount    INTEGER NOT NULL,
    PRIMARY KEY (owner_id, team_id, currency, due_month)
);
CREATE INDEX receivable_months_team ON receivable_months(team_id, currency, due_month, owner_id, n, amount);
CREATE INDEX receivable_months_owner ON receivable_months(owner_id, currency, due_month, team_id, n, amount);
INSERT INTO receivable_months (owner_id, team_id, currency, due_month, n, amount)
    SELECT coalesce(owner_id, ''), coalesce(team_id, ''), coalesce(currency, 'CNY'), substr(due_date, 1, 7), count(*), coalesce(sum(amount - paid_amount), 0)
    FROM payment_instalments WHERE status <> 'paid' AND deleted_at IS NULL AND receivable = TRUE GROUP BY 1, 2, 3, 4;
