-- The duplicate probes look up customers by phone and leads by e-mail on
-- every create and on every imported row; without these indexes each probe
-- scanned the table and a 100k-row import grew quadratically.
CREATE INDEX customers_phone ON customers(phone) WHERE deleted_at IS NULL;
CREATE INDEX leads_email ON leads(email) WHERE deleted_at IS NULL;
