package demo_test

import (
	"context"
	"testing"

	"closeloop/internal/apptest"
	"closeloop/internal/demo"
)

// The demo knowledge base: a few articles, some public, found by Chinese
// search like every record.
func TestDemoKnowledgeBase(t *testing.T) {
	ctx := context.Background()
	a := apptest.New(t)
	info, err := demo.Load(ctx, a, demo.Options{Customers: 20})
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.DB.UserByEmail(ctx, a.DB.R(), info.Emails[len(info.Emails)-1])
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.DB.LoadPrincipal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var all, public int
	if err := a.DB.R().QueryRowContext(ctx, `SELECT count(*), sum(CASE WHEN audience = 'public' THEN 1 ELSE 0 END) FROM knowledge_articles`).Scan(&all, &public); err != nil {
		t.Fatal(err)
	}
	if all < 5 || public < 2 || public == all {
		t.Errorf("%d articles, %d public", all, public)
	}
	hits, err := a.Records.Search(ctx, p, "视觉检测", []string{"knowledge_article"}, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) < 2 || hits[0].Title != "汽车零部件产线视觉检测解决方案" {
		t.Errorf("search 视觉检测 as %s: %+v", u.Email, hits)
	}
}
