package presales_test

import (
	"context"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/presales"
	"closeloop/internal/store"
)

var ctx = context.Background()

func newOpp(t *testing.T, f *apptest.Fixture, p *access.Principal, customerID, name string, extra ...any) entity.Record {
	t.Helper()
	rec := entity.Record{"name": name, "customer_id": customerID, "amount": int64(50_000_000)}
	for i := 0; i+1 < len(extra); i += 2 {
		rec[extra[i].(string)] = extra[i+1]
	}
	o, err := f.App.Records.Create(ctx, p, "opportunity", rec)
	if err != nil {
		t.Fatalf("create opportunity: %v", err)
	}
	return o
}

func stageChanges(t *testing.T, f *apptest.Fixture, oppID string) []string {
	t.Helper()
	rows, err := f.DB().R().QueryContext(ctx, `SELECT coalesce(from_stage, ''), to_stage, skipped FROM stage_changes WHERE opportunity_id = $1 ORDER BY changed_at, id`, oppID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var from, to string
		var skipped bool
		if err := rows.Scan(&from, &to, &skipped); err != nil {
			t.Fatal(err)
		}
		s := from + "→" + to
		if skipped {
			s += "(skip)"
		}
		out = append(out, s)
	}
	return out
}

func TestNewOpportunityStartsAtTheFirstStage(t *testing.T) {
	f := apptest.NewFixture(t)
	cust := f.Customer(t, f.Rep1, "华信精密制造有限公司")
	o := newOpp(t, f, f.Rep1, cust.ID(), "质检系统一期")
	if o.Str("stage") != "acquired" || o.Str("status") != crm.OppOpen || o.Int("probability") != 10 {
		t.Fatalf("new opportunity at %s/%s/%d", o.Str("stage"), o.Str("status"), o.Int("probability"))
	}
	if got := stageChanges(t, f, o.ID()); len(got) != 1 || got[0] != "→acquired" {
		t.Fatalf("history %v", got)
	}
	// A manual probability wins over the stage's; clearing it goes back.
	o2, err := f.App.Records.Update(ctx, f.Rep1, "opportunity", o.ID(), o.Version(), entity.Record{"probability_override": int64(35)})
	if err != nil {
		t.Fatal(err)
	}
	if o2.Int("probability") != 35 {
		t.Fatalf("override gave %d", o2.Int("probability"))
	}
	o3, err := f.App.Records.Update(ctx, f.Rep1, "opportunity", o.ID(), o2.Version(), entity.Record{"probability_override": nil})
	if err != nil {
		t.Fatal(err)
	}
	if o3.Int("probability") != 10 {
		t.Fatalf("cleared override gave %d", o3.Int("probability"))
	}
	// The stage is not a generic field.
	if _, err := f.App.Records.Update(ctx, f.Rep1, "opportunity", o.ID(), o3.Version(), entity.Record{"stage": "signed"}); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("writing the stage directly: %v", err)
	}
}

