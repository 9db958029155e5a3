package fieldservice_test

import (
	"sync"
	"testing"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/errs"
	"closeloop/internal/fieldservice"
)

func TestStockMovements(t *testing.T) {
	e := newEnv(t)
	f, c, v1 := e.Filter.ID(), e.Central.ID(), e.Van1.ID()
	steps := []struct {
		name    string
		kind    string
		wh      string
		qty     int64
		extra   []any
		code    string // expected error code
		central int64  // stock after
		van     int64
	}{
		{"receipt", crm.MoveIn, c, 10, nil, "", 10, 0},
		{"transfer to the van", crm.MoveTransfer, c, 4, []any{"to_warehouse_id", v1}, "", 6, 4},
		{"transfer to itself", crm.MoveTransfer, c, 1, []any{"to_warehouse_id", c}, "validation", 6, 4},
		{"used on a ticket", crm.MoveOut, v1, 3, []any{"ticket_id", e.Ticket.ID()}, "", 6, 1},
		{"used without a ticket", crm.MoveOut, v1, 1, nil, "validation", 6, 1},
		{"more than there is", crm.MoveOut, v1, 2, []any{"ticket_id", e.Ticket.ID()}, "stock_insufficient", 6, 1},
		{"zero", crm.MoveIn, c, 0, nil, "validation", 6, 1},
		{"negative", crm.MoveIn, c, -3, nil, "validation", 6, 1},
		{"stock-take without a reason", crm.MoveAdjust, c, 5, nil, "validation", 6, 1},
		{"stock-take", crm.MoveAdjust, c, 5, []any{"reason", "年末盘点"}, "", 5, 1},
		{"stock-take to zero", crm.MoveAdjust, v1, 0, []any{"reason", "丢失"}, "", 5, 0},
		{"part back", crm.MoveReturnIn, v1, 1, nil, "", 5, 1},
	}
	for _, st := range steps {
		_, err := e.move(e.Mgr, st.kind, f, st.wh, st.qty, st.extra...)
		if st.code == "" && err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if st.code != "" && errs.CodeOf(err) != st.code {
			t.Fatalf("%s: want %s, got %v", st.name, st.code, err)
		}
		if got := e.stock(t, f, c); got != st.central {
			t.Fatalf("%s: central %d, want %d", st.name, got, st.central)
		}
		if got := e.stock(t, f, v1); got != st.van {
			t.Fatalf("%s: van %d, want %d", st.name, got, st.van)
		}
	}
	// An inactive part takes no movements; movements and stock rows are
	// not changed by hand.
	if _, err := e.App.Records.Update(ctx, e.Mgr, "spare_part", e.Belt.ID(), 0, map[string]any{"active": false}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.move(e.Mgr, crm.MoveIn, e.Belt.ID(), c, 1); errs.CodeOf(err) != "validation" {
		t.Fatalf("inactive part: %v", err)
	}
	m, err := e.move(e.Mgr, crm.MoveIn, f, c, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m["balance_after"] != int64(6) || m["delta"] != int64(1) {
		t.Fatalf("movement keeps the balance: %v %v", m["balance_after"], m["delta"])
	}
	if _, err := e.App.Records.Update(ctx, e.Mgr, "stock_movement", m.ID(), 0, map[string]any{"quantity": int64(100)}); err == nil {
		t.Fatal("a movement was changed")
	}
	if _, err := e.App.Records.Create(ctx, e.Mgr, "spare_part_stock", map[string]any{}); err == nil {
		t.Fatal("a stock row was written by hand")
	}
}

func TestLowStockWarnsOncePerCrossing(t *testing.T) {
	e := newEnv(t)
	f, c := e.Filter.ID(), e.Central.ID() // minimum 2
	count := func() int {
		var n int
		if err := e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'low_stock'`, e.Mgr.UserID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tk := []any{"ticket_id", e.Ticket.ID()}
	for _, st := range []struct {
		kind string
		qty  int64
		want int
	}{
		{crm.MoveIn, 3, 0},  // 3
		{crm.MoveOut, 1, 0}, // 2: at the minimum
		{crm.MoveOut, 1, 1}, // 1: below — warn
		{crm.MoveOut, 1, 1}, // 0: still below — no second warning
		{crm.MoveIn, 5, 1},  // 5: back above — re-armed
		{crm.MoveOut, 4, 2}, // 1: below again — warn again
	} {
		var extra []any
		if st.kind == crm.MoveOut {
			extra = tk
		}
		if _, err := e.move(e.Mgr, st.kind, f, c, st.qty, extra...); err != nil {
			t.Fatal(err)
		}
		if got := count(); got != st.want {
			t.Fatalf("after %s %d: %d warnings, want %d", st.kind, st.qty, got, st.want)
		}
	}
	rows, err := e.S.StockList(ctx, e.Eng1, fieldserviceLowOnly())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].SKU != "SP-FLT" || !rows[0].Low || rows[0].Quantity != 1 {
		t.Fatalf("low-stock list: %+v", rows)
	}
}

// TestConcurrentLastUnits: twenty engineers take one of the last five
// units at once; exactly five succeed, the others are told there is too
// little, and the stock ends at zero.
func TestConcurrentLastUnits(t *testing.T) {
	e := newEnv(t)
	f, v1 := e.Filter.ID(), e.Van1.ID()
	if _, err := e.move(e.Mgr, crm.MoveIn, f, v1, 5); err != nil {
		t.Fatal(err)
	}
	v := e.visit(t, e.Mgr, e.Eng1.UserID, time.Now())
	if _, err := e.S.StepVisit(ctx, e.Eng1, v.ID(), fieldservice.VisitStepInput{Step: crm.VisitStepCheckIn}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]error, 20)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, results[i] = e.S.UsePart(ctx, e.Eng1, v.ID(), fieldservice.PartUse{PartID: f, Quantity: 1})
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range results {
		switch {
		case err == nil:
			ok++
		case errs.CodeOf(err) != "stock_insufficient":
			t.Fatalf("unexpected: %v", err)
		}
	}
	if ok != 5 {
		t.Fatalf("%d outs succeeded, want 5", ok)
	}
	if got := e.stock(t, f, v1); got != 0 {
		t.Fatalf("stock %d, want 0", got)
	}
	var n int
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM stock_movements WHERE kind = 'out_ticket'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Fatalf("%d movements, want 5", n)
	}
}
