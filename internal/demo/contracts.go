package demo

import (
	"context"
	"fmt"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/contracts"
	"closeloop/internal/crm"
	"closeloop/internal/demo/zhdata"
	"closeloop/internal/entity"
	"closeloop/internal/store"
)

// The contracts part of the demo: every won deal gets its contract — from
// the accepted quote when the quotes part left one, typed directly
// otherwise — with its buying unit and a competitor recorded on the deal,
// a payment plan split 30/60/10 (or 30/70), every term confirmed, the
// delivery and after-sales owners named, and the signing, which writes
// the hand-over. Some hand-overs are acknowledged by both recipients,
// some by one, some by nobody yet (they show on the recipients' home
// pages), one was revised after it was read; some contracts are in
// execution. One deal in negotiation has a draft half confirmed. All
// through the services, dated afterwards like the rest.

var (
	demoScopes = []string{"软件许可、实施与培训，含与现有 ERP 的接口开发。", "硬件供货、安装调试及操作培训，含备品备件一套。",
		"系统设计、设备集成、现场调试与 3 个月试运行保障。"}
	demoDelivery = []string{"合同签订后 45 天内完成到货，60 天内安装调试完毕。", "分两批交付：首批 30 天，二批 75 天。", "合同签订后 90 天内上线试运行。"}
	demoTerms    = []string{"验收标准：连续稳定运行 30 天，关键指标达到技术协议要求。\n质保期：验收合格后 24 个月，4 小时响应、24 小时到场。",
		"验收以双方签字的验收报告为准。\n质保期 12 个月，质保期内免费更换故障部件。", "分阶段验收：到货验收、初验、终验。\n质保 36 个月，每年两次免费巡检。"}
	demoSpecial = []string{"客户要求夜间施工，白天不得影响生产。", "现场需遵守客户洁净车间管理规定，进场人员需提前报备。", "", "数据须部署在客户本地机房，不得上云。"}
	demoRisks   = []string{"客户 IT 人手紧张，上线窗口需提前两周预约。", "客户采购流程较长，到货款可能延迟。"}
)

