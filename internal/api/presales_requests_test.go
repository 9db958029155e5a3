package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
)

// rawDo sends a body as is (broken JSON, wrong types).
func (c *client) rawDo(method, path, body string) (int, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		c.t.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, b
}

// problem checks a refusal: its status, its code (or the first field's),
// and a message for people.
func problem(t *testing.T, what string, st int, b []byte, wantStatus int, wantCode string) {
	t.Helper()
	if st != wantStatus {
		t.Errorf("%s: status %d, want %d: %s", what, st, wantStatus, b)
		return
	}
	m := decode(t, b)
	got, _ := m["code"].(string)
	if es, ok := m["errors"].([]any); ok && len(es) > 0 {
		e := es[0].(map[string]any)
		got = e["field"].(string) + ":" + e["code"].(string)
	}
	if got != wantCode {
		t.Errorf("%s: code %q, want %q: %s", what, got, wantCode, b)
	}
	if d, _ := m["detail"].(string); d == "" || strings.Contains(d, "err.") {
		t.Errorf("%s: no message for people: %s", what, b)
	}
}

// The request process and solution review through the API, with the
// refusals a client meets on the way: each a clear code with a message,
// never a 500.
func TestPresalesContract(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	as := func(p *access.Principal) *client {
		return &client{t: t, base: base, token: tokenFor(t, f, p, "write"), name: p.Name}
	}
	mgrP := f.AddUser(t, "周经理", "zhou@example.com", f.Company, access.RolePresalesManager)
	rep, mgr, eng := as(f.Rep1), as(mgrP), as(f.Presales)
	cust := f.Customer(t, f.Rep1, "合肥京东方光电科技有限公司")
	_, b := rep.do("POST", "/api/v1/opportunities", map[string]any{"name": "京东方智能仓储", "customer_id": cust.ID(), "amount": 30000000})
	opp := decode(t, b)["id"].(string)
	st, b := rep.do("POST", "/api/v1/presales-requests", map[string]any{"opportunity_id": opp, "work_needed": []string{"solution_writing"}, "description": "仓储方案", "needed_by": "2026-12-31", "estimated_value": 30000000})
	if st != 201 || decode(t, b)["customer_id"] != cust.ID() || decode(t, b)["status"] != "submitted" {
		t.Fatalf("raise: %d %s", st, b)
	}
	req := decode(t, b)["id"].(string)
	path := "/api/v1/presales-requests/" + req

	// Evaluation.
	st, b = mgr.rawDo("POST", path+"/evaluation", `{"conclusion": "accept",`)
	problem(t, "broken JSON", st, b, 400, "bad_json")
	st, b = mgr.do("POST", path+"/evaluation", map[string]any{"conclusion": "accept", "colour": "red"})
	problem(t, "unknown field", st, b, 400, "bad_json")
	st, b = mgr.do("POST", path+"/evaluation", map[string]any{"conclusion": "accept", "people": "two"})
	problem(t, "wrong type", st, b, 400, "bad_json")
	st, b = mgr.do("POST", path+"/evaluation", map[string]any{"work": []string{"demo"}})
	problem(t, "no conclusion", st, b, 422, "conclusion:required")
	if !strings.Contains(string(b), "评估结论为必填项") {
		t.Errorf("field named by its label: %s", b)
	}
	st, b = mgr.do("POST", path+"/evaluation", map[string]any{"conclusion": "accept", "work": []string{"demo"}, "difficulty": "low", "importance": "galactic"})
	problem(t, "bad importance", st, b, 422, "importance:invalid_option")
	st, b = rep.do("POST", path+"/evaluation", map[string]any{"conclusion": "accept"})
	problem(t, "rep evaluates", st, b, 403, "presales_manager_only")
	st, b = eng.do("POST", path+"/evaluation", map[string]any{"conclusion": "accept"})
	problem(t, "engineer evaluates", st, b, 404, "not_found")
	st, b = mgr.do("POST", path+"/evaluation", map[string]any{"conclusion": "accept", "work": []string{"solution_writing", "demo"}, "difficulty": "high", "importance": "national", "people": 2, "products": "WMS", "version": 1})
	if st != 200 || decode(t, b)["status"] != "accepted" || decode(t, b)["eval_products"] != "WMS" {
		t.Fatalf("evaluate: %d %s", st, b)
	}

	// Assignment.
	st, b = mgr.do("POST", path+"/assign", map[string]any{})
	problem(t, "assign nothing", st, b, 422, "engineer_ids:required")
	st, b = mgr.do("POST", path+"/assign", map[string]any{"engineer_ids": []string{f.Rep2.UserID}})
	problem(t, "assign a rep", st, b, 422, "engineer_ids:presales_not_engineer")
	st, b = mgr.do("POST", path+"/assign", map[string]any{"engineer_ids": "x"})
	problem(t, "assign a string", st, b, 400, "bad_json")
	st, b = mgr.do("POST", path+"/assign", map[string]any{"engineer_ids": []string{f.Presales.UserID}})
	if st != 200 || decode(t, b)["status"] != "assigned" {
		t.Fatalf("assign: %d %s", st, b)
	}

	// Work.
	st, b = eng.do("POST", path+"/work-records", map[string]any{"kind": "solution_writing", "work_date": "2026-11-20", "hours": "abc", "summary": "方案"})
	problem(t, "hours as text", st, b, 422, "hours:invalid_number")
	if !strings.Contains(string(b), "工时（小时）") {
		t.Errorf("work field label: %s", b)
	}
	st, b = eng.do("POST", path+"/work-records", map[string]any{"kind": "solution_writing", "work_date": "2026-11-20", "hours": 30, "summary": "方案"})
	problem(t, "30 hours", st, b, 422, "hours:out_of_range")
	st, b = eng.do("POST", path+"/work-records", map[string]any{"request_id": opp, "kind": "demo", "work_date": "2026-11-20", "hours": 1, "summary": "x"})
	problem(t, "work for another request", st, b, 422, "request_id:read_only")
	st, b = rep.do("POST", path+"/work-records", map[string]any{"kind": "demo", "work_date": "2026-11-20", "hours": 1, "summary": "x"})
	problem(t, "rep logs work", st, b, 403, "presales_not_engineer_of_request")
	st, b = eng.do("POST", path+"/work-records", map[string]any{"kind": "solution_writing", "work_date": "2026-11-20", "hours": 6.5, "summary": "方案初稿", "outputs": "方案V1.docx"})
	if st != 201 || decode(t, b)["engineer_id"] != f.Presales.UserID {
		t.Fatalf("work: %d %s", st, b)
	}
	if _, b := rep.do("GET", path, nil); decode(t, b)["hours_total"] != 6.5 {
		t.Errorf("hours total: %s", b)
	}

	// Closing and scores.
	st, b = rep.rawDo("POST", path+"/close", "")
	problem(t, "close without body", st, b, 422, "presales_outcome_required")
	st, b = rep.do("POST", path+"/close", map[string]any{"note": "结束"})
	problem(t, "close without outcome", st, b, 422, "presales_outcome_required")
	st, b = rep.do("POST", path+"/close", map[string]any{"outcome": "won", "score": map[string]any{"quality": 7, "timeliness": 4, "contribution": 4}})
	problem(t, "score out of range", st, b, 422, "score.quality:presales_score_range")
	if !strings.Contains(string(b), "质量须为 1 到 5 分") {
		t.Errorf("score label: %s", b)
	}
	st, b = eng.do("POST", path+"/close", map[string]any{"outcome": "won"})
	problem(t, "engineer closes", st, b, 403, "forbidden")
	st, b = rep.do("POST", path+"/close", map[string]any{"outcome": "won", "note": "已签约", "score": map[string]any{"quality": 5, "timeliness": 4, "contribution": 5, "comment": "很好"}})
	if st != 200 || decode(t, b)["outcome"] != "won" || decode(t, b)["status"] != "closed" {
		t.Fatalf("close: %d %s", st, b)
	}
	st, b = rep.do("POST", path+"/scores", map[string]any{"quality": 5, "timeliness": 5, "contribution": 5})
	problem(t, "rep scores twice", st, b, 409, "presales_already_scored")
	st, b = mgr.do("POST", path+"/scores", map[string]any{"quality": 4, "timeliness": 4})
	problem(t, "missing mark", st, b, 422, "contribution:required")
	if st, b := mgr.do("POST", path+"/scores", map[string]any{"quality": 4, "timeliness": 4, "contribution": 3}); st != 201 || decode(t, b)["scorer_role"] != "manager" {
		t.Fatalf("manager score: %d %s", st, b)
	}
	if st, b := rep.do("GET", path+"/scores", nil); st != 200 || len(ids(t, b)) != 2 {
		t.Errorf("scores: %d %s", st, b)
	}
	st, b = eng.do("POST", path+"/work-records", map[string]any{"kind": "demo", "work_date": "2026-11-21", "hours": 1, "summary": "x"})
	problem(t, "work after close", st, b, 422, "presales_request_closed")
	// The generic owner reassignment is not what /assign means here.
	st, b = mgr.do("POST", path+"/assign", map[string]any{"owner_id": f.Rep2.UserID})
	problem(t, "owner by /assign", st, b, 400, "bad_json")

	// Reports.
	if st, b := mgr.do("GET", "/api/v1/reports/presales-ageing", nil); st != 200 || decode(t, b)["open"] != 0.0 {
		t.Errorf("ageing: %d %s", st, b)
	}
	if st, b := mgr.do("GET", "/api/v1/reports/presales-summary?month=2026-11&group=team", nil); st != 200 || !strings.Contains(string(b), `"hours":6.5`) {
		t.Errorf("summary: %d %s", st, b)
	}
	st, b = mgr.do("GET", "/api/v1/reports/presales-summary?month=2026-1x", nil)
	problem(t, "bad month", st, b, 422, "month:presales_bad_month")
	st, b = mgr.do("GET", "/api/v1/reports/presales-summary?month=2026-11&format=pdf", nil)
	problem(t, "bad format", st, b, 422, "format:invalid_option")
	st, b = mgr.do("GET", "/api/v1/reports/presales-summary?mnth=2026-11", nil)
	problem(t, "unknown parameter", st, b, 422, "mnth:unknown_field")
	req2, _ := http.NewRequest("GET", base+"/api/v1/reports/presales-summary?month=2026-11&format=xlsx", nil)
	req2.Header.Set("Authorization", "Bearer "+mgr.token)
	resp, err := http.DefaultClient.Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(x), "PK") || !strings.Contains(resp.Header.Get("Content-Disposition"), "presales-summary-2026-11-engineer.xlsx") {
		t.Errorf("xlsx: %d %s", resp.StatusCode, resp.Header)
	}

	// Solutions.
	st, b = eng.do("POST", "/api/v1/solutions", map[string]any{"title": "京东方智能仓储方案", "opportunity_id": opp, "technical_part": "AGV + WMS", "reviewers": []string{mgrP.UserID}})
	if st != 201 {
		t.Fatalf("solution: %d %s", st, b)
	}
	sol := "/api/v1/solutions/" + decode(t, b)["id"].(string)
	st, b = eng.do("POST", sol+"/send", nil)
	problem(t, "send a draft", st, b, 422, "solution_not_approved")
	st, b = mgr.do("POST", sol+"/reviews", map[string]any{"verdict": "approve"})
	problem(t, "review a draft", st, b, 422, "solution_not_in_review")
	if st, b := eng.do("POST", sol+"/submit-review", nil); st != 200 || decode(t, b)["status"] != "in_review" {
		t.Fatalf("submit: %d %s", st, b)
	}
	st, b = eng.do("PATCH", sol, map[string]any{"version": 2, "technical_part": "改"})
	problem(t, "edit in review", st, b, 422, "solution_locked")
	st, b = rep.do("POST", sol+"/reviews", map[string]any{"verdict": "approve"})
	problem(t, "not a reviewer", st, b, 403, "solution_not_reviewer")
	st, b = mgr.do("POST", sol+"/reviews", map[string]any{"verdict": "fine"})
	problem(t, "bad verdict", st, b, 422, "verdict:invalid_option")
	if !strings.Contains(string(b), "结论") {
		t.Errorf("verdict label: %s", b)
	}
	if st, b := mgr.do("POST", sol+"/reviews", map[string]any{"verdict": "approve", "comment": "同意"}); st != 201 {
		t.Fatalf("review: %d %s", st, b)
	}
	st, b = mgr.do("POST", sol+"/reviews", map[string]any{"verdict": "approve"})
	problem(t, "review twice", st, b, 409, "solution_already_reviewed")
	if st, b := eng.do("POST", sol+"/send", map[string]any{}); st != 200 || decode(t, b)["status"] != "sent" {
		t.Fatalf("send: %d %s", st, b)
	}
	st, b = eng.do("POST", sol+"/revise", nil)
	if st != 201 || decode(t, b)["version_no"] != 2.0 {
		t.Fatalf("revise: %d %s", st, b)
	}
	if st, b := eng.do("GET", "/api/v1/solutions/"+decode(t, b)["id"].(string)+"/versions", nil); st != 200 || len(ids(t, b)) != 2 {
		t.Errorf("versions: %d %s", st, b)
	}
	if st, b := rep.do("GET", sol+"/reviews", nil); st != 200 || len(ids(t, b)) != 1 {
		t.Errorf("reviews: %d %s", st, b)
	}

	// The OpenAPI document lists the process endpoints.
	_, doc := rep.do("GET", "/api/openapi.json", nil)
	for _, p := range []string{"/api/v1/presales-requests/{id}/evaluation", "/api/v1/presales-requests/{id}/assign", "/api/v1/presales-requests/{id}/work-records",
		"/api/v1/presales-requests/{id}/close", "/api/v1/presales-requests/{id}/scores", "/api/v1/reports/presales-summary", "/api/v1/reports/presales-ageing",
		"/api/v1/solutions/{id}/submit-review", "/api/v1/solutions/{id}/reviews", "/api/v1/solutions/{id}/revise", "/api/v1/solutions/{id}/send"} {
		if !strings.Contains(string(doc), `"`+p+`"`) {
			t.Errorf("OpenAPI lacks %s", p)
		}
	}
}
