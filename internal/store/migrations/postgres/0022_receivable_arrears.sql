-- Arrears kept per customer (欠款): what is unpaid of the instalments due
-- before receivable_arrears_upto.kept_before (a day), per customer,
-- currency, owner and team; moved by the finance hooks in the writing
-- transaction like receivable_months, and rolled forward to the current
-- day by the finance.arrears job. The customers' ageing ranks on these
-- rows plus the instalments due since that day, instead of every unpaid
-- instalment due by the as-of date. '' stands for none.
CREATE TABLE receivable_arrears (
    customer_id TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    team_id     TEXT NOT NULL,
    currency    TEXT NOT NULL,
    n           BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    PRIMARY KEY (customer_id, currency, owner_id, team_id)
);
CREATE INDEX receivable_arrears_owner ON receivable_arrears(owner_id, customer_id, currency, team_id, n, amount);
CREATE INDEX receivable_arrears_team ON receivable_arrears(team_id, customer_id, currency, owner_id, n, amount);

-- One row: the day the arrears are kept up to (exclusive). It starts at
-- the beginning of time with no arrears kept, which is right (every due
-- instalment is then read from the instalments) until the first roll.
CREATE TABLE receivable_arrears_upto (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    kept_before TEXT NOT NULL
);
INSERT INTO receivable_arrears_upto (id, kept_before) VALUES (1, '0001-01-01');
