package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
)

// Field service through the API: visits and their steps, parts used,
// the engineer's day, stock movements as the stock process, returns —
// with the refusals a client meets: wrong warehouse, too little stock,
// a stale version, another engineer's visit.
func TestFieldServiceContract(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	ctx := context.Background()
	sys := access.SystemPrincipal()
	as := func(p *access.Principal) *client {
		return &client{t: t, base: base, token: tokenFor(t, f, p, "write"), name: p.Name}
	}
	mgrP := f.AddUser(t, "钱经理", "qian@example.com", f.South, access.RoleServiceManager)
	eng1P := f.AddUser(t, "周工", "zhou@example.com", f.South, access.RoleFieldEngineer)
	eng2P := f.AddUser(t, "吴工", "wu@example.com", f.South, access.RoleFieldEngineer)
	for _, u := range []*access.Principal{eng1P, eng2P} {
		if _, err := f.App.Records.Create(ctx, sys, "service_agent", entity.Record{"user_id": u.UserID, "team_id": f.South, "field_engineer": true}); err != nil {
			t.Fatal(err)
		}
	}
	mgr, eng1, eng2 := as(mgrP), as(eng1P), as(eng2P)
	cust := f.Customer(t, f.Rep1, "合肥京东方光电科技有限公司")

	st, b := mgr.do("POST", "/api/v1/warehouses", map[string]any{"code": "VAN-1", "name": "周工网点库", "kind": "branch", "keeper_id": eng1P.UserID})
	if st != 201 {
		t.Fatalf("warehouse: %d %s", st, b)
	}
	van := decode(t, b)["id"].(string)
	st, b = mgr.do("POST", "/api/v1/warehouses", map[string]any{"code": "VAN-1", "name": "重复", "kind": "van"})
	problem(t, "duplicate code", st, b, 422, "code:fs_duplicate")
	st, b = mgr.do("POST", "/api/v1/spare-parts", map[string]any{"sku": "SP-FLT", "name": "滤芯", "min_stock": 1})
	if st != 201 {
		t.Fatalf("part: %d %s", st, b)
	}
	part := decode(t, b)["id"].(string)

	// Stock movements are the stock process.
	st, b = mgr.do("POST", "/api/v1/stock-movements", map[string]any{"kind": "in", "part_id": part, "warehouse_id": van, "quantity": 2})
	if st != 201 || decode(t, b)["balance_after"] != 2.0 {
		t.Fatalf("receipt: %d %s", st, b)
	}
	st, b = mgr.do("POST", "/api/v1/stock-movements", map[string]any{"kind": "in", "part_id": part, "warehouse_id": "00000000-0000-7000-8000-000000000000", "quantity": 2})
	problem(t, "unknown warehouse", st, b, 422, "warehouse_id:invalid_ref")
	st, b = mgr.do("POST", "/api/v1/stock-movements", map[string]any{"kind": "in", "part_id": part, "warehouse_id": van, "quantity": -1})
	if st != 422 {
		t.Fatalf("negative quantity: %d %s", st, b)
	}
	st, b = mgr.do("POST", "/api/v1/stock-movements", map[string]any{"kind": "adjust", "part_id": part, "warehouse_id": van, "quantity": 0})
	problem(t, "stock-take without reason", st, b, 422, "reason:required")
	st, b = mgr.do("POST", "/api/v1/stock-movements", map[string]any{"kind": "transfer", "part_id": part, "warehouse_id": van, "to_warehouse_id": van, "quantity": 1})
	problem(t, "transfer to itself", st, b, 422, "to_warehouse_id:stock_same_warehouse")
	st, b = mgr.do("POST", "/api/v1/spare-part-stock", map[string]any{})
	if st < 400 || st >= 500 {
		t.Fatalf("stock by hand: %d %s", st, b)
	}

	// A visit dispatched to engineer 1.
	start := time.Now().UTC().Truncate(time.Minute)
	st, b = mgr.do("POST", "/api/v1/visits", map[string]any{"customer_id": cust.ID(), "subject": "主轴异响", "engineer_id": f.Rep1.UserID,
		"appointment_start": start.Format(time.RFC3339), "appointment_end": start.Add(time.Hour).Format(time.RFC3339)})
	problem(t, "a sales rep as engineer", st, b, 422, "engineer_id:visit_not_field_engineer")
	st, b = mgr.do("POST", "/api/v1/visits", map[string]any{"customer_id": cust.ID(), "subject": "主轴异响", "engineer_id": eng1P.UserID,
		"appointment_start": start.Format(time.RFC3339), "appointment_end": start.Add(time.Hour).Format(time.RFC3339)})
	if st != 201 {
		t.Fatalf("visit: %d %s", st, b)
	}
	v := decode(t, b)
	vid := v["id"].(string)
	if v["status"] != "planned" || v["owner_id"] != eng1P.UserID || !strings.HasPrefix(v["number"].(string), "SM-") {
		t.Fatalf("visit %s", b)
	}
	st, b = eng1.do("GET", "/api/v1/visits/mine?date="+start.In(f.App.Loc).Format("2006-01-02"), nil)
	if st != 200 || !strings.Contains(string(b), vid) {
		t.Fatalf("my day: %d %s", st, b)
	}
	st, b = eng1.do("GET", "/api/v1/visits/mine?date=tomorrow", nil)
	problem(t, "bad date", st, b, 422, "date:invalid_date")
	st, b = eng2.do("POST", "/api/v1/visits/"+vid+"/check_in", nil)
	problem(t, "another engineer's visit", st, b, 404, "not_found")
	st, b = eng2.do("GET", "/api/v1/visits/"+vid, nil)
	if st != 404 {
		t.Fatalf("another engineer reads: %d", st)
	}
	st, b = eng1.do("POST", "/api/v1/visits/"+vid+"/check_out", nil)
	problem(t, "check out before check in", st, b, 422, "visit_step")
	st, b = eng1.do("POST", "/api/v1/visits/"+vid+"/check_in", map[string]any{"location": "合肥新站区", "version": 99})
	problem(t, "stale version", st, b, 409, "stale_version")
	st, b = eng1.do("POST", "/api/v1/visits/"+vid+"/check_in", map[string]any{"location": "合肥新站区"})
	if st != 200 || decode(t, b)["status"] != "checked_in" {
		t.Fatalf("check in: %d %s", st, b)
	}
	st, b = eng1.do("POST", "/api/v1/visits/"+vid+"/parts", map[string]any{"part_id": part, "quantity": 5})
	problem(t, "more parts than stock", st, b, 422, "stock_insufficient")
	st, b = eng1.do("POST", "/api/v1/visits/"+vid+"/parts", map[string]any{"part_id": part, "quantity": 2})
	if st != 201 {
		t.Fatalf("parts: %d %s", st, b)
	}
	st, b = eng1.do("GET", "/api/v1/visits/"+vid+"/parts", nil)
	if st != 200 || !strings.Contains(string(b), `"out_ticket"`) {
		t.Fatalf("parts list: %d %s", st, b)
	}
	st, b = mgr.do("GET", "/api/v1/spare-part-stock?low=true", nil)
	if st != 200 || !strings.Contains(string(b), part) {
		t.Fatalf("low stock: %d %s", st, b)
	}
	st, b = eng1.do("POST", "/api/v1/visits/"+vid+"/confirmation-link", nil)
	problem(t, "link before the work is done", st, b, 422, "visit_not_done")
	st, b = eng1.do("POST", "/api/v1/visits/"+vid+"/check_out", map[string]any{"work_done": "更换滤芯"})
	if st != 200 {
		t.Fatalf("check out: %d %s", st, b)
	}
	st, b = eng1.do("POST", "/api/v1/visits/"+vid+"/confirmation-link", nil)
	if st != 201 || !strings.Contains(string(b), "/v/") {
		t.Fatalf("link: %d %s", st, b)
	}
	st, b = eng1.do("PATCH", "/api/v1/visits/"+vid, map[string]any{"status": "confirmed"})
	if st != 422 {
		t.Fatalf("status by hand: %d %s", st, b)
	}

	// A return with its items.
	st, b = mgr.do("POST", "/api/v1/returns", map[string]any{"customer_id": cust.ID(), "kind": "exchange", "reason": "滤芯破损",
		"items": []map[string]any{{"part_id": part, "quantity": 0}}})
	problem(t, "item quantity 0", st, b, 422, "items[0].quantity:out_of_range")
	st, b = mgr.do("POST", "/api/v1/returns", map[string]any{"customer_id": cust.ID(), "kind": "exchange", "reason": "滤芯破损",
		"items": []map[string]any{{"part_id": part, "quantity": 1, "serial_no": "F-01"}}})
	if st != 201 {
		t.Fatalf("return: %d %s", st, b)
	}
	rid := decode(t, b)["id"].(string)
	st, b = mgr.do("POST", "/api/v1/returns/"+rid+"/receive", nil)
	problem(t, "receive parts without warehouse", st, b, 422, "warehouse_id:return_warehouse_required")
	st, b = mgr.do("POST", "/api/v1/returns/"+rid+"/receive", map[string]any{"warehouse_id": van})
	if st != 200 || decode(t, b)["status"] != "received" {
		t.Fatalf("receive: %d %s", st, b)
	}
	st, b = mgr.do("POST", "/api/v1/returns/"+rid+"/refund", map[string]any{"amount": 100})
	problem(t, "refund an exchange", st, b, 422, "return_step")
	st, b = eng1.do("POST", "/api/v1/returns/"+rid+"/inspect", map[string]any{"result": "defect_confirmed"})
	if st != 404 {
		t.Fatalf("engineer on another's return: %d %s", st, b)
	}
}
