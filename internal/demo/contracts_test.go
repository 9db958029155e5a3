package demo_test

import (
	"context"
	"testing"

	"closeloop/internal/app"
)

// checkContractsDemo: won deals have signed contracts whose plans add up,
// each with its hand-over; some hand-overs acknowledged by both
// recipients, some by one, some by nobody; one revised; a draft half
// confirmed; the hand-overs dated at signing.
func checkContractsDemo(t *testing.T, a *app.App) {
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
	signed := count(`SELECT count(*) FROM contracts WHERE status IN ('signed', 'in_execution')`)
	if signed < 3 {
		t.Errorf("%d signed contracts", signed)
	}
	if n := count(`SELECT count(*) FROM handovers`); n != signed {
		t.Errorf("%d hand-overs for %d signed contracts", n, signed)
	}
	if n := count(`SELECT count(*) FROM contracts c WHERE c.status <> 'draft' AND c.amount <> (SELECT coalesce(sum(amount), 0) FROM payment_instalments p WHERE p.contract_id = c.id AND p.deleted_at IS NULL)`); n != 0 {
		t.Errorf("%d signed contracts whose plan does not add up", n)
	}
	for _, st := range []string{"acknowledged", "partly", "pending"} {
		if n := count(`SELECT count(*) FROM handovers WHERE ack_status = $1`, st); n == 0 {
			t.Errorf("no hand-over %s", st)
		}
	}
	if n := count(`SELECT count(*) FROM handovers WHERE version_no > 1`); n == 0 {
		t.Error("no revised hand-over")
	}
	if n := count(`SELECT count(*) FROM contracts WHERE status = 'draft' AND terms_confirmed IS NOT NULL`); n == 0 {
		t.Error("no draft with terms being confirmed")
	}
	if n := count(`SELECT count(*) FROM handovers h JOIN contracts c ON c.id = h.contract_id WHERE h.created_at <= c.created_at`); n != 0 {
		t.Errorf("%d hand-overs dated before their contract", n)
	}
	if n := count(`SELECT count(*) FROM handovers WHERE pain_points IS NOT NULL`); n == 0 {
		t.Error("no hand-over carries the deal's pain points")
	}
}
