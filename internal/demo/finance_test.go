package demo_test

import (
	"context"
	"testing"

	"closeloop/internal/app"
	"closeloop/internal/demo"
	"closeloop/internal/finance"
)

// checkFinanceDemo: a finance clerk, invoices and payments against signed
// contracts, the instalment amounts agreeing with their allocations, and
// receivables in more than one age band, with the mishaps (a voided
// invoice, a reversed payment, credit) present.
func checkFinanceDemo(t *testing.T, a *app.App) {
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
	if n := count(`SELECT count(*) FROM users WHERE email = $1`, "qian.fang@"+demo.MailDomain); n != 1 {
		t.Error("no finance clerk")
	}
	checks := []struct {
		q   string
		min int
	}{
		{`SELECT count(*) FROM invoices WHERE status = 'issued'`, 5},
		{`SELECT count(*) FROM invoices WHERE status = 'voided'`, 1},
		{`SELECT count(*) FROM payments WHERE status = 'received'`, 3},
		{`SELECT count(*) FROM payments WHERE status = 'reversed'`, 1},
		{`SELECT count(*) FROM payments WHERE unallocated_amount > 0 AND status = 'received'`, 1},
		{`SELECT count(*) FROM payment_instalments WHERE status = 'partly_paid'`, 1},
		{`SELECT count(*) FROM payment_instalments WHERE status = 'paid'`, 2},
	}
	for _, c := range checks {
		if n := count(c.q); n < c.min {
			t.Errorf("%s: %d, want at least %d", c.q, n, c.min)
		}
	}
	if n := count(`SELECT count(*) FROM payment_instalments i WHERE invoiced_amount <> (SELECT COALESCE(SUM(a.amount), 0) FROM invoice_allocations a
		JOIN invoices v ON v.id = a.invoice_id WHERE a.instalment_id = i.id AND v.status = 'issued')
		OR paid_amount <> (SELECT COALESCE(SUM(a.amount), 0) FROM payment_allocations a JOIN payments p ON p.id = a.payment_id WHERE a.instalment_id = i.id AND p.status = 'received')`); n != 0 {
		t.Errorf("%d instalments disagree with their allocations", n)
	}
	fin, err := a.DB.UserByEmail(ctx, a.DB.R(), "qian.fang@"+demo.MailDomain)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.DB.LoadPrincipal(ctx, fin.ID)
	if err != nil {
		t.Fatal(err)
	}
	ag, err := a.Finance.Ageing(ctx, p, finance.AgeingFilter{Group: finance.GroupOwner})
	if err != nil {
		t.Fatal(err)
	}
	if len(ag.Totals) == 0 {
		t.Fatal("no receivables in the demo")
	}
	bands := 0
	for _, v := range ag.Totals[0].Bands() {
		if v > 0 {
			bands++
		}
	}
	if ag.Totals[0].Overdue == 0 || bands < 2 {
		t.Errorf("demo receivables %+v", ag.Totals[0])
	}
}
