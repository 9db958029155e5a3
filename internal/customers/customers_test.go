package customers_test

import (
	"context"
	"testing"

	"closeloop/internal/apptest"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

func TestCreateListUpdate(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	r := f.App.Records
	c := f.Customer(t, f.Rep1, "北京华为技术有限公司", "level", "A", "phone", "13812345678")
	if c.Str("status") != "prospect" || c.Str("owner_id") != f.Rep1.UserID || c.Str("team_id") != f.NorthSales {
		t.Fatalf("defaults not applied: %v", c)
	}
	if c.Version() != 1 {
		t.Fatalf("version = %d", c.Version())
	}
	// Rep2 (same team, own scope) does not see it; the manager does.
	if _, err := r.Get(ctx, f.Rep2, "customer", c.ID()); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("rep2 get: %v", err)
	}
	if _, err := r.Get(ctx, f.Manager, "customer", c.ID()); err != nil {
		t.Fatalf("manager get: %v", err)
	}
	// Update with the right version, then a stale one.
	u, err := r.Update(ctx, f.Rep1, "customer", c.ID(), 1, entity.Record{"level": "B"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Version() != 2 || u.Str("level") != "B" {
		t.Fatalf("after update: %v", u)
	}
	if _, err := r.Update(ctx, f.Rep1, "customer", c.ID(), 1, entity.Record{"level": "C"}); errs.KindOf(err) != errs.Conflict {
		t.Fatalf("stale update: %v", err)
	}
	e := r.Schema().Entity("customer")
	q, err := r.Schema().ParseQuery(e, map[string][]string{"level": {"B"}, "total": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	page, err := r.List(ctx, f.Rep1, "customer", q)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Total != 1 {
		t.Fatalf("list: %d items, total %d", len(page.Items), page.Total)
	}
	// Presales may read but sees the phone masked.
	got, err := r.Get(ctx, f.Presales, "customer", c.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Str("phone") != "138****5678" {
		t.Fatalf("masked phone = %q", got.Str("phone"))
	}
}
