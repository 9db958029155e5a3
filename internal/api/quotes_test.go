package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
)

// Quotes through the API: lines inside the quote's JSON, totals as integer
// fen computed by the server, the processes with their refusals, stale
// versions, and who may see what.
func TestQuotesContract(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	as := func(p *access.Principal) *client {
		return &client{t: t, base: base, token: tokenFor(t, f, p, "write"), name: p.Name}
	}
	rep, rep2, mgr := as(f.Rep1), as(f.Rep2), as(f.Manager)
	adm := as(f.Admin)
	cust := f.Customer(t, f.Rep1, "苏州恒力新材料股份有限公司", "level", "B")

	// The catalogue: products by the admin; a rep may read but not write.
	st, b := adm.do("POST", "/api/v1/products", map[string]any{"sku": "HW-PLC-S7", "name": "PLC 控制器", "spec": "CPU 1516-3 PN/DP", "unit": "台",
		"kind": "goods", "category": "hardware", "list_price": 1_860_000, "tax_rate_bp": 1300, "stock_qty": 20})
	if st != 201 {
		t.Fatalf("product: %d %s", st, b)
	}
	plc := decode(t, b)["id"].(string)
	if st, b := adm.do("PATCH", "/api/v1/products/"+plc, map[string]any{"version": 1, "reserved_qty": 5}); st != 422 || !strings.Contains(string(b), "reserved_qty") {
		t.Errorf("reserved_qty written: %d %s", st, b)
	}
	if st, _ := rep.do("POST", "/api/v1/products", map[string]any{"sku": "X", "name": "x", "unit": "个", "list_price": 1}); st != 403 {
		t.Errorf("rep creates a product: %d", st)
	}
	st, b = adm.do("POST", "/api/v1/price-lists", map[string]any{"name": "B 类客户 2026", "code": "LV-B-2026", "customer_level": "B"})
	if st != 201 {
		t.Fatalf("price list: %d %s", st, b)
	}
	list := decode(t, b)["id"].(string)
	if st, b := adm.do("POST", "/api/v1/price-list-items", map[string]any{"price_list_id": list, "product_id": plc, "unit_price": 1_790_000}); st != 201 || decode(t, b)["product_name"] != "PLC 控制器" {
		t.Fatalf("price list item: %d %s", st, b)
	}
	if st, b := adm.do("POST", "/api/v1/price-list-items", map[string]any{"price_list_id": list, "product_id": plc, "unit_price": 1_700_000}); st != 422 || !strings.Contains(string(b), "price_list_item_duplicate") {
		t.Errorf("second price for a product: %d %s", st, b)
	}

	valid := time.Now().AddDate(0, 1, 0).Format(entity.DateLayout)
	// Create with lines in the body.
	st, b = rep.do("POST", "/api/v1/quotes", map[string]any{"title": "产线改造报价", "customer_id": cust.ID(), "valid_until": valid,
		"payment_terms": "预付 30%，到货 60%，验收 10%",
		"lines": []map[string]any{
			{"product_id": plc, "quantity": 3, "discount_bp": 250},
			{"name": "系统集成服务", "unit": "项", "quantity": 1, "unit_price": 4_500_000, "tax_rate_bp": 600},
		}})
	if st != 201 {
		t.Fatalf("create: %d %s", st, b)
	}
	var q struct{ ID, Number, Status string }
	raw := map[string]json.RawMessage{}
	_ = json.Unmarshal(b, &raw)
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var m map[string]any
	_ = dec.Decode(&m)
	q.ID, q.Number, q.Status = m["id"].(string), m["number"].(string), m["status"].(string)
	for _, k := range []string{"subtotal", "discount_amount", "net_amount", "tax_amount", "total", "max_discount_bp"} {
		if _, ok := m[k].(json.Number); !ok || strings.Contains(string(raw[k]), ".") {
			t.Errorf("%s is not an integer: %s", k, raw[k])
		}
	}
	// 3 × 17900.00 × 0.975 = 52357.50, tax 6806.475 → 6806.48; 45000.00, tax 2700.00
	if m["total"].(json.Number).String() != "10686398" || m["subtotal"].(json.Number).String() != "9870000" || m["discount_amount"].(json.Number).String() != "134250" {
		t.Errorf("totals: total %v subtotal %v discount %v", m["total"], m["subtotal"], m["discount_amount"])
	}
	lines, _ := m["lines"].([]any)
	if len(lines) != 2 || lines[0].(map[string]any)["unit_price"].(json.Number).String() != "1790000" || lines[0].(map[string]any)["name"] != "PLC 控制器" {
		t.Fatalf("lines: %v", lines)
	}
	if !strings.HasPrefix(q.Number, "Q-") || q.Status != "draft" {
		t.Fatalf("number %s status %s", q.Number, q.Status)
	}
	path := "/api/v1/quotes/" + q.ID
	first := lines[0].(map[string]any)["id"].(string)

	// GET returns the lines; the list does not need them.
	st, b = rep.do("GET", path, nil)
	if st != 200 || len(decode(t, b)["lines"].([]any)) != 2 {
		t.Fatalf("get: %d %s", st, b)
	}
	// Bad input: clear codes, fields named by their line, never a 500.
	st, b = rep.do("PATCH", path, map[string]any{"version": 1, "lines": []map[string]any{{"id": first, "discount_bp": 12000}}})
	problem(t, "discount 120 %", st, b, 422, "lines[0].discount_bp:quote_discount_range")
	if !strings.Contains(string(b), "第 1 行折扣（%）须在 0 到 100 之间（填写的是 120）") {
		t.Errorf("line field named: %s", b)
	}
	st, b = rep.do("PATCH", path, map[string]any{"version": 1, "lines": []map[string]any{{"id": first, "line_total": 1}}})
	problem(t, "line total as input", st, b, 422, "lines[0].line_total:read_only")
	st, b = rep.do("PATCH", path, map[string]any{"version": 1, "total": 1})
	problem(t, "total as input", st, b, 422, "total:read_only")
	st, b = rep.do("PATCH", path, map[string]any{"version": 1, "lines": "all"})
	problem(t, "lines not a list", st, b, 422, "lines:invalid_list")
	st, b = rep.do("PATCH", path, map[string]any{"version": 1, "lines": []map[string]any{{"product_id": plc, "quantity": 1, "unit_price": 1_000_000}}})
	problem(t, "price below the list", st, b, 422, "lines[0].unit_price:quote_price_below_list")
	// Change: keep line 1 with a new quantity, drop line 2.
	// 4 × 17900.00 × 0.975 = 69810.00, tax 9075.30 → total 78885.30
	st, b = rep.do("PATCH", path, map[string]any{"version": 1, "notes": "含三年原厂保修", "lines": []map[string]any{{"id": first, "quantity": 4}}})
	if st != 200 || decode(t, b)["version"] != 2.0 || len(decode(t, b)["lines"].([]any)) != 1 || decode(t, b)["total"] != 7_888_530.0 {
		t.Fatalf("patch lines: %d %s", st, b)
	}
	st, b = rep.do("PATCH", path, map[string]any{"version": 1, "notes": "旧"})
	problem(t, "stale patch", st, b, 409, "stale_version")

	// The PDF: Chinese by default, English on request, a name in UTF-8.
	resp, pdf := rep.download(path + "/pdf")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(pdf), "%PDF-") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95-Q-") {
		t.Fatalf("pdf: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := rep.download(path + "/pdf?lang=en"); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "Quotation-Q-") {
		t.Fatalf("english pdf: %d %v", resp.StatusCode, resp.Header)
	}
	st, b = rep.do("GET", path+"/pdf?lang=fr", nil)
	problem(t, "pdf in French", st, b, 422, "lang:invalid_option")

	// Another rep cannot see the quote, its lines, its PDF or its processes.
	for _, c := range []struct{ method, path string }{{"GET", path}, {"PATCH", path}, {"POST", path + "/submit"}, {"POST", path + "/send"}, {"GET", path + "/versions"}, {"GET", path + "/pdf"}} {
		st, b := rep2.do(c.method, c.path, map[string]any{"version": 2})
		if c.method == "GET" {
			st, b = rep2.do(c.method, c.path, nil)
		}
		if st != 404 {
			t.Errorf("other rep %s %s: %d %s", c.method, c.path, st, b)
		}
	}
	st, b = rep2.do("GET", "/api/v1/quote-lines?quote_id="+q.ID, nil)
	if st != 200 || len(decode(t, b)["items"].([]any)) != 0 {
		t.Errorf("other rep lists the lines: %d %s", st, b)
	}
	if st, b := mgr.do("GET", path, nil); st != 200 {
		t.Errorf("manager reads the team's quote: %d %s", st, b)
	}

	// Processes: accept before sending, stale send, send, accept.
	st, b = rep.do("POST", path+"/accept", map[string]any{"version": 2})
	problem(t, "accept a draft", st, b, 422, "quote_not_sent")
	st, b = rep.do("POST", path+"/send", map[string]any{"version": 1})
	problem(t, "stale send", st, b, 409, "stale_version")
	st, b = rep.do("POST", path+"/reject", map[string]any{"version": 2, "reason": "x", "colour": "red"})
	problem(t, "unknown field", st, b, 400, "bad_json")
	st, b = rep.do("POST", path+"/send", map[string]any{"version": 2})
	if st != 200 || decode(t, b)["status"] != "sent" || len(decode(t, b)["lines"].([]any)) != 1 {
		t.Fatalf("send: %d %s", st, b)
	}
	v := decode(t, b)["version"]
	st, b = rep.do("PATCH", path, map[string]any{"version": v, "notes": "改"})
	problem(t, "edit a sent quote", st, b, 422, "quote_locked")
	st, b = rep.do("POST", path+"/reject", map[string]any{"version": v})
	problem(t, "reject without reason", st, b, 422, "reason:quote_reject_reason_required")
	st, b = rep.do("POST", path+"/revise", map[string]any{"version": v})
	if st != 201 || decode(t, b)["revision"] != 2.0 || decode(t, b)["root_id"] != q.ID || len(decode(t, b)["lines"].([]any)) != 1 {
		t.Fatalf("revise: %d %s", st, b)
	}
	v2 := decode(t, b)["id"].(string)
	st, b = rep.do("GET", "/api/v1/quotes/"+v2+"/versions", nil)
	if st != 200 || len(decode(t, b)["items"].([]any)) != 2 {
		t.Fatalf("versions: %d %s", st, b)
	}
	st, b = rep.do("POST", path+"/accept", nil)
	problem(t, "accept a superseded quote", st, b, 422, "quote_not_sent")
	st, b = rep.do("POST", "/api/v1/quotes/"+v2+"/submit", map[string]any{"reason": "客户要求按新规格"})
	if st != 200 || decode(t, b)["status"] != "approved" {
		t.Fatalf("submit: %d %s", st, b)
	}
	st, b = rep.do("POST", "/api/v1/quotes/"+v2+"/send", nil)
	if st != 200 {
		t.Fatalf("send v2: %d %s", st, b)
	}
	st, b = rep.do("POST", "/api/v1/quotes/"+v2+"/accept", map[string]any{"version": decode(t, b)["version"]})
	if st != 200 || decode(t, b)["status"] != "accepted" {
		t.Fatalf("accept: %d %s", st, b)
	}
	// A discount beyond the rep's 5 % needs approval: not sent until approved.
	st, b = rep.do("POST", "/api/v1/quotes", map[string]any{"title": "大额折扣", "customer_id": cust.ID(), "valid_until": valid,
		"lines": []map[string]any{{"product_id": plc, "quantity": 10, "discount_bp": 1200}}})
	if st != 201 {
		t.Fatalf("create: %d %s", st, b)
	}
	bigID := decode(t, b)["id"].(string)
	big := "/api/v1/quotes/" + bigID
	st, b = rep.do("POST", big+"/send", nil)
	problem(t, "send needing approval", st, b, 422, "quote_needs_approval")
	st, b = rep.do("POST", big+"/submit", map[string]any{"version": 1})
	problem(t, "submit without a reason", st, b, 422, "discount_reason:quote_discount_reason_required")
	st, b = rep.do("POST", big+"/submit", map[string]any{"version": 1, "reason": "批量采购 10 台"})
	if st != 200 || decode(t, b)["status"] != "in_approval" {
		t.Fatalf("submit: %d %s", st, b)
	}
	st, b = rep.do("POST", big+"/send", nil)
	problem(t, "send in approval", st, b, 422, "quote_needs_approval")
	st, b = mgr.do("GET", "/api/v1/approvals?mine=1", nil)
	if st != 200 || !strings.Contains(string(b), `"doc_type":"quote"`) || len(decode(t, b)["items"].([]any)) != 1 {
		t.Fatalf("manager's inbox: %d %s", st, b)
	}

	// The generic list filters by status and customer.
	st, b = rep.do("GET", "/api/v1/quotes?status=accepted&customer_id="+cust.ID(), nil)
	if st != 200 || len(decode(t, b)["items"].([]any)) != 1 {
		t.Fatalf("list: %d %s", st, b)
	}
	_ = context.Background
}
