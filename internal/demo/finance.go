package demo

import (
	"context"
	"fmt"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
)

// The finance part of the demo: a finance clerk (财务) who issues invoices
// and records payments against the signed contracts' payment plans —
// advances invoiced and paid, deliveries partly paid, some instalments
// overdue by every age band, a bill that bounced (reversed), an invoice
// voided for a wrong tax number, a payment beyond the plan kept as credit
// — all through the finance service, dated in the past.
//
// The contracts are the contracts area's demo contracts (its step runs
// before this one).

// financeUser is the demo finance clerk.
var financeUser = person{"钱芳", "qian.fang", []string{access.RoleFinance}, "hq", ""}

// finance loads the finance part.
func (l *loader) finance(ctx context.Context, _ int) error {
	fin, err := l.financeClerk(ctx)
	if err != nil {
		return err
	}
	contracts, err := l.signedContracts(ctx)
	if err != nil {
		return err
	}
	m := &mishaps{}
	for i, c := range contracts {
		if err := l.financeOf(ctx, fin, c, i, m); err != nil {
			return fmt.Errorf("contract %s: %w", c.Str("number"), err)
		}
	}
	return nil
}

// financeClerk creates the finance user (listed with the demo users).
func (l *loader) financeClerk(ctx context.Context) (*user, error) {
	u := &user{person: financeUser, email: financeUser.local + "@" + MailDomain}
	rec := entity.Record{"name": u.name, "email": u.email, "roles": u.roles, "team_id": l.o.teams[u.team], "lang": "zh-CN"}
	r, err := l.a.Auth.CreateUser(ctx, access.SystemPrincipal(), rec, Password)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", u.email, err)
	}
	u.id = r.ID()
	if u.p, err = l.a.DB.LoadPrincipal(ctx, u.id); err != nil {
		return nil, err
	}
	l.o.all = append(l.o.all, u)
	return u, nil
}

// signedContracts are the contracts that take invoices and payments and
// have a plan, oldest first.
func (l *loader) signedContracts(ctx context.Context) ([]entity.Record, error) {
	ce := l.a.DB.Schema().Entity("contract")
	recs, err := l.a.DB.ListWhere(ctx, ce, `deleted_at IS NULL AND status IN ('signed', 'in_execution', 'completed')
		AND EXISTS (SELECT 1 FROM payment_instalments i WHERE i.contract_id = t.id AND i.deleted_at IS NULL)`, nil, "created_at, id", 100)
	return recs, err
}

// mishaps are the accidents of real life shown once each, on the first
// contract where they can happen.
type mishaps struct {
	voided, bounced, credit, partly bool
}

