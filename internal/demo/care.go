package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/6tail/lunar-go/calendar"

	"closeloop/internal/access"
	"closeloop/internal/care"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
)

// The care part of the demo: care rules for the holidays (春节, 元宵, 端午,
// 中秋, 重阳 by the lunar calendar; 元旦, 国庆; some for key customers only,
// A-level birthdays greeted by themselves), a few contacts of every rep
// with a birthday in the coming days — solar, and lunar ones converted
// from the lunar calendar — the day's care list planned by the job's own
// code, and one opportunity raised from a care reminder.

var demoCareRules = []struct {
	name, kind, holiday string
	levels              []string
	auto                bool
}{
	{"春节问候", crm.CareRuleHoliday, crm.HolidaySpringFestival, nil, false},
	{"元宵节问候（重点客户）", crm.CareRuleHoliday, crm.HolidayLantern, []string{"A"}, false},
	{"端午节问候", crm.CareRuleHoliday, crm.HolidayDragonBoat, []string{"A", "B"}, false},
	{"中秋节问候", crm.CareRuleHoliday, crm.HolidayMidAutumn, nil, false},
	{"重阳节问候（重点客户）", crm.CareRuleHoliday, crm.HolidayDoubleNinth, []string{"A"}, false},
	{"元旦问候", crm.CareRuleHoliday, crm.HolidayNewYear, []string{"A", "B"}, false},
	{"国庆节问候", crm.CareRuleHoliday, crm.HolidayNationalDay, []string{"A", "B", "C"}, false},
	{"重点客户生日自动祝福", crm.CareRuleBirthday, "", []string{"A"}, true},
}

func (l *loader) care(ctx context.Context, _ int) error {
	sys := access.SystemPrincipal()
	for _, r := range demoCareRules {
		rec := entity.Record{"name": r.name, "kind": r.kind, "auto_greeting": r.auto}
		if r.holiday != "" {
			rec["holiday"] = r.holiday
		}
		if len(r.levels) > 0 {
			rec["customer_levels"] = r.levels
		}
		if _, err := l.a.Records.Create(ctx, sys, "care_rule", rec); err != nil {
			return fmt.Errorf("care rule %s: %w", r.name, err)
		}
	}
	// Birthdays in the coming days: per owner, the first contacts get one
	// today, in 2 days (lunar) and in 4 days (solar).
	per := map[string]int{}
	for _, oc := range l.contacts {
		if oc.owner == nil || oc.rec.Bool("do_not_contact") {
			continue
		}
		n := per[oc.owner.id]
		if n >= 3 {
			continue
		}
		per[oc.owner.id] = n + 1
		day := l.today.AddDate(0, 0, []int{0, 2, 4}[n])
		year := 1965 + l.f.R.IntN(30)
		bd, cal := fmt.Sprintf("%04d-%02d-%02d", year, int(day.Month()), day.Day()), "solar"
		if n == 1 {
			ld := calendar.NewSolarFromYmd(day.Year(), int(day.Month()), day.Day()).GetLunar()
			m := ld.GetMonth()
			if m < 0 {
				m = -m // born in a leap month: kept in the ordinary month
			}
			bd, cal = fmt.Sprintf("%04d-%02d-%02d", year, m, ld.GetDay()), "lunar"
			if _, err := time.Parse(entity.DateLayout, bd); err != nil {
				continue // a lunar 2/30 has no date to store
			}
		}
		cur, err := l.a.Records.Get(ctx, sys, "contact", oc.rec.ID())
		if err != nil {
			return err
		}
		if _, err := l.a.Records.Update(ctx, sys, "contact", cur.ID(), cur.Version(), entity.Record{"birthday": bd, "birthday_calendar": cal}); err != nil {
			return fmt.Errorf("birthday of %s: %w", cur.Str("name"), err)
		}
	}
	if err := l.careSignals(ctx); err != nil {
		return fmt.Errorf("signals: %w", err)
	}
	if _, err := l.a.Care.Plan(ctx, l.now); err != nil {
		return err
	}
	// An opportunity raised from a care reminder (a contract anniversary
	// or a birthday call that turned up a need).
	for _, u := range l.o.all {
		if !u.p.HasRole(access.RoleSales) {
			continue
		}
		recs, err := l.a.Care.Mine(ctx, u.p, l.today.AddDate(0, 0, 7).Format(entity.DateLayout), 5)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			continue
		}
		opp, _, err := l.a.Care.Raise(ctx, u.p, "care_reminder", recs[len(recs)-1].ID(), care.RaiseInput{Name: "关怀回访发现扩容需求", Needs: "回访时客户提到明年二期产线需要增加检测工位。"})
		if err != nil {
			return fmt.Errorf("raise from care reminder: %w", err)
		}
		return l.raisedAgo(ctx, opp.ID(), 1)
	}
	return nil
}

