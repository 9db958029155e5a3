package api_test

import (
	"context"
	"strings"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
)

// The ticket contract: create with a first message, read with the
// conversation (notes only for staff who work tickets), the steps with
// their refusals, and the queue.
func TestTicketContract(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	as := func(p *access.Principal) *client {
		return &client{t: t, base: base, token: tokenFor(t, f, p, "write"), name: p.Name}
	}
	ctx := context.Background()
	agentP := f.AddUser(t, "王客服", "wang.kf@example.com", f.South, access.RoleService)
	if _, err := f.App.Records.Create(ctx, f.Admin, "service_agent", entity.Record{"user_id": agentP.UserID, "team_id": f.South, "max_open": int64(5)}); err != nil {
		t.Fatal(err)
	}
	finP := f.AddUser(t, "钱会计", "qian@example.com", f.Company, access.RoleFinance)
	agent, admin, fin := as(agentP), as(f.Admin), as(finP)
	cust := f.Customer(t, f.Rep1, "苏州华星光电技术有限公司")

	st, b := agent.do("POST", "/api/v1/tickets", map[string]any{"subject": "设备无法开机", "description": "断电后无法开机", "customer_id": cust.ID(),
		"priority": "high", "message": map[string]any{"body": "昨晚断电后设备无法开机。", "from_name": "李工"}})
	if st != 201 {
		t.Fatalf("create: %d %s", st, b)
	}
	tk := decode(t, b)
	id := tk["id"].(string)
	for _, k := range []string{"first_response_due_at", "resolution_due_at", "sla_state"} {
		if _, ok := tk[k]; !ok {
			t.Errorf("ticket JSON lacks %s: %s", k, b)
		}
	}
	if !strings.HasPrefix(tk["number"].(string), "GD-") || tk["channel"] != "api" || len(tk["messages"].([]any)) != 1 {
		t.Fatalf("created: %s", b)
	}
	st, b = agent.do("POST", "/api/v1/tickets", map[string]any{"subject": "x", "description": "y", "message": map[string]any{"text": "z"}})
	problem(t, "message with an unknown field", st, b, 422, "message.text:unknown_field")
	st, b = agent.do("POST", "/api/v1/tickets", map[string]any{"subject": "x", "description": "y", "status": "closed"})
	problem(t, "status by hand", st, b, 422, "status:read_only")

	version := func(m map[string]any) float64 { return m["version"].(float64) }
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/reply", map[string]any{"body": "请问指示灯颜色？", "version": version(tk) + 5})
	problem(t, "stale reply", st, b, 409, "stale_version")
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/reply", map[string]any{"body": "  "})
	problem(t, "empty reply", st, b, 422, "body:required")
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/reply", map[string]any{"body": "请问指示灯颜色？", "wait": true, "version": version(tk)})
	if st != 200 || decode(t, b)["status"] != "waiting_customer" || decode(t, b)["first_responded_at"] == nil {
		t.Fatalf("reply: %d %s", st, b)
	}
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/note", map[string]any{"body": "内部：客户是 A 级"})
	if st != 200 {
		t.Fatalf("note: %d %s", st, b)
	}
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/wait", map[string]any{"for": "later"})
	problem(t, "wait for what", st, b, 422, "for:invalid_option")
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/resume", nil)
	if st != 200 || decode(t, b)["status"] != "in_progress" {
		t.Fatalf("resume: %d %s", st, b)
	}
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/wait", map[string]any{"for": "parts"})
	if st != 200 || decode(t, b)["status"] != "waiting_parts" {
		t.Fatalf("wait parts: %d %s", st, b)
	}
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/assign", map[string]any{"user_id": f.Rep1.UserID})
	problem(t, "assign to a rep", st, b, 422, "user_id:not_service_agent")
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/resolve", map[string]any{"resolution": "更换电源"})
	problem(t, "resolve without cause", st, b, 422, "cause:ticket_cause_required")
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/resolve", map[string]any{"cause": "product_defect", "resolution": "更换电源", "extra": 1})
	problem(t, "unknown field", st, b, 400, "bad_json")
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/resolve", map[string]any{"cause": "product_defect", "resolution": "更换电源"})
	if st != 200 || decode(t, b)["status"] != "resolved" || decode(t, b)["cause"] != "product_defect" {
		t.Fatalf("resolve: %d %s", st, b)
	}
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/reply", map[string]any{"body": "x"})
	problem(t, "reply on a resolved ticket", st, b, 422, "ticket_step")
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/reopen", nil)
	if st != 200 || decode(t, b)["reopen_count"] != 1.0 {
		t.Fatalf("reopen: %d %s", st, b)
	}
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/merge", map[string]any{"target_id": id})
	problem(t, "merge into itself", st, b, 422, "target_id:ticket_merge_self")
	st, b = agent.do("POST", "/api/v1/tickets/"+id+"/close", nil)
	if st != 200 || decode(t, b)["status"] != "closed" {
		t.Fatalf("close: %d %s", st, b)
	}
	st, b = agent.do("POST", "/api/v1/tickets/00000000-0000-0000-0000-000000000000/note", map[string]any{"body": "x"})
	if st != 404 {
		t.Errorf("unknown ticket: %d %s", st, b)
	}

	// The conversation: staff see the note, finance does not.
	_, b = agent.do("GET", "/api/v1/tickets/"+id, nil)
	if !strings.Contains(string(b), "内部：客户是 A 级") {
		t.Errorf("the agent does not see the note: %s", b)
	}
	st, b = fin.do("GET", "/api/v1/tickets/"+id, nil)
	if st != 200 || strings.Contains(string(b), "内部：客户是 A 级") || !strings.Contains(string(b), "请问指示灯颜色") {
		t.Errorf("finance: %d %s", st, b)
	}

	// The queue.
	st, b = agent.do("POST", "/api/v1/tickets", map[string]any{"subject": "打印模糊", "description": "打印件模糊", "customer_id": cust.ID(), "kind": "repair"})
	if st != 201 {
		t.Fatalf("second: %d %s", st, b)
	}
	st, b = agent.do("GET", "/api/v1/tickets/queue?view=mine&kind=repair", nil)
	q := decode(t, b)
	items, _ := q["items"].([]any)
	if st != 200 || len(items) != 1 || items[0].(map[string]any)["customer_name"] != "苏州华星光电技术有限公司" {
		t.Fatalf("queue: %d %s", st, b)
	}
	if _, ok := items[0].(map[string]any)["next_due_at"]; !ok {
		t.Errorf("queue row without next_due_at: %s", b)
	}
	st, b = agent.do("GET", "/api/v1/tickets/queue?view=nope", nil)
	problem(t, "bad view", st, b, 422, "view:invalid_option")
	st, b = agent.do("GET", "/api/v1/tickets/queue?limit=0", nil)
	problem(t, "bad limit", st, b, 422, "limit:out_of_range")

	// Settings.
	st, b = agent.do("PUT", "/api/v1/tickets/settings", map[string]any{"reopen_days": 3})
	problem(t, "an agent changes settings", st, b, 403, "forbidden")
	st, b = admin.do("PUT", "/api/v1/tickets/settings", map[string]any{"reopen_days": 400})
	problem(t, "reopen 400 days", st, b, 422, "reopen_days:out_of_range")
	st, b = admin.do("PUT", "/api/v1/tickets/settings", map[string]any{"reopen_days": 14, "auto_assign": true})
	if st != 200 || !strings.Contains(string(b), `"reopen_days":14`) || !strings.Contains(string(b), `"auto_assign":true`) {
		t.Fatalf("settings: %d %s", st, b)
	}
	// The OpenAPI document names the steps.
	_, b = admin.do("GET", "/api/openapi.json", nil)
	for _, p := range []string{"/api/v1/tickets/{id}/reply", "/api/v1/tickets/{id}/merge", "/api/v1/tickets/queue", "TicketQueueItem"} {
		if !strings.Contains(string(b), p) {
			t.Errorf("openapi lacks %s", p)
		}
	}
}
