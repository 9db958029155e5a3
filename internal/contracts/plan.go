package contracts

import (
	"context"
	"slices"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// The payment plan (回款计划): instalments of a contract, edited while the
// contract is a draft — as a whole through ReplacePlan (one transaction,
// the sum checked against the amount) or row by row through the generic
// pages and imports (the sum is then checked at signing). Invoices and
// payments keep each instalment's invoiced and paid amounts; those are
// never touched here.

// planFields are the instalment fields that make the plan; a change of
// one after the draft is refused.
var planFields = []string{"contract_id", "position", "kind", "due_date", "amount", "condition"}

// prepareInstalment keeps an instalment's customer and label and refuses
// people's changes to the plan of a contract that left the draft.
func (s *Service) prepareInstalment(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old != nil && !strings.EqualFold(old.Str("contract_id"), rec.Str("contract_id")) {
		return errs.Validation([]errs.FieldError{{Field: "contract_id", Code: "instalment_contract_fixed"}})
	}
	cid := strings.ToLower(rec.Str("contract_id"))
	if !entity.LooksLikeID(cid) {
		return nil // the reference check says what is wrong
	}
	c, err := s.DB.Get(ctx, tx, s.entity("contract"), cid, nil, false)
	if errs.KindOf(err) == errs.NotFound {
		return nil
	}
	if err != nil {
		return errs.Wrap(err, "contracts: instalment's contract")
	}
	if !records.IsProcess(ctx) && (old == nil || len(changedFields(old, rec, planFields)) > 0) {
		if err := crm.CheckContractStep(c.Str("status"), crm.CtStepPlan); err != nil {
			return err
		}
	}
	rec["customer_id"] = c["customer_id"]
	rec["label"] = crm.InstalmentLabel(rec.Int("position"), rec.Str("kind"))
	return nil
}

// afterInstalment keeps the plan of a signed contract: a person may not
// remove or restore its instalments; and a change to the plan of a draft
// withdraws the confirmation of the payment term.
func (s *Service) afterInstalment(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	if records.IsProcess(ctx) {
		return nil
	}
	c, err := s.DB.Get(ctx, tx, s.entity("contract"), ch.New.Str("contract_id"), nil, false)
	if errs.KindOf(err) == errs.NotFound {
		return nil
	}
	if err != nil {
		return errs.Wrap(err, "contracts: instalment's contract")
	}
	if ch.Action == records.Delete || ch.Action == records.Restore {
		if err := crm.CheckContractStep(c.Str("status"), crm.CtStepPlan); err != nil {
			return err
		}
	}
	if ch.Action != records.Update || len(changedFields(ch.Old, ch.New, planFields)) > 0 {
		return s.planChanged(ctx, tx, p, c, false)
	}
	return nil
}

// planChanged withdraws the payment term's confirmation and an approval
// given before; when neither applies and bump is set, the contract's
// version moves anyway, so two people replacing one plan cannot overwrite
// each other unseen (the plan is part of the contract).
func (s *Service) planChanged(ctx context.Context, tx *store.Tx, p *access.Principal, c entity.Record, bump bool) error {
	set := entity.Record{}
	if slices.Contains(c.List("terms_confirmed"), "payment") {
		if _, err := tx.ExecContext(ctx, `DELETE FROM contract_terms WHERE contract_id = $1 AND item = 'payment'`, c.ID()); err != nil {
			return errs.Wrap(err, "contracts: reopen payment term")
		}
		set["terms_confirmed"] = listOrNil(slices.DeleteFunc(slices.Clone(c.List("terms_confirmed")), func(x string) bool { return x == "payment" }))
	}
	if c["approved_at"] != nil {
		set["approved_at"] = nil
		if err := s.withdrawApproval(ctx, tx, p, c.ID()); err != nil {
			return err
		}
	}
	e := s.entity("contract")
	if len(set) > 0 {
		_, err := s.R.SetTx(records.AsProcess(ctx), tx, p, e, c, set)
		return err
	}
	if !bump {
		return nil
	}
	_, err := s.DB.Update(ctx, tx, e, c.ID(), c.Version(), entity.Record{"updated_at": s.now(), "updated_by": entity.NilIfEmpty(p.UserID)})
	return err
}

// instalments reads a contract's plan in order, inside q.
func (s *Service) instalments(ctx context.Context, q store.Querier, contractID string) ([]entity.Record, error) {
	ids, err := store.Strings(ctx, q, `SELECT id FROM payment_instalments WHERE contract_id = $1 AND deleted_at IS NULL ORDER BY position, due_date, id`, contractID)
	if err != nil {
		return nil, errs.Wrap(err, "contracts: plan of %s", contractID)
	}
	return s.loadMany(ctx, q, s.entity("payment_instalment"), ids)
}

// Plan is a contract's payment plan as its readers see it.
type Plan struct {
	Contract    entity.Record
	Instalments []entity.Record
	Sum         int64
}

// Plan reads the payment plan of a contract p can see.
func (s *Service) Plan(ctx context.Context, p *access.Principal, contractID string) (*Plan, error) {
	c, err := s.R.Get(ctx, p, "contract", strings.ToLower(contractID))
	if err != nil {
		return nil, err
	}
	rows, err := s.instalments(ctx, s.DB.R(), c.ID())
	if err != nil {
		return nil, err
	}
	pl := &Plan{Contract: c, Instalments: rows}
	for _, r := range rows {
		pl.Sum += r.Int("amount")
	}
	return pl, nil
}

// ReplacePlan replaces a draft contract's whole plan in one transaction:
// the rows are checked (crm.CheckPlan: kinds, dates in order, positive
// amounts, the sum equal to the contract amount), written in order
// (positions 1…n; existing instalments are reused in place, surplus ones
// removed), and the payment term's confirmation is withdrawn when the
// plan changed. version is the contract's (409 when stale).
func (s *Service) ReplacePlan(ctx context.Context, p *access.Principal, contractID string, version int64, rows []crm.PlanRow) (*Plan, error) {
	for i := range rows {
		rows[i].Kind, rows[i].DueDate, rows[i].Condition = strings.TrimSpace(rows[i].Kind), strings.TrimSpace(rows[i].DueDate), strings.TrimSpace(rows[i].Condition)
	}
	var out *Plan
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		c, err := s.loadPlanContract(ctx, tx, p, contractID)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(c, version); err != nil {
			return err
		}
		if err := crm.CheckContractStep(c.Str("status"), crm.CtStepPlan); err != nil {
			return err
		}
		if err := crm.CheckPlan(c.Int("amount"), rows); err != nil {
			return err
		}
		cur, err := s.instalments(ctx, tx, c.ID())
		if err != nil {
			return err
		}
		pctx := records.AsProcess(ctx)
		ie := s.entity("payment_instalment")
		changed := len(cur) != len(rows)
		for i, r := range rows {
			want := entity.Record{"position": int64(i + 1), "kind": r.Kind, "due_date": r.DueDate, "amount": r.Amount, "condition": entity.NilIfEmpty(r.Condition)}
			if i < len(cur) {
				if len(changedFields(cur[i], want, planFields[1:])) == 0 {
					continue
				}
				changed = true
				if _, err := s.R.SetTx(pctx, tx, p, ie, cur[i], want); err != nil {
					return err
				}
				continue
			}
			want["contract_id"] = c.ID()
			if _, err := s.R.InsertTx(pctx, tx, p, ie.Name, want); err != nil {
				return err
			}
		}
		for _, old := range cur[min(len(rows), len(cur)):] {
			if err := s.removeInstalment(ctx, tx, p, ie, old); err != nil {
				return err
			}
		}
		if changed {
			if err := s.planChanged(ctx, tx, p, c, true); err != nil {
				return err
			}
		}
		if c, err = s.DB.Get(ctx, tx, s.entity("contract"), c.ID(), nil, false); err != nil {
			return err
		}
		list, err := s.instalments(ctx, tx, c.ID())
		if err != nil {
			return err
		}
		out = &Plan{Contract: c, Instalments: list, Sum: crm.PlanSum(rows)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Contract = s.R.Present(p, s.entity("contract"), out.Contract)
	return out, nil
}

// loadPlanContract reads a contract whose plan p may change: the plan is
// its instalments, so the instalments' write scope decides (finance keeps
// plans of contracts it does not own); without it, the contract's.
func (s *Service) loadPlanContract(ctx context.Context, tx *store.Tx, p *access.Principal, id string) (entity.Record, error) {
	scope := p.Perm("payment_instalment").Write
	if scope == access.None {
		return s.loadContract(ctx, tx, p, id)
	}
	if p.ReadOnly {
		return nil, errs.New(errs.Forbidden, "token_read_only")
	}
	id = strings.ToLower(strings.TrimSpace(id))
	if !entity.LooksLikeID(id) {
		return nil, errs.NotFoundf("contract")
	}
	return s.R.LoadForWrite(ctx, tx, p, s.entity("contract"), id, scope, false)
}

// removeInstalment soft-deletes an instalment the plan no longer has; the
// process has checked the right to change the contract's plan, so the
// instalment's own delete right is not asked (finance keeps plans but
// deletes nothing else). Audited like every delete.
func (s *Service) removeInstalment(ctx context.Context, tx *store.Tx, p *access.Principal, e *entity.Entity, old entity.Record) error {
	now := s.now()
	set := entity.Record{"deleted_at": now, "updated_at": now, "updated_by": entity.NilIfEmpty(p.UserID)}
	if _, err := s.DB.Update(ctx, tx, e, old.ID(), old.Version(), set); err != nil {
		return errs.Wrap(err, "contracts: remove instalment")
	}
	return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: e.Name, RecordID: old.ID(), Action: string(records.Delete), RequestID: records.RequestID(ctx)})
}

// ProposePlan proposes a plan for a contract from percentages (not
// saved): amounts rounded half-up so that they add up to the contract
// amount, due dates counted from `from` (default: the signing date, or
// today for a draft).
func (s *Service) ProposePlan(ctx context.Context, p *access.Principal, contractID, from string, parts []crm.PlanPart) ([]crm.PlanRow, error) {
	c, err := s.R.Get(ctx, p, "contract", strings.ToLower(contractID))
	if err != nil {
		return nil, err
	}
	if from = strings.TrimSpace(from); from == "" {
		from = c.Str("signed_on")
	}
	if from == "" {
		from = s.today()
	}
	return crm.SplitPlan(c.Int("amount"), from, parts)
}
