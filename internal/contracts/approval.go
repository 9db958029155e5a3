package contracts

import (
	"context"
	"fmt"

	"closeloop/internal/access"
	"closeloop/internal/approvals"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/store"
)

// Contracts as a document type of the approvals mechanism. No rule ships
// for them: an admin adds rules for document type "contract" on the facts
// below (a large amount, a small advance payment, a payment by bill, a
// customer level …); when one applies, a contract is approved before it is
// signed, and a change after approval withdraws it.

// ContractFactLabels name the facts rules on contracts may test.
var ContractFactLabels = map[string]i18n.Text{
	"amount_fen":      i18n.T("合同金额", "Contract amount"),
	"advance_bp":      i18n.T("预付款比例", "Advance payment share"),
	"max_discount_bp": i18n.T("报价最大折扣", "Largest discount of the quote"),
	"customer_level":  i18n.T("客户级别", "Customer level"),
	"payment_method":  i18n.T("付款方式", "Payment method"),
	"currency":        i18n.T("币种", "Currency"),
}

// UseApprovals registers contracts with the approvals service and routes
// the contract's approval needs through it.
func (s *Service) UseApprovals(ap *approvals.Service) {
	ap.Register(approvals.DocType{Entity: "contract", Facts: s.contractFacts, FactLabels: ContractFactLabels,
		Decided: func(ctx context.Context, q store.Querier, p *access.Principal, recordID, outcome, comment string) error {
			tx, ok := q.(*store.Tx)
			if !ok {
				return fmt.Errorf("contracts: approval decided outside a write transaction")
			}
			return s.ApprovalDecided(ctx, tx, p, recordID, outcome, comment)
		}})
	s.approvals = approvalsAdapter{ap}
}

// contractFacts are what approval rules test on a contract as it stands.
func (s *Service) contractFacts(ctx context.Context, q store.Querier, rec entity.Record) (approvals.Facts, error) {
	f := approvals.Facts{"amount_fen": rec.Int("amount"), "currency": rec.Str("currency"), "payment_method": rec.Str("payment_method")}
	var level *string
	if err := q.QueryRowContext(ctx, `SELECT level FROM customers WHERE id = $1`, rec.Str("customer_id")).Scan(&level); err == nil {
		f["customer_level"] = deref(level)
	}
	var advance int64
	if err := q.QueryRowContext(ctx, `SELECT coalesce(sum(amount), 0) FROM payment_instalments WHERE contract_id = $1 AND kind = 'advance' AND deleted_at IS NULL`,
		rec.ID()).Scan(&advance); err != nil {
		return nil, errs.Wrap(err, "contracts: advance of %s", rec.ID())
	}
	if a := rec.Int("amount"); a > 0 {
		f["advance_bp"] = advance * 10000 / a
	} else {
		f["advance_bp"] = int64(0)
	}
	f["max_discount_bp"] = int64(0)
	if qid := rec.Str("quote_id"); qid != "" {
		var d int64
		if err := q.QueryRowContext(ctx, `SELECT max_discount_bp FROM quotes WHERE id = $1`, qid).Scan(&d); err == nil {
			f["max_discount_bp"] = d
		}
	}
	return f, nil
}

// approvalsAdapter is the approvals service as the contracts need it.
type approvalsAdapter struct{ ap *approvals.Service }

func (a approvalsAdapter) Needed(ctx context.Context, q store.Querier, p *access.Principal, rec entity.Record) (bool, error) {
	steps, err := a.ap.PlanFor(ctx, q, p, "contract", rec)
	return len(steps) > 0, err
}

func (a approvalsAdapter) Submit(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record, reason string) (bool, error) {
	ap, err := a.ap.Submit(ctx, tx, p, "contract", rec, reason)
	return ap != nil, err
}

func (a approvalsAdapter) Withdraw(ctx context.Context, tx *store.Tx, p *access.Principal, id string) error {
	return a.ap.Cancel(ctx, tx, p, "contract", id)
}