func (l *loader) contracts(ctx context.Context, _ int) error {
	if l.a.Contracts == nil {
		return nil
	}
	f := zhdata.New(Seed, 12)
	var delivery, service []*user
	for _, u := range l.o.all {
		switch u.roles[0] {
		case access.RoleDelivery:
			delivery = append(delivery, u)
		case access.RoleService:
			service = append(service, u)
		}
	}
	if len(delivery) == 0 || len(service) == 0 {
		return nil
	}
	reps := map[string]*user{}
	for _, r := range l.o.reps {
		reps[r.id] = r
	}
	oe := l.a.DB.Schema().Entity("opportunity")
	won, err := l.a.DB.ListWhere(ctx, oe, "t.status = $1 AND t.deleted_at IS NULL", []any{crm.OppWon}, "t.closed_at, t.id", 12)
	if err != nil {
		return err
	}
	comps, err := l.demoCompetitors(ctx)
	if err != nil {
		return err
	}
	var moments []moment
	for i, opp := range won {
		rep := reps[opp.Str("owner_id")]
		if rep == nil {
			continue
		}
		if err := l.buyingUnit(ctx, rep, opp, comps, i, f); err != nil {
			return fmt.Errorf("buying unit of %s: %w", opp.Str("name"), err)
		}
		c, err := l.demoContract(ctx, rep, opp, i, f)
		if err != nil {
			return fmt.Errorf("contract of %s: %w", opp.Str("name"), err)
		}
		d, s := delivery[i%len(delivery)], service[i%len(service)]
		if c, err = l.a.Records.Update(ctx, rep.p, "contract", c.ID(), 0, entity.Record{"delivery_owner_id": d.id, "service_owner_id": s.id}); err != nil {
			return err
		}
		signed := opp.Time("closed_at")
		if signed.IsZero() || signed.After(l.now) {
			signed = l.daysAgo(l.rnd(5, 40))
		}
		on := signed.In(l.a.Loc).Format(entity.DateLayout)
		parts := []crm.PlanPart{{PercentBP: 3000, Days: 7, Condition: "合同签订后 7 日内"}, {PercentBP: 6000, Days: 75, Condition: "到货验收后 15 日内"},
			{PercentBP: 1000, Days: 440, Condition: "质保期满无质量问题"}}
		if i%3 == 1 {
			parts = []crm.PlanPart{{PercentBP: 3000, Days: 10, Condition: "合同签订后 10 日内"}, {PercentBP: 7000, Days: 100, Condition: "终验合格后 30 日内"}}
		}
		rows, err := l.a.Contracts.ProposePlan(ctx, rep.p, c.ID(), on, parts)
		if err != nil {
			return err
		}
		if _, err := l.a.Contracts.ReplacePlan(ctx, rep.p, c.ID(), 0, rows); err != nil {
			return err
		}
		for _, o := range crm.ContractTermItems {
			if _, err := l.a.Contracts.ConfirmTerm(ctx, rep.p, c.ID(), 0, o.Code, true); err != nil {
				return err
			}
		}
		if c, err = l.a.Contracts.Sign(ctx, rep.p, c.ID(), contracts.SignInput{SignedOn: on}); err != nil {
			return fmt.Errorf("sign %s: %w", c.Str("number"), err)
		}
		h, err := l.a.Contracts.HandoverOf(ctx, rep.p, c.ID())
		if err != nil {
			return err
		}
		moments = append(moments, moment{"contracts", c.ID(), signed.Add(-time.Duration(l.rnd(3, 12) * float64(24*time.Hour)))}, moment{"handovers", h.ID(), signed},
			moment{"signed", c.ID(), signed})
		switch i % 4 {
		case 0: // both read it
			for _, u := range []*user{d, s} {
				if _, err := l.a.Contracts.Acknowledge(ctx, u.p, h.ID(), 0, zhdata.One(f, []string{"已阅，已安排实施团队。", "已知悉，售后档案已建立。", ""})); err != nil {
					return err
				}
			}
			if i%8 == 0 {
				if _, err := l.a.Contracts.Start(ctx, rep.p, c.ID(), 0); err != nil {
					return err
				}
			}
		case 1: // delivery read it, after-sales not yet
			if _, err := l.a.Contracts.Acknowledge(ctx, d.p, h.ID(), 0, "已阅，排产中。"); err != nil {
				return err
			}
		case 2: // read, then revised by the rep: asked again
			if _, err := l.a.Contracts.Acknowledge(ctx, d.p, h.ID(), 0, ""); err != nil {
				return err
			}
			if _, err := l.a.Records.Update(ctx, rep.p, "handover", h.ID(), 0, entity.Record{"risks": zhdata.One(f, demoRisks),
				"other_promises": "口头承诺：首年免费巡检两次。\n\n上线首月安排工程师驻场。"}); err != nil {
				return err
			}
		default: // nobody yet: on both home pages
		}
	}
	if err := l.draftContract(ctx, reps, comps, f); err != nil {
		return err
	}
	return l.a.DB.WriteAlone(ctx, func(tx *store.Tx) error {
		for _, m := range moments {
			at := m.at.UTC()
			kinds := "('contract_created', 'contract_created_from_quote')"
			switch m.table {
			case "signed":
				kinds = "('contract_signed')"
			case "handovers":
				kinds = "('handover_written')"
			}
			if m.table != "signed" {
				if _, err := tx.ExecContext(ctx, `UPDATE `+m.table+` SET created_at = $1 WHERE id = $2`, at, m.id); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE timeline SET at = $1 WHERE record_id = $2 AND kind IN `+kinds, at, m.id); err != nil {
				return err
			}
			if m.table == "signed" {
				// Signing won a deal still open: it was won that day.
				for _, q := range []string{
					`UPDATE timeline SET at = $1 WHERE kind = 'opportunity_won' AND at > $1 AND record_id = (SELECT CAST(opportunity_id AS TEXT) FROM contracts WHERE id = $2)`,
					`UPDATE opportunities SET closed_at = $1 WHERE closed_at > $1 AND id = (SELECT opportunity_id FROM contracts WHERE id = $2)`,
				} {
					if _, err := tx.ExecContext(ctx, q, at, m.id); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

// demoCompetitors are the competitor records deals name.
func (l *loader) demoCompetitors(ctx context.Context) ([]string, error) {
	var ids []string
	for _, name := range winners[:4] {
		r, err := l.a.Records.Create(ctx, l.o.admin.p, "competitor", entity.Record{"name": name})
		if err != nil {
			return nil, err
		}
		ids = append(ids, r.ID())
	}
	return ids, nil
}

// buyingUnit records the deal's contacts with their roles and a
// competitor met, when the deal has none yet.
func (l *loader) buyingUnit(ctx context.Context, rep *user, opp entity.Record, comps []string, i int, f *zhdata.Faker) error {
	var n int
	if err := l.a.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM opportunity_contacts WHERE opportunity_id = $1 AND deleted_at IS NULL`, opp.ID()).Scan(&n); err != nil || n > 0 {
		return err
	}
	ce := l.a.DB.Schema().Entity("contact")
	cts, err := l.a.DB.ListWhere(ctx, ce, "t.customer_id = $1 AND t.deleted_at IS NULL", []any{opp.Str("customer_id")}, "t.is_primary DESC, t.created_at, t.id", 3)
	if err != nil {
		return err
	}
	roles := []string{"decision_maker", "technical_lead", "purchaser"}
	attitudes := []string{"supporter", "neutral", "neutral"}
	if i%5 == 3 {
		attitudes[1] = "opponent"
	}
	for j, ct := range cts {
		if _, err := l.a.Records.Create(ctx, rep.p, "opportunity_contact", entity.Record{"opportunity_id": opp.ID(), "contact_id": ct.ID(),
			"role": roles[j], "is_primary": j == 0, "attitude": attitudes[j]}); err != nil {
			return err
		}
	}
	threat := []string{"high", "medium", "low"}[i%3]
	_, err = l.a.Records.Create(ctx, rep.p, "opportunity_competitor", entity.Record{"opportunity_id": opp.ID(), "competitor_id": comps[i%len(comps)],
		"threat": threat, "price_position": zhdata.One(f, []string{"higher", "similar", "lower"}),
		"strengths":  zhdata.One(f, []string{"品牌知名度高，客户高层认可。", "价格低约 10%。", "本地服务团队响应快。"}),
		"weaknesses": zhdata.One(f, []string{"定制化能力弱，交付周期长。", "售后依赖代理商。", "缺少同行业案例。"})})
	return err
}

// demoContract makes the deal's contract: from its accepted quote when
// there is one, typed directly otherwise.
func (l *loader) demoContract(ctx context.Context, rep *user, opp entity.Record, i int, f *zhdata.Faker) (entity.Record, error) {
	ids, err := store.Strings(ctx, l.a.DB.R(), `SELECT id FROM quotes WHERE opportunity_id = $1 AND status = $2 AND deleted_at IS NULL ORDER BY updated_at DESC LIMIT 1`, opp.ID(), crm.QuoteAccepted)
	if err != nil {
		return nil, err
	}
	var c entity.Record
	if len(ids) > 0 {
		if c, err = l.a.Contracts.CreateFromQuote(ctx, rep.p, ids[0], contracts.FromQuote{}); err != nil {
			return nil, err
		}
	} else {
		amount := opp.Int("amount")
		if amount <= 0 {
			amount = int64(20+f.R.IntN(60)) * 10_000 * 100
		}
		rec := entity.Record{"title": opp.Str("name") + "合同", "customer_id": opp.Str("customer_id"), "opportunity_id": opp.ID(), "amount": amount,
			"currency": "CNY", "party_b": "华东科技集团有限公司", "payment_method": zhdata.One(f, []string{"bank_transfer", "bank_transfer", "acceptance_bill"}),
			"delivery_terms": demoDelivery[i%len(demoDelivery)], "scope": demoScopes[i%len(demoScopes)], "terms": demoTerms[i%len(demoTerms)]}
		if c, err = l.a.Records.Create(ctx, rep.p, "contract", rec); err != nil {
			return nil, err
		}
	}
	set := entity.Record{"warranty_until": l.today.AddDate(2, 0, 0).Format(entity.DateLayout), "valid_to": l.today.AddDate(1, 0, 0).Format(entity.DateLayout)}
	if c.Str("signer_contact_id") == "" {
		signers, err := store.Strings(ctx, l.a.DB.R(), `SELECT contact_id FROM opportunity_contacts WHERE opportunity_id = $1 AND deleted_at IS NULL ORDER BY is_primary DESC, id LIMIT 1`, opp.ID())
		if err != nil {
			return nil, err
		}
		if len(signers) == 0 {
			signers, err = store.Strings(ctx, l.a.DB.R(), `SELECT id FROM contacts WHERE customer_id = $1 AND deleted_at IS NULL ORDER BY id LIMIT 1`, opp.Str("customer_id"))
			if err != nil {
				return nil, err
			}
		}
		if len(signers) > 0 {
			set["signer_contact_id"] = signers[0]
		}
	}
	if sp := demoSpecial[i%len(demoSpecial)]; sp != "" {
		set["special_requirements"] = sp
	}
	return l.a.Records.Update(ctx, rep.p, "contract", c.ID(), 0, set)
}

// draftContract leaves one contract of a deal in negotiation half
// confirmed, to show the checklist at work.
func (l *loader) draftContract(ctx context.Context, reps map[string]*user, comps []string, f *zhdata.Faker) error {
	oe := l.a.DB.Schema().Entity("opportunity")
	open, err := l.a.DB.ListWhere(ctx, oe, "t.status = $1 AND t.stage IN ('negotiation', 'bid_review', 'bidding', 'tender') AND t.deleted_at IS NULL", []any{crm.OppOpen}, "t.stage, t.id", 1)
	if err == nil && len(open) == 0 {
		open, err = l.a.DB.ListWhere(ctx, oe, "t.status = $1 AND t.deleted_at IS NULL", []any{crm.OppOpen}, "t.id", 1)
	}
	if err != nil || len(open) == 0 {
		return err
	}
	opp := open[0]
	rep := reps[opp.Str("owner_id")]
	if rep == nil {
		return nil
	}
	if err := l.buyingUnit(ctx, rep, opp, comps, 1, f); err != nil {
		return err
	}
	c, err := l.demoContract(ctx, rep, opp, 0, f)
	if err != nil {
		return err
	}
	rows, err := l.a.Contracts.ProposePlan(ctx, rep.p, c.ID(), "", []crm.PlanPart{{PercentBP: 3000, Days: 7}, {PercentBP: 6000, Days: 60}, {PercentBP: 1000, Days: 400}})
	if err != nil {
		return err
	}
	if _, err := l.a.Contracts.ReplacePlan(ctx, rep.p, c.ID(), 0, rows); err != nil {
		return err
	}
	for _, it := range []string{"price", "scope", "payment"} {
		if _, err := l.a.Contracts.ConfirmTerm(ctx, rep.p, c.ID(), 0, it, true); err != nil {
			return err
		}
	}
	return nil
}
