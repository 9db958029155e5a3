package presales

import (
	"context"
	"fmt"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// GateRefusal is the machine-readable detail of a refused stage change.
type GateRefusal struct {
	Stage    string            `json:"stage"`
	Failures []crm.GateFailure `json:"failures"`
}

// MoveStage moves an opportunity to the stage with code, through the
// gates of crm.CheckMove; version, when not zero, must be the version the
// caller saw. The history keeps who moved it, when, and how long it stayed.
func (s *Service) MoveStage(ctx context.Context, p *access.Principal, id, code string, version int64) (entity.Record, error) {
	oe := s.R.Schema().Entity("opportunity")
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		opp, err := s.R.LoadForWrite(ctx, tx, p, oe, id, p.Perm("opportunity").Write, false)
		if err != nil {
			return err
		}
		if version != 0 && opp.Version() != version {
			return errs.Stale()
		}
		stages, err := s.Stages(ctx, tx, opp.Str("pipeline_id"))
		if err != nil {
			return err
		}
		from := stageByID(stages, opp.Str("stage_id"))
		to := crm.FindStage(stages, code)
		facts, err := s.facts(ctx, tx, opp)
		if err != nil {
			return err
		}
		problem, fails := crm.CheckMove(opp.Str("status"), from, to, p.CanAssign(), facts)
		switch problem {
		case crm.MoveOK:
		case crm.MoveUnknownCode:
			return errs.Validation([]errs.FieldError{{Field: "stage", Code: "unknown_stage", Args: map[string]any{"stage": code}}})
		default:
			return errs.New(errs.Unprocessable, string(problem))
		}
		if len(fails) > 0 {
			return gateError(stages, to, fails)
		}
		skipped := from != nil && to.Position > from.Position+1
		set := entity.Record{"stage_id": to.ID, "stage": to.Code, "stage_entered_at": s.now()}
		if _, ok := opp["probability_override"].(int64); !ok {
			set["probability"] = int64(to.Probability)
		}
		pctx := records.AsProcess(ctx)
		out, err = s.R.SetTx(pctx, tx, p, oe, opp, set)
		if err != nil {
			return err
		}
		if err := s.logStage(pctx, tx, p, out, opp, to.ID, opp.Time("stage_entered_at"), skipped); err != nil {
			return err
		}
		data := map[string]any{"title": opp.Str("name"), "to": to.Name, "to_en": stageNameEn(to)}
		if from != nil {
			data["from"], data["from_en"] = from.Name, stageNameEn(from)
		}
		return s.DB.AddEvent(ctx, tx, store.Event{CustomerID: opp.Str("customer_id"), ActorID: p.UserID, Kind: "opportunity_stage", Entity: "opportunity", RecordID: opp.ID(), Data: data})
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, oe, out), nil
}

func stageNameEn(st *crm.Stage) string {
	if st.NameEn != "" {
		return st.NameEn
	}
	return st.Name
}

// gateError is the 422 of a refused move: the code names the first gate
// (gate_needs_analysis …), the fields are what is missing, and the data
// lists every failure.
func gateError(stages []crm.Stage, to *crm.Stage, fails []crm.GateFailure) error {
	first := fails[0]
	st := crm.FindStage(stages, first.Stage)
	name, nameEn := first.Stage, first.Stage
	if st != nil {
		name, nameEn = st.Name, stageNameEn(st)
	}
	e := errs.New(errs.Unprocessable, "gate_"+first.Gate, "stage", name, "stage_en", nameEn)
	for _, f := range fails {
		for _, m := range f.Missing {
			e.Fields = append(e.Fields, errs.FieldError{Field: m, Code: "required_for_stage", Args: map[string]any{"stage": to.Name, "stage_en": stageNameEn(to)}})
		}
	}
	return e.WithData(GateRefusal{Stage: to.Code, Failures: fails})
}