func TestStageGatesOnTheProjectFlow(t *testing.T) {
	f := apptest.NewFixture(t)
	ps := f.App.Presales
	cust := f.Customer(t, f.Rep1, "华信精密制造有限公司")
	o := newOpp(t, f, f.Rep1, cust.ID(), "质检系统一期")
	move := func(p *access.Principal, code string) (entity.Record, error) {
		return ps.MoveStage(ctx, p, o.ID(), code, 0)
	}
	if _, err := move(f.Rep1, "evaluation"); err != nil {
		t.Fatal(err)
	}
	// 方案设计 needs the needs analysis.
	_, err := move(f.Rep1, "solution_design")
	if errs.CodeOf(err) != "gate_needs_analysis" {
		t.Fatalf("entering solution design without needs analysis: %v", err)
	}
	e := errs.As(err)
	if len(e.Fields) != 4 || e.Fields[0].Field != "business_scenario" {
		t.Fatalf("missing fields %+v", e.Fields)
	}
	cur, _ := f.App.Records.Get(ctx, f.Rep1, "opportunity", o.ID())
	if _, err := f.App.Records.Update(ctx, f.Rep1, "opportunity", o.ID(), cur.Version(), entity.Record{
		"business_scenario": "汽车零部件产线外观质检", "pain_points": "人工漏检率高，返工成本大", "budget_range": "50-80万", "decision_process": "生产副总提出，总经理审批"}); err != nil {
		t.Fatal(err)
	}
	if _, err := move(f.Rep1, "solution_design"); err != nil {
		t.Fatalf("with the needs analysis: %v", err)
	}
	// 方案评审 needs a solution submitted for review …
	if _, err := move(f.Rep1, "solution_review"); errs.CodeOf(err) != "gate_solution_submitted" {
		t.Fatalf("entering review without a solution: %v", err)
	}
	sol, err := f.App.Records.Create(ctx, f.Rep1, "solution", entity.Record{"title": "视觉质检方案", "opportunity_id": o.ID(), "technical_part": "三台工业相机"})
	if err != nil {
		t.Fatal(err)
	}
	setSolution(t, f, sol.ID(), crm.SolInReview)
	if _, err := move(f.Rep1, "solution_review"); err != nil {
		t.Fatalf("with a submitted solution: %v", err)
	}
	// … and leaving it needs that solution approved.
	if _, err := move(f.Rep1, "bid_preparation"); errs.CodeOf(err) != "gate_solution_approved" {
		t.Fatalf("leaving review unapproved: %v", err)
	}
	setSolution(t, f, sol.ID(), crm.SolApproved)
	if _, err := move(f.Rep1, "bid_preparation"); err != nil {
		t.Fatalf("leaving review approved: %v", err)
	}
	// Skipping is a manager's right; going back is anyone's.
	if _, err := move(f.Rep1, "negotiation"); errs.CodeOf(err) != "stage_skip_denied" {
		t.Fatalf("rep skipping: %v", err)
	}
	// Negotiation needs a quote on the opportunity.
	if _, err := move(f.Manager, "negotiation"); errs.CodeOf(err) != "gate_quote" {
		t.Fatalf("negotiation without a quote: %v", err)
	}
	if err := f.DB().Write(ctx, func(tx *store.Tx) error {
		_, err := f.App.Records.InsertTx(ctx, tx, f.Rep1, "quote", entity.Record{"number": "Q-TEST-0001", "title": "报价", "customer_id": cust.ID(),
			"opportunity_id": o.ID(), "valid_until": "2027-01-31"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got, err := move(f.Manager, "negotiation")
	if err != nil {
		t.Fatalf("manager skipping: %v", err)
	}
	if got.Int("probability") != 75 {
		t.Fatalf("probability after the move %d", got.Int("probability"))
	}
	if _, err := move(f.Rep1, "evaluation"); err != nil {
		t.Fatalf("moving back: %v", err)
	}
	want := []string{"→acquired", "acquired→evaluation", "evaluation→solution_design", "solution_design→solution_review",
		"solution_review→bid_preparation", "bid_preparation→negotiation(skip)", "negotiation→evaluation"}
	if got := stageChanges(t, f, o.ID()); len(got) != len(want) {
		t.Fatalf("history %v", got)
	} else {
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("history %v, want %v", got, want)
			}
		}
	}
	// Another rep cannot move it (not visible: 404).
	if _, err := move(f.Rep2, "acquired"); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("other rep: %v", err)
	}
	if _, err := move(f.Rep1, "no_such_stage"); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("unknown stage: %v", err)
	}
}

func setSolution(t *testing.T, f *apptest.Fixture, id, status string) {
	t.Helper()
	if _, err := f.DB().W().ExecContext(ctx, `UPDATE solutions SET status = $1 WHERE id = $2`, status, id); err != nil {
		t.Fatal(err)
	}
}

