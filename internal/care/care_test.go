package care_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/care"
	"closeloop/internal/crm"
	"closeloop/internal/customers"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
)

var ctx = context.Background()

// day is 2 December 2026, 09:00 in Shanghai: lunar 10/24 of 2026.
var day = time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)

type env struct {
	*apptest.Fixture
	C    *care.Service
	Cust entity.Record
}

func newEnv(t *testing.T) *env {
	t.Helper()
	f := apptest.NewFixture(t)
	e := &env{Fixture: f, C: f.App.Care}
	e.C.SetClock(func() time.Time { return day })
	e.Cust = f.Customer(t, f.Rep1, "苏州汇川精工有限公司", "level", "A")
	return e
}

func (e *env) contact(t *testing.T, name, email, birthday, cal string, extra ...any) entity.Record {
	t.Helper()
	rec := entity.Record{"customer_id": e.Cust.ID(), "name": name, "email": email, "birthday": birthday, "birthday_calendar": cal}
	for i := 0; i+1 < len(extra); i += 2 {
		rec[extra[i].(string)] = extra[i+1]
	}
	c, err := e.App.Records.Create(ctx, e.Rep1, "contact", rec)
	if err != nil {
		t.Fatalf("contact %s: %v", name, err)
	}
	return c
}

func (e *env) rule(t *testing.T, name, kind, holiday string, levels []string, auto bool) {
	t.Helper()
	rec := entity.Record{"name": name, "kind": kind, "auto_greeting": auto}
	if holiday != "" {
		rec["holiday"] = holiday
	}
	if len(levels) > 0 {
		rec["customer_levels"] = levels
	}
	if _, err := e.App.Records.Create(ctx, e.Admin, "care_rule", rec); err != nil {
		t.Fatalf("rule %s: %v", name, err)
	}
}

