package approvals_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/approvals"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
)

var ctx = context.Background()

// world is the fixture organisation with a test document type registered
// over opportunities: the fact amount_fen is the deal's amount; rules ask
// a manager above 1 000 000.00 and a manager then an admin above
// 5 000 000.00. Decided records every call.
type world struct {
	*apptest.Fixture
	svc     *approvals.Service
	decided []string // "recordID:outcome:comment"
	failing bool     // Decided fails (to show it shares the transaction)
}

func newWorld(t *testing.T) *world {
	t.Helper()
	f := apptest.NewFixture(t)
	w := &world{Fixture: f, svc: f.App.Approvals}
	w.svc.Register(approvals.DocType{
		Entity: "opportunity",
		Facts: func(ctx context.Context, q store.Querier, rec entity.Record) (approvals.Facts, error) {
			return approvals.Facts{"amount_fen": rec.Int("amount")}, nil
		},
		Decided: func(ctx context.Context, tx store.Querier, p *access.Principal, recordID, outcome, comment string) error {
			if w.failing {
				return errors.New("document refuses")
			}
			// The document's own change, in the deciding transaction.
			if _, err := tx.ExecContext(ctx, `UPDATE opportunities SET next_step = $1 WHERE id = $2`, "approval "+outcome, recordID); err != nil {
				return err
			}
			w.decided = append(w.decided, recordID+":"+outcome+":"+comment)
			return nil
		},
	})
	rule := func(name, value string, level int64, roles ...string) {
		r, err := f.App.Records.Create(ctx, f.Admin, "approval_rule", entity.Record{"name": name, "doc_type": "opportunity",
			"fact": "amount_fen", "op": crm.OpGt, "value": value, "level": level})
		if err != nil {
			t.Fatalf("rule %s: %v", name, err)
		}
		for i, role := range roles {
			if _, err := f.App.Records.Create(ctx, f.Admin, "approval_rule_step", entity.Record{"rule_id": r.ID(), "position": int64(i + 1), "role": role}); err != nil {
				t.Fatalf("step %s: %v", role, err)
			}
		}
	}
	rule("大额商机需经理审批", "100000000", 1, access.RoleManager)
	rule("超大商机需管理员审批", "500000000", 2, access.RoleManager, access.RoleAdmin)
	return w
}

func code(err error) string {
	if err == nil {
		return ""
	}
	e := errs.As(err)
	if e == nil {
		return "internal: " + err.Error()
	}
	if len(e.Fields) > 0 {
		return e.Fields[0].Field + ":" + e.Fields[0].Code
	}
	return e.Code
}

func (w *world) opportunity(t *testing.T, p *access.Principal, name string, amountFen int64) entity.Record {
	t.Helper()
	cust := w.Customer(t, p, name+"客户")
	out, err := w.App.Records.Create(ctx, p, "opportunity", entity.Record{"name": name, "customer_id": cust.ID(), "amount": amountFen})
	if err != nil {
		t.Fatalf("opportunity %s: %v", name, err)
	}
	return out
}

// submit runs Submit in its own transaction, as a document's process would.
func (w *world) submit(p *access.Principal, id, reason string) (*approvals.Approval, error) {
	var out *approvals.Approval
	err := w.App.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := w.App.DB.Get(ctx, tx, w.App.DB.Schema().Entity("opportunity"), id, nil, false)
		if err != nil {
			return err
		}
		out, err = w.svc.Submit(ctx, tx, p, "opportunity", rec, reason)
		return err
	})
	return out, err
}

func (w *world) mustSubmit(t *testing.T, p *access.Principal, id string) *approvals.Approval {
	t.Helper()
	a, err := w.submit(p, id, "客户要求年底前签约，竞争激烈")
	if err != nil || a == nil {
		t.Fatalf("submit: %v, %v", a, err)
	}
	return a
}

func (w *world) cancel(t *testing.T, p *access.Principal, id string) {
	t.Helper()
	if err := w.App.DB.Write(ctx, func(tx *store.Tx) error { return w.svc.Cancel(ctx, tx, p, "opportunity", id) }); err != nil {
		t.Fatalf("cancel: %v", err)
	}
}

