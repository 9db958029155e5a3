package presales

import (
	"context"
	"slices"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// The pre-sales request process (售前工作需求表 → 评估 → 分派 → 记录 → 关闭评分).
// A sales rep raises a request from an open opportunity by the generic
// create; the pre-sales manager evaluates it and assigns engineers, who get
// read grants on the request and its opportunity; engineers log their work;
// the rep or the manager closes it with an outcome and scores the work; the
// other party may add their score afterwards. The lifecycle rules are pure
// (crm.CheckRequestStep); this file checks who may take each step.

func (s *Service) registerRequests() {
	s.R.On("presales_request", records.Hooks{Prepare: s.prepareRequest, After: s.afterRequest})
	s.R.On("presales_work_record", records.Hooks{Prepare: s.prepareWork, After: s.afterWork})
}

func (s *Service) requestEntity() *entity.Entity { return s.R.Schema().Entity("presales_request") }

// prepareRequest derives the customer from the opportunity, which must be
// visible to the rep and still open, and keeps people's edits to requests
// that are not closed.
func (s *Service) prepareRequest(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old != nil && !records.IsProcess(ctx) {
		if err := crm.CheckRequestStep(old.Str("status"), crm.StepEdit); err != nil {
			return err
		}
	}
	if old == nil && !records.IsProcess(ctx) {
		rec["status"] = crm.ReqSubmitted
	}
	oppID := rec.Str("opportunity_id")
	if oppID == "" || (old != nil && old.Str("opportunity_id") == oppID) {
		return nil // required is said by the service; unchanged needs no check
	}
	if old != nil && old.Str("status") != crm.ReqSubmitted {
		// Engineers hold grants on the opportunity through this request.
		return errs.Validation([]errs.FieldError{{Field: "opportunity_id", Code: "presales_opportunity_fixed"}})
	}
	oe := s.R.Schema().Entity("opportunity")
	opp, err := s.DB.Get(ctx, tx, oe, oppID, s.R.ReadPred(oe, p), false)
	if errs.KindOf(err) == errs.NotFound {
		return errs.Validation([]errs.FieldError{{Field: "opportunity_id", Code: "invalid_ref"}})
	}
	if err != nil {
		return errs.Wrap(err, "presales: request's opportunity")
	}
	if st := opp.Str("status"); st != "" && st != crm.OppOpen {
		return errs.Validation([]errs.FieldError{{Field: "opportunity_id", Code: "presales_opportunity_closed"}})
	}
	rec["customer_id"] = opp["customer_id"]
	if strings.TrimSpace(rec.Str("name")) == "" {
		rec["name"] = opp.Str("name")
	}
	return nil
}

// afterRequest tells the customer's story and keeps the engineers' grants
// with the request: removed with it, back when it is restored.
func (s *Service) afterRequest(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	rec := ch.New
	switch ch.Action {
	case records.Create:
		return s.event(ctx, tx, p, rec.Str("customer_id"), "presales_requested", "presales_request", rec.ID(), map[string]any{"title": rec.Str("name")})
	case records.Delete:
		if ch.Old.Str("status") == crm.ReqClosed && !p.IsAdmin() {
			// Closed requests are the record of the work and its scores
			// (the monthly summary): kept.
			return errs.New(errs.Unprocessable, "presales_closed_kept")
		}
		gone, err := s.DB.Revoke(ctx, tx, rec.ID(), nil)
		if err != nil {
			return errs.Wrap(err, "presales: revoke with request")
		}
		return s.reindexGrants(ctx, tx, gone)
	case records.Restore:
		return s.grantEngineers(ctx, tx, rec, rec.List("engineers"))
	}
	return nil
}

// loadRequest reads a request for a step that changes it: NotFound when p
// cannot see it, Forbidden when p sees it but may not change it.
func (s *Service) loadRequest(ctx context.Context, tx *store.Tx, p *access.Principal, id string) (entity.Record, error) {
	e := s.requestEntity()
	return s.R.LoadForWrite(ctx, tx, p, e, strings.ToLower(id), p.Perm(e.Name).Write, false)
}

// Evaluate records the pre-sales manager's evaluation (售前工作评估表). A
// request accepted waits for engineers; a request stopped is closed with
// the outcome stopped and the reason. version, when not 0, is the version
// the manager's form was based on.
func (s *Service) Evaluate(ctx context.Context, p *access.Principal, id string, version int64, ev crm.Evaluation) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		req, err := s.loadRequest(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := requireManager(p); err != nil {
			return err
		}
		if err := entity.CheckVersion(req, version); err != nil {
			return err
		}
		if err := crm.CheckRequestStep(req.Str("status"), crm.StepEvaluate); err != nil {
			return err
		}
		if err := ev.Check(); err != nil {
			return err
		}
		set := ev.Record(req.Str("status"), p.UserID, s.now())
		if out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.requestEntity(), req, set); err != nil {
			return err
		}
		kind := "presales_accepted"
		if ev.Conclusion == crm.ConclusionStop {
			kind = "presales_stopped"
		}
		return s.event(ctx, tx, p, req.Str("customer_id"), kind, "presales_request", req.ID(), map[string]any{"title": req.Str("name")})
	})
	return out, err
}

