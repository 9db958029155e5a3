package demo

import (
	"context"
	"fmt"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/customers"
	"closeloop/internal/demo/zhdata"
	"closeloop/internal/store"
)

// consents records what some contacts said about marketing: a few asked
// not to be contacted (勿扰), more agreed to receive news.
func (l *loader) consents(ctx context.Context, _ int) error {
	yes := true
	for i, oc := range l.contacts {
		var in customers.ConsentInput
		switch {
		case i%23 == 7:
			in = customers.ConsentInput{Consent: crm.ConsentWithdrawn, DoNotContact: &yes, Method: zhdata.One(l.f, []string{"phone", "email"}),
				Note: zhdata.One(l.f, []string{"客户明确表示不希望接收营销短信和电话。", "对方要求从邮件列表中删除。", "采购负责人要求只通过招标平台联系。"})}
		case i%7 == 3:
			in = customers.ConsentInput{Consent: crm.ConsentGranted, Method: zhdata.One(l.f, []string{"form", "in_person", "email"}),
				Note: zhdata.One(l.f, []string{"展会登记时勾选同意接收产品资讯。", "拜访时口头同意订阅技术通讯。", ""})}
		default:
			continue
		}
		if _, err := l.a.Customers.RecordConsent(ctx, oc.owner.p, oc.rec.ID(), in); err != nil {
			return fmt.Errorf("contact %s: %w", oc.rec.Str("name"), err)
		}
	}
	return nil
}

var releaseReasons = []string{"no_progress", "not_my_area", "no_need", "handover"}

// releases returns some customers to the pool with a reason, as reps do
// when a customer goes nowhere or is outside their area.
func (l *loader) releases(ctx context.Context, _ int) error {
	n := 0
	for ri, rep := range l.o.reps {
		if ri%4 == 3 {
			continue
		}
		cs := l.custs[rep.id]
		for i := len(cs) - 1; i >= 0; i-- {
			c := cs[i]
			if l.keep[c.ID()] || c.Str("status") == crm.StatusWon {
				continue
			}
			if _, err := l.a.Customers.Release(ctx, rep.p, "customer", c.ID(), releaseReasons[n%len(releaseReasons)]); err != nil {
				return fmt.Errorf("release %s: %w", c.Str("name"), err)
			}
			n++
			break
		}
	}
	return nil
}

// backdate moves creation times into the past. The services stamp "now"
// on every create, which would make a demo whose whole history happened in
// the last second; activities already carry their real occurred_at (the
// service accepts past times), so only created_at/updated_at of the
// records and the time of their creation events on the timeline are
// rewritten, with plain UPDATEs after the fact. The audit log keeps the
// real load time: it is append-only by design. Pool deadlines depend on
// creation times, so they are recomputed afterwards by the product's own
// rule engine (saving the unchanged pool configuration).
func (l *loader) backdate(ctx context.Context, _ int) error {
	err := l.a.DB.WriteAlone(ctx, func(tx *store.Tx) error {
		for _, table := range []string{"customers", "contacts", "leads", "activities"} {
			for id, at := range l.created[table] {
				at = at.UTC()
				updated := at
				if table == "customers" || table == "leads" {
					// Edited now and then since.
					updated = at.Add(time.Duration(l.f.R.Int64N(int64(max(l.now.Sub(at), time.Hour)))))
				}
				// Records changed by a process since (consent, release,
				// conversion) keep their real update time.
				if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET created_at = $1,
					updated_at = CASE WHEN version > 1 THEN updated_at ELSE $2 END WHERE id = $3`, at, updated, id); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE timeline SET at = $1 WHERE record_id = $2 AND kind IN ('created', 'contact_added', 'lead_created')`, at, id); err != nil {
					return err
				}
			}
		}
		for _, c := range l.conversions {
			at := c.at.UTC()
			if _, err := tx.ExecContext(ctx, `UPDATE leads SET converted_at = $1, updated_at = $1 WHERE id = $2`, at, c.leadID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE timeline SET at = $1 WHERE record_id = $2 AND kind = 'converted'`, at, c.leadID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	rules, settings, err := l.a.Customers.PoolRules(ctx, l.a.DB.R())
	if err != nil {
		return err
	}
	return l.a.Customers.SavePoolConfig(ctx, l.o.admin.p, customers.PoolConfig{Rules: rules, Settings: settings})
}
