package demo_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/demo"
	"closeloop/internal/records"
)

func TestLoad(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t)
	start := time.Now()
	info, err := demo.Load(ctx, a, demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded in %s: %+v", time.Since(start).Round(time.Millisecond), info)
	if info.Customers < 280 || info.Contacts < info.Customers || info.Leads < 140 || info.Activities < 1200 {
		t.Fatalf("counts: %+v", info)
	}
	if len(info.Emails) < 15 || info.Emails[0] != "zhou.min@"+demo.MailDomain {
		t.Fatalf("emails: %v", info.Emails)
	}
	if _, err := demo.Load(ctx, a, demo.Options{}); err == nil {
		t.Fatal("a second load into a non-empty database was accepted")
	}
	checkPresalesDemo(t, a)
	checkQuotesDemo(t, a)
	checkContractsDemo(t, a)
	checkFulfilmentDemo(t, a)
	checkTicketsDemo(t, a)
	checkFinanceDemo(t, a)
	db := a.DB
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.R().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	principal := func(email string) *access.Principal {
		t.Helper()
		u, err := db.UserByEmail(ctx, db.R(), email)
		if err != nil {
			t.Fatal(err)
		}
		p, err := db.LoadPrincipal(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	// Every rep has follow-ups due today and overdue: the home page lives.
	reps := 0
	for _, email := range info.Emails {
		p := principal(email)
		if !p.HasRole(access.RoleSales) {
			continue
		}
		reps++
		fu, err := a.Customers.DueFollowUps(ctx, p, time.Now(), 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(fu.Today) == 0 || len(fu.Overdue) == 0 {
			t.Errorf("%s: %d due today, %d overdue", email, len(fu.Today), len(fu.Overdue))
		}
	}
	if reps < 8 {
		t.Fatalf("%d sales reps", reps)
	}

	// Search: two Chinese characters, pinyin initials, pinyin.
	admin := principal(info.Emails[0])
	for q, want := range map[string]string{"恒瑞": "苏州恒瑞精密机械有限公司", "hxkj": "北京华信科技股份有限公司", "yunfan": "杭州云帆数据科技有限公司"} {
		hits, err := a.Records.Search(ctx, admin, q, []string{"customer"}, 20)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(hits, func(h records.Hit) bool { return h.Title == want }) {
			t.Errorf("search %q does not find %s (%d hits)", q, want, len(hits))
		}
	}

	// A converted lead's activities are on its customer's timeline.
	var leadID, custID, owner string
	if err := db.R().QueryRowContext(ctx, `SELECT l.id, l.converted_customer_id, l.owner_id FROM leads l
		WHERE l.status = 'converted' AND EXISTS (SELECT 1 FROM activities a WHERE a.lead_id = l.id) ORDER BY l.id LIMIT 1`).Scan(&leadID, &custID, &owner); err != nil {
		t.Fatal(err)
	}
	rep, err := db.LoadPrincipal(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	items, err := a.Customers.Timeline(ctx, rep, "customer", custID, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	fromLead, converted := 0, false
	for _, it := range items {
		if it.Kind == "activity" && it.Activity.Str("lead_id") == leadID {
			fromLead++
		}
		converted = converted || it.Kind == "converted"
	}
	if fromLead == 0 || !converted {
		t.Fatalf("timeline of converted customer: %d lead activities, converted event %v", fromLead, converted)
	}

	// The rest of the story: every source used, disqualified leads with a
	// reason, a pool with reasons, consent recorded, a few customers about
	// to return to the pool, none overdue (the sweeper would take them).
	if n := count(`SELECT count(DISTINCT source) FROM leads`); n < 11 {
		t.Errorf("%d lead sources used", n)
	}
	if n := count(`SELECT count(DISTINCT source) FROM customers`); n < 9 {
		t.Errorf("%d customer sources used", n)
	}
	if n := count(`SELECT count(*) FROM leads WHERE status = 'disqualified' AND disqualify_reason IS NOT NULL`); n < 10 {
		t.Errorf("%d disqualified leads", n)
	}
	if n := count(`SELECT count(*) FROM leads WHERE owner_id IS NULL`); n < 10 {
		t.Errorf("%d pool leads", n)
	}
	if n := count(`SELECT count(*) FROM customers WHERE owner_id IS NULL AND release_reason IS NOT NULL`); n < 5 {
		t.Errorf("%d customers released to the pool", n)
	}
	if n := count(`SELECT count(*) FROM contacts WHERE do_not_contact = TRUE`); n < 5 {
		t.Errorf("%d do-not-contact contacts", n)
	}
	if n := count(`SELECT count(*) FROM consent_events`); n < 20 {
		t.Errorf("%d consent events", n)
	}
	if n := count(`SELECT count(*) FROM customers WHERE owner_id IS NOT NULL AND pool_due_at <= $1`, time.Now()); n != 0 {
		t.Errorf("%d customers already overdue for the pool", n)
	}
	if n := count(`SELECT count(*) FROM leads WHERE owner_id IS NOT NULL AND pool_due_at <= $1`, time.Now()); n != 0 {
		t.Errorf("%d leads already overdue for the pool", n)
	}
	mgr := principal("wang.jun@" + demo.MailDomain)
	warn, err := a.Customers.PoolWarnings(ctx, mgr, 7, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(warn) == 0 {
		t.Error("the manager sees no pool warnings")
	}
	if n := count(`SELECT count(*) FROM customers WHERE created_at < $1`, time.Now().AddDate(0, -6, 0)); n < 50 {
		t.Errorf("history is not spread over months: %d customers older than six months", n)
	}
	if n := count(`SELECT count(*) FROM activities WHERE occurred_at < $1`, time.Now().AddDate(0, -3, 0)); n < 200 {
		t.Errorf("%d activities older than three months", n)
	}
}
