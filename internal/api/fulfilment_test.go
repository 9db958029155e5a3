package api_test

import (
	"context"
	"strings"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
)

// Fulfilment through the API: orders with their lines, stock, reserve,
// deliveries against what remains, tracking, the sign-off link, supply
// problems and tasks — with the refusals a client meets: stable codes,
// 409 on a stale version, 403/404 by who may see what.
func TestFulfilmentContract(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	as := func(p *access.Principal) *client {
		return &client{t: t, base: base, token: tokenFor(t, f, p, "write"), name: p.Name}
	}
	coordP := f.AddUser(t, "孙协调", "sun@example.com", f.Company, access.RoleDelivery)
	engP := f.AddUser(t, "周工", "zhougong@example.com", f.South, access.RoleService)
	coord, rep, rep3, eng, admin := as(coordP), as(f.Rep1), as(f.Rep3), as(engP), as(f.Admin)
	cust := f.Customer(t, f.Rep1, "合肥京东方光电科技有限公司")
	prod, err := f.App.Records.Create(context.Background(), access.SystemPrincipal(), "product", entity.Record{"sku": "CAB-42", "name": "42U 标准机柜", "unit": "台", "kind": "goods", "list_price": int64(250000), "stock_qty": int64(4)})
	if err != nil {
		t.Fatal(err)
	}

	// An order typed with lines, answered with them.
	st, b := coord.do("POST", "/api/v1/orders", map[string]any{"customer_id": cust.ID(), "requested_date": "2026-12-20",
		"lines": []map[string]any{{"product_id": prod.ID(), "quantity": 6, "unit_price": 282500}, {"name": "安装服务", "quantity": 1, "unit_price": 50000}}})
	if st != 201 {
		t.Fatalf("create order: %d %s", st, b)
	}
	o := decode(t, b)
	oid := o["id"].(string)
	lines := o["lines"].([]any)
	if o["status"] != "confirmed" || o["total"] != 1745000.0 || len(lines) != 2 || lines[0].(map[string]any)["name"] != "42U 标准机柜" || !strings.HasPrefix(o["number"].(string), "SO-") {
		t.Fatalf("order %s", b)
	}
	st, b = coord.do("POST", "/api/v1/orders", map[string]any{"customer_id": cust.ID(), "lines": []map[string]any{{"product_id": prod.ID(), "quantity": 0}}})
	problem(t, "quantity 0", st, b, 422, "lines[0].quantity:out_of_range")
	if !strings.Contains(string(b), "第 1 行") {
		t.Errorf("line named by its place: %s", b)
	}
	st, b = coord.do("POST", "/api/v1/orders", map[string]any{"customer_id": cust.ID(), "lines": "x"})
	problem(t, "lines not a list", st, b, 422, "lines:invalid_list")
	st, b = coord.do("POST", "/api/v1/orders", map[string]any{"customer_id": cust.ID(), "status": "completed"})
	problem(t, "status by hand", st, b, 422, "status:read_only")
	st, b = rep.do("POST", "/api/v1/orders", map[string]any{"customer_id": cust.ID()})
	problem(t, "a rep creates an order", st, b, 403, "forbidden")

	// Stock check and reservation.
	st, b = coord.do("GET", "/api/v1/orders/"+oid+"/stock", nil)
	if st != 200 || !strings.Contains(string(b), `"available":4`) || !strings.Contains(string(b), `"need":6`) {
		t.Fatalf("stock: %d %s", st, b)
	}
	st, b = coord.do("POST", "/api/v1/orders/"+oid+"/reserve", map[string]any{"version": 99})
	problem(t, "stale reserve", st, b, 409, "stale_version")
	st, b = coord.do("POST", "/api/v1/orders/"+oid+"/reserve", nil)
	if st != 200 || !strings.Contains(string(b), `"reserved":4`) || !strings.Contains(string(b), `"short":2`) {
		t.Fatalf("reserve: %d %s", st, b)
	}
	st, b = rep.do("POST", "/api/v1/orders/"+oid+"/reserve", nil)
	problem(t, "rep reserves", st, b, 403, "forbidden")
	st, b = rep3.do("GET", "/api/v1/orders/"+oid, nil)
	problem(t, "another rep reads", st, b, 404, "not_found")
	if st, _ := rep.do("GET", "/api/v1/orders/"+oid, nil); st != 200 {
		t.Errorf("the customer's rep reads: %d", st)
	}
	cur := decode(t, func() []byte { _, b := coord.do("GET", "/api/v1/orders/"+oid, nil); return b }())
	st, b = coord.do("PATCH", "/api/v1/orders/"+oid, map[string]any{"version": cur["version"], "lines": []map[string]any{}})
	problem(t, "lines after reserving", st, b, 422, "order_lines_locked")
	if st, b := coord.do("PATCH", "/api/v1/orders/"+oid, map[string]any{"version": cur["version"], "notes": "客户要求分两批"}); st != 200 || decode(t, b)["version"] == cur["version"] {
		t.Fatalf("patch: %d %s", st, b)
	}
	st, b = coord.do("PATCH", "/api/v1/orders/"+oid, map[string]any{"version": cur["version"], "notes": "x"})
	problem(t, "stale patch", st, b, 409, "stale_version")

	// Deliveries against what remains.
	olID := lines[0].(map[string]any)["id"].(string)
	st, b = coord.do("POST", "/api/v1/deliveries", map[string]any{"order_id": oid, "lines": []map[string]any{{"order_line_id": olID, "quantity": 7}}})
	problem(t, "7 of 6", st, b, 422, "lines[0].quantity:delivery_exceeds_order")
	if m := decode(t, b); m["code"] != "delivery_exceeds_order" {
		t.Errorf("top code %v", m["code"])
	}
	st, b = coord.do("POST", "/api/v1/deliveries", map[string]any{"order_id": oid, "carrier": "德邦物流", "tracking_no": "DPK1",
		"lines": []map[string]any{{"order_line_id": olID, "quantity": 4, "batch_no": "B1", "production_date": "2026-11-20"}}})
	if st != 201 {
		t.Fatalf("plan: %d %s", st, b)
	}
	d := decode(t, b)
	did := d["id"].(string)
	if d["status"] != "planned" || len(d["lines"].([]any)) != 1 || len(d["events"].([]any)) != 1 || !strings.HasPrefix(d["number"].(string), "FH-") {
		t.Fatalf("delivery %s", b)
	}
	st, b = coord.do("POST", "/api/v1/deliveries/"+did+"/sign-off-link", nil)
	problem(t, "link before shipping", st, b, 422, "delivery_not_signable")
	st, b = coord.do("POST", "/api/v1/deliveries/"+did+"/events", map[string]any{"status": "signed"})
	problem(t, "sign by staff", st, b, 422, "delivery_sign_by_link")
	st, b = coord.do("POST", "/api/v1/deliveries/"+did+"/events", map[string]any{"status": "shipped", "at": "next tuesday"})
	problem(t, "bad time", st, b, 422, "at:invalid_datetime")
	st, b = coord.do("POST", "/api/v1/deliveries/"+did+"/events", map[string]any{"status": "shipped", "note": "出库"})
	if st != 200 || decode(t, b)["status"] != "shipped" {
		t.Fatalf("ship: %d %s", st, b)
	}
	st, b = coord.do("POST", "/api/v1/deliveries/"+did+"/sign-off-link", map[string]any{"days": 500})
	problem(t, "500 days", st, b, 422, "days:out_of_range")
	st, b = coord.do("POST", "/api/v1/deliveries/"+did+"/sign-off-link", map[string]any{"days": 3})
	if st != 201 || !strings.Contains(string(b), `"url":"http`) || !strings.Contains(string(b), "/s/") || strings.Contains(string(b), `"token"`) {
		t.Fatalf("link: %d %s", st, b)
	}
	st, b = rep.do("POST", "/api/v1/deliveries/"+did+"/sign-off-link", nil)
	problem(t, "rep makes a link", st, b, 403, "forbidden")
	if st, _ := rep.do("GET", "/api/v1/deliveries/"+did, nil); st != 200 {
		t.Errorf("rep reads the delivery: %d", st)
	}

	// Supply problems.
	st, b = coord.do("POST", "/api/v1/supply-problems", map[string]any{"title": "交货晚两天", "kind": "late_delivery", "delivery_id": did})
	if st != 201 || decode(t, b)["order_id"] != oid {
		t.Fatalf("problem: %d %s", st, b)
	}
	spID := decode(t, b)["id"].(string)
	st, b = coord.do("POST", "/api/v1/supply-problems/"+spID+"/resolve", map[string]any{})
	problem(t, "resolve without resolution", st, b, 422, "resolution:required")
	if decode(t, b)["code"] != "supply_problem_resolution_required" {
		t.Errorf("code %s", b)
	}
	st, b = coord.do("POST", "/api/v1/supply-problems/"+spID+"/reopen", map[string]any{"reason": "x"})
	problem(t, "reopen an open problem", st, b, 422, "supply_problem_step")
	st, b = coord.do("POST", "/api/v1/supply-problems/"+spID+"/resolve", map[string]any{"resolution": "加急补发", "root_cause": "logistics"})
	if st != 200 || decode(t, b)["status"] != "resolved" {
		t.Fatalf("resolve: %d %s", st, b)
	}
	st, b = rep.do("GET", "/api/v1/supply-problems?customer_id="+cust.ID(), nil)
	if st != 200 || !strings.Contains(string(b), spID) {
		t.Errorf("problems of the customer: %d %s", st, b)
	}
	if _, b := rep3.do("GET", "/api/v1/supply-problems", nil); strings.Contains(string(b), spID) {
		t.Error("another rep lists the problem")
	}

	// Tasks: the checklist in the task's JSON, steps by the engineer.
	st, b = coord.do("POST", "/api/v1/tasks", map[string]any{"title": "机柜安装", "kind": "installation", "order_id": oid, "engineer_id": engP.UserID, "scheduled_start": "2026-12-22T09:00:00+08:00"})
	if st != 201 {
		t.Fatalf("task: %d %s", st, b)
	}
	tid := decode(t, b)["id"].(string)
	st, b = eng.do("GET", "/api/v1/tasks/"+tid, nil)
	items, _ := decode(t, b)["checklist"].([]any)
	if st != 200 || len(items) == 0 {
		t.Fatalf("task with checklist: %d %s", st, b)
	}
	st, b = eng.do("POST", "/api/v1/tasks/"+tid+"/done", map[string]any{"result": "完成"})
	problem(t, "done with the checklist open", st, b, 422, "task_checklist_open")
	for _, it := range items {
		if st, b := eng.do("POST", "/api/v1/tasks/"+tid+"/checklist/"+it.(map[string]any)["id"].(string), map[string]any{"done": true}); st != 200 {
			t.Fatalf("tick: %d %s", st, b)
		}
	}
	st, b = eng.do("POST", "/api/v1/tasks/"+tid+"/done", nil)
	problem(t, "done without result", st, b, 422, "result:required")
	if st, b := eng.do("POST", "/api/v1/tasks/"+tid+"/done", map[string]any{"result": "安装完成"}); st != 200 || decode(t, b)["status"] != "done" {
		t.Fatalf("done: %d %s", st, b)
	}
	st, b = eng.do("GET", "/api/v1/tasks/mine", nil)
	if st != 200 || !strings.Contains(string(b), tid) {
		t.Errorf("my tasks: %d %s", st, b)
	}
	st, b = rep.do("POST", "/api/v1/tasks/"+tid+"/acceptance-link", nil)
	problem(t, "rep asks acceptance", st, b, 403, "forbidden")
	if st, b := eng.do("POST", "/api/v1/tasks/"+tid+"/acceptance-link", nil); st != 201 || !strings.Contains(string(b), "/s/") {
		t.Errorf("acceptance link: %d %s", st, b)
	}

	// Settings: admins only.
	st, b = coord.do("PUT", "/api/v1/fulfilment/settings", map[string]any{"link_days": 14})
	problem(t, "coordinator sets", st, b, 403, "forbidden")
	st, b = admin.do("PUT", "/api/v1/fulfilment/settings", map[string]any{"link_days": 0})
	problem(t, "0 days", st, b, 422, "link_days:out_of_range")
	if st, b := admin.do("PUT", "/api/v1/fulfilment/settings", map[string]any{"link_days": 14}); st != 200 || decode(t, b)["link_days"] != 14.0 {
		t.Errorf("settings: %d %s", st, b)
	}

	// Cancel: refused once goods left.
	st, b = coord.do("POST", "/api/v1/orders/"+oid+"/cancel", map[string]any{"reason": "x"})
	problem(t, "cancel shipped", st, b, 422, "order_has_shipments")
	st, b = coord.do("POST", "/api/v1/orders/"+oid+"/cancel", map[string]any{})
	problem(t, "cancel without reason", st, b, 422, "reason:required")
}
