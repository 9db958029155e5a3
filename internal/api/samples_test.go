package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"closeloop/internal/apptest"
	"closeloop/internal/entity"
)

// Samples over HTTP: advancing step by step, wrong steps refused with a
// code naming the allowed next step, the conversion report and its
// export — bad input is a problem document, never a 500.
func TestSampleAdvanceAndReport(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	rep := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "write"), name: "rep1"}
	cust := f.Customer(t, f.Rep1, "山东鲁泰新材料股份有限公司")
	sentOn := time.Now().In(f.App.Loc).AddDate(0, 0, -14).Format(entity.DateLayout)
	st, b := rep.do("POST", "/api/v1/samples", map[string]any{"product": "改性聚丙烯 PP-K8", "customer_id": cust.ID(), "quantity": 25, "unit": "kg",
		"sent_on": sentOn, "documents": []string{"manual", "msds", "notes"}, "carrier": "顺丰速运", "tracking_no": "SF1402778812345"})
	if st != 201 {
		t.Fatalf("create sample: %d %s", st, b)
	}
	id := decode(t, b)["id"].(string)
	path := "/api/v1/samples/" + id + "/advance"

	// A wrong step: 422 with the code and the allowed next step.
	st, b = rep.do("POST", path, map[string]any{"stage": "regular_purchase", "result": "直接下单"})
	pr := decode(t, b)
	if st != 422 || pr["code"] != "sample_stage_order" || !strings.Contains(pr["detail"].(string), "下一步只能是“小试”") {
		t.Fatalf("wrong step: %d %s", st, b)
	}
	if d, _ := pr["data"].(map[string]any); d == nil || d["current"] != "sent" || len(d["allowed"].([]any)) != 2 || d["allowed"].([]any)[0] != "small_trial" {
		t.Fatalf("problem data: %s", b)
	}
	bad := []struct {
		body  any
		st    int
		field string
	}{
		{map[string]any{"stage": "small_trial"}, 422, "result"},
		{map[string]any{"stage": "small_trial", "result": "ok", "on": "yesterday"}, 422, "on"},
		{map[string]any{"stage": "small_trial", "result": "ok", "on": "2999-01-01"}, 422, "on"},
		{map[string]any{"stage": "done", "result": "ok"}, 422, "stage"},
		{map[string]any{"stage": 3, "result": "ok"}, 400, ""},
		{map[string]any{"stage": "small_trial", "result": "ok", "extra": true}, 400, ""},
		{map[string]any{"stage": "small_trial", "result": strings.Repeat("很", 20001)}, 422, "result"},
	}
	for _, c := range bad {
		st, b := rep.do("POST", path, c.body)
		if st != c.st || (c.field != "" && !strings.Contains(string(b), `"field":"`+c.field+`"`)) {
			t.Errorf("%v: %d %s", c.body, st, b)
		}
	}
	if _, b := rep.do("POST", path, map[string]any{"stage": "small_trial", "result": "ok", "on": "2999-01-01"}); !strings.Contains(string(b), `"detail":"日期不能晚于今天"`) {
		t.Errorf("the date is not named in the message: %s", b)
	}
	if _, b := rep.do("GET", "/api/v1/reports/samples?from=x", nil); !strings.Contains(string(b), "开始日期不是有效的日期") {
		t.Errorf("the report parameter is not named in the message: %s", b)
	}
	if st, b := rep.do("POST", "/api/v1/samples/not-an-id/advance", map[string]any{"stage": "small_trial", "result": "ok"}); st != 404 {
		t.Errorf("bad id: %d %s", st, b)
	}
	other := &client{t: t, base: base, token: tokenFor(t, f, f.Rep3, "write"), name: "rep3"}
	if st, _ := other.do("POST", path, map[string]any{"stage": "small_trial", "result": "ok"}); st != 404 {
		t.Errorf("someone else's sample: %d", st)
	}
	ro := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "read"), name: "rep1-read"}
	if st, _ := ro.do("POST", path, map[string]any{"stage": "small_trial", "result": "ok"}); st != 403 {
		t.Errorf("read token: %d", st)
	}
	// Right steps.
	st, b = rep.do("POST", path, map[string]any{"stage": "small_trial", "on": sentOn, "result": "熔指、冲击强度达标", "version": 1})
	if st != 200 || decode(t, b)["stage"] != "small_trial" || decode(t, b)["small_trial_on"] != sentOn {
		t.Fatalf("small trial: %d %s", st, b)
	}
	if st, b := rep.do("POST", path, map[string]any{"stage": "pilot", "result": "中试", "version": 1}); st != 409 {
		t.Errorf("stale: %d %s", st, b)
	}
	if st, b := rep.do("POST", path, map[string]any{"stage": "failed", "result": "中试批次翘曲超标"}); st != 200 || decode(t, b)["failed_reason"] != "中试批次翘曲超标" {
		t.Fatalf("failed: %d %s", st, b)
	}
	st, b = rep.do("POST", path, map[string]any{"stage": "pilot", "result": "再试"})
	if st != 422 || decode(t, b)["code"] != "sample_closed" {
		t.Errorf("closed: %d %s", st, b)
	}

	// The report.
	st, b = rep.do("GET", "/api/v1/reports/samples?from="+sentOn, nil)
	if st != 200 {
		t.Fatalf("report: %d %s", st, b)
	}
	r := decode(t, b)
	rows := r["rows"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["key"] != "改性聚丙烯 PP-K8" || rows[0].(map[string]any)["small_trial"] != 1.0 || rows[0].(map[string]any)["failed"] != 1.0 || r["group"] != "product" {
		t.Fatalf("report %s", b)
	}
	for _, q := range []string{"from=notadate", "group=colour", "owner_id=x'--", "from=2026-05-01&to=2026-04-01", "team_id=%00"} {
		if st, b := rep.do("GET", "/api/v1/reports/samples?"+q, nil); st != 422 {
			t.Errorf("report ?%s: %d %s", q, st, b)
		}
	}
	// The export: CSV with a BOM and Chinese headers, XLSX; refused for roles without export.
	for _, format := range []string{"csv", "xlsx"} {
		req, _ := http.NewRequest("GET", base+"/api/v1/reports/samples/export?format="+format, nil)
		req.Header.Set("Authorization", "Bearer "+rep.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "sample-conversion-") {
			t.Fatalf("export %s: %d %s", format, resp.StatusCode, body)
		}
		if format == "csv" && !strings.Contains(string(body), "产品,送样,小试") {
			t.Errorf("csv: %s", body)
		}
		if format == "xlsx" && !strings.HasPrefix(string(body), "PK") {
			t.Error("xlsx is not a zip")
		}
	}
	if st, _ := rep.do("GET", "/api/v1/reports/samples/export?format=pdf", nil); st != 422 {
		t.Errorf("pdf export: %d", st)
	}
	pre := &client{t: t, base: base, token: tokenFor(t, f, f.Presales, "read"), name: "presales"}
	if st, _ := pre.do("GET", "/api/v1/reports/samples/export", nil); st != 403 {
		t.Errorf("export without the right: %d", st)
	}
	if st, b := pre.do("GET", "/api/v1/reports/samples", nil); st != 200 || len(decode(t, b)["rows"].([]any)) != 0 {
		t.Errorf("presales engineer sees others' samples: %d %s", st, b)
	}
}

