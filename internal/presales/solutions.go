package presales

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Solutions and their internal review (方案评审): a draft goes to review
// with named reviewers, who may then read it (a grant); each reviewer
// gives one verdict per round; all approving approves it, one asking for
// revision sends it back. Only an approved solution may be marked sent to
// the customer. What is in review, approved or sent is never edited: a
// revision is a new version (version_no + 1, previous_id), and the earlier
// versions stay as they were.

func (s *Service) registerSolutions() {
	s.R.On("solution", records.Hooks{Prepare: s.prepareSolution})
}

func (s *Service) solutionEntity() *entity.Entity { return s.R.Schema().Entity("solution") }

// prepareSolution derives the customer from the opportunity, checks that a
// linked request belongs to the same opportunity, and refuses people's
// edits of a solution that is locked by its review.
func (s *Service) prepareSolution(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	e := s.solutionEntity()
	if old != nil && !records.IsProcess(ctx) && contentChanged(e, old, rec) {
		if err := crm.CheckSolutionStep(old.Str("status"), crm.SolStepEdit); err != nil {
			return err
		}
	}
	if old == nil && !records.IsProcess(ctx) {
		rec["status"], rec["version_no"], rec["review_round"] = crm.SolDraft, int64(1), int64(0)
	}
	oppID := rec.Str("opportunity_id")
	if oppID != "" && (old == nil || old.Str("opportunity_id") != oppID) {
		oe := s.R.Schema().Entity("opportunity")
		opp, err := s.DB.Get(ctx, tx, oe, oppID, s.R.ReadPred(oe, p), false)
		if errs.KindOf(err) == errs.NotFound {
			return errs.Validation([]errs.FieldError{{Field: "opportunity_id", Code: "invalid_ref"}})
		}
		if err != nil {
			return errs.Wrap(err, "presales: solution's opportunity")
		}
		rec["customer_id"] = opp["customer_id"]
	}
	if reqID := strings.ToLower(rec.Str("request_id")); entity.LooksLikeID(reqID) && (old == nil || old.Str("request_id") != reqID || old.Str("opportunity_id") != oppID) {
		var opp string
		err := tx.QueryRowContext(ctx, `SELECT opportunity_id FROM presales_requests WHERE id = $1`, reqID).Scan(&opp)
		if err == nil && opp != oppID {
			return errs.Validation([]errs.FieldError{{Field: "request_id", Code: "solution_request_elsewhere"}})
		}
		// A request that does not exist is said by the reference check.
	}
	return nil
}

// contentChanged reports whether a person changed a field they may edit.
func contentChanged(e *entity.Entity, old, rec entity.Record) bool {
	for _, f := range e.Fields {
		if f.Writable() && !entity.Equal(old[f.Name], rec[f.Name]) {
			return true
		}
	}
	return false
}

// loadSolution reads a solution p may change (NotFound / Forbidden).
func (s *Service) loadSolution(ctx context.Context, tx *store.Tx, p *access.Principal, id string) (entity.Record, error) {
	e := s.solutionEntity()
	return s.R.LoadForWrite(ctx, tx, p, e, strings.ToLower(id), p.Perm(e.Name).Write, false)
}

// SubmitReview sends a draft (or a solution sent back for revision) to
// review: it needs its technical part and reviewers other than its
// author, who are given read access to it. A new round of verdicts begins.
func (s *Service) SubmitReview(ctx context.Context, p *access.Principal, id string, version int64) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		sol, err := s.loadSolution(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(sol, version); err != nil {
			return err
		}
		if err := crm.CheckSolutionStep(sol.Str("status"), crm.SolStepSubmit); err != nil {
			return err
		}
		reviewers := sol.List("reviewers")
		if err := crm.CheckSubmit(sol.Str("technical_part"), reviewers, sol.Str("owner_id")); err != nil {
			return err
		}
		if err := s.checkActive(ctx, tx, "reviewers", reviewers); err != nil {
			return err
		}
		for _, r := range reviewers {
			if err := s.DB.Grant(ctx, tx, "solution", sol.ID(), r, sol.ID()); err != nil {
				return err
			}
		}
		if _, err := s.DB.Revoke(ctx, tx, sol.ID(), reviewers); err != nil {
			return errs.Wrap(err, "presales: revoke reviewers")
		}
		set := entity.Record{"status": crm.SolInReview, "submitted_at": s.now(), "approved_at": nil, "review_round": sol.Int("review_round") + 1}
		if out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.solutionEntity(), sol, set); err != nil {
			return err
		}
		if err := s.R.Reindex(ctx, tx, s.solutionEntity(), out); err != nil {
			return errs.Wrap(err, "presales: reindex solution")
		}
		return s.solutionEvent(ctx, tx, p, out, "solution_submitted")
	})
	return out, err
}

