package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// finWorld is the fixture with a finance user and a signed contract of
// rep1 with a plan of two instalments (one overdue, one not yet due).
type finWorld struct {
	f               *apptest.Fixture
	base            string
	fin, rep, other *client
	admin           *client
	contract, cust  entity.Record
	inst            []entity.Record
	finP            *access.Principal
}

func newFinWorld(t *testing.T) *finWorld {
	t.Helper()
	f := apptest.NewFixture(t)
	w := &finWorld{f: f, base: newServer(t, f)}
	w.finP = f.AddUser(t, "钱会计", "qian@example.com", f.Company, access.RoleFinance)
	w.fin = &client{t: t, base: w.base, token: tokenFor(t, f, w.finP, "write"), name: "finance"}
	w.rep = &client{t: t, base: w.base, token: tokenFor(t, f, f.Rep1, "write"), name: "rep1"}
	w.other = &client{t: t, base: w.base, token: tokenFor(t, f, f.Rep3, "write"), name: "rep3"}
	w.admin = &client{t: t, base: w.base, token: tokenFor(t, f, f.Admin, "write"), name: "admin"}
	w.cust = f.Customer(t, f.Rep1, "青岛海洋装备有限公司")
	w.contract, w.inst = finContract(t, f, f.Rep1, w.cust, "HT-API-0001", 3_000_000, 7_000_000)
	return w
}