// A bid's review cannot pass while documents are missing: 422 naming them.
func TestBidReviewNeedsDocuments(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	rep := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "write"), name: "rep1"}
	cust := f.Customer(t, f.Rep1, "苏州工业园区管委会")
	st, b := rep.do("POST", "/api/v1/opportunities", map[string]any{"name": "园区智慧停车", "customer_id": cust.ID()})
	if st != 201 {
		t.Fatalf("opportunity: %d %s", st, b)
	}
	opp := decode(t, b)["id"].(string)
	st, b = rep.do("POST", "/api/v1/bids", map[string]any{"title": "园区智慧停车一期", "opportunity_id": opp, "deadline": time.Now().Add(72 * time.Hour).Format(time.RFC3339),
		"documents_required": []string{"license", "technical"}, "documents_ready": []string{"license"}})
	if st != 201 || decode(t, b)["customer_id"] != cust.ID() {
		t.Fatalf("bid: %d %s", st, b)
	}
	id := decode(t, b)["id"].(string)
	req, _ := http.NewRequest("PATCH", base+"/api/v1/bids/"+id, strings.NewReader(`{"version": 1, "review_status": "passed"}`))
	req.Header.Set("Authorization", "Bearer "+rep.token)
	req.Header.Set("Accept-Language", "en")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pr := decode(t, body)
	if resp.StatusCode != 422 || pr["code"] != "bid_documents_missing" || !strings.Contains(pr["detail"].(string), "Technical proposal") {
		t.Fatalf("review with a document missing: %d %s", resp.StatusCode, body)
	}
	if d, _ := pr["data"].(map[string]any); d == nil || len(d["missing"].([]any)) != 1 || d["missing"].([]any)[0] != "technical" {
		t.Fatalf("data %s", body)
	}
	if st, b := rep.do("PATCH", "/api/v1/bids/"+id, map[string]any{"version": 1, "review_status": "passed", "documents_ready": []string{"license", "technical"}}); st != 200 {
		t.Fatalf("review with documents: %d %s", st, b)
	}
}