func TestWinAndLose(t *testing.T) {
	f := apptest.NewFixture(t)
	ps := f.App.Presales
	cust := f.Customer(t, f.Rep1, "华信精密制造有限公司")
	won := newOpp(t, f, f.Rep1, cust.ID(), "质检系统一期")
	req, err := f.App.Records.Create(ctx, f.Rep1, "presales_request", entity.Record{"name": "质检方案支持", "opportunity_id": won.ID(),
		"work_needed": []string{"demo"}, "description": "现场演示视觉检测", "needed_by": "2026-12-20"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := ps.Win(ctx, f.Rep1, won.ID(), "客户已签约")
	if err != nil {
		t.Fatal(err)
	}
	// Its open pre-sales request ends with the deal's outcome.
	if r, err := f.App.Records.Get(ctx, f.Rep1, "presales_request", req.ID()); err != nil || r.Str("status") != crm.ReqClosed || r.Str("outcome") != crm.OutcomeWon {
		t.Fatalf("request after the win: %v %v", r, err)
	}
	if w.Str("status") != crm.OppWon || w.Int("probability") != 100 || w.Time("closed_at").IsZero() {
		t.Fatalf("won: %v", w)
	}
	c, _ := f.App.Records.Get(ctx, f.Rep1, "customer", cust.ID())
	if c.Str("status") != crm.StatusWon {
		t.Fatalf("customer status after a win: %s", c.Str("status"))
	}
	if _, err := ps.Win(ctx, f.Rep1, won.ID(), ""); errs.CodeOf(err) != "opportunity_closed" {
		t.Fatalf("winning twice: %v", err)
	}
	if _, err := ps.MoveStage(ctx, f.Rep1, won.ID(), "evaluation", 0); errs.CodeOf(err) != "opportunity_closed" {
		t.Fatalf("moving a won deal: %v", err)
	}

	lost := newOpp(t, f, f.Rep1, cust.ID(), "质检系统二期")
	if _, err := ps.Lose(ctx, f.Rep1, lost.ID(), presales.LoseInput{}); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("lose without reason: %v", err)
	}
	if _, err := ps.Lose(ctx, f.Rep1, lost.ID(), presales.LoseInput{Reason: "weather"}); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("lose with an unknown reason: %v", err)
	}
	comp, err := f.App.Records.Create(ctx, f.Rep1, "competitor", entity.Record{"name": "海康机器人", "price_position": "lower"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := ps.Lose(ctx, f.Rep1, lost.ID(), presales.LoseInput{Reason: "price", CompetitorID: comp.ID(), Note: "对手报价低 15%"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Str("status") != crm.OppLost || l.Str("lost_reason") != "price" || l.Str("lost_to") != comp.ID() || l.Int("probability") != 0 {
		t.Fatalf("lost: %v", l)
	}
	// Reopening is a manager's right.
	if _, err := ps.Reopen(ctx, f.Rep1, lost.ID()); errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("rep reopening: %v", err)
	}
	r, err := ps.Reopen(ctx, f.Manager, lost.ID())
	if err != nil {
		t.Fatal(err)
	}
	if r.Str("status") != crm.OppOpen || r.Int("probability") != 10 || r["lost_reason"] != nil {
		t.Fatalf("reopened: %v", r)
	}
	// The customer's story tells it.
	items, err := f.App.Customers.Timeline(ctx, f.Rep1, "customer", cust.ID(), "", 50)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, it := range items {
		kinds[it.Kind]++
	}
	if kinds["opportunity_created"] != 2 || kinds["opportunity_won"] != 1 || kinds["opportunity_lost"] != 1 || kinds["opportunity_reopened"] != 1 {
		t.Fatalf("timeline kinds %v", kinds)
	}
}

func TestStagesInUseCannotBeDeleted(t *testing.T) {
	f := apptest.NewFixture(t)
	cust := f.Customer(t, f.Rep1, "华信精密制造有限公司")
	o := newOpp(t, f, f.Rep1, cust.ID(), "质检系统一期")
	st, err := f.App.Records.Get(ctx, f.Admin, "pipeline_stage", o.Str("stage_id"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.App.Records.Delete(ctx, f.Admin, "pipeline_stage", st.ID(), st.Version()); errs.CodeOf(err) != "stage_in_use" {
		t.Fatalf("deleting a stage in use: %v", err)
	}
	if _, err := f.App.Records.Update(ctx, f.Admin, "pipeline_stage", st.ID(), st.Version(), entity.Record{"entry_fields": []string{"no_such_field"}}); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("stage requiring an unknown field: %v", err)
	}
}
