package fulfilment

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

// Supply problems (seed 003: 产品品质波动、数量不足、交货不及时、资金、发票、
// 测试方法差异、价格 … 及时处理、共同找原因): logged by hand against an order
// or a delivery and the customer, or opened by a sign-off's
// discrepancies; followed open → in_progress → resolved → closed, with
// the resolution and the root cause; reopened when it comes back.

func (s *Service) registerProblems() {
	s.R.On("supply_problem", records.Hooks{Prepare: s.prepareProblem, After: s.afterProblem})
}

func (s *Service) prepareProblem(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old == nil {
		if !records.IsProcess(ctx) {
			rec["status"], rec["source"] = crm.ProblemOpen, "manual"
		}
		if rec.Str("number") == "" {
			n, err := s.number(ctx, tx, problemPrefix)
			if err != nil {
				return err
			}
			rec["number"] = n
		}
		if rec.Str("occurred_on") == "" {
			rec["occurred_on"] = s.today()
		}
	} else if !records.IsProcess(ctx) && old.Str("status") == crm.ProblemClosed {
		return errs.New(errs.Unprocessable, "supply_problem_closed")
	}
	changed := func(k string) bool { return old == nil || old.Str(k) != rec.Str(k) }
	if !changed("delivery_id") && !changed("order_id") && !changed("customer_id") {
		return nil
	}
	return s.deriveCustomer(ctx, tx, rec)
}

// deriveCustomer keeps a record's delivery, order and customer consistent:
// the delivery's order and customer, else the order's customer; one given
// that differs is refused (delivery_not_of_order, customer_not_of_order).
func (s *Service) deriveCustomer(ctx context.Context, tx *store.Tx, rec entity.Record) error {
	if d := rec.Str("delivery_id"); entity.LooksLikeID(d) {
		var order, cust string
		if err := tx.QueryRowContext(ctx, `SELECT order_id, customer_id FROM deliveries WHERE id = $1`, d).Scan(&order, &cust); err == nil {
			switch o := rec.Str("order_id"); {
			case o == "":
				rec["order_id"] = order
			case o != order:
				return errs.Field("delivery_id", "delivery_not_of_order")
			}
		}
	}
	if o := rec.Str("order_id"); entity.LooksLikeID(o) {
		var cust string
		if err := tx.QueryRowContext(ctx, `SELECT customer_id FROM sales_orders WHERE id = $1`, o).Scan(&cust); err == nil {
			switch c := rec.Str("customer_id"); {
			case c == "":
				rec["customer_id"] = cust
			case c != cust:
				return errs.Field("customer_id", "fulfilment_customer_not_of_order")
			}
		}
	}
	if rec.Str("customer_id") == "" {
		return errs.Field("customer_id", "required")
	}
	return nil
}

func (s *Service) afterProblem(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	rec := ch.New
	kind := optionLabelOf(crm.ProblemKinds, rec.Str("kind"))
	data := map[string]any{"title": rec.Str("title"), "number": rec.Str("number"), "kind": kind.Zh, "kind_en": kind.En}
	switch {
	case ch.Action == records.Create:
		data["note"] = rec.Str("description")
		return s.event(ctx, tx, p, rec.Str("customer_id"), "supply_problem_opened", "supply_problem", rec.ID(), data)
	case ch.Action == records.Update && ch.Has("status"):
		kindOf := map[string]string{crm.ProblemResolved: "supply_problem_resolved", crm.ProblemClosed: "supply_problem_closed", crm.ProblemOpen: "supply_problem_reopened"}[rec.Str("status")]
		if kindOf == "" {
			return nil
		}
		switch rec.Str("status") {
		case crm.ProblemOpen:
			data["note"] = rec.Str("reopen_reason")
		default:
			data["note"] = rec.Str("resolution")
		}
		return s.event(ctx, tx, p, rec.Str("customer_id"), kindOf, "supply_problem", rec.ID(), data)
	}
	return nil
}

// ProblemInput is a step asked of a supply problem (crm.ProblemStep) with
// the version the asker read and a note on the root cause.
type ProblemInput struct {
	Step          string `json:"step"`
	Resolution    string `json:"resolution"`
	RootCause     string `json:"root_cause"`
	RootCauseNote string `json:"root_cause_note"`
	Reason        string `json:"reason"`
	Version       int64  `json:"version"`
}

// StepProblem takes a supply problem one step: start work on it, resolve
// it (what was done is required: 422 supply_problem_resolution_required),
// close it (with the resolution it had or one given now), reopen it (with
// the reason).
func (s *Service) StepProblem(ctx context.Context, p *access.Principal, id string, in ProblemInput) (entity.Record, error) {
	pe := s.entity("supply_problem")
	in.Resolution, in.RootCause, in.RootCauseNote, in.Reason = strings.TrimSpace(in.Resolution), strings.TrimSpace(in.RootCause), strings.TrimSpace(in.RootCauseNote), strings.TrimSpace(in.Reason)
	var bad []errs.FieldError
	checkText(&bad, "resolution", in.Resolution, 20000)
	checkText(&bad, "root_cause_note", in.RootCauseNote, 20000)
	checkText(&bad, "reason", in.Reason, 20000)
	if err := errs.Validation(bad); err != nil {
		return nil, err
	}
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := s.R.LoadForWrite(ctx, tx, p, pe, cleanID(id), p.Perm(pe.Name).Write, false)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(old, in.Version); err != nil {
			return err
		}
		resolution := in.Resolution
		if resolution == "" && in.Step == crm.ProblemStepClose {
			resolution = old.Str("resolution")
		}
		to, err := crm.ProblemNext(old.Str("status"), crm.ProblemStep{Step: in.Step, Resolution: resolution, RootCause: in.RootCause, Reason: in.Reason})
		if err != nil {
			return err
		}
		now := s.now()
		set := entity.Record{"status": to}
		switch in.Step {
		case crm.ProblemStepResolve, crm.ProblemStepClose:
			set["resolution"] = resolution
			if in.RootCause != "" {
				set["root_cause"] = in.RootCause
			}
			if in.RootCauseNote != "" {
				set["root_cause_note"] = in.RootCauseNote
			}
			if in.Step == crm.ProblemStepResolve || old.Time("resolved_at").IsZero() {
				set["resolved_at"] = now
			}
			if in.Step == crm.ProblemStepClose {
				set["closed_at"] = now
			}
		case crm.ProblemStepReopen:
			set["reopen_reason"], set["resolved_at"], set["closed_at"] = in.Reason, nil, nil
		}
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, pe, old, set)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, pe, out), nil
}

// OpenProblems counts the supply problems not yet resolved that p can
// see, of one customer (or all when customerID is "").
func (s *Service) OpenProblems(ctx context.Context, p *access.Principal, customerID string) (int, error) {
	pe := s.entity("supply_problem")
	conds := []entity.Cond{{Field: pe.Field("status"), Op: entity.In, Values: []any{crm.ProblemOpen, crm.ProblemInProgress}}}
	if customerID != "" {
		conds = append(conds, entity.Cond{Field: pe.Field("customer_id"), Op: entity.Eq, Values: []any{customerID}})
	}
	counts, err := s.R.CountBy(ctx, p, pe.Name, "status", conds...)
	if err != nil {
		return 0, fmt.Errorf("fulfilment: open problems: %w", err)
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n, nil
}
