package bench

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/app"
	"closeloop/internal/apptest"
	"closeloop/internal/customers"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

func genOpts(cfg app.Config, n int) GenOptions {
	return GenOptions{DataDir: cfg.DataDir, DB: cfg.DB, Customers: n, ContactsPer: 3, ActivitiesPer: 5, Reps: 12, Depts: 4, Batch: 500, Seed: 7}
}

func openGen(t *testing.T, cfg app.Config) (*app.App, *Info) {
	t.Helper()
	cfg.NoJobs = true
	a, info, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, info
}

// TestGenerateMatchesServices checks that generated rows are what the
// services would have written: derived columns, search documents with
// visibility, timelines, follow-ups.
func TestGenerateMatchesServices(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	st, err := Generate(ctx, genOpts(cfg, 1200))
	if err != nil {
		t.Fatal(err)
	}
	if st.Counts.Customers != 1200 || st.Counts.Contacts != 3600 || st.Counts.Activities != 6000 || st.Counts.Leads != 120 {
		t.Fatalf("counts: %+v", st.Counts)
	}
	a, info := openGen(t, cfg)
	db := a.DB
	one := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.R().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	// Shipped settings seeded at first start (SLA policies, calendars …)
	// have documents of their own; the generated records are these.
	if n := one(`SELECT count(*) FROM search_docs WHERE entity IN ('customer', 'contact', 'lead')`); n != 1200+3600+120 {
		t.Fatalf("search docs: %d", n)
	}
	// last_followup_at is the latest activity, as refreshFollowup computes.
	if n := one(`SELECT count(*) FROM customers c WHERE c.last_followup_at <> (SELECT max(occurred_at) FROM activities a WHERE a.customer_id = c.id)`); n != 0 {
		t.Fatalf("%d customers with a wrong last follow-up", n)
	}
	if n := one(`SELECT count(*) FROM timeline WHERE kind = 'activity'`); n != 6000 {
		t.Fatalf("activity events: %d", n)
	}
	// Pool deadlines: let the product recompute them and compare.
	snap := deadlines(t, db)
	rules, settings, err := a.Customers.PoolRules(ctx, db.R())
	if err != nil {
		t.Fatal(err)
	}
	admin := principal(t, a, info.Org.Admin)
	if err := a.Customers.SavePoolConfig(ctx, admin, customers.PoolConfig{Rules: rules, Settings: settings}); err != nil {
		t.Fatal(err)
	}
	after := deadlines(t, db)
	if len(snap) != len(after) || len(snap) < 500 {
		t.Fatalf("deadlines: %d generated, %d recomputed", len(snap), len(after))
	}
	for id, due := range snap {
		if d := after[id].Sub(due); d > time.Second || d < -time.Second {
			t.Fatalf("customer %s: generated deadline %s, product %s", id, due, after[id])
		}
	}

	// Search: a rep finds their customer's contact by name, another rep of
	// another team does not, the manager of the team does.
	rep := info.Org.MedianRep()
	pr := principal(t, a, rep)
	var custID, custName, contactName string
	if err := db.R().QueryRowContext(ctx, `SELECT c.id, c.name, k.name FROM customers c JOIN contacts k ON k.customer_id = c.id
		WHERE c.owner_id = $1 AND c.kind = 'company' ORDER BY c.id LIMIT 1`, rep.ID).Scan(&custID, &custName, &contactName); err != nil {
		t.Fatal(err)
	}
	found := func(p *access.Principal, q, id string) bool {
		hits, err := a.Records.Search(ctx, p, q, nil, 100)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(hits, func(h records.Hit) bool { return h.ID == id })
	}
	var contactID string
	if err := db.R().QueryRowContext(ctx, `SELECT id FROM contacts WHERE customer_id = $1 AND name = $2`, custID, contactName).Scan(&contactID); err != nil {
		t.Fatal(err)
	}
	if !found(pr, contactName+" "+custName[:6], contactID) && !found(pr, contactName, contactID) {
		t.Fatalf("rep does not find own contact %s", contactName)
	}
	if !found(pr, custName, custID) {
		t.Fatalf("rep does not find own customer %s", custName)
	}
	var other User
	for _, u := range info.Org.Reps {
		if u.Team != rep.Team {
			other = u
			break
		}
	}
	if found(principal(t, a, other), custName, custID) {
		t.Fatal("a rep of another team finds the customer")
	}
	if !found(principal(t, a, info.Org.ManagerOf(rep)), custName, custID) {
		t.Fatal("the team's manager does not find the customer")
	}

	// The timeline and the follow-ups read the generated rows.
	items, err := a.Customers.Timeline(ctx, pr, "customer", custID, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	acts := 0
	for _, it := range items {
		if it.Kind == "activity" && it.Activity != nil {
			acts++
		}
	}
	if acts != 5 {
		t.Fatalf("timeline shows %d activities", acts)
	}
	fu, err := a.Customers.DueFollowUps(ctx, pr, time.Now(), 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(fu.Overdue)+len(fu.Today) == 0 {
		t.Fatal("the rep has no follow-ups due")
	}
	// The product can keep working on generated rows.
	if _, err := a.Records.Create(ctx, pr, "activity", entity.Record{"kind": "call", "subject": "电话回访", "customer_id": custID}); err != nil {
		t.Fatal(err)
	}
	e := a.DB.Schema().Entity("customer")
	q, err := a.DB.Schema().ParseQuery(e, map[string][]string{"owner_id": {rep.ID}, "level": {"C"}, "sort": {"-updated_at"}})
	if err != nil {
		t.Fatal(err)
	}
	page, err := a.Records.List(ctx, pr, "customer", q)
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("list: %v, %d items", err, len(page.Items))
	}
	// On PostgreSQL the documents can be read back: the product's own
	// reindexing must produce the very same tsvector.
	if db.Dialect == store.Postgres {
		for _, ent := range []string{"customer", "contact", "lead"} {
			e := db.Schema().Entity(ent)
			ids, err := store.Strings(ctx, db.R(), `SELECT id FROM `+e.Table+` ORDER BY id LIMIT 25`)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				before, _ := store.Strings(ctx, db.R(), `SELECT tsv::text FROM search_docs WHERE record_id = $1`, id)
				rec, err := db.Get(ctx, db.R(), e, id, nil, false)
				if err != nil {
					t.Fatal(err)
				}
				if err := a.Records.Reindex(ctx, db.W(), e, rec); err != nil {
					t.Fatal(err)
				}
				after, _ := store.Strings(ctx, db.R(), `SELECT tsv::text FROM search_docs WHERE record_id = $1`, id)
				if !slices.Equal(before, after) || len(after) != 1 {
					t.Fatalf("%s %s: generated %v, product %v", ent, id, before, after)
				}
			}
		}
	}
	// Regenerating with other options is refused.
	o := genOpts(cfg, 1300)
	if _, err := Generate(ctx, o); err == nil {
		t.Fatal("generation with other options over an existing set was accepted")
	}
}

