package demo_test

import (
	"context"
	"testing"

	"closeloop/internal/app"
	"closeloop/internal/crm"
)

// The demo has service agents and tickets in every status, one merged.
func checkTicketsDemo(t *testing.T, a *app.App) {
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
	if count(`SELECT count(*) FROM service_agents WHERE deleted_at IS NULL AND active`) < 2 {
		t.Error("fewer than two service agents in the demo")
	}
	for _, st := range []string{crm.TicketNew, crm.TicketAssigned, crm.TicketInProgress, crm.TicketWaitingCustomer, crm.TicketWaitingParts,
		crm.TicketResolved, crm.TicketClosed, crm.TicketReopened} {
		if count(`SELECT count(*) FROM tickets WHERE status = $1`, st) == 0 {
			t.Errorf("no %s ticket in the demo", st)
		}
	}
	if count(`SELECT count(*) FROM tickets WHERE merged_into_id IS NOT NULL`) == 0 {
		t.Error("no merged ticket in the demo")
	}
	if count(`SELECT count(*) FROM timeline WHERE kind LIKE 'ticket_%'`) < 10 {
		t.Error("tickets left no timeline events")
	}
}
