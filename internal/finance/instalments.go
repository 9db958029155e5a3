package finance

import (
	"context"
	"fmt"
	"sort"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// The instalments of a payment plan as finance keeps them: invoiced_amount
// is the sum of the issued invoices' allocations, paid_amount that of the
// received payments' allocations, status follows paid_amount. They are
// derived columns, written in the transaction of the invoice or payment
// that changes them without moving the instalment's version (an open edit
// of the plan stays valid), and the rows are locked first so two writers
// on one contract take turns.

// lockPlan reads a contract's instalments, locking them for the
// transaction (PostgreSQL: FOR UPDATE, in id order so writers on one
// contract cannot deadlock; SQLite has one writer).
func (s *Service) lockPlan(ctx context.Context, tx *store.Tx, contractID string) ([]crm.PlanItem, error) {
	q := `SELECT id, position, label, kind, due_date, amount, invoiced_amount, paid_amount FROM payment_instalments
		WHERE contract_id = $1 AND deleted_at IS NULL ORDER BY id`
	if s.DB.Dialect == store.Postgres {
		q += ` FOR UPDATE`
	}
	rows, err := tx.QueryContext(ctx, q, contractID)
	if err != nil {
		return nil, errs.Wrap(err, "finance: plan of %s", contractID)
	}
	defer rows.Close()
	var out []crm.PlanItem
	for rows.Next() {
		var p crm.PlanItem
		var label, kind string
		var due any
		if err := rows.Scan(&p.ID, &p.Position, &label, &kind, &due, &p.Amount, &p.Invoiced, &p.Paid); err != nil {
			return nil, errs.Wrap(err, "finance: plan of %s", contractID)
		}
		p.Due = dateText(due)
		p.Label, p.LabelEn = instalmentLabel(p.Position, label, kind), instalmentLabelEn(p.Position, label, kind)
		out = append(out, p)
	}
	return out, rows.Err()
}

// dateText reads a DATE column as 2006-01-02 on either engine.
func dateText(v any) string {
	switch d := v.(type) {
	case string:
		if len(d) >= 10 {
			return d[:10]
		}
		return d
	case []byte:
		return dateText(string(d))
	}
	if t := store.ScanTime(v); !t.IsZero() {
		return t.Format(entity.DateLayout)
	}
	return ""
}

// instalmentLabel names an instalment for allocations and messages, as
// the plan does: 第2期 到货款.
func instalmentLabel(position int64, _ string, kind string) string {
	return crm.InstalmentLabel(position, kind)
}

// instalmentLabelEn is instalmentLabel in English: No. 2 On delivery.
func instalmentLabelEn(position int64, label, kind string) string {
	for _, o := range crm.InstalmentKinds {
		if o.Code == kind {
			return fmt.Sprintf("No. %d %s", position, o.Label.En)
		}
	}
	return fmt.Sprintf("No. %d %s", position, label)
}

// applyInvoiced moves instalments' invoiced amounts by deltas (instalment
// id → fen), on a plan read by lockPlan.
func (s *Service) applyInvoiced(ctx context.Context, tx *store.Tx, plan []crm.PlanItem, deltas map[string]int64) error {
	for _, p := range sortedPlan(plan, deltas) {
		v := p.Invoiced + deltas[p.ID]
		if v < 0 || v > p.Amount {
			return fmt.Errorf("finance: instalment %s would be invoiced %d of %d", p.ID, v, p.Amount)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payment_instalments SET invoiced_amount = $1 WHERE id = $2`, v, p.ID); err != nil {
			return errs.Wrap(err, "finance: invoiced amount of %s", p.ID)
		}
	}
	return nil
}

// applyPaid moves instalments' paid amounts by deltas and sets the status
// the new amount gives.
func (s *Service) applyPaid(ctx context.Context, tx *store.Tx, plan []crm.PlanItem, deltas map[string]int64) error {
	items := sortedPlan(plan, deltas)
	if len(items) == 0 {
		return nil
	}
	var a store.Args
	ids := make([]any, len(items))
	for i, p := range items {
		ids[i] = p.ID
	}
	states, err := s.instStates(ctx, tx, "id IN "+a.List(ids), a.V...)
	if err != nil {
		return err
	}
	moves := recvMoves{}
	for _, p := range items {
		v := p.Paid + deltas[p.ID]
		if v < 0 || v > p.Amount {
			return fmt.Errorf("finance: instalment %s would be paid %d of %d", p.ID, v, p.Amount)
		}
		status := crm.InstalmentStatus(p.Amount, v)
		if _, err := tx.ExecContext(ctx, `UPDATE payment_instalments SET paid_amount = $1, status = $2 WHERE id = $3`, v, status, p.ID); err != nil {
			return errs.Wrap(err, "finance: paid amount of %s", p.ID)
		}
		from := states[p.ID]
		to := from
		to.Paid, to.Status = v, status
		moves.move(from, to)
	}
	return s.applyMoves(ctx, tx, moves)
}

// sortedPlan lists the plan's instalments named in deltas, in id order.
func sortedPlan(plan []crm.PlanItem, deltas map[string]int64) []crm.PlanItem {
	var out []crm.PlanItem
	for _, p := range plan {
		if d, ok := deltas[p.ID]; ok && d != 0 {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func planIndex(plan []crm.PlanItem) map[string]crm.PlanItem {
	m := make(map[string]crm.PlanItem, len(plan))
	for _, p := range plan {
		m[p.ID] = p
	}
	return m
}

// prepareInstalment keeps finance's columns of an instalment right however
// the plan is written (the contract's process, the generic API, an
// import): the contract's owner and team, the status when the amount
// changes, and the reminders, sent again when the due date moves. An
// instalment may not shrink below what was invoiced or received on it.
func (s *Service) prepareInstalment(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if cid := rec.Str("contract_id"); cid != "" && (old == nil || old.Str("contract_id") != cid) {
		if old != nil && (old.Int("invoiced_amount") > 0 || old.Int("paid_amount") > 0) {
			return errs.Validation([]errs.FieldError{{Field: "contract_id", Code: "instalment_has_finance"}})
		}
		c, err := s.DB.Get(ctx, tx, s.entity("contract"), cid, nil, false)
		if errs.KindOf(err) == errs.NotFound {
			return nil // the reference check says so
		}
		if err != nil {
			return errs.Wrap(err, "finance: instalment's contract")
		}
		rec["owner_id"], rec["team_id"], rec["currency"] = c["owner_id"], c["team_id"], c["currency"]
		rec["receivable"] = crm.ContractReceivable(c.Str("status"))
		if rec.Str("customer_id") == "" {
			rec["customer_id"] = c["customer_id"]
		}
	}
	if old == nil {
		return nil
	}
	if amt := rec.Int("amount"); amt != old.Int("amount") {
		if amt < rec.Int("invoiced_amount") || amt < rec.Int("paid_amount") {
			return errs.Validation([]errs.FieldError{{Field: "amount", Code: "instalment_below_finance",
				Args: map[string]any{"invoiced": entity.FormatMoney(rec.Int("invoiced_amount")), "paid": entity.FormatMoney(rec.Int("paid_amount"))}}})
		}
		rec["status"] = crm.InstalmentStatus(amt, rec.Int("paid_amount"))
	}
	if rec.Str("due_date") != old.Str("due_date") {
		rec["reminded_at"], rec["overdue_notified_at"] = nil, nil
	}
	return nil
}

// afterInstalment keeps an instalment that was invoiced or paid: its
// invoices and payments would lose what they stand against.
func (s *Service) afterInstalment(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	if ch.Action == records.Delete && (ch.Old.Int("invoiced_amount") > 0 || ch.Old.Int("paid_amount") > 0) {
		return errs.New(errs.Unprocessable, "instalment_has_finance")
	}
	var old entity.Record
	if ch.Action != records.Create {
		old = ch.Old
	}
	moves := recvMoves{}
	moves.move(stateOf(old), stateOf(ch.New))
	return s.applyMoves(ctx, tx, moves)
}

// afterContract carries a contract's owner, team and currency, and
// whether it is signed, to its instalments (a reassignment, a team
// change, signing), and keeps a contract that has invoices
// or payments from being deleted.
func (s *Service) afterContract(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	switch ch.Action {
	case records.Update:
		receivable := crm.ContractReceivable(ch.New.Str("status"))
		if !ch.Has("owner_id") && !ch.Has("team_id") && !ch.Has("currency") && receivable == crm.ContractReceivable(ch.Old.Str("status")) {
			return nil
		}
		states, err := s.instStates(ctx, tx, "contract_id = $1", ch.New.ID())
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payment_instalments SET owner_id = $1, team_id = $2, currency = $3, receivable = $4 WHERE contract_id = $5`,
			entity.NilIfEmpty(ch.New.Str("owner_id")), entity.NilIfEmpty(ch.New.Str("team_id")), entity.NilIfEmpty(ch.New.Str("currency")), receivable, ch.New.ID()); err != nil {
			return errs.Wrap(err, "finance: instalments follow the contract")
		}
		moves := recvMoves{}
		for _, from := range states {
			to := from
			to.Owner, to.Team, to.Currency, to.Receivable = ch.New.Str("owner_id"), ch.New.Str("team_id"), ch.New.Str("currency"), receivable
			moves.move(from, to)
		}
		return s.applyMoves(ctx, tx, moves)
	case records.Delete:
		var n int
		err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM invoices WHERE contract_id = $1 AND status = 'issued')
			+ (SELECT count(*) FROM payments WHERE contract_id = $1 AND status = 'received')`, ch.Old.ID()).Scan(&n)
		if err != nil {
			return errs.Wrap(err, "finance: contract's invoices and payments")
		}
		if n > 0 {
			return errs.New(errs.Unprocessable, "contract_has_finance")
		}
	}
	return nil
}