func (s *Service) solutionEvent(ctx context.Context, tx *store.Tx, p *access.Principal, sol entity.Record, kind string) error {
	return s.event(ctx, tx, p, sol.Str("customer_id"), kind, "solution", sol.ID(),
		map[string]any{"title": sol.Str("title"), "version": strconv.FormatInt(sol.Int("version_no"), 10)})
}

// Review records a named reviewer's verdict on the current round; once
// every reviewer approved the solution is approved, and one verdict asking
// for revision sends it back.
func (s *Service) Review(ctx context.Context, p *access.Principal, id string, r crm.Review) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := writer(p); err != nil {
			return err
		}
		e := s.solutionEntity()
		sol, err := s.DB.Get(ctx, tx, e, strings.ToLower(id), s.R.ReadPred(e, p), false)
		if err != nil {
			return err
		}
		reviewers := sol.List("reviewers")
		if p.UserID == "" || !slices.Contains(reviewers, p.UserID) {
			return errs.New(errs.Forbidden, "solution_not_reviewer")
		}
		round := sol.Int("review_round")
		verdicts, err := s.verdicts(ctx, tx, sol.ID(), round)
		if err != nil {
			return err
		}
		if _, done := verdicts[p.UserID]; done && round > 0 {
			return errs.New(errs.Conflict, "solution_already_reviewed")
		}
		if err := crm.CheckSolutionStep(sol.Str("status"), crm.SolStepReview); err != nil {
			return err
		}
		if err := r.Check(); err != nil {
			return err
		}
		rev := entity.Record{"solution_id": sol.ID(), "reviewer_id": p.UserID, "verdict": r.Verdict, "comment": entity.NilIfEmpty(r.Comment),
			"reviewed_at": s.now(), "round": round}
		if out, err = s.R.InsertTx(records.AsProcess(ctx), tx, p, "solution_review", rev); err != nil {
			return err
		}
		verdicts[p.UserID] = r.Verdict
		next := crm.ReviewOutcome(reviewers, verdicts)
		if next == crm.SolInReview {
			return nil
		}
		set := entity.Record{"status": next}
		if next == crm.SolApproved {
			set["approved_at"] = s.now()
		}
		updated, err := s.R.SetTx(records.AsProcess(ctx), tx, p, e, sol, set)
		if err != nil {
			return err
		}
		kind := "solution_approved"
		if next == crm.SolRevise {
			kind = "solution_sent_back"
		}
		return s.solutionEvent(ctx, tx, p, updated, kind)
	})
	return out, err
}