// Assign names the engineers of an accepted request (or changes them):
// each gets read access to the request and its opportunity, those removed
// lose it, and the search index follows. An empty list takes everyone
// off; the request then waits for engineers again.
func (s *Service) Assign(ctx context.Context, p *access.Principal, id string, version int64, engineerIDs []string) (entity.Record, error) {
	ids, ok := cleanIDs(engineerIDs)
	if !ok {
		return nil, errs.Validation([]errs.FieldError{{Field: "engineer_ids", Code: "invalid_user"}})
	}
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		req, err := s.loadRequest(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := requireManager(p); err != nil {
			return err
		}
		if err := entity.CheckVersion(req, version); err != nil {
			return err
		}
		if err := crm.CheckRequestStep(req.Str("status"), crm.StepAssign); err != nil {
			return err
		}
		if len(ids) == 0 && len(req.List("engineers")) == 0 {
			return errs.Validation([]errs.FieldError{{Field: "engineer_ids", Code: "required"}})
		}
		if err := s.checkEngineers(ctx, tx, "engineer_ids", ids); err != nil {
			return err
		}
		if err := s.grantEngineers(ctx, tx, req, ids); err != nil {
			return err
		}
		set := entity.Record{"engineers": listOrNil(ids), "status": crm.StatusAfterAssign(len(ids)), "assigned_at": nil}
		if len(ids) > 0 {
			set["assigned_at"] = s.now()
			if slices.Equal(ids, req.List("engineers")) {
				set["assigned_at"] = req["assigned_at"]
			}
		}
		if out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.requestEntity(), req, set); err != nil {
			return err
		}
		names, err := s.userNames(ctx, tx, ids)
		if err != nil {
			return err
		}
		var list []string
		for _, id := range ids {
			list = append(list, names[id])
		}
		return s.event(ctx, tx, p, req.Str("customer_id"), "presales_assigned", "presales_request", req.ID(),
			map[string]any{"title": req.Str("name"), "engineers": strings.Join(list, "、")})
	})
	return out, err
}

// grantEngineers makes the grants of a request exactly the engineers ids:
// read access to the request and its opportunity (through the opportunity,
// its solutions too), given because of the request, and reindexes what
// changed.
func (s *Service) grantEngineers(ctx context.Context, tx *store.Tx, req entity.Record, ids []string) error {
	via, oppID := req.ID(), req.Str("opportunity_id")
	for _, u := range ids {
		if err := s.DB.Grant(ctx, tx, "presales_request", via, u, via); err != nil {
			return err
		}
		if oppID != "" {
			if err := s.DB.Grant(ctx, tx, "opportunity", oppID, u, via); err != nil {
				return err
			}
		}
	}
	gone, err := s.DB.Revoke(ctx, tx, via, ids)
	if err != nil {
		return errs.Wrap(err, "presales: revoke engineers")
	}
	return s.reindexGrants(ctx, tx, gone, store.GrantRow{Entity: "presales_request", RecordID: via}, store.GrantRow{Entity: "opportunity", RecordID: oppID})
}

// scorerRole says as whom p closes or scores a request: its rep (the
// owner) or the pre-sales manager; anyone else may not.
func scorerRole(p *access.Principal, req entity.Record) string {
	switch {
	case p.UserID != "" && req.Str("owner_id") == p.UserID:
		return crm.ScorerSales
	case IsManager(p):
		return crm.ScorerManager
	}
	return ""
}

// Close ends a request with an outcome (nothing stays open without one),
// by its rep or the pre-sales manager, who scores the engineers' work as
// they close it. A merged request names the request it continues in.
func (s *Service) Close(ctx context.Context, p *access.Principal, id string, version int64, c crm.Closing) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		req, err := s.loadRequest(ctx, tx, p, id)
		if err != nil {
			return err
		}
		role := scorerRole(p, req)
		if role == "" {
			return errs.New(errs.Forbidden, "presales_close_not_allowed")
		}
		if err := entity.CheckVersion(req, version); err != nil {
			return err
		}
		if err := crm.CheckRequestStep(req.Str("status"), crm.StepClose); err != nil {
			return err
		}
		if err := c.Check(req.ID(), len(req.List("engineers")) > 0); err != nil {
			return err
		}
		if c.Outcome == crm.OutcomeMerged {
			if err := s.checkMergeTarget(ctx, tx, p, c.MergedInto); err != nil {
				return err
			}
		}
		if out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.requestEntity(), req, c.Record(s.now())); err != nil {
			return err
		}
		if c.Score != nil {
			if _, err := s.insertScore(ctx, tx, p, req, role, *c.Score); err != nil {
				return err
			}
		}
		return s.event(ctx, tx, p, req.Str("customer_id"), "presales_closed", "presales_request", req.ID(),
			map[string]any{"title": req.Str("name"), "outcome": c.Outcome, "outcome_zh": outcomeLabel(c.Outcome).Zh, "outcome_en": outcomeLabel(c.Outcome).En, "note": c.Note})
	})
	return out, err
}

