package quotes

import (
	"context"
	"fmt"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/approvals"
	"closeloop/internal/entity"
	"closeloop/internal/i18n"
	"closeloop/internal/store"
)

// UseApprovals makes quotes go through the approvals service: the rules
// read a quote's largest discount, its total and its customer's level;
// when an approval ends, Decided moves the quote on.
func (s *Service) UseApprovals(a *approvals.Service) {
	a.Register(approvals.DocType{
		Entity: "quote",
		Facts:  s.approvalFacts,
		Decided: func(ctx context.Context, q store.Querier, p *access.Principal, id, outcome, comment string) error {
			tx, ok := q.(*store.Tx)
			if !ok {
				return fmt.Errorf("quotes: a decision outside a write transaction")
			}
			return s.Decided(ctx, tx, p, id, outcome, comment)
		},
		FactLabels: map[string]i18n.Text{
			"max_discount_bp": i18n.T("最大折扣", "Largest discount"),
			"total":           i18n.T("含税总额（分）", "Total incl. tax (fen)"),
			"total_fen":       i18n.T("含税总额", "Total incl. tax"),
			"customer_level":  i18n.T("客户级别", "Customer level"),
		},
	})
	s.SetApprovals(approvalsOf{a})
}

// approvalFacts are what approval rules test on a quote: its largest line
// discount (basis points), its total (fen; also as total_fen, which the
// approval card shows as money) and its customer's level.
func (s *Service) approvalFacts(ctx context.Context, q store.Querier, rec entity.Record) (approvals.Facts, error) {
	level := ""
	if cid := rec.Str("customer_id"); cid != "" {
		cust, err := s.DB.Get(ctx, q, s.entity("customer"), cid, nil, true)
		if err != nil {
			return nil, fmt.Errorf("quotes: the customer's level: %w", err)
		}
		level = cust.Str("level")
	}
	return approvals.Facts{"max_discount_bp": rec.Int("max_discount_bp"), "total": rec.Int("total"), "total_fen": rec.Int("total"),
		"customer_level": level}, nil
}

// approvalsOf adapts the approvals service to what the quote processes ask.
type approvalsOf struct{ a *approvals.Service }

func (x approvalsOf) Needed(ctx context.Context, q store.Querier, p *access.Principal, rec entity.Record) (bool, error) {
	steps, err := x.a.PlanFor(ctx, q, p, "quote", rec)
	return len(steps) > 0, err
}

func (x approvalsOf) Submit(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record, reason string) (bool, error) {
	if strings.TrimSpace(reason) == "" {
		reason = rec.Str("discount_reason")
	}
	ap, err := x.a.Submit(ctx, tx, p, "quote", rec, reason)
	return ap != nil, err
}

func (x approvalsOf) Cancel(ctx context.Context, tx *store.Tx, p *access.Principal, id string) error {
	return x.a.Cancel(ctx, tx, p, "quote", id)
}