func deadlines(t *testing.T, db *store.DB) map[string]time.Time {
	t.Helper()
	rows, err := db.R().QueryContext(context.Background(), `SELECT id, pool_due_at FROM customers WHERE pool_due_at IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var v any
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		out[id] = anyTime(v)
	}
	return out
}

func anyTime(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case string:
		for _, l := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05-07:00"} {
			if t, err := time.Parse(l, x); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}

func principal(t *testing.T, a *app.App, u User) *access.Principal {
	t.Helper()
	p, err := a.DB.LoadPrincipal(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGenerateResumes kills a generation after one batch and resumes it:
// the result is the same data set as an uninterrupted run.
func TestGenerateResumes(t *testing.T) {
	ctx := context.Background()
	one, two := apptest.Config(t), apptest.Config(t)
	o := genOpts(one, 1500)
	o.stopAfter = 1
	if _, err := Generate(ctx, o); !errors.Is(err, errStopped) {
		t.Fatalf("stop: %v", err)
	}
	o.stopAfter = 0
	st, err := Generate(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if st.Resumed != 500 || st.Counts.Customers != 1000 {
		t.Fatalf("resumed %d, wrote %d", st.Resumed, st.Counts.Customers)
	}
	if _, err := Generate(ctx, genOpts(two, 1500)); err != nil {
		t.Fatal(err)
	}
	names := func(cfg app.Config) []string {
		a, _ := openGen(t, cfg)
		rows, err := a.DB.R().QueryContext(ctx, `SELECT name FROM customers ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	if a, b := names(one), names(two); !slices.Equal(a, b) || len(a) != 1500 {
		t.Fatalf("resumed set differs: %d vs %d names", len(a), len(b))
	}
}
