-- Pre-sales requests and solutions: review rounds (a solution sent back
-- for revision is reviewed again, each reviewer once per round), one score
-- per party and request, and the indexes of the monthly summary and the
-- ageing report.

ALTER TABLE solutions ADD COLUMN review_round BIGINT NOT NULL DEFAULT 0;
ALTER TABLE solution_reviews ADD COLUMN round BIGINT NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX solution_reviews_once ON solution_reviews(solution_id, reviewer_id, round);
CREATE INDEX solutions_previous ON solutions(previous_id) WHERE deleted_at IS NULL;

CREATE UNIQUE INDEX presales_scores_party ON presales_scores(request_id, scorer_role);

CREATE INDEX presales_work_records_date ON presales_work_records(work_date) WHERE deleted_at IS NULL;
CREATE INDEX presales_requests_closed ON presales_requests(closed_at) WHERE deleted_at IS NULL;