// facts gathers what the gates look at for one opportunity.
func (s *Service) facts(ctx context.Context, q store.Querier, opp entity.Record) (crm.Facts, error) {
	f := crm.Facts{Opportunity: opp}
	id := opp.ID()
	count := func(query string) (bool, error) {
		var n int
		if err := q.QueryRowContext(ctx, query, id).Scan(&n); err != nil {
			return false, fmt.Errorf("presales: gate facts: %w", err)
		}
		return n > 0, nil
	}
	var err error
	if f.SolutionSubmitted, err = count(`SELECT count(*) FROM solutions WHERE opportunity_id = $1 AND deleted_at IS NULL AND status IN ('in_review', 'approved', 'sent')`); err != nil {
		return f, err
	}
	if f.SolutionApproved, err = count(`SELECT count(*) FROM solutions WHERE opportunity_id = $1 AND deleted_at IS NULL AND status IN ('approved', 'sent')`); err != nil {
		return f, err
	}
	if f.HasPrimaryContact, err = count(`SELECT count(*) FROM opportunity_contacts WHERE opportunity_id = $1 AND is_primary = TRUE AND deleted_at IS NULL`); err != nil {
		return f, err
	}
	if f.HasBid, err = count(`SELECT count(*) FROM bids WHERE opportunity_id = $1 AND deleted_at IS NULL`); err != nil {
		return f, err
	}
	if qe := s.R.Schema().Entity("quote"); qe != nil {
		f.QuotesInUse = true
		if f.HasQuote, err = count(`SELECT count(*) FROM ` + qe.Table + ` WHERE opportunity_id = $1 AND deleted_at IS NULL`); err != nil {
			return f, err
		}
	}
	return f, nil
}

// LoseInput is why an opportunity was lost.
type LoseInput struct {
	Reason       string `json:"reason"`        // a loss_reason code (required)
	CompetitorID string `json:"competitor_id"` // who won it, if known
	Note         string `json:"note"`
}

// Win closes an opportunity as won; the customer becomes a won customer.
func (s *Service) Win(ctx context.Context, p *access.Principal, id, note string) (entity.Record, error) {
	return s.close(ctx, p, id, crm.OppWon, LoseInput{Note: note})
}

// Lose closes an opportunity as lost with a reason and, optionally, the
// competitor that won it.
func (s *Service) Lose(ctx context.Context, p *access.Principal, id string, in LoseInput) (entity.Record, error) {
	return s.close(ctx, p, id, crm.OppLost, in)
}

func (s *Service) close(ctx context.Context, p *access.Principal, id, status string, in LoseInput) (entity.Record, error) {
	schema := s.R.Schema()
	oe := schema.Entity("opportunity")
	if len([]rune(in.Note)) > 2000 {
		return nil, errs.Field("note", "too_long")
	}
	set := entity.Record{"status": status, "closed_at": s.now(), "close_note": entity.NilIfEmpty(in.Note)}
	if status == crm.OppLost {
		if in.Reason == "" {
			return nil, errs.Field("reason", "required")
		}
		v, fe := schema.ParseJSON(oe.Field("lost_reason"), in.Reason)
		if fe != nil {
			fe.Field = "reason"
			return nil, errs.Validation([]errs.FieldError{*fe})
		}
		set["lost_reason"], set["probability"] = v, int64(0)
	} else {
		set["probability"] = int64(100)
	}
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		opp, err := s.R.LoadForWrite(ctx, tx, p, oe, id, p.Perm("opportunity").Write, false)
		if err != nil {
			return err
		}
		if opp.Str("status") != crm.OppOpen {
			return errs.New(errs.Unprocessable, "opportunity_closed")
		}
		out, err = s.closeTx(ctx, tx, p, opp, status, in, set)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, oe, out), nil
}

// closeTx closes an open opportunity inside the caller's transaction: the
// status and its fields (set), the customer won on a win, the deal's open
// requests closed, the timeline line.
func (s *Service) closeTx(ctx context.Context, tx *store.Tx, p *access.Principal, opp entity.Record, status string, in LoseInput, set entity.Record) (entity.Record, error) {
	schema := s.R.Schema()
	oe := schema.Entity("opportunity")
	data := map[string]any{"title": opp.Str("name")}
	if in.Note != "" {
		data["note"] = in.Note
	}
	if status == crm.OppLost {
		data["reason"] = schema.OptionLabel(oe.Field("lost_reason"), in.Reason, "zh-CN")
		data["reason_en"] = schema.OptionLabel(oe.Field("lost_reason"), in.Reason, "en")
		if in.CompetitorID != "" {
			ce := schema.Entity("competitor")
			comp, err := s.DB.Get(ctx, tx, ce, in.CompetitorID, s.R.ReadPred(ce, p), false)
			if err != nil {
				if errs.KindOf(err) == errs.NotFound {
					return nil, errs.Field("competitor_id", "invalid_ref")
				}
				return nil, err
			}
			set["lost_to"] = comp.ID()
			data["competitor"] = comp.Str("name")
		}
	}
	pctx := records.AsProcess(ctx)
	out, err := s.R.SetTx(pctx, tx, p, oe, opp, set)
	if err != nil {
		return nil, err
	}
	if status == crm.OppWon {
		if err := s.markCustomerWon(pctx, tx, p, opp.Str("customer_id")); err != nil {
			return nil, err
		}
	}
	if err := s.closeRequestsOf(pctx, tx, p, opp, status); err != nil {
		return nil, err
	}
	return out, s.DB.AddEvent(ctx, tx, store.Event{CustomerID: opp.Str("customer_id"), ActorID: p.UserID, Kind: "opportunity_" + status, Entity: "opportunity", RecordID: opp.ID(), Data: data})
}

