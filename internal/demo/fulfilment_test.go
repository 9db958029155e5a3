package demo_test

import (
	"context"
	"testing"

	"closeloop/internal/app"
	"closeloop/internal/crm"
)

// The demo shows fulfilment at every step: orders in each status, a
// delivery in transit, deliveries signed with and without issues, supply
// problems from a sign-off, and an accepted installation.
func checkFulfilmentDemo(t *testing.T, a *app.App) {
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
	for _, st := range []string{crm.OrderConfirmed, crm.OrderReserved, crm.OrderPartlyDelivered, crm.OrderCompleted, crm.OrderCancelled} {
		if count(`SELECT count(*) FROM sales_orders WHERE status = $1`, st) == 0 {
			t.Errorf("no %s order in the demo", st)
		}
	}
	for _, st := range []string{crm.DeliveryPlanned, crm.DeliveryInTransit, crm.DeliverySigned, crm.DeliverySignedWithIssues} {
		if count(`SELECT count(*) FROM deliveries WHERE status = $1`, st) == 0 {
			t.Errorf("no %s delivery in the demo", st)
		}
	}
	if count(`SELECT count(*) FROM supply_problems WHERE source = 'sign_off'`) < 2 || count(`SELECT count(*) FROM supply_problems WHERE status = $1`, crm.ProblemResolved) == 0 {
		t.Error("no supply problems from a sign-off, or none resolved")
	}
	if count(`SELECT count(*) FROM service_tasks WHERE status = $1`, crm.TaskAccepted) == 0 || count(`SELECT count(*) FROM service_tasks WHERE status = $1`, crm.TaskPlanned) == 0 {
		t.Error("no accepted or planned task")
	}
	if count(`SELECT count(*) FROM products WHERE reserved_qty < 0 OR stock_qty < 0 OR reserved_qty > stock_qty`) != 0 {
		t.Error("stock out of balance")
	}
}