// careSignals dates a few records of the sale so that the signals list and
// the care list have something to show: a delivery signed for a year ago
// (its warranty ends in a few days), a contract ending next week, an
// order of consumables four months old, and three tickets of one customer
// about one product (a repeated fault), one of them raising an
// opportunity.
func (l *loader) careSignals(ctx context.Context) error {
	db := l.a.DB.W()
	var dID, cust, product string
	err := db.QueryRowContext(ctx, `SELECT d.id, d.customer_id, l.product_id FROM deliveries d JOIN delivery_lines l ON l.delivery_id = d.id
		WHERE d.status IN ('signed', 'signed_with_issues') AND l.product_id IS NOT NULL ORDER BY d.number LIMIT 1`).Scan(&dID, &cust, &product)
	if err == nil {
		at := l.now.AddDate(-1, 0, 3)
		if _, err := db.ExecContext(ctx, `UPDATE deliveries SET signed_at = $1, delivered_at = $1, shipped_at = $1 WHERE id = $2`, at, dID); err != nil {
			return err
		}
	}
	var ctID string
	if err := db.QueryRowContext(ctx, `SELECT id FROM contracts WHERE status IN ('signed', 'in_execution') ORDER BY number LIMIT 1`).Scan(&ctID); err == nil {
		if _, err := db.ExecContext(ctx, `UPDATE contracts SET valid_to = $1 WHERE id = $2`, l.today.AddDate(0, 0, 5).Format(entity.DateLayout), ctID); err != nil {
			return err
		}
	}
	var oID string
	if err := db.QueryRowContext(ctx, `SELECT o.id FROM sales_orders o JOIN order_lines l ON l.order_id = o.id JOIN products p ON p.id = l.product_id
		WHERE p.category = 'material' AND o.status <> 'cancelled' ORDER BY o.number LIMIT 1`).Scan(&oID); err == nil {
		if _, err := db.ExecContext(ctx, `UPDATE sales_orders SET created_at = $1 WHERE id = $2`, l.now.AddDate(0, 0, -120), oID); err != nil {
			return err
		}
	}
	if cust == "" || l.a.DB.Schema().Entity("ticket") == nil {
		return nil
	}
	var agent *access.Principal
	for _, u := range l.o.all {
		if u.p.HasRole(access.RoleService) {
			agent = u.p
			break
		}
	}
	if agent == nil {
		agent = access.SystemPrincipal()
	}
	var first entity.Record
	for i, subj := range []string{"设备开机后报警 E21", "再次出现 E21 报警，停机两小时", "E21 报警第三次出现，客户要求彻底解决"} {
		t, err := l.a.Tickets.Create(ctx, agent, entity.Record{"subject": subj, "description": "产线上的设备反复出现同一报警，客户询问是否有升级型号。",
			"customer_id": cust, "product_id": product, "kind": crm.TicketRepair}, nil)
		if err != nil {
			return fmt.Errorf("ticket %d: %w", i+1, err)
		}
		if first == nil {
			first = t
		}
	}
	opp, _, err := l.a.Care.Raise(ctx, agent, "ticket", first.ID(), care.RaiseInput{Name: "E21 报警频发：升级新型号", Needs: "客户希望用新型号替换反复报警的设备。"})
	if err != nil {
		return err
	}
	return l.raisedAgo(ctx, opp.ID(), 2)
}

// raisedAgo dates an opportunity raised by the demo, and its lines of the
// customer report, days ago (like the rest of the pre-sales story).
func (l *loader) raisedAgo(ctx context.Context, oppID string, days float64) error {
	at := l.daysAgo(days)
	db := l.a.DB.W()
	if _, err := db.ExecContext(ctx, `UPDATE opportunities SET created_at = $1, updated_at = $1, stage_entered_at = $1 WHERE id = $2`, at, oppID); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `UPDATE stage_changes SET changed_at = $1, created_at = $1, updated_at = $1 WHERE opportunity_id = $2`, at, oppID); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, `UPDATE timeline SET at = $1 WHERE record_id = $2`, at, oppID)
	return err
}
