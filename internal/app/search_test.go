package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
)

// Rebuilding the search index from the records gives the same answers, in
// the same order (the most recently changed first), to every user.
func TestRebuildSearchKeepsAnswers(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	var ids []string
	for i, p := range []*access.Principal{f.Rep1, f.Rep2, f.Rep3, f.Rep1, f.Admin} {
		c := f.Customer(t, p, fmt.Sprintf("北京张伟科技%d有限公司", i), "phone", fmt.Sprintf("010-8888%04d", i))
		ids = append(ids, c.ID())
		if _, err := f.App.Records.Create(ctx, p, "contact", entity.Record{"customer_id": c.ID(), "name": "张伟", "phone": fmt.Sprintf("1380000%04d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.App.Records.Create(ctx, f.Rep1, "lead", entity.Record{"name": "张伟", "company": "天津张伟贸易", "source": "exhibition"}); err != nil {
		t.Fatal(err)
	}
	// The oldest customer changes last: it must come first afterwards.
	first, err := f.App.Records.Get(ctx, f.Rep1, "customer", ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.Records.Update(ctx, f.Rep1, "customer", ids[0], first.Version(), entity.Record{"name": "北京张伟科技改名有限公司"}); err != nil {
		t.Fatal(err)
	}
	queries := []string{"张伟", "zhangw", "zw", "8888", "科技", "0003"}
	users := []*access.Principal{f.Admin, f.Manager, f.Rep1, f.Rep3}
	answers := func() map[string][]string {
		out := map[string][]string{}
		for _, p := range users {
			for _, q := range queries {
				hits, err := f.App.DB.Search(ctx, q, p, f.App.Records.SearchScopes(p, nil), 100)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, h := range hits {
					got = append(got, h.Entity+":"+h.ID)
				}
				out[p.UserID+" "+q] = got
			}
		}
		return out
	}
	before := answers()
	if got := before[f.Rep1.UserID+" 张伟"]; len(got) == 0 || got[0] != "customer:"+ids[0] {
		t.Fatalf("before: the customer changed last should come first, got %v", got)
	}
	if err := f.App.RebuildSearch(ctx, nil); err != nil {
		t.Fatal(err)
	}
	after := answers()
	for k, b := range before {
		if !slices.Equal(b, after[k]) {
			t.Errorf("%s: before %v, after rebuild %v", k, b, after[k])
		}
	}
	if len(before[f.Admin.UserID+" 张伟"]) != 11 {
		t.Errorf("admin finds %d records for 张伟, want 11 (5 customers, 5 contacts, 1 lead)", len(before[f.Admin.UserID+" 张伟"]))
	}
}
