package presales

import (
	"context"
	"slices"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Work records (售前工作记录表): the engineers assigned to a request log
// what they did, when, for how long and with what output; the pre-sales
// manager may log for them. The request's hours_total is kept as the sum,
// whichever way a record is written (this process, the generic API, an
// import).

// prepareWork checks who logs work on which request: the request is
// assigned and not closed, the engineer is one of its engineers, and an
// engineer logs (and changes) only their own work.
func (s *Service) prepareWork(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old != nil && old.Str("request_id") != rec.Str("request_id") {
		return errs.Validation([]errs.FieldError{{Field: "request_id", Code: "read_only"}})
	}
	reqID := rec.Str("request_id")
	if reqID == "" {
		return nil // required: said by the service
	}
	e := s.requestEntity()
	req, err := s.DB.Get(ctx, tx, e, reqID, s.R.ReadPred(e, p), false)
	if errs.KindOf(err) == errs.NotFound {
		return errs.Validation([]errs.FieldError{{Field: "request_id", Code: "invalid_ref"}})
	}
	if err != nil {
		return errs.Wrap(err, "presales: work record's request")
	}
	if h, ok := rec["hours"].(float64); ok {
		// The declaration's range, also for processes and imports that
		// hand over canonical values.
		if f := s.R.Schema().Entity("presales_work_record").Field("hours"); (f.Min != nil && h < *f.Min) || (f.Max != nil && h > *f.Max) {
			return errs.Validation([]errs.FieldError{{Field: "hours", Code: "out_of_range"}})
		}
	}
	if d := rec.Str("work_date"); d != "" && d > s.now().In(s.R.Loc).Format(entity.DateLayout) {
		// Work is recorded when done: the summary counts it by its date.
		return errs.Validation([]errs.FieldError{{Field: "work_date", Code: "presales_work_in_future"}})
	}
	if rec.Str("engineer_id") == "" {
		rec["engineer_id"] = p.UserID
	}
	if old != nil {
		if err := mayChangeWork(p, req, old); err != nil {
			return err
		}
	}
	if err := mayChangeWork(p, req, rec); err != nil {
		return err
	}
	if !slices.Contains(req.List("engineers"), rec.Str("engineer_id")) {
		return errs.Validation([]errs.FieldError{{Field: "engineer_id", Code: "presales_engineer_not_assigned"}})
	}
	return nil
}

// mayChangeWork says whether p may write the work record w of request
// req: the request takes work, and p is its manager or the engineer whose
// work it is (and assigned to the request).
func mayChangeWork(p *access.Principal, req, w entity.Record) error {
	if err := crm.CheckRequestStep(req.Str("status"), crm.StepWork); err != nil {
		return err
	}
	if IsManager(p) {
		return nil
	}
	if !slices.Contains(req.List("engineers"), p.UserID) {
		return errs.New(errs.Forbidden, "presales_not_engineer_of_request")
	}
	if w.Str("engineer_id") != p.UserID {
		return errs.New(errs.Forbidden, "presales_work_own_only")
	}
	return nil
}

// afterWork keeps the request's total hours; a record removed or brought
// back is checked like one written.
func (s *Service) afterWork(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	reqID := ch.New.Str("request_id")
	if ch.Action == records.Delete || ch.Action == records.Restore {
		req, err := s.DB.Get(ctx, tx, s.requestEntity(), reqID, nil, false)
		if err != nil {
			return errs.Wrap(err, "presales: work record's request")
		}
		if err := mayChangeWork(p, req, ch.New); err != nil {
			return err
		}
	}
	return s.refreshHours(ctx, tx, reqID)
}

// refreshHours writes a request's hours_total, the sum of its work. It is
// a derived column: the request's version does not move (an edit form
// open on the request stays valid).
func (s *Service) refreshHours(ctx context.Context, tx *store.Tx, reqID string) error {
	var total float64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(hours), 0) FROM presales_work_records WHERE request_id = $1 AND deleted_at IS NULL`, reqID).Scan(&total)
	if err != nil {
		return errs.Wrap(err, "presales: hours of %s", reqID)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE presales_requests SET hours_total = $1 WHERE id = $2`, total, reqID); err != nil {
		return errs.Wrap(err, "presales: hours of %s", reqID)
	}
	return nil
}

// LogWork records a piece of work on a request (the request comes from
// the path; the engineer defaults to p).
func (s *Service) LogWork(ctx context.Context, p *access.Principal, requestID string, rec entity.Record) (entity.Record, error) {
	in := rec.Clone()
	in["request_id"] = strings.ToLower(requestID)
	if _, err := s.R.Get(ctx, p, "presales_request", strings.ToLower(requestID)); err != nil {
		return nil, err
	}
	return s.R.Create(ctx, p, "presales_work_record", in)
}

// Work lists the work recorded on a request p can see, newest first.
func (s *Service) Work(ctx context.Context, p *access.Principal, requestID string) ([]entity.Record, error) {
	id := strings.ToLower(requestID)
	if _, err := s.R.Get(ctx, p, "presales_request", id); err != nil {
		return nil, err
	}
	we := s.R.Schema().Entity("presales_work_record")
	q := entity.Query{Sort: we.Field("work_date"), Desc: true, Limit: entity.MaxLimit,
		Conds: []entity.Cond{{Field: we.Field("request_id"), Op: entity.Eq, Values: []any{id}}}}
	page, err := s.R.List(ctx, p, we.Name, q)
	if err != nil {
		return nil, err
	}
	return page.Items, nil
}