// contract writes a signed contract straight into its table (the contract
// process is another part's).
func (e *env) contract(t *testing.T, number, signedOn, validTo string) string {
	t.Helper()
	id, now := store.NewID(), time.Now().UTC()
	_, err := e.App.DB.W().ExecContext(ctx, `INSERT INTO contracts (id, number, title, customer_id, status, amount, currency, signed_on, valid_to, version, created_at, updated_at, owner_id, team_id)
		VALUES ($1, $2, '年度维保合同', $3, 'in_execution', 0, 'CNY', $4, $5, 1, $6, $6, $7, $8)`,
		id, number, e.Cust.ID(), signedOn, validTo, now, e.Rep1.UserID, e.NorthSales)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type row struct{ kind, date, contact, owner string }

func (e *env) reminders(t *testing.T) map[string]row {
	t.Helper()
	rows, err := e.DB().R().QueryContext(ctx, `SELECT unique_key, kind, date, coalesce(CAST(contact_id AS TEXT), ''), coalesce(CAST(owner_id AS TEXT), '') FROM care_reminders`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]row{}
	for rows.Next() {
		var k string
		var r row
		var d any
		if err := rows.Scan(&k, &r.kind, &d, &r.contact, &r.owner); err != nil {
			t.Fatal(err)
		}
		switch v := d.(type) {
		case string:
			r.date = v[:10]
		case time.Time:
			r.date = v.Format("2006-01-02")
		}
		out[k] = r
	}
	return out
}

func outbox(t *testing.T, f *apptest.Fixture) int {
	t.Helper()
	var n int
	if err := f.DB().R().QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox WHERE entity = 'care_reminder'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPlanBuildsTheOwnersListOnceAndGreetsByRule(t *testing.T) {
	e := newEnv(t)
	solar := e.contact(t, "王建国", "wangjg@example.com", "1975-12-05", "solar")
	lunar := e.contact(t, "刘淑芬", "liusf@example.com", "1968-10-24", "lunar") // lunar 10/24 = 2026-12-02
	dnc := e.contact(t, "陈立", "chenli@example.com", "1980-12-02", "solar")
	later := e.contact(t, "赵六", "zhao6@example.com", "1980-12-20", "solar") // beyond 7 days
	yes := true
	if _, err := e.App.Customers.RecordConsent(ctx, e.Rep1, dnc.ID(), customers.ConsentInput{DoNotContact: &yes, Method: "phone"}); err != nil {
		t.Fatal(err)
	}
	e.rule(t, "生日自动祝福", crm.CareRuleBirthday, "", nil, true)
	e.rule(t, "元旦问候（A 类）", crm.CareRuleHoliday, crm.HolidayNewYear, []string{"A"}, false) // not in window
	e.rule(t, "国庆", crm.CareRuleHoliday, crm.HolidayNationalDay, nil, false)              // not in window
	ct := e.contract(t, "HT-2024-001", "2024-12-06", "2026-12-08")

	res, err := e.C.Plan(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	got := e.reminders(t)
	want := map[string]row{
		crm.CareKey(crm.CareBirthday, solar.ID(), "2026-12-05"):    {crm.CareBirthday, "2026-12-05", solar.ID(), e.Rep1.UserID},
		crm.CareKey(crm.CareBirthday, lunar.ID(), "2026-12-02"):    {crm.CareBirthday, "2026-12-02", lunar.ID(), e.Rep1.UserID},
		crm.CareKey(crm.CareBirthday, dnc.ID(), "2026-12-02"):      {crm.CareBirthday, "2026-12-02", dnc.ID(), e.Rep1.UserID},
		crm.CareKey(crm.CareContractAnniversary, ct, "2026-12-06"): {crm.CareContractAnniversary, "2026-12-06", "", e.Rep1.UserID},
		crm.CareKey(crm.CareContractExpiry, ct, "2026-12-08"):      {crm.CareContractExpiry, "2026-12-08", "", e.Rep1.UserID},
	}
	if len(got) != len(want) {
		t.Fatalf("planned %d reminders: %v", len(got), got)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %+v, want %+v", k, got[k], w)
		}
	}
	_ = later
	// Today's birthdays are greeted by the rule: the lunar one, not the
	// do-not-contact one.
	if res.Created != 5 || res.Greeted != 1 || outbox(t, e.Fixture) != 1 {
		t.Fatalf("result %+v, outbox %d", res, outbox(t, e.Fixture))
	}
	var to string
	if err := e.DB().R().QueryRowContext(ctx, `SELECT to_addrs FROM mail_outbox WHERE entity = 'care_reminder'`).Scan(&to); err != nil {
		t.Fatal(err)
	}
	if want := `liusf@example.com`; !contains(to, want) {
		t.Fatalf("greeting went to %s", to)
	}
	// Again the same day, and the next: nothing twice.
	res, err = e.C.Plan(ctx, day)
	if err != nil || res.Created != 0 || res.Greeted != 0 || outbox(t, e.Fixture) != 1 {
		t.Fatalf("second run %+v %v, outbox %d", res, err, outbox(t, e.Fixture))
	}
	res, err = e.C.Plan(ctx, day.Add(24*time.Hour))
	if err != nil || res.Greeted != 0 || outbox(t, e.Fixture) != 1 {
		t.Fatalf("next day %+v %v, outbox %d", res, err, outbox(t, e.Fixture))
	}
	// A reminder deleted (to the trash) is not planned again.
	var id string
	var v int64
	if err := e.DB().R().QueryRowContext(ctx, `SELECT id, version FROM care_reminders WHERE unique_key = $1`, crm.CareKey(crm.CareBirthday, solar.ID(), "2026-12-05")).Scan(&id, &v); err != nil {
		t.Fatal(err)
	}
	if err := e.App.Records.Delete(ctx, e.Admin, "care_reminder", id, v); err != nil {
		t.Fatal(err)
	}
	if res, err := e.C.Plan(ctx, day); err != nil || res.Created != 0 {
		t.Fatalf("after delete %+v %v", res, err)
	}
}

func TestHolidayRulesByLevel(t *testing.T) {
	e := newEnv(t)
	b := e.Customer(t, e.Rep2, "无锡先导智能装备股份有限公司", "level", "B")
	e.contact(t, "王建国", "wangjg@example.com", "", "")
	e.rule(t, "元旦（A 类）", crm.CareRuleHoliday, crm.HolidayNewYear, []string{"A"}, false)
	e.rule(t, "春节", crm.CareRuleHoliday, crm.HolidaySpringFestival, nil, false)
	// 28 December: New Year's Day within 7 days; Spring Festival 2027 (6 Feb) not.
	at := time.Date(2026, 12, 28, 1, 0, 0, 0, time.UTC)
	if _, err := e.C.Plan(ctx, at); err != nil {
		t.Fatal(err)
	}
	got := e.reminders(t)
	if len(got) != 1 {
		t.Fatalf("planned %v", got)
	}
	for k, r := range got {
		if r.kind != crm.CareHoliday || r.date != "2027-01-01" || r.owner != e.Rep1.UserID || r.contact == "" {
			t.Fatalf("%s: %+v", k, r)
		}
	}
	_ = b
	// 1 February 2027: Spring Festival (6 Feb) for both levels.
	if _, err := e.C.Plan(ctx, time.Date(2027, 2, 1, 1, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range e.reminders(t) {
		if r.date == "2027-02-06" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("spring festival reminders: %d", n)
	}
}

func TestGreetingRespectsDoNotContactAndIsSentOnce(t *testing.T) {
	e := newEnv(t)
	ok := e.contact(t, "王建国", "wangjg@example.com", "1975-12-05", "solar")
	dnc := e.contact(t, "陈立", "chenli@example.com", "1980-12-04", "solar")
	yes := true
	if _, err := e.App.Customers.RecordConsent(ctx, e.Rep1, dnc.ID(), customers.ConsentInput{DoNotContact: &yes, Method: "phone"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.C.Plan(ctx, day); err != nil {
		t.Fatal(err)
	}
	id := func(contact string) string {
		var id string
		if err := e.DB().R().QueryRowContext(ctx, `SELECT id FROM care_reminders WHERE contact_id = $1`, contact).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	if _, err := e.C.SendGreeting(ctx, e.Rep1, id(dnc.ID())); errs.CodeOf(err) != "care_do_not_contact" {
		t.Fatalf("do-not-contact: %v", err)
	}
	if outbox(t, e.Fixture) != 0 {
		t.Fatal("mail to a do-not-contact contact")
	}
	// Another rep does not see the reminder.
	if _, err := e.C.SendGreeting(ctx, e.Rep2, id(ok.ID())); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("other rep: %v", err)
	}
	r, err := e.C.SendGreeting(ctx, e.Rep1, id(ok.ID()))
	if err != nil {
		t.Fatal(err)
	}
	if r.Str("status") != crm.CareDone || r["greeted_at"] == nil || outbox(t, e.Fixture) != 1 {
		t.Fatalf("after greeting: %s %v outbox %d", r.Str("status"), r["greeted_at"], outbox(t, e.Fixture))
	}
	var subject, body string
	if err := e.DB().R().QueryRowContext(ctx, `SELECT subject, text_body FROM mail_outbox WHERE entity = 'care_reminder'`).Scan(&subject, &body); err != nil {
		t.Fatal(err)
	}
	if !contains(subject, "生日") || !contains(body, "王建国") || !contains(body, "张伟") {
		t.Fatalf("greeting %q / %q", subject, body)
	}
	if _, err := e.C.SendGreeting(ctx, e.Rep1, id(ok.ID())); errs.CodeOf(err) != "care_already_greeted" {
		t.Fatalf("twice: %v", err)
	}
	if outbox(t, e.Fixture) != 1 {
		t.Fatal("sent twice")
	}
	// Skipping: only a pending one.
	if _, err := e.C.SetStatus(ctx, e.Rep1, id(ok.ID()), crm.CareSkipped, ""); errs.CodeOf(err) != "care_not_pending" {
		t.Fatalf("skip a done one: %v", err)
	}
	if r, err := e.C.SetStatus(ctx, e.Rep1, id(dnc.ID()), crm.CareSkipped, "客户不希望打扰"); err != nil || r.Str("status") != crm.CareSkipped {
		t.Fatalf("skip: %v", err)
	}
}

func TestRaiseOpportunityFromTicketAndReminder(t *testing.T) {
	e := newEnv(t)
	agent := e.AddUser(t, "周工", "zhougong@example.com", e.South, access.RoleService)
	tk, err := e.App.Tickets.Create(ctx, agent, entity.Record{"subject": "设备频繁报警", "description": "希望升级到新型号", "customer_id": e.Cust.ID()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.contact(t, "王建国", "wangjg@example.com", "1975-12-05", "solar")
	if _, err := e.C.Plan(ctx, day); err != nil {
		t.Fatal(err)
	}
	var remID string
	if err := e.DB().R().QueryRowContext(ctx, `SELECT id FROM care_reminders`).Scan(&remID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		p      *access.Principal
		entity string
		id     string
	}{
		{"agent on a ticket", agent, "ticket", tk.ID()},
		{"owner on a care reminder", e.Rep1, "care_reminder", remID},
	}
	for _, c := range cases {
		opp, origin, err := e.C.Raise(ctx, c.p, c.entity, c.id, care.RaiseInput{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if opp.Str("origin_entity") != c.entity || opp.Str("origin_id") != c.id || origin.Str("opportunity_id") != opp.ID() {
			t.Fatalf("%s: not linked both ways: %v / %v", c.name, opp, origin)
		}
		if opp.Str("owner_id") != e.Rep1.UserID || opp.Str("stage") == "" || opp.Str("customer_id") != e.Cust.ID() {
			t.Fatalf("%s: owner %s stage %s", c.name, opp.Str("owner_id"), opp.Str("stage"))
		}
		_, _, err = e.C.Raise(ctx, c.p, c.entity, c.id, care.RaiseInput{})
		var ee *errs.Error
		if !errors.As(err, &ee) || ee.Code != "opportunity_already_raised" || errs.KindOf(err) != errs.Conflict || ee.Args["opportunity_id"] != opp.ID() {
			t.Fatalf("%s twice: %v", c.name, err)
		}
	}
	// Another rep does not see rep 1's reminder (nor its customer).
	if _, _, err := e.C.Raise(ctx, e.Rep2, "care_reminder", remID, care.RaiseInput{}); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("other rep: %v", err)
	}
	if _, _, err := e.C.Raise(ctx, e.Rep1, "nothing", remID, care.RaiseInput{}); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("unknown origin: %v", err)
	}
	// The timeline has the raised opportunities.
	var n int
	if err := e.DB().R().QueryRowContext(ctx, `SELECT count(*) FROM timeline WHERE customer_id = $1 AND kind = 'opportunity_raised'`, e.Cust.ID()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("timeline events: %d", n)
	}
}

func TestSignalsOnlyForVisibleCustomers(t *testing.T) {
	e := newEnv(t)
	e.contract(t, "HT-2025-009", "2025-12-01", "2026-12-05")
	other := e.Customer(t, e.Rep2, "常州天合光能有限公司")
	e.Cust = other
	e.contract(t, "HT-2025-010", "2025-12-01", "2026-12-06")
	s1, err := e.C.Signals(ctx, e.Rep1, "", day)
	if err != nil {
		t.Fatal(err)
	}
	if len(s1) != 1 || s1[0].Kind != crm.SignalContract || s1[0].Date != "2026-12-05" {
		t.Fatalf("rep 1 signals: %+v", s1)
	}
	all, err := e.C.Signals(ctx, e.Manager, crm.SignalContract, day)
	if err != nil || len(all) != 2 {
		t.Fatalf("manager: %+v %v", all, err)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || len(s) >= len(sub) && (func() bool {
		for i := 0; i+len(sub) <= len(s); i++ {
			if s[i:i+len(sub)] == sub {
				return true
			}
		}
		return false
	})()
}

// sale writes an order with one line of product and, when signedAt is
// set, its delivery signed for then — straight into the tables (the
// fulfilment process is another part's).
func (e *env) sale(t *testing.T, productID string, orderedAt, signedAt time.Time) {
	t.Helper()
	db := e.App.DB.W()
	oid, lid, now := store.NewID(), store.NewID(), time.Now().UTC()
	if _, err := db.ExecContext(ctx, `INSERT INTO sales_orders (id, number, customer_id, status, currency, total, version, created_at, updated_at, owner_id, team_id)
		VALUES ($1, $2, $3, 'completed', 'CNY', 0, 1, $4, $4, $5, $6)`, oid, "SO-T-"+oid[len(oid)-6:], e.Cust.ID(), orderedAt, e.Rep1.UserID, e.NorthSales); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO order_lines (id, order_id, position, product_id, name, quantity, unit_price, line_total, reserved_qty, delivered_qty, version, created_at, updated_at, customer_id)
		VALUES ($1, $2, 1, $3, '货品', 1, 0, 0, 0, 1, 1, $4, $4, $5)`, lid, oid, productID, now, e.Cust.ID()); err != nil {
		t.Fatal(err)
	}
	if signedAt.IsZero() {
		return
	}
	did := store.NewID()
	if _, err := db.ExecContext(ctx, `INSERT INTO deliveries (id, number, order_id, customer_id, status, has_issues, signed_at, delivered_at, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'signed', FALSE, $5, $5, 1, $6, $6)`, did, "FH-T-"+did[len(did)-6:], oid, e.Cust.ID(), signedAt, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO delivery_lines (id, delivery_id, order_id, customer_id, order_line_id, position, product_id, name, quantity, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 1, $6, '货品', 1, 1, $7, $7)`, store.NewID(), did, oid, e.Cust.ID(), lid, productID, now); err != nil {
		t.Fatal(err)
	}
}

func TestWarrantyAndConsumables(t *testing.T) {
	e := newEnv(t)
	sys := access.SystemPrincipal()
	prod := func(sku, category string, months int64) string {
		p, err := e.App.Records.Create(ctx, sys, "product", entity.Record{"sku": sku, "name": sku, "unit": "台", "kind": "goods", "category": category, "list_price": int64(1000)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.App.DB.W().ExecContext(ctx, `UPDATE products SET warranty_months = $1 WHERE id = $2`, months, p.ID()); err != nil {
			t.Fatal(err)
		}
		return p.ID()
	}
	sensor, cabinet, resin := prod("SEN", "hardware", 12), prod("CAB", "hardware", 24), prod("RESIN", "material", 0)
	// Signed for on 6 Dec 2025 (Shanghai): 12 months end on 5 Dec 2026, within 7 days.
	e.sale(t, sensor, day.AddDate(-1, 0, -10), time.Date(2025, 12, 6, 2, 0, 0, 0, time.UTC))
	// 24 months: ends in Dec 2027, not now.
	e.sale(t, cabinet, day.AddDate(-1, 0, -10), time.Date(2025, 12, 6, 2, 0, 0, 0, time.UTC))
	// Resin last ordered 120 days ago: due (90 by default).
	e.sale(t, resin, day.AddDate(0, 0, -120), time.Time{})
	if _, err := e.C.Plan(ctx, day); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range e.reminders(t) {
		if r.kind == crm.CareWarrantyExpiry {
			n++
			if r.date != "2026-12-05" {
				t.Fatalf("warranty reminder on %s", r.date)
			}
		}
	}
	if n != 1 {
		t.Fatalf("warranty reminders: %d", n)
	}
	sig, err := e.C.Signals(ctx, e.Rep1, "", day)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, s := range sig {
		kinds[s.Kind]++
	}
	if kinds[crm.SignalWarranty] != 1 || kinds[crm.SignalConsumables] != 1 || len(sig) != 2 {
		t.Fatalf("signals %+v", sig)
	}
	if other, err := e.C.Signals(ctx, e.Rep2, "", day); err != nil || len(other) != 0 {
		t.Fatalf("rep 2 sees %+v %v", other, err)
	}
	// Three tickets on the sensor within 90 days: a repeated fault.
	for i := 0; i < crm.RepeatedFaultTickets; i++ {
		if _, err := e.App.Tickets.Create(ctx, e.Rep1, entity.Record{"subject": "报警", "description": "E21", "customer_id": e.Cust.ID(), "product_id": sensor}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if sig, err := e.C.Signals(ctx, e.Rep1, crm.SignalRepeated, day); err != nil || len(sig) != 1 || sig[0].Count != 3 || sig[0].ProductID != sensor {
		t.Fatalf("repeated faults %+v %v", sig, err)
	}
	// A newer order of the resin: no longer due.
	e.sale(t, resin, day.AddDate(0, 0, -10), time.Time{})
	if sig, _ := e.C.Signals(ctx, e.Rep1, crm.SignalConsumables, day); len(sig) != 0 {
		t.Fatalf("consumables after a new order: %+v", sig)
	}
}
