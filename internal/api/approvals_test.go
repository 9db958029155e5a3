package api_test

import (
	"context"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/approvals"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
	"closeloop/internal/store"
)

// Approvals over HTTP: the inbox (mine=true), one approval with its
// steps, decisions with their refusals as problem documents, and the
// notifications they cause.
func TestApprovalsContract(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	f.App.Approvals.Register(approvals.DocType{Entity: "opportunity",
		Facts: func(ctx context.Context, q store.Querier, rec entity.Record) (approvals.Facts, error) {
			return approvals.Facts{"amount_fen": rec.Int("amount")}, nil
		}})
	base := newServer(t, f)
	admin := &client{t: t, base: base, token: tokenFor(t, f, f.Admin, "write"), name: "admin"}
	mgr := &client{t: t, base: base, token: tokenFor(t, f, f.Manager, "write"), name: "manager"}
	rep := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "write"), name: "rep1"}
	outsider := &client{t: t, base: base, token: tokenFor(t, f, f.Rep3, "write"), name: "rep3"}
	reader := &client{t: t, base: base, token: tokenFor(t, f, f.Manager, "read"), name: "manager-read"}

	// Rules through the generic API: "5%"-style values, a step by role.
	st, b := admin.do("POST", "/api/v1/approval-rules", map[string]any{"name": "大额", "doc_type": "opportunity", "fact": "amount_fen", "op": "gt", "value": "100000000", "level": 1})
	if st != 201 {
		t.Fatalf("rule: %d %s", st, b)
	}
	ruleID := decode(t, b)["id"].(string)
	st, b = admin.do("POST", "/api/v1/approval-rule-steps", map[string]any{"rule_id": ruleID, "position": 1})
	problem(t, "step for nobody", st, b, 422, "role:approval_step_who")
	if st, b = admin.do("POST", "/api/v1/approval-rule-steps", map[string]any{"rule_id": ruleID, "position": 1, "role": access.RoleManager}); st != 201 {
		t.Fatalf("step: %d %s", st, b)
	}
	if st, _ = rep.do("POST", "/api/v1/approval-rules", map[string]any{"name": "x", "doc_type": "opportunity", "fact": "f", "op": "gt", "value": "1"}); st != 403 {
		t.Errorf("a rep writing rules: %d", st)
	}

	cust := f.Customer(t, f.Rep1, "杭州西湖数码科技有限公司")
	opp, err := f.App.Records.Create(ctx, f.Rep1, "opportunity", entity.Record{"name": "园区安防", "customer_id": cust.ID(), "amount": int64(200_000_000)})
	if err != nil {
		t.Fatal(err)
	}
	var a *approvals.Approval
	if err := f.App.DB.Write(ctx, func(tx *store.Tx) error {
		a, err = f.App.Approvals.Submit(ctx, tx, f.Rep1, "opportunity", opp, "战略客户")
		return err
	}); err != nil {
		t.Fatal(err)
	}

	st, b = mgr.do("GET", "/api/v1/approvals?mine=true", nil)
	if st != 200 || len(ids(t, b)) != 1 || ids(t, b)[0] != a.ID {
		t.Fatalf("manager's inbox: %d %s", st, b)
	}
	if st, b = rep.do("GET", "/api/v1/approvals?mine=1", nil); st != 200 || len(ids(t, b)) != 0 {
		t.Errorf("rep's inbox: %d %s", st, b)
	}
	if st, b = rep.do("GET", "/api/v1/approvals?doc_type=opportunity&status=pending", nil); st != 200 || len(ids(t, b)) != 1 {
		t.Errorf("rep's own submissions: %d %s", st, b)
	}
	st, b = mgr.do("GET", "/api/v1/approvals?mine=maybe", nil)
	problem(t, "bad mine", st, b, 422, "mine:invalid_bool")

	st, b = rep.do("GET", "/api/v1/approvals/"+a.ID, nil)
	got := decode(t, b)
	if st != 200 || got["status"] != "pending" || len(got["steps"].([]any)) != 1 || got["reason"] != "战略客户" {
		t.Fatalf("get: %d %s", st, b)
	}
	version := int64(got["version"].(float64))
	if st, _ = outsider.do("GET", "/api/v1/approvals/"+a.ID, nil); st != 404 {
		t.Errorf("an outsider reading it: %d", st)
	}

	path := "/api/v1/approvals/" + a.ID
	st, b = mgr.do("POST", path+"/reject", map[string]any{})
	problem(t, "reject without comment", st, b, 422, "comment:approval_comment_required")
	st, b = mgr.do("POST", path+"/return", map[string]any{"comment": ""})
	problem(t, "return without comment", st, b, 422, "comment:approval_comment_required")
	st, b = rep.do("POST", path+"/approve", nil)
	problem(t, "submitter approving", st, b, 403, "approval_not_awaiting_you")
	st, b = outsider.do("POST", path+"/approve", nil)
	problem(t, "outsider approving", st, b, 404, "not_found")
	st, b = reader.do("POST", path+"/approve", nil)
	problem(t, "read-only token", st, b, 403, "token_read_only")
	st, b = mgr.do("POST", path+"/approve", map[string]any{"version": version + 5})
	problem(t, "stale", st, b, 409, "stale_version")
	st, b = mgr.do("POST", path+"/approve", map[string]any{"comment": "同意", "version": version, "extra": 1})
	problem(t, "unknown field", st, b, 400, "bad_json")

	st, b = mgr.do("POST", path+"/approve", map[string]any{"comment": "同意", "version": version})
	if st != 200 || decode(t, b)["status"] != "approved" {
		t.Fatalf("approve: %d %s", st, b)
	}
	st, b = mgr.do("POST", path+"/approve", nil)
	problem(t, "twice", st, b, 409, "approval_closed")

	// The rep's notifications: unread, marked one by one or all.
	st, b = rep.do("GET", "/api/v1/notifications?unread=true", nil)
	page := decode(t, b)
	items, _ := page["items"].([]any)
	if st != 200 || len(items) != 1 || items[0].(map[string]any)["kind"] != "approval_approved" || page["unread"].(float64) != 1 {
		t.Fatalf("notifications: %d %s", st, b)
	}
	nid := items[0].(map[string]any)["id"].(string)
	if st, _ = mgr.do("POST", "/api/v1/notifications/"+nid+"/read", nil); st != 404 {
		t.Errorf("someone else's notification: %d", st)
	}
	if st, b = rep.do("POST", "/api/v1/notifications/"+nid+"/read", nil); st != 200 || decode(t, b)["read_at"] == nil {
		t.Errorf("mark read: %d %s", st, b)
	}
	if st, b = rep.do("GET", "/api/v1/notifications?unread=1", nil); st != 200 || decode(t, b)["unread"].(float64) != 0 {
		t.Errorf("after marking: %s", b)
	}
	st, b = mgr.do("POST", "/api/v1/notifications/read-all", nil)
	if st != 200 || decode(t, b)["marked"].(float64) != 1 {
		t.Errorf("read all: %d %s", st, b)
	}
	st, b = rep.do("GET", "/api/v1/notifications?limit=0", nil)
	problem(t, "bad limit", st, b, 422, "limit:out_of_range")
	st, b = rep.do("GET", "/api/v1/notifications?cursor=nonsense", nil)
	problem(t, "bad cursor", st, b, 422, "cursor:bad_cursor")
}