// outcomeLabel names an outcome in both languages.
func outcomeLabel(code string) i18n.Text {
	for _, o := range crm.PresalesRequest.Field("outcome").Options {
		if o.Code == code {
			return o.Label
		}
	}
	return i18n.T(code, code)
}

// checkMergeTarget accepts a request to merge into: one p can see that is
// not itself merged away (no chains to follow).
func (s *Service) checkMergeTarget(ctx context.Context, tx *store.Tx, p *access.Principal, id string) error {
	e := s.requestEntity()
	target, err := s.DB.Get(ctx, tx, e, id, s.R.ReadPred(e, p), false)
	if errs.KindOf(err) == errs.NotFound {
		return errs.Validation([]errs.FieldError{{Field: "merged_into", Code: "invalid_ref"}})
	}
	if err != nil {
		return errs.Wrap(err, "presales: merge target")
	}
	if target.Str("outcome") == crm.OutcomeMerged {
		return errs.Validation([]errs.FieldError{{Field: "merged_into", Code: "presales_merge_chain"}})
	}
	return nil
}

// AddScore records the other party's score of a closed request: the rep
// and the pre-sales manager score once each.
func (s *Service) AddScore(ctx context.Context, p *access.Principal, id string, sc crm.Score) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := writer(p); err != nil {
			return err
		}
		e := s.requestEntity()
		req, err := s.DB.Get(ctx, tx, e, strings.ToLower(id), s.R.ReadPred(e, p), false)
		if err != nil {
			return err
		}
		role := scorerRole(p, req)
		if role == "" {
			return errs.New(errs.Forbidden, "presales_score_not_allowed")
		}
		if err := crm.CheckRequestStep(req.Str("status"), crm.StepScore); err != nil {
			return err
		}
		if len(req.List("engineers")) == 0 {
			return errs.New(errs.Unprocessable, "presales_nothing_to_score")
		}
		if err := sc.Check(""); err != nil {
			return err
		}
		out, err = s.insertScore(ctx, tx, p, req, role, sc)
		return err
	})
	return out, err
}

// insertScore writes one party's score, once per party and request.
func (s *Service) insertScore(ctx context.Context, tx *store.Tx, p *access.Principal, req entity.Record, role string, sc crm.Score) (entity.Record, error) {
	n, err := store.Strings(ctx, tx, `SELECT id FROM presales_scores WHERE request_id = $1 AND scorer_role = $2`, req.ID(), role)
	if err != nil {
		return nil, errs.Wrap(err, "presales: scores of %s", req.ID())
	}
	if len(n) > 0 {
		return nil, errs.New(errs.Conflict, "presales_already_scored", "role", role)
	}
	rec := entity.Record{"request_id": req.ID(), "scorer_id": p.UserID, "scorer_role": role, "quality": sc.Quality,
		"timeliness": sc.Timeliness, "contribution": sc.Contribution, "comment": entity.NilIfEmpty(sc.Comment), "scored_at": s.now()}
	return s.R.InsertTx(records.AsProcess(ctx), tx, p, "presales_score", rec)
}

// Scores lists the scores of a request p can see.
func (s *Service) Scores(ctx context.Context, p *access.Principal, id string) ([]entity.Record, error) {
	if _, err := s.R.Get(ctx, p, "presales_request", strings.ToLower(id)); err != nil {
		return nil, err
	}
	se := s.R.Schema().Entity("presales_score")
	var out []entity.Record
	q := entity.Query{Sort: se.Field("scored_at"), Conds: []entity.Cond{{Field: se.Field("request_id"), Op: entity.Eq, Values: []any{strings.ToLower(id)}}}}
	if err := s.DB.Each(ctx, se, q, nil, func(r entity.Record) error { out = append(out, r); return nil }); err != nil {
		return nil, errs.Wrap(err, "presales: scores")
	}
	return out, nil
}

func listOrNil(l []string) any {
	if len(l) == 0 {
		return nil
	}
	return l
}