// finContract creates a signed contract with instalments, the first due a
// month ago, each later one a year after the previous (test data of the
// contracts area, written as its process would).
func finContract(t *testing.T, f *apptest.Fixture, p *access.Principal, cust entity.Record, number string, amounts ...int64) (entity.Record, []entity.Record) {
	t.Helper()
	ctx := context.Background()
	var c entity.Record
	var items []entity.Record
	due := time.Now().In(f.App.Loc).AddDate(0, -1, 0)
	err := f.App.DB.Write(ctx, func(tx *store.Tx) error {
		var total int64
		for _, a := range amounts {
			total += a
		}
		var err error
		c, err = f.App.Records.InsertTx(records.AsProcess(ctx), tx, p, "contract", entity.Record{"number": number, "title": "港机设备采购", "customer_id": cust.ID(),
			"status": crm.ContractSigned, "amount": total, "party_a": cust.Str("name")})
		if err != nil {
			return err
		}
		items = nil
		for i, a := range amounts {
			r, err := f.App.Records.InsertTx(records.AsProcess(ctx), tx, p, "payment_instalment", entity.Record{"contract_id": c.ID(), "position": int64(i + 1),
				"kind": "advance", "label": "预付款", "due_date": due.AddDate(i, 0, 0).Format(entity.DateLayout), "amount": a})
			if err != nil {
				return err
			}
			items = append(items, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, items
}

// send posts with extra headers and returns status, body and headers.
func (c *client) send(method, path string, body any, headers map[string]string) (int, []byte, http.Header) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Error(err)
		return 0, nil, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		c.t.Errorf("%s %s %s: %d %s", c.name, method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, b, resp.Header
}

func (w *finWorld) paid(t *testing.T, i int) (int64, string) {
	t.Helper()
	r, err := w.f.App.DB.Get(context.Background(), w.f.App.DB.R(), w.f.App.DB.Schema().Entity("payment_instalment"), w.inst[i].ID(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return r.Int("paid_amount"), r.Str("status")
}

func TestFinanceContract(t *testing.T) {
	w := newFinWorld(t)
	codeOf := func(b []byte) string {
		var m map[string]any
		json.Unmarshal(b, &m)
		s, _ := m["code"].(string)
		return s
	}

	// Invoices: the rep may not issue; finance issues against the plan.
	inv := map[string]any{"number": "37002300001", "kind": "vat_special", "contract_id": w.contract.ID(), "amount": 3_000_000, "tax_amount": 345_133}
	if st, b := w.rep.do("POST", "/api/v1/invoices", inv); st != 403 {
		t.Errorf("rep issues: %d %s", st, b)
	}
	st, b := w.fin.do("POST", "/api/v1/invoices", inv)
	if st != 201 {
		t.Fatalf("issue: %d %s", st, b)
	}
	invoice := decode(t, b)
	if !strings.HasPrefix(invoice["internal_no"].(string), "FP-") || invoice["status"] != "issued" || invoice["customer_id"] != w.cust.ID() {
		t.Errorf("issued %v", invoice)
	}
	for _, c := range []struct {
		name string
		body map[string]any
		st   int
		code string
	}{
		{"same number", map[string]any{"number": "37002300001", "kind": "vat_special", "contract_id": w.contract.ID(), "amount": 100, "tax_amount": 0}, 422, "validation"},
		{"beyond the instalment", map[string]any{"number": "37002300002", "kind": "electronic", "contract_id": w.contract.ID(), "amount": 100, "tax_amount": 0,
			"allocations": []map[string]any{{"instalment_id": w.inst[0].ID(), "amount": 100}}}, 422, "invoice_exceeds_instalment"},
		{"allocations not adding up", map[string]any{"number": "37002300002", "kind": "electronic", "contract_id": w.contract.ID(), "amount": 100, "tax_amount": 0,
			"allocations": []map[string]any{{"instalment_id": w.inst[1].ID(), "amount": 99}}}, 422, "invoice_allocations_mismatch"},
		{"bad allocations", map[string]any{"number": "37002300002", "kind": "electronic", "contract_id": w.contract.ID(), "amount": 100, "tax_amount": 0,
			"allocations": "all"}, 422, "validation"},
		{"unknown kind", map[string]any{"number": "37002300002", "kind": "paper", "contract_id": w.contract.ID(), "amount": 100, "tax_amount": 0}, 422, "validation"},
		{"no contract", map[string]any{"number": "37002300002", "kind": "electronic", "amount": 100, "tax_amount": 0}, 422, "validation"},
	} {
		if st, b := w.fin.do("POST", "/api/v1/invoices", c.body); st != c.st || codeOf(b) != c.code {
			t.Errorf("%s: %d %s", c.name, st, b)
		}
	}
	id := invoice["id"].(string)
	if st, b := w.rep.do("GET", "/api/v1/invoices/"+id, nil); st != 200 {
		t.Errorf("rep reads their contract's invoice: %d %s", st, b)
	}
	if st, _ := w.other.do("GET", "/api/v1/invoices/"+id, nil); st != 404 {
		t.Errorf("another rep reads the invoice: %d", st)
	}
	if st, b := w.fin.do("PATCH", "/api/v1/invoices/"+id, map[string]any{"version": 1, "amount": 5}); st != 422 || !strings.Contains(string(b), "invoice_fixed") {
		t.Errorf("change an issued amount: %d %s", st, b)
	}
	if st, b := w.fin.do("POST", "/api/v1/invoices/"+id+"/void", map[string]any{"reason": ""}); st != 422 {
		t.Errorf("void without reason: %d %s", st, b)
	}
	if st, b := w.fin.do("POST", "/api/v1/invoices/"+id+"/void", map[string]any{"reason": "税号错误", "version": 7}); st != 409 || codeOf(b) != "stale_version" {
		t.Errorf("stale void: %d %s", st, b)
	}
	if st, b := w.rep.do("POST", "/api/v1/invoices/"+id+"/void", map[string]any{"reason": "税号错误"}); st != 403 {
		t.Errorf("rep voids: %d %s", st, b)
	}
	if st, b := w.fin.do("POST", "/api/v1/invoices/"+id+"/void", map[string]any{"reason": "税号错误", "version": 1}); st != 200 || decode(t, b)["status"] != "voided" {
		t.Errorf("void: %d %s", st, b)
	}
	if st, b := w.fin.do("POST", "/api/v1/invoices/"+id+"/void", map[string]any{"reason": "再作废"}); st != 422 || codeOf(b) != "invoice_voided" {
		t.Errorf("void twice: %d %s", st, b)
	}
	if st, b := w.fin.do("DELETE", "/api/v1/invoices/"+id, nil); st != 422 {
		t.Errorf("delete an invoice: %d %s", st, b)
	}

	// Payments: explicit allocation, over-payment as credit, reversal.
	st, b = w.fin.do("POST", "/api/v1/payments", map[string]any{"contract_id": w.contract.ID(), "amount": 3_500_000, "method": "bank_transfer",
		"bank_ref": "CMB-20261130-88", "payer": "青岛海洋装备有限公司", "allocations": []map[string]any{{"instalment_id": w.inst[0].ID(), "amount": 3_000_000}}})
	if st != 201 {
		t.Fatalf("payment: %d %s", st, b)
	}
	pay := decode(t, b)
	if pay["allocated_amount"] != 3e6 || pay["unallocated_amount"] != 5e5 {
		t.Errorf("payment %v", pay)
	}
	if got, status := w.paid(t, 0); got != 3_000_000 || status != "paid" {
		t.Errorf("first instalment %d %s", got, status)
	}
	pid := pay["id"].(string)
	if st, b := w.fin.do("POST", "/api/v1/payments/"+pid+"/allocate", map[string]any{"version": 1}); st != 200 || decode(t, b)["unallocated_amount"] != 0.0 {
		t.Errorf("allocate credit: %d %s", st, b)
	}
	if got, status := w.paid(t, 1); got != 500_000 || status != "partly_paid" {
		t.Errorf("second instalment %d %s", got, status)
	}
	if st, b := w.fin.do("POST", "/api/v1/payments/"+pid+"/allocate", nil); st != 422 || codeOf(b) != "payment_no_credit" {
		t.Errorf("allocate again: %d %s", st, b)
	}
	if st, b := w.fin.do("POST", "/api/v1/payments", map[string]any{"contract_id": w.contract.ID(), "amount": 100,
		"allocations": []map[string]any{{"instalment_id": w.inst[0].ID(), "amount": 100}}}); st != 422 || codeOf(b) != "payment_exceeds_instalment" {
		t.Errorf("pay a paid instalment: %d %s", st, b)
	}
	if st, b := w.rep.do("POST", "/api/v1/payments", map[string]any{"contract_id": w.contract.ID(), "amount": 100}); st != 403 {
		t.Errorf("rep records a payment: %d %s", st, b)
	}
	if st, b := w.fin.do("POST", "/api/v1/payments/"+pid+"/reverse", map[string]any{"reason": "银行退回", "version": 2}); st != 200 || decode(t, b)["status"] != "reversed" {
		t.Errorf("reverse: %d %s", st, b)
	}
	if got, status := w.paid(t, 0); got != 0 || status != "open" {
		t.Errorf("after reversal %d %s", got, status)
	}

	// The contract's money against its plan.
	st, b = w.rep.do("GET", "/api/v1/contracts/"+w.contract.ID()+"/finance", nil)
	if st != 200 {
		t.Fatalf("contract finance: %d %s", st, b)
	}
	var cf struct {
		Totals      map[string]any   `json:"totals"`
		Instalments []map[string]any `json:"instalments"`
		Invoices    []map[string]any `json:"invoices"`
		Payments    []map[string]any `json:"payments"`
	}
	json.Unmarshal(b, &cf)
	if len(cf.Instalments) != 2 || len(cf.Invoices) != 1 || len(cf.Payments) != 1 || cf.Totals["planned"] != 1e7 || cf.Totals["overdue"] != 3e6 {
		t.Errorf("contract finance %s", b)
	}
	if st, _ := w.other.do("GET", "/api/v1/contracts/"+w.contract.ID()+"/finance", nil); st != 404 {
		t.Errorf("another rep reads the contract's finance: %d", st)
	}

	// Receivables: the rep's own; another rep's is empty; exports.
	st, b = w.rep.do("GET", "/api/v1/reports/receivables?group=owner", nil)
	if st != 200 {
		t.Fatalf("receivables: %d %s", st, b)
	}
	var ag struct {
		Rows []map[string]any `json:"rows"`
	}
	json.Unmarshal(b, &ag)
	if len(ag.Rows) != 1 || ag.Rows[0]["key"] != w.f.Rep1.UserID || ag.Rows[0]["overdue"] != 3e6 || ag.Rows[0]["outstanding"] != 1e7 || ag.Rows[0]["name"] != "张伟" {
		t.Errorf("rep's receivables %s", b)
	}
	if st, b := w.other.do("GET", "/api/v1/reports/receivables", nil); st != 200 || strings.Contains(string(b), w.cust.ID()) {
		t.Errorf("another rep's receivables: %d %s", st, b)
	}
	for _, q := range []string{"group=city", "as_of=2026-13-01", "team_id=x", "colour=red", "limit=0"} {
		if st, b := w.fin.do("GET", "/api/v1/reports/receivables?"+q, nil); st != 422 {
			t.Errorf("%s: %d %s", q, st, b)
		}
	}
	st, b, h := w.fin.send("GET", "/api/v1/reports/receivables?format=csv", nil, map[string]string{"Accept-Language": "zh-CN"})
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(string(b), "青岛海洋装备有限公司") || !strings.Contains(string(b), "90 天以上") {
		t.Errorf("csv: %d %s", st, b)
	}
	if st, _, h := w.fin.send("GET", "/api/v1/reports/receivables?format=xlsx", nil, nil); st != 200 || !strings.Contains(h.Get("Content-Type"), "spreadsheetml") {
		t.Errorf("xlsx: %d", st)
	}

	// The reminder setting is the admins'.
	if st, b := w.fin.do("PUT", "/api/v1/finance/settings", map[string]any{"remind_days": 10}); st != 403 {
		t.Errorf("finance sets reminders: %d %s", st, b)
	}
	if st, b := w.admin.do("PUT", "/api/v1/finance/settings", map[string]any{"remind_days": 120}); st != 422 {
		t.Errorf("120 days: %d %s", st, b)
	}
	if st, b := w.admin.do("PUT", "/api/v1/finance/settings", map[string]any{"remind_days": 10}); st != 200 || decode(t, b)["remind_days"] != 10.0 {
		t.Errorf("set reminders: %d %s", st, b)
	}
	if st, b := w.fin.do("GET", "/api/v1/finance/settings", nil); st != 200 || decode(t, b)["remind_days"] != 10.0 {
		t.Errorf("read reminders: %d %s", st, b)
	}
}

// The quality bar: 20 concurrent retries of one payment with the same
// key record it once, and every one of them gets the same payment.
func TestPaymentIdempotency(t *testing.T) {
	w := newFinWorld(t)
	body := map[string]any{"contract_id": w.contract.ID(), "amount": 1_000_000, "method": "bank_transfer", "bank_ref": "ICBC-778899"}
	key := map[string]string{"Idempotency-Key": "pay-778899-attempt"}
	const n = 20
	type answer struct {
		st     int
		id     string
		body   string
		replay bool
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			st, b, h := w.fin.send("POST", "/api/v1/payments", body, key)
			var m map[string]any
			json.Unmarshal(b, &m)
			id, _ := m["id"].(string)
			answers[i] = answer{st, id, string(b), h.Get("Idempotent-Replayed") == "true"}
		}()
	}
	close(start)
	wg.Wait()
	replays := 0
	for i, a := range answers {
		if a.st != 201 || a.id == "" || a.id != answers[0].id || a.body != answers[0].body {
			t.Errorf("answer %d: %d %s (first %s)", i, a.st, a.body, answers[0].body)
		}
		if a.replay {
			replays++
		}
	}
	if replays != n-1 {
		t.Errorf("%d replayed answers, want %d", replays, n-1)
	}
	ctx := context.Background()
	var payments, allocations int
	w.f.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM payments WHERE contract_id = $1`, w.contract.ID()).Scan(&payments)
	w.f.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM payment_allocations WHERE contract_id = $1`, w.contract.ID()).Scan(&allocations)
	if payments != 1 || allocations != 1 {
		t.Errorf("%d payments and %d allocations recorded, want 1 and 1", payments, allocations)
	}
	if got, status := w.paid(t, 0); got != 1_000_000 || status != "partly_paid" {
		t.Errorf("instalment paid %d %s", got, status)
	}
	// A retry later: the same answer, nothing new; the Location too.
	st, b, h := w.fin.send("POST", "/api/v1/payments", body, key)
	if st != 201 || string(b) != answers[0].body || h.Get("Location") != "/api/v1/payments/"+answers[0].id {
		t.Errorf("retry: %d %s %v", st, b, h.Get("Location"))
	}
	// The same body encoded differently is the same request.
	raw := fmt.Sprintf(`{ "method":"bank_transfer","amount":1000000, "bank_ref":"ICBC-778899", "contract_id":"%s" }`, w.contract.ID())
	req, _ := http.NewRequest("POST", w.base+"/api/v1/payments", strings.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+w.fin.token)
	req.Header.Set("Idempotency-Key", "pay-778899-attempt")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("re-encoded retry: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	// The same key for something else is refused.
	other := map[string]any{"contract_id": w.contract.ID(), "amount": 2_000_000}
	if st, b, _ := w.fin.send("POST", "/api/v1/payments", other, key); st != 422 || !strings.Contains(string(b), "idempotency_key_reused") {
		t.Errorf("reused key: %d %s", st, b)
	}
	// Keys are per caller; a bad key is refused; no key records every time.
	fin2 := f2(t, w)
	if st, b, _ := fin2.send("POST", "/api/v1/payments", body, key); st != 201 || decode(t, b)["id"] == answers[0].id {
		t.Errorf("another caller's key: %d %s", st, b)
	}
	if st, _, _ := w.fin.send("POST", "/api/v1/payments", body, map[string]string{"Idempotency-Key": "钥匙"}); st != 400 {
		t.Errorf("non-ASCII key: %d", st)
	}
	if st, _, _ := w.fin.send("POST", "/api/v1/payments", body, nil); st != 201 {
		t.Errorf("no key: %d", st)
	}
	// A refused request records nothing under its key: the retry is judged afresh.
	bad := map[string]string{"Idempotency-Key": "too-much"}
	tooMuch := map[string]any{"contract_id": w.contract.ID(), "amount": 100, "allocations": []map[string]any{{"instalment_id": w.inst[0].ID(), "amount": 9_000_000}}}
	if st, _, _ := w.fin.send("POST", "/api/v1/payments", tooMuch, bad); st != 422 {
		t.Errorf("refused: %d", st)
	}
	var keys int
	w.f.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM idempotency_keys WHERE key = 'too-much'`).Scan(&keys)
	if keys != 0 {
		t.Errorf("a refused request left its key")
	}
	// After 24 hours a key is forgotten: the purge job removes it, and an
	// old key is new again.
	if _, err := w.f.App.DB.W().ExecContext(ctx, `UPDATE idempotency_keys SET created_at = $1`, time.Now().Add(-25*time.Hour).UTC()); err != nil {
		t.Fatal(err)
	}
	if st, b, h := w.fin.send("POST", "/api/v1/payments", body, key); st != 201 || h.Get("Idempotent-Replayed") != "" || decode(t, b)["id"] == answers[0].id {
		t.Errorf("expired key: %d %s", st, b)
	}
	purged, err := w.f.App.DB.PurgeIdempotencyKeys(ctx, time.Now())
	if err != nil || purged != 1 {
		t.Errorf("purged %d (%v), want the other caller's expired key", purged, err)
	}
}

// f2 is a second finance user.
func f2(t *testing.T, w *finWorld) *client {
	p := w.f.AddUser(t, "孙出纳", "sun@example.com", w.f.Company, access.RoleFinance)
	return &client{t: t, base: w.base, token: tokenFor(t, w.f, p, "write"), name: "finance2"}
}
