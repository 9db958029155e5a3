package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/approvals"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/store"
)

// approvalEnv registers opportunities as a document type (fact amount_fen)
// with a rule asking the rep's manager above 1 000 000.00, and submits one.
func approvalEnv(t *testing.T) (*env, entity.Record, *approvals.Approval) {
	t.Helper()
	e := newEnv(t)
	e.App.Approvals.Register(approvals.DocType{Entity: "opportunity",
		Facts: func(ctx context.Context, q store.Querier, rec entity.Record) (approvals.Facts, error) {
			return approvals.Facts{"amount_fen": rec.Int("amount")}, nil
		}})
	r, err := e.App.Records.Create(ctx(), e.Admin, "approval_rule", entity.Record{"name": "大额商机", "doc_type": "opportunity", "fact": "amount_fen", "op": "gt", "value": "100000000"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Records.Create(ctx(), e.Admin, "approval_rule_step", entity.Record{"rule_id": r.ID(), "position": int64(1), "role": access.RoleManager}); err != nil {
		t.Fatal(err)
	}
	cust := e.Customer(t, e.Rep1, "苏州工业园区智能制造有限公司")
	opp, err := e.App.Records.Create(ctx(), e.Rep1, "opportunity", entity.Record{"name": "园区产线改造", "customer_id": cust.ID(), "amount": int64(300_000_000)})
	if err != nil {
		t.Fatal(err)
	}
	var a *approvals.Approval
	if err := e.App.DB.Write(ctx(), func(tx *store.Tx) error {
		var err error
		a, err = e.App.Approvals.Submit(ctx(), tx, e.Rep1, "opportunity", opp, "客户要求分期付款")
		return err
	}); err != nil || a == nil {
		t.Fatalf("submit: %v", err)
	}
	return e, opp, a
}

func TestApprovalInboxAndDecision(t *testing.T) {
	e, opp, a := approvalEnv(t)
	mgr := e.as(t, e.Manager)

	// The inbox: awaiting me by default, the row opens the document; the
	// menu counts it and the bell shows the notification.
	inbox := mgr.mustGet("/approvals")
	checkPage(t, "inbox", inbox)
	if !strings.Contains(inbox.body, "园区产线改造") || !strings.Contains(inbox.body, `href="/opportunities/`+opp.ID()+`"`) {
		t.Fatalf("inbox row:\n%s", snippet(inbox.body))
	}
	if !strings.Contains(inbox.body, `nav-badge`) || !strings.Contains(inbox.body, `class="bell-count">1<`) {
		t.Error("menu count or bell missing")
	}
	// The rep's inbox is empty; their tab of submissions lists it.
	rep := e.as(t, e.Rep1)
	if body := rep.mustGet("/approvals").body; strings.Contains(body, "园区产线改造") {
		t.Error("the rep sees it awaiting them")
	}
	if body := rep.mustGet("/approvals?submitted_by=" + e.Rep1.UserID).body; !strings.Contains(body, "园区产线改造") {
		t.Error("submitted by me")
	}

	// The document shows the approval and, to the manager only, the decisions.
	doc := mgr.mustGet("/opportunities/" + opp.ID())
	checkPage(t, "document", doc)
	for _, want := range []string{`id="approval"`, "客户要求分期付款", `data-dialog-open="#dlg-apv-reject"`, `action="/approvals/` + a.ID + `/approve?from=doc"`, "¥3,000,000.00"} {
		if !strings.Contains(doc.body, want) {
			t.Errorf("document page lacks %q", want)
		}
	}
	if body := rep.mustGet("/opportunities/" + opp.ID()).body; !strings.Contains(body, `id="approval"`) || strings.Contains(body, "dlg-apv-reject") {
		t.Error("the rep sees the card without decisions")
	}

	// Rejecting without a comment reopens the dialog with the problem.
	r := mgr.post("/approvals/"+a.ID+"/reject?from=doc", url.Values{"version": {strconv.FormatInt(a.Version, 10)}, "comment": {""}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "data-autoshow") || !strings.Contains(r.body, "驳回或退回时必须填写审批意见") {
		t.Fatalf("reject without comment: %d\n%s", r.status, snippet(r.body))
	}
	cur, _ := e.App.Approvals.Current(ctx(), e.App.DB.R(), "opportunity", opp.ID())
	r = mgr.post("/approvals/"+a.ID+"/approve?from=doc", url.Values{"version": {strconv.FormatInt(cur.Version, 10)}, "comment": {"同意"}})
	if r.status != http.StatusSeeOther || r.loc != "/opportunities/"+opp.ID() {
		t.Fatalf("approve: %d %q", r.status, r.loc)
	}
	if body := mgr.follow(r).body; !strings.Contains(body, "审批通过") {
		t.Error("no confirmation")
	}
	cur, _ = e.App.Approvals.Current(ctx(), e.App.DB.R(), "opportunity", opp.ID())
	if cur.Status != crm.ApprovalApproved {
		t.Fatalf("status %s", cur.Status)
	}
	// A second post of the same form is refused with a message, not a 500.
	r = mgr.post("/approvals/"+a.ID+"/approve?from=doc", url.Values{"version": {"2"}})
	if r.status != http.StatusSeeOther || !strings.Contains(mgr.follow(r).body, "alert-error") {
		t.Errorf("second decision: %d", r.status)
	}

	// The rep is notified; opening the notification marks it read.
	notes := rep.mustGet("/notifications")
	checkPage(t, "notifications", notes)
	if !strings.Contains(notes.body, "您提交的商机「园区产线改造」审批通过") {
		t.Fatalf("notification text:\n%s", snippet(notes.body))
	}
	page, _ := e.App.Notify.List(ctx(), e.Rep1, true, "", 10)
	if len(page.Items) != 1 {
		t.Fatalf("unread: %d", len(page.Items))
	}
	r = rep.post("/notifications/"+page.Items[0].ID+"/read", url.Values{"next": {"/opportunities/" + opp.ID()}})
	if r.status != http.StatusSeeOther || r.loc != "/opportunities/"+opp.ID() {
		t.Errorf("open notification: %d %q", r.status, r.loc)
	}
	if n, _ := e.App.Notify.Unread(ctx(), e.Rep1.UserID); n != 0 {
		t.Errorf("unread after opening: %d", n)
	}
	// The approval's own page and the home card.
	ap := rep.mustGet("/approvals/" + a.ID)
	checkPage(t, "approval page", ap)
	if !strings.Contains(ap.body, "同意") || !strings.Contains(ap.body, `href="/opportunities/`+opp.ID()+`"`) {
		t.Error("approval page")
	}
}

func TestApprovalHomeCardAndRulePage(t *testing.T) {
	e, _, _ := approvalEnv(t)
	home := e.as(t, e.Manager).mustGet("/")
	if !strings.Contains(home.body, `id="side-home-approvals"`) || !strings.Contains(home.body, "园区产线改造") {
		t.Errorf("home card:\n%s", snippet(home.body))
	}
	if body := e.as(t, e.Rep2).mustGet("/").body; strings.Contains(body, "side-home-approvals") {
		t.Error("home card for someone with nothing to decide")
	}
	admin := e.as(t, e.Admin)
	list := admin.mustGet("/settings/approval-rules")
	checkPage(t, "rules", list)
	var id string
	if i := strings.Index(list.body, `/settings/approval-rules/0`); i > 0 {
		id = list.body[i+len("/settings/approval-rules/") : i+len("/settings/approval-rules/")+36]
	}
	rule := admin.mustGet("/settings/approval-rules/" + id)
	checkPage(t, "rule", rule)
	if !strings.Contains(rule.body, "添加步骤") || !strings.Contains(rule.body, "/settings/approval-rule-steps/new?position=") {
		t.Errorf("rule page without its steps:\n%s", snippet(rule.body))
	}
}