// WinTx marks the open opportunity id won inside the caller's transaction,
// for a process that proves the win (a contract signed for it); an
// opportunity already closed, or none, is left as it is. It reports
// whether the opportunity was won now.
func (s *Service) WinTx(ctx context.Context, tx *store.Tx, p *access.Principal, id, note string) (bool, error) {
	oe := s.R.Schema().Entity("opportunity")
	opp, err := s.DB.Get(ctx, tx, oe, strings.ToLower(id), nil, false)
	if errs.KindOf(err) == errs.NotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if opp.Str("status") != crm.OppOpen {
		return false, nil
	}
	set := entity.Record{"status": crm.OppWon, "closed_at": s.now(), "close_note": entity.NilIfEmpty(note), "probability": int64(100)}
	_, err = s.closeTx(ctx, tx, p, opp, crm.OppWon, LoseInput{Note: note}, set)
	return err == nil, err
}

// markCustomerWon sets a customer's status to won (成交) on its first won
// deal. The rep who won the deal may not own the customer; the process
// acts for the system there.
func (s *Service) markCustomerWon(ctx context.Context, tx *store.Tx, p *access.Principal, customerID string) error {
	ce := s.R.Schema().Entity("customer")
	cust, err := s.DB.Get(ctx, tx, ce, customerID, nil, false)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return nil
		}
		return err
	}
	if cust.Str("status") == crm.StatusWon {
		return nil
	}
	_, err = s.R.SetTx(ctx, tx, p, ce, cust, entity.Record{"status": crm.StatusWon})
	return err
}

// Reopen puts a closed opportunity back in play (managers: a lost deal
// that comes back, a win booked by mistake).
func (s *Service) Reopen(ctx context.Context, p *access.Principal, id string) (entity.Record, error) {
	if !p.CanAssign() {
		return nil, errs.Denied()
	}
	oe := s.R.Schema().Entity("opportunity")
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		opp, err := s.R.LoadForWrite(ctx, tx, p, oe, id, p.Perm("opportunity").Write, false)
		if err != nil {
			return err
		}
		if opp.Str("status") == crm.OppOpen {
			return errs.New(errs.Unprocessable, "opportunity_open")
		}
		out, err = s.R.SetTx(ctx, tx, p, oe, opp, entity.Record{"status": crm.OppOpen, "closed_at": nil, "lost_reason": nil, "lost_to": nil})
		if err != nil {
			return err
		}
		return s.DB.AddEvent(ctx, tx, store.Event{CustomerID: opp.Str("customer_id"), ActorID: p.UserID, Kind: "opportunity_reopened", Entity: "opportunity", RecordID: opp.ID(),
			Data: map[string]any{"title": opp.Str("name")}})
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, oe, out), nil
}

// closeRequestsOf ends the open pre-sales requests of a deal that was won
// or lost with the same outcome, so that no request stays open without one;
// both parties may still score the work afterwards.
func (s *Service) closeRequestsOf(ctx context.Context, tx *store.Tx, p *access.Principal, opp entity.Record, status string) error {
	ids, err := store.Strings(ctx, tx, `SELECT id FROM presales_requests WHERE opportunity_id = $1 AND deleted_at IS NULL AND status <> $2`, opp.ID(), crm.ReqClosed)
	if err != nil {
		return fmt.Errorf("presales: requests of %s: %w", opp.ID(), err)
	}
	outcome := crm.OutcomeLost
	if status == crm.OppWon {
		outcome = crm.OutcomeWon
	}
	re := s.requestEntity()
	for _, id := range ids {
		req, err := s.DB.Get(ctx, tx, re, id, nil, false)
		if err != nil {
			return err
		}
		if _, err := s.R.SetTx(ctx, tx, p, re, req, crm.Closing{Outcome: outcome}.Record(s.now())); err != nil {
			return err
		}
		label := outcomeLabel(outcome)
		if err := s.event(ctx, tx, p, req.Str("customer_id"), "presales_closed", "presales_request", req.ID(),
			map[string]any{"title": req.Str("name"), "outcome": outcome, "outcome_zh": label.Zh, "outcome_en": label.En}); err != nil {
			return err
		}
	}
	return nil
}
