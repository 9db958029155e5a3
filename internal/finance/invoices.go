package finance

import (
	"context"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Invoices (发票): finance types the tax invoice's number; the system
// gives it an internal number (FP-yyyymm-nnnn), derives the customer and
// opportunity from the contract, and spreads the amount over the
// instalments it covers (crm.SplitInvoice), raising each one's invoiced
// amount in the same transaction. An issued invoice's money and contract
// are fixed: a wrong invoice is voided (with a reason) and issued again.

// invoiceFixed are the fields an issued invoice keeps.
var invoiceFixed = []string{"contract_id", "amount", "tax_amount", "instalment_ids", "kind"}

func (s *Service) prepareInvoice(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old != nil {
		if records.IsProcess(ctx) {
			return nil
		}
		if old.Str("status") == crm.InvoiceVoided {
			return errs.New(errs.Unprocessable, "invoice_voided")
		}
		var bad []errs.FieldError
		for _, f := range invoiceFixed {
			if !entity.Equal(old[f], rec[f]) {
				bad = append(bad, errs.FieldError{Field: f, Code: "invoice_fixed"})
			}
		}
		if err := errs.Validation(bad); err != nil {
			return err
		}
		return s.checkInvoiceNumber(ctx, tx, rec)
	}
	var bad []errs.FieldError
	rec["status"] = crm.InvoiceIssued
	if rec.Str("issue_date") == "" {
		rec["issue_date"] = s.today()
	} else if rec.Str("issue_date") > s.today() {
		bad = append(bad, errs.FieldError{Field: "issue_date", Code: "finance_date_in_future"})
	}
	amount, tax := rec.Int("amount"), rec.Int("tax_amount")
	if tax > amount {
		bad = append(bad, errs.FieldError{Field: "tax_amount", Code: "tax_above_amount"})
	}
	rec["net_amount"] = amount - tax
	if err := s.checkInvoiceNumber(ctx, tx, rec); err != nil {
		ee := errs.As(err)
		if ee == nil || ee.Code != "validation" {
			return err
		}
		bad = append(bad, ee.Fields...)
	}
	if rec.Str("contract_id") == "" || amount <= 0 {
		return errs.Validation(bad) // required and ranges are said by the service
	}
	c, err := s.contractForFinance(ctx, tx, p, rec.Str("contract_id"), false)
	if err != nil {
		return err
	}
	rec["customer_id"], rec["opportunity_id"], rec["currency"] = c["customer_id"], c["opportunity_id"], c["currency"]
	if rec.Str("buyer_name") == "" && c.Str("party_a") != "" {
		rec["buyer_name"] = c["party_a"]
	}
	if err := errs.Validation(bad); err != nil {
		return err
	}
	plan, err := s.lockPlan(ctx, tx, c.ID())
	if err != nil {
		return err
	}
	allocs, err := crm.SplitInvoice(amount, plan, rec.List("instalment_ids"), allocationsOf(ctx))
	if err != nil {
		return err
	}
	ids := make([]string, len(allocs))
	for i, a := range allocs {
		ids[i] = a.InstalmentID
	}
	rec["instalment_ids"] = ids
	no, err := s.DB.MonthlyNumber(ctx, tx, "FP", 4, s.now())
	if err != nil {
		return err
	}
	rec["internal_no"] = no
	return nil
}

// checkInvoiceNumber refuses a tax invoice number already recorded (a
// voided invoice keeps its number: it is never issued again).
func (s *Service) checkInvoiceNumber(ctx context.Context, tx *store.Tx, rec entity.Record) error {
	n := strings.TrimSpace(rec.Str("number"))
	if n == "" {
		return nil
	}
	rec["number"] = n
	var c int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM invoices WHERE number = $1 AND id <> $2`, n, rec.ID()).Scan(&c); err != nil {
		return errs.Wrap(err, "finance: invoice number")
	}
	if c > 0 {
		return errs.Validation([]errs.FieldError{{Field: "number", Code: "invoice_number_taken", Args: map[string]any{"value": n}}})
	}
	return nil
}

// afterInvoice writes a new invoice's allocations and raises the
// instalments' invoiced amounts; the split is computed again on the plan
// locked in Prepare, so it is the one that was checked.
func (s *Service) afterInvoice(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	if ch.Action != records.Create {
		return nil
	}
	rec := ch.New
	plan, err := s.lockPlan(ctx, tx, rec.Str("contract_id"))
	if err != nil {
		return err
	}
	allocs, err := crm.SplitInvoice(rec.Int("amount"), plan, rec.List("instalment_ids"), allocationsOf(ctx))
	if err != nil {
		return err
	}
	idx := planIndex(plan)
	deltas := map[string]int64{}
	for _, a := range allocs {
		in := entity.Record{"invoice_id": rec.ID(), "instalment_id": a.InstalmentID, "contract_id": rec.Str("contract_id"),
			"label": idx[a.InstalmentID].Label, "amount": a.Amount}
		if _, err := s.R.InsertTx(records.AsProcess(ctx), tx, p, "invoice_allocation", in); err != nil {
			return err
		}
		deltas[a.InstalmentID] += a.Amount
	}
	if err := s.applyInvoiced(ctx, tx, plan, deltas); err != nil {
		return err
	}
	return s.event(ctx, tx, p, rec, "invoice_issued", "invoice", map[string]any{"number": rec.Str("number"),
		"amount": moneyLabel(rec.Str("currency"), rec.Int("amount"))})
}

// IssueInvoice records an invoice. allocs, when given, say exactly how
// much of it covers each instalment (they must add up to the amount);
// otherwise the amount fills the instalments named in instalment_ids, or
// all of the plan, earliest due first.
func (s *Service) IssueInvoice(ctx context.Context, p *access.Principal, rec entity.Record, allocs []crm.Allocation) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.R.CreateTx(withAllocations(ctx, allocs), tx, p, "invoice", rec)
		return err
	})
	return out, err
}

// VoidInvoice voids an issued invoice (作废) with a reason: its
// instalments' invoiced amounts go down by what it covered. version, when
// not 0, is the version the caller saw.
func (s *Service) VoidInvoice(ctx context.Context, p *access.Principal, id string, version int64, why string) (entity.Record, error) {
	why, err := reason("reason", why)
	if err != nil {
		return nil, err
	}
	var out entity.Record
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		e := s.entity("invoice")
		inv, err := s.R.LoadForWrite(ctx, tx, p, e, strings.ToLower(id), p.Perm(e.Name).Write, false)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(inv, version); err != nil {
			return err
		}
		if inv.Str("status") != crm.InvoiceIssued {
			return errs.New(errs.Unprocessable, "invoice_voided")
		}
		plan, err := s.lockPlan(ctx, tx, inv.Str("contract_id"))
		if err != nil {
			return err
		}
		deltas, err := s.allocationSums(ctx, tx, "invoice_allocations", "invoice_id", inv.ID(), -1)
		if err != nil {
			return err
		}
		if err := s.applyInvoiced(ctx, tx, plan, deltas); err != nil {
			return err
		}
		set := entity.Record{"status": crm.InvoiceVoided, "void_reason": why, "voided_at": s.now(), "voided_by": entity.NilIfEmpty(p.UserID)}
		if out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, e, inv, set); err != nil {
			return err
		}
		return s.event(ctx, tx, p, inv, "invoice_voided", "invoice", map[string]any{"number": inv.Str("number"),
			"amount": moneyLabel(inv.Str("currency"), inv.Int("amount")), "reason": why})
	})
	return out, err
}

// allocationSums adds up the allocations of one invoice or payment per
// instalment, multiplied by sign.
func (s *Service) allocationSums(ctx context.Context, tx *store.Tx, table, col, id string, sign int64) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT instalment_id, amount FROM `+table+` WHERE `+col+` = $1`, id)
	if err != nil {
		return nil, errs.Wrap(err, "finance: allocations of %s", id)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var inst string
		var amt int64
		if err := rows.Scan(&inst, &amt); err != nil {
			return nil, err
		}
		out[inst] += sign * amt
	}
	return out, rows.Err()
}
