-- The agent's ticket queue (internal/tickets/queue.go): open tickets by
-- the nearest open deadline (the first response while nobody answered,
-- else the resolution; no deadline sorts last), for everyone, per
-- assignee (mine, and the unassigned with owner_id IS NULL) and per team
-- queue. Partial on the open statuses, so the index holds the ~10 % of
-- tickets still being worked and closed tickets cost nothing. The
-- expression must stay textually the one in tickets.queueDue.

CREATE INDEX tickets_queue_due ON tickets ((COALESCE(CASE WHEN first_responded_at IS NULL AND first_response_due_at IS NOT NULL AND (resolution_due_at IS NULL OR first_response_due_at < resolution_due_at) THEN first_response_due_at ELSE resolution_due_at END, TIMESTAMPTZ '9999-12-31 00:00:00+00')), id) WHERE status IN ('new', 'assigned', 'in_progress', 'waiting_customer', 'waiting_parts', 'reopened') AND deleted_at IS NULL;
CREATE INDEX tickets_queue_owner ON tickets (owner_id, (COALESCE(CASE WHEN first_responded_at IS NULL AND first_response_due_at IS NOT NULL AND (resolution_due_at IS NULL OR first_response_due_at < resolution_due_at) THEN first_response_due_at ELSE resolution_due_at END, TIMESTAMPTZ '9999-12-31 00:00:00+00')), id) WHERE status IN ('new', 'assigned', 'in_progress', 'waiting_customer', 'waiting_parts', 'reopened') AND deleted_at IS NULL;
CREATE INDEX tickets_queue_team ON tickets (team_id, (COALESCE(CASE WHEN first_responded_at IS NULL AND first_response_due_at IS NOT NULL AND (resolution_due_at IS NULL OR first_response_due_at < resolution_due_at) THEN first_response_due_at ELSE resolution_due_at END, TIMESTAMPTZ '9999-12-31 00:00:00+00')), id) WHERE status IN ('new', 'assigned', 'in_progress', 'waiting_customer', 'waiting_parts', 'reopened') AND deleted_at IS NULL;
