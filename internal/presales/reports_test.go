package presales_test

import (
	"fmt"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/store"

	"closeloop/internal/apptest"
	"closeloop/internal/presales"
)

func TestBoardFunnelAndForecastWithinVisibility(t *testing.T) {
	f := apptest.NewFixture(t)
	ps := f.App.Presales
	c1 := f.Customer(t, f.Rep1, "华信精密制造有限公司")
	c2 := f.Customer(t, f.Rep2, "北方重工集团")
	c3 := f.Customer(t, f.Rep3, "南方电网物资公司")
	a := newOpp(t, f, f.Rep1, c1.ID(), "质检一期", "amount", int64(1_000_000), "expected_close_date", "2026-12-15")
	newOpp(t, f, f.Rep1, c1.ID(), "质检二期", "amount", int64(3_000_000), "expected_close_date", "2027-01-10")
	newOpp(t, f, f.Rep2, c2.ID(), "MES 改造", "amount", int64(5_000_000), "expected_close_date", "2026-12-20")
	newOpp(t, f, f.Rep3, c3.ID(), "仓储系统", "amount", int64(7_000_000), "expected_close_date", "2026-12-01", "currency", "USD")
	if _, err := ps.MoveStage(ctx, f.Rep1, a.ID(), "evaluation", 0); err != nil {
		t.Fatal(err)
	}

	// Rep1 sees only their two deals; the admin sees all four.
	col := func(cols []presales.Column, code string) presales.Column {
		for _, c := range cols {
			if c.Stage.Code == code {
				return c
			}
		}
		t.Fatalf("no column %s", code)
		return presales.Column{}
	}
	b, err := ps.Board(ctx, f.Rep1, presales.DealFilter{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 9 {
		t.Fatalf("%d columns", len(b))
	}
	if acq := col(b, "acquired"); acq.Count != 1 || acq.Amount["CNY"] != 3_000_000 || acq.Weighted["CNY"] != 300_000 || len(acq.Cards) != 1 {
		t.Fatalf("rep's acquired column %+v", acq.StageTotal)
	}
	if ev := col(b, "evaluation"); ev.Count != 1 || ev.Weighted["CNY"] != 200_000 || ev.Cards[0].ID() != a.ID() {
		t.Fatalf("rep's evaluation column %+v", ev.StageTotal)
	}
	all, err := ps.Board(ctx, f.Admin, presales.DealFilter{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	acq := col(all, "acquired")
	if acq.Count != 3 || acq.Amount["CNY"] != 8_000_000 || acq.Amount["USD"] != 7_000_000 || len(acq.Cards) != 1 || !acq.More {
		t.Fatalf("admin's acquired column %+v, %d cards", acq.StageTotal, len(acq.Cards))
	}
	// Cards come most recently changed first, within each column.
	all, err = ps.Board(ctx, f.Admin, presales.DealFilter{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if cards := col(all, "acquired").Cards; len(cards) != 3 || cards[0].Str("name") != "仓储系统" || cards[2].Str("name") != "质检二期" || col(all, "acquired").More {
		t.Fatalf("admin's acquired cards %v", cards)
	}
	// The manager of the north region filters by the sales department.
	nb, err := ps.Board(ctx, f.Manager, presales.DealFilter{TeamID: f.North}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if n := col(nb, "acquired").Count + col(nb, "evaluation").Count; n != 3 {
		t.Fatalf("north team deals %d", n)
	}
	ob, err := ps.Board(ctx, f.Admin, presales.DealFilter{OwnerID: f.Rep2.UserID}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if n := col(ob, "acquired").Count; n != 1 {
		t.Fatalf("rep2's deals %d", n)
	}

	// Forecast by month and owner.
	fc, err := ps.Forecast(ctx, f.Admin, presales.DealFilter{}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 2, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(fc) != 2 || fc[0].Month != "2026-12" || fc[0].Count != 3 || fc[0].Amount["CNY"] != 6_000_000 || fc[0].Weighted["CNY"] != 200_000+500_000 || fc[0].Amount["USD"] != 7_000_000 ||
		fc[1].Month != "2027-01" || fc[1].Amount["CNY"] != 3_000_000 {
		t.Fatalf("forecast %+v", fc)
	}
	byOwner, err := ps.Forecast(ctx, f.Rep1, presales.DealFilter{}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 1, "owner")
	if err != nil {
		t.Fatal(err)
	}
	if len(byOwner) != 1 || byOwner[0].Group != f.Rep1.UserID || byOwner[0].Count != 1 {
		t.Fatalf("rep's forecast by owner %+v", byOwner)
	}
	if _, err := ps.Forecast(ctx, f.Admin, presales.DealFilter{}, time.Now(), 1, "planet"); err == nil {
		t.Fatal("bad group accepted")
	}
	if _, err := ps.Board(ctx, f.Admin, presales.DealFilter{TeamID: "nope"}, 10); err == nil {
		t.Fatal("bad team accepted")
	}
}

// The sums kept in the totals tables by the hooks equal the sums recomputed
// from the deals, after creates, moves, edits, wins, losses, deletes and
// restores; a deal seen through a grant counts for the grantee.
func TestDealTotalsFollowEveryWrite(t *testing.T) {
	f := apptest.NewFixture(t)
	ps := f.App.Presales
	c1 := f.Customer(t, f.Rep1, "华信精密制造有限公司")
	a := newOpp(t, f, f.Rep1, c1.ID(), "一期", "amount", int64(1_000_000), "expected_close_date", "2026-12-15")
	b := newOpp(t, f, f.Rep1, c1.ID(), "二期", "amount", int64(2_000_000), "expected_close_date", "2027-01-15")
	c := newOpp(t, f, f.Rep1, c1.ID(), "三期", "amount", int64(4_000_000))
	d := newOpp(t, f, f.Rep1, c1.ID(), "四期", "amount", int64(8_000_000), "currency", "USD")
	if _, err := ps.MoveStage(ctx, f.Rep1, a.ID(), "evaluation", 0); err != nil {
		t.Fatal(err)
	}
	cur, _ := f.App.Records.Get(ctx, f.Rep1, "opportunity", b.ID())
	if _, err := f.App.Records.Update(ctx, f.Rep1, "opportunity", b.ID(), cur.Version(), entity.Record{"amount": int64(2_500_000), "probability_override": int64(50), "expected_close_date": "2027-02-01"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Win(ctx, f.Rep1, c.ID(), ""); err != nil {
		t.Fatal(err)
	}
	cur, _ = f.App.Records.Get(ctx, f.Rep1, "opportunity", d.ID())
	if err := f.App.Records.Delete(ctx, f.Rep1, "opportunity", d.ID(), cur.Version()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.Records.Restore(ctx, f.Admin, "opportunity", d.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.Customers.Assign(ctx, f.Manager, "opportunity", []string{a.ID()}, f.Rep2.UserID); err != nil {
		t.Fatal(err)
	}
	snapshot := func(p *access.Principal) string {
		fu, err := ps.Funnel(ctx, p, presales.DealFilter{})
		if err != nil {
			t.Fatal(err)
		}
		fc, err := ps.Forecast(ctx, p, presales.DealFilter{}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 3, "owner")
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%+v %+v", fu, fc)
	}
	before := map[string]string{}
	for name, p := range map[string]*access.Principal{"admin": f.Admin, "rep1": f.Rep1, "rep2": f.Rep2, "manager": f.Manager} {
		before[name] = snapshot(p)
	}
	if err := ps.RebuildTotals(ctx); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*access.Principal{"admin": f.Admin, "rep1": f.Rep1, "rep2": f.Rep2, "manager": f.Manager} {
		if after := snapshot(p); after != before[name] {
			t.Errorf("%s: kept sums\n%s\nrecomputed\n%s", name, before[name], after)
		}
	}
	fu, _ := ps.Funnel(ctx, f.Admin, presales.DealFilter{})
	var n int
	for _, st := range fu {
		n += st.Count
	}
	if n != 3 { // a, b, d open; c won
		t.Fatalf("open deals counted %d", n)
	}
	// A grant makes the deal count for the pre-sales engineer.
	count := func(p *access.Principal) int {
		fu, err := ps.Funnel(ctx, p, presales.DealFilter{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, st := range fu {
			n += st.Count
		}
		return n
	}
	if got := count(f.Presales); got != 0 {
		t.Fatalf("engineer sees %d deals before a grant", got)
	}
	err := f.DB().Write(ctx, func(tx *store.Tx) error {
		return f.DB().Grant(ctx, tx, "opportunity", b.ID(), f.Presales.UserID, b.ID())
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := count(f.Presales); got != 1 {
		t.Fatalf("engineer sees %d deals after a grant", got)
	}
	if got := count(f.Rep1); got != 2 { // b and d; a went to rep2
		t.Fatalf("rep1 sees %d deals", got)
	}
}