// verdicts are the verdicts of one review round, by reviewer.
func (s *Service) verdicts(ctx context.Context, q store.Querier, solutionID string, round int64) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT reviewer_id, verdict FROM solution_reviews WHERE solution_id = $1 AND round = $2`, solutionID, round)
	if err != nil {
		return nil, errs.Wrap(err, "presales: verdicts of %s", solutionID)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var who, v string
		if err := rows.Scan(&who, &v); err != nil {
			return nil, errs.Wrap(err, "presales: verdicts of %s", solutionID)
		}
		out[who] = v
	}
	return out, rows.Err()
}

// Reviews lists every verdict given on a solution p can see, by round and
// time.
func (s *Service) Reviews(ctx context.Context, p *access.Principal, id string) ([]entity.Record, error) {
	id = strings.ToLower(id)
	if _, err := s.R.Get(ctx, p, "solution", id); err != nil {
		return nil, err
	}
	re := s.R.Schema().Entity("solution_review")
	q := entity.Query{Sort: re.Field("reviewed_at"), Conds: []entity.Cond{{Field: re.Field("solution_id"), Op: entity.Eq, Values: []any{id}}}}
	var out []entity.Record
	if err := s.DB.Each(ctx, re, q, nil, func(r entity.Record) error { out = append(out, r); return nil }); err != nil {
		return nil, errs.Wrap(err, "presales: reviews")
	}
	return out, nil
}

// Revise starts the next version of a solution that was approved, sent or
// sent back: a draft copy with version_no + 1 pointing at it. The earlier
// version stays as it was; each version has at most one successor.
func (s *Service) Revise(ctx context.Context, p *access.Principal, id string) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		sol, err := s.loadSolution(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := crm.CheckSolutionStep(sol.Str("status"), crm.SolStepRevise); err != nil {
			return err
		}
		next, err := store.Strings(ctx, tx, `SELECT id FROM solutions WHERE previous_id = $1 AND deleted_at IS NULL`, sol.ID())
		if err != nil {
			return errs.Wrap(err, "presales: later versions")
		}
		if len(next) > 0 {
			return errs.New(errs.Conflict, "solution_newer_version", "id", next[0])
		}
		e := s.solutionEntity()
		rec := entity.Record{}
		for _, f := range e.Fields {
			if f.Writable() && !entity.IsEmpty(sol[f.Name]) {
				rec[f.Name] = sol[f.Name]
			}
		}
		rec["version_no"], rec["previous_id"], rec["status"], rec["review_round"] = sol.Int("version_no")+1, sol.ID(), crm.SolDraft, int64(0)
		out, err = s.R.InsertTx(records.AsProcess(ctx), tx, p, e.Name, rec)
		return err
	})
	return out, err
}

// Send marks an approved solution as sent to the customer; one that has
// not passed review may not go out.
func (s *Service) Send(ctx context.Context, p *access.Principal, id string, version int64) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		sol, err := s.loadSolution(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(sol, version); err != nil {
			return err
		}
		if err := crm.CheckSolutionStep(sol.Str("status"), crm.SolStepSend); err != nil {
			return err
		}
		if out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.solutionEntity(), sol, entity.Record{"status": crm.SolSent, "sent_at": s.now()}); err != nil {
			return err
		}
		return s.solutionEvent(ctx, tx, p, out, "solution_sent")
	})
	return out, err
}

// Versions lists the versions of a solution that p can see, oldest first.
func (s *Service) Versions(ctx context.Context, p *access.Principal, id string) ([]entity.Record, error) {
	e := s.solutionEntity()
	sol, err := s.R.Get(ctx, p, e.Name, strings.ToLower(id))
	if err != nil {
		return nil, err
	}
	pred := s.R.ReadPred(e, p)
	chain := []entity.Record{sol}
	for cur, hops := sol, 0; cur.Str("previous_id") != "" && hops < 100; hops++ {
		prev, err := s.DB.Get(ctx, s.DB.R(), e, cur.Str("previous_id"), pred, false)
		if errs.KindOf(err) == errs.NotFound {
			break
		}
		if err != nil {
			return nil, errs.Wrap(err, "presales: earlier version")
		}
		chain = append([]entity.Record{prev}, chain...)
		cur = prev
	}
	for cur, hops := sol, 0; hops < 100; hops++ {
		ids, err := store.Strings(ctx, s.DB.R(), `SELECT id FROM solutions WHERE previous_id = $1 AND deleted_at IS NULL`, cur.ID())
		if err != nil {
			return nil, errs.Wrap(err, "presales: later version")
		}
		if len(ids) == 0 {
			break
		}
		next, err := s.DB.Get(ctx, s.DB.R(), e, ids[0], pred, false)
		if errs.KindOf(err) == errs.NotFound {
			break
		}
		if err != nil {
			return nil, errs.Wrap(err, "presales: later version")
		}
		chain = append(chain, next)
		cur = next
	}
	for i, r := range chain {
		chain[i] = s.R.Present(p, e, r)
	}
	return chain, nil
}