// financeOf invoices and collects a contract's plan up to where its age
// puts it, with the mishaps of real life on some contracts.
func (l *loader) financeOf(ctx context.Context, fin *user, c entity.Record, i int, m *mishaps) error {
	ie := l.a.DB.Schema().Entity("payment_instalment")
	plan, err := l.a.DB.ListWhere(ctx, ie, `contract_id = $1 AND deleted_at IS NULL`, []any{c.ID()}, "position", 20)
	if err != nil {
		return err
	}
	today := l.today.Format(entity.DateLayout)
	day := func(s string, add int) string {
		d, _ := time.ParseInLocation(entity.DateLayout, s, l.a.Loc)
		d = d.AddDate(0, 0, add)
		if out := d.Format(entity.DateLayout); out < today {
			return out
		}
		return today
	}
	seq := 0
	for n, it := range plan {
		due := it.Str("due_date")
		if due > day(today, 20) {
			break // not invoiced before it is near
		}
		amount := it.Int("amount")
		seq++
		invNo := fmt.Sprintf("%08d", 4400_0000+i*100+seq)
		inv, err := l.a.Finance.IssueInvoice(ctx, fin.p, entity.Record{"number": invNo, "kind": []string{"vat_special", "vat_special", "electronic"}[(i+n)%3],
			"contract_id": c.ID(), "amount": amount, "tax_amount": amount * 13 / 113, "issue_date": day(due, -5),
			"instalment_ids": []string{it.ID()}, "buyer_tax_id": fmt.Sprintf("91320500MA%07dX", 1000000+i*31+n)}, nil)
		if err != nil {
			return fmt.Errorf("invoice: %w", err)
		}
		l.dateEvent(ctx, inv.ID(), "invoice_issued", day(due, -5))
		if !m.voided {
			// Issued with the wrong tax number, voided and issued again.
			m.voided = true
			if _, err := l.a.Finance.VoidInvoice(ctx, fin.p, inv.ID(), 0, "购方税号填写错误，已作废重开"); err != nil {
				return err
			}
			_ = l.a.DB.SetEventTime(ctx, l.a.DB.W(), inv.ID(), "invoice_voided", parseDay(day(due, -3), l.a.Loc).Add(9*time.Hour).UTC())
			seq++
			re, err := l.a.Finance.IssueInvoice(ctx, fin.p, entity.Record{"number": fmt.Sprintf("%08d", 4400_0000+i*100+seq), "kind": "vat_special",
				"contract_id": c.ID(), "amount": amount, "tax_amount": amount * 13 / 113, "issue_date": day(due, -3), "instalment_ids": []string{it.ID()}}, nil)
			if err != nil {
				return err
			}
			l.dateEvent(ctx, re.ID(), "invoice_issued", day(due, -3))
		}
		// Collection: the older the instalment, the likelier it is paid;
		// every few contracts something stays overdue.
		late := l.today.Sub(parseDay(due, l.a.Loc)).Hours() / 24
		var paid int64
		switch {
		case due > today:
		case (i+n)%5 == 3 && late < 120:
			// Overdue, not a fen yet (the ageing shows it).
		case !m.partly && m.credit || (i+n)%4 == 2:
			paid, m.partly = amount/2, true // partly paid, the rest overdue
		default:
			paid = amount
		}
		if paid == 0 {
			continue
		}
		received := day(due, int(l.f.R.Int64N(20))-5)
		method := []string{"bank_transfer", "bank_transfer", "acceptance_bill"}[(i+n)%3]
		bouncedHere := false
		if !m.bounced && paid == amount {
			// A bank acceptance bill that bounced: recorded, then reversed,
			// then paid by transfer.
			m.bounced, bouncedHere = true, true
			bad, err := l.a.Finance.RecordPayment(ctx, fin.p, entity.Record{"contract_id": c.ID(), "amount": paid, "method": "acceptance_bill",
				"bank_ref": fmt.Sprintf("HP%010d", 3100000000+i*17), "payer": c.Str("party_a"), "received_on": day(due, -2)}, nil)
			if err != nil {
				return err
			}
			l.dateEvent(ctx, bad.ID(), "payment_received", day(due, -2))
			if _, err := l.a.Finance.ReversePayment(ctx, fin.p, bad.ID(), 0, "承兑汇票到期被拒付，已退回客户"); err != nil {
				return err
			}
			_ = l.a.DB.SetEventTime(ctx, l.a.DB.W(), bad.ID(), "payment_reversed", parseDay(day(due, 12), l.a.Loc).Add(9*time.Hour).UTC())
			method = "bank_transfer"
		}
		if !m.credit && m.bounced && paid == amount && !bouncedHere {
			paid += 1_200_000 // ¥12,000 more than the instalment: kept as credit
			m.credit = true
		}
		pay, err := l.a.Finance.RecordPayment(ctx, fin.p, entity.Record{"contract_id": c.ID(), "amount": paid, "method": method,
			"bank_ref": fmt.Sprintf("CMB%012d", 202600000000+int64(i*1000+n)), "payer": c.Str("party_a"), "received_on": received},
			[]crm.Allocation{{InstalmentID: it.ID(), Amount: min(paid, amount)}})
		if err != nil {
			return fmt.Errorf("payment: %w", err)
		}
		l.dateEvent(ctx, pay.ID(), "payment_received", received)
	}
	return nil
}

func parseDay(s string, loc *time.Location) time.Time {
	d, _ := time.ParseInLocation(entity.DateLayout, s, loc)
	return d
}

// dateEvent moves the timeline event of a demo invoice or payment (and
// the record's times) to the day it happened.
func (l *loader) dateEvent(ctx context.Context, id, kind, day string) {
	at := parseDay(day, l.a.Loc).Add(10 * time.Hour).UTC()
	_ = l.a.DB.SetEventTime(ctx, l.a.DB.W(), id, kind, at)
	table := "invoices"
	if kind == "payment_received" {
		table = "payments"
	}
	_, _ = l.a.DB.W().ExecContext(ctx, `UPDATE `+table+` SET created_at = $1, updated_at = CASE WHEN version > 1 THEN updated_at ELSE $1 END WHERE id = $2`, at, id)
}
