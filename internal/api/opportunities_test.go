package api_test

import (
	"strings"
	"testing"

	"closeloop/internal/apptest"
)

// The stage contract: POST /opportunities/{id}/stage with {"stage": code};
// a gate that is not met is a 422 whose code names the gate and whose
// errors name the missing fields; win and lose close the deal.
func TestOpportunityStageContract(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	rep := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "write"), name: "rep1"}
	other := &client{t: t, base: base, token: tokenFor(t, f, f.Rep2, "write"), name: "rep2"}
	cust := f.Customer(t, f.Rep1, "华信精密制造有限公司")

	st, b := rep.do("POST", "/api/v1/opportunities", map[string]any{"name": "质检系统一期", "customer_id": cust.ID(), "amount": 50000000, "expected_close_date": "2026-12-20"})
	if st != 201 {
		t.Fatalf("create: %d %s", st, b)
	}
	o := decode(t, b)
	id := o["id"].(string)
	if o["stage"] != "acquired" || o["probability"] != 10.0 || o["status"] != "open" {
		t.Fatalf("created %v", o)
	}
	cases := []struct {
		who  *client
		body any
		st   int
		code string
	}{
		{rep, map[string]any{"stage": "evaluation"}, 200, ""},
		{rep, map[string]any{"stage": "solution_design"}, 422, "gate_needs_analysis"},
		{rep, map[string]any{"stage": "kickoff"}, 422, "stage_skip_denied"},
		{rep, map[string]any{"stage": "nowhere"}, 422, "validation"},
		{rep, map[string]any{}, 422, "validation"},
		{rep, map[string]any{"stage": "acquired", "version": 1}, 409, "stale_version"},
		{rep, map[string]any{"stage": "acquired", "extra": true}, 400, "bad_json"},
		{other, map[string]any{"stage": "acquired"}, 404, "not_found"},
	}
	for _, c := range cases {
		st, b := c.who.do("POST", "/api/v1/opportunities/"+id+"/stage", c.body)
		if st != c.st || (c.code != "" && decode(t, b)["code"] != c.code) {
			t.Errorf("%s %v: %d %s", c.who.name, c.body, st, b)
		}
	}
	st, b = rep.do("POST", "/api/v1/opportunities/"+id+"/stage", map[string]any{"stage": "solution_design"})
	p := decode(t, b)
	if !strings.Contains(p["detail"].(string), "需求分析") {
		t.Errorf("gate message %q", p["detail"])
	}
	missing := map[string]bool{}
	for _, e := range p["errors"].([]any) {
		missing[e.(map[string]any)["field"].(string)] = true
	}
	if !missing["pain_points"] || !missing["business_scenario"] || len(missing) != 4 {
		t.Errorf("missing fields %v", missing)
	}
	if data, _ := p["data"].(map[string]any); data["stage"] != "solution_design" {
		t.Errorf("refusal data %v", p["data"])
	}

	// Board and reports answer for what the rep sees.
	st, b = rep.do("GET", "/api/v1/opportunities/board", nil)
	if st != 200 || !strings.Contains(string(b), `"质检系统一期"`) {
		t.Fatalf("board: %d %s", st, b)
	}
	if st, b := rep.do("GET", "/api/v1/reports/forecast?from=2026-12&months=3&group=owner", nil); st != 200 || !strings.Contains(string(b), `"2026-12"`) {
		t.Errorf("forecast: %d %s", st, b)
	}
	if st, b := rep.do("GET", "/api/v1/reports/forecast?from=december", nil); st != 422 {
		t.Errorf("bad month: %d %s", st, b)
	}
	if st, b := rep.do("GET", "/api/v1/reports/funnel?team_id=x", nil); st != 422 {
		t.Errorf("bad team: %d %s", st, b)
	}
	if st, b := other.do("GET", "/api/v1/opportunities/board", nil); st != 200 || strings.Contains(string(b), "质检系统一期") {
		t.Errorf("other rep's board shows the deal: %d %s", st, b)
	}

	// Lose needs a reason; then the deal is closed.
	if st, b := rep.do("POST", "/api/v1/opportunities/"+id+"/lose", map[string]any{}); st != 422 {
		t.Errorf("lose without reason: %d %s", st, b)
	}
	if st, b := rep.do("POST", "/api/v1/opportunities/"+id+"/lose", map[string]any{"reason": "price", "note": "对手低价"}); st != 200 || decode(t, b)["status"] != "lost" {
		t.Errorf("lose: %d %s", st, b)
	}
	if st, b := rep.do("POST", "/api/v1/opportunities/"+id+"/win", nil); st != 422 || decode(t, b)["code"] != "opportunity_closed" {
		t.Errorf("win a lost deal: %d %s", st, b)
	}
}
