package api_test

import (
	"context"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
)

// Opportunities raised from service over HTTP: from a ticket (by the
// agent working it) and from a care reminder (by its owner), linked both
// ways; a second call answers 409 opportunity_already_raised with the
// existing id; another rep's record answers 404; the signals list and the
// reminder's steps answer with stable codes.
func TestCareContract(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	ctx := context.Background()
	as := func(p *access.Principal) *client {
		return &client{t: t, base: base, token: tokenFor(t, f, p, "write"), name: p.Name}
	}
	agentP := f.AddUser(t, "周工", "zhougong@example.com", f.South, access.RoleService)
	agent, rep, rep2, admin := as(agentP), as(f.Rep1), as(f.Rep2), as(f.Admin)
	cust := f.Customer(t, f.Rep1, "苏州汇川精工有限公司")
	today := time.Now().In(f.App.Loc)
	if _, err := f.App.Records.Create(ctx, f.Rep1, "contact", entity.Record{"customer_id": cust.ID(), "name": "王建国", "email": "wangjg@example.com",
		"birthday": "1975-" + today.AddDate(0, 0, 1).Format("01-02"), "birthday_calendar": "solar"}); err != nil {
		t.Fatal(err)
	}
	tk, err := f.App.Tickets.Create(ctx, agentP, entity.Record{"subject": "设备频繁报警", "description": "希望升级到新型号", "customer_id": cust.ID()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, b := rep.do("POST", "/api/v1/care/plan", nil)
	problem(t, "plan by a rep", st, b, 403, "forbidden")
	if st, b = admin.do("POST", "/api/v1/care/plan", nil); st != 200 {
		t.Fatalf("plan: %d %s", st, b)
	}
	st, b = rep.do("GET", "/api/v1/care-reminders?kind=birthday", nil)
	items, _ := decode(t, b)["items"].([]any)
	if st != 200 || len(items) != 1 {
		t.Fatalf("reminders: %d %s", st, b)
	}
	remID := items[0].(map[string]any)["id"].(string)

	for _, c := range []struct {
		name string
		as   *client
		path string
	}{
		{"ticket", agent, "/api/v1/tickets/" + tk.ID() + "/opportunity"},
		{"care reminder", rep, "/api/v1/care-reminders/" + remID + "/opportunity"},
	} {
		if c.name == "care reminder" {
			st, b = rep2.do("POST", c.path, nil)
			problem(t, "another rep's reminder", st, b, 404, "not_found")
		}
		st, b = c.as.do("POST", c.path, map[string]any{"name": "升级新型号"})
		if st != 201 {
			t.Fatalf("%s: %d %s", c.name, st, b)
		}
		out := decode(t, b)
		opp, origin := out["opportunity"].(map[string]any), out["origin"].(map[string]any)
		if opp["origin_id"] != origin["id"] || origin["opportunity_id"] != opp["id"] || opp["owner_id"] != f.Rep1.UserID || opp["name"] != "升级新型号" {
			t.Fatalf("%s: not linked both ways: %s", c.name, b)
		}
		st, b = c.as.do("POST", c.path, nil)
		problem(t, c.name+" twice", st, b, 409, "opportunity_already_raised")
		if d, _ := decode(t, b)["data"].(map[string]any); d["opportunity_id"] != opp["id"] {
			t.Fatalf("%s twice: no existing id: %s", c.name, b)
		}
	}
	st, b = rep.do("POST", "/api/v1/tickets/not-an-id/opportunity", nil)
	problem(t, "bad id", st, b, 404, "not_found")

	// The reminder's steps.
	st, b = rep2.do("POST", "/api/v1/care-reminders/"+remID+"/greeting", nil)
	problem(t, "greeting by another rep", st, b, 404, "not_found")
	if st, b = rep.do("POST", "/api/v1/care-reminders/"+remID+"/greeting", nil); st != 200 || decode(t, b)["status"] != "done" {
		t.Fatalf("greeting: %d %s", st, b)
	}
	st, b = rep.do("POST", "/api/v1/care-reminders/"+remID+"/greeting", nil)
	problem(t, "greeting twice", st, b, 409, "care_already_greeted")
	st, b = rep.do("POST", "/api/v1/care-reminders/"+remID+"/skip", nil)
	problem(t, "skip a done one", st, b, 409, "care_not_pending")

	// Signals and settings.
	st, b = rep.do("GET", "/api/v1/service/signals?kind=nope", nil)
	problem(t, "bad signal kind", st, b, 422, "kind:invalid_option")
	if st, b = rep.do("GET", "/api/v1/service/signals", nil); st != 200 {
		t.Fatalf("signals: %d %s", st, b)
	}
	st, b = admin.do("PUT", "/api/v1/care/settings", map[string]any{"days": 0})
	problem(t, "days 0", st, b, 422, "days:out_of_range")
	if st, b = admin.do("PUT", "/api/v1/care/settings", map[string]any{"days": 14}); st != 200 || decode(t, b)["days"] != 14.0 {
		t.Fatalf("settings: %d %s", st, b)
	}
}
