package presales_test

import (
	"testing"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

func accept() crm.Evaluation {
	two := int64(2)
	return crm.Evaluation{Products: "智慧园区平台", Directions: "物联网、视频分析", Work: []string{"solution_writing", "demo"}, People: &two,
		Difficulty: "high", KeyPoints: "与现有安防系统对接", KeyDates: "12月10日前提交方案", Importance: "province", Conclusion: "accept"}
}

func good() *crm.Score {
	return &crm.Score{Quality: 5, Timeliness: 4, Contribution: 4, Comment: "方案扎实"}
}

func TestRequestLifecycle(t *testing.T) {
	w := newWorld(t)
	r, ps := w.App.Records, w.App.Presales
	opp := w.opportunity(t, w.Rep1, "苏州工业园区智慧园区项目", 80000000)

	// Raising: the customer comes from the opportunity, the name too.
	req := w.request(t, w.Rep1, opp)
	if req.Str("status") != crm.ReqSubmitted || req.Str("customer_id") != opp.Str("customer_id") || req.Str("name") != "苏州工业园区智慧园区项目" || req.Str("owner_id") != w.Rep1.UserID {
		t.Fatalf("raised %v", req)
	}
	// People cannot set the status by editing.
	if _, err := r.Update(ctx, w.Rep1, "presales_request", req.ID(), req.Version(), entity.Record{"status": crm.ReqClosed}); code(err) != "status:read_only" {
		t.Errorf("status by edit: %v", err)
	}
	// Another rep's opportunity is not theirs to raise a request on.
	if _, err := r.Create(ctx, w.Rep2, "presales_request", entity.Record{"opportunity_id": opp.ID(), "work_needed": []string{"demo"}, "description": "x", "needed_by": "2026-12-01"}); code(err) != "opportunity_id:invalid_ref" {
		t.Errorf("request on someone else's opportunity: %v", err)
	}
	// Nor is a lost deal.
	lost := w.opportunity(t, w.Rep1, "已输单项目", 0)
	if _, err := w.App.DB.W().ExecContext(ctx, `UPDATE opportunities SET status = 'lost' WHERE id = $1`, lost.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Create(ctx, w.Rep1, "presales_request", entity.Record{"opportunity_id": lost.ID(), "work_needed": []string{"demo"}, "description": "x", "needed_by": "2026-12-01"}); code(err) != "opportunity_id:presales_opportunity_closed" {
		t.Errorf("request on a lost deal: %v", err)
	}

	// Evaluation: the pre-sales manager's; a rep may not, an engineer does not even see it.
	if _, err := ps.Evaluate(ctx, w.Rep1, req.ID(), 0, accept()); code(err) != "presales_manager_only" {
		t.Errorf("rep evaluates: %v", err)
	}
	if _, err := ps.Evaluate(ctx, w.Eng1, req.ID(), 0, accept()); errs.KindOf(err) != errs.NotFound {
		t.Errorf("engineer evaluates an invisible request: %v", err)
	}
	bad := accept()
	bad.Importance = ""
	if _, err := ps.Evaluate(ctx, w.Mgr, req.ID(), 0, bad); code(err) != "importance:required" {
		t.Errorf("accept without importance: %v", err)
	}
	if _, err := ps.Evaluate(ctx, w.Mgr, req.ID(), 99, accept()); code(err) != "stale_version" {
		t.Errorf("stale evaluation: %v", err)
	}
	req, err := ps.Evaluate(ctx, w.Mgr, req.ID(), req.Version(), accept())
	if err != nil {
		t.Fatal(err)
	}
	if req.Str("status") != crm.ReqAccepted || req.Str("importance") != "province" || req.Str("evaluated_by") != w.Mgr.UserID || req.Int("eval_people") != 2 {
		t.Fatalf("evaluated %v", req)
	}

	// Work needs engineers first.
	if _, err := ps.LogWork(ctx, w.Mgr, req.ID(), entity.Record{"kind": "demo", "work_date": "2026-11-03", "hours": 2.0, "summary": "演示准备", "engineer_id": w.Eng1.UserID}); code(err) != "presales_not_assigned" {
		t.Errorf("work before assignment: %v", err)
	}
	// Only pre-sales engineers are assigned.
	if _, err := ps.Assign(ctx, w.Mgr, req.ID(), 0, []string{w.Rep2.UserID}); code(err) != "engineer_ids:presales_not_engineer" {
		t.Errorf("assign a rep: %v", err)
	}
	if _, err := ps.Assign(ctx, w.Mgr, req.ID(), 0, []string{"nonsense"}); code(err) != "engineer_ids:invalid_user" {
		t.Errorf("assign garbage: %v", err)
	}
	if _, err := ps.Assign(ctx, w.Rep1, req.ID(), 0, []string{w.Eng1.UserID}); code(err) != "presales_manager_only" {
		t.Errorf("rep assigns: %v", err)
	}
	// Before assignment the engineers see neither the request nor the deal.
	for _, eng := range []string{"eng1", "eng2"} {
		p := w.Eng1
		if eng == "eng2" {
			p = w.Eng2
		}
		if g, l, s := w.sees(t, p, "presales_request", req.ID(), "苏州工业园区"); g || l || s {
			t.Errorf("%s sees the request before assignment: %v %v %v", eng, g, l, s)
		}
	}
	req, err = ps.Assign(ctx, w.Mgr, req.ID(), req.Version(), []string{w.Eng1.UserID, w.Eng1.UserID})
	if err != nil {
		t.Fatal(err)
	}
	if req.Str("status") != crm.ReqAssigned || len(req.List("engineers")) != 1 || req.Time("assigned_at").IsZero() {
		t.Fatalf("assigned %v", req)
	}
	for _, ent := range []string{"presales_request", "opportunity"} {
		id := req.ID()
		if ent == "opportunity" {
			id = opp.ID()
		}
		if g, l, s := w.sees(t, w.Eng1, ent, id, "苏州工业园区"); !g || !l || !s {
			t.Errorf("assigned engineer sees %s: get %v list %v search %v", ent, g, l, s)
		}
		if g, l, s := w.sees(t, w.Eng2, ent, id, "苏州工业园区"); g || l || s {
			t.Errorf("other engineer sees %s: get %v list %v search %v", ent, g, l, s)
		}
	}
	// The customer too (engineers read the customer base).
	w.get(t, w.Eng1, "customer", opp.Str("customer_id"))

	// Work records: the engineer logs their own; the manager for them.
	version := req.Version()
	w1, err := ps.LogWork(ctx, w.Eng1, req.ID(), entity.Record{"kind": "onsite_exchange", "work_date": "2026-11-04", "hours": 3.5, "summary": "现场调研", "outputs": "调研纪要"})
	if err != nil {
		t.Fatal(err)
	}
	if w1.Str("engineer_id") != w.Eng1.UserID {
		t.Errorf("engineer defaults to the caller: %v", w1)
	}
	w2, err := ps.LogWork(ctx, w.Mgr, req.ID(), entity.Record{"kind": "solution_writing", "work_date": "2026-11-05", "hours": 4.0, "summary": "方案初稿", "engineer_id": w.Eng1.UserID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.LogWork(ctx, w.Mgr, req.ID(), entity.Record{"kind": "demo", "work_date": "2026-11-05", "hours": 1.0, "summary": "x", "engineer_id": w.Eng2.UserID}); code(err) != "engineer_id:presales_engineer_not_assigned" {
		t.Errorf("work for an engineer not assigned: %v", err)
	}
	if _, err := ps.LogWork(ctx, w.Rep1, req.ID(), entity.Record{"kind": "demo", "work_date": "2026-11-05", "hours": 1.0, "summary": "x"}); code(err) != "presales_not_engineer_of_request" {
		t.Errorf("rep logs work: %v", err)
	}
	if _, err := ps.LogWork(ctx, w.Eng2, req.ID(), entity.Record{"kind": "demo", "work_date": "2026-11-05", "hours": 1.0, "summary": "x"}); errs.KindOf(err) != errs.NotFound {
		t.Errorf("unassigned engineer logs work: %v", err)
	}
	if _, err := ps.LogWork(ctx, w.Eng1, req.ID(), entity.Record{"kind": "demo", "work_date": "2026-11-05", "hours": 30.0, "summary": "x"}); code(err) != "hours:out_of_range" {
		t.Errorf("30 hours in a day: %v", err)
	}
	if got := w.get(t, w.Mgr, "presales_request", req.ID()); got["hours_total"] != 7.5 || got.Version() != version {
		t.Errorf("hours %v at version %d (was %d)", got["hours_total"], got.Version(), version)
	}
	// Engineers change their own work; the generic update keeps the total.
	if _, err := r.Update(ctx, w.Eng1, "presales_work_record", w2.ID(), w2.Version(), entity.Record{"hours": 5.0}); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, w.Eng1, "presales_work_record", w1.ID(), 0); err != nil {
		t.Fatal(err)
	}
	if got := w.get(t, w.Mgr, "presales_request", req.ID()); got["hours_total"] != 5.0 {
		t.Errorf("hours after edit and delete: %v", got["hours_total"])
	}
	work, err := ps.Work(ctx, w.Eng1, req.ID())
	if err != nil || len(work) != 1 {
		t.Errorf("work list: %d %v", len(work), err)
	}

	// Reassignment moves the grants: the first engineer loses the deal.
	req, err = ps.Assign(ctx, w.Mgr, req.ID(), 0, []string{w.Eng2.UserID})
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range []string{"presales_request", "opportunity"} {
		id := req.ID()
		if ent == "opportunity" {
			id = opp.ID()
		}
		if g, l, s := w.sees(t, w.Eng1, ent, id, "苏州工业园区"); g || l || s {
			t.Errorf("unassigned engineer still sees %s: get %v list %v search %v", ent, g, l, s)
		}
		if g, l, s := w.sees(t, w.Eng2, ent, id, "苏州工业园区"); !g || !l || !s {
			t.Errorf("new engineer sees %s: get %v list %v search %v", ent, g, l, s)
		}
	}
	// Work stays with who did it, but an engineer no longer assigned logs no more.
	if _, err := r.Update(ctx, w.Mgr, "presales_work_record", w2.ID(), 0, entity.Record{"summary": "方案初稿（修订）"}); code(err) != "engineer_id:presales_engineer_not_assigned" {
		t.Errorf("edit of a former engineer's work: %v", err)
	}

	// Closing: nothing ends without an outcome, and the closer scores.
	if _, err := ps.Close(ctx, w.Rep1, req.ID(), 0, crm.Closing{}); code(err) != "presales_outcome_required" {
		t.Errorf("close without outcome: %v", err)
	}
	if _, err := ps.Close(ctx, w.Rep1, req.ID(), 0, crm.Closing{Outcome: "won"}); code(err) != "score:required" {
		t.Errorf("close without score: %v", err)
	}
	if _, err := ps.Close(ctx, w.Eng2, req.ID(), 0, crm.Closing{Outcome: "won", Score: good()}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("engineer closes: %v", err)
	}
	if _, err := ps.Close(ctx, w.Manager, req.ID(), 0, crm.Closing{Outcome: "won", Score: good()}); code(err) != "presales_close_not_allowed" {
		t.Errorf("sales manager closes: %v", err)
	}
	req, err = ps.Close(ctx, w.Rep1, req.ID(), 0, crm.Closing{Outcome: "won", Note: "已签约", Score: good()})
	if err != nil {
		t.Fatal(err)
	}
	if req.Str("status") != crm.ReqClosed || req.Str("outcome") != "won" || req.Time("closed_at").IsZero() {
		t.Fatalf("closed %v", req)
	}
	if _, err := ps.Close(ctx, w.Mgr, req.ID(), 0, crm.Closing{Outcome: "lost", Score: good()}); code(err) != "presales_already_closed" {
		t.Errorf("close twice: %v", err)
	}
	// The other party scores afterwards, once.
	if _, err := ps.AddScore(ctx, w.Rep1, req.ID(), *good()); code(err) != "presales_already_scored" {
		t.Errorf("rep scores twice: %v", err)
	}
	if _, err := ps.AddScore(ctx, w.Eng2, req.ID(), *good()); code(err) != "presales_score_not_allowed" {
		t.Errorf("engineer scores: %v", err)
	}
	if _, err := ps.AddScore(ctx, w.Mgr, req.ID(), crm.Score{Quality: 9, Timeliness: 4, Contribution: 4}); code(err) != "quality:presales_score_range" {
		t.Errorf("score out of range: %v", err)
	}
	sc, err := ps.AddScore(ctx, w.Mgr, req.ID(), crm.Score{Quality: 4, Timeliness: 3, Contribution: 5})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Str("scorer_role") != crm.ScorerManager || sc.Str("scorer_id") != w.Mgr.UserID {
		t.Errorf("manager score %v", sc)
	}
	if _, err := ps.AddScore(ctx, w.Mgr, req.ID(), *good()); code(err) != "presales_already_scored" {
		t.Errorf("manager scores twice: %v", err)
	}
	scores, err := ps.Scores(ctx, w.Rep1, req.ID())
	if err != nil || len(scores) != 2 {
		t.Errorf("scores: %d %v", len(scores), err)
	}
	// A closed request takes no more work or edits.
	if _, err := ps.LogWork(ctx, w.Eng2, req.ID(), entity.Record{"kind": "demo", "work_date": "2026-11-06", "hours": 1.0, "summary": "x"}); code(err) != "presales_request_closed" {
		t.Errorf("work on a closed request: %v", err)
	}
	if _, err := r.Update(ctx, w.Rep1, "presales_request", req.ID(), 0, entity.Record{"description": "改一下"}); code(err) != "presales_request_closed" {
		t.Errorf("edit of a closed request: %v", err)
	}
	if _, err := ps.Assign(ctx, w.Mgr, req.ID(), 0, []string{w.Eng1.UserID}); code(err) != "presales_not_assignable" {
		t.Errorf("assign on a closed request: %v", err)
	}
	// Closed requests are kept: they are the record of the work and scores.
	if err := r.Delete(ctx, w.Rep1, "presales_request", req.ID(), 0); code(err) != "presales_closed_kept" {
		t.Errorf("delete a closed request: %v", err)
	}
	// The customer's story has the request's steps.
	tl, err := w.App.Customers.Timeline(ctx, w.Rep1, "customer", opp.Str("customer_id"), "", 50)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, it := range tl {
		kinds[it.Kind] = true
	}
	for _, k := range []string{"presales_requested", "presales_accepted", "presales_assigned", "presales_closed"} {
		if !kinds[k] {
			t.Errorf("timeline lacks %s: %v", k, kinds)
		}
	}
}

func TestStopMergeAndUnassign(t *testing.T) {
	w := newWorld(t)
	ps := w.App.Presales
	opp := w.opportunity(t, w.Rep1, "杭州城市大脑二期", 30000000)
	a := w.request(t, w.Rep1, opp)
	b := w.request(t, w.Rep1, opp, "name", "城市大脑二期（重复申请）")
	c := w.request(t, w.Rep1, opp, "name", "城市大脑二期（取消）")

	// Stopping at evaluation needs a reason and closes the request.
	if _, err := ps.Evaluate(ctx, w.Mgr, c.ID(), 0, crm.Evaluation{Conclusion: "stop"}); code(err) != "stop_reason:required" {
		t.Errorf("stop without reason: %v", err)
	}
	c, err := ps.Evaluate(ctx, w.Mgr, c.ID(), 0, crm.Evaluation{Conclusion: "stop", StopReason: "客户暂停立项"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Str("status") != crm.ReqClosed || c.Str("outcome") != crm.OutcomeStopped || c.Str("close_note") != "客户暂停立项" {
		t.Fatalf("stopped %v", c)
	}

	// A duplicate is merged into the other; a merged request is no target.
	if _, err := ps.Close(ctx, w.Rep1, b.ID(), 0, crm.Closing{Outcome: "merged"}); code(err) != "merged_into:required" {
		t.Errorf("merge without target: %v", err)
	}
	if _, err := ps.Close(ctx, w.Rep1, b.ID(), 0, crm.Closing{Outcome: "merged", MergedInto: "01900000-0000-7000-8000-00000000dead"}); code(err) != "merged_into:invalid_ref" {
		t.Errorf("merge into nothing: %v", err)
	}
	b, err = ps.Close(ctx, w.Rep1, b.ID(), 0, crm.Closing{Outcome: "merged", MergedInto: a.ID()})
	if err != nil {
		t.Fatal(err)
	}
	if b.Str("merged_into") != a.ID() {
		t.Errorf("merged %v", b)
	}
	d := w.request(t, w.Rep1, opp, "name", "又一个重复")
	if _, err := ps.Close(ctx, w.Mgr, d.ID(), 0, crm.Closing{Outcome: "merged", MergedInto: b.ID()}); code(err) != "merged_into:presales_merge_chain" {
		t.Errorf("merge into a merged request: %v", err)
	}

	// Unassigning everyone takes the grants away; the request waits again.
	if _, err := ps.Evaluate(ctx, w.Mgr, a.ID(), 0, accept()); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Assign(ctx, w.Mgr, a.ID(), 0, nil); code(err) != "engineer_ids:required" {
		t.Errorf("assign nobody: %v", err)
	}
	if _, err := ps.Assign(ctx, w.Mgr, a.ID(), 0, []string{w.Eng1.UserID, w.Eng2.UserID}); err != nil {
		t.Fatal(err)
	}
	a, err = ps.Assign(ctx, w.Mgr, a.ID(), 0, []string{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Str("status") != crm.ReqAccepted || len(a.List("engineers")) != 0 {
		t.Errorf("unassigned %v", a)
	}
	if g, l, s := w.sees(t, w.Eng2, "opportunity", opp.ID(), "城市大脑"); g || l || s {
		t.Errorf("engineer sees the deal after unassignment: %v %v %v", g, l, s)
	}
	// Nobody worked on it: closing scores nothing.
	if _, err := ps.Close(ctx, w.Rep1, a.ID(), 0, crm.Closing{Outcome: "lost", Score: good()}); code(err) != "score:presales_nothing_to_score" {
		t.Errorf("score with nobody assigned: %v", err)
	}
	if _, err := ps.Close(ctx, w.Rep1, a.ID(), 0, crm.Closing{Outcome: "lost"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.AddScore(ctx, w.Mgr, a.ID(), *good()); code(err) != "presales_nothing_to_score" {
		t.Errorf("score a request nobody worked on: %v", err)
	}
}

func TestDeletedRequestTakesItsGrants(t *testing.T) {
	w := newWorld(t)
	ps := w.App.Presales
	opp := w.opportunity(t, w.Rep1, "南京地铁票务系统", 0)
	req := w.request(t, w.Rep1, opp)
	if _, err := ps.Evaluate(ctx, w.Mgr, req.ID(), 0, accept()); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Assign(ctx, w.Mgr, req.ID(), 0, []string{w.Eng1.UserID}); err != nil {
		t.Fatal(err)
	}
	if err := w.App.Records.Delete(ctx, w.Rep1, "presales_request", req.ID(), 0); err != nil {
		t.Fatal(err)
	}
	if g, _, s := w.sees(t, w.Eng1, "opportunity", opp.ID(), "南京地铁"); g || s {
		t.Errorf("deal still visible through a deleted request: %v %v", g, s)
	}
	if _, err := w.App.Records.Restore(ctx, w.Rep1, "presales_request", req.ID()); err != nil {
		t.Fatal(err)
	}
	if g, _, s := w.sees(t, w.Eng1, "opportunity", opp.ID(), "南京地铁"); !g || !s {
		t.Errorf("deal not visible again after restore: %v %v", g, s)
	}
}

func TestAgeing(t *testing.T) {
	w := newWorld(t)
	ps := w.App.Presales
	opp := w.opportunity(t, w.Rep1, "成都智慧医院", 0)
	now := time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC) // 12:00 in Shanghai
	ages := map[string]int{"新申请": 2, "两周": 10, "一月": 20, "久拖": 75}
	ids := map[string]string{}
	for name, days := range ages {
		r := w.request(t, w.Rep1, opp, "name", name, "needed_by", "2026-11-15")
		ids[name] = r.ID()
		if _, err := w.App.DB.W().ExecContext(ctx, `UPDATE presales_requests SET created_at = $1 WHERE id = $2`, entity.CanonTime(now.AddDate(0, 0, -days)), r.ID()); err != nil {
			t.Fatal(err)
		}
	}
	closed := w.request(t, w.Rep1, opp, "name", "已关闭")
	if _, err := ps.Close(ctx, w.Rep1, closed.ID(), 0, crm.Closing{Outcome: "lost"}); err != nil {
		t.Fatal(err)
	}
	a, err := ps.Ageing(ctx, w.Mgr, now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Open != 4 {
		t.Fatalf("open %d", a.Open)
	}
	want := map[string]string{"新申请": "d0_7", "两周": "d8_14", "一月": "d15_30", "久拖": "d61"}
	for _, g := range a.Groups {
		for _, o := range g.Requests {
			if want[o.Name] != g.Key {
				t.Errorf("%s (%d days) in %s, want %s", o.Name, o.DaysOpen, g.Key, want[o.Name])
			}
			if o.DaysOpen != ages[o.Name] || !o.Overdue {
				t.Errorf("%s: %d days, overdue %v", o.Name, o.DaysOpen, o.Overdue)
			}
		}
	}
	open, err := ps.OpenRequests(ctx, w.Rep1, now)
	if err != nil || len(open) != 4 || open[0].Name != "久拖" {
		t.Errorf("oldest first: %v %v", open, err)
	}
	// Another rep sees none of them.
	if a, err := ps.Ageing(ctx, w.Rep3, now); err != nil || a.Open != 0 {
		t.Errorf("other rep's ageing: %d %v", a.Open, err)
	}
}
