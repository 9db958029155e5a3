package demo_test

import (
	"context"
	"testing"
	"time"

	"closeloop/internal/app"
	"closeloop/internal/presales"
)

// checkPresalesDemo: deals over both shipped pipelines at many stages,
// won and lost; samples at every step of the trial; bids with one due
// within three days; demos held, planned and cancelled; all dated in the
// past, with the customer report in order.
func checkPresalesDemo(t *testing.T, a *app.App) {
	t.Helper()
	ctx := context.Background()
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := a.DB.R().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM opportunities`); n < 30 {
		t.Errorf("%d opportunities", n)
	}
	if n := count(`SELECT count(DISTINCT pipeline_id) FROM opportunities`); n != 2 {
		t.Errorf("opportunities in %d pipelines", n)
	}
	if n := count(`SELECT count(DISTINCT stage) FROM opportunities`); n < 8 {
		t.Errorf("opportunities at %d stages", n)
	}
	for _, st := range []string{"won", "lost"} {
		if n := count(`SELECT count(*) FROM opportunities WHERE status = $1`, st); n < 2 {
			t.Errorf("%d %s opportunities", n, st)
		}
	}
	if n := count(`SELECT count(*) FROM samples`); n < 30 {
		t.Errorf("%d samples", n)
	}
	for _, st := range []string{"sent", "small_trial", "pilot", "regular_purchase", "failed"} {
		if n := count(`SELECT count(*) FROM samples WHERE stage = $1`, st); n == 0 {
			t.Errorf("no sample at %s", st)
		}
	}
	if n := count(`SELECT count(*) FROM samples WHERE opportunity_id IS NOT NULL`); n == 0 {
		t.Error("no sample of a deal")
	}
	now := time.Now()
	if n := count(`SELECT count(*) FROM bids`); n < 5 {
		t.Errorf("%d bids", n)
	}
	if n := count(`SELECT count(*) FROM bids WHERE result = 'pending' AND deadline > $1 AND deadline <= $2`, now, now.Add(72*time.Hour)); n == 0 {
		t.Error("no bid due within three days")
	}
	for _, r := range []string{"won", "lost"} {
		if n := count(`SELECT count(*) FROM bids WHERE result = $1`, r); n == 0 {
			t.Errorf("no %s bid", r)
		}
	}
	for _, st := range []string{"done", "planned", "cancelled"} {
		if n := count(`SELECT count(*) FROM appointments WHERE status = $1`, st); n == 0 {
			t.Errorf("no %s appointment", st)
		}
	}
	for _, table := range []string{"opportunities", "samples", "bids", "appointments", "stage_changes"} {
		if n := count(`SELECT count(*) FROM `+table+` WHERE created_at > $1`, now); n != 0 {
			t.Errorf("%s: %d created in the future", table, n)
		}
		if n := count(`SELECT count(*) FROM `+table+` WHERE created_at < $1`, now.AddDate(0, 0, -20)); n == 0 {
			t.Errorf("%s: nothing older than 20 days", table)
		}
	}
	if n := count(`SELECT count(*) FROM timeline WHERE (kind LIKE 'sample_%' OR kind LIKE 'opportunity_%' OR kind LIKE 'bid_%' OR kind LIKE 'appointment_%') AND at > $1`, now.Add(-time.Minute)); n != 0 {
		t.Errorf("%d pre-sales lines of the customer report dated now", n)
	}
	if n := count(`SELECT count(*) FROM timeline WHERE kind LIKE 'sample_%' AND at < $1`, now.AddDate(0, 0, -30)); n == 0 {
		t.Error("sample steps are not dated in the past")
	}
	// The manager's report has something to show.
	admin, err := a.DB.UserByEmail(ctx, a.DB.R(), "zhou.min@demo.closeloop.cn")
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.DB.LoadPrincipal(ctx, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := a.Presales.SampleConversion(ctx, p, presales.SampleReportQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) < 5 || rep.Total.Purchase == 0 || rep.Total.Failed == 0 || rep.Total.Conversion <= 0 {
		t.Errorf("sample report %+v", rep.Total)
	}
}

// checkQuotesDemo: a catalogue of equipment, licences, materials by the kg
// and services; level price lists; quotes at every step, one revised.
func checkQuotesDemo(t *testing.T, a *app.App) {
	t.Helper()
	ctx := context.Background()
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := a.DB.R().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM products WHERE unit = 'kg'`); n < 2 {
		t.Errorf("%d products sold by the kg", n)
	}
	if n := count(`SELECT count(*) FROM products WHERE kind = 'service'`); n < 2 {
		t.Errorf("%d services", n)
	}
	if n := count(`SELECT count(*) FROM price_list_items`); n < 10 {
		t.Errorf("%d price list items", n)
	}
	for _, st := range []string{"draft", "in_approval", "approved", "sent", "accepted", "rejected", "expired", "superseded"} {
		if n := count(`SELECT count(*) FROM quotes WHERE status = $1`, st); n == 0 {
			t.Errorf("no %s quote", st)
		}
	}
	if n := count(`SELECT count(*) FROM quotes WHERE revision = 2 AND root_id IS NOT NULL`); n == 0 {
		t.Error("no revised quote")
	}
	if n := count(`SELECT count(*) FROM approvals WHERE doc_type = 'quote' AND status = 'pending'`); n == 0 {
		t.Error("no quote waiting for approval")
	}
	if n := count(`SELECT count(*) FROM quotes q WHERE q.total <> (SELECT COALESCE(SUM(line_total), 0) FROM quote_lines l WHERE l.quote_id = q.id)`); n != 0 {
		t.Errorf("%d quotes whose lines do not add up to the total", n)
	}
	if n := count(`SELECT count(*) FROM quotes WHERE created_at > $1`, time.Now().Add(-24*time.Hour)); n > 2 {
		t.Errorf("%d quotes dated today", n)
	}
}
