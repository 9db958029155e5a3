package api_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
)

// ids lists the ids of a list or search answer.
func ids(t *testing.T, b []byte) []string {
	t.Helper()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatalf("not a list: %s", b)
	}
	var out []string
	for _, it := range page.Items {
		out = append(out, it.ID)
	}
	return out
}

// The visibility bar of pre-sales (issue 3): an engineer assigned to a
// request sees the request and its opportunity — get, list and search —
// though not their owner; another pre-sales engineer does not; after
// unassignment the first loses them. Checked over HTTP for every role of
// the fixture against the policy: the owner and their managers by scope,
// the pre-sales manager by role, engineers only through the grant.
func TestAssignedEngineerSeesRequestAndDeal(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	mgr := f.AddUser(t, "周经理", "zhou@example.com", f.Company, access.RolePresalesManager)
	eng1 := f.Presales
	eng2 := f.AddUser(t, "吴工", "wu@example.com", f.Company, access.RolePresales)
	as := func(p *access.Principal) *client {
		return &client{t: t, base: base, token: tokenFor(t, f, p, "write"), name: p.Name}
	}
	rep := as(f.Rep1)
	cust := f.Customer(t, f.Rep1, "常州天合光能股份有限公司")
	st, b := rep.do("POST", "/api/v1/opportunities", map[string]any{"name": "天合光能数字工厂", "customer_id": cust.ID(), "amount": 12000000})
	if st != 201 {
		t.Fatalf("opportunity: %d %s", st, b)
	}
	opp := decode(t, b)["id"].(string)
	st, b = rep.do("POST", "/api/v1/presales-requests", map[string]any{"opportunity_id": opp, "work_needed": []string{"demo"},
		"description": "数字工厂演示", "needed_by": "2026-12-20"})
	if st != 201 {
		t.Fatalf("raise: %d %s", st, b)
	}
	req := decode(t, b)["id"].(string)
	m := as(mgr)
	if st, b := m.do("POST", "/api/v1/presales-requests/"+req+"/evaluation", map[string]any{"conclusion": "accept", "work": []string{"demo"}, "difficulty": "medium", "importance": "single"}); st != 200 {
		t.Fatalf("evaluate: %d %s", st, b)
	}

	actors := []*access.Principal{f.Admin, f.Manager, f.Rep1, f.Rep2, f.Rep3, eng1, eng2, mgr, f.Service}
	check := func(stage string, assigned []*access.Principal) {
		t.Helper()
		for _, p := range actors {
			c := as(p)
			granted := slices.Contains(assigned, p)
			for _, target := range []struct{ ent, res, id string }{{"presales_request", "presales-requests", req}, {"opportunity", "opportunities", opp}} {
				read := p.Perm(target.ent).Read
				want := granted || p.Sees(read, false, f.Rep1.UserID, f.NorthSales)
				st, b := c.do("GET", "/api/v1/"+target.res+"/"+target.id, nil)
				if (st == 200) != want || (st != 200 && st != 404) {
					t.Errorf("%s: %s GET %s: %d, want visible=%v: %s", stage, p.Name, target.ent, st, want, b)
				}
				st, b = c.do("GET", "/api/v1/"+target.res+"?limit=500", nil)
				if st != 200 {
					t.Fatalf("%s: %s list %s: %d %s", stage, p.Name, target.res, st, b)
				}
				if got := slices.Contains(ids(t, b), target.id); got != want {
					t.Errorf("%s: %s list %s contains it: %v, want %v", stage, p.Name, target.ent, got, want)
				}
				st, b = c.do("GET", "/api/v1/search?type="+target.ent+"&q="+url.QueryEscape("天合光能"), nil)
				if st != 200 {
					t.Fatalf("%s: %s search: %d %s", stage, p.Name, st, b)
				}
				if got := slices.Contains(ids(t, b), target.id); got != want {
					t.Errorf("%s: %s search %s finds it: %v, want %v", stage, p.Name, target.ent, got, want)
				}
			}
			// The grant is read access: an engineer changes nothing of the deal.
			if granted {
				if st, b := c.do("PATCH", "/api/v1/opportunities/"+opp, map[string]any{"version": 1, "next_step": "改"}); st != 403 {
					t.Errorf("%s: engineer edits the deal: %d %s", stage, st, b)
				}
			}
		}
	}
	check("before assignment", nil)
	if st, b := m.do("POST", "/api/v1/presales-requests/"+req+"/assign", map[string]any{"engineer_ids": []string{eng1.UserID}}); st != 200 {
		t.Fatalf("assign: %d %s", st, b)
	}
	check("assigned to engineer 1", []*access.Principal{eng1})
	// The work on it is theirs to see as well.
	e1 := as(eng1)
	if st, b := e1.do("POST", "/api/v1/presales-requests/"+req+"/work-records", map[string]any{"kind": "demo", "work_date": "2026-11-28", "hours": 2, "summary": "演示环境搭建"}); st != 201 {
		t.Fatalf("log work: %d %s", st, b)
	}
	if st, b := e1.do("GET", "/api/v1/presales-requests/"+req+"/work-records", nil); st != 200 || len(ids(t, b)) != 1 {
		t.Errorf("work list: %d %s", st, b)
	}
	if st, _ := as(eng2).do("GET", "/api/v1/presales-requests/"+req+"/work-records", nil); st != 404 {
		t.Errorf("other engineer lists the work: %d", st)
	}
	if st, b := m.do("POST", "/api/v1/presales-requests/"+req+"/assign", map[string]any{"engineer_ids": []string{eng2.UserID}}); st != 200 {
		t.Fatalf("reassign: %d %s", st, b)
	}
	check("reassigned to engineer 2", []*access.Principal{eng2})
	if st, b := m.do("POST", "/api/v1/presales-requests/"+req+"/assign", map[string]any{"engineer_ids": []string{}}); st != 200 || decode(t, b)["status"] != "accepted" {
		t.Fatalf("unassign: %d %s", st, b)
	}
	check("unassigned", nil)
	t.Logf("%d actors × 2 records × get, list, search in 4 stages", len(actors))
}
