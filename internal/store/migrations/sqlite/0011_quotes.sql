-- Quotes: the opportunity's page lists the timeline events of its quotes,
-- found by record rather than by customer.
CREATE INDEX timeline_record ON timeline(record_id, at);
