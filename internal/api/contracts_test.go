package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// An accepted quote of p's for a new deal (the quotes part's processes
// are not needed to read one).
func acceptedQuote(t *testing.T, f *apptest.Fixture, p *access.Principal, custID, contactID string, total int64) string {
	t.Helper()
	ctx := context.Background()
	opp, err := f.App.Records.Create(ctx, p, "opportunity", entity.Record{"name": "数据中台建设", "customer_id": custID, "pain_points": "数据分散在十几个系统"})
	if err != nil {
		t.Fatal(err)
	}
	var q entity.Record
	err = f.App.DB.Write(ctx, func(tx *store.Tx) (err error) {
		q, err = f.App.Records.InsertTx(records.AsProcess(ctx), tx, p, "quote", entity.Record{"number": "Q-202611-" + opp.ID()[30:], "title": "数据中台一期",
			"customer_id": custID, "opportunity_id": opp.ID(), "contact_id": contactID, "valid_until": "2026-12-31", "payment_terms": "3:6:1", "delivery_period": "90 天"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.DB.W().ExecContext(ctx, `UPDATE quotes SET status = 'sent', total = $1 WHERE id = $2`, total, q.ID()); err != nil {
		t.Fatal(err)
	}
	return q.ID()
}

// The contract process through the API: each refusal a clear code with a
// message, stale versions 409, and who may read what.
func TestContractsAPI(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	as := func(p *access.Principal) *client {
		return &client{t: t, base: base, token: tokenFor(t, f, p, "write"), name: p.Name}
	}
	deliveryP := f.AddUser(t, "孙交付", "sun@example.com", f.Company, access.RoleDelivery)
	rep, rep2, mgr, delivery, service := as(f.Rep1), as(f.Rep2), as(f.Manager), as(deliveryP), as(f.Service)
	cust := f.Customer(t, f.Rep1, "杭州数智科技有限公司")
	_, b := rep.do("POST", "/api/v1/contacts", map[string]any{"name": "钱总", "customer_id": cust.ID(), "title": "CIO"})
	contact := decode(t, b)["id"].(string)
	quote := acceptedQuote(t, f, f.Rep1, cust.ID(), contact, 300000000)

	st, b := rep.do("POST", "/api/v1/quotes/"+quote+"/contract", nil)
	problem(t, "quote not accepted", st, b, 422, "quote_not_accepted")
	if _, err := f.App.DB.W().ExecContext(context.Background(), `UPDATE quotes SET status = 'accepted' WHERE id = $1`, quote); err != nil {
		t.Fatal(err)
	}
	st, b = rep.do("POST", "/api/v1/quotes/"+quote+"/contract", map[string]any{"title": "数据中台一期合同", "colour": "red"})
	problem(t, "unknown field", st, b, 400, "bad_json")
	st, b = rep2.do("POST", "/api/v1/quotes/"+quote+"/contract", nil)
	problem(t, "a colleague's quote", st, b, 404, "not_found")
	st, b = rep.do("POST", "/api/v1/quotes/"+quote+"/contract", map[string]any{"title": "数据中台一期合同"})
	if st != 201 {
		t.Fatalf("from quote: %d %s", st, b)
	}
	c := decode(t, b)
	id := c["id"].(string)
	if c["amount"] != float64(300000000) || c["status"] != "draft" || c["title"] != "数据中台一期合同" || !strings.HasPrefix(c["number"].(string), "HT-") {
		t.Errorf("contract %v", c)
	}
	st, b = rep.do("POST", "/api/v1/quotes/"+quote+"/contract", nil)
	problem(t, "second contract", st, b, 409, "quote_has_contract")
	path := "/api/v1/contracts/" + id

	// Another rep does not see it; delivery and finance read it.
	st, b = rep2.do("GET", path, nil)
	problem(t, "another rep reads", st, b, 404, "not_found")
	if st, b := delivery.do("GET", path, nil); st != 200 {
		t.Errorf("delivery reads contracts: %d %s", st, b)
	}
	st, b = delivery.do("PATCH", path, map[string]any{"version": 1, "title": "改"})
	problem(t, "delivery edits", st, b, 403, "forbidden")

	// The plan.
	st, b = rep.do("PUT", path+"/payment-plan", map[string]any{"instalments": []any{
		map[string]any{"kind": "advance", "due_date": "2026-12-01", "amount": 90000000},
		map[string]any{"kind": "on_delivery", "due_date": "2026-11-01", "amount": 0}}})
	problem(t, "plan rows", st, b, 422, "instalments[1].due_date:instalment_date_order")
	if !strings.Contains(string(b), "第2期计划回款日期") || !strings.Contains(string(b), "第2期计划金额须大于 0") {
		t.Errorf("rows named for people: %s", b)
	}
	st, b = rep.do("PUT", path+"/payment-plan", map[string]any{"instalments": []any{map[string]any{"kind": "advance", "due_date": "2026-12-01", "amount": "九千万"}}})
	problem(t, "amount as text", st, b, 400, "bad_json")
	st, b = rep.do("PUT", path+"/payment-plan", map[string]any{"instalments": []any{map[string]any{"kind": "advance", "due_date": "2026-12-01", "amount": 100000000}}})
	problem(t, "plan short", st, b, 422, "payment_plan_mismatch")
	if d := decode(t, b)["data"].(map[string]any); d["plan_sum"] != float64(100000000) || d["amount"] != float64(300000000) || !strings.Contains(string(b), "1,000,000.00") {
		t.Errorf("both sums: %s", b)
	}
	st, b = rep.do("POST", path+"/payment-plan/proposal", map[string]any{"from": "2026-12-01", "parts": []any{
		map[string]any{"percent_bp": 3000}, map[string]any{"percent_bp": 6000, "days": 90, "condition": "到货验收"}, map[string]any{"percent_bp": 1000, "days": 365}}})
	if st != 200 {
		t.Fatalf("proposal: %d %s", st, b)
	}
	var prop struct {
		Instalments []map[string]any `json:"instalments"`
		PlanSum     int64            `json:"plan_sum"`
	}
	json.Unmarshal(b, &prop)
	if prop.PlanSum != 300000000 || len(prop.Instalments) != 3 || prop.Instalments[2]["due_date"] != "2027-12-01" {
		t.Errorf("proposal %s", b)
	}
	st, b = rep.do("POST", path+"/payment-plan/proposal", map[string]any{"parts": []any{map[string]any{"percent_bp": 3000}}})
	problem(t, "not 100 %", st, b, 422, "parts:plan_percent_total")
	st, b = rep.do("PUT", path+"/payment-plan", map[string]any{"version": 1, "instalments": prop.Instalments})
	if st != 200 {
		t.Fatalf("plan: %d %s", st, b)
	}
	plan := decode(t, b)
	version := int64(plan["version"].(float64))
	if plan["plan_sum"] != float64(300000000) || len(plan["instalments"].([]any)) != 3 {
		t.Errorf("plan %s", b)
	}
	if in := plan["instalments"].([]any)[0].(map[string]any); in["label"] != "第1期 预付款" || in["remaining"] != float64(90000000) || in["paid_amount"] != float64(0) {
		t.Errorf("instalment %v", in)
	}
	st, b = rep.do("PUT", path+"/payment-plan", map[string]any{"version": 1, "instalments": prop.Instalments[:1]})
	problem(t, "stale plan", st, b, 409, "stale_version")

	// Signing.
	st, b = rep.do("POST", path+"/sign", map[string]any{"signed_on": "2026-11-20"})
	problem(t, "terms unconfirmed", st, b, 422, "contract_terms_unconfirmed")
	if !strings.Contains(string(b), "价格、交货期与交付方式") || decode(t, b)["data"] == nil {
		t.Errorf("what is missing: %s", b)
	}
	st, b = rep.do("POST", path+"/confirm-term", map[string]any{"item": "price", "version": version - 1})
	problem(t, "stale confirmation", st, b, 409, "stale_version")
	st, b = rep.do("POST", path+"/confirm-term", map[string]any{"item": "colour"})
	problem(t, "unknown item", st, b, 422, "item:invalid_option")
	for _, it := range []string{"price", "delivery", "scope", "payment", "acceptance", "after_sales"} {
		if st, b := rep.do("POST", path+"/confirm-term", map[string]any{"item": it}); st != 200 {
			t.Fatalf("confirm %s: %d %s", it, st, b)
		}
	}
	st, b = rep.do("GET", path+"/checklist", nil)
	if st != 200 || decode(t, b)["can_sign"] != false || !strings.Contains(string(b), "handover_recipients_missing") {
		t.Errorf("checklist: %d %s", st, b)
	}
	st, b = rep.do("POST", path+"/sign", map[string]any{"signed_on": "2026-11-20"})
	problem(t, "no recipients", st, b, 422, "handover_recipients_missing")
	_, b = rep.do("GET", path, nil)
	v := decode(t, b)["version"]
	st, b = rep.do("PATCH", path, map[string]any{"version": v, "delivery_owner_id": deliveryP.UserID, "service_owner_id": f.Service.UserID})
	if st != 200 {
		t.Fatalf("recipients: %d %s", st, b)
	}
	v = decode(t, b)["version"]
	st, b = rep.do("POST", path+"/sign", map[string]any{"signed_on": "2026-11-20", "version": v.(float64) - 1})
	problem(t, "stale sign", st, b, 409, "stale_version")
	st, b = rep.do("POST", path+"/sign", map[string]any{"signed_on": "2026/11/20", "version": v})
	problem(t, "bad date", st, b, 422, "signed_on:invalid_date")
	st, b = rep.do("POST", path+"/sign", map[string]any{"signed_on": "2026-11-20", "version": v})
	if st != 200 || decode(t, b)["status"] != "signed" || decode(t, b)["signer_contact_id"] != contact {
		t.Fatalf("sign: %d %s", st, b)
	}
	v = decode(t, b)["version"]
	st, b = rep.do("PATCH", path, map[string]any{"version": v, "amount": 1})
	problem(t, "signed amount", st, b, 422, "contract_locked")
	st, b = rep.do("PUT", path+"/payment-plan", map[string]any{"instalments": prop.Instalments})
	problem(t, "signed plan", st, b, 422, "contract_locked")
	st, b = rep.do("DELETE", path, nil)
	problem(t, "delete signed", st, b, 422, "contract_signed_kept")

	// The hand-over: delivery reads it and acknowledges; another rep does not see it.
	st, b = delivery.do("GET", path+"/handover", nil)
	if st != 200 {
		t.Fatalf("delivery reads the hand-over: %d %s", st, b)
	}
	h := decode(t, b)
	hid := h["id"].(string)
	if h["pain_points"] != "数据分散在十几个系统" || h["version_no"] != float64(1) || h["ack_status"] != "pending" {
		t.Errorf("hand-over %v", h)
	}
	st, b = rep2.do("GET", "/api/v1/handovers/"+hid, nil)
	problem(t, "another rep reads the hand-over", st, b, 404, "not_found")
	st, b = delivery.do("GET", "/api/v1/handovers/"+hid+"/report", nil)
	if st != 200 || !strings.Contains(string(b), "3:6:1") || !strings.Contains(string(b), `"recipients"`) {
		t.Errorf("report: %d %s", st, b)
	}
	st, b = delivery.do("GET", "/api/v1/handovers/pending", nil)
	if st != 200 || !strings.Contains(string(b), hid) {
		t.Errorf("delivery's pending: %d %s", st, b)
	}
	if st, b := rep.do("GET", "/api/v1/handovers/pending", nil); st != 200 || strings.Contains(string(b), hid) {
		t.Errorf("the owner has nothing to acknowledge: %d %s", st, b)
	}
	st, b = rep.do("POST", "/api/v1/handovers/"+hid+"/acknowledge", nil)
	problem(t, "owner acknowledges", st, b, 403, "handover_not_recipient")
	st, b = delivery.do("POST", "/api/v1/handovers/"+hid+"/acknowledge", map[string]any{"version": h["version"].(float64) + 5})
	problem(t, "stale acknowledgement", st, b, 409, "stale_version")
	st, b = delivery.do("POST", "/api/v1/handovers/"+hid+"/acknowledge", map[string]any{"version": h["version"], "comment": "已安排实施团队"})
	if st != 200 || decode(t, b)["ack_status"] != "partly" {
		t.Fatalf("acknowledge: %d %s", st, b)
	}
	st, b = delivery.do("POST", "/api/v1/handovers/"+hid+"/acknowledge", nil)
	problem(t, "twice", st, b, 409, "handover_already_acknowledged")
	st, b = delivery.do("PATCH", "/api/v1/handovers/"+hid, map[string]any{"version": h["version"], "risks": "x"})
	problem(t, "delivery edits the report", st, b, 403, "forbidden")
	st, b = rep.do("PATCH", "/api/v1/handovers/"+hid, map[string]any{"version": h["version"], "risks": "客户 IT 部门人手紧张，需提前预约上线窗口"})
	if st != 200 || decode(t, b)["version_no"] != float64(2) || decode(t, b)["ack_status"] != "pending" {
		t.Fatalf("edit: %d %s", st, b)
	}
	st, b = rep.do("POST", "/api/v1/handovers", map[string]any{"title": "x"})
	if st != 403 && st != 422 {
		t.Errorf("create by hand: %d %s", st, b)
	}
	st, b = service.do("GET", "/api/v1/handovers/"+hid+"/versions", nil)
	if st != 200 || strings.Count(string(b), "version_no") != 2 {
		t.Errorf("versions: %d %s", st, b)
	}
	st, b = service.do("GET", "/api/v1/handovers/"+hid+"/report?version_no=1", nil)
	if st != 200 || decode(t, b)["content"].(map[string]any)["risks"] != nil || strings.Contains(decode(t, b)["body"].(string), "人手紧张") || decode(t, b)["current"] != false {
		t.Errorf("version 1: %d %s", st, b)
	}
	if st, b := service.do("GET", "/api/v1/handovers?ack_status=pending", nil); st != 200 || !strings.Contains(string(b), hid) {
		t.Errorf("list filtered: %d %s", st, b)
	}

	// Moves.
	st, b = rep.do("POST", path+"/complete", nil)
	problem(t, "complete before start", st, b, 422, "contract_not_in_execution")
	if st, b := rep.do("POST", path+"/start", nil); st != 200 || decode(t, b)["status"] != "in_execution" {
		t.Fatalf("start: %d %s", st, b)
	}
	st, b = mgr.do("POST", path+"/terminate", map[string]any{})
	problem(t, "terminate without reason", st, b, 422, "reason:required")
	if st, b := mgr.do("POST", path+"/terminate", map[string]any{"reason": "客户项目取消"}); st != 200 || decode(t, b)["status"] != "terminated" {
		t.Fatalf("terminate: %d %s", st, b)
	}

	// Read-only tokens read but do not step.
	ro := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "read"), name: "ro"}
	st, b = ro.do("POST", path+"/start", nil)
	problem(t, "read-only token", st, b, 403, "token_read_only")
	if st, _ := ro.do("GET", path+"/payment-plan", nil); st != 200 {
		t.Errorf("read-only token reads the plan: %d", st)
	}
	_ = time.Now
	_ = http.MethodGet
}
