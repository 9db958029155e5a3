package demo

import (
	"context"
	"fmt"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/customers"
	"closeloop/internal/demo/zhdata"
	"closeloop/internal/entity"
	"closeloop/internal/store"
)

var allSources = []string{"exhibition", "referral", "web", "patent", "journal", "news", "conference", "association", "ad", "phone", "other"}

// leadPlan is what happens to a lead after it is captured.
type leadPlan int

const (
	leadOpen leadPlan = iota
	leadNearPool
	leadConvert
	leadDisqualify
)

// leads captures leads from every source: each rep's own (some converted
// through the conversion process so their history follows, some
// disqualified with a reason) and unowned ones in the pool.
func (l *loader) leads(ctx context.Context, _ int) error {
	k := 0
	for ri, rep := range l.o.reps {
		plans := []leadPlan{leadConvert, leadConvert, leadConvert, leadDisqualify, leadDisqualify, leadOpen, leadOpen, leadOpen, leadOpen, leadOpen, leadOpen}
		if ri%2 == 0 {
			plans[5] = leadNearPool
		}
		var convert []string
		err := l.a.DB.WriteAlone(ctx, func(tx *store.Tx) error {
			convert = convert[:0]
			for _, pl := range plans {
				id, err := l.createLead(ctx, tx, rep.p, rep.macro, allSources[k%len(allSources)], pl)
				if err != nil {
					return err
				}
				k++
				switch pl {
				case leadConvert:
					convert = append(convert, id)
				case leadDisqualify:
					reason := zhdata.One(l.f, []string{"no_need", "no_budget", "unreachable", "competitor", "duplicate"})
					if _, err := l.a.Records.UpdateTx(ctx, tx, rep.p, "lead", id, 1, entity.Record{"status": crm.LeadDisqualified, "disqualify_reason": reason}); err != nil {
						return fmt.Errorf("disqualify: %w", err)
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("rep %s: %w", rep.email, err)
		}
		for _, id := range convert {
			if err := l.convert(ctx, rep, id); err != nil {
				return err
			}
		}
	}
	// Unowned leads wait in the pool (公海): captured at exhibitions and
	// from the web by the regional managers.
	for _, macro := range []string{"华北", "华东", "华南"} {
		mgr := l.o.managers[macro]
		err := l.a.DB.WriteAlone(ctx, func(tx *store.Tx) error {
			for range 8 {
				if _, err := l.createLead(ctx, tx, mgr.p, macro, zhdata.One(l.f, []string{"exhibition", "web", "ad", "phone"}), leadOpen); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) createLead(ctx context.Context, tx *store.Tx, p *access.Principal, macro, source string, plan leadPlan) (string, error) {
	f := l.f
	city := zhdata.One(f, citiesOf(macro))
	ind := f.Industry()
	ps := f.Person()
	job := f.Job(f.Chance(0.4))
	status := zhdata.One(f, []string{crm.LeadNew, crm.LeadContacted, crm.LeadContacted, crm.LeadQualified})
	rec := entity.Record{"name": ps.Name(), "title": job.Title, "phone": l.mobile(), "source": source, "status": status,
		"industry": ind, "region": city.Region()}
	var co zhdata.Company
	for {
		co = f.Company(ind, city)
		if n := crm.NormalizeCompany(co.Name); !l.norms[n] {
			l.norms[n] = true
			break
		}
	}
	rec["company"] = co.Name
	if f.Chance(0.5) {
		rec["email"] = f.Email(ps, f.Domain(co))
	}
	if f.Chance(0.4) {
		rec["wechat"] = f.WeChat(ps)
	}
	if f.Chance(0.4) {
		rec["address"] = f.Address(city)
	}
	rec["notes"] = f.LeadNote()
	pooled := !p.HasRole(access.RoleSales)
	if pooled {
		rec["owner_id"] = "" // into the pool
		rec["status"] = crm.LeadNew
	}
	// When it came in and when it was last followed up (an open lead
	// untouched for 14 days falls back to the pool).
	var created time.Time
	var acts []time.Time
	switch plan {
	case leadNearPool:
		created = l.daysAgo(l.rnd(14, 30))
		acts = []time.Time{l.daysAgo(12 + l.rnd(0, 0.3))}
	case leadConvert:
		created = l.daysAgo(l.rnd(20, 60))
		for range 1 + f.R.IntN(3) {
			acts = append(acts, l.daysAgo(l.rnd(9, 19)))
		}
	case leadDisqualify:
		created = l.daysAgo(l.rnd(15, 90))
		acts = []time.Time{created.Add(48 * time.Hour)}
	default:
		if pooled {
			created = l.daysAgo(l.rnd(1, 60))
		} else if f.Chance(0.4) {
			created = l.daysAgo(l.rnd(0.2, 9))
		} else {
			created = l.daysAgo(l.rnd(10, 40))
			acts = []time.Time{l.daysAgo(l.rnd(0.2, 9))}
		}
	}
	lead, err := l.a.Records.CreateTx(ctx, tx, p, "lead", rec)
	if err != nil {
		return "", fmt.Errorf("lead %s: %w", rec.Str("name"), err)
	}
	l.setCreated("leads", lead.ID(), created)
	sortTimes(acts)
	for i, t := range acts {
		kind := zhdata.One(f, []string{"call", "call", "email", "visit"})
		subject, summary, next := f.Activity(kind, ps.Name())
		a := entity.Record{"kind": kind, "subject": subject, "summary": summary, "occurred_at": entity.CanonTime(workHours(t, l.a.Loc)), "lead_id": lead.ID()}
		if i == len(acts)-1 && plan != leadDisqualify {
			a["next_step"], a["next_step_due"] = next, l.today.AddDate(0, 0, f.R.IntN(5)).Format(entity.DateLayout)
		}
		act, err := l.a.Records.CreateTx(ctx, tx, p, "activity", a)
		if err != nil {
			return "", fmt.Errorf("lead activity: %w", err)
		}
		l.setCreated("activities", act.ID(), a.Time("occurred_at"))
	}
	return lead.ID(), nil
}

// convert runs the conversion process, then logs the first visit on the
// new customer.
func (l *loader) convert(ctx context.Context, rep *user, leadID string) error {
	f := l.f
	res, err := l.a.Customers.Convert(ctx, rep.p, leadID, customers.ConvertInput{
		Customer: entity.Record{"level": f.Pick(zhdata.LevelWeights)},
		Contact:  entity.Record{"decision_role": zhdata.One(f, []string{"decision_maker", "technical_lead", "purchaser"})},
	})
	if err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	at := l.daysAgo(l.rnd(1, 8))
	l.setCreated("customers", res.CustomerID, at)
	l.setCreated("contacts", res.ContactID, at)
	l.conversions = append(l.conversions, conversion{leadID: leadID, customerID: res.CustomerID, at: at})
	subject, summary, next := f.Activity("visit", "")
	_, err = l.a.Records.Create(ctx, rep.p, "activity", entity.Record{"kind": "visit", "subject": subject, "summary": summary,
		"occurred_at": entity.CanonTime(workHours(l.daysAgo(l.rnd(0.2, 1)), l.a.Loc)), "customer_id": res.CustomerID, "contact_id": res.ContactID,
		"next_step": next, "next_step_due": l.today.AddDate(0, 0, 2+f.R.IntN(10)).Format(entity.DateLayout)})
	return err
}

type conversion struct {
	leadID, customerID string
	at                 time.Time
}