func (w *world) current(t *testing.T, id string) *approvals.Approval {
	t.Helper()
	a, err := w.svc.Current(ctx, w.App.DB.R(), "opportunity", id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func statuses(a *approvals.Approval) []string {
	var out []string
	for _, st := range a.Steps {
		out = append(out, st.Role+":"+st.Status)
	}
	return out
}

func (w *world) notifications(t *testing.T, p *access.Principal) []string {
	t.Helper()
	page, err := w.App.Notify.List(ctx, p, false, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range page.Items {
		out = append(out, n.Kind)
	}
	return out
}

func TestApprovedThroughManagerAndAdmin(t *testing.T) {
	w := newWorld(t)
	opp := w.opportunity(t, w.Rep1, "智慧园区二期", 600_000_000)

	plan, err := w.svc.Plan(ctx, w.App.DB.R(), "opportunity", opp)
	if err != nil || len(plan) != 2 || plan[0].Role != access.RoleManager || plan[1].Role != access.RoleAdmin {
		t.Fatalf("plan: %+v, %v", plan, err)
	}
	a := w.mustSubmit(t, w.Rep1, opp.ID())
	if a.Status != crm.ApprovalPending || !slices.Equal(statuses(a), []string{"manager:pending", "admin:waiting"}) {
		t.Fatalf("submitted: %s %v", a.Status, statuses(a))
	}
	if !slices.Equal(a.Awaiting, []string{w.Manager.UserID}) || a.Steps[0].Fallback {
		t.Fatalf("the rep's manager (a manager of a team above) decides first: %v", a.Awaiting)
	}
	if n, _ := w.svc.AwaitingCount(ctx, w.Manager.UserID); n != 1 {
		t.Errorf("manager's inbox: %d", n)
	}
	if got := w.notifications(t, w.Manager); !slices.Equal(got, []string{"approval_pending"}) {
		t.Errorf("manager notified: %v", got)
	}

	// Who may not decide: the submitter (403), someone who cannot see it (404).
	if _, err := w.svc.Approve(ctx, w.Rep1, a.ID, 0, ""); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("submitter approving: %v", err)
	}
	if _, err := w.svc.Approve(ctx, w.Rep3, a.ID, 0, ""); errs.KindOf(err) != errs.NotFound {
		t.Errorf("an outsider approving: %v", err)
	}
	// A decision on a version that moved is stale.
	if _, err := w.svc.Approve(ctx, w.Manager, a.ID, a.Version+1, ""); code(err) != "stale_version" {
		t.Errorf("stale decision: %v", err)
	}

	a, err = w.svc.Approve(ctx, w.Manager, a.ID, a.Version, "同意，注意回款")
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != crm.ApprovalPending || !slices.Equal(statuses(a), []string{"manager:approved", "admin:pending"}) || !slices.Equal(a.Awaiting, []string{w.Admin.UserID}) {
		t.Fatalf("after the manager: %s %v %v", a.Status, statuses(a), a.Awaiting)
	}
	if a.Steps[0].DecidedBy != w.Manager.UserID || a.Steps[0].Comment != "同意，注意回款" || a.Steps[0].DecidedAt == nil {
		t.Errorf("manager's decision kept: %+v", a.Steps[0])
	}
	if len(w.decided) != 0 {
		t.Fatalf("Decided before the end: %v", w.decided)
	}
	// Deciding twice.
	if _, err := w.svc.Approve(ctx, w.Manager, a.ID, 0, ""); code(err) != "approval_already_decided" {
		t.Errorf("manager deciding twice: %v", err)
	}
	if n, _ := w.svc.AwaitingCount(ctx, w.Manager.UserID); n != 0 {
		t.Errorf("manager's inbox after deciding: %d", n)
	}

	a, err = w.svc.Approve(ctx, w.Admin, a.ID, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != crm.ApprovalApproved || a.DecidedAt == nil || len(a.Awaiting) != 0 {
		t.Fatalf("after the admin: %+v", a)
	}
	if !slices.Equal(w.decided, []string{opp.ID() + ":approved:"}) {
		t.Fatalf("Decided once with approved: %v", w.decided)
	}
	got, _ := w.App.Records.Get(ctx, w.Rep1, "opportunity", opp.ID())
	if got.Str("next_step") != "approval approved" {
		t.Errorf("the document's change is committed with the decision: %q", got.Str("next_step"))
	}
	if kinds := w.notifications(t, w.Rep1); !slices.Contains(kinds, "approval_approved") {
		t.Errorf("submitter told the outcome: %v", kinds)
	}
	if _, err := w.svc.Approve(ctx, w.Admin, a.ID, 0, ""); code(err) != "approval_closed" {
		t.Errorf("deciding an ended approval: %v", err)
	}

	// The story is on the customer's timeline and in the document's audit trail.
	items, err := w.App.Customers.Timeline(ctx, w.Rep1, "customer", opp.Str("customer_id"), "", 50)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, it := range items {
		kinds = append(kinds, it.Kind)
	}
	for _, k := range []string{"approval_submitted", "approval_step_approved", "approval_approved"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("timeline lacks %s: %v", k, kinds)
		}
	}
	var audited int
	if err := w.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE entity = 'opportunity' AND record_id = $1 AND action LIKE 'approval_%'`, opp.ID()).Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if audited != 3 {
		t.Errorf("submit and two decisions audited on the document: %d", audited)
	}

	// Approved, then changed: the caller withdraws the approval and submits again.
	if _, err := w.App.Records.Update(ctx, w.Rep1, "opportunity", opp.ID(), 0, entity.Record{"amount": int64(700_000_000)}); err != nil {
		t.Fatal(err)
	}
	w.cancel(t, w.Rep1, opp.ID())
	if c := w.current(t, opp.ID()); c.Status != crm.ApprovalCancelled || c.Steps[1].Status != crm.StepApproved {
		t.Errorf("withdrawn approval keeps its decisions: %s %v", c.Status, statuses(c))
	}
	again := w.mustSubmit(t, w.Rep1, opp.ID())
	if again.ID == a.ID || again.Status != crm.ApprovalPending {
		t.Errorf("re-submitted: %+v", again)
	}
	hist, _ := w.svc.History(ctx, w.App.DB.R(), "opportunity", opp.ID())
	if len(hist) != 2 || hist[0].ID != again.ID {
		t.Errorf("history newest first: %d", len(hist))
	}
}

func TestRejectAndReturn(t *testing.T) {
	w := newWorld(t)
	opp := w.opportunity(t, w.Rep1, "数据中心改造", 600_000_000)
	a := w.mustSubmit(t, w.Rep1, opp.ID())
	if _, err := w.svc.Reject(ctx, w.Manager, a.ID, 0, "  "); code(err) != "comment:approval_comment_required" {
		t.Fatalf("reject without a comment: %v", err)
	}
	a, err := w.svc.Reject(ctx, w.Manager, a.ID, 0, "价格低于成本")
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != crm.ApprovalRejected || !slices.Equal(statuses(a), []string{"manager:rejected", "admin:skipped"}) {
		t.Fatalf("rejected: %s %v", a.Status, statuses(a))
	}
	if !slices.Equal(w.decided, []string{opp.ID() + ":rejected:价格低于成本"}) {
		t.Errorf("Decided: %v", w.decided)
	}
	if kinds := w.notifications(t, w.Rep1); !slices.Contains(kinds, "approval_rejected") {
		t.Errorf("submitter told: %v", kinds)
	}

	// Returned for changes, changed, submitted again: a new approval with
	// the steps the new content needs.
	opp2 := w.opportunity(t, w.Rep1, "仓储自动化", 600_000_000)
	b := w.mustSubmit(t, w.Rep1, opp2.ID())
	if _, err := w.svc.Return(ctx, w.Manager, b.ID, 0, ""); code(err) != "comment:approval_comment_required" {
		t.Fatalf("return without a comment: %v", err)
	}
	b, err = w.svc.Return(ctx, w.Manager, b.ID, b.Version, "请拆分为两期报价")
	if err != nil || b.Status != crm.ApprovalReturned {
		t.Fatalf("returned: %v %v", b, err)
	}
	if w.decided[len(w.decided)-1] != opp2.ID()+":returned:请拆分为两期报价" {
		t.Errorf("Decided: %v", w.decided)
	}
	if _, err := w.App.Records.Update(ctx, w.Rep1, "opportunity", opp2.ID(), 0, entity.Record{"amount": int64(300_000_000)}); err != nil {
		t.Fatal(err)
	}
	c := w.mustSubmit(t, w.Rep1, opp2.ID())
	if c.ID == b.ID || !slices.Equal(statuses(c), []string{"manager:pending"}) {
		t.Errorf("re-submitted after return: %v", statuses(c))
	}
	if c.Facts["amount_fen"] != int64(300_000_000) {
		t.Errorf("facts as submitted: %v", c.Facts)
	}
}

func TestCancelledApprovalTakesNoDecision(t *testing.T) {
	w := newWorld(t)
	opp := w.opportunity(t, w.Rep1, "产线升级", 200_000_000)
	a := w.mustSubmit(t, w.Rep1, opp.ID())
	if _, err := w.submit(w.Rep1, opp.ID(), "再提交一次"); code(err) != "approval_open" {
		t.Errorf("a second pending approval: %v", err)
	}
	w.cancel(t, w.Rep1, opp.ID())
	if _, err := w.svc.Approve(ctx, w.Manager, a.ID, 0, ""); code(err) != "approval_cancelled" {
		t.Errorf("deciding a withdrawn approval: %v", err)
	}
	if len(w.decided) != 0 {
		t.Errorf("Decided on cancel: %v", w.decided)
	}
	if kinds := w.notifications(t, w.Manager); !slices.Contains(kinds, "approval_cancelled") {
		t.Errorf("the awaited approver is told: %v", kinds)
	}
	if n, _ := w.svc.AwaitingCount(ctx, w.Manager.UserID); n != 0 {
		t.Errorf("inbox after withdrawal: %d", n)
	}
	c := w.current(t, opp.ID())
	if c.Status != crm.ApprovalCancelled || !slices.Equal(statuses(c), []string{"manager:cancelled"}) {
		t.Errorf("cancelled: %s %v", c.Status, statuses(c))
	}
	// Nothing open: cancelling again is no error.
	w.cancel(t, w.Rep1, opp.ID())
}

func TestDecidedSharesTheTransaction(t *testing.T) {
	w := newWorld(t)
	opp := w.opportunity(t, w.Rep1, "机房扩容", 200_000_000)
	a := w.mustSubmit(t, w.Rep1, opp.ID())
	w.failing = true
	if _, err := w.svc.Approve(ctx, w.Manager, a.ID, 0, ""); err == nil {
		t.Fatal("a refusing document must fail the decision")
	}
	if c := w.current(t, opp.ID()); c.Status != crm.ApprovalPending || c.Steps[0].Status != crm.StepPending {
		t.Errorf("nothing of the decision stays: %s %v", c.Status, statuses(c))
	}
	w.failing = false
	if _, err := w.svc.Approve(ctx, w.Manager, a.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	if len(w.decided) != 1 {
		t.Errorf("Decided once: %v", w.decided)
	}
}

func TestWhoDecides(t *testing.T) {
	w := newWorld(t)
	// Within a rep's limit: no approval, nothing called.
	small := w.opportunity(t, w.Rep1, "小单", 50_000_000)
	if a, err := w.submit(w.Rep1, small.ID(), ""); a != nil || err != nil {
		t.Fatalf("no rule applies: %v %v", a, err)
	}
	// A reason is required when approval is needed.
	big := w.opportunity(t, w.Rep1, "大单", 200_000_000)
	if _, err := w.submit(w.Rep1, big.ID(), " "); code(err) != "reason:approval_reason_required" {
		t.Errorf("no reason: %v", err)
	}
	// A manager's own deal: the manager step lies within their authority.
	mine := w.opportunity(t, w.Manager, "经理自己的单", 200_000_000)
	if a, err := w.submit(w.Manager, mine.ID(), "理由"); a != nil || err != nil {
		t.Errorf("within the manager's authority: %v %v", a, err)
	}
	huge := w.opportunity(t, w.Manager, "经理的超大单", 600_000_000)
	steps, _ := w.svc.PlanFor(ctx, w.App.DB.R(), w.Manager, "opportunity", huge)
	if len(steps) != 1 || steps[0].Role != access.RoleAdmin || steps[0].Position != 1 {
		t.Errorf("plan for the manager: %+v", steps)
	}
	a := w.mustSubmit(t, w.Manager, huge.ID())
	if !slices.Equal(statuses(a), []string{"admin:pending"}) || !slices.Equal(a.Awaiting, []string{w.Admin.UserID}) {
		t.Errorf("the manager's big deal goes to the admin: %v %v", statuses(a), a.Awaiting)
	}
	// A rep with no manager above: the step falls to the admins.
	south := w.opportunity(t, w.Rep3, "华南项目", 200_000_000)
	b := w.mustSubmit(t, w.Rep3, south.ID())
	if !b.Steps[0].Fallback || !slices.Equal(b.Awaiting, []string{w.Admin.UserID}) {
		t.Errorf("fallback to admin: %+v", b.Steps[0])
	}
	// The team's head decides when they hold the role, before members.
	head := w.AddUser(t, "赵总监", "zhao@example.com", w.NorthSales, access.RoleManager)
	te := w.App.DB.Schema().Entity("team")
	if err := w.App.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := w.App.DB.Get(ctx, tx, te, w.NorthSales, nil, false)
		if err != nil {
			return err
		}
		_, err = w.App.Records.SetTx(ctx, tx, access.SystemPrincipal(), te, old, entity.Record{"manager_id": head.UserID})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	other := w.opportunity(t, w.Rep2, "北京项目", 200_000_000)
	c := w.mustSubmit(t, w.Rep2, other.ID())
	if !slices.Equal(c.Awaiting, []string{head.UserID}) {
		t.Errorf("the sales department's head decides: %v", c.Awaiting)
	}
	// An admin may decide any step.
	if _, err := w.svc.Approve(ctx, w.Admin, c.ID, 0, "代审"); err != nil {
		t.Errorf("admin deciding the manager step: %v", err)
	}
}

func TestRuleValidation(t *testing.T) {
	w := newWorld(t)
	r, err := w.App.Records.Create(ctx, w.Admin, "approval_rule", entity.Record{"name": "折扣", "doc_type": "opportunity",
		"fact": "max_discount_bp", "op": crm.OpGte, "value": "7.5%"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Str("value") != "750" {
		t.Errorf("percent stored as basis points: %q", r.Str("value"))
	}
	if _, err := w.App.Records.Create(ctx, w.Admin, "approval_rule", entity.Record{"name": "坏", "doc_type": "opportunity",
		"fact": "amount_fen", "op": crm.OpGt, "value": "很多"}); code(err) != "value:approval_value_number" {
		t.Errorf("a word compared by size: %v", err)
	}
	if _, err := w.App.Records.Create(ctx, w.Admin, "approval_rule_step", entity.Record{"rule_id": r.ID(), "position": int64(1)}); code(err) != "role:approval_step_who" {
		t.Errorf("a step for nobody: %v", err)
	}
	if _, err := w.App.Records.Create(ctx, w.Admin, "approval_rule_step", entity.Record{"rule_id": r.ID(), "position": int64(1),
		"role": access.RoleManager, "user_id": w.Manager.UserID}); code(err) != "user_id:approval_step_one" {
		t.Errorf("a step for two: %v", err)
	}
	st, err := w.App.Records.Create(ctx, w.Admin, "approval_rule_step", entity.Record{"rule_id": r.ID(), "position": int64(1), "user_id": w.Manager.UserID})
	if err != nil || st.Str("label") != "王经理" {
		t.Errorf("a named approver: %v %v", st, err)
	}
	if _, err := w.App.Records.Create(ctx, w.Rep1, "approval_rule", entity.Record{"name": "x", "doc_type": "opportunity",
		"fact": "amount_fen", "op": crm.OpGt, "value": "1"}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a rep writing rules: %v", err)
	}
	// The shipped quote rules are there.
	var n int
	if err := w.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM approval_rules WHERE doc_type = 'quote'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("shipped quote rules: %d %v", n, err)
	}
}
