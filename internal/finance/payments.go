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

// Payments (回款): money received against a contract, matched to its
// instalments — as the caller says, or earliest due first
// (crm.AllocatePayment) — raising each instalment's paid amount and
// status in the same transaction. What is left over stays on the payment
// as unallocated credit, to be allocated when the plan has room. A
// payment's amount and contract are fixed; a wrong one is reversed (冲销,
// with a reason), which takes its allocations off the instalments.

var paymentFixed = []string{"contract_id", "amount"}

func (s *Service) preparePayment(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old != nil {
		if records.IsProcess(ctx) {
			return nil
		}
		if old.Str("status") == crm.PaymentReversed {
			return errs.New(errs.Unprocessable, "payment_reversed")
		}
		var bad []errs.FieldError
		for _, f := range paymentFixed {
			if !entity.Equal(old[f], rec[f]) {
				bad = append(bad, errs.FieldError{Field: f, Code: "payment_fixed"})
			}
		}
		if d := rec.Str("received_on"); d > s.today() {
			bad = append(bad, errs.FieldError{Field: "received_on", Code: "finance_date_in_future"})
		}
		return errs.Validation(bad)
	}
	var bad []errs.FieldError
	rec["status"] = crm.PaymentReceived
	if rec.Str("received_on") == "" {
		rec["received_on"] = s.today()
	} else if rec.Str("received_on") > s.today() {
		bad = append(bad, errs.FieldError{Field: "received_on", Code: "finance_date_in_future"})
	}
	amount := rec.Int("amount")
	if rec.Str("contract_id") == "" || amount <= 0 {
		return errs.Validation(bad)
	}
	c, err := s.contractForFinance(ctx, tx, p, rec.Str("contract_id"), true)
	if err != nil {
		return err
	}
	rec["customer_id"], rec["opportunity_id"], rec["currency"] = c["customer_id"], c["opportunity_id"], c["currency"]
	if err := errs.Validation(bad); err != nil {
		return err
	}
	plan, err := s.lockPlan(ctx, tx, c.ID())
	if err != nil {
		return err
	}
	_, credit, err := crm.AllocatePayment(amount, plan, allocationsOf(ctx))
	if err != nil {
		return err
	}
	rec["allocated_amount"], rec["unallocated_amount"] = amount-credit, credit
	no, err := s.DB.MonthlyNumber(ctx, tx, "SK", 4, s.now())
	if err != nil {
		return err
	}
	rec["number"] = no
	return nil
}

// afterPayment writes a new payment's allocations and the instalments'
// paid amounts and statuses (the allocation is computed again on the plan
// locked in Prepare: the same one).
func (s *Service) afterPayment(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	if ch.Action != records.Create {
		return nil
	}
	rec := ch.New
	plan, err := s.lockPlan(ctx, tx, rec.Str("contract_id"))
	if err != nil {
		return err
	}
	allocs, _, err := crm.AllocatePayment(rec.Int("amount"), plan, allocationsOf(ctx))
	if err != nil {
		return err
	}
	if err := s.writeAllocations(ctx, tx, p, rec, plan, allocs); err != nil {
		return err
	}
	return s.event(ctx, tx, p, rec, "payment_received", "payment", map[string]any{"number": rec.Str("number"),
		"amount": moneyLabel(rec.Str("currency"), rec.Int("amount")), "received_on": rec.Str("received_on")})
}

func (s *Service) writeAllocations(ctx context.Context, tx *store.Tx, p *access.Principal, pay entity.Record, plan []crm.PlanItem, allocs []crm.Allocation) error {
	idx := planIndex(plan)
	deltas := map[string]int64{}
	for _, a := range allocs {
		in := entity.Record{"payment_id": pay.ID(), "instalment_id": a.InstalmentID, "contract_id": pay.Str("contract_id"),
			"label": idx[a.InstalmentID].Label, "amount": a.Amount}
		if _, err := s.R.InsertTx(records.AsProcess(ctx), tx, p, "payment_allocation", in); err != nil {
			return err
		}
		deltas[a.InstalmentID] += a.Amount
	}
	return s.applyPaid(ctx, tx, plan, deltas)
}

