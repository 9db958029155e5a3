package presales_test

import (
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

// world is the fixture organisation with a pre-sales manager and a second
// pre-sales engineer.
type world struct {
	*apptest.Fixture
	Mgr, Eng1, Eng2 *access.Principal
}

func newWorld(t *testing.T) *world {
	t.Helper()
	f := apptest.NewFixture(t)
	w := &world{Fixture: f, Eng1: f.Presales}
	w.Mgr = f.AddUser(t, "周经理", "zhou@example.com", f.Company, access.RolePresalesManager)
	w.Eng2 = f.AddUser(t, "吴工", "wu@example.com", f.Company, access.RolePresales)
	return w
}

// code is what an error says: its first field's code, or its own.
func code(err error) string {
	if err == nil {
		return ""
	}
	e := errs.As(err)
	if e == nil {
		return "internal: " + err.Error()
	}
	if len(e.Fields) > 0 {
		return e.Fields[0].Field + ":" + e.Fields[0].Code
	}
	return e.Code
}

// opportunity opens a deal owned by p on a new customer of p's.
func (w *world) opportunity(t *testing.T, p *access.Principal, name string, amount int64) entity.Record {
	t.Helper()
	cust := w.Customer(t, p, name+"客户")
	out, err := w.App.Records.Create(ctx, p, "opportunity", entity.Record{"name": name, "customer_id": cust.ID(), "amount": amount})
	if err != nil {
		t.Fatalf("opportunity %s: %v", name, err)
	}
	return out
}

// request raises a pre-sales request on an opportunity as p.
func (w *world) request(t *testing.T, p *access.Principal, opp entity.Record, extra ...any) entity.Record {
	t.Helper()
	rec := entity.Record{"opportunity_id": opp.ID(), "work_needed": []string{"solution_writing", "demo"},
		"description": "客户需要智慧园区整体方案与现场演示", "needed_by": "2026-12-15", "estimated_value": int64(50000000)}
	for i := 0; i+1 < len(extra); i += 2 {
		rec[extra[i].(string)] = extra[i+1]
	}
	r, err := w.App.Records.Create(ctx, p, "presales_request", rec)
	if err != nil {
		t.Fatalf("raise request: %v", err)
	}
	return r
}

func (w *world) get(t *testing.T, p *access.Principal, ent, id string) entity.Record {
	t.Helper()
	r, err := w.App.Records.Get(ctx, p, ent, id)
	if err != nil {
		t.Fatalf("get %s %s as %s: %v", ent, id, p.Name, err)
	}
	return r
}

// sees reports whether p can read the record, by get, list and search.
func (w *world) sees(t *testing.T, p *access.Principal, ent, id, text string) (get, list, search bool) {
	t.Helper()
	_, err := w.App.Records.Get(ctx, p, ent, id)
	get = err == nil
	if err != nil && errs.KindOf(err) != errs.NotFound {
		t.Fatalf("get: %v", err)
	}
	e := w.App.DB.Schema().Entity(ent)
	page, err := w.App.Records.List(ctx, p, ent, entity.Query{Sort: e.Field("updated_at"), Limit: 500})
	if err != nil {
		t.Fatalf("list %s: %v", ent, err)
	}
	for _, r := range page.Items {
		list = list || r.ID() == id
	}
	hits, err := w.App.Records.Search(ctx, p, text, []string{ent}, 50)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	for _, h := range hits {
		search = search || h.ID == id
	}
	return get, list, search
}