// RecordPaymentTx records a payment in the caller's transaction (the API
// records its idempotency key in the same one). allocs, when given, say
// how much pays which instalment; otherwise the amount pays the unpaid
// instalments earliest due first.
func (s *Service) RecordPaymentTx(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record, allocs []crm.Allocation) (entity.Record, error) {
	return s.R.CreateTx(withAllocations(ctx, allocs), tx, p, "payment", rec)
}

// RecordPayment is RecordPaymentTx in its own transaction.
func (s *Service) RecordPayment(ctx context.Context, p *access.Principal, rec entity.Record, allocs []crm.Allocation) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.RecordPaymentTx(ctx, tx, p, rec, allocs)
		return err
	})
	return out, err
}

// loadPayment reads a payment for a step that changes it.
func (s *Service) loadPayment(ctx context.Context, tx *store.Tx, p *access.Principal, id string, version int64) (entity.Record, error) {
	e := s.entity("payment")
	pay, err := s.R.LoadForWrite(ctx, tx, p, e, strings.ToLower(id), p.Perm(e.Name).Write, false)
	if err != nil {
		return nil, err
	}
	if err := entity.CheckVersion(pay, version); err != nil {
		return nil, err
	}
	if pay.Str("status") != crm.PaymentReceived {
		return nil, errs.New(errs.Unprocessable, "payment_reversed")
	}
	return pay, nil
}

// AllocateCredit puts a payment's unallocated credit against
// instalments: as allocs say, or earliest due first.
func (s *Service) AllocateCredit(ctx context.Context, p *access.Principal, id string, version int64, allocs []crm.Allocation) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		pay, err := s.loadPayment(ctx, tx, p, id, version)
		if err != nil {
			return err
		}
		credit := pay.Int("unallocated_amount")
		if credit <= 0 {
			return errs.New(errs.Unprocessable, "payment_no_credit")
		}
		plan, err := s.lockPlan(ctx, tx, pay.Str("contract_id"))
		if err != nil {
			return err
		}
		got, rest, err := crm.AllocatePayment(credit, plan, allocs)
		if err != nil {
			return err
		}
		if rest == credit {
			return errs.New(errs.Unprocessable, "payment_nothing_to_allocate")
		}
		if err := s.writeAllocations(ctx, tx, p, pay, plan, got); err != nil {
			return err
		}
		set := entity.Record{"allocated_amount": pay.Int("amount") - rest, "unallocated_amount": rest}
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("payment"), pay, set)
		return err
	})
	return out, err
}

// ReversePayment reverses a received payment (冲销) with a reason: what it
// paid is taken off its instalments, whose statuses follow. Its
// allocations stay as the record of what it had paid.
func (s *Service) ReversePayment(ctx context.Context, p *access.Principal, id string, version int64, why string) (entity.Record, error) {
	why, err := reason("reason", why)
	if err != nil {
		return nil, err
	}
	var out entity.Record
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		pay, err := s.loadPayment(ctx, tx, p, id, version)
		if err != nil {
			return err
		}
		plan, err := s.lockPlan(ctx, tx, pay.Str("contract_id"))
		if err != nil {
			return err
		}
		deltas, err := s.allocationSums(ctx, tx, "payment_allocations", "payment_id", pay.ID(), -1)
		if err != nil {
			return err
		}
		if err := s.applyPaid(ctx, tx, plan, deltas); err != nil {
			return err
		}
		set := entity.Record{"status": crm.PaymentReversed, "reversed_reason": why, "reversed_at": s.now(), "reversed_by": entity.NilIfEmpty(p.UserID)}
		if out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("payment"), pay, set); err != nil {
			return err
		}
		return s.event(ctx, tx, p, pay, "payment_reversed", "payment", map[string]any{"number": pay.Str("number"),
			"amount": moneyLabel(pay.Str("currency"), pay.Int("amount")), "reason": why})
	})
	return out, err
}
